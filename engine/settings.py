"""What a user sets — in the Blender panel, on the command line, in a batch job — turned into the
engine's GenerateOptions in one place, each setting checked here once.

Settings (all optional): ``emotion`` (or ``emotion_a``), ``emotion_b``, ``gamma`` (a number, or a
curve in seconds: a GammaCurve or {"times": [...], "values": [...]}), ``intensity``, ``seed``,
``quality`` (draft, standard, reference: a sampler and its steps), ``sampler`` and ``steps`` (override
the preset), ``method``, ``device``, ``model``, ``listening``, ``wavlm`` (a local WavLM folder, for models
trained with WavLM features).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .diffusion.presets import DEFAULT_INTENSITY, QUALITY
from .errors import OpenHumanError
from .rates import MODEL_FPS

SETTINGS = ("emotion", "emotion_a", "emotion_b", "gamma", "intensity", "seed", "quality", "sampler", "steps",
            "method", "device", "model", "listening", "wavlm")
DEFAULT_QUALITY = "standard"


@dataclass(frozen=True)
class GammaCurve:
    """γ over time: ``values`` at ``times`` (seconds from the clip's start), linear between, held
    beyond the ends. The engine reads it at its own frame rate."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    def per_frame(self, n_frames: int, fps: float = MODEL_FPS) -> np.ndarray:
        return np.interp(np.arange(n_frames) / fps, self.times, self.values).astype(np.float32)


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
    from .api import GenerateOptions, check_generate_options

    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise OpenHumanError(f"unknown setting {unknown[0]!r}; the settings are: {', '.join(SETTINGS)}")
    get = lambda name, default=None: default if settings.get(name) in (None, "") else settings[name]  # noqa: E731
    quality = str(get("quality", DEFAULT_QUALITY)).lower()
    if quality not in QUALITY:
        raise OpenHumanError(f"unknown quality {quality!r}; choose one of {', '.join(QUALITY)}")
    sampler, steps = QUALITY[quality]
    if get("sampler") is not None:  # a sampler named outright runs its own default steps unless told
        sampler, steps = get("sampler"), None
    steps = _whole(get("steps", steps))
    options = GenerateOptions(
        emotion=get("emotion", get("emotion_a", "Neutral")), emotion_b=get("emotion_b"),
        gamma=gamma_from_setting(get("gamma", 1.0)), intensity=_real(get("intensity", DEFAULT_INTENSITY)),
        seed=_whole(get("seed", 0)), method=str(get("method", "model")).lower(), sampler=sampler, steps=steps,
        device=str(get("device", "auto")).lower(), model=get("model"), listening=bool(get("listening", False)),
        wavlm=get("wavlm"),
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
