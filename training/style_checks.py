"""Kinematic descriptors of motion on the 75-joint skeleton, for style and calibration checks.

- `style_quantities(motion)`: the quantities of training/style_reference.py (measured there on
  the Bandai-Namco captures by training/style_measure.py), computed the same way on our skeleton:
  body frame with its origin under the hips and its facing from the hip and shoulder lines,
  hands = <side>Hand joints, shoulders = <side>Arm joints. `duration` is the one quantity
  defined differently, since speech has no "same action" to time: the mean length of a
  movement unit (hand speed from one minimum to the next; units peaking below a quarter of the
  clip's 95th-percentile speed are skipped).
- `calibration_measures(motion)`: mean hand speed, hand height (above the hips) mean and
  spread, and the fraction of still frames, compared with real ZeroEGGs capture.
- `window_descriptors(motion)`: per-window feature vectors for the style classifier.
- `fit_logistic` / `predict_logistic` / `confusion_matrix`: multinomial logistic regression in numpy.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import savgol_filter

from ..engine.motion import quat
from ..engine.motion.motion import Motion
from .style_measure import mean_frequency

STILL_SPEED = 0.1  # m/s: a frame is still when both hands move slower than this
_UP = np.array([0.0, 1.0, 0.0])
_SAVGOL = 9
HAND_JOINTS = ("LeftHand", "RightHand")


class Kinematics:
    """World positions and rotations of a motion plus its per-frame body frame (left, up, forward)."""

    def __init__(self, motion: Motion):
        self.fps = motion.fps
        self.names = {n: i for i, n in enumerate(motion.skeleton.names)}
        missing = [n for n in ("Hips", "Neck", "Head", "LeftArm", "RightArm", "LeftHand", "RightHand",
                               "LeftUpLeg", "RightUpLeg") if n not in self.names]
        if missing:
            raise ValueError(f"the motion lacks joints {missing}: it is not on the 75-joint ZeroEGGs skeleton")
        self.positions, self.rotations = motion.world_transforms()
        self.head_axis = motion.skeleton.offsets[self.names["Head"]]
        self.head_axis = self.head_axis / np.linalg.norm(self.head_axis)
        hips = _horizontal_unit(np.cross(self.joint("LeftUpLeg") - self.joint("RightUpLeg"), _UP))
        shoulders = _horizontal_unit(np.cross(self.joint("LeftArm") - self.joint("RightArm"), _UP))
        size = max(1, round(self.fps))
        self.facing = _horizontal_unit(uniform_filter1d(hips + shoulders, size=size, axis=0, mode="nearest"))
        self.left = np.cross(_UP, self.facing)

    def joint(self, name: str) -> np.ndarray:
        return self.positions[:, self.names[name]]

    def local(self, points: np.ndarray) -> np.ndarray:
        """(F, ..., 3) world points in the body frame: (left, up, forward) from under the hips."""
        shape = (-1,) + (1,) * (points.ndim - 2) + (3,)
        origin = (self.joint("Hips") * np.array([1.0, 0.0, 1.0])).reshape(shape)
        d = points - origin
        return np.stack([(d * self.left.reshape(shape)).sum(-1), d[..., 1], (d * self.facing.reshape(shape)).sum(-1)], -1)

    def hands(self) -> np.ndarray:
        """(F, 2, 3) left and right hand in the body frame."""
        return self.local(self.positions[:, [self.names[n] for n in HAND_JOINTS]])


def _horizontal_unit(v: np.ndarray) -> np.ndarray:
    v = v * np.array([1.0, 0.0, 1.0])
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _sagittal_deg(v: np.ndarray, facing: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2((v * facing).sum(-1), v[..., 1]))


def movement_unit_duration(speed: np.ndarray, fps: float) -> float:
    """Mean seconds between consecutive minima of the (F,) hand speed, over units that really move."""
    s = uniform_filter1d(speed, max(3, int(round(0.25 * fps)) | 1))  # 0.25 s: tremor does not cut units
    interior = np.nonzero((s[1:-1] <= s[:-2]) & (s[1:-1] < s[2:]))[0] + 1
    cuts = np.concatenate([[0], interior, [len(s) - 1]])
    floor = 0.25 * np.percentile(s, 95)
    lengths = [(b - a) / fps for a, b in zip(cuts[:-1], cuts[1:]) if b > a and s[a:b + 1].max() > floor]
    return float(np.mean(lengths)) if lengths else float(len(s) / fps)


def style_quantities(motion: Motion, kin: Kinematics | None = None) -> dict[str, float]:
    """The style_reference quantities of one clip (whole clip; see the module docstring)."""
    k = kin or Kinematics(motion)
    dt = 1.0 / k.fps
    hips, neck, head = k.joint("Hips"), k.joint("Neck"), k.joint("Head")
    head_up = quat.rotate(k.rotations[:, k.names["Head"]], k.head_axis)
    hands_world = k.positions[:, [k.names[n] for n in HAND_JOINTS]]
    shoulders = k.positions[:, [k.names["LeftArm"], k.names["RightArm"]]]
    hands = k.hands()
    velocity = np.gradient(hands, dt, axis=0)
    speed = np.linalg.norm(velocity, axis=-1)
    window = min(_SAVGOL, len(hands) - (1 - len(hands) % 2))
    jerk = savgol_filter(hands, window, 3, deriv=3, delta=dt, axis=0) if window > 3 else np.zeros_like(hands)
    spread = np.sqrt(((hands - hands.mean(0)) ** 2).sum(-1).mean(0))
    left, right = speed[:, 0], speed[:, 1]
    symmetry = 0.0 if left.std() < 1e-9 or right.std() < 1e-9 else float(np.corrcoef(left, right)[0, 1])
    return {
        "lean_deg": float(np.median(_sagittal_deg(neck - hips, k.facing))),
        "head_height_m": float(np.median(head[:, 1])),
        "head_pitch_deg": float(np.median(_sagittal_deg(head_up, k.facing))),
        "shoulder_height_m": float(np.median(shoulders[..., 1].mean(1))),
        "hand_height_m": float(np.median(hands_world[..., 1].mean(1) - hips[:, 1])),
        "hand_speed": float(speed.mean()),
        "amplitude": float(spread.mean()),
        "duration": movement_unit_duration(speed.sum(1), k.fps),
        "frequency": mean_frequency(velocity, k.fps),
        "jerk": float(np.linalg.norm(jerk, axis=-1).mean()),
        "symmetry": symmetry,
    }


def calibration_measures(motion: Motion, kin: Kinematics | None = None) -> dict[str, float]:
    """Hand speed (m/s), hand height above the hips (mean and std, m), hand spread (m), still fraction."""
    k = kin or Kinematics(motion)
    hands = k.hands()
    hips_y = k.joint("Hips")[:, 1]
    height = k.positions[:, [k.names[n] for n in HAND_JOINTS], 1] - hips_y[:, None]
    speed = np.linalg.norm(np.gradient(hands, 1.0 / k.fps, axis=0), axis=-1)
    return {
        "hand_speed": float(speed.mean()),
        "hand_height_mean": float(height.mean()),
        "hand_height_std": float(height.std(0).mean()),
        "hand_spread": float(np.sqrt(((hands - hands.mean(0)) ** 2).sum(-1).mean(0)).mean()),
        "still_fraction": float((speed.max(1) < STILL_SPEED).mean()),
    }


# --- per-window descriptors for the classifier ---------------------------------------------------

DESCRIPTOR_NAMES = (
    "hand_speed", "hand_speed_p90", "hand_height", "hand_height_std", "hand_spread", "hand_width",
    "hand_forward", "hand_jerk", "hand_symmetry", "hand_asymmetry", "still_fraction", "tremor",
    "lean", "head_pitch", "head_roll", "head_height", "head_speed", "shoulder_height", "hips_height",
    "hips_side", "hips_bob", "finger_curl", "elbow_out", "palm_up",
)


def window_descriptors(motion: Motion, window_s: float = 4.0, hop_s: float = 2.0,
                       kin: Kinematics | None = None) -> np.ndarray:
    """(W, len(DESCRIPTOR_NAMES)) descriptors of consecutive windows (the last partial one dropped)."""
    k = kin or Kinematics(motion)
    fps = k.fps
    n, size, hop = len(k.positions), int(round(window_s * fps)), max(1, int(round(hop_s * fps)))
    hands = k.hands()
    vel = np.gradient(hands, 1.0 / fps, axis=0)
    speed = np.linalg.norm(vel, axis=-1)
    jerk = np.linalg.norm(np.gradient(np.gradient(vel, axis=0), axis=0), axis=-1) * fps * fps
    acc_hf = hands - uniform_filter1d(hands, 3, axis=0)  # what a 3-frame average removes: tremor
    hips = k.joint("Hips")
    hips_local = k.local(hips[:, None])[:, 0]
    head = k.joint("Head")
    head_up = quat.rotate(k.rotations[:, k.names["Head"]], k.head_axis)
    head_speed = np.degrees(quat.angle_between(k.rotations[1:, k.names["Head"]], k.rotations[:-1, k.names["Head"]])) * fps
    head_speed = np.concatenate([head_speed[:1], head_speed])
    roll = np.degrees(np.arcsin(np.clip((head_up * k.left).sum(-1), -1.0, 1.0)))
    lean = _sagittal_deg(k.joint("Neck") - hips, k.facing)
    pitch = _sagittal_deg(head_up, k.facing)
    shoulders = k.positions[:, [k.names["LeftArm"], k.names["RightArm"]], 1].mean(1)
    tips = [k.names[f"{s}Hand{f}4"] for s in ("Left", "Right") for f in ("Index", "Middle", "Ring", "Pinky")]
    wrists = [k.names["LeftHand"]] * 4 + [k.names["RightHand"]] * 4
    curl = np.linalg.norm(k.positions[:, tips] - k.positions[:, wrists], axis=-1).mean(1)
    elbows = k.local(k.positions[:, [k.names["LeftForeArm"], k.names["RightForeArm"]]])
    palm_up = np.stack([quat.rotate(k.rotations[:, k.names[n]], np.array([0.0, -1.0, 0.0]))[:, 1]
                        for n in HAND_JOINTS], axis=1).mean(1)  # the rest palm faces -Y
    out = []
    for a in range(0, n - size + 1, hop):
        w = slice(a, a + size)
        h, s = hands[w], speed[w]
        sym = np.corrcoef(s[:, 0], s[:, 1])[0, 1] if s[:, 0].std() > 1e-6 and s[:, 1].std() > 1e-6 else 0.0
        out.append([
            s.mean(), np.percentile(s, 90), h[..., 1].mean() - hips[w, 1].mean(), h[..., 1].std(0).mean(),
            np.sqrt(((h - h.mean(0)) ** 2).sum(-1).mean()), np.abs(h[:, 0, 0] - h[:, 1, 0]).mean(),
            h[..., 2].mean(), np.log(jerk[w].mean() + 1e-6), sym,
            abs(np.log((s[:, 0].mean() + 1e-3) / (s[:, 1].mean() + 1e-3))), (s.max(1) < STILL_SPEED).mean(),
            np.log(np.linalg.norm(acc_hf[w], axis=-1).mean() + 1e-6),
            lean[w].mean(), pitch[w].mean(), roll[w].mean(), head[w, 1].mean(), head_speed[w].mean(),
            shoulders[w].mean(), hips[w, 1].mean(), hips_local[w, 0].mean(), hips[w, 1].std(), curl[w].mean(),
            np.abs(elbows[w][..., 0]).mean(), palm_up[w].mean(),
        ])
    return np.array(out, dtype=np.float64).reshape(-1, len(DESCRIPTOR_NAMES))


# --- logistic regression -------------------------------------------------------------------------

def fit_logistic(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-3, steps: int = 3000,
                 lr: float = 0.5) -> dict:
    """Multinomial logistic regression by full-batch gradient descent on standardised features."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w = np.zeros((z.shape[1], n_classes))
    b = np.zeros(n_classes)
    onehot = np.eye(n_classes)[y]
    for _ in range(steps):
        logits = z @ w + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(z)
        w -= lr * (z.T @ g + l2 * w)
        b -= lr * g.sum(0)
    return {"mean": mean, "std": std, "w": w, "b": b}


def predict_logistic(model: dict, x: np.ndarray) -> np.ndarray:
    return np.argmax(((x - model["mean"]) / model["std"]) @ model["w"] + model["b"], axis=1)


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (truth, predicted), 1)
    return m


# --- comparing styles with the reference table ---------------------------------------------------

# Below these sizes a captured difference is "no change" (measurement noise of the captures);
# the synthesiser must then also stay within twice the size. Ratios are compared as |log ratio|.
NEGLIGIBLE = {"lean_deg": 1.0, "head_height_m": 0.008, "head_pitch_deg": 2.0, "shoulder_height_m": 0.008,
              "hand_height_m": 0.015, "hand_speed": 0.05, "amplitude": 0.05, "duration": 0.05,
              "frequency": 0.04, "jerk": 0.05, "symmetry": 0.08}


def relative(values: dict[str, float], neutral: dict[str, float], kind: dict[str, str]) -> dict[str, float]:
    """Each quantity relative to neutral: log ratio for 'ratio' quantities, difference for 'offset'."""
    return {q: (math.log(values[q] / neutral[q]) if kind[q] == "ratio" else values[q] - neutral[q]) for q in kind}


def agreement(ours: float, captured: float, quantity: str) -> tuple[bool, str]:
    """Same sign and within a factor of two (both relative, log ratios for ratios), or both negligible."""
    small = NEGLIGIBLE[quantity]
    if abs(captured) < small:
        return abs(ours) < 2.0 * small, "negligible"
    if ours * captured <= 0.0:
        return False, "sign"
    factor = ours / captured
    return 0.5 <= factor <= 2.0, f"x{factor:.2f}"
