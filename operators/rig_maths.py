"""Conversions between the engine's Y-up joint frames and Blender's Z-up bones.

Pure numpy (no bpy), so it is exercised directly by tests. The engine's characters face +Z
with Y up; Blender's face -Y with Z up: one rotation of +90° about X maps one to the other.
"""
from __future__ import annotations

import numpy as np


# Engine (x, y, z) -> Blender (x, -z, y).
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def to_blender_vectors(v: np.ndarray) -> np.ndarray:
    return np.asarray(v) @ Y_UP_TO_Z_UP.T
