"""Can a deterministic few-step student rest like the stochastic default, if its sampling adds the noise?

A student of a deterministic (ODE) target learns a function of its input alone, which it reads; a student of
the stochastic target must also read the step's draw, which the CPU-trained students did not
(draw_average_study, draw_reading). This study samples the teacher as such a student would sample: n steps
on the nested grid; before each step after the first the motion is noised back up ("churn", as in Karras et
al.'s stochastic sampler) to a timestep t' that lies `churn` of the way (in √t) from its timestep back to the
one before; then `fold` deterministic steps of the teacher (DDIM, or DPM-Solver++(2M) with --solver dpm) take
it from t' to the next grid timestep. churn 0 is the teacher's ODE on n·fold steps; --segments gives the
steps' start and end timesteps outright. It is measured on real speech as `openhuman eval --real-speech
FOLDER... --neutral-only --no-plots` does (the summary's model row is printed as JSON):

  python -m openhuman.training.evaluation.churn_study ../shared/data/speech \\
      /usr/share/pocketsphinx/test/data/cards ../shared/data/zeggs --steps 4 --fold 16 --churn 1 --seeds 6

Measured (README, "Deterministic steps with the noise added between them"): it keeps r and the hand speed but
rests in the voice's pauses a quarter less than the default, with any churn tried.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import torch

from ...engine.diffusion import samplers
from ...engine.diffusion.schedule import NoiseSchedule
from ...engine.errors import Cancelled
from ..distill_steps import ODE_SOLVERS, ode_segment
from .draw_average_study import evaluate_with_steps, study_parser


def churned_timesteps(grid: list[int], churn: float) -> list[int]:
    """Where each step starts: its grid timestep, raised `churn` of the way (in √t) to the one before (above 1:
    beyond it, up to the first)."""
    root = np.sqrt(np.asarray(grid, dtype=float))
    start = root.copy()
    start[1:] = root[1:] + churn * (root[:-1] - root[1:])
    return [min(int(round(s * s)), grid[0]) for s in start]


def ode_timesteps(start: int, end: int | None, fold: int) -> list[int]:
    """`fold` timesteps from `start` down, even in √t, before `end` (None: clean motion)."""
    stop = 0.0 if end is None else np.sqrt(end)
    ts = np.round(np.linspace(np.sqrt(start), stop, fold + 1)[:-1] ** 2).astype(int)
    return sorted(set(ts.tolist()), reverse=True)


def renoise(x: torch.Tensor, ab_from: float, ab_to: float, generator=None) -> torch.Tensor:
    """The forward process from ᾱ_from to the noisier ᾱ_to."""
    if ab_to >= ab_from:
        return x
    ratio = ab_to / ab_from
    return ratio ** 0.5 * x + (1 - ratio) ** 0.5 * samplers._noise_like(x, generator)


def segments_of(grid: list[int], churn: float) -> list[tuple[int, int | None]]:
    """(start, end) of each step on the grid churned by `churn` (end None: clean motion); a step whose start
    is the first timestep again drops the ones before it, whose result the noise would wipe out."""
    starts = churned_timesteps(grid, churn)
    ends = grid[1:] + [None]
    first = max(i for i, s in enumerate(starts) if s >= grid[0])
    return list(zip(starts, ends))[first:]


def parse_segments(text: str) -> list[tuple[int, int | None]]:
    """"999:250,562:62,250:0" → [(999, 250), (562, 62), (250, None)]; ValueError for anything else."""
    pairs = [tuple(int(v) for v in part.split(":")) for part in text.split(",")]
    if any(len(p) != 2 or not 0 <= p[1] < p[0] <= 999 for p in pairs):
        raise ValueError(text)
    return [(a, b if b > 0 else None) for a, b in pairs]


def churned_ode_steps(segments: list[tuple[int, int | None]], fold: int, solver: str = "ddim"):
    """A stand-in for samplers.denoise_steps: for each (start, end), noise the motion up to start and take
    `fold` deterministic teacher steps from there to end."""
    def steps(denoise_fn, x, sampler, generator=None, progress=None, cancel=None):
        ab = sampler.schedule.alphas_cumprod.double()
        current = segments[0][0]
        for i, (start, end) in enumerate(segments):
            if cancel is not None and cancel():
                raise Cancelled("sampling cancelled")
            x = renoise(x, float(ab[current]), float(ab[start]), generator) if i else x
            fine = ode_timesteps(start, end, fold)
            abs_ = [float(ab[s]) for s in fine] + [float(ab[end]) if end is not None else 1.0]
            ts = [torch.full((x.shape[0],), s, device=x.device, dtype=torch.long) for s in fine]
            x = ode_segment(denoise_fn, x, [torch.tensor(a, dtype=x.dtype, device=x.device) for a in abs_], ts,
                            solver)
            current = end if end is not None else 0
            if progress is not None:
                progress(i + 1, len(segments))
        return x
    return steps


def main(argv=None) -> int:
    parser = study_parser(__doc__, "deterministic teacher steps per student step")
    parser.add_argument("--churn", type=float, default=0.5,
                        help="how far back each step is noised: 1 to the step before (0 to 3)")
    parser.add_argument("--segments", help="the steps as start:end timesteps, e.g. 999:250,562:62,250:0 (0: clean "
                        "motion), instead of --steps and --churn")
    parser.add_argument("--solver", choices=ODE_SOLVERS, default="ddim", help="the deterministic steps' solver")
    parser.add_argument("--intensity", type=float, help="the guidance intensity (default: the model's)")
    args = parser.parse_args(argv)
    if not 0 <= args.churn <= 3 or args.steps < 1 or args.fold < 1 or args.seeds < 1:
        parser.error("--churn is from 0 to 3; --steps, --fold and --seeds are at least 1")
    try:
        segments = (parse_segments(args.segments) if args.segments else
                    segments_of(samplers.nested_grid(args.steps, NoiseSchedule.cosine().steps), args.churn))
    except ValueError:
        parser.error(f"--segments takes start:end timesteps, each start above its end, e.g. 999:250,562:0; "
                     f"got {args.segments!r}")
    summary = evaluate_with_steps(churned_ode_steps(segments, args.fold, args.solver), args.folders, args.model,
                                  len(segments), args.seed, args.seeds, args.out, args.intensity)
    print(json.dumps({"segments": segments, "fold": args.fold, "solver": args.solver, "intensity": args.intensity,
                      "model": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
