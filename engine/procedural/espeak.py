"""Speech with exact word timings from espeak-ng (libespeak-ng through ctypes), for demos and tests.

    samples, words = speak("I think you should look over there")

The library reports a WORD event at the audio position where each word starts; a word ends
where the next starts, trimmed back over trailing silence. Needs the Debian package
espeak-ng (libespeak-ng1); raises OpenHumanError naming it when absent.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np

from ..errors import OpenHumanError
from ..words import WordSpan

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED, _EVENT_WORD = 0, 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_LOCK = threading.Lock()
_STATE: dict = {}


def _library():
    if "lib" not in _STATE:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            raise OpenHumanError("espeak-ng is not installed (libespeak-ng.so.1 not found); install the Debian "
                                 "package espeak-ng") from None
        lib.espeak_Initialize.restype = ctypes.c_int
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 200, None, 0)
        if rate <= 0:
            raise OpenHumanError("espeak-ng failed to start (its voice data may be missing); reinstall espeak-ng-data")
        _STATE.update(lib=lib, rate=rate, chunks=[], events=[])

        def collect(wav, n, events):
            if n > 0:
                _STATE["chunks"].append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            i = 0
            while events[i].type != _EVENT_LIST_TERMINATED:
                e = events[i]
                if e.type == _EVENT_WORD:
                    _STATE["events"].append((e.text_position, e.length, e.audio_position, e.sample))
                i += 1
            return 0

        _STATE["callback"] = _CALLBACK(collect)  # keep a reference: the library calls it later
        lib.espeak_SetSynthCallback(_STATE["callback"])
    return _STATE["lib"]


def speak(text: str, voice: str = "en", rate_wpm: int = 150, pitch: int = 50, pitch_range: int = 50,
          volume: int = 100) -> tuple[np.ndarray, list[WordSpan]]:
    """Mono float32 samples at 16 kHz and the timed words of `text` (as written, punctuation stripped)."""
    if not text or not text.strip():
        raise OpenHumanError("nothing to say: the text is empty")
    with _LOCK:
        lib = _library()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise OpenHumanError(f"espeak-ng has no voice {voice!r}; list them with `espeak-ng --voices`")
        for param, value in ((_RATE, rate_wpm), (_PITCH, pitch), (_RANGE, pitch_range), (_VOLUME, volume)):
            lib.espeak_SetParameter(param, int(value), 0)
        _STATE["chunks"].clear()
        _STATE["events"].clear()
        data = text.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        lib.espeak_Synth(buf, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        pcm = np.concatenate(_STATE["chunks"]) if _STATE["chunks"] else np.zeros(0, np.int16)
        events = list(_STATE["events"])
        src_rate = _STATE["rate"]
    from scipy.signal import resample_poly

    samples = resample_poly(pcm.astype(np.float32) / 32768.0, 16000, src_rate).astype(np.float32)
    return samples, _words(text, events, samples)


def _words(text: str, events, samples: np.ndarray) -> list[WordSpan]:
    raw = text.encode("utf-8")
    duration = len(samples) / 16000.0
    starts, names = [], []
    last_token = None
    for pos, length, audio_ms, _ in events:
        if length <= 0:  # clause ends are reported as empty words
            continue
        # the whole whitespace-delimited token: espeak's own word may stop short ("can" of "can't")
        a = raw.rfind(b" ", 0, pos - 1) + 1
        b = raw.find(b" ", pos - 1)
        token = raw[a: b if b >= 0 else len(raw)]
        word = token.decode("utf-8", errors="ignore").strip(".,;:!?\"()[]")
        if starts and (a, word) == last_token:
            continue
        last_token = (a, word)
        if word:
            starts.append(min(audio_ms / 1000.0, duration))
            names.append(word)
    # energy in 10 ms frames, to trim each word's end back over the pause that follows it
    frames = len(samples) // 160
    energy = np.sqrt(np.mean(samples[: frames * 160].reshape(frames, 160) ** 2, axis=1)) if frames else np.zeros(0)
    loud = energy > max(1e-4, 0.05 * (energy.max() if len(energy) else 0.0))
    spans = []
    for i, (start, word) in enumerate(zip(starts, names)):
        end = starts[i + 1] if i + 1 < len(starts) else duration
        a, b = int(start * 100), int(end * 100)
        voiced = np.nonzero(loud[a:b])[0]
        if len(voiced):
            end = min(end, (a + voiced[-1] + 1) / 100.0)
        spans.append(WordSpan(word, start, max(end, start)))
    return spans
