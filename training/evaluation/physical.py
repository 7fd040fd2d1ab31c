"""Physical plausibility: smooth window seams, planted feet, hands outside the body.

- `seam_acceleration_ratio`: a long clip is generated window by window; where windows meet
  (the crossfade region at each window start) the motion must not jerk. Joint acceleration
  (mean over joints of |second difference of world positions|·fps², m/s²) is summarised as its
  largest value over a region as wide as a seam region; the ratio is the mean of that maximum
  at the seams over its mean at every equally wide region away from them. 1: seams are like
  any other moment; well above 1: visible jumps.
- `foot_sliding`: mean horizontal speed (m/s) of the foot and toe joints while in contact with
  the ground (within CONTACT_MARGIN of the lowest height that joint reaches in the clip).
- `hand_penetration`: with training/gesture_detectors.clearance (capsules around trunk, neck
  and head that no hand or finger joint may enter), checked over consecutive chunks of
  CHUNK_S seconds: the fraction of chunks where a joint went inside, and the deepest intrusion
  (only halves of the motion that intrude are searched further, so clean motion costs one check).
"""
from __future__ import annotations

import numpy as np

from ...engine.motion.motion import Motion
from ..gesture_detectors import clearance

FOOT_JOINTS = ("LeftFoot", "LeftToeBase", "RightFoot", "RightToeBase")
CONTACT_MARGIN = 0.02
CHUNK_S = 0.25


def joint_acceleration(motion: Motion, world: np.ndarray | None = None) -> np.ndarray:
    """(F,) mean joint acceleration magnitude (m/s²); the first and last frames repeat their neighbours'.
    `world`: the motion's world joint positions, if at hand."""
    p = motion.world_positions() if world is None else world
    acc = np.zeros(motion.n_frames)
    if motion.n_frames >= 3:
        acc[1:-1] = np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1).mean(1) * motion.fps ** 2
        acc[0], acc[-1] = acc[1], acc[-2]
    return acc


def seam_regions(starts: list[int], overlap: int, n_frames: int) -> list[tuple[int, int]]:
    """Frames [a, b) around each seam: the frame before a window start through its crossfade."""
    width = max(overlap, 1) + 2
    return [(s - 1, s - 1 + width) for s in starts[1:] if s - 1 >= 0 and s - 1 + width <= n_frames]


def seam_acceleration_ratio(motions: list[Motion], starts: list[int], overlap: int,
                            worlds: list[np.ndarray] | None = None) -> float:
    """Over a set of motions generated with windows starting at `starts`: seam maxima / elsewhere maxima."""
    at, away = [], []
    for k, motion in enumerate(motions):
        acc = joint_acceleration(motion, None if worlds is None else worlds[k])
        regions = seam_regions(starts, overlap, len(acc))
        if not regions:
            continue
        width = regions[0][1] - regions[0][0]
        near = np.zeros(len(acc), bool)
        for a, b in regions:
            at.append(acc[a:b].max())
            near[max(0, a - width + 1):b] = True  # regions starting here would overlap the seam
        away += [acc[i:i + width].max() for i in range(len(acc) - width + 1) if not near[i]]
    if not at or not away:
        raise ValueError("need motions long enough to hold a seam and regions away from it")
    return float(np.mean(at) / max(np.mean(away), 1e-12))


def foot_sliding(motion: Motion, world: np.ndarray | None = None) -> float:
    """Mean horizontal speed (m/s) of foot joints in ground contact; 0 without contact frames."""
    names = motion.skeleton.names
    p = (motion.world_positions() if world is None else world)[:, [names.index(j) for j in FOOT_JOINTS]]
    if motion.n_frames < 2:
        return 0.0
    height = p[..., 1]
    contact = height <= height.min(0) + CONTACT_MARGIN
    step = np.linalg.norm(np.diff(p[..., [0, 2]], axis=0), axis=-1) * motion.fps
    both = contact[1:] & contact[:-1]
    return float(step[both].mean()) if both.any() else 0.0


def hand_penetration(motion: Motion) -> dict[str, float]:
    """Fraction of CHUNK_S chunks with a hand or finger joint inside the body, and the deepest intrusion (m)."""
    size = max(1, int(round(CHUNK_S * motion.fps)))
    chunks = max(1, motion.n_frames // size)
    inside: list[float] = []

    def search(a: int, b: int) -> None:  # chunks [a, b): only halves that intrude are looked into
        depth = -min(clearance(motion.slice(a * size, b * size)).values())
        if depth <= 0:
            return
        if b - a == 1:
            inside.append(depth)
            return
        mid = (a + b) // 2
        search(a, mid)
        search(mid, b)

    search(0, chunks)
    return {"fraction": len(inside) / chunks, "depth_m": max(inside, default=0.0)}
