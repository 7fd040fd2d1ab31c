"""The six emotion styles as continuous parameters, and blending them.

Numbers follow the emotional motion captures summarised in engine/style_reference.py
(Bandai-Namco dataset 1: each style relative to normal) and were tuned until the
synthesiser's output shows the same differences (tests/test_procedural_styles.py).

======== ==================================================================================
Style    What it looks like
======== ==================================================================================
Neutral  Upright, hands mostly in front between belly and chest, moderate beats on accents;
         calibrated against a real ZeroEGGs speech capture (hand speed, height, spread,
         stillness).
Happy    Open and upward: hands about 8 cm higher, wider and larger (amplitude x1.6),
         faster and bouncier (hand speed x1.9, sharper strokes, body bobs on beats), palms
         up, chin slightly up, elbows out.
Sad      Slumped and low: head hangs ~16 deg, shoulders rounded, hands ~9 cm lower, slow
         (hand speed x0.46), small, smooth and mostly one-handed; long holds.
Angry    Tense, sharp, forward: leans ~3 deg forward, fast hard strokes (hand speed x1.9, jerk
         x3), short holds, fists and palm-down chops, shoulders held up.
Old      Hunched: leans ~15 deg forward with bent knees, head ~6 cm lower, shoulders dropped,
         slower (x0.55) and smaller (x0.57) movements, one hand at a time, a fine tremor.
Relaxed  Loose, slow, asymmetric, low energy: weight on one leg, head tilted and a little
         down, mostly one hand, slower gesture rate but long easy sweeps, loose fingers.
======== ==================================================================================

Blending: `blend({"Happy": 0.5, "Sad": 0.5})` averages every parameter by weight, ratios
(RATIO_FIELDS) geometrically, so a 50/50 blend lands between the two styles.
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
    lean_deg: float = 0.0  # forward lean of the hips->neck line
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
    "Neutral": Style(),
    "Happy": Style(lean_deg=2.21, head_pitch_deg=-5.41, shoulder_raise_deg=2.86, shoulder_forward_deg=-2.0,
                   knee_bend_m=0.0108, amplitude=1.876, speed=1.582, rate=2.209, height_m=0.12, width=1.026,
                   sharpness=1.291, hold=0.3, symmetry=0.793, palm_up=0.8, elbow_out=0.7, tension=-0.1,
                   bounce_m=0.012, drift=0.706, flick=1.593, idle=1.3, breath_hz=0.3, head_motion=1.3,
                   rest_gap_s=2.527),
    "Sad": Style(lean_deg=3.95, slump_deg=8.0, head_pitch_deg=11.94, shoulder_raise_deg=-1.79, shoulder_forward_deg=8.0,
                 knee_bend_m=0.0112, amplitude=1.4, speed=0.357, rate=0.489, height_m=-0.021, width=0.663,
                 sharpness=0.551, hold=1.507, symmetry=0.276, palm_up=0.2, elbow_out=0.2, tension=-0.3, drift=1.001,
                 flick=0.568, idle=0.6, breath_hz=0.18, head_motion=0.6, rest_gap_s=1.093),
    "Angry": Style(lean_deg=3.94, head_pitch_deg=-2.51, shoulder_raise_deg=3.74, shoulder_forward_deg=3.0,
                   knee_bend_m=0.0224, amplitude=0.638, speed=2.402, rate=2.5, height_m=0.028, width=0.885,
                   forward_m=0.05, sharpness=1.967, hold=0.511, symmetry=0.588, palm_up=-0.6, elbow_out=0.55,
                   tension=0.8, drift=1.003, flick=0.991, idle=1.1, breath_hz=0.33, head_motion=1.2, rest_gap_s=2.0),
    "Old": Style(lean_deg=23.51, slump_deg=4.0, head_pitch_deg=-17.49, shoulder_raise_deg=-1.5,
                 shoulder_forward_deg=8.0, knee_bend_m=0.0385, amplitude=0.262, speed=0.763, rate=0.712,
                 height_m=0.147, width=0.658, sharpness=0.914, hold=1.558, symmetry=0.55, palm_up=0.2, elbow_out=0.35,
                 tension=0.2, tremor=1.0, drift=0.702, flick=0.415, idle=0.8, breath_hz=0.28, head_motion=0.7,
                 rest_gap_s=1.137),
    "Relaxed": Style(lean_deg=4.66, slump_deg=2.0, head_pitch_deg=1.54, head_roll_deg=5.0, shoulder_raise_deg=2.31,
                     shoulder_forward_deg=3.0, knee_bend_m=0.029, hip_shift_m=0.035, amplitude=0.938, speed=0.88,
                     rate=1.194, height_m=0.057, width=1.31, sharpness=0.813, hold=0.66, symmetry=0.321, palm_up=0.4,
                     elbow_out=0.4, tension=-0.8, drift=0.654, flick=0.8, idle=1.3, breath_hz=0.2, head_motion=0.8,
                     rest_gap_s=1.27),
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
    """The style for a name or a dict of weights (arithmetic mean, geometric for RATIO_FIELDS)."""
    weights = style_weights(emotion)
    values = {}
    for f in fields(Style):
        xs = np.array([getattr(STYLES[n], f.name) for n in weights])
        ws = np.array(list(weights.values()))
        values[f.name] = float(np.exp(ws @ np.log(xs)) if f.name in RATIO_FIELDS else ws @ xs)
    return Style(**values)
