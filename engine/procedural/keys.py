"""Key poses of the arms, and how long the phases of a gesture take in a style.

A key pose is a vector: the wrist position in the chest frame (origin at the Spine3 joint,
x to the character's left, y up, z forward), how much the arm hangs at rest instead, the palm's
direction, wrist flexion and deviation, how far the elbow points out, whether the pose is a
lexicon gesture (PRECISE: nothing is added on top of it), and weights over the hand shapes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hands import SHAPES, shape_vector
from .styles import Style

SIDES = ("Right", "Left")
SIDE_SIGN = {"Right": -1.0, "Left": 1.0}  # the character's right is -X

# pose vector layout; PRECISE = 1 on semantic gestures: no wandering or flicks on top of them
POS, REST, PALM, FLEX, DEV, ELBOW, PRECISE = slice(0, 3), 3, slice(4, 7), 7, 8, 9, 10
SHAPE = slice(11, 11 + len(SHAPES))
POSE_DIMS = 11 + len(SHAPES)


def pose(pos, palm=(0.0, 1.0, 0.0), flex=0.0, dev=0.0, elbow=0.45, shape="relaxed", rest=0.0) -> np.ndarray:
    """A key pose: wrist position (chest frame), palm normal direction, wrist angles (deg), hand shape."""
    v = np.zeros(POSE_DIMS)
    v[POS] = pos
    v[REST] = rest
    palm = np.asarray(palm, dtype=np.float64)
    v[PALM] = palm / max(np.linalg.norm(palm), 1e-9)
    v[FLEX], v[DEV], v[ELBOW] = flex, dev, elbow
    v[SHAPE] = shape_vector(**{shape: 1.0}) if isinstance(shape, str) else shape
    return v


def rest_pose(side: str) -> np.ndarray:
    """Arm hanging: the position is filled in per frame from the shoulder (rest weight 1)."""
    s = SIDE_SIGN[side]
    return pose((s * 0.2, -0.5, 0.05), palm=(-s, 0.0, 0.0), elbow=0.3, shape="relaxed", rest=1.0)


@dataclass
class Action:
    """One gesture on one arm: its keys (time, pose, ease) and the stroke's apex time."""

    keys: list[tuple[float, np.ndarray, float]]
    apex: float
    kind: str  # 'beat' or a template name
    prep: float | None = None  # seconds to prepare the stroke; None: the style's prep_time

    @property
    def first(self) -> float:
        return self.keys[0][0]

    @property
    def last(self) -> float:
        return self.keys[-1][0]


def low_ready_pose(side: str, style: Style) -> np.ndarray:
    """Hands lowered in front of the belly, waiting for the next gesture within a phrase."""
    s = SIDE_SIGN[side]
    return pose((s * 0.17, -0.32 + 0.5 * style.height_m, 0.18 + style.forward_m), palm=(-s, 0.4, 0.0),
                elbow=0.3, shape="relaxed")


def stroke_time(style: Style) -> float:
    return float(np.clip(0.36 / style.speed, 0.12, 1.6))


def prep_time(style: Style) -> float:
    return float(np.clip(0.6 / style.speed, 0.2, 2.0))


def retract_time(style: Style) -> float:
    return float(np.clip(0.6 / style.speed, 0.3, 2.0))
