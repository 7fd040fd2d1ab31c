"""Words found once per clip: recognised or aligned words cached by the audio's content, the
transcript's content and the recogniser's version, so a new emotion, γ, seed or sampler never waits
for recognition again. A damaged entry or one from another version is ignored and rebuilt."""
from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np

from ..atomic_file import write_text
from ..constants import user_cache_dir
from .words import WordSpan

FORMAT = 1
MAX_ENTRIES = 2000
# The words depend on these modules' code: any change to them is a new recogniser version.
_RECOGNISER_MODULES = ("asr.py", "captions.py", "decoding.py", "g2p.py", "json_words.py", "letter_to_sound.rules", "textgrid.py",
                       "transcript.py", "transcript_files.py", "transcript_limits.py", "word_text.py",
                       "words_from_speech.py", "words.py")


def default_cache_dir() -> Path:
    """$OPENHUMAN_CACHE/words, else $XDG_CACHE_HOME/openhuman/words, else ~/.cache/openhuman/words."""
    return user_cache_dir("words")


def recogniser_version() -> str:
    sha = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _RECOGNISER_MODULES:
        sha.update(name.encode() + b"\0" + (here / name).read_bytes())
    try:
        sha.update(package_metadata.version("pocketsphinx").encode())
    except package_metadata.PackageNotFoundError:
        sha.update(b"no-pocketsphinx")
    return sha.hexdigest()[:16]


def words_key(samples16k: np.ndarray, transcript) -> str:
    """A digest of what decides the words: the samples, the transcript (file bytes or text), the recogniser."""
    sha = hashlib.sha256(f"openhuman-words/{FORMAT}/{recogniser_version()}\0".encode())
    sha.update(np.ascontiguousarray(samples16k, dtype=np.float32).tobytes())
    if transcript is None:
        sha.update(b"\0recognise")
    elif isinstance(transcript, (str, os.PathLike)) and Path(transcript).is_file():
        from .transcript_limits import MAX_TRANSCRIPT_BYTES

        path = Path(transcript)
        with open(path, "rb") as fh:  # a larger file is refused when it is read: never hash gigabytes
            head = fh.read(MAX_TRANSCRIPT_BYTES + 1)
        sha.update(b"\0file" + path.suffix.lower().encode() + b"\0" + head)
    else:
        sha.update(b"\0text\0" + str(transcript).encode("utf-8", "surrogatepass"))
    return sha.hexdigest()


def _rows(spans: list[WordSpan]) -> list[list]:
    return [[s.word, s.start, s.end] for s in spans]


def _spans(rows) -> list[WordSpan]:
    """Spans from stored rows; ValueError or TypeError when a row is not (word, start, end)."""
    return [WordSpan(str(w), float(s), float(e)) for w, s, e in rows]


class WordsCache:
    """A folder of small JSON files, one per (clip, transcript, recogniser)."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str):
        """(spans, report dict) or None when absent, damaged or from another format."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            spans = _spans(data["words"])
            report = data["report"]
            if not isinstance(report, dict):
                return None
            return spans, report
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def put(self, key: str, spans: list[WordSpan], report: dict) -> None:
        """Store quietly: a cache that cannot be written only costs time later."""
        data = {"format": FORMAT, "key": key, "report": report, "words": _rows(spans)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text(self._path(key), json.dumps(data))
            self._prune()
        except OSError:
            pass

    def _prune(self) -> None:
        entries = list(self.folder.glob("*.json"))
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - MAX_ENTRIES]:
            old.unlink(missing_ok=True)


class MemoryWordsCache:
    """The same interface in memory, kept as JSON text (the add-on stores it in the .blend); the
    `last` entry is what the user can open and correct."""

    def __init__(self, entries: dict | None = None, last: str | None = None, max_entries: int = 8):
        self.entries, self.last, self.max_entries = dict(entries or {}), last, max_entries

    def get(self, key: str):
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            spans = _spans(entry["words"])
        except (ValueError, TypeError, KeyError):
            return None
        self.last = key
        return spans, dict(entry.get("report") or {})

    def put(self, key: str, spans: list[WordSpan], report: dict) -> None:
        self.entries.pop(key, None)
        self.entries[key] = {"report": report, "words": _rows(spans)}
        while len(self.entries) > self.max_entries:
            self.entries.pop(next(iter(self.entries)))
        self.last = key

    def last_words(self) -> list[WordSpan]:
        hit = self.get(self.last) if self.last else None
        return hit[0] if hit else []

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "last": self.last, "entries": self.entries})

    @classmethod
    def from_json(cls, text: str) -> "MemoryWordsCache":
        """Never fails: damaged or foreign text gives an empty cache."""
        try:
            data = json.loads(text) if text else {}
            if data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
                return cls(data["entries"], data.get("last") if isinstance(data.get("last"), str) else None)
        except (ValueError, AttributeError):
            pass
        return cls()
