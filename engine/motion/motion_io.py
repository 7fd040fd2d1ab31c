"""Save a generated motion: BVH (centimetres, like ZeroEGGs) or NPZ (metres, with settings)."""
import json
from pathlib import Path

import numpy as np

from . import bvh
from ..atomic_file import atomic_path
from .motion import Motion, Skeleton


def save_motion(path, motion: Motion, settings: dict | None = None) -> None:
    path = Path(path)
    if path.suffix.lower() == ".bvh":
        bvh.save(path, motion.scaled(100.0))
        return
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, root_positions=motion.root_positions, rotations=motion.rotations, fps=motion.fps,
                 skeleton=json.dumps(motion.skeleton.to_dict()), settings=json.dumps(settings or {}))


def load_motion(path) -> Motion:
    """A motion file as written by save_motion: BVH (centimetres) or NPZ, in metres."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return load_motion_npz(path)
    return bvh.load(path).scaled(0.01)


def save_edited_bvh(path, motion: Motion, old_path, remade: tuple[int, int]) -> bool:
    """Write motion as BVH keeping the old file's own text for every frame outside remade [a, b),
    so kept frames are byte-identical; True when it could (same hierarchy, frame count and rate),
    else the whole motion is written as usual and False returned."""
    from ..atomic_file import write_text

    new = bvh.dumps(motion.scaled(100.0)).splitlines()
    old = bvh._decode(Path(old_path).read_bytes(), str(old_path)).splitlines()
    n_new, n_old = _motion_start(new), _motion_start(old)
    same = (n_old is not None and _same_header(old[:n_old - 2], new[:n_new - 2])
            and len(old) - n_old == len(new) - n_new == motion.n_frames
            and abs(float(old[n_old - 1].split(":")[1]) - 1.0 / motion.fps) < 1e-6)
    if not same:
        write_text(path, "\n".join(new) + "\n")
        return False
    a, b = remade
    lines = old[:n_old + a] + new[n_new + a:n_new + b] + old[n_old + b:]
    write_text(path, "\n".join(lines) + "\n")
    return True


def _same_header(a: list[str], b: list[str]) -> bool:
    """The same hierarchy: the same words, and numbers equal to 1e-4 (offsets written twice may differ
    in their last digit)."""
    ta, tb = " ".join(a).split(), " ".join(b).split()
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb):
        if x == y:
            continue
        try:
            if abs(float(x) - float(y)) > 1e-4:
                return False
        except ValueError:
            return False
    return True


def _motion_start(lines: list[str]) -> int | None:
    """Index of the first frame line (after 'Frame Time:'), or None."""
    for i, line in enumerate(lines):
        if line.strip().lower().startswith("frame time"):
            return i + 1
    return None


def load_motion_npz(path) -> Motion:
    with np.load(path, allow_pickle=False) as d:
        return Motion(d["root_positions"], d["rotations"], float(d["fps"]),
                      Skeleton.from_dict(json.loads(str(d["skeleton"]))))
