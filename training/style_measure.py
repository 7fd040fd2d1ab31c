"""Reads the Bandai-Namco motion dataset 1 captures and measures each take: one number per quantity.

Each capture is measured in world space (forward kinematics, metres, Y up) and in a body
frame that follows the character: origin on the floor under the hips, axes left / up /
facing, the facing (the horizontal perpendicular of the hip and shoulder lines) smoothed
over one second. Each file gives one number per quantity (QUANTITIES). The same `measure`
works on any skeleton given a joint map, so synthesised motion on the ZeroEGGs skeleton
(ZEGGS_JOINTS) is measured the same way. training/style_table.py turns the takes into the
style table; `python -m openhuman.training.style_stats` runs it all. Method and choices:
docs/emotion-styles.md.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import savgol_filter

from ..engine.motion import bvh, quat
from ..engine.errors import OpenHumanError
from ..engine.motion.motion import Motion

STYLES = ("normal", "happy", "sad", "angry", "old", "tired", "proud", "not-confident", "active")
# Ids in the JSON beside each BVH (the order of the dataset's style and content label lists).
STYLE_IDS = {"normal": 0, "happy": 1, "sad": 2, "angry": 3, "proud": 4, "not-confident": 5,
             "old": 9, "tired": 10, "active": 11}
CONTENT_IDS = {"walk": 0, "run": 1, "dash": 2, "walk-back": 3, "walk-right": 4, "walk-left": 5,
               "bow": 6, "bye": 7, "guide": 8, "byebye": 9}
# Waving contents: several of their takes begin and end mid-wave, so their length is where the
# capture was cut, not how long the actor took; they do not count towards `duration`.
OPEN_ENDED_CONTENTS = frozenset({"bye", "byebye"})

# Roles the measurement needs -> joint names, per skeleton.
BANDAI_JOINTS = {"hips": "Hips", "neck": "Neck", "head": "Head",
                 "upper_arm_l": "UpperArm_L", "upper_arm_r": "UpperArm_R", "hand_l": "Hand_L", "hand_r": "Hand_R",
                 "upper_leg_l": "UpperLeg_L", "upper_leg_r": "UpperLeg_R", "foot_l": "Foot_L", "foot_r": "Foot_R",
                 "toes_l": "Toes_L", "toes_r": "Toes_R"}
ZEGGS_JOINTS = {"hips": "Hips", "neck": "Neck", "head": "Head",
                "upper_arm_l": "LeftArm", "upper_arm_r": "RightArm", "hand_l": "LeftHand", "hand_r": "RightHand",
                "upper_leg_l": "LeftUpLeg", "upper_leg_r": "RightUpLeg", "foot_l": "LeftFoot", "foot_r": "RightFoot",
                "toes_l": "LeftToeBase", "toes_r": "RightToeBase"}


@dataclass(frozen=True)
class Quantity:
    name: str
    kind: str  # "ratio": style / normal;  "offset": style - normal
    unit: str  # unit of the per-file value (and of an offset)
    decimals: int  # rounding of the stored numbers
    meaning: str


QUANTITIES = (
    Quantity("lean_deg", "offset", "deg", 2,
             "forward lean of the hips->neck line from vertical in the sagittal plane (median), + = forward"),
    Quantity("head_height_m", "offset", "m", 4, "height of the head joint above the floor (median)"),
    Quantity("head_pitch_deg", "offset", "deg", 2,
             "forward tilt of the head's own axis from vertical in the sagittal plane (median), + = chin down"),
    Quantity("shoulder_height_m", "offset", "m", 4, "height of the two upper-arm (shoulder ball) joints (median)"),
    Quantity("hand_height_m", "offset", "m", 4, "height of the two hand (wrist) joints above the hips joint (median)"),
    Quantity("hand_speed", "ratio", "m/s", 3, "mean speed of the two wrists in the body frame, active span"),
    Quantity("amplitude", "ratio", "m", 3, "RMS distance of each wrist from its mean body-frame position, active span"),
    Quantity("duration", "ratio", "s", 3,
             "length of the active span; for locomotion seconds per metre travelled; not for waving contents"),
    Quantity("frequency", "ratio", "Hz", 3,
             "power-weighted mean frequency (0.2-5 Hz) of the wrists' body-frame velocity, active span"),
    Quantity("jerk", "ratio", "m/s^3", 3, "mean jerk magnitude of the wrists (Savitzky-Golay, 9 frames), active span"),
    Quantity("symmetry", "offset", "r", 3, "Pearson correlation of left and right wrist speed, active span"),
)
QUANTITY = {q.name: q for q in QUANTITIES}

_NAME = re.compile(r"^dataset-1_(?P<content>[a-z-]+)_(?P<style>[a-z-]+)_(?P<take>\d+)\.bvh$")
_UP = np.array([0.0, 1.0, 0.0])
_FLAT = np.array([1.0, 0.0, 1.0])
_ACTIVE_FLOOR = 0.02  # m/s: a frame whose mean joint speed is below this is at rest, whatever the take
_ACTIVE_FRACTION = 0.2  # of the take's 95th-percentile mean joint speed
_LOCOMOTION_M = 1.0  # hips travelling further than this make a take locomotion
_SAVGOL = 9
FREQUENCY_BAND_HZ = (0.2, 5.0)


# --- finding the files ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Capture:
    path: Path
    content: str
    style: str
    take: int


def find_captures(directory: Path) -> list[Capture]:
    """The dataset's BVH files in our nine styles, each checked against the JSON beside it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise OpenHumanError(f"{directory} is not a folder: pass --bandai with the folder of the "
                             "Bandai-Namco dataset-1 BVH files")
    found = []
    for path in sorted(directory.glob("dataset-1_*.bvh")):
        m = _NAME.match(path.name)
        if not m or m["style"] not in STYLE_IDS:
            continue
        capture = Capture(path, m["content"], m["style"], int(m["take"]))
        note = path.with_suffix(".json")
        if note.exists():
            _check_annotation(capture, note)
        found.append(capture)
    if not any(c.style == "normal" for c in found):
        raise OpenHumanError(f"{directory} holds no dataset-1_<content>_normal_<take>.bvh file: "
                             "pass --bandai with the folder of the Bandai-Namco dataset-1 BVH files")
    return found


def _check_annotation(capture: Capture, note: Path) -> None:
    try:
        ids = json.loads(note.read_text())
    except (OSError, ValueError) as exc:
        raise OpenHumanError(f"{note}: cannot read the annotation ({exc})") from None
    want_content = CONTENT_IDS.get(capture.content)
    if ids.get("style") != STYLE_IDS[capture.style] or (
            want_content is not None and ids.get("content") != want_content):
        raise OpenHumanError(f"{note} says content {ids.get('content')}, style {ids.get('style')}, but the file "
                             f"name says {capture.content}/{capture.style}: rename the file or fix its JSON")


# --- the body frame ------------------------------------------------------------------------------

@dataclass
class Body:
    """World joint positions (F, J, 3) in metres and rotations, a per-frame facing, and roles."""

    positions: np.ndarray
    rotations: np.ndarray
    facing: np.ndarray  # (F, 3) horizontal unit vectors
    fps: float
    index: dict  # role -> joint index
    head_axis: np.ndarray  # the head's own axis in its local frame

    def joint(self, role: str) -> np.ndarray:
        return self.positions[:, self.index[role]]

    def local(self, points: np.ndarray) -> np.ndarray:
        """(F, K, 3) world points in the body frame: (left, up, forward) from the floor under the hips."""
        d = points - (self.joint("hips") * _FLAT)[:, None]
        left = np.cross(_UP, self.facing)[:, None]
        return np.stack([(d * left).sum(-1), d[..., 1], (d * self.facing[:, None]).sum(-1)], -1)


def _horizontal_unit(v: np.ndarray) -> np.ndarray:
    v = v * _FLAT
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _head_axis(motion: Motion, head: int) -> np.ndarray:
    """The head bone's direction in its own frame: to its child, its end site, or along its chain."""
    skeleton = motion.skeleton
    for candidate in [skeleton.offsets[c] for c in skeleton.children(head)] + [skeleton.end_sites.get(head)]:
        if candidate is not None and np.linalg.norm(candidate) > 1e-6:
            return candidate / np.linalg.norm(candidate)
    return skeleton.offsets[head] / np.linalg.norm(skeleton.offsets[head])


def body_from_motion(motion: Motion, joints: dict = BANDAI_JOINTS, where: str = "motion") -> Body:
    """A Body from a Y-up motion in metres; finds its facing from the data and checks it against the feet."""
    missing = sorted(name for name in joints.values() if name not in motion.skeleton.names)
    if missing:
        raise OpenHumanError(f"{where}: joints {missing} are missing; give the joint map of this skeleton")
    if motion.n_frames < 2 * _SAVGOL:
        raise OpenHumanError(f"{where}: {motion.n_frames} frames are too few to measure (need {2 * _SAVGOL})")
    index = {role: motion.skeleton.index(name) for role, name in joints.items()}
    pos, rot = motion.world_transforms()
    stature = np.median(pos[:, index["head"], 1] - pos[:, index["toes_l"], 1])
    if not 0.5 < stature < 2.5:
        raise OpenHumanError(f"{where}: the head is {stature:.2f} above the toes along +Y; "
                             "expected a Y-up motion in metres (a BVH in centimetres needs .scaled(0.01))")
    # Facing: the horizontal perpendicular of the hip and shoulder lines, (left - right) x up.
    hip_line = pos[:, index["upper_leg_l"]] - pos[:, index["upper_leg_r"]]
    shoulder_line = pos[:, index["upper_arm_l"]] - pos[:, index["upper_arm_r"]]
    raw = _horizontal_unit(np.cross(hip_line, _UP)) + _horizontal_unit(np.cross(shoulder_line, _UP))
    facing = _horizontal_unit(uniform_filter1d(raw, size=max(1, round(motion.fps)), axis=0, mode="nearest"))
    # The feet must point that way too (length-weighted: a lifted foot's toes point down).
    toes = (pos[:, [index["toes_l"], index["toes_r"]]] - pos[:, [index["foot_l"], index["foot_r"]]]) * _FLAT
    if (toes * facing[:, None]).sum() < 0.5 * np.linalg.norm(toes, axis=-1).sum():
        raise OpenHumanError(f"{where}: the feet do not point where the hips and shoulders face; "
                             "cannot tell the character's facing (are left and right swapped in the joint map?)")
    return Body(pos, rot, facing, motion.fps, index, _head_axis(motion, index["head"]))


def body_of(path: Path) -> Body:
    """A Bandai-Namco dataset-1 capture (centimetres) as a Body in metres."""
    return body_from_motion(bvh.load(path).scaled(0.01), BANDAI_JOINTS, str(path))


# --- per-take quantities -------------------------------------------------------------------------

def active_span(body: Body) -> slice:
    """First to last frame where the mean body-frame joint speed is above rest level."""
    roles = [i for role, i in body.index.items() if role != "hips"]
    local = body.local(body.positions[:, roles])
    speed = np.linalg.norm(np.gradient(local, axis=0), axis=-1).mean(1) * body.fps
    threshold = max(_ACTIVE_FLOOR, _ACTIVE_FRACTION * np.percentile(speed, 95))
    moving = np.nonzero(speed > threshold)[0]
    if moving.size == 0 or moving[-1] - moving[0] + 1 < 2 * _SAVGOL:
        return slice(0, body.positions.shape[0])
    return slice(int(moving[0]), int(moving[-1]) + 1)


def _sagittal_angle_deg(v: np.ndarray, facing: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2((v * facing).sum(-1), v[..., 1]))


def mean_frequency(velocity: np.ndarray, fps: float, band_hz: tuple[float, float] = FREQUENCY_BAND_HZ) -> float:
    """Power-weighted mean frequency within `band_hz` of (F, ...) velocities (Hann window).

    The spectral peak was tried first: it jumps between a gesture's slow raise-and-lower and
    its fast wave, so its per-content ratios scattered two to five times as widely.
    """
    v = velocity.reshape(velocity.shape[0], -1)
    v = (v - v.mean(0)) * np.hanning(v.shape[0])[:, None]
    n = max(1024, 1 << int(math.ceil(math.log2(8 * v.shape[0]))))
    power = (np.abs(np.fft.rfft(v, n=n, axis=0)) ** 2).sum(1)
    freqs = np.fft.rfftfreq(n, 1.0 / fps)
    band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    return float((freqs[band] * power[band]).sum() / max(power[band].sum(), 1e-300))


def measure(body: Body) -> dict[str, float]:
    """One number per quantity: posture over all frames, hand motion over the active span.

    `frames` (the active span's length) rides along as the take's weight when pooling.
    """
    hips = body.joint("hips")
    head_up = quat.rotate(body.rotations[:, body.index["head"]], body.head_axis)
    wrists = body.positions[:, [body.index["hand_l"], body.index["hand_r"]]]
    shoulders = body.positions[:, [body.index["upper_arm_l"], body.index["upper_arm_r"]]]

    span = active_span(body)
    dt = 1.0 / body.fps
    hands = body.local(wrists)[span]
    velocity = np.gradient(hands, dt, axis=0)
    speed = np.linalg.norm(velocity, axis=-1)  # (F, 2)
    jerk = savgol_filter(hands, _SAVGOL, 3, deriv=3, delta=dt, axis=0)
    spread = np.sqrt(((hands - hands.mean(0)) ** 2).sum(-1).mean(0))  # per hand
    frames = span.stop - span.start
    travel = np.linalg.norm((hips[span.stop - 1] - hips[span.start]) * _FLAT)
    duration = frames * dt / travel if travel > _LOCOMOTION_M else frames * dt
    left, right = speed[:, 0], speed[:, 1]
    symmetry = 0.0 if min(left.std(), right.std()) < 1e-9 else float(np.corrcoef(left, right)[0, 1])
    return {
        "lean_deg": float(np.median(_sagittal_angle_deg(body.joint("neck") - hips, body.facing))),
        "head_height_m": float(np.median(body.joint("head")[:, 1])),
        "head_pitch_deg": float(np.median(_sagittal_angle_deg(head_up, body.facing))),
        "shoulder_height_m": float(np.median(shoulders[..., 1].mean(1))),
        "hand_height_m": float(np.median(wrists[..., 1].mean(1) - hips[:, 1])),
        "hand_speed": float(speed.mean()),
        "amplitude": float(spread.mean()),
        "duration": float(duration),
        "frequency": mean_frequency(velocity, body.fps),
        "jerk": float(np.linalg.norm(jerk, axis=-1).mean()),
        "symmetry": symmetry,
        "frames": float(frames),
    }
