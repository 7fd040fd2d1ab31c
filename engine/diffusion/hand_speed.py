"""A cap on how fast the hands move: the sampled motion low-passed harder, only around its too-fast frames.

A real speaker's hands stay under about 2.7 m/s relative to the hips (the ZeroEGGs take: 2.73; the
issue's captures 1.8–2.4), and the procedural teacher holds its wrists under 2.6–2.8 m/s
(engine/procedural/synthesiser.py). The sampler now and then throws a hand faster than any person does (3.1–3.4 m/s
on a real reading, README, Real speech). `limit_hand_speed` finds the frames where a hand, relative to
the hips in the body's ground frame, is faster than the limit and blends in a stronger Gaussian low-pass
there, with a smooth weight that fades out over a few frames, raising the low-pass until no frame is over
(or the strongest has been tried). Frames away from the fast ones keep their features exactly.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from ..motion import pose, quat
from ..motion.motion import Skeleton

HAND_SPEED_LIMIT = 2.7  # m/s: the fastest hand of the real ZeroEGGs take
HAND_JOINTS = ("LeftHand", "RightHand")
LIMIT_SIGMAS = (1.5, 2.0, 3.0, 4.0, 6.0)  # frames of the low-pass blended in, tried in turn
REACH = 3  # frames each side of a too-fast frame that share the low-pass (fading out)


def hand_speeds(features: np.ndarray, skeleton: Skeleton, fps: float) -> np.ndarray:
    """(F, 2) speed (m/s) of the left and right hand relative to the hips, in the body's ground frame."""
    x = np.asarray(features, np.float64)
    if len(x) < 2:
        return np.zeros((len(x), 2))
    joints = [skeleton.index(n) for n in HAND_JOINTS]
    positions, _ = pose.decode(x, skeleton, fps, joints).world_transforms()
    hands = positions[:, joints] - positions[:, :1]
    ground = quat.conjugate(quat.normalize(x[:, pose.SLICES["ROOT_ROT"]]))
    return np.linalg.norm(np.gradient(quat.rotate(ground[:, None], hands), 1.0 / fps, axis=0), axis=-1)


def limit_hand_speed(features: np.ndarray, skeleton: Skeleton, fps: float, limit: float = HAND_SPEED_LIMIT,
                     keep=None) -> np.ndarray:
    """Features whose hands stay under ``limit`` m/s where a stronger low-pass can make them; frames the
    mask ``keep`` holds are left exactly as they are. ``limit`` <= 0: unchanged."""
    x = np.asarray(features, np.float32)
    if limit <= 0 or len(x) < 3:
        return x
    out = x
    for sigma in LIMIT_SIGMAS:
        over = hand_speeds(out, skeleton, fps).max(1) > limit
        if keep is not None:
            over &= ~keep
        if not over.any():
            break
        # Full strength on the fast frames and their neighbours, fading to nothing REACH frames further out.
        weight = gaussian_filter1d(maximum_filter1d(over.astype(np.float64), 2 * REACH + 1), REACH / 2.0, truncate=2.0)
        weight = np.clip(weight, 0.0, 1.0)
        weight[over] = 1.0
        smooth = gaussian_filter1d(np.asarray(out, np.float64), sigma, axis=0, mode="nearest")
        out = (out + weight[:, None] * (smooth - out)).astype(np.float32)
        if keep is not None:
            out[keep] = x[keep]
    return out
