"""The six emotion styles as continuous parameters, and blending them.

The numbers were fitted (``python -m openhuman.training.style_fit``: Levenberg-Marquardt or
Nelder-Mead on the measured quantities, with a pull towards the previous values) until the
synthesiser's style-minus-Neutral differences match the captured emotional motion of
training/style_reference.py (Bandai-Namco dataset 1) on every measured quantity: same sign and
within a factor of two, or no real change where the capture shows none
(tests/test_procedural_styles.py). Neutral itself is calibrated against a real ZeroEGGs speech
capture (hand speed, hand height and spread, stillness; tests/test_procedural.py).

======== ===================================================================================
Style    What it looks like (captured targets relative to Neutral in brackets)
======== ===================================================================================
Neutral  Upright; hands mostly up in front between belly and chest, a stroke on the stronger
         accents, small flicks on the others, both hands together about half the time.
Happy    Open, upward, bouncy, faster: hands ~6 cm higher [+8.5 cm], bigger (spread x1.3
         [x1.6]) and faster (hand speed x2.0 [x1.9]) strokes, short holds, the hips bob on
         beats, palms up, elbows out, chin up ~3 deg [-3.4], two-handed.
Sad      Slumped, low, slow, small: head hangs ~16 deg [+16.4] with rounded shoulders, hands
         ~6 cm lower [-8.6 cm], hand speed x0.5 [x0.45], movements x1.5 as long [x1.9],
         very smooth (jerk x0.3 [x0.19]), mostly one hand [symmetry -0.21 / -0.28].
Angry    Tense, sharp, forward: leans ~3 deg forward [+2.8] on bent knees, frequent hard
         strokes (hand speed x1.8 [x1.9], jerk x2.4 [x3.6], movements x0.62 [x0.63]) of
         normal size (x1.07 [x1.03]), sharp flicks on the accents between strokes, fists and
         palm-down chops, shoulders held up; the hands stay up, restless, through pauses
         under 5 s. On real recordings (neutral prosody, where the accents cap the stroke
         rate) hand speed x1.38 of Neutral, 0.74 of windows judged Angry (was x1.25, 0.53).
Old      Hunched: leans ~15 deg [+15.6] on bent knees, head ~5 cm lower [-5.7 cm] but
         looking up to the listener, shoulders down ~5 cm [-4.7], hands held close in front,
         small (x0.76 [x0.61]) slow (x0.35 [x0.56]) movements, a fine 5-7 Hz tremor; they
         rarely drop to rest.
Relaxed  Loose, slow, asymmetric, low energy: weight on one leg with the hips shifted, head
         tilted and ~7 deg down [+7.3], slumped ~3 deg [+2.7], loose fingers, longer, softer
         movements (x1.05 [x1.07], jerk x0.82 [x0.84]), one hand at a time [-0.21 / -0.23].
======== ===================================================================================

Beyond the captured quantities a few parameters are set by hand to make each style read as
itself (palm direction, finger tension, elbow spread, hip shift and head tilt for Relaxed,
tremor for Old, body bounce for Happy).

Blending: `blend({"Happy": 0.5, "Sad": 0.5})` averages every parameter by weight, ratios
(RATIO_FIELDS) geometrically. Over all 15 pairs, 93% of the measured quantities of a 50/50
blend land between the two styles (median position 0.48 of the way).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import OpenHumanError

STYLE_NAMES = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")


@dataclass(frozen=True)
class Style:
    """Continuous style parameters; see the module docstring for the six named settings."""

    # posture
    lean_deg: float = 0.0  # forward bend of pelvis and spine (the hips->neck line leans ~0.7 of it)
    slump_deg: float = 0.0  # upper back rounds forward, lower back extends (no net lean)
    head_pitch_deg: float = 0.0  # + = chin down
    head_roll_deg: float = 0.0  # sideways head tilt
    shoulder_raise_deg: float = 0.0  # + = shrugged up
    shoulder_forward_deg: float = 0.0  # + = rounded forward
    knee_bend_m: float = 0.012  # hips lowered by bending the knees
    hip_shift_m: float = 0.0  # weight on one leg: hips shifted sideways
    # gesture space and movement
    amplitude: float = 1.0  # size of gesture excursions
    speed: float = 1.0  # how fast movements are made (inverse duration)
    rate: float = 1.0  # how many gesture strokes per second of speech
    height_m: float = 0.0  # gesture space raised (+) or lowered (-)
    width: float = 1.0  # gesture space sideways extent
    forward_m: float = 0.0  # gesture space pushed forward
    sharpness: float = 1.0  # stroke acceleration (1 smooth, 2 sharp); also stroke hit size
    hold: float = 1.0  # post-stroke hold length
    symmetry: float = 0.65  # probability that a stroke uses both hands
    palm_up: float = 0.3  # -1 palms down .. 1 palms up
    elbow_out: float = 0.45  # elbows away from the body
    tension: float = 0.0  # finger curl and stiffness, -1 loose .. 1 tense
    bounce_m: float = 0.0  # body bobs down on beats
    tremor: float = 0.0  # fine 5-7 Hz tremor of hands and head (0..1)
    drift: float = 1.0  # small restless hand movement during holds
    flick: float = 1.0  # size of the small beats between strokes (bounciness of the hands)
    idle: float = 1.0  # idle sway of the body and head
    breath_hz: float = 0.25
    head_motion: float = 1.0  # nod and turn size
    rest_gap_s: float = 2.2  # pauses longer than this lower the arms


RATIO_FIELDS = frozenset({"amplitude", "speed", "rate", "width", "hold", "drift", "flick", "idle", "head_motion", "rest_gap_s",
                          "breath_hz", "sharpness"})

STYLES: dict[str, Style] = {
    "Neutral": Style(speed=1.3, height_m=0.07, sharpness=0.96, drift=1.775, flick=0.864),
    "Happy": Style(lean_deg=2.21, head_pitch_deg=-5.12, shoulder_raise_deg=3.0, shoulder_forward_deg=-2.0, knee_bend_m=0.011, amplitude=2.454, speed=1.731, rate=2.62, height_m=0.193, width=0.765, sharpness=1.368, hold=0.498, symmetry=0.72, palm_up=0.8, elbow_out=0.7, tension=-0.1, bounce_m=0.012, drift=1.247, flick=1.375, idle=1.3, breath_hz=0.3, head_motion=1.3, rest_gap_s=2.518),
    "Sad": Style(lean_deg=3.93, slump_deg=8.0, head_pitch_deg=12.49, shoulder_raise_deg=-1.58, shoulder_forward_deg=8.0, knee_bend_m=0.011, amplitude=1.201, speed=0.431, rate=0.513, height_m=0.082, width=0.557, sharpness=0.5, hold=1.742, symmetry=0.244, palm_up=0.2, elbow_out=0.2, tension=-0.3, drift=1.839, flick=0.493, idle=0.6, breath_hz=0.18, head_motion=0.6, rest_gap_s=1.092),
    "Angry": Style(lean_deg=3.94, head_pitch_deg=-2.24, shoulder_raise_deg=3.74, shoulder_forward_deg=3.0, knee_bend_m=0.022, amplitude=0.7, speed=3.25, rate=3.252, height_m=0.11, width=1.005, forward_m=0.05, sharpness=1.96, hold=0.6, symmetry=0.42, palm_up=-0.6, elbow_out=0.55, tension=0.8, drift=2.8, flick=2.6, idle=1.1, breath_hz=0.33, head_motion=1.2, rest_gap_s=5.0),
    "Old": Style(lean_deg=22.49, slump_deg=4.0, head_pitch_deg=-16.03, shoulder_raise_deg=-0.9, shoulder_forward_deg=8.0, knee_bend_m=0.041, amplitude=0.2, speed=0.619, rate=0.793, height_m=0.19, width=0.765, sharpness=0.529, hold=3.0, symmetry=0.547, palm_up=0.2, elbow_out=0.35, tension=0.2, tremor=1.0, drift=0.2, flick=0.1, idle=0.8, breath_hz=0.28, head_motion=0.7, rest_gap_s=10.322),
    "Relaxed": Style(lean_deg=4.69, slump_deg=2.0, head_pitch_deg=2.09, head_roll_deg=5.0, shoulder_raise_deg=2.97, shoulder_forward_deg=3.0, knee_bend_m=0.03, hip_shift_m=0.035, amplitude=0.747, speed=1.203, rate=1.251, height_m=0.231, width=1.054, sharpness=1.284, hold=0.801, symmetry=0.34, palm_up=0.4, elbow_out=0.4, tension=-0.8, drift=2.4, flick=0.7, idle=1.3, breath_hz=0.2, head_motion=0.8, rest_gap_s=1.216),
}


def style_weights(emotion) -> dict[str, float]:
    """Normalised weights over STYLE_NAMES from a style name or a {name: weight} dict."""
    if isinstance(emotion, str):
        emotion = {emotion: 1.0}
    if not isinstance(emotion, dict) or not emotion:
        raise OpenHumanError(f"emotion must be a style name or a dict of style weights, got {emotion!r}; "
                             f"styles: {', '.join(STYLE_NAMES)}")
    by_lower = {n.lower(): n for n in STYLE_NAMES}
    weights: dict[str, float] = {}
    for name, w in emotion.items():
        key = by_lower.get(str(name).strip().lower())
        if key is None:
            raise OpenHumanError(f"unknown emotion style {name!r}; choose from {', '.join(STYLE_NAMES)}")
        w = float(w)
        if not np.isfinite(w) or w < 0.0:
            raise OpenHumanError(f"style weight for {name!r} must be a finite number >= 0, got {w}")
        weights[key] = weights.get(key, 0.0) + w
    total = sum(weights.values())
    if total <= 0.0:
        raise OpenHumanError("style weights add up to zero; give at least one style a positive weight")
    return {k: v / total for k, v in weights.items() if v > 0.0}


def blend(emotion) -> Style:
    """The style for a name or a dict of weights (arithmetic mean, geometric for RATIO_FIELDS); a
    Style is returned as it is."""
    if isinstance(emotion, Style):
        return emotion
    weights = style_weights(emotion)
    values = {}
    for f in fields(Style):
        xs = np.array([getattr(STYLES[n], f.name) for n in weights])
        ws = np.array(list(weights.values()))
        values[f.name] = float(np.exp(ws @ np.log(xs)) if f.name in RATIO_FIELDS else ws @ xs)
    return Style(**values)
