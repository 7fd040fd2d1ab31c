"""Refit the procedural synthesiser's style numbers after a change to how it gestures.

    python -m openhuman.training.style_fit --speech ../shared/data/speech --zeggs ../shared/data/zeggs

Neutral is fitted to the real ZeroEGGs capture (hand speed, height, spread, stillness: the
measures of tests/test_procedural.py), then each other style to the captured differences from
Neutral (training/style_reference.py: tests/test_procedural_styles.py) on the same real clips and
seeds the tests use. Levenberg-Marquardt on finite differences, a few movement parameters per
style, bounded; prints the new values to paste into engine/procedural/styles.py.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np

from ..engine.motion import bvh
from . import style_reference
from ..engine.speech.audio import load_audio
from ..engine.procedural import analyse_prosody, styles, synthesise
from .style_checks import NEGLIGIBLE, calibration_measures, relative, style_quantities

FITTED = ("amplitude", "speed", "rate", "height_m", "width", "hold", "symmetry", "sharpness", "rest_gap_s")
NEUTRAL_FITTED = ("speed", "rate", "drift", "height_m", "flick", "sharpness")
BOUNDS = {"rest_gap_s": (0.5, 12.0), "flick": (0.3, 3.0), "drift": (0.3, 3.0), "amplitude": (0.2, 2.6), "speed": (0.3, 3.0), "rate": (0.3, 3.0), "height_m": (-0.2, 0.4),
          "width": (0.5, 1.5), "hold": (0.2, 3.0), "symmetry": (0.0, 1.0), "sharpness": (0.5, 2.2)}
HAND_QUANTITIES = ("hand_height_m", "hand_speed", "amplitude", "duration", "frequency", "jerk", "symmetry")
SEEDS = (0, 1)


def _log(value: float, field: str) -> float:
    return math.log(value) if field in styles.RATIO_FIELDS else value


def _unlog(value: float, field: str) -> float:
    lo, hi = BOUNDS[field]
    return float(np.clip(math.exp(value) if field in styles.RATIO_FIELDS else value, lo, hi))


def _scales(fields) -> np.ndarray:
    return np.array([1.0 if f in styles.RATIO_FIELDS else 0.1 for f in fields])


def shift_family(old: styles.Style, new: styles.Style, style: styles.Style) -> styles.Style:
    """Move a style as Neutral moved (ratios scaled, offsets added), so its differences from Neutral stay."""
    changes = {}
    for f in dataclasses.fields(styles.Style):
        a, b, v = getattr(old, f.name), getattr(new, f.name), getattr(style, f.name)
        if a != b:
            changes[f.name] = v * b / a if f.name in styles.RATIO_FIELDS else v + b - a
    return dataclasses.replace(style, **changes)


def _with(style: styles.Style, fields: tuple[str, ...], x: np.ndarray) -> styles.Style:
    return dataclasses.replace(style, **{f: _unlog(v, f) for f, v in zip(fields, x)})


PRIOR = 0.3  # pull towards the starting values (log units for ratios, 10 cm for offsets)
STEP = 0.1  # finite-difference step: beats come and go, so the cost is not smooth at small steps


def _levenberg_marquardt(residual, x0: np.ndarray, iterations: int, log, scale: np.ndarray | None = None) -> np.ndarray:
    scale = np.ones(len(x0)) if scale is None else scale
    fit_residual = residual
    residual = lambda x: np.concatenate([fit_residual(x), PRIOR * (x - x0) / scale])  # noqa: E731
    x, r = x0.copy(), residual(x0)
    log(f"  start: cost {r @ r:.3f}, residuals {np.round(r, 3).tolist()}")
    damping = 1.0
    for it in range(iterations):
        jac = np.stack([(residual(x + STEP * s * e) - r) / (STEP * s) for s, e in zip(scale, np.eye(len(x)))], axis=1)
        while True:
            a = jac.T @ jac + damping * np.diag(np.diag(jac.T @ jac) + 1e-3)
            dx = -np.linalg.solve(a, jac.T @ r)
            trial = residual(x + dx)
            if trial @ trial < r @ r:
                x, r, damping = x + dx, trial, damping / 3
                break
            damping *= 4
            if damping > 1e4:
                return x
        log(f"  iteration {it + 1}: cost {r @ r:.3f}, residuals {np.round(r, 3).tolist()}")
    return x


def _nelder_mead(residual, x0: np.ndarray, evaluations: int, log, scale: np.ndarray) -> np.ndarray:
    """Derivative-free fallback for styles whose cost is too rough for finite differences."""
    from scipy.optimize import minimize

    def cost(x):
        r = np.concatenate([residual(x), PRIOR * (x - x0) / scale])
        return float(r @ r)
    simplex = np.vstack([x0] + [x0 + 0.3 * s * e for s, e in zip(scale, np.eye(len(x0)))])
    result = minimize(cost, x0, method="Nelder-Mead",
                      options={"maxfev": evaluations, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-3})
    log(f"  Nelder-Mead: cost {result.fun:.3f}, residuals {np.round(residual(result.x), 3).tolist()}")
    return result.x


def fit_neutral(zeggs: Path, iterations: int, log=print) -> styles.Style:
    samples = load_audio(zeggs / "067_Speech_2_part1.wav")
    capture = bvh.load(zeggs / "067_Speech_2_part1.bvh").scaled(0.01).resampled(20.0)
    real = {**calibration_measures(capture), "jerk": style_quantities(capture)["jerk"]}
    prosody = analyse_prosody(samples)
    base = styles.STYLES["Neutral"]

    def residual(x):
        style = _with(base, NEUTRAL_FITTED, x)
        motions = [synthesise(None, None, style, seed=s, prosody=prosody) for s in range(4)]
        rows = [{**calibration_measures(m), "jerk": style_quantities(m)["jerk"]} for m in motions]
        return np.array([math.log(np.mean([r[k] for r in rows]) / real[k]) for k in real])

    x = _levenberg_marquardt(residual, np.array([_log(getattr(base, f), f) for f in NEUTRAL_FITTED]),
                             iterations, log, _scales(NEUTRAL_FITTED))
    return _with(base, NEUTRAL_FITTED, x)


def fit_style(name: str, prosodies: list, neutral_rows: list, iterations: int, log=print,
              simplex: int = 0) -> styles.Style:
    base = styles.STYLES[name]
    captured = style_reference.EMOTIONS[name]
    kind = style_reference.KIND

    def residual(x):
        style = _with(base, FITTED, x)
        rows = [relative(style_quantities(synthesise(None, None, style, seed=s, prosody=p)), n, kind)
                for p, by_seed in zip(prosodies, neutral_rows) for s, n in zip(SEEDS, by_seed)]
        out = []
        for q in HAND_QUANTITIES:
            ours = float(np.mean([r[q] for r in rows]))
            want = math.log(captured[q]) if kind[q] == "ratio" else captured[q]
            if abs(want) < NEGLIGIBLE[q]:  # no captured change: ours should stay small too
                out.append(ours / (2.0 * NEGLIGIBLE[q]))
            else:  # the tests want the same sign within a factor of two: fit the log of the factor
                factor = ours / want  # below 0.05 (or the wrong sign) continued linearly, to keep a slope
                out.append(math.log(factor) if factor > 0.05 else math.log(0.05) + (factor - 0.05) / 0.05)
        return np.array(out)

    x0 = np.array([_log(getattr(base, f), f) for f in FITTED])
    if simplex:
        x = _nelder_mead(residual, x0, simplex, log, _scales(FITTED))
    else:
        x = _levenberg_marquardt(residual, x0, iterations, log, _scales(FITTED))
    return _with(base, FITTED, x)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--speech", type=Path, required=True, help="the LibriVox clips (../shared/data/speech)")
    p.add_argument("--zeggs", type=Path, required=True, help="the ZeroEGGs clip (../shared/data/zeggs)")
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--only", nargs="*", help="styles to fit (default: all, Neutral first)")
    p.add_argument("--simplex", type=int, default=0, metavar="N",
                   help="fit the styles by Nelder-Mead with N evaluations instead (slower, copes with rough costs)")
    args = p.parse_args(argv)
    names = args.only or list(styles.STYLE_NAMES)
    if "Neutral" in names:
        print("Neutral")
        old = styles.STYLES["Neutral"]
        styles.STYLES["Neutral"] = fit_neutral(args.zeggs, args.iterations)
        for name in styles.STYLE_NAMES[1:]:
            styles.STYLES[name] = shift_family(old, styles.STYLES["Neutral"], styles.STYLES[name])
        print("Neutral:", {f: round(getattr(styles.STYLES["Neutral"], f), 3) for f in NEUTRAL_FITTED}, flush=True)
    paths = sorted(args.speech.glob("*.wav")) + [args.zeggs / "067_Speech_2_part1.wav"]
    prosodies = [analyse_prosody(load_audio(p)) for p in paths]
    neutral_rows = [[style_quantities(synthesise(None, None, "Neutral", seed=s, prosody=p)) for s in SEEDS]
                    for p in prosodies]
    for name in names:
        if name == "Neutral":
            continue
        print(name, flush=True)
        styles.STYLES[name] = fit_style(name, prosodies, neutral_rows, args.iterations, simplex=args.simplex)
        print(f"{name}:", {f: round(getattr(styles.STYLES[name], f), 3) for f in FITTED}, flush=True)
    print("\nSTYLES = {")
    for name in styles.STYLE_NAMES:
        changed = {f.name: round(getattr(styles.STYLES[name], f.name), 3) for f in dataclasses.fields(styles.Style)
                   if getattr(styles.STYLES[name], f.name) != f.default}
        print(f"    {name!r}: Style({', '.join(f'{k}={v}' for k, v in changed.items())}),")
    print("}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
