"""Finger poses: named hand shapes blended by weight, turned into local finger-joint rotations.

Angles are degrees of flexion for the three joints of each finger (base, middle, tip) and a
sideways spread at the base. In the rest pose the fingers lie along -X (right hand) or +X (left)
with the palm facing -Y, so a right finger flexes about +Z and a left one about -Z.
"""
from __future__ import annotations

import numpy as np

from ..motion import quat

FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")
SHAPES = ("relaxed", "open", "point", "fist", "pinch", "cup")

# shape -> finger -> (flex base, flex middle, flex tip, spread); spread + = towards the thumb
_SHAPE_ANGLES = {
    "relaxed": {"Thumb": (12, 12, 8, 0), "Index": (14, 20, 10, 2), "Middle": (20, 26, 12, 0),
                "Ring": (26, 30, 14, -2), "Pinky": (32, 32, 16, -5)},
    "open": {"Thumb": (-5, 0, 0, 10), "Index": (2, 3, 2, 8), "Middle": (3, 3, 2, 0),
             "Ring": (4, 4, 2, -8), "Pinky": (5, 4, 2, -15)},
    "point": {"Thumb": (35, 30, 20, 0), "Index": (0, 2, 0, 3), "Middle": (80, 100, 55, 0),
              "Ring": (85, 100, 55, 0), "Pinky": (88, 100, 55, 0)},
    "fist": {"Thumb": (38, 40, 30, 0), "Index": (80, 100, 60, 0), "Middle": (85, 100, 60, 0),
             "Ring": (88, 100, 60, 0), "Pinky": (90, 100, 60, 0)},
    "pinch": {"Thumb": (38, 22, 18, 0), "Index": (40, 45, 25, 0), "Middle": (30, 35, 18, 0),
              "Ring": (40, 45, 20, 0), "Pinky": (50, 50, 25, 0)},
    "cup": {"Thumb": (20, 15, 10, 5), "Index": (25, 28, 18, 1), "Middle": (27, 30, 18, 0),
            "Ring": (29, 32, 18, -1), "Pinky": (31, 34, 18, -3)},
}
_ANGLES = np.radians(np.array([[[_SHAPE_ANGLES[s][f][k] for k in range(4)] for f in FINGERS] for s in SHAPES]))

# Rotation axes of the right hand; the left hand mirrors them in X, which flips Y and Z of an axis.
_FLEX_AXIS_RIGHT = np.array([0.0, 0.0, 1.0])
_THUMB_FLEX_AXIS_RIGHT = np.array([0.0, -1.0, 0.5]) / np.linalg.norm([0.0, -1.0, 0.5])
_SPREAD_AXIS_RIGHT = np.array([0.0, 1.0, 0.0])
_MIRROR = np.array([1.0, -1.0, -1.0])


def finger_joint_names(side: str) -> list[str]:
    """The 15 bending joints of one hand ('Right' or 'Left'), finger by finger, base first."""
    return [f"{side}Hand{finger}{k}" for finger in FINGERS for k in (1, 2, 3)]


def shape_vector(**weights: float) -> np.ndarray:
    """A weight vector over SHAPES, e.g. shape_vector(point=1.0)."""
    v = np.zeros(len(SHAPES))
    for name, w in weights.items():
        v[SHAPES.index(name)] = w
    return v


def finger_rotations(weights: np.ndarray, side: str, tension=0.0) -> np.ndarray:
    """(F, 15, 4) local rotations of finger_joint_names(side) for (F, len(SHAPES)) shape weights.

    tension in [-1, 1] (a number or one per frame) closes (+) or loosens (-) every finger a
    little, on top of the shapes.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    angles = np.einsum("fs,sgk->fgk", w, _ANGLES)  # (F, 5 fingers, 4)
    tension = np.reshape(np.asarray(tension, dtype=np.float64), (-1, 1, 1))
    flex = angles[..., :3] * (1.0 + 0.25 * tension) + np.radians(6.0) * tension  # (F, 5, 3)
    spread = angles[..., 3] * (1.0 - 0.3 * tension[..., 0])
    sign = _MIRROR if side == "Left" else np.ones(3)
    axes = np.stack([_THUMB_FLEX_AXIS_RIGHT] + [_FLEX_AXIS_RIGHT] * 4) * sign  # (5, 3)
    rotvec = flex[..., None] * axes[None, :, None, :]  # (F, 5, 3, 3)
    rotvec[:, :, 0] += spread[..., None] * (_SPREAD_AXIS_RIGHT * sign)
    return quat.exp(rotvec.reshape(len(w), 15, 3))
