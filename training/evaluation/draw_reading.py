"""Does a distilled student read its step's draw as its target does? (training/distill.py, "sde-noise")

For the same training windows, student steps and noised motion, two draws z give two targets and two x̂0s of
the student. Their spreads (half the mean square of the difference) against the student's error say how much
of what it misses comes from the draw, and whether it reads it at all: a student whose x̂0 does not move with z
learns the target averaged over the draws (draw_average_study.py measures what that gives).

  python -m openhuman.training.evaluation.draw_reading configs/distill-fold4-pauses.toml \\
      runs/distill-fold4-pauses/round-16.safetensors --batches 3

prints, per batch of the config's size and on average: student_error, target_spread, student_spread, over all
frames and (suffixes _in_pauses, _in_speech) over the frames where the voice pauses (its guidance at least half
way down to plain conditioning) and where it speaks; and target_change_spread, student_change_spread: the
spreads of the frame-to-frame change.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from ...engine.diffusion.modelfile import load_model_file
from ...engine.diffusion.schedule import NoiseSchedule
from ...engine.errors import OpenHumanError
from ..distill import DistillConfig, _Windows, round_teacher, student_and_target
from ..distill_steps import fold_shifts, pause_frame_weights


def draw_reading(cfg: DistillConfig, student_path, batches: int = 3, seed: int = 0) -> dict:
    """The student's error against its round's target and the two spreads over the draw, per batch and mean."""
    if cfg.teacher_path != "sde-noise":
        raise OpenHumanError(f"only the \"sde-noise\" distillation draws; this config's is {cfg.teacher_path!r}")
    student = load_model_file(student_path)
    distilled = student.metadata.get("distilled") or {}
    rounds = cfg.rounds()
    if not student.config.noise_input or distilled.get("steps") not in rounds:
        raise OpenHumanError(f"{student_path}: not a noise-reading student of this config's rounds {rounds}")
    r = rounds.index(distilled["steps"])
    original = load_model_file(cfg.teacher)
    _, teacher_x0, fine = round_teacher(cfg, original, r)
    network, schedule, shifts = student.model.eval(), NoiseSchedule.cosine(), fold_shifts(r, cfg.fold)
    windows, rng, rows = _Windows(cfg, original), np.random.default_rng(seed), []
    for k in range(batches):
        x0, cond, guide = windows.batch(rng.integers(0, len(windows.ds), cfg.batch_size), "cpu", rng)
        pairs = []
        for draw in range(2):
            z = torch.randn(x0.shape, generator=torch.Generator().manual_seed(1000 * seed + 2 * k + draw))
            with torch.no_grad():  # the same generator seed: the same steps and noised motion under both draws
                pairs.append(student_and_target(network, teacher_x0, schedule, rounds[r], x0, cond, guide,
                                                torch.Generator().manual_seed(seed * 100 + k), "sde-noise", fine,
                                                shifts, cfg.keep_guidance, z))
        (p1, t1), (p2, t2) = pairs
        pausing = (pause_frame_weights(guide.gate, cfg.intensity, 1.0) - 1 >= 0.5)[..., None].expand_as(p1)
        row = {}
        for where, frames in (("", torch.ones_like(pausing)), ("_in_pauses", pausing), ("_in_speech", ~pausing)):
            if frames.any():
                row.update({f"student_error{where}": float(((p1 - t1) ** 2)[frames].mean()),
                            f"target_spread{where}": float(((t1 - t2) ** 2)[frames].mean()) / 2,
                            f"student_spread{where}": float(((p1 - p2) ** 2)[frames].mean()) / 2})
        # a draw's spread that jitters from frame to frame moves hands that the target's leaves still
        row.update({"target_change_spread": float(((t1 - t2).diff(dim=1) ** 2).mean()) / 2,
                    "student_change_spread": float(((p1 - p2).diff(dim=1) ** 2).mean()) / 2})
        rows.append(row)
    keys = dict.fromkeys(key for row in rows for key in row)  # a batch without pauses has no pause measures
    mean = {key: float(np.mean([row[key] for row in rows if key in row])) for key in keys}
    return {"student": str(student_path), "round": r + 1, "steps": rounds[r], "batches": rows, "mean": mean}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the distillation's TOML settings (its teacher, data, out and fold)")
    parser.add_argument("student", help="a round's model file of that distillation")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.batches < 1:
        parser.error("--batches must be at least 1")
    print(json.dumps(draw_reading(DistillConfig.load(args.config), args.student, args.batches, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
