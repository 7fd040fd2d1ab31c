"""Measuring recognition against reference text: LibriVox-style transcription files and word error rate.

Evaluation only (benchmarks, studies, tests); the product never calls these.
"""
from __future__ import annotations

from typing import Sequence


def word_error_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """(substitutions + deletions + insertions) / reference length, by edit distance on words."""
    ref, hyp = list(reference), list(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[:], i
        for j, h in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1] / max(len(ref), 1)


def read_librivox_transcription(path) -> list[tuple[str, list[str]]]:
    """(clip name, reference words) from a Sphinx-style transcription file: ``<s> words </s> (name)``."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if "(" not in line:
                continue
            text, name = line.rsplit("(", 1)
            words = [w for w in text.split() if w not in ("<s>", "</s>")]
            rows.append((name.strip().rstrip(")").strip(), words))
    return rows
