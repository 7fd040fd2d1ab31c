"""A long transcript force-aligned in a child process, beside the model's loading.

The pocketsphinx decoder holds Python's GIL while it searches (recognition_processes), and importing
torch holds it too: on one 66 s clip, aligning on a thread beside the model's load took their sum
(0.9 s + 1.2 s). In a child (a fresh interpreter, as recognition's parts are) the two overlap. The child
costs about 0.15 s to start, so clips shorter than ASIDE_MIN_S align in the caller's process.
"""
from __future__ import annotations

import json
import queue
from typing import Sequence

import numpy as np

from .. import errors
from ..errors import OpenHumanError
from .asr import Alignment, align_words
from .audio import SAMPLE_RATE
from .recognition_processes import can_spawn, child_lines, error_of, start_child, stop_child
from .words import WordSpan

ASIDE_MIN_S = 20.0


def align_words_aside(words: Sequence[str], samples16k, progress=None, cancel=None) -> Alignment:
    """``asr.align_words`` with the same result and errors, in a child process when the clip is long."""
    samples, words = np.asarray(samples16k, dtype=np.float32), list(words)
    if len(samples) < ASIDE_MIN_S * SAMPLE_RATE or not can_spawn() or not words:
        return align_words(words, samples, progress, cancel)
    lines: queue.Queue = queue.Queue()
    child = start_child("alignment_child", (words, samples), 0, lines)
    try:
        for _, line in child_lines(lines, cancel, "alignment"):
            if line is None:  # closed without an alignment or an error: it died
                raise OpenHumanError(f"aligning the transcript failed: {error_of(child)}")
            message = json.loads(line)
            if "error" in message:
                raise _same_error(message["error"], message["message"])
            if "alignment" in message:
                return _alignment(message["alignment"])
            if progress is not None:
                progress(message["done_s"], message["total_s"])
    finally:
        stop_child(child)


def _same_error(name: str, message: str) -> Exception:
    kind = getattr(errors, name, None)
    if isinstance(kind, type) and issubclass(kind, OpenHumanError) and kind.__init__ is OpenHumanError.__init__:
        return kind(message)
    return OpenHumanError(f"aligning the transcript failed: {name}: {message}")


def _alignment(data: dict) -> Alignment:
    return Alignment([WordSpan(w, s, e) for w, s, e in data["spans"]], data["how"],
                     [tuple(segment) for segment in data["segments"]], data["decoded_s"])
