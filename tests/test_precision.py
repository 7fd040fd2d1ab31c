"""The network in bfloat16 on CPUs that multiply it natively: the same motion as float32 to its rounding."""
import numpy as np
import pytest
import torch

from openhuman.engine.api import load_model
from openhuman.engine.diffusion.precision import cpu_multiplies_bfloat16, network_dtype, with_weights
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.settings import options_from_settings


def test_auto_is_bfloat16_only_on_a_cpu_that_multiplies_it():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert network_dtype("float32", cpu) == torch.float32
    assert network_dtype("bfloat16", cpu) == torch.bfloat16
    assert network_dtype("auto", cpu) == (torch.bfloat16 if cpu_multiplies_bfloat16() else torch.float32)
    assert network_dtype("auto", cuda) == network_dtype("bfloat16", cuda) == torch.float32
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        network_dtype("half", cpu)


def test_a_bfloat16_copy_keeps_the_rotary_table_and_gives_float32_within_its_rounding(one_thread):
    bundle = load_model(device="cpu")
    model = bundle.model.eval()
    copy = with_weights(model, torch.bfloat16)
    assert with_weights(model, torch.float32) is model
    assert copy.motion_in.weight.dtype == torch.bfloat16 and model.motion_in.weight.dtype == torch.float32
    assert copy.rotation.dtype == torch.complex64 and torch.equal(copy.rotation, model.rotation)
    assert bundle.network(torch.device("cpu"), torch.bfloat16) is bundle.network(torch.device("cpu"), torch.bfloat16)

    cfg, g = model.config, torch.Generator().manual_seed(0)
    shapes = [(2, cfg.frames, cfg.pose_dim), (2, cfg.frames, cfg.audio_dim), (2, cfg.frames, cfg.text_dim),
              (2, cfg.seed_frames, cfg.pose_dim)]
    x, audio, text, seed = (torch.randn(s, generator=g) for s in shapes)
    args = (torch.tensor([900, 40]), audio, text, seed, torch.ones(2, dtype=torch.bool), torch.tensor([0, 3]))
    with torch.inference_mode():
        full, half = model(x, *args), copy(x, *args)
    assert half.dtype == torch.float32
    relative = float((half - full).norm() / full.norm())
    assert 1e-4 < relative < 0.03, relative  # rounded (not the float32 network), but only by bfloat16's 8 bits


def test_bfloat16_sampling_makes_the_float32_motion_to_its_rounding(one_thread):
    bundle = load_model(device="cpu")
    rng = np.random.default_rng(4)
    frames = 150
    audio = rng.normal(size=(frames, bundle.config.audio_dim)).astype(np.float32)
    text = np.zeros((frames, bundle.config.text_dim), np.float32)
    made = {p: generate_motion_features(bundle, audio, text, "Happy", strength=2.5, seed=5, device="cpu",
                                        precision=p) for p in ("float32", "bfloat16")}
    other_seed = generate_motion_features(bundle, audio, text, "Happy", strength=2.5, seed=6, device="cpu",
                                          precision="float32")
    rounding = np.abs(made["bfloat16"] - made["float32"]).mean()
    assert 0 < rounding < 0.2 * np.abs(other_seed - made["float32"]).mean()


@pytest.mark.bad_input
def test_an_unknown_precision_is_refused_with_the_choices():
    assert options_from_settings({"precision": "BFloat16"}).precision == "bfloat16"
    with pytest.raises(OpenHumanError, match="unknown precision 'fp8'; choose one of auto, float32, bfloat16"):
        options_from_settings({"precision": "fp8"})
    bundle = load_model(device="cpu")
    with pytest.raises(OpenHumanError, match="unknown precision"):
        generate_motion_features(bundle, np.zeros((10, bundle.config.audio_dim), np.float32),
                                 np.zeros((10, bundle.config.text_dim), np.float32), "Happy", precision="fp8")
