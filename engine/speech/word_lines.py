"""Words as editable lines, `start end word` in seconds: what the add-on shows for correction."""
from __future__ import annotations

import math

from ..errors import TranscriptError
from .words import WordSpan

HEADER = "# start end word (seconds) — correct, add or delete lines; Generate uses these words"


def format_word_lines(spans: list[WordSpan]) -> str:
    return "\n".join([HEADER] + [f"{s.start:.2f} {s.end:.2f} {s.word}" for s in spans]) + "\n"


def parse_word_lines(text: str, source: str = "the edited words") -> list[WordSpan]:
    """Word spans from `start end word` lines (blank and # lines skipped); TranscriptError names the line."""
    spans = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        try:
            start, end = float(parts[0]), float(parts[1])
            word = parts[2].strip()
            if not word or not (math.isfinite(start) and math.isfinite(end)):
                raise ValueError
            spans.append(WordSpan(word, start, end))
        except (ValueError, IndexError):
            raise TranscriptError(f"{source}, line {number}: expected 'start end word' with times in seconds "
                                  f"(end not before start), got {line[:60]!r}") from None
    if not spans:
        raise TranscriptError(f"{source}: no words left; add 'start end word' lines, or stop using edited words")
    return sorted(spans, key=lambda s: (s.start, s.end))
