"""SubRip (.srt) and WebVTT (.vtt) captions read as word spans.

Cues give phrase timings; each cue's words share its interval in proportion to their syllable counts.
WebVTT inline timestamps (``<00:00:01.500>``) split a cue further. Caption markup (``<i>``,
``{\\an8}``) and sound annotations in brackets (``[music]``, ``(laughs)``) are removed.
"""
from __future__ import annotations

import re

from .transcript_limits import spread_into, transcript_error
from .words import WordSpan

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
                raise transcript_error(
                    f"expected a cue number or a time line like '00:00:01,000 --> 00:00:02,500', "
                    f"found {lines[i].strip()[:60]!r}", i + 1, source,
                )
            i = _timing_after_identifier(lines, i, _SRT_TIMING, "a time line like '00:00:01,000 --> 00:00:02,500'",
                                         source)
        start, end, timing_line, cue, i = _cue(lines, i, _SRT_TIMING, source, _starts_srt_cue)
        spread_into(spans, _strip_caption_markup(cue), start, end, timing_line, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def parse_vtt(text: str, source: str = "<vtt>") -> list[WordSpan]:
    """Word spans from WebVTT text; inline timestamps split cues further."""
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise transcript_error("a WebVTT file must start with the line 'WEBVTT'", 1, source)
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
                raise transcript_error(f"bad cue timing {lines[i].strip()[:60]!r}; expected e.g. '00:01.000 --> 00:02.500'", i + 1, source)
            i = _timing_after_identifier(lines, i, _VTT_TIMING, "a cue timing like '00:01.000 --> 00:02.500'", source)
        start, end, timing_line, cue, i = _cue(lines, i, _VTT_TIMING, source, lambda lines, i: False)
        _vtt_cue_words(spans, cue, start, end, timing_line, source)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _timing_after_identifier(lines: list[str], i: int, timing: re.Pattern, expected: str, source: str) -> int:
    """The index of the timing line that must follow the cue identifier at line ``i``."""
    i += 1
    if i >= len(lines) or not timing.match(lines[i]):
        found = lines[i].strip()[:60] if i < len(lines) else "the end of the file"
        raise transcript_error(f"expected {expected}, found {found!r}", i + 1, source)
    return i


def _cue(lines: list[str], i: int, timing: re.Pattern, source: str, next_cue_starts):
    """The cue whose timing stands at line ``i``: start, end, the timing's line number, its text, the next index."""
    start, end = _cue_times(timing.match(lines[i]).groups(), i + 1, source)
    text = []
    k = i + 1
    while k < len(lines) and lines[k].strip() and not next_cue_starts(lines, k):
        text.append(lines[k])
        k += 1
    return start, end, i + 1, " ".join(text), k


def _vtt_cue_words(spans: list[WordSpan], cue: str, start: float, end: float, line: int, source: str) -> None:
    pieces = _VTT_INLINE.split(cue)  # text, time, text, time, ...
    marks = [start]
    for stamp in pieces[1::2]:
        marks.append(min(max(_vtt_seconds(stamp, line, source), marks[-1]), end))
    marks.append(end)
    for j, piece in enumerate(pieces[0::2]):
        spread_into(spans, _strip_caption_markup(piece), marks[j], marks[j + 1], line, source)


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
        raise transcript_error(f"the cue ends ({end:.3f} s) before it starts ({start:.3f} s)", line, source)
    return start, end


def _seconds(groups, line: int, source: str) -> float:
    hours, minutes, seconds, fraction = groups
    hours = (hours or "").lstrip("0")  # int() refuses over 4300 digits, leading zeros too
    if len(hours) > 6:
        raise transcript_error(f"bad time: {hours[:12]}{'...' if len(hours) > 12 else ''} hours; no clip is that long", line, source)
    minutes, seconds = int(minutes), int(seconds)
    if minutes >= 60 or seconds >= 60:
        raise transcript_error(f"bad time: {minutes} minutes {seconds} seconds (both must be below 60)", line, source)
    return int(hours or 0) * 3600 + minutes * 60 + seconds + int(fraction) / 10 ** len(fraction)


def _strip_caption_markup(text: str) -> str:
    # An unclosed bracket must not be searched to the end once per bracket: no match spans an opening one.
    text = re.sub(r"<[^<>]*>|\{\\[^{}]*\}", " ", text)
    return re.sub(r"\[[^\[\]]*\]|\([^()]*\)", " ", text)


def looks_like_srt(lines: list[str]) -> bool:
    """Whether the first non-blank lines of a text start a SubRip cue (a time line, or a number and a time line)."""
    return bool(lines) and bool(_SRT_TIMING.match(lines[0]) or (
        lines[0].strip().isdigit() and len(lines) > 1 and _SRT_TIMING.match(lines[1])))
