"""Conversions between the engine's Y-up joint frames and Blender's Z-up bones.

Pure numpy (no bpy), so it is exercised directly by tests. The engine's characters face +Z
with Y up; Blender's face -Y with Z up: one rotation of +90° about X maps one to the other.
"""
from __future__ import annotations

import numpy as np

from ..engine.motion import quat
from ..engine.motion.retarget import continuous

# Engine (x, y, z) -> Blender (x, -z, y).
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
Q_Y_UP_TO_Z_UP = quat.from_matrix(Y_UP_TO_Z_UP)


def to_blender_vectors(v: np.ndarray) -> np.ndarray:
    return np.asarray(v) @ Y_UP_TO_Z_UP.T


def pose_basis_rotations(local_rotations: np.ndarray, bone_rest: np.ndarray) -> np.ndarray:
    """Pose-bone quaternions (F, J, 4) from engine local rotations (F, J, 4).

    bone_rest (J, 4) is each bone's rest orientation in armature space. The engine's joints
    rest with world-aligned axes, so a joint's local rotation L, seen by a bone whose rest
    orientation is B, is the basis rotation B⁻¹·C·L·C⁻¹·B.
    """
    c = Q_Y_UP_TO_Z_UP
    left = quat.multiply(quat.conjugate(bone_rest), c)  # per bone: B⁻¹·C
    right = quat.multiply(quat.conjugate(c), bone_rest)  # per bone: C⁻¹·B
    # One 4×4 matrix per bone applies both products at once: far faster than four multiplies.
    m = quat.left_matrix(left) @ quat.right_matrix(right)
    basis = np.einsum("jab,fjb->fja", m, local_rotations)
    return continuous(basis)


def root_basis_location_armature(root_in_armature: np.ndarray, root_rest_head: np.ndarray,
                                 root_rest: np.ndarray) -> np.ndarray:
    """Pose location (F, 3) of the root bone from its wanted head in armature space (rest frame offset)."""
    return quat.rotate(quat.conjugate(root_rest)[None], root_in_armature - root_rest_head)
