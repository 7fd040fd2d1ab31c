"""Head motion: idle drift, style posture, nods on stress, shakes and nods for words, gaze aversion.

Angles in degrees: pitch + = chin down, yaw + = towards the character's left, roll + = left ear down.
"""
from __future__ import annotations

import numpy as np

from .gestures import NOD_BEAT, HeadEvent
from .idle import minjerk, plateau, smooth_noise, tremor
from .styles import Style


def _oscillation(t: np.ndarray, start: float, duration: float, freq: float) -> np.ndarray:
    """sin(2 pi f (t - start)) under a window that is flat except for short fades at both ends."""
    fade = min(0.12, duration / 4.0)
    window = minjerk((t - start) / fade) * (1.0 - minjerk((t - start - duration + fade) / fade))
    return np.sin(2.0 * np.pi * freq * (t - start)) * window


def head_angles(t: np.ndarray, style: Style, events: list[HeadEvent], rng: np.random.Generator,
                speaking: np.ndarray | None = None) -> np.ndarray:
    """(F, 3) pitch, yaw, roll in degrees. speaking (F,) in [0, 1]: the head is livelier while talking."""
    lively = 0.5 + (np.ones_like(t) if speaking is None else speaking)
    pitch = style.head_pitch_deg + 1.5 * style.idle * lively * smooth_noise(rng, t, 0.3)
    yaw = 2.5 * style.idle * lively * smooth_noise(rng, t, 0.15)
    roll = style.head_roll_deg + 1.0 * style.idle * smooth_noise(rng, t, 0.2)
    for ev in events:
        if ev.kind == "nod":  # a full down-up, then (if there is time) a smaller one
            first = min(NOD_BEAT, ev.duration)
            u1 = np.clip((t - ev.start) / first, 0.0, 1.0)
            pitch += ev.amplitude * np.sin(np.pi * u1) ** 2
            if ev.duration > first + 0.1:
                u2 = np.clip((t - ev.start - first) / (ev.duration - first), 0.0, 1.0)
                pitch += 0.5 * ev.amplitude * np.sin(np.pi * u2) ** 2
        elif ev.kind == "shake":
            freq = max(2.5, 2.0 / ev.duration)  # two full turns or more
            yaw += ev.direction * ev.amplitude * _oscillation(t, ev.start, ev.duration, freq)
        elif ev.kind == "stress":
            pitch += ev.amplitude * np.sin(np.pi * np.clip((t - ev.start) / ev.duration, 0.0, 1.0)) ** 2
        elif ev.kind == "aversion":
            look = plateau(t, ev.start, ev.duration, 0.3)
            yaw += ev.direction * ev.amplitude * look
            pitch -= 0.35 * ev.amplitude * look
    if style.tremor > 0.0:
        pitch += 0.5 * style.tremor * tremor(rng, t)
        yaw += 0.5 * style.tremor * tremor(rng, t)
    return np.stack([pitch, yaw, roll], axis=1)
