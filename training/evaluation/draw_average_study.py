"""How far a distilled student that does not read its step's draw can go, measured before training it.

A student of n steps learns, for each of its steps, the x̂0 its teacher makes in `fold` steps on the nested
grid (training/distill.py). When those steps draw noise and the student does not read the draw, the best it
can learn is their x̂0 averaged over the draws. This study samples the teacher that way: n posterior steps,
each taking its x̂0 from `fold` of the teacher's own guided steps drawn at `eta` and averaged over `draws`
draws, and measures it on real speech as `openhuman eval --real-speech FOLDER... --neutral-only --no-plots`
does (the summary's model row is printed as JSON; the whole results go to --out):

  python -m openhuman.training.evaluation.draw_average_study ../shared/data/speech \\
      /usr/share/pocketsphinx/test/data/cards ../shared/data/zeggs --steps 4 --fold 16 --eta 1 --draws 4 --seeds 2

eta 1 is the "sde-noise" target (posterior steps, their x̂0s averaged along the path so the draw drops out of
it); with --draws 1 that is the teacher's own sampling regrouped. Below 1 the target is where DDIM steps at
that eta land ("ode" with drawn steps); eta 0 is the deterministic "ode" target, which no draw changes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from ...engine.diffusion import samplers
from ...engine.diffusion.modelfile import load_model_file, save_model_file_like
from ...engine.diffusion.schedule import NoiseSchedule
from ...engine.errors import Cancelled
from ..distill_steps import ddim_step, path_average_weights, student_target


def draw_averaged_x0(denoise_fn, x_t, abs_, ts, eta: float, draws: int, generator=None):
    """One student step's x̂0 from the teacher's steps ᾱ abs_[0] → … → abs_[-1] at timesteps ``ts`` (one per
    step), drawn at ``eta`` and averaged over ``draws`` draws; and where the last draw's steps landed."""
    total = torch.zeros_like(x_t)
    for _ in range(draws):
        x, predictions = x_t, []
        for j, t in enumerate(ts):
            predictions.append(denoise_fn(x, t))
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device) if eta else None
            x = ddim_step(predictions[-1], x, abs_[j], abs_[j + 1], eta, noise)
        if eta == 1:
            x0 = sum(float(w) * p for w, p in zip(path_average_weights(*abs_), predictions))
        else:
            x0 = student_target(x_t, x, abs_[0], abs_[-1])
        total += x0
    return total / draws, x


def draw_averaged_steps(fold: int, eta: float, draws: int, fresh_noise: bool = False):
    """A stand-in for samplers.denoise_steps: each of the sampler's steps (a grid n) takes its x̂0 from
    draw_averaged_x0 over the nested grid of fold·n. One draw at eta 1 steps with that draw's noise (posterior
    steps compose: the teacher's own sampling, regrouped); otherwise the sampler's step draws its own noise, as a
    student's step does while its x̂0 does not read it. (Stepping with the first of several draws' noise would
    let the x̂0 read a share of it: 4 such draws kept r at 0.41, where 4 with their own noise gave 0.35-0.39.)
    ``fresh_noise``: the sampler's step draws its own noise for one draw too: an x̂0 that spreads over the draws
    as the teacher's does without being tied to its step's noise (an energy-score student that does not read it)."""
    def steps(denoise_fn, x, sampler, generator=None, progress=None, cancel=None):
        n = len(sampler.timesteps)
        fine = samplers.nested_grid(fold * n, sampler.schedule.steps)
        ab = [float(sampler.schedule.alphas_cumprod[t]) for t in fine] + [1.0]
        for i in range(n):
            if cancel is not None and cancel():
                raise Cancelled("sampling cancelled")
            ts = [torch.full((x.shape[0],), t, device=x.device, dtype=torch.long) for t in fine[fold * i:fold * (i + 1)]]
            abs_ = [torch.tensor(a, dtype=torch.float64) for a in ab[fold * i:fold * (i + 1) + 1]]
            x0, landed = draw_averaged_x0(denoise_fn, x, abs_, ts, eta, draws, generator)
            x = landed if eta == 1 and draws == 1 and not fresh_noise else sampler.step(x0, i, x, generator)
            if progress is not None:
                progress(i + 1, n)
        return x
    return steps


def on_grid(model_path, n: int, out: Path) -> Path:
    """The model's file marked to sample by n posterior steps on the nested grid, guided as the default."""
    bundle = load_model_file(model_path)
    distilled = {"intensity": 2.5, "guidance": "kept (draw_average_study)", "guidance_kept": True, "steps": n,
                 "timesteps": samplers.nested_grid(n, NoiseSchedule.cosine().steps), "eta": 1.0}
    return save_model_file_like(out, bundle.model, bundle, training=bundle.metadata.get("training", {}),
                                distilled=distilled)


def evaluate_with_steps(steps_fn, folders, model_path, n: int, seed: int, seeds: int, out=None,
                        intensity: float | None = None) -> dict:
    """The real-speech summary (the model's row) of the model sampled by ``steps_fn`` in place of
    samplers.denoise_steps, in this process only, on the nested grid of n steps."""
    from .real_speech import RealSpeechConfig, evaluate_real_speech

    with tempfile.TemporaryDirectory() as tmp:
        model = on_grid(model_path, n, Path(tmp) / "on-grid.safetensors")
        samplers.denoise_steps = steps_fn
        extra = {} if intensity is None else {"intensity": intensity}
        cfg = RealSpeechConfig(folders=list(folders), model=str(model), out=out, seed=seed, seeds=seeds,
                               emotions=False, plots=False, **extra)
        return evaluate_real_speech(cfg)["summary"]["model"]


def study_parser(doc: str, fold_help: str) -> argparse.ArgumentParser:
    """The arguments every study of the teacher sampled as a student would be shares (evaluate_with_steps')."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", help="folders of real speech, as openhuman eval --real-speech takes")
    parser.add_argument("--model", default="models/openhuman-base.safetensors", help="the teacher")
    parser.add_argument("--steps", type=int, default=4, help="the student's steps")
    parser.add_argument("--fold", type=int, default=16, help=fold_help)
    parser.add_argument("--seed", type=int, default=1, help="the first seed (as eval's)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds averaged")
    parser.add_argument("--out", help="folder for real_speech.json")
    return parser


def main(argv=None) -> int:
    parser = study_parser(__doc__, "teacher steps per student step")
    parser.add_argument("--eta", type=float, default=1.0, help="the teacher's steps' eta (0 to 1)")
    parser.add_argument("--draws", type=int, default=4, help="draws each x̂0 is averaged over")
    parser.add_argument("--fresh-noise", action="store_true",
                        help="step with fresh noise even for one draw at eta 1 (see draw_averaged_steps)")
    args = parser.parse_args(argv)
    if not 0 <= args.eta <= 1 or args.draws < 1 or args.steps < 1 or args.fold < 1 or args.seeds < 1:
        parser.error("--eta is from 0 to 1; --draws, --steps, --fold and --seeds are at least 1")
    steps = draw_averaged_steps(args.fold, args.eta, args.draws, args.fresh_noise)
    summary = evaluate_with_steps(steps, args.folders, args.model, args.steps, args.seed, args.seeds, args.out)
    print(json.dumps({"steps": args.steps, "fold": args.fold, "eta": args.eta, "draws": args.draws,
                      "fresh_noise": args.fresh_noise,
                      "model": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
