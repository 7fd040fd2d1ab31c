"""JSON word lists read as word spans.

A JSON transcript is a list of {"word", "start", "end"} objects (or {"words": [...]}, or
{"segments": [{"words": [...]}]} as Whisper writes). Its size is bounded before parsing (no more
lists and objects than a word list of MAX_TRANSCRIPT_WORDS words needs) and its nesting after
(MAX_JSON_DEPTH levels).
"""
from __future__ import annotations

import json
import math

from .transcript_limits import MAX_TRANSCRIPT_WORDS, spread_into, transcript_error
from .words import WordSpan

MAX_JSON_DEPTH = 32  # a Whisper word list is 4 levels deep


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
        raise transcript_error('expected a list of {"word": ..., "start": ..., "end": ...} objects', 1, source)
    spans = []
    for index, item in enumerate(items):
        where = f"word {index + 1}"
        if not isinstance(item, dict):
            raise transcript_error(f'{where}: expected an object like {{"word": "hi", "start": 0.1, "end": 0.3}}, '
                                   f'found {_shown(item)}', None, source)
        word = item.get("word", item.get("text"))
        if not isinstance(word, str):
            raise transcript_error(f'{where}: needs a "word" text', None, source)
        times = [_json_seconds(item.get(key), f'{where}: "{key}"', source) for key in ("start", "end")]
        if not 0 <= times[0] <= times[1]:
            raise transcript_error(f"{where}: bad times {times[0]}..{times[1]} (need 0 <= start <= end)", None, source)
        spread_into(spans, word, times[0], times[1], None, source)
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
        raise transcript_error(f"{what} must be a number of seconds, found {_shown(value)}", None, source) from None
    return seconds


def _load_json(text: str, source):
    """Parsed JSON, its size bounded before parsing and its nesting after; any failure is a TranscriptError."""
    containers = json_containers(text)
    if containers > 2 * MAX_TRANSCRIPT_WORDS:
        raise transcript_error(f"the JSON holds {containers:,} lists and objects, more than a word list of "
                               f"{MAX_TRANSCRIPT_WORDS:,} words needs; give the transcript of this clip only", None, source)
    too_deep = transcript_error(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep; a word list needs at most 4: "
                                'give a list of {"word", "start", "end"} objects', None, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise transcript_error(f"not valid JSON: {error.msg}", error.lineno, source) from None
    except RecursionError:
        raise too_deep from None
    except ValueError as error:  # e.g. an integer of over 4300 digits
        raise transcript_error(f"not valid JSON: {str(error)[:100]}", None, source) from None
    if _nested_deeper_than(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


def json_containers(text: str) -> int:
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
