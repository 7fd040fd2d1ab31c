"""Transcript files read as text: recognised by suffix or content, decoded whatever their encoding.

Files are UTF-8, UTF-16 (with or without a byte order mark) or Windows-1252, and at most
MAX_TRANSCRIPT_BYTES; a binary file is refused.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .captions import looks_like_srt
from .json_words import json_containers
from .transcript_limits import MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_WORDS, transcript_error

TRANSCRIPT_SUFFIXES = (".txt", ".srt", ".vtt", ".textgrid", ".json")


def looks_like_path(text: str) -> bool:
    """Whether a string names a transcript file (existing, or one token ending like one) rather than holding one."""
    if "\n" in text or len(text) > 4096:
        return False
    if os.path.isfile(text) or (os.sep in text and os.path.isdir(text)):
        return True
    # A single token ending like a transcript file is a path that does not exist (yet): say so.
    return not re.search(r"\s", text.strip()) and text.lower().endswith(TRANSCRIPT_SUFFIXES)


def kind_from_suffix(path: Path) -> str | None:
    """The kind of a timed transcript by its file's suffix; None for .txt and others (sniffed instead)."""
    return {".srt": "srt", ".vtt": "vtt", ".textgrid": "textgrid", ".json": "json"}.get(path.suffix.lower())


def sniff(text: str) -> str:
    """The kind of a transcript by its content: "vtt", "textgrid", "json", "srt", else "text"."""
    head = text.lstrip("\ufeff").lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("File type") and "ooTextFile" in head[:200]:
        return "textgrid"
    if head[:1] in ("[", "{"):
        if json_containers(head) > 2 * MAX_TRANSCRIPT_WORDS:
            return "json"  # its parser says what is wrong, before parsing
        try:
            json.loads(head)
            return "json"
        except RecursionError:
            return "json"  # its parser says how deep it is
        except ValueError:
            return "text"  # e.g. "[laughs] well..." in a plain text file
    lines = [line for line in head[:4096].splitlines()[:3] if line.strip()]
    if looks_like_srt(lines):
        return "srt"
    return "text"


def read_text(path: Path) -> str:
    """The file's text: UTF-8, UTF-16 (with or without a byte order mark) or, failing those, Windows-1252."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TRANSCRIPT_BYTES + 1)  # never more than the limit, whatever stat says
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise transcript_error(f"the file is larger than {MAX_TRANSCRIPT_BYTES // 2 ** 20} MB, far too large for a transcript; "
                               "give the transcript of this clip only", None, path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Praat often writes UTF-16
        return _decode_utf16(data, "utf-16", path)
    if b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise transcript_error("a binary file, not a transcript; give text, .srt, .vtt, .TextGrid or .json", None, path)
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
        raise transcript_error(f"not valid {encoding.upper()} text; save the transcript as UTF-8", None, path) from None
    if "\x00" in text:
        raise transcript_error("a binary file, not a transcript; give text, .srt, .vtt, .TextGrid or .json", None, path)
    return text.lstrip("\ufeff")
