"""Analytic two-bone IK (arms and legs) with an elbow/knee pole, and bone-aiming rotations.

All functions take (F, 3) world positions and return per-frame results, vectorised over frames.
"""
from __future__ import annotations

import numpy as np

from ..motion import quat

_MAX_REACH = 0.985  # of the chain length: a fully straight limb has no defined bend plane


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def solve_two_bone(root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray,
                   min_reach: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Elbow (knee) and reachable end positions for a chain root -> middle -> end.

    The end is pulled onto the reachable shell when the target is too far or too near; the middle
    joint bends towards `pole` (a direction, (F, 3) or (3,)).
    """
    to_target = target - root
    dist = np.linalg.norm(to_target, axis=-1, keepdims=True)
    direction = _unit(to_target)
    lo = max(abs(l1 - l2) + 1e-3, min_reach)
    d = np.clip(dist, lo, _MAX_REACH * (l1 + l2))
    end = root + direction * d
    cos_a = np.clip((l1 * l1 + d * d - l2 * l2) / (2.0 * l1 * d), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a * cos_a)
    pole = np.broadcast_to(pole, target.shape)
    bend = pole - (pole * direction).sum(-1, keepdims=True) * direction
    # a pole along the limb: any perpendicular will do
    fallback = np.cross(direction, np.array([0.0, 0.0, 1.0]))
    bend = np.where(np.linalg.norm(bend, axis=-1, keepdims=True) < 1e-6, fallback, bend)
    middle = root + l1 * (cos_a * direction + sin_a * _unit(bend))
    return middle, end


def aim(bone_rest: np.ndarray, axis_rest: np.ndarray, bone: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """World rotations (F, 4) taking the rest bone direction onto `bone` and the rest axis towards `axis`."""
    b0 = _unit(np.asarray(bone_rest, dtype=np.float64))
    a0 = _unit(axis_rest - (axis_rest @ b0) * b0)
    rest = np.stack([b0, a0, np.cross(b0, a0)], axis=-1)  # columns
    b = _unit(bone)
    a = _unit(axis - (axis * b).sum(-1, keepdims=True) * b)
    want = np.stack([b, a, np.cross(b, a)], axis=-1)
    return quat.from_matrix(want @ rest.T)


def limb_world_rotations(upper_root: np.ndarray, middle: np.ndarray, end: np.ndarray,
                         upper_rest: np.ndarray, lower_rest: np.ndarray, hinge_rest: np.ndarray,
                         fallback_hinge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World rotations of the upper and lower bone of a hinge limb.

    The hinge axis is the normal of the plane root-middle-end, signed like hinge_rest is for
    the rest bone directions; both bones share it, so the middle joint is a pure hinge.
    """
    u = _unit(middle - upper_root)
    f = _unit(end - middle)
    hinge = np.cross(u, f)
    weak = np.linalg.norm(hinge, axis=-1, keepdims=True) < 1e-4
    hinge = np.where(weak, np.broadcast_to(fallback_hinge, hinge.shape), hinge)
    return aim(upper_rest, hinge_rest, u, hinge), aim(lower_rest, hinge_rest, f, hinge)


def local_from_world(parent_world: np.ndarray, child_world: np.ndarray) -> np.ndarray:
    return quat.multiply(quat.conjugate(parent_world), child_world)


def segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points (F, N, 3) to segments a-b (F, 3) and the closest segment points (F, N, 3)."""
    a = a[:, None]
    ab = b[:, None] - a
    t = np.clip(((points - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
    closest = a + t[..., None] * ab
    return np.linalg.norm(points - closest, axis=-1), closest


def push_out(points: np.ndarray, capsules: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """(F, N, 3) offsets that move each point out of every capsule (a, b, radius) it is inside."""
    offset = np.zeros_like(points)
    for a, b, radius in capsules:
        dist, closest = segment_distance(points + offset, a, b)
        depth = np.maximum(radius - dist, 0.0)
        away = _unit(points + offset - closest)
        offset += away * depth[..., None]
    return offset
