"""Words of a transcript's text: normalised, split, counted in syllables and spread over a span of time.

:func:`normalise_word` makes every word comparable: Unicode NFKC, case-folded, curly quotes made
straight, every character other than letters, digits, apostrophes and hyphens removed, and
leading/trailing apostrophes and hyphens stripped ("Don't!" -> "don't", "—" -> dropped). Text is split
into words at whitespace, dashes and slashes.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

from .words import WordSpan

_SEPARATOR = re.compile(r"[\s\u2014\u2013/]+|--")


def normalise_word(token: str) -> str:
    """The comparable form of one token (rules in the module docstring); '' when nothing is left."""
    text = unicodedata.normalize("NFKC", token).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[^\w'\-]|_", "", text)
    return text.strip("'-")


def split_words(text: str) -> list[str]:
    """Normalised words of a piece of text, in order, empty tokens dropped."""
    return list(iter_words(text))


def iter_words(text: str):
    """The words of :func:`split_words` one at a time (no list of the whole text's tokens)."""
    position = 0
    for match in _SEPARATOR.finditer(text):
        word = normalise_word(text[position:match.start()])
        if word:
            yield word
        position = match.end()
    word = normalise_word(text[position:])
    if word:
        yield word


def count_syllables(word: str) -> int:
    """A rough syllable count: groups of vowels, less a silent final e; at least 1."""
    letters = "".join(
        char for char in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(char)
    )
    digits = sum(char.isdigit() for char in letters)
    letters = re.sub(r"[^a-z]", "", letters)
    count = len(re.findall(r"[aeiouy]+", letters))
    if count > 1 and letters.endswith("e") and not letters.endswith(("le", "ee", "ye")):
        count -= 1
    if not letters:  # a number, or a script without Latin vowels
        return max(1, digits, len(word) // 2)
    return max(1, count + digits)


def spread_words(text: str, start: float, end: float) -> list[WordSpan]:
    """The words of ``text`` sharing [start, end] in proportion to their syllable counts."""
    return spread_over(split_words(text), start, end)


def spread_over(words: list[str], start: float, end: float) -> list[WordSpan]:
    """Normalised ``words`` sharing [start, end] in proportion to their syllable counts."""
    if len(words) <= 1:  # the common case of word-timed files, without numpy's overhead
        return [WordSpan(word, start, end) for word in words]
    weights = np.array([count_syllables(word) for word in words], dtype=np.float64)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    edges = np.clip(edges, start, end)  # rounding may carry a huge time past the end
    edges[-1] = end
    return [WordSpan(word, float(edges[i]), float(edges[i + 1])) for i, word in enumerate(words)]
