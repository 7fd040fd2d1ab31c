"""Helpers shared by the test modules: where things are, and running a script in a fresh Blender."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
VOICE = REPO / "examples" / "voice.wav"
DATA = TESTS / "data"
SPEECH = REPO.parent / "shared" / "data" / "speech"  # LibriVox clips in ../shared

# A Blender script prelude: the add-on enabled and an OpenHuman armature made; its settings are `s`.
ADDON_SCENE = """import json, bpy
bpy.ops.preferences.addon_enable(module="openhuman")
bpy.ops.openhuman.create_armature()
scene = bpy.context.scene
s = scene.openhuman
"""


def run_blender(script: str, prelude: str = "import bpy\n", timeout: int = 600, env: dict | None = None,
                cwd=None, with_output: bool = False):
    """Run ``prelude + script`` in a fresh Blender (the bpy module in a new Python) and return the
    last line it printed as ``JSON:{...}``, parsed (with everything it printed when ``with_output``).
    The tests folder is on its import path, so scripts can import these helpers."""
    code = prelude + textwrap.dedent(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
           **(env or {})}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd)
    lines = [line[5:] for line in done.stdout.splitlines() if line.startswith("JSON:")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1])
    return (result, done.stdout) if with_output else result


def tiny_config(**overrides) -> dict:
    """The arguments of a tiny DenoiserConfig (fast on a CPU), with ``overrides``."""
    return dict(pose_dim=9, audio_dim=4, text_dim=3, frames=10, seed_frames=2, n_emotions=3,
                latent=16, heads=2, layers=1, local_window=2, dropout=0.0) | overrides


def feature_slice(spec: dict, name: str) -> slice:
    """The columns that hold the part ``name`` of a feature spec (its ``parts``: name and dims, in order)."""
    start = 0
    for part, dims in spec["parts"]:
        if part == name:
            return slice(start, start + dims)
        start += dims
    raise KeyError(name)


def feature_part(spec: dict, features, name: str):
    """The part ``name`` of per-frame ``features`` (frames x dims) made by ``spec``; spec first, for partial()."""
    return features[:, feature_slice(spec, name)]


def tiny_model_file(path: Path, **overrides) -> Path:
    """A small untrained model file with real weights (fast to sample; motion not meaningful)."""
    import numpy as np
    import torch

    from openhuman.engine.conditions.audio_features import audio_feature_spec
    from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig
    from openhuman.engine.diffusion.modelfile import save_model_file
    from openhuman.engine.constants import DEFAULT_EMOTIONS
    from openhuman.engine.motion.pose import DIMS
    from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
    from openhuman.engine.conditions.text_features import text_feature_spec

    torch.manual_seed(0)
    cfg = DenoiserConfig(pose_dim=DIMS, audio_dim=audio_feature_spec()["dims"], text_dim=text_feature_spec()["dims"],
                         frames=80, seed_frames=8, n_emotions=6, latent=32, heads=2, layers=1, local_window=4)
    mean = overrides.pop("mean", np.zeros(DIMS, np.float32))
    std = overrides.pop("std", np.full(DIMS, 0.05, np.float32))
    return save_model_file(path, Denoiser(cfg), mean, std, fps=20.0, audio_features=audio_feature_spec(),
                           text_features=text_feature_spec(), emotions=list(DEFAULT_EMOTIONS),
                           skeleton=zeggs_skeleton().to_dict(), training={"note": "untrained test model"},
                           **overrides)


def extension_builder() -> Path:
    """Blender's extension builder inside the bpy wheel (bl_pkg's blender_ext.py), found without importing bpy."""
    from importlib.util import find_spec

    (root,) = find_spec("bpy").submodule_search_locations
    (script,) = Path(root).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py")
    return script
