"""Semantic gesture recall: of the lexicon words spoken (engine/procedural/lexicon.py), the share
whose gesture a motion detector (training/gesture_detectors.py) finds within the word.

A word counts when it lies wholly inside its segment; its detector looks at the word's span
widened as the detectors define (a stroke starts just before its word, its hold runs past it).
"""
from __future__ import annotations

import numpy as np

from ...engine.motion.motion import Motion
from ...engine.procedural.lexicon import lookup
from ..gesture_detectors import semantic_recall as detect_words


def expected_gesture(word: str) -> str | None:
    entry = lookup(word)
    return entry.expected if entry else None


def semantic_recall(motions: list[Motion], words: list[list]) -> dict:
    """motions[i] against words[i] (WordSpans from its start): overall recall and per gesture type."""
    per_gesture: dict[str, list[int]] = {}
    for motion, spans in zip(motions, words):
        found = detect_words(motion, spans, expected_gesture)
        for word, hits in found.items():
            counts = per_gesture.setdefault(expected_gesture(word), [0, 0])
            counts[0] += sum(hits)
            counts[1] += len(hits)
    hits = sum(c[0] for c in per_gesture.values())
    total = sum(c[1] for c in per_gesture.values())
    return {"recall": hits / total if total else float("nan"), "words": total,
            "per_gesture": {g: round(c[0] / c[1], 3) for g, c in sorted(per_gesture.items())}}


def lexicon_words(words: list) -> int:
    return int(np.sum([expected_gesture(w.word) is not None for w in words]))
