"""Speech for the synthetic corpus: espeak-ng with emotion-dependent prosody and exact word times.

espeak-ng's library (``libespeak-ng.so.1``, installed with the Debian ``espeak-ng`` package) is
driven through ctypes in synchronous mode. Each sentence is synthesised as SSML with a
``<mark/>`` before every word; the library reports each mark with the index of the output sample
where that word's first phoneme begins, so word starts are exact to the sample, not estimated.
A word ends at the last sample louder than −40 dB of the sentence's peak before the next word
starts (espeak's pauses are near-silent), or before the sentence's end. Sentences are joined with
pauses of known length, so every time in the result is known exactly. (Should a voice drop a
mark, the sentence is spoken again in halves, so no start is ever guessed from the text.)

Prosody per emotion (espeak units: rate in words per minute, pitch and pitch range 0–100,
volume 0–200, word gap in 10 ms steps), with pauses in seconds after sentences and at commas:

| emotion | rate | pitch | range | volume | word gap | sentence pause | comma pause |
|---------|------|-------|-------|--------|----------|----------------|-------------|
| Neutral | 170  | 50    | 50    | 100    | 0        | 0.35–0.70      | 0.10–0.20   |
| Happy   | 190  | 68    | 85    | 125    | 0        | 0.20–0.45      | 0.05–0.12   |
| Sad     | 120  | 32    | 15    | 65     | 2        | 0.70–1.30      | 0.25–0.50   |
| Angry   | 185  | 55    | 80    | 170    | 0        | 0.15–0.40      | 0.03–0.10   |
| Old     | 115  | 38    | 30    | 80     | 3        | 0.60–1.10      | 0.20–0.45   |
| Relaxed | 145  | 44    | 40    | 90     | 1        | 0.50–0.90      | 0.15–0.30   |

After LONG_PAUSE_SHARE of the sentences the speaker stops for LONG_PAUSE_S instead (people pause
to think; the gestures rest there). Each sentence varies around these (rate and volume ×(1 ± 7 %), pitch ± 6, range ± 8) so no two
sentences sound alike. An emotion may be a mix ({"Happy": 0.7, "Sad": 0.3}): the numbers blend.

espeak-ng keeps internal state between calls (its waveform generator's phase and libc's
``rand``), so the same call made later in a process can differ by a few samples; the word times
always match the samples returned. So `synthesise_speech` speaks in a process forked for the call
(a few milliseconds) and seeds libc's ``rand`` from the call's seed: the same arguments give the same
samples, whatever was spoken before and whatever else drew from ``rand`` (PulseAudio's client, which
espeak-ng starts, draws from it when it first makes its ~/.config/pulse; that once changed a test's
corpus on a fresh machine).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import random
from dataclasses import dataclass, fields
from typing import Iterable, Iterator
from xml.sax.saxutils import escape

import numpy as np

from ..engine.speech.audio import SAMPLE_RATE, resample
from ..engine.errors import OpenHumanError
from ..engine.speech.word_text import normalise_word
from ..engine.speech.words import WordSpan


class SpeechSynthError(OpenHumanError):
    """espeak-ng is missing, or refused a voice or a text."""


@dataclass(frozen=True)
class Prosody:
    rate: float  # words per minute
    pitch: float  # 0..100
    range: float  # 0..100
    volume: float  # 0..200
    word_gap: float  # 10 ms steps
    sentence_pause: tuple[float, float]  # seconds, drawn uniformly
    comma_pause: tuple[float, float]


EMOTION_PROSODY: dict[str, Prosody] = {
    "Neutral": Prosody(170, 50, 50, 100, 0, (0.35, 0.70), (0.10, 0.20)),
    "Happy": Prosody(190, 68, 85, 125, 0, (0.20, 0.45), (0.05, 0.12)),
    "Sad": Prosody(120, 32, 15, 65, 2, (0.70, 1.30), (0.25, 0.50)),
    "Angry": Prosody(185, 55, 80, 170, 0, (0.15, 0.40), (0.03, 0.10)),
    "Old": Prosody(115, 38, 30, 80, 3, (0.60, 1.10), (0.20, 0.45)),
    "Relaxed": Prosody(145, 44, 40, 90, 1, (0.50, 0.90), (0.15, 0.30)),
}

# espeak-ng's own English voices, and female/male variants of them ("+f3" etc.).
VOICES: tuple[str, ...] = (
    "en-us", "en-us+f2", "en-us+f3", "en-us+f4", "en-us+m3", "en", "en+f3", "en+m5", "en-gb-x-rp",
    "en-gb-x-rp+f5", "en-gb-scotland", "en-gb-scotland+f2", "en-029", "en-gb-x-gbclan+f1", "en-us+m7",
)

LONG_PAUSE_SHARE = 0.3  # of sentence ends, a pause of LONG_PAUSE_S instead of the emotion's own
LONG_PAUSE_S = (1.2, 3.5)
SILENCE_DB = -40.0  # below this, relative to the sentence's peak, a 5 ms stretch counts as silent


def prosody_for(emotion: str | dict[str, float]) -> Prosody:
    """The prosody of one emotion, or the weighted blend of several."""
    return blend_prosody(emotion, EMOTION_PROSODY)


def blend_prosody(emotion: str | dict[str, float], table: dict, what: str = "speech prosody"):
    """The entry of ``table`` (emotion -> a dataclass of numbers or ranges) for one emotion, or the
    weighted blend of several, field by field."""
    weights = {emotion: 1.0} if isinstance(emotion, str) else dict(emotion)
    unknown = [name for name in weights if name not in table]
    if unknown:
        raise SpeechSynthError(f"no {what} for emotion {unknown[0]!r}; known: {', '.join(table)}")
    total = sum(weights.values())
    if not total > 0 or any(w < 0 for w in weights.values()):
        raise SpeechSynthError(f"emotion weights must be non-negative and not all zero, got {weights}")
    kind = type(next(iter(table.values())))
    blended = {}
    for field in fields(kind):
        values = [np.asarray(getattr(table[name], field.name), float) * w / total for name, w in weights.items()]
        value = np.sum(values, axis=0)
        blended[field.name] = tuple(float(v) for v in value) if value.ndim else float(value)
    return kind(**blended)


def sentence_pause_s(base: Prosody, rng: random.Random, pause_rng: random.Random, scale: float = 1.0) -> float:
    """The pause after a sentence: ``scale`` × the emotion's own, or after LONG_PAUSE_SHARE of the
    sentences a long one (people stop to think: pauses long enough to rest the hands)."""
    pause_s = scale * rng.uniform(*base.sentence_pause)
    if pause_rng.random() < LONG_PAUSE_SHARE:
        pause_s = pause_rng.uniform(*LONG_PAUSE_S)
    return pause_s


@dataclass
class Speech:
    """16 kHz mono speech and its words; ``sentences`` are the texts spoken, in order."""

    samples: np.ndarray
    words: list[WordSpan]
    voice: str
    emotion: str | dict[str, float]
    sentences: list[str]

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def synthesise_speech(sentences: Iterable[str], emotion: str | dict[str, float] = "Neutral", voice: str = "en-us",
                      seed: int = 0, min_seconds: float | None = None, lead_in: tuple[float, float] = (0.3, 0.9),
                      tail: tuple[float, float] = (0.4, 0.8)) -> Speech:
    """Speak ``sentences`` in order with the emotion's prosody; exact word spans.

    With ``min_seconds``, sentences are taken from the iterable only until the speech (pauses
    included) is at least that long, so an endless generator may be given. Silence of ``lead_in``
    and ``tail`` seconds (drawn from the ranges) opens and closes the clip.

    The library runs in a process forked for this call, so the result depends on the arguments
    alone, not on what was spoken before (see the module notes); in-process where there is no fork.
    """
    args = (sentences, emotion, voice, seed, min_seconds, lead_in, tail)
    if not hasattr(os, "fork"):
        return _synthesise_here(*args)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: speak, send the result or the error back, exit at once
        os.close(read)
        try:
            result = ("ok", _synthesise_here(*args))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                result = ("raise", pickle.loads(pickle.dumps(exc)))
            except Exception:  # noqa: BLE001
                result = ("error", f"{type(exc).__name__}: {exc}")
        try:
            with os.fdopen(write, "wb") as out:
                pickle.dump(result, out)
        finally:
            os._exit(0)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as inp:
            status, value = pickle.load(inp)
    except EOFError:
        status, value = "error", "the speech process ended without an answer"
    finally:
        os.waitpid(pid, 0)
    if status == "raise":
        raise value
    if status == "error":
        raise SpeechSynthError(value)
    return value


def _synthesise_here(sentences, emotion, voice, seed, min_seconds, lead_in, tail) -> Speech:
    base = prosody_for(emotion)
    rng, pause_rng = speech_rngs(seed)
    engine = _engine()
    engine.seed_noise(seed)
    rate = engine.sample_rate
    pieces = [np.zeros(int(round(rng.uniform(*lead_in) * rate)), np.int16)]
    cursor = len(pieces[0])
    words: list[WordSpan] = []
    spoken: list[str] = []
    for tokens in spoken_tokens(sentences):
        # espeak-ng drops the mark after a full stop inside one call, so each sentence of a text
        # ("No, never. It was tiny.") is spoken alone, joined by a shorter pause than between texts.
        parts = _split_sentences(tokens)
        for k, part in enumerate(parts):
            audio, spans = _sentence(engine, part, base, voice, rng)
            words += [WordSpan(w, (cursor + a) / rate, (cursor + b) / rate) for w, a, b in spans]
            pause_s = sentence_pause_s(base, rng, pause_rng, 1.0 if k == len(parts) - 1 else 0.5)
            pause = np.zeros(int(round(pause_s * rate)), np.int16)
            pieces += [audio, pause]
            cursor += len(audio) + len(pause)
        spoken.append(" ".join(tokens))
        # the last pause gives way to the tail, so only the speech up to it counts
        if min_seconds is not None and (cursor - len(pieces[-1])) / rate >= min_seconds:
            break
    if not spoken:
        raise SpeechSynthError("nothing to say: the sentences hold no words")
    pieces[-1] = pieces[-1][:0]  # the tail replaces the last sentence's pause
    pieces.append(np.zeros(int(round(rng.uniform(*tail) * rate)), np.int16))
    raw = np.concatenate(pieces).astype(np.float32) / 32768.0
    samples = resample(raw, rate, SAMPLE_RATE)
    return Speech(samples, words, voice, emotion, spoken)


def speech_rngs(seed: int) -> tuple[random.Random, random.Random]:
    """The speech's random stream and its pauses' own (so the other draws stay as they were)."""
    return random.Random(seed), random.Random(seed * 7919 + 17)


def spoken_tokens(sentences: Iterable[str]) -> Iterator[list[str]]:
    """Each sentence's tokens that hold a word; sentences without one are skipped."""
    for sentence in sentences:
        tokens = [t for t in sentence.split() if normalise_word(t)]
        if tokens:
            yield tokens


def _split_sentences(tokens: list[str]) -> list[list[str]]:
    parts, current = [], []
    for token in tokens:
        current.append(token)
        if token.endswith((".", "?", "!")):
            parts.append(current)
            current = []
    return parts + [current] if current else parts


def _sentence(engine: "_Espeak", tokens: list[str], base: Prosody, voice: str, rng: random.Random):
    """One sentence's int16 audio (trailing silence cut) and (word, start, end) in its samples."""
    rate = base.rate * rng.uniform(0.93, 1.07)
    pitch = float(np.clip(base.pitch + rng.uniform(-6, 6), 0, 100))
    span = float(np.clip(base.range + rng.uniform(-8, 8), 0, 100))
    volume = float(np.clip(base.volume * rng.uniform(0.93, 1.07), 0, 200))
    pauses = [int(rng.uniform(*base.comma_pause) * 1000) if t.endswith(",") else 0 for t in tokens]
    settings = (voice, rate, pitch, span, volume, base.word_gap)
    return _speak_tokens(engine, tokens, pauses, settings)


def _speak_tokens(engine: "_Espeak", tokens: list[str], pauses: list[int], settings: tuple):
    parts = ["<speak>"]
    for i, (token, pause) in enumerate(zip(tokens, pauses)):
        # A zero-width space after the space between words: without it espeak-ng reads some pairs
        # ("in the", "was a") as one dictionary entry and reports both marks at the second word.
        parts.append(f'<mark name="{i}"/>{escape(token)}' + (" \u200b" if i + 1 < len(tokens) else ""))
        if pause:
            parts.append(f'<break time="{pause}ms"/>')
    parts.append("</speak>")
    audio, marks = engine.speak("".join(parts), *settings)
    loud = _loud_blocks(audio)
    if sorted(marks) != list(range(len(tokens))):
        if len(tokens) > 1:
            # Some voices drop a mark in rare word sequences: speak the halves apart, so every
            # start is still one the library reported.
            half = len(tokens) // 2
            first, first_spans = _speak_tokens(engine, tokens[:half], pauses[:half], settings)
            gap = np.zeros(int(0.06 * engine.sample_rate), np.int16)
            second, second_spans = _speak_tokens(engine, tokens[half:], pauses[half:], settings)
            shift = len(first) + len(gap)
            return (np.concatenate([first, gap, second]),
                    first_spans + [(w, a + shift, b + shift) for w, a, b in second_spans])
        hits = np.flatnonzero(loud)  # a lone word without its mark starts where the sound does
        marks = {0: int(hits[0]) * _BLOCK if len(hits) else 0}
    starts = [marks[i] for i in range(len(tokens))]
    ends = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(audio)
        ends.append(max(_last_loud(loud, start, stop), start))
    audio = audio[: min(len(audio), ends[-1] + int(0.02 * engine.sample_rate))]
    return audio, [(normalise_word(t), s, e) for t, s, e in zip(tokens, starts, ends)]


_BLOCK = 110  # 5 ms at 22.05 kHz


def _loud_blocks(audio: np.ndarray) -> np.ndarray:
    """Per 5 ms block: is it louder than SILENCE_DB below the peak?"""
    x = np.abs(audio.astype(np.float32))
    n = -(-len(x) // _BLOCK)
    padded = np.zeros(n * _BLOCK, np.float32)
    padded[: len(x)] = x
    peaks = padded.reshape(n, _BLOCK).max(axis=1)
    return peaks > x.max() * 10 ** (SILENCE_DB / 20) if len(x) else peaks > 0


def _last_loud(loud: np.ndarray, start: int, stop: int) -> int:
    """The sample just after the last loud block within [start, stop); start if none is loud."""
    first, last = start // _BLOCK, -(-stop // _BLOCK)
    hits = np.flatnonzero(loud[first:last])
    if not len(hits):
        return start
    return min((first + int(hits[-1]) + 1) * _BLOCK, stop)


class _Event(ctypes.Structure):
    class _Id(ctypes.Union):
        _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]

    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_EVENT_END_OF_LIST, _EVENT_MARK = 0, 3
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8, _SSML = 1, 0x10
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7


class _Espeak:
    """One process's espeak-ng library in synchronous mode (the library is not thread-safe)."""

    def __init__(self):
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError:
            raise SpeechSynthError(
                "the espeak-ng library is not installed; install it with `apt-get install espeak-ng`"
            ) from None
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
        if self.sample_rate <= 0:
            raise SpeechSynthError("espeak-ng failed to start (its data folder may be missing); reinstall espeak-ng")
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._chunks: list[np.ndarray] = []
        self._marks: dict[int, int] = {}
        self._callback = _CALLBACK(self._on_audio)  # kept referenced: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self._voice = None

    def seed_noise(self, seed: int) -> None:
        """Seed libc's ``rand``, which espeak-ng's waveform generator draws its noise from. It is looked up
        through espeak-ng's own library handle, so it is the C library espeak-ng calls, with no search."""
        if hasattr(self.lib, "srand"):  # a C runtime that does not export it (Windows): the noise is left as it comes
            self.lib.srand(ctypes.c_uint(seed & 0xFFFFFFFF))

    def _on_audio(self, wav, n, events) -> int:
        i = 0
        while events[i].type != _EVENT_END_OF_LIST:
            if events[i].type == _EVENT_MARK and events[i].id.name.isdigit():
                self._marks[int(events[i].id.name)] = events[i].sample
            i += 1
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        return 0

    def speak(self, ssml: str, voice: str, rate: float, pitch: float, span: float, volume: float,
              word_gap: float) -> tuple[np.ndarray, dict[int, int]]:
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechSynthError(f"espeak-ng has no voice {voice!r}; list them with `espeak-ng --voices=en`")
            self._voice = voice
        for parameter, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, span), (_VOLUME, volume),
                                 (_WORDGAP, word_gap)):
            self.lib.espeak_SetParameter(parameter, int(round(value)), 0)
        self._chunks, self._marks = [], {}
        text = ssml.encode("utf-8")
        status = self.lib.espeak_Synth(text, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _SSML, None, None)
        if status != 0:
            raise SpeechSynthError(f"espeak-ng could not speak {ssml[:80]!r} (error {status})")
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return audio.astype(np.int16), dict(self._marks)


_ENGINE: _Espeak | None = None


def _engine() -> _Espeak:
    """This process's espeak-ng, started on first use (a forked worker inherits a working copy)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Espeak()
    return _ENGINE
