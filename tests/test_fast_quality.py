"""The Fast quality: the bundled model's distilled student, 8 single network passes per window, for the
settings it carries; other settings fall back to Standard and say so."""
import numpy as np

from openhuman.engine.api import generate_for_words, load_model, sampling_plan
from openhuman.engine.constants import BUNDLED_FAST_MODEL, BUNDLED_MODEL
from openhuman.engine.diffusion.modelfile import read_metadata
from openhuman.engine.settings import options_from_settings
from openhuman.engine.speech.audio import load_audio

from helpers import VOICE


def test_the_fast_model_is_a_student_of_the_bundled_model():
    distilled = read_metadata(BUNDLED_FAST_MODEL)["distilled"]
    assert distilled["teacher_sha256"] == read_metadata(BUNDLED_MODEL)["weights_sha256"]
    assert len(distilled["timesteps"]) <= 8 and distilled["intensity"] == options_from_settings({}).intensity


def test_fast_quality_makes_each_window_in_eight_passes(one_thread):
    options = options_from_settings({"quality": "fast", "emotion": "Happy", "device": "cpu"})
    assert sampling_plan(options)[:3] == (BUNDLED_FAST_MODEL, "distilled", None)
    student = load_model(BUNDLED_FAST_MODEL, "cpu")
    calls = []
    hook = student.model.register_forward_hook(lambda module, args, out: calls.append(out.shape[0]))
    try:
        result = generate_for_words(load_audio(VOICE), [], options)
    finally:
        hook.remove()
    windows = -(-(result.motion.n_frames - student.config.frames) // (student.config.frames - 8)) + 1
    assert result.info["sampler"] == "distilled" and "note" not in result.info
    assert len(calls) == 8 * windows and set(calls) == {1}, (len(calls), windows)
    assert np.isfinite(result.motion.rotations).all()


def test_settings_the_student_does_not_carry_sample_at_standard_and_say_so(one_thread):
    options = options_from_settings({"quality": "fast", "intensity": 2, "device": "cpu"})
    model, sampler, steps, note = sampling_plan(options)
    assert (model, sampler, steps) == (None, "dpm-sde", 50) and "Standard" in note
    result = generate_for_words(load_audio(VOICE, max_seconds=3.0), [], options)
    assert result.info["sampler"] == "dpm-sde" and "Standard" in result.info["note"]
