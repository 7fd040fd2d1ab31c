"""Sampler names, the default, and the three quality presets; torch-free so the add-on's UI can read it."""

SAMPLER_NAMES = ("dpm-sde", "dpm", "ddim", "ddpm")
DEFAULT_SAMPLER = "dpm-sde"
# 50 SDE steps: on the bundled model hand speed and height land within 10 % of DDPM-1000's, where
# 20 steps leave the hands 15 % slower (README, sampler study); 20 remain the Draft preset.
DEFAULT_STEPS = {"dpm-sde": 50, "dpm": 20, "ddim": 50, "ddpm": 1000}
QUALITY = {"draft": ("dpm-sde", 20), "standard": (DEFAULT_SAMPLER, 50), "reference": ("ddpm", 1000)}
# Classifier-free guidance strength (the add-on's "intensity"): 1 is plain conditioning. The bundled
# model under-expresses Happy and Angry at 1; at 2 the emotion classifier recognises every emotion
# and FGD is lower too (`openhuman eval`, README).
DEFAULT_INTENSITY = 2.0
SAMPLER_HELP = ("dpm-sde: fast default (DPM-Solver++ 2M SDE, 50 steps); dpm: its deterministic ODE form; "
                "ddim: 50 steps; ddpm: the method's reference sampler (1000 steps)")
