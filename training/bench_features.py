"""Speed of audio feature extraction (`openhuman bench --only features`)."""
from __future__ import annotations

import json
import time

import numpy as np

from ..engine.conditions.audio_features import compute_audio_features
from ..engine.speech.audio import SAMPLE_RATE


def benchmark_audio_features(seconds: float = 60.0, repeats: int = 3) -> dict:
    """Time feature extraction on ``seconds`` of synthetic speech-like audio; JSON-able result.

    The best of ``repeats`` runs is the headline (other processes on a shared machine only slow runs
    down); the median is reported too.
    """
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.5 * t)
    voice = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SAMPLE_RATE)) * (np.sin(2 * np.pi * 3 * t) > 0)
    samples = (0.1 * voice + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    compute_audio_features(samples[: SAMPLE_RATE])  # warm caches (filterbank, FFT plans)
    walls = []
    for _ in range(max(1, repeats)):
        began = time.perf_counter()
        features = compute_audio_features(samples)
        walls.append(time.perf_counter() - began)
    wall = min(walls)
    return {
        "benchmark": "audio_features",
        "audio_seconds": seconds,
        "wall_seconds": round(wall, 4),
        "median_wall_seconds": round(float(np.median(walls)), 4),
        "repeats": len(walls),
        "realtime_factor": round(seconds / wall, 1),
        "frames": int(features.shape[0]),
        "dims": int(features.shape[1]),
    }


if __name__ == "__main__":
    print(json.dumps(benchmark_audio_features()))
