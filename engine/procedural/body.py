"""Trunk, shoulders and legs: posture from the style, breathing, sway, weight shifts, planted feet.

Local joint rotations use the skeleton's rest frames (all aligned with the world: Y up,
facing +Z, the character's left is +X). Pitch + bends forward, yaw + turns left, roll +
tilts the top towards the character's left.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion import quat
from .arm_ik import limb_world_rotations, local_from_world, solve_two_bone
from .idle import breathing, minjerk, smooth_noise, weight_shifts
from .styles import Style

HIPS_HEIGHT = 0.870359  # rest height of the Hips joint: the legs are straight there
ANKLE_HEIGHT = 0.10  # as in ZeroEGGs capture, with the foot pitched down FOOT_PITCH_DEG
FOOT_PITCH_DEG = 25.0
SPINE = ("Spine", "Spine1", "Spine2", "Spine3")
_X, _Y, _Z = np.eye(3)


def euler(pitch_deg, yaw_deg, roll_deg) -> np.ndarray:
    """(F, 4) rotations yaw * pitch * roll from per-frame angles in degrees (sign convention above)."""
    p, y, r = (np.radians(np.asarray(a, dtype=np.float64)) for a in (pitch_deg, yaw_deg, roll_deg))
    return quat.multiply(quat.multiply(quat.from_axis_angle(_Y, y), quat.from_axis_angle(_X, p)),
                         quat.from_axis_angle(-_Z, r))


@dataclass
class Trunk:
    hips_position: np.ndarray  # (F, 3)
    hips_rotation: np.ndarray  # (F, 4)
    spine: np.ndarray  # (F, 4, 4) local rotations of SPINE
    clavicle: dict[str, np.ndarray]  # side -> (F, 4) local rotation of <side>Shoulder
    breath: np.ndarray  # (F,) -1..1


def trunk(t: np.ndarray, style: Style, rng: np.random.Generator, twist: np.ndarray, raise_r: np.ndarray,
          raise_l: np.ndarray, bounce: np.ndarray) -> Trunk:
    """Trunk pose per frame. twist: torso yaw (deg) towards the gesturing hands; raise_*: clavicle
    lift (deg) from high hands and shrugs; bounce: hips dip (m) on beats."""
    n = len(t)
    breath = breathing(rng, t, style.breath_hz)
    shift = weight_shifts(rng, t, 0.012 * style.idle, style.hip_shift_m)
    sway_x = shift + 0.004 * style.idle * smooth_noise(rng, t, 0.2)
    sway_z = 0.004 * style.idle * smooth_noise(rng, t, 0.15)
    lean = style.lean_deg
    hips = np.stack([sway_x,
                     np.full(n, HIPS_HEIGHT - style.knee_bend_m) - bounce,
                     sway_z - 0.0035 * lean], axis=1)
    # weight on one leg: the free side's hip drops (pelvis roll), the trunk leans back over the feet
    pelvis_roll = -60.0 * shift
    hips_rot = euler(0.4 * lean + 0.5 * smooth_noise(rng, t, 0.1) * style.idle,
                     1.5 * style.idle * smooth_noise(rng, t, 0.08) + 0.2 * twist,
                     pelvis_roll)
    spine_pitch = 0.6 * lean / 4.0 - breath * 0.6
    slump = style.slump_deg
    per_joint_pitch = [spine_pitch - 0.55 * slump, spine_pitch - 0.45 * slump,
                       spine_pitch + 0.45 * slump - breath * 0.4, spine_pitch + 0.55 * slump - breath * 0.4]
    counter_roll = -0.6 * pelvis_roll / 4.0 + 0.5 * style.idle * smooth_noise(rng, t, 0.12)
    spine = np.stack([euler(p, 0.2 * twist, counter_roll) for p in per_joint_pitch], axis=1)
    clav = {}
    for side, extra in (("Right", raise_r), ("Left", raise_l)):
        sign = np.array([1.0, -1.0, -1.0]) if side == "Left" else np.ones(3)
        up = np.radians(style.shoulder_raise_deg + 1.2 * breath + extra)
        fwd = np.radians(np.full(n, style.shoulder_forward_deg))
        rotvec = up[:, None] * (-_Z * sign) + fwd[:, None] * (_Y * sign)
        clav[side] = quat.exp(rotvec)
    return Trunk(hips, hips_rot, spine, clav, breath)


def leg_rotations(hips_position: np.ndarray, hips_rotation: np.ndarray, skeleton, side: str,
                  stance_x: float = 0.125, toe_out_deg: float = 8.0) -> dict[str, np.ndarray]:
    """Local rotations of <side>UpLeg, Leg and Foot that keep the foot planted flat on the floor."""
    up_leg, leg, foot = (skeleton.index(f"{side}{n}") for n in ("UpLeg", "Leg", "Foot"))
    thigh, shin = skeleton.offsets[leg], skeleton.offsets[foot]
    sign = -1.0 if side == "Right" else 1.0
    hip = hips_position + quat.rotate(hips_rotation, skeleton.offsets[up_leg])
    ankle = np.array([sign * stance_x, ANKLE_HEIGHT, -0.01])
    pole = np.array([sign * 0.15, 0.0, 1.0])
    knee, end = solve_two_bone(hip, np.broadcast_to(ankle, hip.shape), np.linalg.norm(thigh), np.linalg.norm(shin), pole)
    upper_w, lower_w = limb_world_rotations(hip, knee, end, thigh, shin, _X, _X)
    # the skeleton's rest foot is level with the ankle: pitch it down so the ball of the foot
    # is on the floor, and bend the toes back up to lie flat
    foot_q = quat.multiply(quat.from_axis_angle(_Y, np.radians(-sign * toe_out_deg)),
                           quat.from_axis_angle(_X, np.radians(FOOT_PITCH_DEG)))
    foot_w = np.broadcast_to(foot_q, upper_w.shape)
    return {
        f"{side}UpLeg": local_from_world(hips_rotation, upper_w),
        f"{side}Leg": local_from_world(upper_w, lower_w),
        f"{side}Foot": local_from_world(lower_w, foot_w),
        f"{side}ToeBase": np.broadcast_to(quat.from_axis_angle(_X, np.radians(-FOOT_PITCH_DEG)), upper_w.shape),
    }


def beat_bounce(t: np.ndarray, beats: list[float], depth: float) -> np.ndarray:
    """Hips dip of `depth` metres on each beat time (down 0.15 s, up 0.3 s)."""
    out = np.zeros(len(t))
    if depth <= 0.0:
        return out
    for b in beats:
        down = minjerk((t - b + 0.15) / 0.15)
        up = minjerk((t - b) / 0.3)
        out = np.maximum(out, depth * down * (1.0 - up))
    return out
