"""The method's 1141-dim pose features: `encode(motion)` and `decode(features, skeleton, fps)`.

Motion must be in metres, Y up, the character facing +Z in its rest pose (the ZeroEGGs
convention). The "root" is the character's ground frame: the Hips projected onto the floor
(y = 0), turned about Y only, to face where the Hips face. Slices of one frame, in order:

| slice       | dims | meaning                                                         | frame, units                  |
|-------------|------|-----------------------------------------------------------------|-------------------------------|
| ROOT_POS    | 3    | root position (Hips on the floor)                               | world, m                      |
| ROOT_ROT    | 4    | root rotation, quaternion w x y z (yaw only)                    | world                         |
| ROOT_VEL    | 3    | root linear velocity                                            | root frame, m/s               |
| ROOT_ANGVEL | 3    | root angular velocity (rotation vector rate)                    | root frame, rad/s             |
| POS         | 225  | joint positions, 75 × 3                                         | root frame, m                 |
| ROT6D       | 450  | joint rotations, 75 × 6 (first two matrix columns); Hips       | Hips: root frame; others:     |
|             |      | relative to the root, every other joint relative to its parent  | parent frame                  |
| VEL         | 225  | joint linear velocities, 75 × 3                                 | root frame (of the frame), m/s|
| ANGVEL      | 225  | joint angular velocities of the ROT6D rotations, 75 × 3         | parent frame, rad/s           |
| GAZE        | 3    | head forward direction (the Head's +Z), unit vector             | root frame                    |

Velocities are backward differences (frame t minus t−1, times fps); frame 0 repeats frame 1's.
`decode` rebuilds the motion from ROOT_POS, ROOT_ROT, POS[Hips] and ROT6D alone; the other
slices are redundant descriptions the network learns from.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import quat
from .motion import Motion, Skeleton

N_JOINTS = 75
_SIZES = (
    ("ROOT_POS", 3),
    ("ROOT_ROT", 4),
    ("ROOT_VEL", 3),
    ("ROOT_ANGVEL", 3),
    ("POS", N_JOINTS * 3),
    ("ROT6D", N_JOINTS * 6),
    ("VEL", N_JOINTS * 3),
    ("ANGVEL", N_JOINTS * 3),
    ("GAZE", 3),
)


def _slices() -> dict[str, slice]:
    out, start = {}, 0
    for name, size in _SIZES:
        out[name] = slice(start, start + size)
        start += size
    return out


SLICES = _slices()
DIMS = sum(size for _, size in _SIZES)
assert DIMS == 1141
FORWARD = np.array([0.0, 0.0, 1.0])
UP = np.array([0.0, 1.0, 0.0])
HEAD_JOINT = "Head"


def _backward_diff(x: np.ndarray, fps: float) -> np.ndarray:
    d = np.zeros_like(x)
    if len(x) > 1:
        d[1:] = (x[1:] - x[:-1]) * fps
        d[0] = d[1]
    return d


def _angular_velocity(q: np.ndarray, fps: float) -> np.ndarray:
    """Rate of the rotation vector taking frame t−1 to t, in the rotation's parent frame."""
    w = np.zeros(q.shape[:-1] + (3,))
    if len(q) > 1:
        w[1:] = quat.log(quat.multiply(q[1:], quat.conjugate(q[:-1]))) * fps
        w[0] = w[1]
    return w


def root_frame(hips_pos: np.ndarray, hips_rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground position (F, 3) and yaw rotation (F, 4) of the character's root."""
    pos = hips_pos * np.array([1.0, 0.0, 1.0])
    fwd = quat.rotate(hips_rot, np.broadcast_to(FORWARD, hips_pos.shape))
    yaw = np.arctan2(fwd[:, 0], fwd[:, 2])
    # Hips facing straight up or down have no yaw: keep the last good one.
    flat = np.hypot(fwd[:, 0], fwd[:, 2]) < 1e-6
    if np.any(flat):
        good = np.nonzero(~flat)[0]
        yaw = np.interp(np.arange(len(yaw)), good, yaw[good]) if len(good) else np.zeros_like(yaw)
    yaw = np.unwrap(yaw)
    return pos, quat.from_axis_angle(np.broadcast_to(UP, pos.shape), yaw)


def encode(motion: Motion) -> np.ndarray:
    """(F, 1141) float32 features of a motion on the 75-joint skeleton, in metres."""
    sk = motion.skeleton
    if sk.n_joints != N_JOINTS:
        raise ValueError(f"pose features need the {N_JOINTS}-joint skeleton, this motion has {sk.n_joints} joints")
    f, fps = motion.n_frames, motion.fps
    world_pos, world_rot = motion.world_transforms()
    root_pos, root_rot = root_frame(world_pos[:, 0], world_rot[:, 0])
    inv_root = quat.conjugate(root_rot)[:, None, :]

    local_rot = motion.rotations.copy()
    local_rot[:, 0] = quat.multiply(quat.conjugate(root_rot), world_rot[:, 0])
    local_rot = quat.normalize(local_rot)

    out = np.empty((f, DIMS), dtype=np.float64)
    out[:, SLICES["ROOT_POS"]] = root_pos
    out[:, SLICES["ROOT_ROT"]] = root_rot
    out[:, SLICES["ROOT_VEL"]] = quat.rotate(quat.conjugate(root_rot), _backward_diff(root_pos, fps))
    out[:, SLICES["ROOT_ANGVEL"]] = quat.rotate(quat.conjugate(root_rot), _angular_velocity(root_rot, fps))
    rel = quat.rotate(inv_root, world_pos - root_pos[:, None, :])
    out[:, SLICES["POS"]] = rel.reshape(f, -1)
    out[:, SLICES["ROT6D"]] = quat.to_6d(local_rot).reshape(f, -1)
    vel = quat.rotate(inv_root, _backward_diff(world_pos, fps))
    out[:, SLICES["VEL"]] = vel.reshape(f, -1)
    out[:, SLICES["ANGVEL"]] = _angular_velocity(local_rot, fps).reshape(f, -1)
    head = sk.index(HEAD_JOINT)
    gaze = quat.rotate(quat.multiply(quat.conjugate(root_rot), world_rot[:, head]), np.broadcast_to(FORWARD, (f, 3)))
    out[:, SLICES["GAZE"]] = gaze
    return out.astype(np.float32)


def decode(features: np.ndarray, skeleton: Skeleton, fps: float, joints=None) -> Motion:
    """A valid Motion from features, even inconsistent or non-finite ones (the network's output).

    ``joints``: only these joints' transforms are wanted, so only their chains' rotations are read and the
    others are left at rest (the hand-speed cap's two hands: 13 of the 75 joints, half the time)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != DIMS:
        raise ValueError(f"features must be (F, {DIMS}), got {x.shape}")
    if skeleton.n_joints != N_JOINTS:
        raise ValueError(f"pose features describe {N_JOINTS} joints, the skeleton has {skeleton.n_joints}")
    x = np.where(np.isfinite(x), x, 0.0)
    f = x.shape[0]
    root_pos = x[:, SLICES["ROOT_POS"]]
    root_rot = quat.normalize(x[:, SLICES["ROOT_ROT"]])
    six = x[:, SLICES["ROT6D"]].reshape(f, N_JOINTS, 6)
    if joints is None:
        local = quat.from_6d(six)
    else:
        chains = sorted({a for j in joints for a in skeleton.ancestors(j)})
        local = np.zeros((f, N_JOINTS, 4))
        local[..., 0] = 1.0
        local[:, chains] = quat.from_6d(six[:, chains])
    rotations = local.copy()
    rotations[:, 0] = quat.multiply(root_rot, local[:, 0])
    hips_rel = x[:, SLICES["POS"]].reshape(f, N_JOINTS, 3)[:, 0]
    hips_pos = root_pos + quat.rotate(root_rot, hips_rel)
    return Motion(hips_pos, quat.normalize(rotations), fps, skeleton)


class Normaliser:
    """Per-dimension mean and std of features, with a floor so constant dimensions stay finite."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if self.mean.shape != self.std.shape or self.mean.ndim != 1:
            raise ValueError("mean and std must be 1-D arrays of the same length")

    @classmethod
    def fit(cls, feature_arrays, std_floor: float = 1e-3) -> "Normaliser":
        """Statistics over (F_i, D) arrays, streamed (Welford-style sums in float64)."""
        count, total, total_sq = 0, None, None
        for a in feature_arrays:
            a = np.asarray(a, dtype=np.float64)
            if total is None:
                total, total_sq = np.zeros(a.shape[1]), np.zeros(a.shape[1])
            count += a.shape[0]
            total += a.sum(0)
            total_sq += (a * a).sum(0)
        if not count:
            raise ValueError("no frames to compute normalisation statistics from")
        mean = total / count
        var = np.maximum(total_sq / count - mean * mean, 0.0)
        return cls(mean, np.maximum(np.sqrt(var), std_floor))

    def normalise(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)

    def denormalise(self, x: np.ndarray) -> np.ndarray:
        return (x * self.std + self.mean).astype(np.float32)

    def save(self, path) -> None:
        from safetensors.numpy import save_file

        save_file({"mean": self.mean, "std": self.std}, str(path), metadata={"kind": "openhuman-normaliser"})

    @classmethod
    def load(cls, path) -> "Normaliser":
        from safetensors.numpy import load_file

        d = load_file(str(Path(path)))
        return cls(d["mean"], d["std"])
