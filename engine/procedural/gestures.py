"""Gesture planning: beat gestures on prosodic peaks, lexicon gestures on their words, head events.

Every gesture is a preparation (the hand travels to where the stroke starts), a stroke (ending
on the prosodic accent or in the word), a hold, and a retraction (to the next gesture, or down
when the speaker pauses). `plan` places them as key poses per arm (module keys), which
tracks.py turns into per-frame values.

The hands move with the voice, as people's do: no preparation starts more than ONSET_LEAD_S
before the stretch of speech it belongs to (a stroke right after a speech onset is prepared
quicker, or dropped), the stronger of two close accents takes the stroke, and murmured speech far
below the clip's loud passages gets no strokes. On real recordings this raised the correlation of
hand speed with loudness from 0.13 to 0.41 (tests/test_real_speech.py).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from ..speech.words import WordSpan
from .keys import FLEX, POS, PRECISE, SIDE_SIGN, SIDES, Action, pose, prep_time, stroke_time
from .lexicon import lookup
from .prosody import Prosody
from .styles import Style
from .templates import TEMPLATES


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


# --- planning -----------------------------------------------------------------------------------

_MIN_PREP = 0.12  # s: the fastest a hand gets from one gesture into the next stroke
# People's hands start moving with the voice, not before it: a stroke's preparation may begin at
# most this long before the stretch of speech it belongs to (captured speakers: their hands speed
# up 0.2-0.5 s after a speech onset and slow down within 0.3 s of its end).
ONSET_LEAD_S = 0.1
QUIET_DB = 12.0  # accents this far below the clip's loud accents (90th percentile) get no stroke
NOD_BEAT = 0.425  # s: one down-up of an affirmative nod


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


def _styled(p: np.ndarray, style: Style, scale: float = 1.0, forward: bool = True) -> np.ndarray:
    q = p.copy()
    q[1] += 0.5 * style.height_m
    q[2] += style.forward_m if forward else 0.0
    q[0] *= scale
    return q


def _free(actions: list[Action], t0: float, t1: float) -> bool:
    """No action of the arm (sorted by start, not overlapping each other) touches t0..t1."""
    i = bisect.bisect_left(actions, t0, key=lambda a: a.first)
    return all(a.last < t0 or a.first > t1 for a in actions[max(0, i - 2): i + 2])


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
    return w.start + float(np.clip(0.5 * (w.end - w.start), 0.08, 0.3))


def _semantic(words, style, rng, arms, head, events, flick_block, circles, runs):
    # a lexicon stroke must fit its word, however slow the style
    t_stroke = min(stroke_time(style), 0.35)
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
        # lexicon gestures keep their meaning: a style may widen them a little, never shrink them
        scale = float(np.clip(style.amplitude * style.width, 1.0, 1.15))
        for side in sides:
            keys = []
            for dt, p in make(SIDE_SIGN[side], style):
                if dt <= 0:
                    t = apex + dt * t_stroke
                else:
                    t = apex + dt * (hold_until - apex)
                p = _styled(p, style, scale, forward=not entry.template.startswith("self"))
                p[PRECISE] = 1.0
                keys.append((t, p, style.sharpness if dt == 0 else 1.0))
            first = min(k[0] for k in keys)
            # a word at the start of speech gets a quicker preparation, so the hand moves with the voice
            run_start = max((a for a, _ in runs if a <= w.start + 1e-6), default=0.0)
            prep = float(np.clip(first - (run_start - ONSET_LEAD_S), _MIN_PREP + 0.08, prep_time(style)))
            _place(arms[side], Action(keys, apex, entry.template, prep))
            last_apex[side] = apex
        last = head[-1] if head and head[-1].kind in ("shake", "nod") else None
        if head_kind == "shake":
            until = w.end + 0.3
            if last is not None and last.kind == "shake" and last.start + last.duration > w.start - 0.1:
                last.duration = max(last.duration, until - last.start)  # one longer shake, not two clashing
            else:
                head.append(HeadEvent("shake", w.start - 0.05, max(0.8, until - w.start + 0.05),
                                      10.0 * np.clip(style.head_motion, 0.7, 1.3), 1.0 if rng.random() < 0.5 else -1.0))
        elif head_kind == "nod":
            start = w.start
            if last is not None and last.kind == "nod" and last.start + last.duration > start:
                start = max(start, last.start + NOD_BEAT)  # the earlier nod keeps its first down-up only
                last.duration = start - last.start
            head.append(HeadEvent("nod", start, 2.0 * NOD_BEAT, 12.0 * np.clip(style.head_motion, 1.0, 1.3)))
        elif head_kind == "shrug":
            head.append(HeadEvent("shrug", apex - t_stroke, hold_until - apex + 2 * t_stroke, 0.035))
        flick_block.append((w.start - 0.1, w.end + 0.3))
        events.append({"word": w.word, "start": w.start, "end": w.end, "category": entry.category,
                       "template": entry.template, "sides": sides, "apex": apex})


def _speech_runs(prosody: Prosody, words: list[WordSpan] | None) -> list[tuple[float, float]]:
    """Stretches of voice (prosody's activity, and the words), joined across gaps under 0.25 s."""
    spans = sorted(list(prosody.phrases) + [(w.start, w.end) for w in words or ()])
    runs: list[list[float]] = []
    for a, b in spans:
        if runs and a - runs[-1][1] < 0.25:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


# Where beats may go (chest frame; x measured outwards from the midline): in front of the body,
# between the belly and the shoulders, never stretched out sideways.
_BEAT_SPACE = ((-0.06, 0.40), (-0.42, 0.10), (0.14, 0.46))


def _in_beat_space(p: np.ndarray, s: float, grow: float = 1.0) -> np.ndarray:
    """p clipped to the beat space, grown about its centre by ``grow`` (big gesturers use more room)."""
    (x0, x1), (y0, y1), (z0, z1) = ((c - grow * h, c + grow * h) for c, h in
                                    (((lo + hi) / 2, (hi - lo) / 2) for lo, hi in _BEAT_SPACE))
    x, y, z = np.clip(s * p[0], x0, x1), np.clip(p[1], y0, y1), np.clip(p[2], z0, z1)
    if y > -0.12:  # chest height and up: keep the hand off the midline and away from chin and face
        x, z = max(x, 0.10), max(z, 0.24)
    return np.array([s * x, y, z])


def _beat_pose(s, style, u, offsets, loud):
    """Cocked and hit poses of a beat stroke for the arm on side s; u: 4 uniform numbers."""
    home = np.array([s * 0.18 * style.width, -0.12 + style.height_m, 0.26 + style.forward_m])
    a = style.amplitude * loud
    grow = float(np.clip(style.amplitude, 1.0, 1.5))
    hit = _in_beat_space(home + offsets * np.array([s * style.width, 1.0, 1.0]) * a, s, grow)
    cock = _in_beat_space(hit + np.array([s * 0.02, 0.13 * min(style.sharpness, 1.6), -0.04]) * a, s, grow)
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
    runs = _speech_runs(prosody, words)
    if words:
        _semantic(words, style, sem_rng, arms, head, events, flick_block, circles, runs)
    for side in SIDES:
        arms[side].sort(key=lambda a: a.first)

    # beats on prosodic peaks: loud and prominent ones become strokes, the rest small flicks
    t_stroke, hold = stroke_time(style), 0.25 * style.hold
    min_gap = 0.9 / style.rate
    threshold = 0.3 - 0.25 * np.log(style.rate)
    last = -np.inf
    flicks: list[tuple[float, float]] = []
    unit_ends = [b for _, b in units]

    def in_unit(t: float) -> bool:
        i = bisect.bisect_left(unit_ends, t - 0.1)
        return i < len(units) and units[i][0] - 0.1 <= t

    run_starts = [a for a, _ in runs]
    prep = prep_time(style)

    def voice_prep(side: str, t: float) -> float | None:
        """Preparation time for a stroke at t that starts with the voice around t (the style's own
        when it fits, quicker when the voice has just started); 0: no time for a stroke."""
        i = bisect.bisect_right(run_starts, t) - 1
        start = (runs[i][0] if i >= 0 else 0.0) - ONSET_LEAD_S
        if max((a.last for a in arms[side] if a.last <= t - t_stroke), default=-np.inf) >= start:
            return None  # the arm is already moving with this stretch of speech
        room = t - t_stroke - start
        if room >= prep:
            return None
        return room if room >= _MIN_PREP + 0.08 else 0.0

    def score_of(acc) -> float:
        return acc.strength + 0.04 * np.clip(acc.loudness_db, -10.0, 10.0)

    accents = prosody.accents
    # speech much quieter than the clip's loud passages (a murmur, an aside) gets no strokes
    loud_enough = np.percentile([a.loudness_db for a in accents], 90) - QUIET_DB if accents else 0.0
    for i, acc in enumerate(accents):
        u = beat_rng.random(20)
        if not in_unit(acc.time):
            continue
        loud = float(np.clip(1.0 + 0.05 * acc.loudness_db, 0.6, 1.4))
        score = score_of(acc)
        # a stronger accent just after this one takes the stroke (it would be blocked by min_gap)
        stronger_next = any(score_of(b) > score for b in accents[i + 1:i + 6]
                            if b.time - acc.time <= 0.5 * min_gap)
        if (score > threshold and acc.time - last >= min_gap and not stronger_next
                and acc.loudness_db >= loud_enough):
            want = list(SIDES) if u[0] < style.symmetry else ["Right" if u[1] < 0.6 else "Left"]
            t0, t1 = acc.time - t_stroke - _MIN_PREP, acc.time + hold
            preps = {s: voice_prep(s, acc.time) for s in SIDES}
            sides = [s for s in want if _free(arms[s], t0, t1) and preps[s] != 0.0]
            if not sides:
                sides = [s for s in SIDES if s not in want and _free(arms[s], t0, t1) and preps[s] != 0.0][:1]
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
                                  (acc.time + hold * (0.8 + 0.6 * v[6]), rest, 1.0)], acc.time, "beat",
                                 preps[side])
                    bisect.insort(arms[side], act, key=lambda a: a.first)
                last = acc.time
                events.append({"beat": acc.time, "sides": sides, "loudness_db": acc.loudness_db})
                continue
        near = any(a <= acc.time <= b for a, b in flick_block) or acc.time - last < 0.35 or (
            flicks and acc.time - flicks[-1][0] < 0.35)
        if not near and acc.strength > 0.3:
            flicks.append((acc.time, 0.025 * style.flick * loud * (0.5 + acc.strength)))
        if acc.strength > 0.5 and u[19] < 0.6:  # a small nod on a stressed syllable
            head.append(HeadEvent("stress", acc.time - 0.12, 0.4, 3.0 * style.head_motion * (0.5 + acc.strength)))

    # gaze aversion at the start of long phrases, unless the head is busy nodding or shaking
    busy = [(e.start, e.start + e.duration) for e in head if e.kind in ("nod", "shake")]
    for a, b in _phrases(prosody, words):
        v = head_rng.random(4)
        start, duration = a - 0.1, 0.9 + 0.7 * v[1]
        free = all(e1 < start - 0.2 or e0 > start + duration + 0.2 for e0, e1 in busy)
        if b - a > 2.5 and v[0] < 0.8 and free:
            head.append(HeadEvent("aversion", start, duration, (8.0 + 6.0 * v[2]) * style.head_motion,
                                  1.0 if v[3] < 0.5 else -1.0))
    return Plan(arms, flicks, circles, head, units, events)
