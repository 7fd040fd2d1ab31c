"""How each acted style of the Bandai-Namco motion dataset 1 differs from `normal`.

Each capture is measured in world space (forward kinematics, metres, Y up) and in a body
frame that follows the character: origin on the floor under the hips, axes left / up /
facing, the facing (the horizontal perpendicular of the hip and shoulder lines) smoothed
over one second. Each file gives one number per quantity (QUANTITIES); a style's value for
a content is its ratio to, or offset from, the normal take of the same content; the
style's table value is the geometric mean of the ratios (arithmetic mean of the offsets)
over the contents. The same `measure` works on any skeleton given a joint map, so
synthesised motion on the ZeroEGGs skeleton (ZEGGS_JOINTS) is measured the same way.

    python -m openhuman.training.style_stats [--bandai DIR] [--json OUT] [--markdown OUT]
        [--plot OUT.png] [--write-reference engine/procedural/style_reference.py]
        [--update-doc docs/emotion-styles.md]

Only these statistics enter the project, never the captures. Method and choices:
docs/emotion-styles.md.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
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

EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
EMOTION_STYLE = {"Neutral": "normal", "Happy": "happy", "Sad": "sad", "Angry": "angry", "Old": "old"}
RELAXED_TOWARDS_TIRED = 0.5  # Relaxed lies this far from normal towards tired (log scale for ratios)

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


def _mean_frequency(velocity: np.ndarray, fps: float) -> float:
    """Power-weighted mean frequency within FREQUENCY_BAND_HZ of (F, ...) velocities (Hann window).

    The spectral peak was tried first: it jumps between a gesture's slow raise-and-lower and
    its fast wave, so its per-content ratios scattered two to five times as widely.
    """
    v = velocity.reshape(velocity.shape[0], -1)
    v = (v - v.mean(0)) * np.hanning(v.shape[0])[:, None]
    n = max(1024, 1 << int(math.ceil(math.log2(8 * v.shape[0]))))
    power = (np.abs(np.fft.rfft(v, n=n, axis=0)) ** 2).sum(1)
    freqs = np.fft.rfftfreq(n, 1.0 / fps)
    band = (freqs >= FREQUENCY_BAND_HZ[0]) & (freqs <= FREQUENCY_BAND_HZ[1])
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
        "frequency": _mean_frequency(velocity, body.fps),
        "jerk": float(np.linalg.norm(jerk, axis=-1).mean()),
        "symmetry": symmetry,
        "frames": float(frames),
    }


# --- from takes to the table ---------------------------------------------------------------------

def measure_all(directory: Path) -> dict[tuple[str, str], dict[str, float]]:
    """(content, style) -> quantities; several takes pool as one long take (frame-weighted mean)."""
    takes: dict[tuple[str, str], list[dict[str, float]]] = {}
    for capture in find_captures(directory):
        takes.setdefault((capture.content, capture.style), []).append(measure(body_of(capture.path)))
    pooled = {}
    for key, values in takes.items():
        weights = np.array([v["frames"] for v in values])
        pooled[key] = {q.name: float(np.average([v[q.name] for v in values], weights=weights)) for q in QUANTITIES}
    return pooled


def relative(pooled: dict[tuple[str, str], dict[str, float]]) -> dict[str, dict[str, dict[str, float]]]:
    """style -> quantity -> content -> ratio to / offset from normal of the same content."""
    contents = sorted({c for c, s in pooled if s == "normal"})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for style in STYLES:
        out[style] = {q.name: {} for q in QUANTITIES}
        for content in contents:
            if (content, style) not in pooled:
                continue
            mine, base = pooled[(content, style)], pooled[(content, "normal")]
            for q in QUANTITIES:
                if q.name == "duration" and content in OPEN_ENDED_CONTENTS:
                    continue
                value = mine[q.name] / base[q.name] if q.kind == "ratio" else mine[q.name] - base[q.name]
                out[style][q.name][content] = value
    return out


def _mean(kind: str, values) -> float:
    values = np.asarray(list(values), dtype=np.float64)
    return float(np.exp(np.log(values).mean()) if kind == "ratio" else values.mean())


def aggregate(per_content: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """style -> quantity -> geometric mean of the ratios / arithmetic mean of the offsets."""
    table = {}
    for style, quantities in per_content.items():
        if not quantities["hand_speed"]:
            raise OpenHumanError(f"no take of style {style!r} has a normal take of the same content")
        table[style] = {q.name: _mean(q.kind, quantities[q.name].values()) for q in QUANTITIES}
    return table


def agreement(per_content, table) -> dict[str, dict[str, float]]:
    """style -> quantity -> share of contents whose value lies on the same side of normal as the mean."""
    out = {}
    for style in STYLES[1:]:
        out[style] = {}
        for q in QUANTITIES:
            neutral = 1.0 if q.kind == "ratio" else 0.0
            side = np.sign(table[style][q.name] - neutral)
            values = np.array(list(per_content[style][q.name].values()))
            out[style][q.name] = float(np.mean(np.sign(values - neutral) == side))
    return out


def emotion_targets(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Targets for our six emotions, relative to Neutral (choice explained in docs/emotion-styles.md).

    Neutral, Happy, Sad, Angry and Old are their captured styles. Relaxed lies halfway from
    normal towards tired; its hand speed and jerk then follow from its own amplitude A and
    frequency f as for an oscillation (speed ∝ A·f, jerk ∝ A·f³) instead of taking tired's,
    whose takes flail faster than normal: relaxed, not exhausted, means lower tension.
    """
    out = {emotion: {q.name: table[style][q.name] for q in QUANTITIES} for emotion, style in EMOTION_STYLE.items()}
    w = RELAXED_TOWARDS_TIRED
    relaxed = {q.name: table["tired"][q.name] ** w if q.kind == "ratio" else w * table["tired"][q.name]
               for q in QUANTITIES}
    relaxed["hand_speed"] = relaxed["amplitude"] * relaxed["frequency"]
    relaxed["jerk"] = relaxed["amplitude"] * relaxed["frequency"] ** 3
    out["Relaxed"] = relaxed
    return {emotion: out[emotion] for emotion in EMOTIONS}


@dataclass
class StyleStats:
    normal: dict[str, dict[str, float]]  # quantity -> content -> absolute value of the normal take
    per_content: dict[str, dict[str, dict[str, float]]]  # style -> quantity -> content -> relative value
    table: dict[str, dict[str, float]]  # style -> quantity -> relative value
    agreement: dict[str, dict[str, float]]  # style -> quantity -> share of contents agreeing in sign
    emotions: dict[str, dict[str, float]]  # emotion -> quantity -> relative value

    def rounded(self) -> "StyleStats":
        r = lambda name, x: round(float(x), QUANTITY[name].decimals)  # noqa: E731
        return StyleStats(
            {q: {c: r(q, v) for c, v in cs.items()} for q, cs in self.normal.items()},
            {s: {q: {c: r(q, v) for c, v in cs.items()} for q, cs in qs.items()} for s, qs in self.per_content.items()},
            {s: {q: r(q, v) for q, v in qs.items()} for s, qs in self.table.items()},
            {s: {q: round(v, 2) for q, v in qs.items()} for s, qs in self.agreement.items()},
            {e: {q: r(q, v) for q, v in qs.items()} for e, qs in self.emotions.items()},
        )


def stored_stats() -> StyleStats:
    """The statistics stored in engine/procedural/style_reference.py (no data needed)."""
    from ..engine.procedural import style_reference as ref

    return StyleStats(ref.NORMAL, ref.PER_CONTENT, ref.TABLE, ref.AGREEMENT, ref.EMOTIONS)


def style_stats(directory: Path) -> StyleStats:
    """Measure every take under `directory` and build the tables."""
    pooled = measure_all(directory)
    per_content = relative(pooled)
    table = aggregate(per_content)
    normal = {q.name: {c: v[q.name] for (c, s), v in sorted(pooled.items()) if s == "normal"} for q in QUANTITIES}
    return StyleStats(normal, per_content, table, agreement(per_content, table), emotion_targets(table))


# --- output --------------------------------------------------------------------------------------

def _cell(name: str, value: float) -> str:
    q = QUANTITY[name]
    return f"×{value:.{q.decimals}f}" if q.kind == "ratio" else f"{value:+.{q.decimals}f}"


def _short(name: str, value: float) -> str:
    q = QUANTITY[name]
    if q.kind == "ratio":
        return f"×{value:.2f}"
    return f"{value * 100:+.1f}cm" if q.unit == "m" else f"{value:+.1f}" if q.unit == "deg" else f"{value:+.2f}"


def markdown(stats: StyleStats) -> str:
    """The style table, the emotion targets, the normal takes and the per-content values, as Markdown."""
    names = [q.name for q in QUANTITIES]

    def header(first: str) -> list[str]:
        return ["| " + first + " | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    lines = ["Styles relative to normal (mean over contents):", ""] + header("style")
    for style in STYLES:
        lines.append(f"| {style} | " + " | ".join(_cell(n, stats.table[style][n]) for n in names) + " |")
    lines += ["", "Share of contents agreeing in sign with the mean:", ""] + header("style")
    for style in STYLES[1:]:
        lines.append(f"| {style} | " + " | ".join(f"{stats.agreement[style][n]:.2f}" for n in names) + " |")
    lines += ["", "Targets for the six emotions (relative to Neutral):", ""] + header("emotion")
    for emotion in EMOTIONS:
        lines.append(f"| {emotion} | " + " | ".join(_cell(n, stats.emotions[emotion][n]) for n in names) + " |")
    contents = sorted(next(iter(stats.normal.values())))
    lines += ["", "Absolute values of the normal takes:", "",
              "| content | " + " | ".join(f"{n} ({QUANTITY[n].unit})" for n in names) + " |",
              "|---" * (len(names) + 1) + "|"]
    for c in contents:
        lines.append(f"| {c} | " + " | ".join(f"{stats.normal[n][c]:.{QUANTITY[n].decimals}f}" for n in names) + " |")
    lines += ["", "Each style for each content:", "", "| style | content | " + " | ".join(names) + " |",
              "|---" * (len(names) + 2) + "|"]
    for style in STYLES[1:]:
        for c in contents:
            cells = [_cell(n, stats.per_content[style][n][c]) if c in stats.per_content[style][n] else "–"
                     for n in names]
            lines.append(f"| {style} | {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def text_table(stats: StyleStats) -> str:
    """Quantities down, styles then emotions across; × marks a ratio, + an offset."""
    names = [q.name for q in QUANTITIES]
    width = max(len(n) for n in names) + 1
    rows = [f"{'':{width}}" + "".join(f"{s[:9]:>10}" for s in STYLES) + "  |" + "".join(f"{e:>9}" for e in EMOTIONS)]
    for n in names:
        rows.append(f"{n:{width}}" + "".join(f"{_short(n, stats.table[s][n]):>10}" for s in STYLES) + "  |"
                    + "".join(f"{_short(n, stats.emotions[e][n]):>9}" for e in EMOTIONS))
    return "\n".join(rows) + "\n"


def plot(stats: StyleStats, out: Path) -> None:
    """Bars per quantity per style (ratios on a log axis around 1), a dot per content."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    styles = STYLES[1:]
    fig, axes = plt.subplots(3, 4, figsize=(16, 10.5), constrained_layout=True)
    colours = plt.get_cmap("tab10")(np.arange(len(styles)))
    x = np.arange(len(styles))
    for ax, q in zip(axes.flat, QUANTITIES):
        values = np.array([stats.table[s][q.name] for s in styles])
        if q.kind == "ratio":
            ax.bar(x, values - 1.0, bottom=1.0, color=colours)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20]))
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.axhline(1.0, color="black", lw=0.8)
            ax.set_title(f"{q.name}  (× normal)")
        else:
            ax.bar(x, values, color=colours)
            ax.axhline(0.0, color="black", lw=0.8)
            ax.set_title(f"{q.name}  ({q.unit}, minus normal)")
        for i, s in enumerate(styles):
            points = list(stats.per_content[s][q.name].values())
            ax.scatter([i] * len(points), points, s=9, color="black", zorder=3)
        ax.set_xticks(x, styles, rotation=50, ha="right", fontsize=8)
    legend = axes.flat[-1]
    legend.axis("off")
    legend.text(0.0, 0.5, "Bandai-Namco motion dataset 1\nbars: mean over contents\n(geometric for ratios)\n"
                "dots: bow, bye, byebye,\nguide, walk separately", fontsize=11, va="center")
    fig.suptitle("Captured styles relative to normal of the same content")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)


REGENERATE = ("python -m openhuman.training.style_stats --write-reference engine/procedural/style_reference.py "
              "--update-doc docs/emotion-styles.md")
DOC_START = "<!-- style tables: generated by training/style_stats.py, do not edit -->"
DOC_END = "<!-- end of generated style tables -->"


def with_tables(document: str, tables: str) -> str:
    """`document` with the text between DOC_START and DOC_END replaced by `tables`."""
    start, end = document.find(DOC_START), document.find(DOC_END)
    if start < 0 or end < start:
        raise OpenHumanError(f"the document has no '{DOC_START}' ... '{DOC_END}' block to fill in")
    return document[: start + len(DOC_START)] + "\n\n" + tables + "\n" + document[end:]


def tables_in(document: str) -> str:
    """The generated block of a document (as `with_tables` wrote it)."""
    start, end = document.find(DOC_START), document.find(DOC_END)
    if start < 0 or end < start:
        raise OpenHumanError(f"the document has no '{DOC_START}' ... '{DOC_END}' block")
    return document[start + len(DOC_START): end].strip("\n") + "\n"


def _python(value, indent: int = 0) -> str:
    """Source for nested dicts: one line per innermost dict of numbers, one key per line above it."""
    if not isinstance(value, dict) or not any(isinstance(v, dict) or len(repr(v)) > 40 for v in value.values()):
        return repr(value)
    pad = " " * (indent + 4)
    items = "".join(f"{pad}{k!r}: {_python(v, indent + 4)},\n" for k, v in value.items())
    return "{\n" + items + " " * indent + "}"


def reference_source(stats: StyleStats) -> str:
    """Python source of engine/procedural/style_reference.py: the rounded statistics as plain numbers."""
    r = stats.rounded()
    doc = f'''"""Measured style statistics: how acted emotional styles differ from normal motion.

Measured by training/style_stats.py on the Bandai-Namco Research Motion dataset 1
(CC BY-NC 4.0; the contents bow, bye, byebye, guide and walk, each in the nine STYLES);
only these numbers enter the project, never the captures. Regenerate with

    {REGENERATE}

(with the dataset in ../shared/data/bandai, or --bandai DIR); tests/test_style_stats.py fails
when these numbers no longer match a fresh measurement. Method: docs/emotion-styles.md.

KIND says how a quantity compares with normal: "ratio" = style / normal of the same content,
"offset" = style - normal, in UNIT. TABLE: style -> quantity -> mean over contents (geometric
for ratios, arithmetic for offsets). AGREEMENT: the share of contents whose own value lies on
the same side of normal as that mean (1.0 = every content agrees). PER_CONTENT: style ->
quantity -> content -> value (duration leaves out the waving contents bye and byebye).
NORMAL: quantity -> content -> the normal take's absolute value. EMOTIONS: the targets for
the six emotions, relative to Neutral: Neutral, Happy, Sad, Angry and Old are the styles
normal, happy, sad, angry and old; Relaxed lies halfway from normal to tired, with hand
speed = amplitude x frequency and jerk = amplitude x frequency^3 (lower tension than tired).
"""
'''
    fields = [
        ("STYLES", STYLES),
        ("EMOTION_NAMES", EMOTIONS),
        ("EMOTION_STYLE", dict(EMOTION_STYLE, Relaxed=None)),
        ("QUANTITIES", tuple(q.name for q in QUANTITIES)),
        ("KIND", {q.name: q.kind for q in QUANTITIES}),
        ("UNIT", {q.name: q.unit for q in QUANTITIES}),
        ("DECIMALS", {q.name: q.decimals for q in QUANTITIES}),
        ("MEANING", {q.name: q.meaning for q in QUANTITIES}),
        ("TABLE", r.table),
        ("AGREEMENT", r.agreement),
        ("EMOTIONS", r.emotions),
        ("PER_CONTENT", r.per_content),
        ("NORMAL", r.normal),
    ]
    lines = [doc] + [f"{name} = {_python(value)}\n" for name, value in fields]
    return "\n".join(lines) + "\n"


def default_bandai_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bandai"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openhuman.training.style_stats",
                                     description="Measure how each captured style differs from normal.")
    parser.add_argument("--bandai", type=Path, default=default_bandai_dir(),
                        help="folder of the dataset-1_*.bvh files (default: ../shared/data/bandai)")
    parser.add_argument("--json", type=Path, help="write the statistics as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--plot", type=Path, help="write a bar chart (PNG) here")
    parser.add_argument("--write-reference", type=Path,
                        help="write the Python table module (engine/procedural/style_reference.py)")
    parser.add_argument("--update-doc", type=Path, help="refresh the generated tables in this Markdown document "
                                                        "(docs/emotion-styles.md)")
    args = parser.parse_args(argv)
    try:
        stats = style_stats(args.bandai)
    except OpenHumanError as exc:
        print(f"style_stats: error: {exc}", file=sys.stderr)
        return 2
    print(text_table(stats), end="")
    r = stats.rounded()
    if args.json:
        args.json.write_text(json.dumps({"kind": {q.name: q.kind for q in QUANTITIES}, "table": r.table,
                                         "agreement": r.agreement, "emotions": r.emotions,
                                         "per_content": r.per_content, "normal": r.normal}, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(r))
    if args.plot:
        plot(stats, args.plot)
    if args.write_reference:
        args.write_reference.write_text(reference_source(stats))
    if args.update_doc:
        try:
            args.update_doc.write_text(with_tables(args.update_doc.read_text(), markdown(r)))
        except (OSError, OpenHumanError) as exc:
            print(f"style_stats: error: {args.update_doc}: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
