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
single line is to blame, as for a bad item of a JSON list, which is named by its number).
"""
from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from .errors import TranscriptError
from .words import WordSpan

TRANSCRIPT_SUFFIXES = (".txt", ".srt", ".vtt", ".textgrid", ".json")
SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "<unk>", "<s>", "</s>", "<eps>", "{sl}", "#"})
_MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024


# ---------------------------------------------------------------- words and syllables

def normalise_word(token: str) -> str:
    """The comparable form of one token (rules in the module docstring); '' when nothing is left."""
    text = unicodedata.normalize("NFKC", token).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"[^\w'\-]|_", "", text)
    return text.strip("'-")


def split_words(text: str) -> list[str]:
    """Normalised words of a piece of text, in order, empty tokens dropped."""
    tokens = re.split(r"[\s\u2014\u2013/]+|--", text)
    return [word for word in (normalise_word(token) for token in tokens) if word]


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
    words = split_words(text)
    if not words:
        return []
    weights = np.array([count_syllables(word) for word in words], dtype=np.float64)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    edges[-1] = end
    return [WordSpan(word, float(edges[i]), float(edges[i + 1])) for i, word in enumerate(words)]


# ---------------------------------------------------------------- the entry point

def load_transcript(path_or_text, audio=None) -> list[WordSpan]:
    """Word spans from a transcript file (by suffix or content) or from a string holding one.

    ``audio`` (16 kHz samples, or an audio file path) is needed only for plain text, which carries
    no timings. A string that is not an existing file is read as transcript content.
    """
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and _looks_like_path(path_or_text)
    ):
        path = Path(path_or_text)
        if not path.is_file():
            raise _error("no such transcript file", None, path)
        text = _read_text(path)
        kind = _kind_from_suffix(path) or _sniff(text)
        source = str(path)
    else:
        text = str(path_or_text)
        kind = _sniff(text)
        source = "<transcript text>"
    if kind == "text":
        if audio is None:
            raise _error(
                "plain text carries no timings; give the audio clip too so the words can be placed over "
                "the speech (or use an .srt, .vtt, .TextGrid or .json transcript)", None, source,
            )
        return align_plain_text_by_syllables(text, _audio_samples(audio))
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
        i += 1
        cue = []
        while i < len(lines) and lines[i].strip() and not _starts_srt_cue(lines, i):
            cue.append(lines[i])
            i += 1
        spans += spread_words(_strip_caption_markup(" ".join(cue)), start, end)
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
        spans += _vtt_cue_words(" ".join(cue), start, end, timing_line, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _vtt_cue_words(cue: str, start: float, end: float, line: int, source: str) -> list[WordSpan]:
    pieces = _VTT_INLINE.split(cue)  # text, time, text, time, ...
    marks = [start]
    for stamp in pieces[1::2]:
        marks.append(min(max(_vtt_seconds(stamp, line, source), marks[-1]), end))
    marks.append(end)
    spans = []
    for j, piece in enumerate(pieces[0::2]):
        spans += spread_words(_strip_caption_markup(piece), marks[j], marks[j + 1])
    return spans


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
    minutes, seconds = int(minutes), int(seconds)
    if minutes >= 60 or seconds >= 60:
        raise _error(f"bad time: {minutes} minutes {seconds} seconds (both must be below 60)", line, source)
    return int(hours or 0) * 3600 + minutes * 60 + seconds + int(fraction) / 10 ** len(fraction)


def _strip_caption_markup(text: str) -> str:
    text = re.sub(r"<[^>]*>|\{\\[^}]*\}", " ", text)
    return re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text)


# ---------------------------------------------------------------- Praat TextGrid

_TEXTGRID_TOKEN = re.compile(
    r'"(?P<string>(?:[^"]|"")*)"|(?P<flag><exists>|<absent>)|!.*'
    r"|(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![^\s\"])"
    r"|[A-Za-z][A-Za-z ]*(?:\[[^\]\n]*\])?\s*[=?:]"  # a label of the long format: skipped
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
    tiers = []
    for _ in range(tokens.count("tiers")):
        kind = tokens.string()
        kind_line = tokens.line
        name = tokens.string()
        tokens.number()
        tokens.number()
        if kind == "IntervalTier":
            intervals = []
            for _ in range(tokens.count("intervals")):
                start = tokens.number()
                line = tokens.line
                end, label = tokens.number(), tokens.string()
                if end < start or start < 0:
                    raise _error(f"interval {start}..{end} on tier {name!r} has bad times", line, source)
                intervals.append((start, end, label, line))
            tiers.append((name, intervals))
        elif kind == "TextTier":
            for _ in range(tokens.count("points")):
                tokens.number()
                tokens.string()
        else:
            raise _error(f"unknown tier class {kind!r}; expected IntervalTier or TextTier", kind_line, source)
    if not tiers:
        raise _error("the TextGrid has no interval tier with words", 1, source)
    name, intervals = _word_tier(tiers)
    spans = []
    for start, end, label, _ in intervals:
        if label.strip().lower() not in SILENCE_LABELS:
            spans += spread_words(label, start, end)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _word_tier(tiers):
    for test in (lambda n: n.strip().lower() in ("words", "word"), lambda n: "word" in n.lower()):
        for tier in tiers:
            if test(tier[0]):
                return tier
    return tiers[0]


class _TextGridTokens:
    """Praat's text formats read as a stream of values; labels such as ``xmin =`` are skipped."""

    def __init__(self, text: str, source: str):
        self.source = source
        self.items = []
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        for match in _TEXTGRID_TOKEN.finditer(text):
            kind = match.lastgroup
            if kind is None:
                continue
            line = int(np.searchsorted(line_starts, match.start(), side="right"))
            self.items.append((kind, match.group(kind), line))
        self.position = 0
        self.line = 1

    def _next(self, kind: str, what: str):
        if self.position >= len(self.items):
            raise _error(f"the TextGrid ends early: expected {what}", self.line, self.source)
        found_kind, value, self.line = self.items[self.position]
        self.position += 1
        if found_kind != kind:
            raise _error(f"expected {what}, found {value!r}", self.line, self.source)
        return value

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
        remaining = len(self.items) - self.position
        if value != int(value) or value < 0 or value > remaining:
            raise _error(f"bad number of {what}: {value} (the file holds at most {remaining} more values)", self.line, self.source)
        return int(value)


# ---------------------------------------------------------------- JSON

def parse_json_words(text: str, source: str = "<json>") -> list[WordSpan]:
    """Word spans from a JSON list of {word, start, end} (or Whisper's {"segments": [{"words": ...}]})."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise _error(f"not valid JSON: {error.msg}", error.lineno, source) from None
    if isinstance(data, dict) and isinstance(data.get("words"), list):
        items = data["words"]
    elif isinstance(data, dict) and isinstance(data.get("segments"), list):
        items = [w for segment in data["segments"] if isinstance(segment, dict) for w in segment.get("words", [])]
    elif isinstance(data, list):
        items = data
    else:
        raise _error('expected a list of {"word": ..., "start": ..., "end": ...} objects', 1, source)
    spans = []
    for index, item in enumerate(items):
        where = f"word {index + 1}"
        if not isinstance(item, dict):
            raise _error(f'{where}: expected an object like {{"word": "hi", "start": 0.1, "end": 0.3}}, found {item!r:.60}', None, source)
        word = item.get("word", item.get("text"))
        if not isinstance(word, str):
            raise _error(f'{where}: needs a "word" text', None, source)
        times = []
        for key in ("start", "end"):
            value = item.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _error(f'{where}: "{key}" must be a number of seconds, found {value!r}', None, source)
            times.append(float(value))
        if not 0 <= times[0] <= times[1]:
            raise _error(f"{where}: bad times {times[0]}..{times[1]} (need 0 <= start <= end)", None, source)
        spans += spread_words(word, times[0], times[1])
    return sorted(spans, key=lambda span: (span.start, span.end))


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
    path.write_text(body, encoding="utf-8")


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
    if os.path.isfile(text):
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
        try:
            json.loads(head)
            return "json"
        except ValueError:
            return "text"  # e.g. "[laughs] well..." in a plain text file
    lines = [line for line in head.splitlines()[:3] if line.strip()]
    if lines and (_SRT_TIMING.match(lines[0]) or (lines[0].strip().isdigit() and len(lines) > 1 and _SRT_TIMING.match(lines[1]))):
        return "srt"
    return "text"


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > _MAX_TRANSCRIPT_BYTES:
        raise _error(f"{size / 1e6:.0f} MB is far too large for a transcript", None, path)
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Praat often writes UTF-16
        return data.decode("utf-16")
    if b"\x00" in data:
        raise _error("a binary file, not a transcript; give text, .srt, .vtt, .TextGrid or .json", None, path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older subtitle files


def _audio_samples(audio) -> np.ndarray:
    if isinstance(audio, (str, os.PathLike)):
        from .audio import load_audio

        return load_audio(audio)
    return np.asarray(audio, dtype=np.float32)
