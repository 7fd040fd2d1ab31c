"""Word spans written as a transcript: JSON, SubRip, WebVTT or a Praat TextGrid."""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic_file import write_text
from .transcript_limits import transcript_error
from .words import WordSpan


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
        raise transcript_error(f"cannot write word spans as {suffix or 'a file without suffix'}; use .json, .srt, .vtt or .TextGrid", None, path)
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
