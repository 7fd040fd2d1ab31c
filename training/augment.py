"""Make clean synthetic speech sound recorded: a room, a microphone, a noise floor, a gain.

Corpus speech comes out of espeak-ng digitally clean, with pauses of exact zeros; people's clips
carry a room's reverberation, a microphone's frequency response, a noise floor in every pause and
any level. `draw_room(rng)` picks one such recording chain, `apply_room` runs speech through it.
The motion of a take is made from the clean speech (the synthesiser hears it best); only the
audio features the model learns from are taken after the room.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal

from ..engine.speech.audio import SAMPLE_RATE

CLEAN_SHARE = 0.15  # takes left as they are


@dataclass(frozen=True)
class Room:
    gain_db: float
    noise_db: float | None  # noise floor, dBFS RMS
    noise_colour: str  # white, pink or brown
    hum_db: float | None  # mains hum (50 or 60 Hz and harmonics), dBFS
    hum_hz: float
    rt60_s: float  # 0: no reverberation
    wet: float  # share of reverberant sound
    highpass_hz: float
    lowpass_hz: float | None
    tilt_db: float  # spectral tilt of the microphone, dB from 100 Hz to 8 kHz

    def to_dict(self) -> dict:
        return asdict(self)


def draw_room(rng: np.random.Generator) -> Room | None:
    """A random recording chain, or None (clean) for CLEAN_SHARE of the draws."""
    if rng.random() < CLEAN_SHARE:
        return None
    reverberant = rng.random() < 0.7
    return Room(
        gain_db=float(rng.uniform(-24.0, 4.0)),
        noise_db=float(rng.uniform(-78.0, -42.0)) if rng.random() < 0.9 else None,
        noise_colour=str(rng.choice(["white", "pink", "brown"])),
        hum_db=float(rng.uniform(-75.0, -55.0)) if rng.random() < 0.2 else None,
        hum_hz=float(rng.choice([50.0, 60.0])),
        rt60_s=float(rng.uniform(0.15, 0.8)) if reverberant else 0.0,
        wet=float(rng.uniform(0.1, 0.5)) if reverberant else 0.0,
        highpass_hz=float(rng.uniform(40.0, 250.0)),
        lowpass_hz=float(rng.uniform(3400.0, 7600.0)) if rng.random() < 0.35 else None,
        tilt_db=float(rng.uniform(-8.0, 6.0)),
    )


def apply_room(samples16k: np.ndarray, room: Room | None, rng: np.random.Generator) -> np.ndarray:
    """The speech as recorded through ``room`` (None: unchanged), float32 within [-1, 1]."""
    x = np.asarray(samples16k, np.float64)
    if room is None or not len(x):
        return np.asarray(samples16k, np.float32)
    if room.rt60_s > 0:
        x = (1 - room.wet) * x + room.wet * signal.fftconvolve(x, _impulse(room.rt60_s, rng))[: len(x)]
    x = _microphone(x, room)
    x *= 10 ** (room.gain_db / 20)
    if room.noise_db is not None:
        x += _noise(len(x), room.noise_colour, rng) * 10 ** (room.noise_db / 20)
    if room.hum_db is not None:
        t = np.arange(len(x)) / SAMPLE_RATE
        hum = sum(np.sin(2 * np.pi * room.hum_hz * k * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3))
        x += hum / np.sqrt(np.mean(hum ** 2)) * 10 ** (room.hum_db / 20)
    return np.tanh(x).astype(np.float32) if np.abs(x).max() > 0.9 else x.astype(np.float32)


def _impulse(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise (60 dB in rt60 seconds), unit energy, with a short pre-delay."""
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    delay = np.zeros(int(rng.uniform(0.005, 0.03) * SAMPLE_RATE))
    ir = np.concatenate([delay, tail])
    return ir / np.sqrt(np.sum(ir ** 2))


def _microphone(x: np.ndarray, room: Room) -> np.ndarray:
    sos = signal.butter(2, room.highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos")
    x = signal.sosfilt(sos, x)
    if room.lowpass_hz is not None:
        x = signal.sosfilt(signal.butter(4, room.lowpass_hz, "lowpass", fs=SAMPLE_RATE, output="sos"), x)
    if room.tilt_db:
        spectrum = np.fft.rfft(x)
        f = np.maximum(np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE), 100.0)
        gain_db = room.tilt_db * np.log2(f / 100.0) / np.log2(8000 / 100.0)
        x = np.fft.irfft(spectrum * 10 ** (gain_db / 20), len(x))
    return x


def _noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise of a colour: white (flat), pink (1/f power) or brown (1/f²)."""
    white = rng.standard_normal(n)
    if colour == "white" or n < 2:
        return white
    spectrum = np.fft.rfft(white)
    f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
    spectrum /= np.sqrt(f) if colour == "pink" else f
    out = np.fft.irfft(spectrum, n)
    return out / max(np.sqrt(np.mean(out ** 2)), 1e-12)
