"""γ-monotonicity: in emotion interpolation mode (x̂0 = γ·G(c[e_A]) + (1−γ)·G(c[e_B])), the emotion
classifier's probability of A must rise with γ.

For every ordered pair (A, B) of the model's emotions and γ in GAMMAS, the model generates the
same inputs with the same noise seed; the probability of A (mean over inputs) at consecutive γ
may never fall by more than TOLERANCE, and must end higher than it starts. (A, B) at γ and
(B, A) at 1 − γ are the same generation, so each unordered pair is sampled once.
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable

import numpy as np

from .emotion_classifier import EmotionClassifier
from .segments import Segment
from .systems import Systems

GAMMAS = (0.0, 0.25, 0.5, 0.75, 1.0)
TOLERANCE = 0.01


def gamma_sweep(systems: Systems, classifier: EmotionClassifier, segments: list[Segment], seed: int = 0,
                progress: Callable[[str], None] | None = None) -> dict[tuple[str, str], np.ndarray]:
    """{(A, B): (inputs, len(GAMMAS)) probabilities of A} for every ordered pair."""
    emotions = systems.split.emotions
    column = {e: classifier.emotions.index(e) for e in emotions}
    curves = {}
    pairs = list(combinations(emotions, 2))
    for n, (a, b) in enumerate(pairs):
        if progress:
            progress(f"gamma sweep {a}/{b} ({n + 1} of {len(pairs)})")
        p = np.array([[classifier.probabilities(systems.model(seg, a, emotion_b=b, gamma=g, seed=seed))
                       for g in GAMMAS] for seg in segments])  # (inputs, γ, K)
        curves[(a, b)] = p[:, :, column[a]]
        curves[(b, a)] = p[:, ::-1, column[b]]
    return curves


def is_monotonic(curve: np.ndarray, tolerance: float = TOLERANCE) -> bool:
    return bool(np.all(np.diff(curve) >= -tolerance) and curve[-1] > curve[0])


def gamma_monotonicity(curves: dict[tuple[str, str], np.ndarray], tolerance: float = TOLERANCE) -> dict:
    """Share of ordered pairs whose mean curve rises with γ, with the curves and the failing pairs."""
    mean = {pair: c.mean(0) for pair, c in curves.items()}
    ok = {pair: is_monotonic(c, tolerance) for pair, c in mean.items()}
    return {
        "fraction": float(np.mean(list(ok.values()))) if ok else float("nan"),
        "pairs": len(ok),
        "inputs": int(next(iter(curves.values())).shape[0]) if curves else 0,
        "mean_rise": float(np.mean([c[-1] - c[0] for c in mean.values()])) if mean else float("nan"),
        "failing": sorted(f"{a}>{b}" for (a, b), good in ok.items() if not good),
        "curves": {f"{a}>{b}": [round(float(v), 4) for v in c] for (a, b), c in mean.items()},
    }
