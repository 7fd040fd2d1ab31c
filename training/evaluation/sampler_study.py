"""Which sampler keeps the model's motion closest to DDPM-1000 (and to real motion)? Prints JSON.

`python -m openhuman.training.evaluation.sampler_study --model FILE --data DIR [--windows 24] [--distilled FILE]
[--samplers dpm-sde:20,ddpm:1000]`
samples the same one-window test segments with each sampler (same noise seed, the default
intensity) and reports hand speed, height, stillness and the share of hand-velocity energy above
4 Hz (fine detail), with the real motion's values and the CPU time of each sampler.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ...engine.api import load_model
from ..style_checks import Kinematics, calibration_measures
from .segments import EvalSplit
from .systems import Systems

SAMPLERS = (("dpm", 20), ("dpm-sde", 20), ("dpm-sde", 50), ("ddpm", 1000))
DETAIL_HZ = 4.0


def parse_samplers(text: str) -> tuple:
    """'dpm-sde:20,ddpm:1000' -> (("dpm-sde", 20), ("ddpm", 1000))."""
    rows = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, steps = item.partition(":")
        if not steps.isdigit() or int(steps) < 1:
            raise argparse.ArgumentTypeError(f"{item!r}: write each sampler as name:steps, e.g. dpm-sde:20")
        rows.append((name, int(steps)))
    return tuple(rows)


def detail_share(motion) -> float:
    """Share of the hands' velocity energy above DETAIL_HZ."""
    hands = Kinematics(motion).hands()
    velocity = np.gradient(hands, 1.0 / motion.fps, axis=0)
    power = np.abs(np.fft.rfft(velocity - velocity.mean(0), axis=0)) ** 2
    freq = np.fft.rfftfreq(len(velocity), 1.0 / motion.fps)
    return float(power[freq > DETAIL_HZ].sum() / max(power.sum(), 1e-12))


def summary(motions) -> dict:
    kin = [calibration_measures(m) for m in motions]
    out = {k: float(np.mean([x[k] for x in kin])) for k in ("hand_speed", "hand_height_mean", "still_fraction")}
    out["detail_share"] = float(np.mean([detail_share(m) for m in motions]))
    return out


def _timed_row(make, segments) -> dict:
    """The summary of ``make(segment)`` over the segments, with the CPU seconds it took."""
    start = time.perf_counter()
    motions = [make(s) for s in segments]
    return {**summary(motions), "cpu_s": time.perf_counter() - start}


def study(model: str, data: str, windows: int = 24, samplers=SAMPLERS, device: str = "cpu", distilled=None) -> dict:
    """The rows of the module notes; ``distilled``: a distilled student of ``model`` (training/distill.py),
    sampled its own way, as one more row."""
    split = EvalSplit(data)
    bundle = load_model(model, device)
    systems = Systems(split, bundle, device)
    segments = split.segments(windows, bundle.config.frames)
    rows = {"real": summary([systems.real(s) for s in segments])}
    for sampler, steps in samplers:
        rows[f"{sampler}-{steps}"] = _timed_row(lambda s: systems.model(s, seed=0, sampler=sampler, steps=steps), segments)
    if distilled:
        student = load_model(distilled, device)
        name = f"distilled-{len(student.metadata['distilled']['timesteps'])}"
        rows[name] = _timed_row(lambda s: Systems(split, student, device).model(s, seed=0), segments)
    return {"model": model, "windows": len(segments), "intensity": systems.intensity, "samplers": rows}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--windows", type=int, default=24)
    p.add_argument("--distilled", help="a distilled student of --model (training/distill.py): one more row")
    p.add_argument("--samplers", type=parse_samplers, default=SAMPLERS,
                   help="the rows to sample, as sampler:steps separated by commas (default: "
                        + ",".join(f"{s}:{n}" for s, n in SAMPLERS) + ")")
    args = p.parse_args(argv)
    print(json.dumps(study(args.model, args.data, args.windows, args.samplers, distilled=args.distilled), indent=2))


if __name__ == "__main__":
    main()
