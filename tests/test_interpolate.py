"""A model between a parent and its fine-tuned child (training/interpolate.py)."""
import numpy as np
import pytest
import torch

from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig
from openhuman.engine.diffusion.modelfile import load_model_file, save_model_file
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
from openhuman.training.interpolate import interpolate_models, main
from helpers import tiny_config

CFG = DenoiserConfig(**tiny_config(pose_dim=7, frames=16, seed_frames=4))
EMOTIONS = ["Happy", "Sad", "Neutral"]


def model_file(path, seed, mean=0.0, config=CFG):
    torch.manual_seed(seed)
    return save_model_file(path, Denoiser(config), np.full(config.pose_dim, mean, np.float32),
                           np.ones(config.pose_dim, np.float32), fps=20.0, audio_features={"dims": config.audio_dim},
                           text_features={"dims": config.text_dim}, emotions=EMOTIONS[:config.n_emotions],
                           skeleton=zeggs_skeleton().to_dict(), training={"steps": seed + 6})


def test_the_weights_lie_on_the_line_between_parent_and_child(tmp_path):
    parent, child = model_file(tmp_path / "p.safetensors", 0), model_file(tmp_path / "c.safetensors", 1)
    assert main([str(parent), str(child), "--weight", "0.25", "--out", str(tmp_path / "new" / "m.safetensors")]) == 0  # folder made
    mixed = load_model_file(tmp_path / "new" / "m.safetensors")
    p, c = load_model_file(parent).model.state_dict(), load_model_file(child).model.state_dict()
    for name, value in mixed.model.state_dict().items():
        torch.testing.assert_close(value, 0.75 * p[name] + 0.25 * c[name])
    assert mixed.metadata["training"]["interpolated"]["weight"] == 0.25
    assert mixed.metadata["training"]["interpolated"]["child"]["file"] == "c.safetensors"
    assert mixed.metadata["training"]["steps"] == 7  # the child's record, as the last training run
    ends = interpolate_models(load_model_file(parent), load_model_file(child), 0.0).state_dict()
    assert all(torch.equal(ends[name], p[name]) for name in p)


def test_models_that_are_not_parent_and_child_are_refused(tmp_path):
    parent = load_model_file(model_file(tmp_path / "p.safetensors", 0))
    shifted = load_model_file(model_file(tmp_path / "s.safetensors", 1, mean=0.5))
    with pytest.raises(OpenHumanError, match="normalise motion differently"):
        interpolate_models(parent, shifted, 0.5)
    wider = DenoiserConfig(**{**CFG.to_dict(), "latent": 2 * CFG.latent})
    other = load_model_file(model_file(tmp_path / "o.safetensors", 1, config=wider))
    with pytest.raises(OpenHumanError, match="differ in architecture"):
        interpolate_models(parent, other, 0.5)
    with pytest.raises(OpenHumanError, match="between 0"):
        interpolate_models(parent, parent, 1.5)
