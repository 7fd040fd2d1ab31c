"""One place that refuses impossible generation settings before any work, the same for every method."""
from __future__ import annotations

import math

import numpy as np

from .errors import OpenHumanError
from .diffusion.presets import DEFAULT_STEPS, SAMPLER_NAMES

SEED_RANGE = (0, 2**32 - 1)  # what numpy's and torch's generators both take
INTENSITY_RANGE = (0.0, 10.0)  # guidance beyond 10 only amplifies the network's errors
MAX_STEPS = DEFAULT_STEPS["ddpm"]  # the reference sampler walks the whole schedule


def check_options(options) -> None:
    """Raise OpenHumanError naming the first setting of a GenerateOptions that cannot work."""
    _check_gamma(options.gamma)
    intensity = _number("intensity", options.intensity)
    if not INTENSITY_RANGE[0] <= intensity <= INTENSITY_RANGE[1]:
        raise OpenHumanError(f"intensity must be from {INTENSITY_RANGE[0]:g} to {INTENSITY_RANGE[1]:g}, "
                             f"got {intensity:g}")
    seed = options.seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise OpenHumanError(f"seed must be a whole number from {SEED_RANGE[0]} to {SEED_RANGE[1]}, got {seed!r}")
    if options.sampler not in SAMPLER_NAMES:
        raise OpenHumanError(f"unknown sampler {options.sampler!r}; choose one of {', '.join(SAMPLER_NAMES)}")
    steps = options.steps
    if steps is not None and (not isinstance(steps, (int, np.integer)) or isinstance(steps, bool)
                              or not 1 <= steps <= MAX_STEPS):
        raise OpenHumanError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    for label, name in (("emotion", options.emotion), ("emotion B", options.emotion_b)):
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise OpenHumanError(f"{label} must be an emotion's name, got {name!r}")


def _number(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OpenHumanError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise OpenHumanError(f"{name} must be a finite number, got {value!r}")
    return number


def _check_gamma(gamma) -> None:
    from .settings import GammaCurve

    if isinstance(gamma, GammaCurve):
        times = np.asarray(gamma.times, dtype=np.float64)
        if len(times) == 0 or len(times) != len(gamma.values):
            raise OpenHumanError(f"a gamma curve needs as many times as values and at least one, got {len(times)} "
                                 f"times and {len(gamma.values)} values")
        if not np.isfinite(times).all() or (np.diff(times) <= 0).any():
            raise OpenHumanError("a gamma curve's times must be finite seconds in increasing order")
        gamma = list(gamma.values)
    if np.ndim(gamma) == 0:
        values = np.array([_number("gamma", gamma)])
    else:
        try:
            values = np.asarray(gamma, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise OpenHumanError("gamma must be a number or a list of numbers (one per frame)") from None
        if values.size == 0:
            raise OpenHumanError("gamma curve is empty; give a number or one value per frame")
        if not np.isfinite(values).all():
            raise OpenHumanError("gamma curve holds NaN or infinite values; every value must be from 0 to 1")
    if values.min() < 0.0 or values.max() > 1.0:
        raise OpenHumanError(f"gamma must be from 0 to 1 (1 = emotion A, 0 = emotion B), got values from "
                             f"{values.min():g} to {values.max():g}")
