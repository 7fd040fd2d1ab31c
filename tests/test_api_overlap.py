"""generate() finds the words beside the model's loading and, while they are still being found, makes
the audio features: the motion is the same as when everything is done one after the other."""
import inspect

import numpy as np
import soundfile

from openhuman.engine import api
from openhuman.engine.api import GenerateOptions, generate, generate_for_words, load_model
from openhuman.engine.speech.audio import load_audio
from openhuman.training.bench_end_to_end import real_reading

from helpers import tiny_model_file


def test_audio_features_made_while_the_words_are_aligned_give_the_same_motion(tmp_path, speech_dir, monkeypatch):
    samples, transcript, _ = real_reading([speech_dir], min_seconds=0)  # 33 s: aligned in a child process
    wav = tmp_path / "reading.wav"
    soundfile.write(wav, samples, 16000)
    options = GenerateOptions(emotion="Happy", seed=2, steps=2, model=str(tiny_model_file(tmp_path / "m.safetensors")))
    callers = []
    features = api._audio_features
    monkeypatch.setattr(api, "_audio_features", lambda *a: callers.append(inspect.stack()[1].function) or features(*a))
    overlapped = generate(wav, transcript, options)
    assert callers == ["_model_and_words"], callers  # the tiny model loads long before the words are aligned
    assert overlapped.info["words"].startswith(f"{len(transcript.split())} words (aligned text)")
    one_by_one = generate_for_words(load_audio(wav), overlapped.words, options, bundle=load_model(options.model))
    assert callers == ["_model_and_words", "_generate_with_model"]
    np.testing.assert_array_equal(overlapped.motion.rotations, one_by_one.motion.rotations)
    np.testing.assert_array_equal(overlapped.motion.root_positions, one_by_one.motion.root_positions)


def test_generating_again_on_the_same_clip_reuses_its_audio_features(tmp_path, speech_dir):
    from dataclasses import replace

    from openhuman.engine.conditions.audio_features import compute_audio_features_for_spec

    samples, _, _ = real_reading([speech_dir], min_seconds=0)
    options = GenerateOptions(emotion="Happy", seed=2, steps=2, model=str(tiny_model_file(tmp_path / "m.safetensors")))
    bundle = load_model(options.model)
    first = generate_for_words(samples, [], options, bundle=bundle)
    hits = api.last_audio_features.hits
    again = generate_for_words(samples.copy(), [], replace(options, emotion="Sad"), bundle=bundle)
    assert api.last_audio_features.hits == hits + 1
    assert not np.array_equal(first.motion.rotations, again.motion.rotations)
    same = generate_for_words(samples, [], options, bundle=bundle)  # reused features: the same motion
    np.testing.assert_array_equal(first.motion.rotations, same.motion.rotations)
    mine = api._audio_features(samples, bundle, options)
    mine[:] = 0  # the caller's copy: changing it changes nothing kept
    half = samples[: len(samples) // 2]
    generate_for_words(half, [], options, bundle=bundle)  # another clip: computed
    assert api.last_audio_features.hits == hits + 3
    np.testing.assert_array_equal(api.last_audio_features.features,
                                  compute_audio_features_for_spec(half, bundle.metadata["audio_features"]))
