"""Save a generated motion: BVH (centimetres, like ZeroEGGs) or NPZ (metres, with settings)."""
import json
from pathlib import Path

import numpy as np

from . import bvh
from .atomic_file import atomic_path
from .motion import Motion, Skeleton


def save_motion(path, motion: Motion, settings: dict | None = None) -> None:
    path = Path(path)
    if path.suffix.lower() == ".bvh":
        bvh.save(path, motion.scaled(100.0))
        return
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, root_positions=motion.root_positions, rotations=motion.rotations, fps=motion.fps,
                 skeleton=json.dumps(motion.skeleton.to_dict()), settings=json.dumps(settings or {}))


def load_motion_npz(path) -> Motion:
    with np.load(path, allow_pickle=False) as d:
        return Motion(d["root_positions"], d["rotations"], float(d["fps"]),
                      Skeleton.from_dict(json.loads(str(d["skeleton"]))))
