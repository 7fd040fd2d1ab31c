"""Where someone is speaking in a recording: a voice activity detector that works on real rooms.

A fixed level threshold fails on real recordings: their pauses hold a room's noise floor (−70 to
−40 dBFS) rather than digital silence, and their level depends on the microphone and the gain.
So every threshold here is relative to the clip itself:

- the noise floor is tracked over time (the 10th percentile of 10 ms frame energies in a sliding
  3 s neighbourhood, then the lowest of that over 6 s), so a fan that starts half way is followed;
- the clip's speech level is the 95th percentile of the frame energies;
- a frame is speech when its energy, smoothed over 50 ms, rises at least ``MIN_SNR_DB`` above the
  floor and is within ``SPEECH_RANGE_DB`` of the speech level (breaths and lip noise in a quiet
  studio are not speech), or when it is voiced (steady pitch, as YIN measures) and at least
  ``MIN_SNR_DB`` / 2 above the floor;
- gaps shorter than ``MIN_GAP_S`` are closed (the stops inside words), bursts shorter than
  ``MIN_BURST_S`` dropped (clicks), and speech is padded by ``PAD_S`` on both sides.

A clip whose loud part is less than ``MIN_SNR_DB`` above its floor holds no speech.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

from .audio import SAMPLE_RATE

RATE = 100  # activity decisions per second
_HOP = SAMPLE_RATE // RATE
_WINDOW = 400  # 25 ms
MIN_SNR_DB = 12.0
SPEECH_RANGE_DB = 30.0
MIN_GAP_S = 0.15
MIN_BURST_S = 0.08
PAD_S = 0.05
_FLOOR_WINDOW_S = 3.0


def frame_energy_db(samples16k: np.ndarray) -> np.ndarray:
    """Energy (dBFS) of 25 ms frames every 10 ms, frame k centred on k/100 s."""
    x = np.asarray(samples16k, np.float32)
    n = max(1, -(-len(x) // _HOP))
    padded = np.concatenate([np.zeros(_WINDOW // 2, np.float32), x, np.zeros(_WINDOW + _HOP, np.float32)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, _WINDOW)[::_HOP][:n]
    return 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-10)


def noise_floor_db(energy_db: np.ndarray) -> np.ndarray:
    """The noise floor under each frame (dBFS), tracked over time."""
    n = len(energy_db)
    size = int(_FLOOR_WINDOW_S * RATE)
    if n <= size:
        return np.full(n, np.percentile(energy_db, 10))
    hop = RATE // 2
    centres = np.arange(0, n, hop)
    local = np.array([np.percentile(energy_db[max(0, c - size // 2):c + size // 2], 10) for c in centres])
    local = minimum_filter1d(local, size=max(1, (2 * size) // hop), mode="nearest")
    return np.interp(np.arange(n), centres, local)


def speech_activity(samples16k: np.ndarray) -> np.ndarray:
    """(ceil(len / 160),) bool: speech in each 10 ms frame (frame k centred on k/100 s)."""
    energy = frame_energy_db(samples16k)
    floor = noise_floor_db(energy)
    level = np.percentile(energy, 95)
    if level - np.median(floor) < MIN_SNR_DB:
        return np.zeros(len(energy), bool)
    smooth = uniform_filter1d(energy, 5, mode="nearest")
    threshold = np.maximum(floor + MIN_SNR_DB, level - SPEECH_RANGE_DB)
    active = smooth > threshold
    voiced = _voiced(samples16k, len(energy)) & (smooth > floor + MIN_SNR_DB / 2)
    active |= voiced
    active = _close_gaps(active, int(MIN_GAP_S * RATE))
    active = _drop_bursts(active, int(MIN_BURST_S * RATE))
    pad = int(PAD_S * RATE)
    return maximum_filter1d(active.astype(np.uint8), size=2 * pad + 1).astype(bool) if pad else active


def pauses(activity: np.ndarray, min_seconds: float = 0.7, rate: float = RATE) -> list[tuple[float, float]]:
    """(start, end) seconds of the stretches without speech lasting at least ``min_seconds``."""
    return [(a / rate, b / rate) for a, b in _runs(~np.asarray(activity, bool)) if (b - a) / rate >= min_seconds]


def activity_at(activity: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """The activity resampled to ``n_frames`` frames at ``fps`` (a frame is speech if most of it is)."""
    times = (np.arange(n_frames) + 0.5) / fps
    share = uniform_filter1d(np.asarray(activity, float), max(1, int(round(RATE / fps))), mode="nearest")
    idx = np.clip((times * RATE).astype(int), 0, len(activity) - 1)
    return share[idx] >= 0.5


def _voiced(samples16k, n: int) -> np.ndarray:
    import librosa

    x = np.asarray(samples16k, np.float32)
    if len(x) < 2048:
        return np.zeros(n, bool)
    x8 = librosa.resample(x, orig_sr=SAMPLE_RATE, target_sr=8000, res_type="polyphase")
    _, voiced, _ = _yin_voicing(x8)
    idx = np.clip(np.arange(n) // 2, 0, len(voiced) - 1)  # YIN hop 20 ms -> 10 ms frames
    return voiced[idx]


def _yin_voicing(x8: np.ndarray):
    import librosa

    f0 = librosa.yin(x8, fmin=70.0, fmax=400.0, sr=8000, frame_length=400, hop_length=160, center=True,
                     trough_threshold=0.1)
    voiced = (f0 > 72.0) & (f0 < 395.0)
    # YIN reports some f0 everywhere: keep only stretches of steady pitch (real voicing lasts > 60 ms)
    steady = np.abs(np.diff(np.log2(np.maximum(f0, 1.0)), prepend=0.0)) < 0.1
    voiced &= steady
    voiced = _drop_bursts(voiced, 3)
    return f0, voiced, steady


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _close_gaps(active: np.ndarray, shortest: int) -> np.ndarray:
    out = active.copy()
    for a, b in _runs(~active):
        if b - a < shortest and a > 0 and b < len(active):
            out[a:b] = True
    return out


def _drop_bursts(active: np.ndarray, shortest: int) -> np.ndarray:
    out = active.copy()
    for a, b in _runs(active):
        if b - a < shortest:
            out[a:b] = False
    return out
