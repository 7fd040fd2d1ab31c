"""WavLM features end to end, with a small WavLM made and saved here: a corpus and a model built with
them record it, and the model runs only where the user points to their own WavLM folder — on the
command line (--wavlm), in a batch job and in Blender's preferences — and refuses clearly without it."""
import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import VOICE, run_blender
from openhuman.engine.conditions.audio_features import (WAVLM_PART, audio_feature_spec, wavlm_dims,
                                                        wavlm_features)
from openhuman.engine.diffusion.modelfile import load_model_file
from openhuman.engine.errors import ModelFileError
from openhuman.engine.procedural.synthesiser import synthesise
from openhuman.engine.speech.audio import load_audio
from openhuman.training.small_datasets import features_for_pair, write_takes
from openhuman.training.train import TrainConfig, train

pytest.importorskip("transformers")
WIDTH = 16
SPEECH_TEXT = "the speech the example voice says"


@pytest.fixture(scope="module")
def tiny_wavlm(tmp_path_factory):
    """A WavLM with the real architecture and random weights, saved as a user's local copy would be."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMModel

    folder = tmp_path_factory.mktemp("wavlm") / "tiny-wavlm"
    config = WavLMConfig(hidden_size=WIDTH, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                         conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                         num_buckets=32, max_bucket_distance=80)
    torch.manual_seed(0)
    WavLMModel(config).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=True).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def wavlm_model(tiny_wavlm, tmp_path_factory):
    """A model trained (a few steps) on a dataset whose audio features include the tiny WavLM's."""
    root = tmp_path_factory.mktemp("wavlm-model")
    samples = load_audio(VOICE)
    spec = audio_feature_spec(wavlm_dims(tiny_wavlm))
    takes = []
    for emotion in ("Neutral", "Happy"):
        motion, audio, text = features_for_pair(synthesise(samples, None, emotion, fps=20.0, seed=1), samples,
                                                spec=spec, wavlm_dir=tiny_wavlm)
        takes.append((emotion.lower(), emotion, motion, audio, text))
    data = write_takes(root / "data", takes, ["Neutral", "Happy"], audio_spec=spec)
    cfg = TrainConfig(data=str(data), out=str(root / "model"), steps=3, batch_size=4, lr=1e-3, warmup=1, stride=20,
                      val_every=1000, val_batches=1, checkpoint_every=10, seed=0, device="cpu",
                      architecture={"latent": 32, "layers": 1, "heads": 2, "ff_mult": 2, "dropout": 0.0})
    return train(cfg, progress=False)


def test_wavlm_features_follow_the_clip_at_the_model_rate(tiny_wavlm):
    samples = load_audio(VOICE)
    feats = wavlm_features(samples, tiny_wavlm)
    assert feats.shape == (int(np.ceil(len(samples) / 800)), WIDTH) and feats.dtype == np.float32
    assert np.isfinite(feats).all() and feats.std(axis=0).min() > 0
    assert wavlm_dims(tiny_wavlm) == WIDTH
    with pytest.raises(ModelFileError, match="could not load a WavLM"):
        wavlm_dims(tiny_wavlm.parent)  # a folder, but no WavLM in it


def test_a_model_trained_on_wavlm_features_records_them(wavlm_model):
    spec = load_model_file(wavlm_model, spec_checks=[]).metadata["audio_features"]
    assert [WAVLM_PART, WIDTH] in [list(p) for p in spec["parts"]]
    assert spec["dims"] == audio_feature_spec()["dims"] + WIDTH


def _generate(model, out, *extra):
    return subprocess.run([sys.executable, "-m", "openhuman.cli", "generate", "--audio", str(VOICE), "--text",
                           SPEECH_TEXT, "--model", str(model), "--quality", "draft", "--device", "cpu",
                           "--no-words-cache", "--out", str(out), *extra], capture_output=True, text=True, timeout=600)


def test_generate_runs_with_the_users_wavlm_and_refuses_clearly_without(wavlm_model, tiny_wavlm, tmp_path):
    done = _generate(wavlm_model, tmp_path / "with.npz", "--wavlm", str(tiny_wavlm))
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "with.npz").stat().st_size > 0
    refused = _generate(wavlm_model, tmp_path / "without.npz")
    assert refused.returncode != 0 and not (tmp_path / "without.npz").exists()
    assert "needs WavLM" in refused.stderr and "--wavlm" in refused.stderr and "Traceback" not in refused.stderr
    wrong = _generate(wavlm_model, tmp_path / "wrong.npz", "--wavlm", str(tmp_path / "nowhere"))
    assert wrong.returncode != 0 and "no WavLM model" in wrong.stderr


def test_a_corpus_built_with_wavlm_carries_its_features(tiny_wavlm, tmp_path):
    from openhuman.training.corpus import build_corpus
    from openhuman.training.windows_dataset import WindowDataset

    out = tmp_path / "corpus"
    summary = build_corpus(out, 2 * 8.0 / 3600, seed=2, workers=1, librivox=None, progress=False,
                           item_seconds=(6.0, 10.0), wavlm=tiny_wavlm)
    ds = WindowDataset(out, "train") if summary["takes"] else None
    meta = json.loads((out / "meta.json").read_text())
    assert [WAVLM_PART, WIDTH] in [list(p) for p in meta["audio_spec"]["parts"]]
    audio = np.load(out / "audio.npy", mmap_mode="r")
    assert audio.shape[1] == audio_feature_spec()["dims"] + WIDTH
    assert np.abs(np.asarray(audio[:, -WIDTH:])).sum(axis=1).min() > 0  # every frame has WavLM features
    assert ds is not None


@pytest.mark.blender
def test_blender_generate_uses_the_wavlm_preference(wavlm_model, tiny_wavlm):
    result = run_blender(f"""
        import json, bpy
        bpy.ops.preferences.addon_enable(module="openhuman")
        prefs = bpy.context.preferences.addons["openhuman"].preferences
        prefs.model_path = {str(wavlm_model)!r}
        bpy.ops.openhuman.create_armature()
        s = bpy.context.scene.openhuman
        s.audio_path, s.transcript, s.quality = {str(VOICE)!r}, {SPEECH_TEXT!r}, "DRAFT"
        try:
            bpy.ops.openhuman.generate()
            refused = ""
        except RuntimeError as exc:
            refused = str(exc)
        untouched = s.armature.animation_data is None or s.armature.animation_data.action is None
        prefs.wavlm_path = {str(tiny_wavlm)!r}
        status = bpy.ops.openhuman.generate()
        action = s.armature.animation_data.action
        print("JSON:" + json.dumps({{"refused": refused, "untouched": untouched, "status": sorted(status),
                                    "wavlm": json.loads(action["openhuman_settings"])["wavlm"]}}))
    """)
    assert "needs WavLM" in result["refused"] and result["untouched"]
    assert result["status"] == ["FINISHED"] and result["wavlm"] == str(tiny_wavlm)
