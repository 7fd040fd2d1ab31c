"""What the pocketsphinx decoder sees of a clip: 10 ms frames, int16 samples with a faint noise floor,
segments cut in pauses, one decoder run per segment, and the cancel check between runs.

``cancel`` is a callable returning True to stop, or a threading.Event (``cancel.is_set()``).
"""
from __future__ import annotations

import math

import numpy as np

from .audio import SAMPLE_RATE
from ..errors import AudioError, Cancelled

FRAME_RATE = 100  # decoder frames per second
HOP = SAMPLE_RATE // FRAME_RATE
_MIN_PAUSE_FRAMES = 15  # a pause of 150 ms or more is a good place to cut


def pcm16(samples16k) -> np.ndarray:
    """Checked mono float samples in [-1, 1] as int16, what the decoder reads."""
    samples = np.asarray(samples16k)
    if samples.ndim != 1:
        raise AudioError(f"speech must be mono samples (1-D), got an array of shape {samples.shape}; mix it down first")
    if samples.size == 0:
        raise AudioError("the audio has no samples; give a clip with speech in it")
    if not np.issubdtype(samples.dtype, np.floating):
        raise AudioError(f"speech samples must be floats in [-1, 1] at 16 kHz, got {samples.dtype}; use load_audio()")
    if not np.all(np.isfinite(samples)):
        raise AudioError("the audio holds NaN or infinite samples; export the clip again")
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def frame_energy_db(samples16k) -> np.ndarray:
    """Energy of each 10 ms frame in dB (frames on the decoder's grid), computed a minute at a time."""
    samples = np.asarray(samples16k)
    n_frames = math.ceil(len(samples) / HOP)
    out = np.empty(n_frames, np.float64)
    block = 6000  # frames per block: bounded memory for any clip length
    for first in range(0, n_frames, block):
        piece = np.asarray(samples[first * HOP:(first + block) * HOP], dtype=np.float64)
        frames = -(-len(piece) // HOP)
        piece = np.pad(piece, (0, frames * HOP - len(piece)))
        out[first:first + frames] = 10.0 * np.log10(np.mean(piece.reshape(frames, HOP) ** 2, axis=1) + 1e-10)
    return out


class PauseCutter:
    """Chooses where a segment that starts at a given frame should end: in the middle of a pause.

    A frame is quiet when its energy is under a threshold 40 % of the way from the clip's noise
    floor (5th percentile) to its speech level (99th), and at least 20 dB under the latter; a pause is
    150 ms or more of quiet frames. The cut is the middle of the longest pause in the second half
    of the allowed span; where nobody pauses, the quietest frame there, and the cut is reported as
    not at a pause so that the caller decodes the word it may have split again.
    """

    def __init__(self, samples16k, max_segment_s: float):
        self.n_frames = math.ceil(len(samples16k) / HOP)
        self.max_frames = max(int(max_segment_s * FRAME_RATE), 2)
        energy = frame_energy_db(samples16k)
        self.smooth = np.convolve(energy, np.ones(5) / 5.0, mode="same") if len(energy) >= 5 else energy
        floor, loud = np.percentile(self.smooth, [5, 99])
        quiet = self.smooth < min(floor + 0.4 * (loud - floor), loud - 20.0)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
        self.pauses = [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= _MIN_PAUSE_FRAMES]
        self.speech_s = (len(quiet) - int(quiet.sum())) / FRAME_RATE
        self.speech_before = np.concatenate([[0], np.cumsum(~quiet)])  # speech frames before each frame

    def share(self, start: int, end: int, count: int) -> int:
        """How many of ``count`` words said over frames start..(the clip's end) fall before ``end``, by speech time."""
        here = self.speech_before[end] - self.speech_before[start]
        rest = self.speech_before[-1] - self.speech_before[start]
        if rest <= 0:  # no speech left: by time
            here, rest = end - start, max(self.n_frames - start, 1)
        return min(count, int(round(count * here / rest)))

    def next_cut(self, start: int, stop: int | None = None) -> tuple[int, bool]:
        """(end frame, whether it lies in a pause) of the segment starting at frame ``start`` (ending by ``stop``)."""
        stop = self.n_frames if stop is None else stop
        if stop - start <= self.max_frames:
            return stop, True
        lo, hi = start + self.max_frames // 2, start + self.max_frames
        overlaps = [(min(e, hi) - max(s, lo), (max(s, lo) + min(e, hi)) // 2) for s, e in self.pauses if e > lo and s < hi]
        length, middle = max(overlaps, default=(0, 0))
        if length >= _MIN_PAUSE_FRAMES:
            return middle, True
        return lo + int(np.argmin(self.smooth[lo:hi])), False


def split_at_pauses(cutter: PauseCutter, parts: int, min_part_s: float) -> list[tuple[int, int]]:
    """Frame ranges that split the clip into up to ``parts`` pieces at the middles of its pauses, each
    at least ``min_part_s`` long: pieces that can be recognised apart, as no word crosses a pause."""
    n, min_frames = cutter.n_frames, int(min_part_s * FRAME_RATE)
    bounds = [0]
    for k in range(1, parts):
        wanted = k * n // parts
        middles = [(a + b) // 2 for a, b in cutter.pauses if b - a >= 2 * _MIN_PAUSE_FRAMES]
        fits = [m for m in middles if m - bounds[-1] >= min_frames and n - m >= min_frames * (parts - k)]
        if fits:
            bounds.append(min(fits, key=lambda m: abs(m - wanted)))
    return list(zip(bounds, bounds[1:] + [n]))


def decode(decoder, pcm: np.ndarray, first_frame: int) -> list[tuple[str, int, int]] | None:
    """Run the active search on one segment; (word, start frame, end frame) with fillers, or None."""
    if len(pcm) < HOP:
        return None
    decoder.start_utt()
    decoder.process_raw(_dithered(pcm, first_frame * HOP).tobytes(), full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is None:
        return None
    return [(s.word, s.start_frame + first_frame, s.end_frame + first_frame) for s in decoder.seg()]


def _dithered(pcm: np.ndarray, first_sample: int) -> np.ndarray:
    """The samples plus a -80 dBFS noise floor (3 LSB) that depends only on the absolute sample position.

    Stretches of exact digital silence (padding, synthetic speech) make the silence model swallow
    whole words or the search fail; a real room's noise floor never does, and this one is far
    below any recording's own. Keyed by position (one seed per second of audio), a segment gets the
    same noise as the same samples decoded within the whole clip.
    """
    first_block, end_block = first_sample // SAMPLE_RATE, -(-(first_sample + len(pcm)) // SAMPLE_RATE)
    noise = np.concatenate([np.random.default_rng(block).normal(0.0, 3.0, SAMPLE_RATE)
                            for block in range(first_block, end_block)])
    offset = first_sample - first_block * SAMPLE_RATE
    return np.clip(pcm + np.round(noise[offset:offset + len(pcm)]), -32768, 32767).astype(np.int16)


def cancelled(cancel) -> bool:
    """Whether ``cancel`` (None, a callable or a threading.Event) asks to stop."""
    if cancel is None:
        return False
    return bool(cancel.is_set() if hasattr(cancel, "is_set") else cancel())


def check_cancel(cancel) -> None:
    """Raise Cancelled when ``cancel`` asks to stop."""
    if cancelled(cancel):
        raise Cancelled("alignment cancelled")
