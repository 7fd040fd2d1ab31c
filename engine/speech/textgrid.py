"""Praat TextGrid files (long or short text format) read as word spans.

The words come from the word tier: a tier named "words" or "word" (any case), else the first tier
whose name contains "word", else the first interval tier. Empty intervals and silence labels (sil,
sp, spn, <unk>, ...) are skipped; an interval holding several words is split by syllables.
"""
from __future__ import annotations

import math
import re

from .transcript_limits import spread_into, transcript_error
from .words import WordSpan

SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "<unk>", "<s>", "</s>", "<eps>", "{sl}", "#"})

# Atomic groups and a possessive label keep each token linear: a long run of digits or words that
# is no token must not be tried again at every shorter length.
_TEXTGRID_TOKEN = re.compile(
    r'"(?P<string>[^"]*+(?:""[^"]*+)*+)"|(?P<flag><exists>|<absent>)|!.*'
    r"|(?P<number>(?>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))(?![^\s\"])"
    r"|[A-Za-z][A-Za-z ]*+(?:\[[^\]\n]*\])?\s*[=?:]"  # a label of the long format: skipped
    r'|(?P<junk>[^\s"]+)'
)


def parse_textgrid(text: str, source: str = "<TextGrid>") -> list[WordSpan]:
    """Word spans from a Praat TextGrid in long or short text format (tier choice in the module doc)."""
    tokens = _TextGridTokens(text.lstrip("\ufeff"), source)
    if not tokens.string().startswith("ooTextFile") or tokens.string() != "TextGrid":
        raise transcript_error('not a Praat TextGrid: expected File type = "ooTextFile" and Object class = "TextGrid"', 1, source)
    tokens.number()  # xmin
    tokens.number()  # xmax
    if tokens.flag() != "<exists>":
        return []
    best = None  # (rank, spans) of the word tier so far: only its words are kept, so memory follows one tier
    for _ in range(tokens.count("tiers")):
        kind = tokens.string()
        kind_line = tokens.line
        name = tokens.string()
        tokens.number()
        tokens.number()
        if kind == "IntervalTier":
            rank = _tier_rank(name)
            keep = best is None or rank < best[0]
            spans = []
            for _ in range(tokens.count("intervals")):
                start = tokens.number()
                line = tokens.line
                end, label = tokens.number(), tokens.string()
                if end < start or start < 0:
                    raise transcript_error(f"interval {start}..{end} on tier {name!r} has bad times", line, source)
                if keep and label.strip().lower() not in SILENCE_LABELS:
                    spread_into(spans, label, start, end, tokens.line, source)
            if keep:
                best = (rank, spans)
        elif kind == "TextTier":
            for _ in range(tokens.count("points")):
                tokens.number()
                tokens.string()
        else:
            raise transcript_error(f"unknown tier class {kind!r}; expected IntervalTier or TextTier", kind_line, source)
    if best is None:
        raise transcript_error("the TextGrid has no interval tier with words", 1, source)
    return sorted(best[1], key=lambda span: (span.start, span.end))


def _tier_rank(name: str) -> int:
    """0 for a tier named "words" or "word", 1 for a name holding "word", 2 for any other (lower wins)."""
    if name.strip().lower() in ("words", "word"):
        return 0
    return 1 if "word" in name.lower() else 2


class _TextGridTokens:
    """Praat's text formats read as a stream of values; labels such as ``xmin =`` are skipped.

    Tokens are read one at a time as the parser asks, so a file that goes wrong early is refused
    early, and memory does not grow with the file's number of values.
    """

    def __init__(self, text: str, source: str):
        self.source = source
        self.text = text
        self.matches = _TEXTGRID_TOKEN.finditer(text)
        self.offset = 0  # where the last token started, and its line
        self.line = 1

    def _next(self, kind: str, what: str):
        for match in self.matches:
            found_kind = match.lastgroup
            if found_kind is None:
                continue
            self.line += self.text.count("\n", self.offset, match.start())
            self.offset = match.start()
            value = match.group(found_kind)
            if found_kind != kind:
                raise transcript_error(f"expected {what}, found {value[:60]!r}", self.line, self.source)
            return value
        raise transcript_error(f"the TextGrid ends early: expected {what}", self.line, self.source)

    def string(self) -> str:
        return self._next("string", "a quoted text").replace('""', '"')

    def number(self) -> float:
        value = float(self._next("number", "a number"))
        if not math.isfinite(value):
            raise transcript_error(f"the number {value} is not finite", self.line, self.source)
        return value

    def flag(self) -> str:
        return self._next("flag", "<exists> or <absent>")

    def count(self, what: str) -> int:
        value = self.number()
        most = (len(self.text) - self.offset) // 2  # each value takes a character and a separator
        if value != int(value) or value < 0 or value > most:
            raise transcript_error(f"bad number of {what}: {value:g} (the rest of the file holds at most {most} values)",
                                   self.line, self.source)
        return int(value)
