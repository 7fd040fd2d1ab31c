"""Test segments: the pieces of a dataset's test takes that every system turns into motion.

The test split is cut into two halves: for each emotion its test takes go alternately to half A
and half B, and an emotion with a single test take gives the first half of its frames to A and
the second to B, so both halves hold every emotion. Segments of half A are what the systems are
evaluated on; the real motion of half B is the reference distribution for FGD, and the real
motion of half A measured against it is the floor.

A segment is `frames` long (default two model windows of 80 frames overlapping by 8: one seam)
and carries the take's audio and text features, its real pose features, its words (times from
the segment's start) and its emotion.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...engine.errors import OpenHumanError
from ...engine.speech.words import WordSpan
from ..windows_dataset import Take, WindowDataset

SEGMENT_FRAMES = 152


@dataclass(frozen=True)
class Span:
    """Frames [first, last) of one take."""

    take: Take
    first: int
    last: int


@dataclass
class Segment:
    key: str  # "<take id>@<first frame>"
    take: Take
    start: int  # first frame within the take
    frames: int
    fps: float
    emotion: str
    audio: np.ndarray  # (frames, Da)
    text: np.ndarray  # (frames, Dt)
    motion: np.ndarray  # (frames, 1141) real pose features, not normalised
    words: list[WordSpan]

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


class EvalSplit:
    """A dataset folder's test takes, split into halves A (evaluated) and B (reference)."""

    def __init__(self, folder, split: str = "test"):
        self.folder = Path(folder)
        self.data = WindowDataset(self.folder, split, stride=10 ** 9, normalise=False)
        self.meta = self.data.meta
        self.fps = float(self.meta["fps"])
        self.emotions = self.data.emotions
        self.takes = [t for t in self.data.takes if t.split == split]
        if not self.takes:
            raise OpenHumanError(f"{self.folder}: the dataset has no {split!r} takes to evaluate on; build a "
                                 "larger corpus (at least 10 blocks of takes give a test split)")
        self.half_a, self.half_b = _halves(self.takes, self.emotions)

    def segments(self, n: int, frames: int = SEGMENT_FRAMES, half: str = "A") -> list[Segment]:
        """Up to n segments of a half, spread over its takes and emotions (deterministic)."""
        spans = self.half_a if half == "A" else self.half_b
        slots = [[(s.take, a) for a in range(s.first, s.last - frames + 1, frames)] for s in spans]
        order = []
        for rank in range(max((len(x) for x in slots), default=0)):
            order += [x[rank] for x in slots if rank < len(x)]
        if not order:
            raise OpenHumanError(f"{self.folder}: no test take is {frames} frames long "
                                 f"({frames / self.fps:.1f} s); use shorter segments")
        return [self.segment(take, start, frames) for take, start in order[:n]]

    def all_segments(self, frames: int = SEGMENT_FRAMES, half: str = "B") -> list[Segment]:
        return self.segments(10 ** 9, frames, half)

    def segment(self, take: Take, start: int, frames: int) -> Segment:
        rows = slice(take.start + start, take.start + start + frames)
        t0, t1 = start / self.fps, (start + frames) / self.fps
        words = [WordSpan(w, s - t0, e - t0) for w, s, e in (take.words or []) if s >= t0 and e <= t1]
        return Segment(f"{take.id}@{start}", take, start, frames, self.fps, take.emotion,
                       np.array(self.data.audio[rows]), np.array(self.data.text[rows]),
                       np.array(self.data.motion[rows]), words)


def _halves(takes: list[Take], emotions: list[str]) -> tuple[list[Span], list[Span]]:
    """Spans of half A and half B, ordered so that consecutive spans cycle through the emotions."""
    a_by, b_by = {}, {}
    for emotion in emotions:
        mine = [t for t in takes if t.emotion == emotion]
        if len(mine) == 1:
            t = mine[0]
            a_by[emotion] = [Span(t, 0, t.frames // 2)]
            b_by[emotion] = [Span(t, t.frames // 2, t.frames)]
        else:
            a_by[emotion] = [Span(t, 0, t.frames) for t in mine[0::2]]
            b_by[emotion] = [Span(t, 0, t.frames) for t in mine[1::2]]

    def interleave(by: dict) -> list[Span]:
        out = []
        for rank in range(max((len(v) for v in by.values()), default=0)):
            out += [v[rank] for v in by.values() if rank < len(v)]
        return out

    return interleave(a_by), interleave(b_by)


def derangement(segments: list[Segment]) -> list[int]:
    """For each segment, the index of another segment from a different take (for mismatched audio)."""
    n = len(segments)
    if n < 2:
        raise OpenHumanError("pairing motion with the wrong audio needs at least two test segments")
    shifts = list(range(n // 2, n)) + list(range(1, n // 2))
    for shift in shifts:  # one rotation for all: every motion is used exactly once
        if all(segments[(i + shift) % n].take.id != segments[i].take.id for i in range(n)):
            return [(i + shift) % n for i in range(n)]
    out = []
    for i in range(n):
        for shift in shifts:
            j = (i + shift) % n
            if segments[j].take.id != segments[i].take.id:
                break
        else:
            j = (i + n // 2) % n or (i + 1) % n  # one take only: at least another part of it
        out.append(j)
    return out
