"""What every transcript reader shares: bounds on a transcript's size and word count, and the error
that names the file and line.

Malformed files raise :class:`TranscriptError` naming the file and line (``error.line``; None where no
single line is to blame, as for a bad item of a JSON list, which is named by its number). Bounds: files
up to MAX_TRANSCRIPT_BYTES and MAX_TRANSCRIPT_WORDS; text to place over a clip may hold at most
:func:`most_words` of its length.
"""
from __future__ import annotations

import itertools
import re
from typing import NoReturn

from ..errors import TranscriptError
from .word_text import iter_words, spread_over
from .words import WordSpan

MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024  # a 3-hour forced-alignment TextGrid in UTF-16 still fits
MAX_WORDS_PER_S = 8.0  # people say at most about 7 words a second
EXTRA_WORDS = 20  # and a short clip may hold a few more than its length suggests
MAX_TRANSCRIPT_WORDS = 1_000_000  # over 100 hours of speech


def transcript_error(message: str, line: int | None, source) -> TranscriptError:
    """A TranscriptError whose text starts 'file:line:' and whose ``line`` is kept (None: no one line)."""
    error = TranscriptError(f"{source}:{line}: {message}" if line is not None else f"{source}: {message}")
    error.line = line
    return error


def most_words(duration_s: float) -> int:
    """The most words a clip of ``duration_s`` seconds can hold (MAX_WORDS_PER_S, plus EXTRA_WORDS)."""
    return int(MAX_WORDS_PER_S * max(duration_s, 0.0)) + EXTRA_WORDS


def check_words_fit(text: str, duration_s: float, source) -> None:
    """Refuse a text with more words than anyone says in the clip, counting no further than needed."""
    limit = most_words(duration_s)
    count = 0
    for count, _ in enumerate(iter_words(text), 1):
        if count > limit:
            break
    if count > limit:
        refuse_word_count(max(count, sum(1 for _ in re.finditer(r"[^\s\u2014\u2013/]+", text))), duration_s, source)


def refuse_word_count(count: int, duration_s: float, source) -> NoReturn:
    """Raise the error for a transcript of ``count`` words that cannot fit a clip of ``duration_s``."""
    raise transcript_error(
        f"the transcript has {count:,} words but a {duration_s:.1f} s clip holds at most {most_words(duration_s):,} "
        f"(about {MAX_WORDS_PER_S:g} words a second); give the transcript of this clip only, or the clip it belongs to",
        None, source,
    )


def spread_into(spans: list[WordSpan], text: str, start: float, end: float, line: int | None, source) -> None:
    """Append the words of ``text`` spread over [start, end], refusing more than MAX_TRANSCRIPT_WORDS in all."""
    room = MAX_TRANSCRIPT_WORDS - len(spans)
    words = list(itertools.islice(iter_words(text), room + 1))
    if len(words) > room:
        raise transcript_error(f"more than {MAX_TRANSCRIPT_WORDS:,} words, over 100 hours of speech; "
                               "give the transcript of this clip only", line, source)
    spans += spread_over(words, start, end)
