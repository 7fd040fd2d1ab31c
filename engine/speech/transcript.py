"""Transcripts in, word spans out: plain text, SubRip, WebVTT, Praat TextGrid and JSON word lists.

Every format becomes a list of :class:`WordSpan`, sorted by start time, with words normalised by
:func:`normalise_word`: Unicode NFKC, case-folded, curly quotes made straight, every character
other than letters, digits, apostrophes and hyphens removed, and leading/trailing apostrophes and
hyphens stripped ("Don't!" -> "don't", "—" -> dropped). Text is split into words at whitespace,
dashes and slashes.

Timing rules:

- SubRip and WebVTT cues give phrase timings; each cue's words share its interval in proportion to
  their syllable counts. WebVTT inline timestamps (``<00:00:01.500>``) split a cue further. Caption
  markup (``<i>``, ``{\\an8}``) and sound annotations in brackets (``[music]``, ``(laughs)``) are
  removed.
- A TextGrid gives word timings on its word tier: a tier named "words" or "word" (any case), else
  the first tier whose name contains "word", else the first interval tier. Empty intervals and
  silence labels (sil, sp, spn, <unk>, ...) are skipped; an interval holding several words is split
  by syllables.
- A JSON transcript is a list of {"word", "start", "end"} objects (or {"words": [...]}, or
  {"segments": [{"words": [...]}]} as Whisper writes).
- Plain text has no timings: :func:`align_plain_text_by_syllables` spreads the words over the
  speech regions of the audio (see ``audio.speech_regions``) in proportion to syllables. When the
  audio holds no speech at all, the words spread over the whole clip.

Malformed files raise :class:`TranscriptError` naming the file and line (``error.line``; None where no
single line is to blame, as for a bad item of a JSON list, which is named by its number). Nothing else
escapes, whatever the bytes. Bounds: files up to MAX_TRANSCRIPT_BYTES and MAX_TRANSCRIPT_WORDS, JSON nested
up to MAX_JSON_DEPTH; text to place over a clip may hold at most :func:`most_words` of its length. Files are UTF-8, UTF-16
(with or without a byte order mark) or Windows-1252.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import re
import unicodedata
from pathlib import Path
from typing import NoReturn

import numpy as np

from ..atomic_file import write_text
from ..errors import TranscriptError
from .words import WordSpan

TRANSCRIPT_SUFFIXES = (".txt", ".srt", ".vtt", ".textgrid", ".json")
SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "<unk>", "<s>", "</s>", "<eps>", "{sl}", "#"})
MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024  # a 3-hour forced-alignment TextGrid in UTF-16 still fits
MAX_WORDS_PER_S = 8.0  # people say at most about 7 words a second
EXTRA_WORDS = 20  # and a short clip may hold a few more than its length suggests
MAX_TRANSCRIPT_WORDS = 1_000_000  # over 100 hours of speech
MAX_JSON_DEPTH = 32  # a Whisper word list is 4 levels deep
_SEPARATOR = re.compile(r"[\s\u2014\u2013/]+|--")


# ---------------------------------------------------------------- words and syllables

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
    raise _error(
        f"the transcript has {count:,} words but a {duration_s:.1f} s clip holds at most {most_words(duration_s):,} "
        f"(about {MAX_WORDS_PER_S:g} words a second); give the transcript of this clip only, or the clip it belongs to",
        None, source,
    )


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
    return _spread(split_words(text), start, end)


def _spread_into(spans: list[WordSpan], text: str, start: float, end: float, line: int | None, source) -> None:
    """Append the words of ``text`` spread over [start, end], refusing more than MAX_TRANSCRIPT_WORDS in all."""
    room = MAX_TRANSCRIPT_WORDS - len(spans)
    words = list(itertools.islice(iter_words(text), room + 1))
    if len(words) > room:
        raise _error(f"more than {MAX_TRANSCRIPT_WORDS:,} words, over 100 hours of speech; "
                     "give the transcript of this clip only", line, source)
    spans += _spread(words, start, end)


def _spread(words: list[str], start: float, end: float) -> list[WordSpan]:
    if len(words) <= 1:  # the common case of word-timed files, without numpy's overhead
        return [WordSpan(word, start, end) for word in words]
    weights = np.array([count_syllables(word) for word in words], dtype=np.float64)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    edges = np.clip(edges, start, end)  # rounding may carry a huge time past the end
    edges[-1] = end
    return [WordSpan(word, float(edges[i]), float(edges[i + 1])) for i, word in enumerate(words)]


# ---------------------------------------------------------------- the entry point

def load_transcript(path_or_text, audio=None) -> list[WordSpan]:
    """Word spans from a transcript file (by suffix or content) or from a string holding one.

    ``audio`` (16 kHz samples, or an audio file path) is needed only for plain text, which carries
    no timings. A string that is not an existing file is read as transcript content.
    """
    kind, text, source = read_transcript(path_or_text)
    if kind == "text":
        if audio is None:
            raise _error(
                "plain text carries no timings; give the audio clip too so the words can be placed over "
                "the speech (or use an .srt, .vtt, .TextGrid or .json transcript)", None, source,
            )
        from .audio import SAMPLE_RATE

        samples = _audio_samples(audio)
        check_words_fit(text, len(samples) / SAMPLE_RATE, source)
        return align_plain_text_by_syllables(text, samples)
    return parse_timed(kind, text, source)


def read_transcript(path_or_text) -> tuple[str, str, str]:
    """(kind, text, source) of a transcript file or transcript content; kind is "text", "srt", "vtt",
    "textgrid" or "json" (by the file's suffix, else sniffed from the content)."""
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and _looks_like_path(path_or_text)
    ):
        path = Path(path_or_text)
        if not path.is_file():
            if path.is_dir():
                raise _error("a folder, not a transcript file; give the transcript file itself", None, path)
            raise _error("no such transcript file", None, path)
        text = _read_text(path)
        return _kind_from_suffix(path) or _sniff(text), text, str(path)
    text = str(path_or_text)
    return _sniff(text), text, "<transcript text>"


def parse_timed(kind: str, text: str, source) -> list[WordSpan]:
    """Word spans of a transcript with timings, by its kind (see read_transcript)."""
    parser = {"srt": parse_srt, "vtt": parse_vtt, "textgrid": parse_textgrid, "json": parse_json_words}[kind]
    return parser(text, source)


def align_plain_text_by_syllables(text: str, samples16k: np.ndarray) -> list[WordSpan]:
    """Spread the words of ``text`` over the speech in the audio, proportionally to syllables.

    The fallback aligner: words never straddle a pause; a word whose share crosses one is kept to
    the side holding most of it. No speech at all: the words share the whole clip.
    """
    from .audio import SAMPLE_RATE, speech_regions

    samples = np.asarray(samples16k, dtype=np.float32)
    words = split_words(text)
    duration = len(samples) / SAMPLE_RATE
    if not words or duration <= 0:
        return []
    regions = speech_regions(samples) or [(0.0, duration)]
    starts = np.array([start for start, _ in regions])
    lengths = np.array([end - start for start, end in regions])
    ends_on_line = np.cumsum(lengths)  # each region's end on the line of speech time
    begins_on_line = ends_on_line - lengths
    weights = np.array([count_syllables(word) for word in words], dtype=np.float64)
    bounds = ends_on_line[-1] * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    spans = []
    for i, word in enumerate(words):
        u0, u1 = bounds[i], bounds[i + 1]
        first = min(int(np.searchsorted(ends_on_line, u0, side="right")), len(regions) - 1)
        last = min(int(np.searchsorted(ends_on_line, u1, side="left")), len(regions) - 1)
        if first != last:  # crosses a pause: keep the region with the largest share
            shares = [
                min(u1, ends_on_line[r]) - max(u0, begins_on_line[r]) for r in range(first, last + 1)
            ]
            first = last = first + int(np.argmax(shares))
        region_start, region_end = begins_on_line[first], ends_on_line[first]
        start = starts[first] + max(u0, region_start) - region_start
        end = starts[first] + min(u1, region_end) - region_start
        spans.append(WordSpan(word, float(start), float(max(end, start))))
    return spans


# ---------------------------------------------------------------- SubRip and WebVTT

_SRT_TIME = r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"^\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(\s.*)?$")
_VTT_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})\.(\d{1,3})"
_VTT_TIMING = re.compile(rf"^\s*{_VTT_TIME}\s+-->\s+{_VTT_TIME}(\s.*)?$")
_VTT_INLINE = re.compile(r"<((?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3})>")


def parse_srt(text: str, source: str = "<srt>") -> list[WordSpan]:
    """Word spans from SubRip text; cue words split by syllables."""
    lines = text.lstrip("\ufeff").splitlines()
    spans: list[WordSpan] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if not _SRT_TIMING.match(lines[i]):
            if not lines[i].strip().isdigit():
                raise _error(
                    f"expected a cue number or a time line like '00:00:01,000 --> 00:00:02,500', "
                    f"found {lines[i].strip()[:60]!r}", i + 1, source,
                )
            i += 1
            if i >= len(lines) or not _SRT_TIMING.match(lines[i]):
                found = lines[i].strip()[:60] if i < len(lines) else "the end of the file"
                raise _error(f"expected a time line like '00:00:01,000 --> 00:00:02,500', found {found!r}", i + 1, source)
        start, end = _cue_times(_SRT_TIMING.match(lines[i]).groups(), i + 1, source)
        timing_line = i + 1
        i += 1
        cue = []
        while i < len(lines) and lines[i].strip() and not _starts_srt_cue(lines, i):
            cue.append(lines[i])
            i += 1
        _spread_into(spans, _strip_caption_markup(" ".join(cue)), start, end, timing_line, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def parse_vtt(text: str, source: str = "<vtt>") -> list[WordSpan]:
    """Word spans from WebVTT text; inline timestamps split cues further."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise _error("a WebVTT file must start with the line 'WEBVTT'", 1, source)
    i = 1
    while i < len(lines) and lines[i].strip():  # header block
        i += 1
    spans: list[WordSpan] = []
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if lines[i].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in lines[i]:
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        if not _VTT_TIMING.match(lines[i]):
            if "-->" in lines[i]:
                raise _error(f"bad cue timing {lines[i].strip()[:60]!r}; expected e.g. '00:01.000 --> 00:02.500'", i + 1, source)
            i += 1  # a cue identifier
            if i >= len(lines) or not _VTT_TIMING.match(lines[i]):
                found = lines[i].strip()[:60] if i < len(lines) else "the end of the file"
                raise _error(f"expected a cue timing like '00:01.000 --> 00:02.500', found {found!r}", i + 1, source)
        start, end = _cue_times(_VTT_TIMING.match(lines[i]).groups(), i + 1, source)
        timing_line = i + 1
        i += 1
        cue = []
        while i < len(lines) and lines[i].strip():
            cue.append(lines[i])
            i += 1
        _vtt_cue_words(spans, " ".join(cue), start, end, timing_line, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _vtt_cue_words(spans: list[WordSpan], cue: str, start: float, end: float, line: int, source: str) -> None:
    pieces = _VTT_INLINE.split(cue)  # text, time, text, time, ...
    marks = [start]
    for stamp in pieces[1::2]:
        marks.append(min(max(_vtt_seconds(stamp, line, source), marks[-1]), end))
    marks.append(end)
    for j, piece in enumerate(pieces[0::2]):
        _spread_into(spans, _strip_caption_markup(piece), marks[j], marks[j + 1], line, source)


def _vtt_seconds(stamp: str, line: int, source: str) -> float:
    match = re.fullmatch(_VTT_TIME, stamp)
    return _seconds(match.groups(), line, source)


def _starts_srt_cue(lines: list[str], i: int) -> bool:
    """A number line followed by a time line starts a cue even without a blank line before it."""
    return bool(_SRT_TIMING.match(lines[i])) or (
        lines[i].strip().isdigit() and i + 1 < len(lines) and bool(_SRT_TIMING.match(lines[i + 1]))
    )


def _cue_times(groups, line: int, source: str) -> tuple[float, float]:
    start = _seconds(groups[0:4], line, source)
    end = _seconds(groups[4:8], line, source)
    if end < start:
        raise _error(f"the cue ends ({end:.3f} s) before it starts ({start:.3f} s)", line, source)
    return start, end


def _seconds(groups, line: int, source: str) -> float:
    hours, minutes, seconds, fraction = groups
    hours = (hours or "").lstrip("0")  # int() refuses over 4300 digits, leading zeros too
    if len(hours) > 6:
        raise _error(f"bad time: {hours[:12]}{'...' if len(hours) > 12 else ''} hours; no clip is that long", line, source)
    minutes, seconds = int(minutes), int(seconds)
    if minutes >= 60 or seconds >= 60:
        raise _error(f"bad time: {minutes} minutes {seconds} seconds (both must be below 60)", line, source)
    return int(hours or 0) * 3600 + minutes * 60 + seconds + int(fraction) / 10 ** len(fraction)


def _strip_caption_markup(text: str) -> str:
    # An unclosed bracket must not be searched to the end once per bracket: no match spans an opening one.
    text = re.sub(r"<[^<>]*>|\{\\[^{}]*\}", " ", text)
    return re.sub(r"\[[^\[\]]*\]|\([^()]*\)", " ", text)


# ---------------------------------------------------------------- Praat TextGrid

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
        raise _error('not a Praat TextGrid: expected File type = "ooTextFile" and Object class = "TextGrid"', 1, source)
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
                    raise _error(f"interval {start}..{end} on tier {name!r} has bad times", line, source)
                if keep and label.strip().lower() not in SILENCE_LABELS:
                    _spread_into(spans, label, start, end, tokens.line, source)
            if keep:
                best = (rank, spans)
        elif kind == "TextTier":
            for _ in range(tokens.count("points")):
                tokens.number()
                tokens.string()
        else:
            raise _error(f"unknown tier class {kind!r}; expected IntervalTier or TextTier", kind_line, source)
    if best is None:
        raise _error("the TextGrid has no interval tier with words", 1, source)
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
                raise _error(f"expected {what}, found {value[:60]!r}", self.line, self.source)
            return value
        raise _error(f"the TextGrid ends early: expected {what}", self.line, self.source)

    def string(self) -> str:
        return self._next("string", "a quoted text").replace('""', '"')

    def number(self) -> float:
        value = float(self._next("number", "a number"))
        if not math.isfinite(value):
            raise _error(f"the number {value} is not finite", self.line, self.source)
        return value

    def flag(self) -> str:
        return self._next("flag", "<exists> or <absent>")

    def count(self, what: str) -> int:
        value = self.number()
        most = (len(self.text) - self.offset) // 2  # each value takes a character and a separator
        if value != int(value) or value < 0 or value > most:
            raise _error(f"bad number of {what}: {value:g} (the rest of the file holds at most {most} values)",
                         self.line, self.source)
        return int(value)


# ---------------------------------------------------------------- JSON

def parse_json_words(text: str, source: str = "<json>") -> list[WordSpan]:
    """Word spans from a JSON list of {word, start, end} (or Whisper's {"segments": [{"words": ...}]})."""
    data = _load_json(text.lstrip("\ufeff"), source)
    if isinstance(data, dict) and isinstance(data.get("words"), list):
        items = data["words"]
    elif isinstance(data, dict) and isinstance(data.get("segments"), list):
        items = [w for segment in data["segments"] if isinstance(segment, dict)
                 for w in _list_or_empty(segment.get("words"))]
    elif isinstance(data, list):
        items = data
    else:
        raise _error('expected a list of {"word": ..., "start": ..., "end": ...} objects', 1, source)
    spans = []
    for index, item in enumerate(items):
        where = f"word {index + 1}"
        if not isinstance(item, dict):
            raise _error(f'{where}: expected an object like {{"word": "hi", "start": 0.1, "end": 0.3}}, '
                         f'found {_shown(item)}', None, source)
        word = item.get("word", item.get("text"))
        if not isinstance(word, str):
            raise _error(f'{where}: needs a "word" text', None, source)
        times = [_json_seconds(item.get(key), f'{where}: "{key}"', source) for key in ("start", "end")]
        if not 0 <= times[0] <= times[1]:
            raise _error(f"{where}: bad times {times[0]}..{times[1]} (need 0 <= start <= end)", None, source)
        _spread_into(spans, word, times[0], times[1], None, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _list_or_empty(value) -> list:
    return value if isinstance(value, list) else []


def _json_seconds(value, what: str, source) -> float:
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        seconds = float(value)  # an integer of hundreds of digits overflows here
        if not math.isfinite(seconds):
            raise ValueError
    except (ValueError, OverflowError):
        raise _error(f"{what} must be a number of seconds, found {_shown(value)}", None, source) from None
    return seconds


def _load_json(text: str, source):
    """Parsed JSON, its size bounded before parsing and its nesting after; any failure is a TranscriptError."""
    containers = _json_containers(text)
    if containers > 2 * MAX_TRANSCRIPT_WORDS:
        raise _error(f"the JSON holds {containers:,} lists and objects, more than a word list of "
                     f"{MAX_TRANSCRIPT_WORDS:,} words needs; give the transcript of this clip only", None, source)
    too_deep = _error(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep; a word list needs at most 4: "
                      'give a list of {"word", "start", "end"} objects', None, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _error(f"not valid JSON: {error.msg}", error.lineno, source) from None
    except RecursionError:
        raise too_deep from None
    except ValueError as error:  # e.g. an integer of over 4300 digits
        raise _error(f"not valid JSON: {str(error)[:100]}", None, source) from None
    if _nested_deeper_than(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


def _json_containers(text: str) -> int:
    """An upper bound on the lists and objects of a JSON text (brackets in strings count too); no copies."""
    return text.count("[") + text.count("{")


def _nested_deeper_than(data, most: int) -> bool:
    """Whether lists and objects nest more than ``most`` levels in parsed JSON (no recursion)."""
    stack = [(data, 1)] if isinstance(data, (list, dict)) else []
    while stack:
        value, level = stack.pop()
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, (list, dict)):
                if level >= most:
                    return True
                stack.append((child, level + 1))
    return False


def _shown(value) -> str:
    """A short view of a JSON value for a message (containers by kind: they may be huge)."""
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return json.dumps(value)[:40]


# ---------------------------------------------------------------- writers

def save_word_spans(path, spans: list[WordSpan]) -> None:
    """Write spans as .json, .srt, .vtt (one word per cue) or .TextGrid (a 'words' tier)."""
    path = Path(path)
    suffix = path.suffix.lower()
    spans = sorted(spans, key=lambda span: (span.start, span.end))
    if suffix == ".json":
        body = json.dumps([{"word": s.word, "start": s.start, "end": s.end} for s in spans], indent=1)
    elif suffix in (".srt", ".vtt"):
        comma = suffix == ".srt"
        cues = [
            f"{i + 1}\n{_clock(s.start, comma)} --> {_clock(max(s.end, s.start), comma)}\n{s.word}\n"
            for i, s in enumerate(spans)
        ]
        body = ("" if comma else "WEBVTT\n\n") + "\n".join(cues)
    elif suffix == ".textgrid":
        body = _textgrid_text(spans)
    else:
        raise _error(f"cannot write word spans as {suffix or 'a file without suffix'}; use .json, .srt, .vtt or .TextGrid", None, path)
    write_text(path, body)  # atomic: a failed write never leaves half a file


def _clock(seconds: float, comma: bool) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{',' if comma else '.'}{millis:03d}"


def _textgrid_text(spans: list[WordSpan]) -> str:
    intervals = []
    cursor = 0.0
    for span in spans:
        start = max(span.start, cursor)  # intervals may not overlap: a late start wins
        if start > cursor:
            intervals.append((cursor, start, ""))
        end = max(span.end, start)
        intervals.append((start, end, span.word))
        cursor = end
    if not intervals:
        intervals.append((0.0, 0.0, ""))
    xmax = intervals[-1][1]
    lines = [
        'File type = "ooTextFile"', 'Object class = "TextGrid"', "",
        "xmin = 0", f"xmax = {xmax!r}", "tiers? <exists>", "size = 1", "item []:",
        "    item [1]:", '        class = "IntervalTier"', '        name = "words"',
        "        xmin = 0", f"        xmax = {xmax!r}", f"        intervals: size = {len(intervals)}",
    ]
    for i, (start, end, label) in enumerate(intervals):
        text = label.replace('"', '""')
        lines += [f"        intervals [{i + 1}]:", f"            xmin = {start!r}", f"            xmax = {end!r}", f'            text = "{text}"']
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- helpers

def _error(message: str, line: int | None, source) -> TranscriptError:
    """A TranscriptError whose text starts 'file:line:' and whose ``line`` is kept (None: no one line)."""
    error = TranscriptError(f"{source}:{line}: {message}" if line is not None else f"{source}: {message}")
    error.line = line
    return error


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    if os.path.isfile(text) or (os.sep in text and os.path.isdir(text)):
        return True
    # A single token ending like a transcript file is a path that does not exist (yet): say so.
    return not re.search(r"\s", text.strip()) and text.lower().endswith(TRANSCRIPT_SUFFIXES)


def _kind_from_suffix(path: Path) -> str | None:
    return {".srt": "srt", ".vtt": "vtt", ".textgrid": "textgrid", ".json": "json"}.get(path.suffix.lower())


def _sniff(text: str) -> str:
    head = text.lstrip("\ufeff").lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("File type") and "ooTextFile" in head[:200]:
        return "textgrid"
    if head[:1] in ("[", "{"):
        if _json_containers(head) > 2 * MAX_TRANSCRIPT_WORDS:
            return "json"  # its parser says what is wrong, before parsing
        try:
            json.loads(head)
            return "json"
        except RecursionError:
            return "json"  # its parser says how deep it is
        except ValueError:
            return "text"  # e.g. "[laughs] well..." in a plain text file
    lines = [line for line in head[:4096].splitlines()[:3] if line.strip()]
    if lines and (_SRT_TIMING.match(lines[0]) or (lines[0].strip().isdigit() and len(lines) > 1 and _SRT_TIMING.match(lines[1]))):
        return "srt"
    return "text"


def _read_text(path: Path) -> str:
    """The file's text: UTF-8, UTF-16 (with or without a byte order mark) or, failing those, Windows-1252."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TRANSCRIPT_BYTES + 1)  # never more than the limit, whatever stat says
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise _error(f"the file is larger than {MAX_TRANSCRIPT_BYTES // 2 ** 20} MB, far too large for a transcript; "
                     "give the transcript of this clip only", None, path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Praat often writes UTF-16
        return _decode_utf16(data, "utf-16", path)
    if b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise _error("a binary file, not a transcript; give text, .srt, .vtt, .TextGrid or .json", None, path)
        return _decode_utf16(data, encoding, path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older subtitle files


def _utf16_without_bom(data: bytes) -> str | None:
    """The encoding, "utf-16-le" or "utf-16-be", when the zero bytes fall at alternate positions as in
    UTF-16 text of mostly Latin letters; None otherwise (a binary file)."""
    head = data[:65536]
    if len(data) % 2 or len(head) < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    pairs = len(head) // 2
    if odd >= 0.3 * pairs and even <= pairs // 50:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= pairs // 50:
        return "utf-16-be"
    return None


def _decode_utf16(data: bytes, encoding: str, path) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise _error(f"not valid {encoding.upper()} text; save the transcript as UTF-8", None, path) from None
    if "\x00" in text:
        raise _error("a binary file, not a transcript; give text, .srt, .vtt, .TextGrid or .json", None, path)
    return text.lstrip("\ufeff")


def _audio_samples(audio) -> np.ndarray:
    if isinstance(audio, (str, os.PathLike)):
        from .audio import load_audio

        return load_audio(audio)
    return np.asarray(audio, dtype=np.float32)
