"""Per-frame text features at the model's 20 fps, from word spans, fully offline.

Frame k (time k/20 s) describes the word being spoken then: a word covers the frames whose times
fall in [start, end); a word too short to contain a frame time takes the frame nearest its middle,
so no word is lost. Where spans overlap, the later word wins. Parts, in order:

- ``no_text`` (1): 1 on every frame when there is no transcript (``None`` or no words), else 0.
- ``word_active`` (1): 1 while a word is spoken.
- ``word_position`` (1): how far through the word the frame is, 0 at its start to 1 at its end.
- ``word_onset`` (1): 1 on a word's first frame (a beat marker).
- ``category`` (5): one-hot of the word's gesture category in :data:`LEXICON`, if it is listed.
- ``lexicon`` (len(LEXICON)): one-hot of the word itself among :data:`LEXICON_WORDS`.
- ``hashed_embedding`` (48): a fixed random projection of the word's character n-grams
  (fastText-style hashing: n = 3..5 over "<word>" plus the whole word, each hashed with 32-bit FNV-1a,
  each hash expanded to 48 uniform values in [-1, 1) by SplitMix64, summed, scaled to unit length).
  Any word gets a vector with no vocabulary download, and words sharing spelling share direction.
  Only a word's first MAX_WORD_CHARS characters count: a longer token is no word, and its n-grams
  would take memory growing with its length.

Everything is zero outside words. Words are expected normalised (``word_text.normalise_word``);
they are normalised again here, so raw text works too.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from ..constants import MODEL_FPS
from ..errors import ModelFileError
from ..speech.word_text import normalise_word
from ..speech.words import WordSpan

FPS = MODEL_FPS
EMBED_DIMS = 48
NGRAM_SIZES = (3, 5)  # smallest and largest, inclusive
MAX_WORD_CHARS = 64
GESTURE_CATEGORIES = ("deictic", "iconic", "metaphoric", "negation", "affirmation")

# Words that tend to come with a recognisable gesture, by the gesture's kind (McNeill's classes plus
# head/hand negation and affirmation). The procedural gesture synthesiser reads this too.
LEXICON: dict[str, str] = {
    **dict.fromkeys(
        ["i", "me", "my", "you", "your", "we", "us", "our", "this", "that", "these", "those", "here", "there"],
        "deictic",
    ),
    **dict.fromkeys(
        ["big", "small", "tall", "round", "up", "down", "wide", "long", "high", "low", "huge", "tiny",
         "little", "around"],
        "iconic",
    ),
    **dict.fromkeys(
        ["all", "everything", "everyone", "many", "more", "together", "between", "always", "idea", "think",
         "maybe", "first", "future", "past"],
        "metaphoric",
    ),
    **dict.fromkeys(["no", "not", "never", "nothing", "nobody", "none", "don't", "can't", "won't"], "negation"),
    **dict.fromkeys(["yes", "yeah", "sure", "okay", "absolutely", "exactly", "definitely"], "affirmation"),
}
LEXICON_WORDS: tuple[str, ...] = tuple(sorted(LEXICON))

PARTS = (
    ("no_text", 1), ("word_active", 1), ("word_position", 1), ("word_onset", 1),
    ("category", len(GESTURE_CATEGORIES)), ("lexicon", len(LEXICON_WORDS)), ("hashed_embedding", EMBED_DIMS),
)
DIMS = sum(dims for _, dims in PARTS)
SPEC_NAME = "openhuman-text"
SPEC_VERSION = 1
_OFFSETS = dict(zip([name for name, _ in PARTS], np.cumsum([0] + [dims for _, dims in PARTS])[:-1].tolist()))


def text_feature_spec() -> dict:
    """The text feature spec a model file records."""
    return {
        "name": SPEC_NAME,
        "version": SPEC_VERSION,
        "dims": DIMS,
        "fps": FPS,
        "parts": [[name, dims] for name, dims in PARTS],
        "categories": list(GESTURE_CATEGORIES),
        "lexicon": list(LEXICON_WORDS),
        "embedding": {"kind": "char-ngram-hash", "hash": "fnv1a32", "expand": "splitmix64", "ngrams": list(NGRAM_SIZES)},
    }


def check_text_feature_spec(spec: dict) -> None:
    """Raise ModelFileError unless this build computes exactly the text features ``spec`` describes."""
    if not isinstance(spec, dict) or "name" not in spec or "version" not in spec:
        raise ModelFileError("the model file's text feature spec is missing or damaged; get the model file again")
    if spec["name"] != SPEC_NAME:
        raise ModelFileError(f"the model uses text features {spec['name']!r}, which this build cannot compute")
    if not isinstance(spec["version"], int) or spec["version"] > SPEC_VERSION:
        raise ModelFileError(
            f"the model needs text features version {spec['version']}, newer than this build's {SPEC_VERSION}; update OpenHuman"
        )
    ours = json.loads(json.dumps(text_feature_spec()))
    for key, value in ours.items():
        if json.loads(json.dumps(spec.get(key))) != value:
            raise ModelFileError(
                f"the model's text features differ from this build's in {key!r}; this build cannot compute them"
            )


def compute_text_features(spans: list[WordSpan] | None, n_frames: int) -> np.ndarray:
    """Features (n_frames, DIMS) float32 for the words in ``spans`` (None or [] means no text)."""
    n_frames = int(n_frames)
    out = np.zeros((max(n_frames, 0), DIMS), np.float32)
    if not spans:
        out[:, _OFFSETS["no_text"]] = 1.0
        return out
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        word = normalise_word(span.word)
        first = int(np.ceil(span.start * FPS - 1e-9))
        stop = int(np.ceil(span.end * FPS - 1e-9))
        if stop <= first:  # shorter than a frame: take the frame nearest its middle
            first = int(round((span.start + span.end) / 2 * FPS))
            stop = first + 1
        lo, hi = max(first, 0), min(stop, n_frames)
        if hi <= lo or not word:
            continue
        times = np.arange(lo, hi) / FPS
        length = span.end - span.start
        rows = out[lo:hi]
        rows[:] = 0.0  # a later word replaces an overlapping earlier one
        rows[:, _OFFSETS["word_active"]] = 1.0
        rows[:, _OFFSETS["word_position"]] = (
            np.clip((times - span.start) / length, 0.0, 1.0) if length > 0 else 0.5
        )
        if first >= 0:
            rows[0, _OFFSETS["word_onset"]] = 1.0
        category = LEXICON.get(word)
        if category is not None:
            rows[:, _OFFSETS["category"] + GESTURE_CATEGORIES.index(category)] = 1.0
            rows[:, _OFFSETS["lexicon"] + LEXICON_WORDS.index(word)] = 1.0
        rows[:, _OFFSETS["hashed_embedding"]:] = word_embedding(word[:MAX_WORD_CHARS])
    return out


@lru_cache(maxsize=65536)
def word_embedding(word: str) -> np.ndarray:
    """The hashed n-gram vector (EMBED_DIMS,) of one word; unit length; read-only."""
    marked = f"<{word}>"
    grams = [marked[i:i + n] for n in range(NGRAM_SIZES[0], NGRAM_SIZES[1] + 1) for i in range(len(marked) - n + 1)]
    grams.append(marked)
    hashes = np.array([_fnv1a32(gram) for gram in dict.fromkeys(grams)], dtype=np.uint64)
    keys = (hashes[:, None] << np.uint64(8)) | np.arange(EMBED_DIMS, dtype=np.uint64)[None, :]
    values = (_splitmix64(keys) >> np.uint64(40)).astype(np.float64) / float(1 << 23) - 1.0
    vector = values.sum(axis=0)
    vector = (vector / np.linalg.norm(vector)).astype(np.float32)
    vector.setflags(write=False)
    return vector


def _fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
