"""Save a generated motion: BVH (centimetres, like ZeroEGGs) or NPZ (metres, with settings)."""
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from . import bvh
from .motion import Motion, Skeleton


def save_motion(path, motion: Motion, settings: dict | None = None) -> None:
    path = Path(path)
    if path.suffix.lower() == ".bvh":
        bvh.save(path, motion.scaled(100.0))
        return
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=path.parent)
    os.close(fd)
    try:
        np.savez(tmp, root_positions=motion.root_positions, rotations=motion.rotations, fps=motion.fps,
                 skeleton=json.dumps(motion.skeleton.to_dict()), settings=json.dumps(settings or {}))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_motion_npz(path) -> Motion:
    with np.load(path, allow_pickle=False) as d:
        return Motion(d["root_positions"], d["rotations"], float(d["fps"]),
                      Skeleton.from_dict(json.loads(str(d["skeleton"]))))
