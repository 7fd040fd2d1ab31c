"""Diversity: how different motions are from each other, as the mean distance between joint positions.

The distance between two motions of equal length is the mean over frames and the 75 joints of
the Euclidean distance between their positions in the root frame (pose features' POS slice,
metres), so where the character stands does not count. Diversity of a set is the mean distance
over all its pairs:

- across seeds: motions of the same input (speech, words, emotion) from different random
  seeds, averaged over inputs (a deterministic system scores 0);
- across inputs: one motion per input, different inputs (the data mean pose scores 0).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from ...engine.motion import pose
from ...engine.motion.motion import Motion


def root_frame_positions(motion: Motion, features: np.ndarray | None = None) -> np.ndarray:
    """(F, J, 3) joint positions in the root frame (m); `features`: the motion's pose features, if at hand."""
    feats = pose.encode(motion) if features is None else features
    return feats[:, pose.SLICES["POS"]].reshape(motion.n_frames, -1, 3).astype(np.float64)


def motion_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean joint distance (m) of two (F, J, 3) position arrays, over their common frames."""
    n = min(len(a), len(b))
    return float(np.linalg.norm(a[:n] - b[:n], axis=-1).mean())


def diversity(motions: list[Motion], features: list[np.ndarray] | None = None) -> float:
    """Mean pairwise distance of a set of motions (0 for fewer than two)."""
    positions = [root_frame_positions(m, None if features is None else features[k]) for k, m in enumerate(motions)]
    pairs = [motion_distance(a, b) for a, b in combinations(positions, 2)]
    return float(np.mean(pairs)) if pairs else 0.0


def diversity_across_seeds(groups: list[list[Motion]]) -> float:
    """Mean over inputs of the diversity of each input's motions from different seeds."""
    values = [diversity(g) for g in groups if len(g) >= 2]
    return float(np.mean(values)) if values else 0.0


def diversity_across_inputs(motions: list[Motion], features: list[np.ndarray] | None = None) -> float:
    return diversity(motions, features)
