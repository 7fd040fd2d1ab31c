"""Word spans: the common currency of transcripts, alignment and text features."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)  # slots: a transcript may hold a million of them
class WordSpan:
    """One spoken word and when it is said, in seconds from the clip's start."""

    word: str
    start: float
    end: float

    def __post_init__(self):
        if not (self.end >= self.start >= 0.0):
            raise ValueError(f"word span {self.word!r} has bad times {self.start}..{self.end}")
