"""Gesture planning: beat and semantic gestures as key poses per arm, with their phases.

Every gesture is a preparation (the hand travels to where the stroke starts), a stroke
(ending on the prosodic accent or the word), a hold, and a retraction (to the next
gesture, or down to the rest pose when the speaker pauses). Keys are placed in the chest
frame: origin at the Spine3 joint, x to the character's left, y up, z forward.

An arm's track is a list of keys; `evaluate_track` interpolates them with minimum-jerk
segments whose acceleration profile (`ease`) makes strokes sharp or soft.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..words import WordSpan
from .hands import SHAPES, shape_vector
from .lexicon import lookup
from .prosody import Prosody
from .styles import Style

SIDES = ("Right", "Left")
SIDE_SIGN = {"Right": -1.0, "Left": 1.0}  # the character's right is -X

# pose vector layout; PRECISE = 1 on semantic gestures: no wandering or flicks on top of them
POS, REST, PALM, FLEX, DEV, ELBOW, PRECISE = slice(0, 3), 3, slice(4, 7), 7, 8, 9, 10
SHAPE = slice(11, 11 + len(SHAPES))
POSE_DIMS = 11 + len(SHAPES)


def pose(pos, palm=(0.0, 1.0, 0.0), flex=0.0, dev=0.0, elbow=0.45, shape="relaxed", rest=0.0) -> np.ndarray:
    """A key pose: wrist position (chest frame), palm normal direction, wrist angles (deg), hand shape."""
    v = np.zeros(POSE_DIMS)
    v[POS] = pos
    v[REST] = rest
    palm = np.asarray(palm, dtype=np.float64)
    v[PALM] = palm / max(np.linalg.norm(palm), 1e-9)
    v[FLEX], v[DEV], v[ELBOW] = flex, dev, elbow
    v[SHAPE] = shape_vector(**{shape: 1.0}) if isinstance(shape, str) else shape
    return v


def rest_pose(side: str) -> np.ndarray:
    """Arm hanging: the position is filled in per frame from the shoulder (rest weight 1)."""
    s = SIDE_SIGN[side]
    return pose((s * 0.2, -0.5, 0.05), palm=(-s, 0.0, 0.0), elbow=0.3, shape="relaxed", rest=1.0)


@dataclass
class Action:
    """One gesture on one arm: its keys (time, pose, ease) and the stroke's apex time."""

    keys: list[tuple[float, np.ndarray, float]]
    apex: float
    kind: str  # 'beat' or a template name

    @property
    def first(self) -> float:
        return self.keys[0][0]

    @property
    def last(self) -> float:
        return self.keys[-1][0]


@dataclass
class HeadEvent:
    kind: str  # 'nod', 'shake', 'stress', 'aversion', 'shrug'
    start: float
    duration: float
    amplitude: float  # degrees (shrug: metres)
    direction: float = 1.0


@dataclass
class Plan:
    arms: dict[str, list[Action]]
    flicks: list[tuple[float, float]]  # (time, size) small beats on top of whatever the arms do
    circles: list[tuple[float, float, float]]  # (start, duration, radius) both hands draw a circle
    head: list[HeadEvent]
    units: list[tuple[float, float]]  # stretches of speech during which the hands stay up
    events: list[dict] = field(default_factory=list)  # what was planned, for reports and debugging


# --- semantic templates -------------------------------------------------------------------------
# A template gives, for an arm on side s (-1 right, +1 left), keys as (time from apex in units of
# the stroke time, pose); times > 0 after the apex are holds stretched to the end of the word.

def _t_self(s, st, both):
    x = s * (0.09 if both else 0.06)
    p = pose((x, -0.15, 0.19), palm=(0.0, 0.0, -1.0), flex=10, elbow=0.8, shape="open")
    start = pose((s * 0.16, -0.18, 0.30), palm=(-s * 0.5, 0.0, -1.0), elbow=0.7, shape="open")
    return [(-1.0, start), (0.0, p), (1.0, p)]


def _t_point(s, st, where):
    if where == "forward":
        end, start = (s * 0.12, 0.0, 0.46), (s * 0.12, -0.08, 0.30)
        flex, palm = 0.0, (0.0, -1.0, 0.0)
    elif where == "near":
        end, start = (s * 0.13, -0.28, 0.36), (s * 0.15, -0.14, 0.28)
        flex, palm = 45.0, (0.0, -0.6, -1.0)
    elif where == "aside":
        end, start = (s * 0.36, -0.05, 0.38), (s * 0.18, -0.10, 0.28)
        flex, palm = 0.0, (0.0, -1.0, 0.0)
    else:  # far
        end, start = (s * 0.42, 0.06, 0.40), (s * 0.20, -0.06, 0.28)
        flex, palm = -5.0, (0.0, -1.0, 0.0)
    p_end = pose(end, palm=palm, flex=flex, elbow=0.3, shape="point")
    return [(-1.0, pose(start, palm=palm, flex=flex * 0.5, elbow=0.35, shape="point")), (0.0, p_end), (1.0, p_end)]


def _both(fn):
    fn.both = True
    return fn


@_both
def _t_frame_big(s, st):
    end = pose((s * 0.42, -0.02, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")
    return [(-1.0, pose((s * 0.22, -0.06, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")), (0.0, end), (1.0, end)]


@_both
def _t_spread_flat(s, st):
    end = pose((s * 0.46, -0.12, 0.30), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.08, -0.10, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


@_both
def _t_pinch_small(s, st):
    end = pose((s * 0.035, -0.10, 0.33), palm=(-s, 0.0, 0.3), flex=-10, elbow=0.6, shape="pinch")
    return [(-1.0, pose((s * 0.12, -0.12, 0.30), palm=(-s, 0.0, 0.3), elbow=0.6, shape="pinch")), (0.0, end), (1.0, end)]


def _t_raise(s, st, point):
    shape = "point" if point else "open"
    palm = (-s * 0.3, 0.0, 1.0) if point else (0.0, -1.0, 0.0)
    flex = -30.0 if point else 0.0
    end = pose((s * 0.24, 0.26, 0.26), palm=palm, flex=flex, elbow=0.5, shape=shape)
    return [(-1.0, pose((s * 0.22, -0.10, 0.28), palm=palm, flex=flex, elbow=0.5, shape=shape)), (0.0, end), (1.0, end)]


def _t_lower_flat(s, st):
    end = pose((s * 0.20, -0.34, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.20, -0.04, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


@_both
def _t_circle(s, st):
    """Both hands cupped in front; Plan.circles moves them round (a smooth circle, not keys)."""
    p = pose((s * 0.17, -0.08, 0.32), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")
    return [(-1.0, pose((s * 0.2, -0.12, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")), (0.0, p), (1.0, p)]


@_both
def _t_sweep_out(s, st):
    end = pose((s * 0.48, -0.08, 0.26), palm=(s * 0.3, 1.0, 0.3), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.10, -0.10, 0.34), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


@_both
def _t_spread_many(s, st):
    end = pose((s * 0.44, 0.0, 0.28), palm=(s * 0.2, 1.0, 0.6), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.18, -0.12, 0.30), palm=(0.0, 1.0, 0.3), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


@_both
def _t_bring_together(s, st):
    end = pose((s * 0.07, -0.10, 0.34), palm=(-s, 0.0, 0.0), elbow=0.6, shape="cup")
    return [(-1.0, pose((s * 0.32, -0.08, 0.30), palm=(-s, 0.0, 0.0), elbow=0.6, shape="cup")), (0.0, end), (1.0, end)]


def _t_sweep_side(s, st):
    end = pose((s * 0.46, -0.10, 0.26), palm=(0.0, 1.0, 0.2), elbow=0.5, shape="open")
    return [(-1.0, pose((-s * 0.04, -0.10, 0.32), palm=(0.0, 1.0, 0.2), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


@_both
def _t_shrug(s, st):
    end = pose((s * 0.30, -0.18, 0.28), palm=(s * 0.3, 1.0, 0.0), elbow=0.7, shape="open")
    return [(-1.0, pose((s * 0.22, -0.22, 0.24), palm=(0.0, 1.0, 0.0), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


def _t_push_forward(s, st):
    end = pose((s * 0.16, -0.04, 0.50), palm=(0.0, 0.3, 1.0), flex=-30, elbow=0.3, shape="open")
    return [(-1.0, pose((s * 0.18, -0.08, 0.24), palm=(0.0, 0.3, 1.0), flex=-20, elbow=0.4, shape="open")), (0.0, end), (1.0, end)]


def _t_throw_back(s, st):
    end = pose((s * 0.30, 0.14, 0.04), palm=(0.0, 0.0, -1.0), flex=-20, elbow=0.6, shape="open")
    return [(-1.0, pose((s * 0.24, -0.02, 0.34), palm=(0.0, 0.0, -1.0), flex=-10, elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_negate(s, st):
    end = pose((s * 0.42, -0.14, 0.28), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((-s * 0.02, -0.12, 0.34), palm=(0.0, -1.0, 0.0), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


def _t_affirm(s, st):
    end = pose((s * 0.16, -0.20, 0.30), palm=(-s * 0.3, 1.0, 0.0), elbow=0.5, shape="relaxed")
    return [(-1.0, pose((s * 0.17, -0.14, 0.29), palm=(-s * 0.3, 1.0, 0.0), elbow=0.5)), (0.0, end), (1.0, end)]


TEMPLATES = {
    "self": (lambda s, st: _t_self(s, st, False), False, None),
    "self_both": (lambda s, st: _t_self(s, st, True), True, None),
    "point_forward": (lambda s, st: _t_point(s, st, "forward"), False, None),
    "point_near": (lambda s, st: _t_point(s, st, "near"), False, None),
    "point_aside": (lambda s, st: _t_point(s, st, "aside"), False, None),
    "point_far": (lambda s, st: _t_point(s, st, "far"), False, None),
    "frame_big": (_t_frame_big, True, None),
    "spread_flat": (_t_spread_flat, True, None),
    "pinch_small": (_t_pinch_small, True, None),
    "raise_flat": (lambda s, st: _t_raise(s, st, False), False, None),
    "raise_point": (lambda s, st: _t_raise(s, st, True), False, None),
    "raise_index": (lambda s, st: _t_raise(s, st, True), False, None),
    "lower_flat": (_t_lower_flat, False, None),
    "circle": (_t_circle, True, None),
    "sweep_out": (_t_sweep_out, True, None),
    "spread_many": (_t_spread_many, True, None),
    "bring_together": (_t_bring_together, True, None),
    "sweep_side": (_t_sweep_side, False, None),
    "shrug": (_t_shrug, True, "shrug"),
    "push_forward": (_t_push_forward, False, None),
    "throw_back": (_t_throw_back, False, None),
    "negate": (_t_negate, False, "shake"),
    "affirm": (_t_affirm, False, "nod"),
}


# --- planning -----------------------------------------------------------------------------------

_MIN_PREP = 0.12  # s: the fastest a hand gets from one gesture into the next stroke


def stroke_time(style: Style) -> float:
    return float(np.clip(0.36 / style.speed, 0.12, 1.6))


def prep_time(style: Style) -> float:
    return float(np.clip(0.6 / style.speed, 0.2, 2.0))


def retract_time(style: Style) -> float:
    return float(np.clip(0.6 / style.speed, 0.3, 2.0))


def speech_units(prosody: Prosody, words: list[WordSpan] | None, style: Style) -> list[tuple[float, float]]:
    """Stretches of speech during which the hands stay up: phrases joined across short pauses."""
    if words:
        spans = sorted((w.start, w.end) for w in words)
    else:
        spans = list(prosody.phrases)
    units: list[list[float]] = []
    for a, b in spans:
        if units and a - units[-1][1] < style.rest_gap_s:
            units[-1][1] = max(units[-1][1], b)
        else:
            units.append([a, b])
    return [(a, b) for a, b in units]


def _phrases(prosody: Prosody, words: list[WordSpan] | None) -> list[tuple[float, float]]:
    if not words:
        return list(prosody.phrases)
    out: list[list[float]] = []
    for w in sorted(words, key=lambda w: w.start):
        if out and w.start - out[-1][1] < 0.35:
            out[-1][1] = max(out[-1][1], w.end)
        else:
            out.append([w.start, w.end])
    return [(a, b) for a, b in out]


def _styled(p: np.ndarray, style: Style, scale: float = 1.0) -> np.ndarray:
    q = p.copy()
    q[1] += 0.5 * style.height_m
    q[2] += style.forward_m
    q[0] *= scale
    return q


def _free(actions: list[Action], t0: float, t1: float) -> bool:
    return all(a.last < t0 or a.first > t1 for a in actions)


def _place(actions: list[Action], action: Action) -> None:
    """Append an action, cutting the previous one's hold short (never its stroke) to make room."""
    if actions and actions[-1].last > action.first - _MIN_PREP:
        prev = actions[-1]
        cut = max(action.first - _MIN_PREP, prev.apex + 0.08)
        prev.keys = [k for k in prev.keys if k[0] <= cut + 1e-9]
        start = cut + _MIN_PREP
        if action.apex < start:
            shift = start - action.apex
            action.keys = [(t + shift, p, e) for t, p, e in action.keys]
            action.apex += shift
        action.keys = [k for k in action.keys if k[0] >= start - 1e-9 or k[0] >= action.apex - 1e-9]
    actions.append(action)


def _word_apex(w: WordSpan) -> float:
    return w.start + float(np.clip(0.4 * (w.end - w.start), 0.06, 0.25))


def _semantic(words, style, rng, arms, head, events, flick_block, circles):
    t_stroke = stroke_time(style)
    hold_min = 0.3 * style.hold
    last_apex = {side: -np.inf for side in SIDES}
    for w in sorted(words, key=lambda w: w.start):
        entry = lookup(w.word)
        if entry is None:
            continue
        make, both, head_kind = TEMPLATES[entry.template]
        circle = entry.template == "circle"
        apex = w.start if circle else _word_apex(w)
        hold_until = max(apex + hold_min, w.end + 0.15)
        if circle:
            circles.append((w.start - 0.05, float(np.clip(w.end - w.start + 0.3, 0.55, 0.9)), 0.12))
        if both:
            sides = list(SIDES)
        else:
            r, l = last_apex["Right"], last_apex["Left"]
            if abs(r - l) < 1e-9:
                sides = ["Right" if rng.random() < 0.65 else "Left"]
            else:
                sides = ["Right" if r < l else "Left"]
        scale = float(np.clip(style.amplitude, 0.85, 1.15)) * float(np.clip(style.width, 0.9, 1.1))
        for side in sides:
            keys = []
            for dt, p in make(SIDE_SIGN[side], style):
                if dt <= 0:
                    t = apex + dt * t_stroke
                else:
                    t = apex + dt * (hold_until - apex)
                p = _styled(p, style, scale)
                p[PRECISE] = 1.0
                keys.append((t, p, style.sharpness if dt == 0 else 1.0))
            _place(arms[side], Action(keys, apex, entry.template))
            last_apex[side] = apex
        if head_kind == "shake":
            head.append(HeadEvent("shake", w.start - 0.05, max(0.8, w.end - w.start + 0.35),
                                  10.0 * np.clip(style.head_motion, 0.7, 1.3), 1.0 if rng.random() < 0.5 else -1.0))
        elif head_kind == "nod":
            head.append(HeadEvent("nod", w.start, max(0.9, w.end - w.start + 0.3),
                                  12.0 * np.clip(style.head_motion, 0.8, 1.3)))
        elif head_kind == "shrug":
            head.append(HeadEvent("shrug", apex - t_stroke, hold_until - apex + 2 * t_stroke, 0.035))
        flick_block.append((w.start - 0.1, w.end + 0.3))
        events.append({"word": w.word, "start": w.start, "end": w.end, "category": entry.category,
                       "template": entry.template, "sides": sides, "apex": apex})


# Where beats may go (chest frame; x measured outwards from the midline): in front of the body,
# between the belly and the shoulders, never stretched out sideways.
_BEAT_SPACE = ((-0.06, 0.40), (-0.42, 0.10), (0.14, 0.46))


def _in_beat_space(p: np.ndarray, s: float) -> np.ndarray:
    (x0, x1), (y0, y1), (z0, z1) = _BEAT_SPACE
    return np.array([s * np.clip(s * p[0], x0, x1), np.clip(p[1], y0, y1), np.clip(p[2], z0, z1)])


def _beat_pose(s, style, u, offsets, loud):
    """Cocked and hit poses of a beat stroke for the arm on side s; u: 4 uniform numbers."""
    home = np.array([s * 0.18 * style.width, -0.12 + style.height_m, 0.26 + style.forward_m])
    a = style.amplitude * loud
    hit = _in_beat_space(home + offsets * np.array([s * style.width, 1.0, 1.0]) * a, s)
    cock = _in_beat_space(hit + np.array([s * 0.02, 0.13 * min(style.sharpness, 1.6), -0.04]) * a, s)
    pu = float(np.clip(style.palm_up + 0.6 * (u[0] - 0.5), -1.0, 1.0))
    palm = (-s * (1.0 - abs(pu)) + 1e-3, pu, 0.15)
    if u[1] < 0.4 * max(style.tension, 0.0):
        shape = "fist"
    else:
        shape = ("relaxed", "open", "cup")[min(int(u[2] * 3), 2)]
    elbow = style.elbow_out + 0.25 * (u[3] - 0.5)
    return (pose(cock, palm=palm, flex=-12.0 * style.sharpness, elbow=elbow, shape=shape),
            pose(hit, palm=palm, flex=10.0 * min(style.sharpness, 1.5), elbow=elbow, shape=shape))


def plan(prosody: Prosody, words: list[WordSpan] | None, style: Style, rng: np.random.Generator) -> Plan:
    """All gestures and head events for one clip."""
    # separate streams, and a fixed number of draws per accent, keep choices stable across styles
    sem_rng, beat_rng, head_rng = (np.random.default_rng(x) for x in rng.integers(0, 2 ** 63, 3))
    arms: dict[str, list[Action]] = {side: [] for side in SIDES}
    head: list[HeadEvent] = []
    events: list[dict] = []
    flick_block: list[tuple[float, float]] = []
    circles: list[tuple[float, float, float]] = []
    units = speech_units(prosody, words, style)
    if words:
        _semantic(words, style, sem_rng, arms, head, events, flick_block, circles)
    for side in SIDES:
        arms[side].sort(key=lambda a: a.first)

    # beats on prosodic peaks: loud and prominent ones become strokes, the rest small flicks
    t_stroke, hold = stroke_time(style), 0.25 * style.hold
    min_gap = 0.9 / style.rate
    threshold = 0.3 - 0.25 * np.log(style.rate)
    last = -np.inf
    flicks: list[tuple[float, float]] = []
    in_unit = lambda t: any(a - 0.1 <= t <= b + 0.1 for a, b in units)  # noqa: E731
    for acc in prosody.accents:
        u = beat_rng.random(20)
        if not in_unit(acc.time):
            continue
        loud = float(np.clip(1.0 + 0.05 * acc.loudness_db, 0.6, 1.4))
        score = acc.strength + 0.04 * np.clip(acc.loudness_db, -10.0, 10.0)
        if score > threshold and acc.time - last >= min_gap:
            want = list(SIDES) if u[0] < style.symmetry else ["Right" if u[1] < 0.6 else "Left"]
            t0, t1 = acc.time - t_stroke - _MIN_PREP, acc.time + hold
            sides = [s for s in want if _free(arms[s], t0, t1)]
            if not sides:
                sides = [s for s in SIDES if s not in want and _free(arms[s], t0, t1)][:1]
            if sides:
                offsets = np.array([-0.10, -0.18, -0.10]) + u[2:5] * np.array([0.38, 0.31, 0.25])
                for k, side in enumerate(sides):
                    v = u[5 + 7 * k: 12 + 7 * k]
                    jitter = 0.03 * (v[4:7] - 0.5) if len(sides) == 2 else 0.0
                    cock, hit = _beat_pose(SIDE_SIGN[side], style, v[:4], offsets + jitter, loud)
                    rest = hit.copy()
                    rest[POS] += 0.03 * (v[4:7] - 0.5)[::-1] * style.amplitude
                    rest[FLEX] = 0.0
                    t_s = t_stroke * (0.85 + 0.3 * v[5])
                    act = Action([(acc.time - t_s, cock, 1.0), (acc.time, hit, style.sharpness),
                                  (acc.time + hold * (0.8 + 0.6 * v[6]), rest, 1.0)], acc.time, "beat")
                    arms[side].append(act)
                    arms[side].sort(key=lambda a: a.first)
                last = acc.time
                events.append({"beat": acc.time, "sides": sides, "loudness_db": acc.loudness_db})
                continue
        near = any(a <= acc.time <= b for a, b in flick_block) or acc.time - last < 0.35 or (
            flicks and acc.time - flicks[-1][0] < 0.35)
        if not near and acc.strength > 0.3:
            flicks.append((acc.time, 0.025 * style.flick * loud * (0.5 + acc.strength)))
        if acc.strength > 0.6 and u[19] < 0.4:
            head.append(HeadEvent("stress", acc.time - 0.12, 0.4, 3.0 * style.head_motion * (0.5 + acc.strength)))

    for a, b in _phrases(prosody, words):
        v = head_rng.random(4)
        if b - a > 2.5 and v[0] < 0.8:
            head.append(HeadEvent("aversion", a - 0.1, 0.9 + 0.7 * v[1], (8.0 + 6.0 * v[2]) * style.head_motion,
                                  1.0 if v[3] < 0.5 else -1.0))
    return Plan(arms, flicks, circles, head, units, events)


# --- tracks -------------------------------------------------------------------------------------

def low_ready_pose(side: str, style: Style) -> np.ndarray:
    """Hands lowered in front of the belly, waiting for the next gesture within a phrase."""
    s = SIDE_SIGN[side]
    return pose((s * 0.17, -0.32 + 0.5 * style.height_m, 0.18 + style.forward_m), palm=(-s, 0.4, 0.0),
                elbow=0.3, shape="relaxed")


def track_keys(actions: list[Action], side: str, style: Style,
               units: list[tuple[float, float]] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key times (K,), poses (K, D) and eases (K,) for one arm.

    Between gestures the arm holds its last pose and prepares the next stroke in time; a gap
    longer than style.rest_gap_s lowers the hand: to the rest pose across a pause in speech,
    to a low ready pose in front of the belly within speech.
    """
    rest = rest_pose(side)
    rest[ELBOW] = 0.25 + 0.2 * style.elbow_out
    ready = low_ready_pose(side, style)
    prep, retract = prep_time(style), retract_time(style)
    unit_of = lambda t: next((i for i, (a, b) in enumerate(units) if a - 0.5 <= t <= b + 0.5), -1)  # noqa: E731
    times, poses, eases = [-10.0], [rest], [1.0]
    prev = None
    for a in sorted(actions, key=lambda a: a.first):
        if not a.keys:
            continue
        gap = a.first - prev.last if prev is not None else np.inf
        if gap > style.rest_gap_s + prep + retract:
            same_unit = prev is not None and unit_of(prev.last) == unit_of(a.first) != -1
            lowered = ready if same_unit else rest
            if prev is not None:
                times.append(prev.last + retract), poses.append(lowered), eases.append(1.0)
            times.append(a.first - prep), poses.append(lowered), eases.append(1.0)
        elif gap > prep:  # hold the last pose, then prepare the next stroke
            times.append(a.first - prep), poses.append(poses[-1]), eases.append(1.0)
        for t, p, e in a.keys:
            times.append(t), poses.append(p), eases.append(e)
        prev = a
    if prev is not None:
        times.append(prev.last + retract), poses.append(rest), eases.append(1.0)
    t = np.array(times)
    # keys strictly increasing: a key at or before its predecessor is nudged just after it
    for i in range(1, len(t)):
        t[i] = max(t[i], t[i - 1] + 0.04)
    return t, np.array(poses), np.array(eases)


def evaluate_track(times: np.ndarray, poses: np.ndarray, eases: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(F, D) poses at the times `at`: minimum-jerk segments between keys, eased per destination key."""
    i = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 1)
    j = np.minimum(i + 1, len(times) - 1)
    span = np.maximum(times[j] - times[i], 1e-9)
    u = np.clip((at - times[i]) / span, 0.0, 1.0)
    u = np.where(j == i, 1.0, u)
    u = u ** eases[j]
    s = u * u * u * (10.0 + u * (-15.0 + 6.0 * u))
    return poses[i] + (poses[j] - poses[i]) * s[:, None]
