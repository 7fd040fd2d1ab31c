import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig, count_parameters
from openhuman.engine.errors import ModelFileError, OpenHumanError
from openhuman.engine.diffusion.modelfile import (
    FORMAT_VERSION,
    load_model_file,
    model_info,
    read_metadata,
    save_model_file,
    weights_digest,
)
from helpers import tiny_config

TINY = tiny_config()
EMOTIONS = ["Happy", "Sad", "Neutral"]
AUDIO = {"kind": "mel", "bins": 4, "sample_rate": 16000}
TEXT = {"kind": "word-hash", "dim": 3}
SKELETON = {"names": ["Hips", "Spine"], "parents": [-1, 0], "offsets": [[0, 0, 0], [0, 10, 0]]}


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = Denoiser(DenoiserConfig(**TINY))
    mean, std = np.arange(9, dtype=np.float32), np.linspace(1, 2, 9, dtype=np.float32)
    path = save_model_file(tmp_path / "m.safetensors", model, mean, std, fps=20, audio_features=AUDIO,
                           text_features=TEXT, emotions=EMOTIONS, skeleton=SKELETON,
                           training={"windows": 12, "steps": 3})
    return path, model, mean, std


def rewrite(path, tensors=None, metadata=None):
    """Write the file again with changed tensors/metadata and a matching checksum, like a careless tool."""
    tensors = tensors if tensors is not None else load_file(str(path))
    metadata = metadata if metadata is not None else read_metadata(path)
    metadata = dict(metadata, weights_sha256=weights_digest(tensors))
    save_file(tensors, str(path), metadata={"openhuman": json.dumps(metadata)})


def test_round_trip(saved):
    path, model, mean, std = saved
    loaded = load_model_file(path)
    assert loaded.config == model.config
    assert not loaded.model.training
    np.testing.assert_array_equal(loaded.mean, mean)
    np.testing.assert_array_equal(loaded.std, std)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[k], v), k
    meta = loaded.metadata
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["window"] == {"frames": 10, "seed_frames": 2}
    assert meta["fps"] == 20.0 and meta["audio_features"] == AUDIO and meta["text_features"] == TEXT
    assert meta["skeleton"] == SKELETON and meta["training"] == {"windows": 12, "steps": 3}
    assert loaded.emotions == EMOTIONS and loaded.fps == 20.0
    assert not list(path.parent.glob("*.tmp"))


def test_emotion_lookup(saved):
    loaded = load_model_file(saved[0])
    assert loaded.emotion_index("sad") == 1 and loaded.emotion_index(2) == 2
    with pytest.raises(OpenHumanError, match="Happy, Sad, Neutral"):
        loaded.emotion_index("Angry")
    with pytest.raises(OpenHumanError):
        loaded.emotion_index(3)


def test_model_info(saved):
    path, model, _, _ = saved
    info = model_info(path)
    assert info["parameters"] == count_parameters(model)
    assert info["emotions"] == EMOTIONS and info["architecture"]["latent"] == 16
    assert info["size_bytes"] == path.stat().st_size
    json.dumps(info)  # printable as JSON


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model_file(tmp_path / "absent.safetensors")


def test_other_formats_are_refused(tmp_path, saved):
    text = tmp_path / "notes.safetensors"
    text.write_text("hello, I am not a model")
    pickled = tmp_path / "pickled.safetensors"
    torch.save(saved[1].state_dict(), pickled)
    for path in (text, pickled):
        with pytest.raises(ModelFileError, match="not a readable safetensors file"):
            load_model_file(path)


def test_plain_safetensors_without_our_metadata(tmp_path):
    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(3)}, str(path))
    with pytest.raises(ModelFileError, match="not an OpenHuman model"):
        load_model_file(path)


def test_truncated_file(saved):
    path = saved[0]
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ModelFileError, match="damaged, truncated"):
        load_model_file(path)
    with pytest.raises(ModelFileError):
        model_info(path)


def test_flipped_weight_bytes(saved):
    path = saved[0]
    data = bytearray(path.read_bytes())
    header_len = struct.unpack("<Q", data[:8])[0]
    middle = 8 + header_len + (len(data) - 8 - header_len) // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model_file(path)


def test_flipped_header_bytes(saved):
    path = saved[0]
    data = bytearray(path.read_bytes())
    data[20] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        load_model_file(path)


def test_newer_format_version(saved):
    path = saved[0]
    rewrite(path, metadata=dict(read_metadata(path), format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="newer OpenHuman"):
        load_model_file(path)
    assert model_info(path)["format_version"] == FORMAT_VERSION + 1  # info still shows what it is


# A careless tool's changes (to the tensors and the metadata, in place), and what loading then says.
CORRUPTIONS = {
    "missing_metadata_field": (lambda tensors, meta: meta.pop("emotions"), "emotions"),
    "wrong_shape": (lambda tensors, meta: tensors.update({"model.motion_out.weight": torch.zeros(9, 17)}),
                    "shape mismatch.*motion_out.weight"),
    "missing_weight": (lambda tensors, meta: tensors.pop("model.seed_absent"), "missing weights.*seed_absent"),
    "bad_normalisation_tensor": (lambda tensors, meta: tensors.update({"norm.std": torch.ones(5)}), "norm.std"),
    "emotion_count_must_match_architecture": (lambda tensors, meta: meta.update(emotions=["Happy", "Sad"]),
                                              "3 emotions"),
}


@pytest.mark.parametrize("mutate, message", CORRUPTIONS.values(), ids=list(CORRUPTIONS))
def test_rewritten_file_is_refused(saved, mutate, message):
    path = saved[0]
    tensors, meta = load_file(str(path)), read_metadata(path)
    mutate(tensors, meta)
    rewrite(path, tensors=tensors, metadata=meta)
    with pytest.raises(ModelFileError, match=message):
        load_model_file(path)


def test_feature_spec_checks(saved):
    path = saved[0]
    seen = []
    load_model_file(path, spec_checks=[lambda meta: seen.append(meta["audio_features"])])
    assert seen == [AUDIO]

    def needs_wavlm(meta):
        if meta["audio_features"]["kind"] != "wavlm":
            raise ModelFileError("audio features 'mel' need the mel module")

    def picky(meta):
        raise ValueError(f"text features {meta['text_features']['kind']!r} are unknown to this build")

    with pytest.raises(ModelFileError, match="need the mel module"):
        load_model_file(path, spec_checks=[needs_wavlm])
    with pytest.raises(ModelFileError, match="cannot compute.*word-hash"):
        load_model_file(path, spec_checks=[picky])


def test_save_refuses_inconsistent_inputs(tmp_path):
    model = Denoiser(DenoiserConfig(**TINY))
    ok = dict(fps=20, audio_features=AUDIO, text_features=TEXT, emotions=EMOTIONS, skeleton=SKELETON)
    with pytest.raises(ValueError, match="emotion labels"):
        save_model_file(tmp_path / "a.safetensors", model, np.zeros(9), np.ones(9), **dict(ok, emotions=["A"]))
    with pytest.raises(ValueError, match="std"):
        save_model_file(tmp_path / "a.safetensors", model, np.zeros(9), np.zeros(9), **ok)
    with pytest.raises(ValueError, match="shape"):
        save_model_file(tmp_path / "a.safetensors", model, np.zeros(8), np.ones(8), **ok)
    with pytest.raises(ValueError, match="skeleton"):
        save_model_file(tmp_path / "a.safetensors", model, np.zeros(9), np.ones(9),
                        **dict(ok, skeleton={"names": ["a"], "parents": [], "offsets": []}))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_asked_without_cuda(saved):
    with pytest.raises(OpenHumanError, match="no CUDA"):
        load_model_file(saved[0], map_location="cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_load_onto_cuda(saved):
    loaded = load_model_file(saved[0], map_location="cuda")
    assert next(loaded.model.parameters()).is_cuda


@pytest.mark.parametrize("changes", [{}, {"latent": 64, "heads": 2, "layers": 1, "ff_mult": 3},
                                     {"seed_frames": 3, "n_emotions": 2, "local_window": 0}, {"noise_input": 1}])
def test_parameter_count_from_the_sizes_matches_a_built_network(changes):
    from openhuman.engine.diffusion.model_checks import parameter_count

    config = DenoiserConfig(**{**TINY, **changes})
    assert parameter_count(config) == count_parameters(Denoiser(config))
    assert parameter_count(config) == sum(t.numel() for t in Denoiser(config).state_dict().values() if t.is_floating_point())
