"""Speech audio in: any file soundfile (or, failing that, librosa) reads, as mono 16 kHz float32.

Documented behaviour for awkward input:

- A missing, empty (0 bytes), zero-length (a header but no samples) or unreadable file, or a
  text file renamed ``.wav``, raises :class:`AudioError` naming the problem.
- NaN or infinite samples are refused with :class:`AudioError` (a damaged export; nothing sensible
  can be guessed for them) rather than silently replaced.
- Silence is valid: it loads as zeros and gives finite features (the speaker is quiet).
- Channels are averaged to mono. Samples are not normalised or clipped.
- Formats libsndfile lacks (AAC/M4A, ...) load whole through librosa's audioread fallback when
  ffmpeg is installed; the streaming reader takes libsndfile formats only (WAV, FLAC, OGG, MP3, ...).
- Whole-clip loading (:func:`load_audio`) accepts at most ``MAX_CLIP_SECONDS`` (2 hours, about
  460 MB as float32) and reads the file block by block, so peak memory is the result plus one block.
  Longer recordings go through :func:`iter_audio_blocks`, which holds one block at a time: a
  3-hour file streams in a few MB.

Resampling is scipy's polyphase filter (``resample_poly``). The streaming reader feeds it each block
with enough neighbouring samples on both sides that the blocks join into exactly the whole-clip result.
"""
from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import AudioError

from ..constants import SAMPLE_RATE  # noqa: F401  (re-exported: the speech modules read it here)
MAX_CLIP_SECONDS = 2 * 3600.0
_READ_BLOCK_SECONDS = 30.0


def load_audio(path, max_seconds: float | None = None) -> np.ndarray:
    """Read a whole clip as mono float32 at 16 kHz.

    ``max_seconds`` is the longest clip accepted (default ``MAX_CLIP_SECONDS``); a longer file raises
    :class:`AudioError` pointing to :func:`iter_audio_blocks`.
    """
    limit = MAX_CLIP_SECONDS if max_seconds is None else float(max_seconds)
    path = _checked_path(path)
    try:
        import soundfile as sf

        info = sf.info(str(path))
    except Exception as error:  # soundfile cannot open it: try librosa's other back ends
        return _load_with_librosa(path, limit, error)
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{path}: the audio file has no samples (zero length); record or export it again")
    seconds = info.frames / info.samplerate
    if seconds > limit:
        raise AudioError(
            f"{path}: the clip is {seconds / 60:.1f} min long, more than the {limit / 60:.0f} min "
            "that are loaded whole; split it, or process it in blocks with iter_audio_blocks()"
        )
    expected = math.ceil(info.frames * SAMPLE_RATE / info.samplerate)
    out = np.empty(expected, dtype=np.float32)
    filled = 0
    for block in iter_audio_blocks(path, _READ_BLOCK_SECONDS):
        if filled + len(block) > len(out):  # the header undercounted (some MP3s): grow
            if (filled + len(block)) / SAMPLE_RATE > limit:
                raise AudioError(f"{path}: the clip is longer than {limit / 60:.0f} min; use iter_audio_blocks()")
            out = np.concatenate([out[:filled], np.empty(len(block) + len(out) // 4, np.float32)])
        out[filled:filled + len(block)] = block
        filled += len(block)
    if filled == 0:
        raise AudioError(f"{path}: the audio file has no samples (zero length); record or export it again")
    return out[:filled].copy() if filled < len(out) else out


def iter_audio_blocks(path, block_seconds: float = 60.0) -> Iterator[np.ndarray]:
    """Yield the file as consecutive mono float32 16 kHz blocks of about ``block_seconds`` each.

    Memory stays bounded by one block whatever the file's length; the blocks concatenate to exactly
    what a whole-file resample would give.
    """
    import soundfile as sf

    path = _checked_path(path)
    try:
        handle = sf.SoundFile(str(path))
    except Exception as error:
        raise AudioError(_unreadable_message(path, error)) from None
    with handle:
        if handle.samplerate <= 0:
            raise AudioError(f"{path}: the file reports a sample rate of {handle.samplerate} Hz")
        resampler = _BlockResampler(handle.samplerate, SAMPLE_RATE)
        core = resampler.block_length(block_seconds)
        position = 0  # input samples read so far, to say where a bad sample is
        pending: np.ndarray | None = None
        any_samples = False
        while True:
            try:
                raw = handle.read(core, dtype="float32", always_2d=True)
            except Exception as error:
                raise AudioError(f"{path}: reading failed after {position / handle.samplerate:.1f} s: {error}") from None
            if len(raw) == 0:
                break
            mono = _to_mono(raw)
            _check_finite(mono, path, position, handle.samplerate)
            position += len(mono)
            any_samples = True
            if pending is not None:
                yield resampler.process(pending, mono[: resampler.pad])
            pending = mono
        if not any_samples:
            raise AudioError(f"{path}: the audio file has no samples (zero length); record or export it again")
        yield resampler.process(pending, np.zeros(0, np.float32), last=True)


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of a whole mono signal (the same filter the block reader uses)."""
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out:
        return samples.copy()
    from scipy.signal import resample_poly

    ratio = Fraction(rate_out, rate_in)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


class _BlockResampler:
    """Resamples a stream block by block; each block sees ``pad`` real input samples either side."""

    def __init__(self, rate_in: int, rate_out: int):
        ratio = Fraction(rate_out, rate_in)
        self.up, self.down = ratio.numerator, ratio.denominator
        # resample_poly's default filter reaches 10*max(up, down) samples at the upsampled rate, i.e.
        # about 10*max(up, down)/up input samples; blocks start on multiples of `down` so that their
        # first output sample lands on an integer output index.
        reach = math.ceil(10 * max(self.up, self.down) / self.up) + 2
        self.pad = self.down * math.ceil(max(reach, 64) / self.down)
        self.previous_tail = np.zeros(0, np.float32)

    def block_length(self, seconds: float) -> int:
        wanted = max(int(round(seconds * SAMPLE_RATE * self.down / self.up)), 1)
        return max(self.down * math.ceil(wanted / self.down), self.pad)

    def process(self, block: np.ndarray, lookahead: np.ndarray, last: bool = False) -> np.ndarray:
        if self.up == self.down == 1:
            return block.astype(np.float32, copy=True)
        from scipy.signal import resample_poly

        left = self.previous_tail
        extended = np.concatenate([left, block, lookahead])
        out = resample_poly(extended, self.up, self.down)
        start = len(left) * self.up // self.down
        if last:
            core = out[start:]
        else:
            core = out[start:start + len(block) * self.up // self.down]
        self.previous_tail = block[-self.pad:].copy()
        return core.astype(np.float32)


def _to_mono(raw: np.ndarray) -> np.ndarray:
    return raw[:, 0].copy() if raw.shape[1] == 1 else raw.mean(axis=1, dtype=np.float32)


def _check_finite(mono: np.ndarray, path, offset: int, rate: int) -> None:
    bad = ~np.isfinite(mono)
    if bad.any():
        first = (offset + int(np.argmax(bad))) / rate
        raise AudioError(
            f"{path}: the audio holds {int(bad.sum())} NaN or infinite samples (first at {first:.3f} s); "
            "the file is damaged: export it again from the source"
        )


def _checked_path(path) -> Path:
    path = Path(os.fspath(path))
    if not path.exists():
        raise AudioError(f"{path}: no such audio file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the audio file is empty (0 bytes)")
    return path


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(byte >= 32 or byte in b"\t\r\n" for byte in head)


def _unreadable_message(path: Path, error: Exception) -> str:
    if _looks_like_text(path):
        return f"{path}: this is a text file, not audio (renamed?); give a WAV, FLAC, OGG or MP3 recording"
    return f"{path}: not a readable audio file ({error}); convert it to WAV, FLAC, OGG or MP3"


def _load_with_librosa(path: Path, limit: float, sf_error: Exception) -> np.ndarray:
    if _looks_like_text(path):
        raise AudioError(_unreadable_message(path, sf_error))
    import warnings

    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa's "falling back to audioread" notices
        try:
            duration = librosa.get_duration(path=str(path))
        except Exception:
            raise AudioError(_unreadable_message(path, sf_error)) from None
        if duration > limit:
            raise AudioError(
                f"{path}: the clip is {duration / 60:.1f} min long, more than the {limit / 60:.0f} min that are "
                "loaded whole; convert it to WAV or FLAC and process it with iter_audio_blocks()"
            )
        try:
            samples, rate = librosa.load(str(path), sr=None, mono=True, dtype=np.float32)
        except Exception:
            raise AudioError(_unreadable_message(path, sf_error)) from None
    if samples.size == 0:
        raise AudioError(f"{path}: the audio file has no samples (zero length); record or export it again")
    _check_finite(samples, path, 0, rate)
    return resample(samples, int(rate), SAMPLE_RATE)


def speech_regions(
    samples16k: np.ndarray, below_peak_db: float = 20.0, floor_db: float = -50.0,
    min_gap: float = 0.15, min_length: float = 0.06,
) -> list[tuple[float, float]]:
    """Where someone is speaking, as (start, end) seconds, by frame energy (25 ms windows, 10 ms hop).

    The loud end of the clip is its 99th percentile of frame power (so a click does not set the
    scale) and the noise floor its 5th. A frame is active above a threshold 40 % of the way from
    floor to peak, but never more than ``below_peak_db`` under the peak (a clip without pauses) and
    never under ``floor_db`` dBFS. Pauses shorter than ``min_gap`` are bridged, bursts shorter than
    ``min_length`` dropped. Silence gives [].
    """
    samples = np.asarray(samples16k, dtype=np.float32)
    hop, width = 160, 400
    if len(samples) < width:
        samples = np.pad(samples, (0, width - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, width)[::hop]
    power_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-10)
    noise, peak = np.percentile(power_db, [5, 99])
    threshold = max(min(noise + 0.4 * (peak - noise), peak - below_peak_db), floor_db)
    active = power_db > threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    runs = [[start * hop, end * hop + width - hop] for start, end in zip(edges[::2], edges[1::2])]
    merged: list[list[int]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] < min_gap * SAMPLE_RATE:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    duration = len(np.asarray(samples16k)) / SAMPLE_RATE
    return [
        (start / SAMPLE_RATE, min(end / SAMPLE_RATE, duration))
        for start, end in merged
        if end - start >= min_length * SAMPLE_RATE
    ]
