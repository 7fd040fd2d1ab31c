"""Rotation maths on numpy arrays: unit quaternions (w, x, y, z), matrices, Euler angles, 6D.

Every function works on arrays with any leading shape; the rotation lives in the last axis
(or the last two, for matrices). Angles are in radians unless a name says degrees.
"""
from __future__ import annotations

import numpy as np

_AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def identity(shape=()) -> np.ndarray:
    q = np.zeros(tuple(shape) + (4,))
    q[..., 0] = 1.0
    return q


def normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternions; a zero or non-finite quaternion becomes the identity."""
    q = np.asarray(q, dtype=np.float64)
    q = np.where(np.isfinite(q), q, 0.0)
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    bad = norm[..., 0] < 1e-12
    out = q / np.where(norm < 1e-12, 1.0, norm)
    if np.any(bad):
        out[bad] = (1.0, 0.0, 0.0, 0.0)
    return out


def conjugate(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a·b: apply b first, then a."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def left_matrix(a: np.ndarray) -> np.ndarray:
    """4×4 matrices L with L(a) @ q == multiply(a, q)."""
    w, x, y, z = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    return np.stack([np.stack(r, -1) for r in ([w, -x, -y, -z], [x, w, -z, y], [y, z, w, -x], [z, -y, x, w])], -2)


def right_matrix(b: np.ndarray) -> np.ndarray:
    """4×4 matrices R with R(b) @ q == multiply(q, b)."""
    w, x, y, z = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack([np.stack(r, -1) for r in ([w, -x, -y, -z], [x, w, z, -y], [y, -z, w, x], [z, y, -x, w])], -2)


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v by unit quaternions q (q·v·q⁻¹)."""
    w = q[..., :1]
    u = q[..., 1:]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def canonical(q: np.ndarray) -> np.ndarray:
    """The same rotations with w >= 0 (q and -q are one rotation)."""
    return np.where(q[..., :1] < 0.0, -q, q)


def from_axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64)
    angle = np.asarray(angle, dtype=np.float64)[..., None]
    axis = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)
    return np.concatenate([np.cos(angle / 2.0), axis * np.sin(angle / 2.0)], axis=-1)


def to_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def from_matrix(m: np.ndarray) -> np.ndarray:
    """Quaternions of rotation matrices (Shepperd's method, branch per element)."""
    m = np.asarray(m, dtype=np.float64)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    trace = m00 + m11 + m22
    candidates = np.stack(
        [
            np.stack([1 + trace, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1),
            np.stack([m[..., 2, 1] - m[..., 1, 2], 1 + m00 - m11 - m22, m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0]], -1),
            np.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0], 1 - m00 + m11 - m22, m[..., 1, 2] + m[..., 2, 1]], -1),
            np.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1], 1 - m00 - m11 + m22], -1),
        ],
        axis=-2,
    )
    choice = np.argmax(np.stack([trace, m00, m11, m22], -1), axis=-1)
    q = np.take_along_axis(candidates, choice[..., None, None], axis=-2)[..., 0, :]
    return canonical(normalize(q))


def _axis_matrix(axis: str, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(angle), np.zeros_like(angle)
    if axis == "X":
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == "Y":
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return np.stack([np.stack(r, -1) for r in rows], -2)


def euler_to_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """R = R_order[0](a0) · R_order[1](a1) · R_order[2](a2), the BVH channel convention."""
    angles = np.asarray(angles, dtype=np.float64)
    m = _axis_matrix(order[0], angles[..., 0])
    for i in (1, 2):
        m = m @ _axis_matrix(order[i], angles[..., i])
    return m


def euler_to_quat(angles: np.ndarray, order: str) -> np.ndarray:
    angles = np.asarray(angles, dtype=np.float64)
    q = from_axis_angle(np.eye(3)[_AXIS_INDEX[order[0]]], angles[..., 0])
    for i in (1, 2):
        q = multiply(q, from_axis_angle(np.eye(3)[_AXIS_INDEX[order[i]]], angles[..., i]))
    return q


def matrix_to_euler(m: np.ndarray, order: str) -> np.ndarray:
    """Angles (a0, a1, a2) with euler_to_matrix(angles, order) == m; three distinct axes."""
    i, j, k = (_AXIS_INDEX[a] for a in order)
    sign = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    # cos(a1) from the two other entries of row i: arcsin near ±1 loses half the digits.
    cos_a1 = np.hypot(m[..., i, i], m[..., i, j])
    a1 = np.arctan2(sign * m[..., i, k], cos_a1)
    a0 = np.arctan2(-sign * m[..., j, k], m[..., k, k])
    a2 = np.arctan2(-sign * m[..., i, j], m[..., i, i])
    # Gimbal lock: a0 and a2 share one degree of freedom; put it all in a0.
    locked = cos_a1 < 1e-7
    if np.any(locked):
        a2 = np.where(locked, 0.0, a2)
        a0_locked = np.arctan2(sign * m[..., k, j], m[..., j, j])
        a0 = np.where(locked, a0_locked, a0)
    return np.stack([a0, a1, a2], -1)


def quat_to_euler(q: np.ndarray, order: str) -> np.ndarray:
    return matrix_to_euler(to_matrix(q), order)


def to_6d(q: np.ndarray) -> np.ndarray:
    """The first two columns of the rotation matrix, as (c0x, c0y, c0z, c1x, c1y, c1z)."""
    m = to_matrix(q)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def matrix_from_6d(d6: np.ndarray) -> np.ndarray:
    """Gram-Schmidt on two (possibly noisy) columns; degenerate input gives the identity."""
    d6 = np.where(np.isfinite(d6), d6, 0.0)
    a, b = d6[..., :3], d6[..., 3:6]
    na = np.linalg.norm(a, axis=-1, keepdims=True)
    a_ok = na[..., 0] > 1e-9
    c0 = np.where(a_ok[..., None], a / np.maximum(na, 1e-9), np.array([1.0, 0.0, 0.0]))
    b = b - np.sum(c0 * b, axis=-1, keepdims=True) * c0
    nb = np.linalg.norm(b, axis=-1, keepdims=True)
    b_ok = nb[..., 0] > 1e-9
    # When b is parallel to c0 pick any perpendicular axis: a valid rotation beats a NaN.
    helper = np.where(np.abs(c0[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    fallback = helper - np.sum(c0 * helper, -1, keepdims=True) * c0
    fallback /= np.linalg.norm(fallback, axis=-1, keepdims=True)
    c1 = np.where(b_ok[..., None], b / np.maximum(nb, 1e-9), fallback)
    c2 = np.cross(c0, c1)
    return np.stack([c0, c1, c2], axis=-1)


def from_6d(d6: np.ndarray) -> np.ndarray:
    return from_matrix(matrix_from_6d(d6))


def log(q: np.ndarray) -> np.ndarray:
    """Rotation vector (axis × angle, radians) of the shortest rotation equal to q."""
    q = canonical(normalize(q))
    v = q[..., 1:]
    s = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    scale = np.where(s > 1e-12, angle / np.maximum(s, 1e-12), 2.0)
    return v * scale


def exp(rotvec: np.ndarray) -> np.ndarray:
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    half = angle / 2.0
    scale = np.where(angle > 1e-12, np.sin(half) / np.maximum(angle, 1e-12), 0.5)
    return np.concatenate([np.cos(half), rotvec * scale], axis=-1)


def slerp(q0: np.ndarray, q1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation along the shorter arc; t broadcasts against q[..., 0]."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0.0, -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-6
    w0 = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / np.where(near, 1.0, sin_theta))
    w1 = np.where(near, t, np.sin(t * theta) / np.where(near, 1.0, sin_theta))
    return normalize(w0 * q0 + w1 * q1)


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation angle (radians) taking a to b."""
    dot = np.abs(np.sum(normalize(a) * normalize(b), axis=-1))
    return 2.0 * np.arccos(np.clip(dot, 0.0, 1.0))
