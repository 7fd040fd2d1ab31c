"""What a user sets — in the Blender panel, on the command line, in a batch job — turned into the
engine's GenerateOptions in one place, each setting checked here once.

Settings (all optional): ``emotion`` (or ``emotion_a``), ``emotion_b``, ``gamma`` (a number, or a
curve in seconds: a GammaCurve or {"times": [...], "values": [...]}), ``intensity``, ``seed``,
``quality`` (draft, standard, reference: a sampler, its steps and a gain on the intensity), ``sampler``
and ``steps`` (override the preset), ``method``, ``device``, ``precision`` (auto, float32, bfloat16: the
network's arithmetic on a CPU, engine/diffusion/precision.py), ``model``, ``listening``, ``wavlm`` (a local
WavLM folder, for models trained with WavLM features).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np

from .diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER, DEFAULT_STEPS, PRECISIONS, QUALITY, SAMPLER_NAMES
from .errors import OpenHumanError
from .constants import MODEL_FPS

SETTINGS = ("emotion", "emotion_a", "emotion_b", "gamma", "intensity", "seed", "quality", "sampler", "steps",
            "method", "device", "precision", "model", "listening", "wavlm")
DEFAULT_QUALITY = "standard"


@dataclass(frozen=True)
class GammaCurve:
    """γ over time: ``values`` at ``times`` (seconds from the clip's start), linear between, held
    beyond the ends. The engine reads it at its own frame rate."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def per_frame(self, n_frames: int, fps: float = MODEL_FPS) -> np.ndarray:
        return np.interp(np.arange(n_frames) / fps, self.times, self.values).astype(np.float32)


METHODS = ("model", "procedural")


@dataclass
class GenerateOptions:
    """Every knob of a generation, with its default. Stored on results so they can be reproduced."""

    emotion: str = "Neutral"
    emotion_b: str | None = None
    gamma: float | list | GammaCurve = 1.0  # a number, a curve in seconds, or one value per model frame
    intensity: float = DEFAULT_INTENSITY  # guidance strength; 1 is plain conditioning (engine/diffusion/presets.py)
    guidance_gain: float = 1.0  # the quality preset's factor on intensity (presets.py QUALITY); the product guides
    seed: int = 0
    method: str = "model"
    sampler: str = DEFAULT_SAMPLER
    steps: int | None = None  # the sampler's default (engine/diffusion/presets.py DEFAULT_STEPS)
    device: str = "auto"
    precision: str = "auto"  # the network's arithmetic on a CPU: bfloat16 where it is native (diffusion/precision.py)
    model: str | None = None  # None: the bundled model
    listening: bool = False  # the clip is the other speaker: a listener's idle (breathing, nods), no gestures
    wavlm: str | None = None  # a local WavLM model folder, for models trained with WavLM features (never downloaded)

    def to_dict(self) -> dict:
        d = asdict(self)
        if isinstance(self.gamma, np.ndarray):
            d["gamma"] = self.gamma.tolist()
        return d


def gamma_from_setting(value):
    """A number, a GammaCurve, or per-frame values as given; a {"times", "values"} mapping becomes a GammaCurve."""
    if isinstance(value, Mapping):
        if set(value) != {"times", "values"}:
            raise OpenHumanError('a gamma curve is {"times": [seconds...], "values": [0..1 ...]}, '
                                 f"got the keys {sorted(value)}")
        return GammaCurve(tuple(float(t) for t in value["times"]), tuple(float(v) for v in value["values"]))
    return _real(value)


def options_from_settings(settings: Mapping):
    """GenerateOptions from user settings (see the module notes), refused with a message naming the
    first setting that cannot work."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise OpenHumanError(f"unknown setting {unknown[0]!r}; the settings are: {', '.join(SETTINGS)}")
    get = lambda name, default=None: default if settings.get(name) in (None, "") else settings[name]  # noqa: E731
    quality = str(get("quality", DEFAULT_QUALITY)).lower()
    if quality not in QUALITY:
        raise OpenHumanError(f"unknown quality {quality!r}; choose one of {', '.join(QUALITY)}")
    sampler, steps, gain = QUALITY[quality]
    if get("sampler") is not None:  # a sampler named outright runs its own default steps unless told
        sampler, steps = get("sampler"), None
    if get("sampler") is not None or get("steps") is not None:  # the gain belongs to the preset's own steps
        gain = 1.0
    steps = _whole(get("steps", steps))
    options = GenerateOptions(
        emotion=get("emotion", get("emotion_a", "Neutral")), emotion_b=get("emotion_b"),
        gamma=gamma_from_setting(get("gamma", 1.0)), intensity=_real(get("intensity", DEFAULT_INTENSITY)),
        guidance_gain=gain, seed=_whole(get("seed", 0)), method=str(get("method", "model")).lower(), sampler=sampler,
        steps=steps,
        device=str(get("device", "auto")).lower(), precision=str(get("precision", "auto")).lower(),
        model=get("model"), listening=bool(get("listening", False)), wavlm=get("wavlm"),
    )
    check_generate_options(options)
    return options


def _whole(value):
    """A whole number given as text or as a float with no fraction (a CSV cell, a JSON number) as an int;
    anything else unchanged, for the checks to name."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _real(value):
    """A number given as text as a float; anything else unchanged, for the checks to name."""
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        return value


SEED_RANGE = (0, 2**32 - 1)  # what numpy's and torch's generators both take
INTENSITY_RANGE = (0.0, 10.0)  # guidance beyond 10 only amplifies the network's errors
MAX_STEPS = DEFAULT_STEPS["ddpm"]  # the reference sampler walks the whole schedule


def check_generate_options(options: GenerateOptions) -> None:
    """Raise OpenHumanError naming the first setting of ``options`` that cannot work."""
    if options.method not in METHODS:
        raise OpenHumanError(f"unknown method {options.method!r}; use one of {', '.join(METHODS)}")
    _check_gamma(options.gamma)
    intensity = _number("intensity", options.intensity)
    if not INTENSITY_RANGE[0] <= intensity <= INTENSITY_RANGE[1]:
        raise OpenHumanError(f"intensity must be from {INTENSITY_RANGE[0]:g} to {INTENSITY_RANGE[1]:g}, "
                             f"got {intensity:g}")
    gain = _number("guidance_gain", options.guidance_gain)
    if not 0 < gain <= 2:
        raise OpenHumanError(f"guidance_gain must be above 0 and at most 2 (a quality preset's), got {gain:g}")
    seed = options.seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise OpenHumanError(f"seed must be a whole number from {SEED_RANGE[0]} to {SEED_RANGE[1]}, got {seed!r}")
    if options.precision not in PRECISIONS:
        raise OpenHumanError(f"unknown precision {options.precision!r}; choose one of {', '.join(PRECISIONS)}")
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
