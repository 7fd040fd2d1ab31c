"""Sampler names, the default, and the three quality presets; torch-free so the add-on's UI can read it."""

# The one sampler table: name -> (default steps, what it is). engine/diffusion/samplers.py takes its steps from here.
# 20 SDE steps: on real speech (the three clips, every emotion, seeds 1-3) they keep the 50 steps' motion
# (hand speed -4 %, height +2 %, still +5 %) and score as well or better (speech-motion r 0.42 against 0.39,
# emotion accuracy 0.98 against 0.96) in 2.5 times fewer passes (README, Sampling steps). On the synthetic
# split 50 steps come closer to DDPM-1000's hand speed; `--steps 50` gives them.
SAMPLER_TABLE = {
    "dpm-sde": (20, "fast default (DPM-Solver++ 2M SDE, 20 steps)"),
    "dpm": (20, "its deterministic ODE form"),
    "ddim": (50, "50 steps (deterministic; eta > 0 adds noise)"),
    "ddpm": (1000, "the method's reference sampler (1000 steps)"),
    "distilled": (8, "a distilled model file's own sampling: one pass per step on its grid (training/distill.py)"),
}
SAMPLER_NAMES = tuple(SAMPLER_TABLE)
DEFAULT_SAMPLER = "dpm-sde"
DEFAULT_STEPS = {name: steps for name, (steps, _) in SAMPLER_TABLE.items()}
# Quality presets: name -> (sampler, steps, guidance gain). The gain multiplies the user's intensity, so that an
# intensity looks alike in every preset: fewer steps weaken the guidance. Draft, 10 steps at 1.2 × (2026-12-07), on
# real speech (the three clips, every emotion, seeds 1-3 and 4-6) keeps standard's speech-motion r (0.42 both) and
# stillness (0.21 against 0.21-0.22) with hand speed -6 % (-12 % on the LibriVox reading), in half of standard's
# passes; emotion accuracy 0.94-0.98 against 0.97-0.98. Without the gain ten steps lose 12 % of the hand speed, and
# the 12 steps draft took until then lost 14 % of it and 11 % of the stillness (README, Sampling steps).
QUALITY = {"draft": ("dpm-sde", 10, 1.2), "standard": (DEFAULT_SAMPLER, 20, 1.0), "reference": ("ddpm", 1000, 1.0)}
DISTILLED_SAMPLER = "distilled"
# Classifier-free guidance strength (the add-on's "intensity"): 1 is plain conditioning. The bundled
# model under-expresses Happy and Angry at 1. With voice guidance, 2.5 against 2 on real speech:
# speech-motion r 0.36 against 0.33, Angry recognised in 62 % of windows against 46 %, pauses kept;
# on the synthetic split FGD 70 against 89 and gamma-monotonic 0.97 against 0.93 (models/MODEL_CARD.md).
DEFAULT_INTENSITY = 2.5
SAMPLER_HELP = "; ".join(f"{name}: {what}" for name, (_, what) in SAMPLER_TABLE.items())
# The network's arithmetic on a CPU (engine/diffusion/precision.py): auto is bfloat16 where the CPU multiplies it
# natively, else float32.
PRECISIONS = ("auto", "float32", "bfloat16")
