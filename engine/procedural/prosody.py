"""Prosody of a speech clip for gesture timing: loudness, onsets, pitch, speech activity, accents.

The synthesiser needs events (where the prosodic peaks are, how loud each is, where phrases
start and stop), not model features, so it analyses the audio itself at 100 frames per second.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy.ndimage import maximum_filter1d, uniform_filter1d
from scipy.signal import find_peaks

from ..speech.audio import SAMPLE_RATE
from ..errors import AudioError
from ..speech.activity import speech_activity

RATE = 100.0  # analysis frames per second
_HOP = SAMPLE_RATE // int(RATE)
_WINDOW = 400  # 25 ms
_SILENT_DB = -60.0  # a clip whose loudest speech is below this is treated as silence
_MIN_PAUSE_S = 0.25  # a quieter gap shorter than this does not end a phrase


@dataclass(frozen=True)
class Accent:
    """A prosodic peak: time (s), prominence in [0, 1], loudness relative to the clip (dB)."""

    time: float
    strength: float
    loudness_db: float


@dataclass(frozen=True)
class Prosody:
    """Curves at RATE frames per second plus the events derived from them."""

    duration: float
    energy_db: np.ndarray  # (T,) frame RMS in dBFS
    onset: np.ndarray  # (T,) spectral flux, 1 = a typical strong onset of this clip
    pitch_st: np.ndarray  # (T,) semitones relative to the clip's median voiced pitch, NaN unvoiced
    speaking: np.ndarray  # (T,) bool
    level_db: float  # median speech loudness of the clip (dBFS); -inf when silent
    accents: tuple[Accent, ...]
    phrases: tuple[tuple[float, float], ...]  # (start, end) seconds of speech stretches

    def loudness_at(self, times: np.ndarray) -> np.ndarray:
        """Loudness relative to the clip's speech level (dB), smoothed over 0.3 s, at the given times."""
        smooth = uniform_filter1d(np.where(self.speaking, self.energy_db, self.level_db - 30.0), 30)
        idx = np.clip(np.round(np.asarray(times) * RATE).astype(int), 0, len(smooth) - 1)
        return smooth[idx] - self.level_db


def check_samples(samples16k) -> np.ndarray:
    """The samples as a 1-D float array, or AudioError saying what is wrong with them."""
    x = np.asarray(samples16k)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise AudioError(f"speech samples must be one mono channel (1-D array), got shape {x.shape}; "
                         "load the clip with engine.audio.load_audio")
    if x.size == 0:
        raise AudioError("the speech clip has no samples; pass a non-empty recording")
    if not np.issubdtype(x.dtype, np.number):
        raise AudioError(f"speech samples must be numbers, got dtype {x.dtype}")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise AudioError("the speech samples contain NaN or infinite values; the export is damaged")
    return x


def _frames(x: np.ndarray) -> np.ndarray:
    n = int(np.ceil(len(x) / _HOP))
    padded = np.concatenate([np.zeros(_WINDOW // 2, np.float32), x, np.zeros(_WINDOW + _HOP, np.float32)])
    return np.lib.stride_tricks.sliding_window_view(padded, _WINDOW)[::_HOP][:n]


def _pitch_semitones(x: np.ndarray, n: int) -> np.ndarray:
    """YIN pitch at 8 kHz every 20 ms, interpolated to RATE, in semitones re 100 Hz (NaN out of range)."""
    import librosa

    if len(x) < 2048:
        return np.full(n, np.nan)
    x8 = librosa.resample(x, orig_sr=SAMPLE_RATE, target_sr=8000, res_type="polyphase")
    f0 = librosa.yin(x8, fmin=70.0, fmax=400.0, sr=8000, frame_length=400, hop_length=160, center=True)
    valid = (f0 > 72.0) & (f0 < 395.0)
    st = np.where(valid, 12.0 * np.log2(np.maximum(f0, 1.0) / 100.0), np.nan)
    idx = np.clip(np.round(np.arange(n) / RATE / 0.02).astype(int), 0, len(st) - 1)
    return st[idx]


def _segments(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]))


def analyse_prosody(samples16k) -> Prosody:
    """Analyse mono 16 kHz speech samples (float, about -1..1)."""
    x = check_samples(samples16k)
    duration = len(x) / SAMPLE_RATE
    frames = _frames(x)
    n = len(frames)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    energy_db = 20.0 * np.log10(rms + 1e-5)

    spec = np.abs(scipy.fft.rfft(frames * np.hanning(_WINDOW).astype(np.float32), n=512, axis=1))
    band = spec[:, 3:160]  # ~100 Hz .. 5 kHz
    logspec = np.log1p(100.0 * band)
    flux = np.concatenate([[0.0], np.maximum(np.diff(logspec, axis=0), 0.0).sum(1)])

    peak_db = np.percentile(energy_db, 98)
    # where the voice is: the detector made for real rooms (its thresholds follow the clip's own
    # noise floor and speech level), the same one the evaluation finds pauses with
    speaking = np.zeros(n, bool)
    if peak_db >= _SILENT_DB:
        active = speech_activity(x)[:n]
        speaking[:len(active)] = active

    if speaking.any():
        level_db = float(np.median(energy_db[speaking]))
        onset_scale = max(np.percentile(flux[speaking], 95), 1e-6)
    else:
        level_db = float(peak_db) if np.isfinite(peak_db) else -100.0
        onset_scale = max(np.percentile(flux, 95), 1e-6)
    onset = flux / onset_scale

    pitch = _pitch_semitones(x, n)
    pitch[~speaking] = np.nan
    voiced = np.isfinite(pitch)
    if voiced.sum() > 10:
        pitch = pitch - np.median(pitch[voiced])

    accents = _accents(energy_db, onset, pitch, speaking, level_db)
    phrases = _phrases(speaking)
    return Prosody(duration, energy_db, onset, pitch, speaking, level_db, accents, phrases)


def _accents(energy_db, onset, pitch, speaking, level_db) -> tuple[Accent, ...]:
    if not speaking.any():
        return ()
    e = np.clip((uniform_filter1d(energy_db, 7) - level_db) / 6.0, -2.0, 2.0)
    o = np.clip(uniform_filter1d(onset, 5), 0.0, 2.0)
    # pitch prominence: rise above the running (1 s) mean of the voiced pitch
    p_filled = np.where(np.isfinite(pitch), pitch, 0.0)
    w = np.isfinite(pitch).astype(float)
    local_mean = uniform_filter1d(p_filled, 100) / np.maximum(uniform_filter1d(w, 100), 1e-3)
    rise = np.where(np.isfinite(pitch), np.clip((p_filled - local_mean) / 3.0, 0.0, 2.0), 0.0)
    prominence = uniform_filter1d(0.5 * e + 0.6 * o + 0.4 * rise, 7)
    prominence = np.where(speaking, prominence, -3.0)
    peaks, props = find_peaks(prominence, distance=int(0.18 * RATE), prominence=0.25)
    if len(peaks) == 0:
        return ()
    values = prominence[peaks]
    lo, hi = np.percentile(values, 5), np.percentile(values, 95)
    strength = np.clip((values - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    loud = maximum_filter1d(uniform_filter1d(energy_db, 5), 11)[peaks] - level_db
    return tuple(Accent(float(i / RATE), float(s), float(l)) for i, s, l in zip(peaks, strength, loud))


def _phrases(speaking: np.ndarray) -> tuple[tuple[float, float], ...]:
    segments = _segments(speaking)
    merged: list[list[int]] = []
    for a, b in segments:
        if merged and a - merged[-1][1] < _MIN_PAUSE_S * RATE:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return tuple((a / RATE, b / RATE) for a, b in merged)
