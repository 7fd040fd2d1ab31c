"""Speed of the procedural synthesiser: compute seconds per minute of 20 fps motion, as JSON.

    python -m openhuman.training.bench_procedural

The corpus builder needs an hour of motion in well under 15 minutes including speech, so the
goal is under 2 s of compute per minute of motion (prosody analysis included).
"""
from __future__ import annotations

import json
import time

import numpy as np

from ..engine.speech.words import WordSpan
from ..engine.speech.audio import SAMPLE_RATE
from ..engine.procedural.styles import STYLE_NAMES
from ..engine.procedural.synthesiser import synthesise


def speech_like(seconds: float, seed: int = 0) -> tuple[np.ndarray, list[WordSpan]]:
    """A voiced buzz in syllable-rate bursts with pauses, and made-up words over the bursts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = 120.0 * (1.0 + 0.15 * np.sin(2 * np.pi * 0.3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.zeros(n)
    words, cursor = [], 0.3
    lexicon_words = ["you", "big", "no", "yes", "all", "this", "up", "together"]
    while cursor < seconds - 0.5:
        length = rng.uniform(0.15, 0.45)
        a, b = int(cursor * SAMPLE_RATE), int(min(cursor + length, seconds) * SAMPLE_RATE)
        envelope[a:b] = np.hanning(b - a) * rng.uniform(0.3, 1.0)
        word = lexicon_words[rng.integers(len(lexicon_words))] if rng.random() < 0.15 else "word"
        words.append(WordSpan(word, cursor, cursor + length))
        cursor += length + (rng.uniform(0.5, 1.2) if rng.random() < 0.15 else rng.uniform(0.02, 0.12))
    return (0.1 * buzz * envelope).astype(np.float32), words


def benchmark_synthesiser(minutes: float = 1.0, repeats: int = 2) -> dict:
    samples, words = speech_like(60.0 * minutes)
    synthesise(samples[: SAMPLE_RATE * 2], None, "Neutral")  # warm up imports and caches
    per_style = {}
    for style in STYLE_NAMES:
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            synthesise(samples, words, style, fps=20.0, seed=0)
            best = min(best, time.perf_counter() - start)
        per_style[style] = round(best / minutes, 3)
    return {
        "benchmark": "procedural_synthesiser",
        "motion_minutes": minutes,
        "fps": 20.0,
        "seconds_per_motion_minute": per_style,
        "worst_seconds_per_motion_minute": max(per_style.values()),
        "goal_seconds_per_motion_minute": 2.0,
    }


if __name__ == "__main__":
    print(json.dumps(benchmark_synthesiser()))
