"""Idle life: smooth random drift, breathing, weight shifts. Functions of time, so any fps agrees."""
from __future__ import annotations

import numpy as np


def smooth_noise(rng: np.random.Generator, t: np.ndarray, freq: float, n: int = 4) -> np.ndarray:
    """Zero-mean, unit-RMS smooth noise around `freq` Hz: a sum of n sinusoids with random phases."""
    f = freq * rng.uniform(0.5, 1.6, n)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    amp = rng.uniform(0.5, 1.0, n)
    x = (amp[:, None] * np.sin(2.0 * np.pi * f[:, None] * t[None, :] + phase[:, None])).sum(0)
    return x / np.sqrt((amp ** 2).sum() / 2.0)


def breathing(rng: np.random.Generator, t: np.ndarray, rate_hz: float) -> np.ndarray:
    """Breath cycle in [-1, 1] (+1 = inhaled) with a slowly wandering rate."""
    wander = 1.0 + 0.12 * smooth_noise(rng, t, 0.05, 2)
    dt = np.diff(t, prepend=t[0] - (t[1] - t[0] if len(t) > 1 else 0.05))
    phase = 2.0 * np.pi * np.cumsum(rate_hz * wander * dt) + rng.uniform(0.0, 2.0 * np.pi)
    return np.sin(phase)


def minjerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def plateau(t: np.ndarray, start: float, duration: float, ramp: float) -> np.ndarray:
    """0 -> 1 over `ramp` from start, 1 until start + duration, back to 0 over `ramp`."""
    return minjerk((t - start) / ramp) * (1.0 - minjerk((t - start - duration) / ramp))


def weight_shifts(rng: np.random.Generator, t: np.ndarray, size: float, bias: float) -> np.ndarray:
    """Sideways hips offset (m): holds for 3-9 s, then moves over ~1 s to a new side."""
    out = np.full(len(t), bias)
    if len(t) == 0:
        return out
    level, when = bias + rng.uniform(-size, size), float(t[0]) - 1.0
    out[:] = level
    while when < t[-1]:
        when += rng.uniform(3.0, 9.0)
        new = bias + rng.uniform(-size, size)
        ramp = rng.uniform(0.8, 1.5)
        out += (new - level) * minjerk((t - when) / ramp)
        level = new
    return out


def tremor(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Unit-RMS 5-7 Hz tremor whose strength waxes and wanes."""
    envelope = 0.6 + 0.4 * np.abs(smooth_noise(rng, t, 0.2, 2))
    return smooth_noise(rng, t, 6.0, 3) * envelope
