"""Per-frame audio features at the model's 20 fps, computed from 16 kHz mono samples.

Alignment: frame k describes the audio centred on k/20 s (sample 800·k). A clip of n samples has
``n_frames(n) = ceil(n / 800)`` frames, the frame centres in [0, duration); for a whole number of
frames' worth of audio (N seconds with N·20 an integer) that is exactly round(N·20).

How a frame is built: an analysis at 100 fps (hop 160, centred 512-sample Hann windows for the
spectrum, 907-sample windows for pitch) is pooled over the five analysis frames centred on the
20 fps frame centre (±20 ms). Audio outside the clip counts as zeros. Parts, in order:

- ``log_mel`` (64): 10·log10 of the pooled mel power (20–8000 Hz, Slaney mel), floor −80 dB.
- ``mfcc`` (13): orthonormal DCT-II of ``log_mel``.
- ``rms_db`` (1): pooled signal power in dB re full scale, floor −80 dB.
- ``onset`` (1): the largest spectral flux (mean positive rise of the 100 fps log-mel) in the
  frame's five analysis frames; a click at t shows in the frame nearest t.
- ``log_f0`` (1): log2(F0 / 150 Hz) averaged over the voiced analysis frames, 0 where none is
  voiced. F0 by YIN (60–500 Hz) written in numpy, vectorised over frames.
- ``voicing`` (1): mean periodicity (1 − YIN's normalised difference) of the five analysis frames,
  0 in silence, in [0, 1].

Version 1 stops there: absolute levels (dBFS), so a frame depends only on the audio within ±60 ms
of its centre and long audio streams in chunks (:func:`compute_audio_features_streaming` takes
blocks from :func:`..audio.iter_audio_blocks`) with the same result as one pass.

Version 2 (the default) makes the levels relative to the clip itself (:func:`relative_levels`),
because absolute levels tie a model to its training recordings: synthetic speech pauses in
digital silence (−80 dB) at one gain, people pause in a room's noise (−70 to −40 dB) at any gain
and through any microphone. Per mel band, the clip's speech level is the 95th percentile of that
band and its noise floor the 10th; a band's value is its level in dB above (speech level − 30 dB)
where it clears a gate at max(speech level − 30 dB, noise floor + 6 dB), and 0 below the gate. So
pauses read 0 whatever the room, the gain or the microphone's tilt, and speech reads 0–40 dB,
the same values in a quiet or a noisy room. ``mfcc`` is the DCT of those gated
bands, ``rms_db`` is gated alike, ``onset`` is divided by its 95th percentile over the clip's
speech and zeroed with pitch and voicing where the gated level is zero. Silence gives zeros.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Iterable, Iterator

import numpy as np

from ..constants import MODEL_FPS
from ..speech.audio import SAMPLE_RATE
from ..errors import AudioError, ModelFileError

FPS = MODEL_FPS
HOP = SAMPLE_RATE // FPS  # 800 samples per model frame
SUB_HOP = 160  # analysis frames at 100 fps
SUBS = HOP // SUB_HOP  # analysis frames pooled into one model frame
N_FFT = 512
N_MELS = 64
FMIN, FMAX = 20.0, 8000.0
N_MFCC = 13
POWER_FLOOR = 1e-8  # -80 dB: keeps silence finite
F0_MIN, F0_MAX, F0_REF = 60.0, 500.0, 150.0
YIN_INTEGRATION = 640  # samples summed per lag (40 ms)
YIN_THRESHOLD = 0.2  # normalised difference below which a frame counts as voiced
VOICING_MIN_POWER = 1e-6  # -60 dB: quieter frames are unvoiced whatever their periodicity
_TAU_MIN = int(SAMPLE_RATE // F0_MAX)
_TAU_MAX = int(math.ceil(SAMPLE_RATE / F0_MIN))
_YIN_LENGTH = YIN_INTEGRATION + _TAU_MAX
_YIN_FFT = 1 << (_YIN_LENGTH - 1).bit_length()
_HALF_WINDOW = max(N_FFT, _YIN_LENGTH) // 2 + 1
# Samples a model frame reads either side of its centre (pooling, the flux's look-back, the window).
REACH = (SUBS // 2 + 1) * SUB_HOP + _HALF_WINDOW
_CHUNK_FRAMES = 100  # 5 s per pass: about 25 MB of working arrays, and faster than longer passes (cache)

PARTS = (("log_mel", N_MELS), ("mfcc", N_MFCC), ("rms_db", 1), ("onset", 1), ("log_f0", 1), ("voicing", 1))
BASE_DIMS = sum(dims for _, dims in PARTS)
SPEC_NAME = "openhuman-audio"
SPEC_VERSION = 2  # 2: levels relative to the clip (relative_levels); 1: absolute dBFS
SPEC_VERSIONS = (1, 2)
SPEECH_PERCENTILE, FLOOR_PERCENTILE = 95.0, 10.0
GATE_RANGE_DB = 30.0  # a band quieter than the clip's speech level by more than this reads as silence
NOISE_MARGIN_DB = 6.0  # and so does one within this of the clip's noise floor
ONSET_CAP = 4.0
WAVLM_PART = "wavlm"
WAVLM_INSTALL_HINT = (
    "give the folder of a WavLM model saved on this machine (openhuman generate --wavlm DIR; in Blender: "
    "Preferences > Add-ons > OpenHuman > WavLM folder; it is never downloaded), with transformers installed "
    "(pip install 'openhuman[wavlm]' or 'transformers>=4.40,<5')"
)


def audio_feature_spec(wavlm_dims: int = 0, version: int = SPEC_VERSION) -> dict:
    """The feature spec a model file records; ``wavlm_dims`` > 0 adds a WavLM part after the rest."""
    parts = [[name, dims] for name, dims in PARTS]
    if wavlm_dims:
        parts.append([WAVLM_PART, int(wavlm_dims)])
    params = {
        "n_fft": N_FFT, "sub_hop": SUB_HOP, "n_mels": N_MELS, "fmin": FMIN, "fmax": FMAX,
        "power_floor_db": -80.0, "f0_min": F0_MIN, "f0_max": F0_MAX, "f0_ref": F0_REF,
        "yin_threshold": YIN_THRESHOLD,
    }
    if version >= 2:
        params["relative"] = {"speech_percentile": SPEECH_PERCENTILE, "floor_percentile": FLOOR_PERCENTILE,
                              "gate_range_db": GATE_RANGE_DB, "noise_margin_db": NOISE_MARGIN_DB,
                              "onset_cap": ONSET_CAP}
    return {
        "name": SPEC_NAME,
        "version": int(version),
        "dims": sum(dims for _, dims in parts),
        "fps": FPS,
        "sample_rate": SAMPLE_RATE,
        "parts": parts,
        "params": params,
    }


def check_audio_feature_spec(spec: dict, wavlm_dir=None) -> None:
    """Raise ModelFileError unless this build can compute the audio features ``spec`` describes."""
    if not isinstance(spec, dict) or not {"name", "version", "parts", "dims"} <= spec.keys():
        raise ModelFileError("the model file's audio feature spec is missing or damaged; get the model file again")
    if spec["name"] != SPEC_NAME:
        raise ModelFileError(f"the model uses audio features {spec['name']!r}, which this build cannot compute")
    if not isinstance(spec["version"], int) or spec["version"] not in SPEC_VERSIONS:
        raise ModelFileError(
            f"the model needs audio features version {spec['version']}; this build computes versions "
            f"{', '.join(map(str, SPEC_VERSIONS))}; update OpenHuman"
        )
    parts = [list(part) for part in spec["parts"]]
    wavlm = [dims for name, dims in parts if name == WAVLM_PART]
    ours = audio_feature_spec(wavlm[0] if wavlm else 0, spec["version"])
    for key in ("version", "fps", "sample_rate", "parts", "params", "dims"):
        if key in spec and _jsonable(spec[key]) != _jsonable(ours[key]):
            raise ModelFileError(
                f"the model's audio features differ from this build's in {key!r} "
                f"({spec[key]!r} vs {ours[key]!r}); this build cannot compute them"
            )
    if wavlm:
        if wavlm_dir is None:
            raise ModelFileError(f"this model needs WavLM audio features: {WAVLM_INSTALL_HINT}")
        _load_wavlm(str(wavlm_dir))  # raises a clear error when transformers or the model is missing


def n_frames(n_samples: int) -> int:
    """Model frames for a clip of ``n_samples`` (frame centres in [0, duration))."""
    return -(-int(n_samples) // HOP)


def compute_audio_features(samples16k: np.ndarray, version: int = SPEC_VERSION, threads: int = 1) -> np.ndarray:
    """Features (n_frames, BASE_DIMS) float32 of a whole 16 kHz mono clip, computed in bounded chunks.

    ``threads`` > 1 computes the chunks on that many threads (numpy and scipy's FFT let go of the GIL):
    the same features, 1.5–2 times as fast on two cores (66 s: 0.39–0.48 s against 0.21–0.26 s)."""
    if version not in SPEC_VERSIONS:
        raise ModelFileError(f"audio features version {version} is not one this build computes {SPEC_VERSIONS}")
    samples = _as_mono_float(samples16k)
    total = n_frames(len(samples))
    starts = range(0, total, _CHUNK_FRAMES)
    chunk = lambda k0: _frames(samples, 0, len(samples), k0, min(k0 + _CHUNK_FRAMES, total))  # noqa: E731
    if threads > 1 and len(starts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(threads, len(starts)), thread_name_prefix="openhuman-features") as pool:
            chunks = list(pool.map(chunk, starts))
    else:
        chunks = [chunk(k0) for k0 in starts]
    base = np.concatenate(chunks) if chunks else np.zeros((0, BASE_DIMS), np.float32)
    return relative_levels(base) if version >= 2 else base


def relative_levels(absolute: np.ndarray) -> np.ndarray:
    """Version-2 features of a whole clip from its version-1 (absolute) features (see the module notes)."""
    feats = np.array(absolute, dtype=np.float64)
    if not len(feats):
        return feats.astype(np.float32)
    mel, rms = _part(feats, "log_mel"), _part(feats, "rms_db")
    gated_mel = _gated(mel)
    gated_rms = _gated(rms)
    speaking = gated_rms[:, 0] > 0
    onset = _part(feats, "onset")[:, 0]
    scale = np.percentile(onset[speaking], SPEECH_PERCENTILE) if speaking.sum() >= 3 else 0.0
    onset = np.clip(onset / scale, 0, ONSET_CAP) * speaking if scale > 1e-9 else np.zeros_like(onset)
    out = np.concatenate([gated_mel, gated_mel @ _dct_basis().T, gated_rms, onset[:, None],
                          (_part(feats, "log_f0")[:, 0] * speaking)[:, None],
                          (_part(feats, "voicing")[:, 0] * speaking)[:, None]], axis=1)
    return out.astype(np.float32)


def _gated(levels: np.ndarray) -> np.ndarray:
    """Per column: dB above (speech level − GATE_RANGE_DB) where the level clears the gate
    max(speech level − GATE_RANGE_DB, noise floor + NOISE_MARGIN_DB), else 0."""
    speech = np.percentile(levels, SPEECH_PERCENTILE, axis=0)
    floor = np.percentile(levels, FLOOR_PERCENTILE, axis=0)
    gate = np.maximum(speech - GATE_RANGE_DB, floor + NOISE_MARGIN_DB)
    # measured from the speech level, not the gate, so a noisier room does not shift the speech
    return np.where(levels > gate, levels - (speech - GATE_RANGE_DB), 0.0)


def part_columns(spec: dict, name: str) -> slice:
    """The columns of a part of the features a spec describes (KeyError-free: a clear error)."""
    start = 0
    for part, dims in spec["parts"]:
        if part == name:
            return slice(start, start + int(dims))
        start += int(dims)
    raise ModelFileError(f"the model's audio features have no part {name!r}")


def _part(feats: np.ndarray, name: str) -> np.ndarray:
    start = 0
    for part, dims in PARTS:
        if part == name:
            return feats[:, start:start + dims]
        start += dims
    raise KeyError(name)


def compute_audio_features_streaming(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Yield version-1 (absolute) feature rows for a stream of 16 kHz blocks (any sizes); they concatenate
    to the whole-clip result of version 1 (:func:`relative_levels` of the whole turns them into version 2).

    Memory holds one block plus about 0.1 s of context, so hours of audio stream through.
    """
    buffer = np.zeros(0, np.float32)
    start = 0  # absolute sample index of buffer[0]
    seen = 0
    next_frame = 0
    for block in blocks:
        block = _as_mono_float(block)
        buffer = np.concatenate([buffer, block])
        seen += len(block)
        ready = min((seen - REACH) // HOP + 1, n_frames(seen))  # right context fully seen
        if ready - next_frame >= _CHUNK_FRAMES // 4:
            for k0 in range(next_frame, ready, _CHUNK_FRAMES):
                yield _frames(buffer, start, None, k0, min(k0 + _CHUNK_FRAMES, ready))
            next_frame = ready
            keep_from = max(next_frame * HOP - REACH, start)
            buffer = buffer[keep_from - start:]
            start = keep_from
    total = n_frames(seen)
    for k0 in range(next_frame, total, _CHUNK_FRAMES):
        yield _frames(buffer, start, seen, k0, min(k0 + _CHUNK_FRAMES, total))


def wavlm_features(samples16k: np.ndarray, model_dir, n_out: int | None = None) -> np.ndarray:
    """WavLM last-layer features resampled to 20 fps, (n_frames, hidden) float32, from a LOCAL model directory.

    ``transformers`` is optional and imported only here; nothing is ever downloaded.
    """
    import torch

    samples = _as_mono_float(samples16k)
    extractor, model = _load_wavlm(str(model_dir))
    total = n_frames(len(samples)) if n_out is None else int(n_out)
    pieces = []
    piece = 20 * SAMPLE_RATE  # 20 s passes keep attention memory modest
    for begin in range(0, max(len(samples), 1), piece):
        inputs = extractor(samples[begin:begin + piece], sampling_rate=SAMPLE_RATE, return_tensors="pt")
        with torch.no_grad():
            pieces.append(model(**inputs).last_hidden_state[0].float().numpy())
    hidden = np.concatenate(pieces)
    # WavLM frames are 20 ms apart, centred near (j + 0.5)·20 ms; interpolate at k/20 s.
    times = (np.arange(len(hidden)) + 0.5) * 0.02
    wanted = np.arange(total) / FPS
    return np.stack([np.interp(wanted, times, hidden[:, d]) for d in range(hidden.shape[1])], 1).astype(np.float32)


def wavlm_dims(model_dir) -> int:
    """The width of a local WavLM model's features (its hidden size), for the spec of a dataset built with it."""
    _extractor, model = _load_wavlm(str(model_dir))
    return int(model.config.hidden_size)


def compute_audio_features_for_spec(samples16k: np.ndarray, spec: dict, wavlm_dir=None, threads: int = 1) -> np.ndarray:
    """The features a model recorded in ``spec`` (base parts, plus WavLM if it has that part); ``threads``
    as in compute_audio_features."""
    check_audio_feature_spec(spec, wavlm_dir)
    base = compute_audio_features(samples16k, spec["version"], threads)
    if any(name == WAVLM_PART for name, _ in spec["parts"]):
        return np.concatenate([base, wavlm_features(samples16k, wavlm_dir, len(base))], axis=1)
    return base


@lru_cache(maxsize=4)
def _load_wavlm(model_dir: str):
    from pathlib import Path

    if not Path(model_dir).is_dir():
        raise ModelFileError(f"{model_dir}: no WavLM model directory there; {WAVLM_INSTALL_HINT}")
    try:
        import transformers
    except ImportError:
        raise ModelFileError(f"WavLM features need the 'transformers' package, which is not installed: {WAVLM_INSTALL_HINT}") from None
    try:
        extractor = transformers.AutoFeatureExtractor.from_pretrained(model_dir, local_files_only=True)
        model = transformers.AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    except Exception as error:
        raise ModelFileError(f"{model_dir}: could not load a WavLM model from this directory ({error})") from None
    return extractor, model


def _frames(samples: np.ndarray, start: int, end: int | None, k0: int, k1: int) -> np.ndarray:
    """Model frames k0..k1-1 from ``samples`` holding absolute samples start.. (zeros outside [0, end))."""
    first_sub, last_sub = SUBS * k0 - SUBS // 2 - 1, SUBS * (k1 - 1) + SUBS // 2  # -1: flux looks back
    lo = first_sub * SUB_HOP - _HALF_WINDOW
    hi = last_sub * SUB_HOP + _HALF_WINDOW
    window = _absolute_slice(samples, start, end, lo, hi)
    centres = np.arange(first_sub, last_sub + 1) * SUB_HOP - lo
    spec_frames = _frame_at(window, centres, N_FFT)
    power = spec_frames.astype(np.float64) ** 2
    mean_power = power.mean(axis=1)
    from scipy import fft

    spectrum = np.abs(fft.rfft(spec_frames * _hann(N_FFT), axis=1)) ** 2
    mel = spectrum.astype(np.float64) @ _mel_basis().T
    log_mel_sub = 10 * np.log10(mel + POWER_FLOOR)
    flux = np.maximum(np.diff(log_mel_sub, axis=0), 0).mean(axis=1)  # flux[j] for sub-frame j+1
    f0, aperiodicity = _yin(_frame_at(window, centres, _YIN_LENGTH))
    periodic = np.clip(1 - aperiodicity, 0, 1) * (mean_power > VOICING_MIN_POWER)
    voiced = (aperiodicity < YIN_THRESHOLD) & (mean_power > VOICING_MIN_POWER)

    def pooled(values):  # (subs...) -> (k1-k0, SUBS, ...), dropping the look-back frame
        return values[1:].reshape(k1 - k0, SUBS, *values.shape[1:])

    log_mel = 10 * np.log10(pooled(mel).mean(axis=1) + POWER_FLOOR)
    mfcc = _dct_basis() @ log_mel.T
    rms_db = 10 * np.log10(pooled(mean_power).mean(axis=1) + POWER_FLOOR)
    onset = flux.reshape(k1 - k0, SUBS).max(axis=1)
    voiced_pool = pooled(voiced)
    log_ratio = np.where(voiced, np.log2(np.maximum(f0, 1.0) / F0_REF), 0.0)
    count = voiced_pool.sum(axis=1)
    log_f0 = np.where(count > 0, pooled(log_ratio).sum(axis=1) / np.maximum(count, 1), 0.0)
    voicing = pooled(periodic).mean(axis=1)
    out = np.concatenate(
        [log_mel, mfcc.T, rms_db[:, None], onset[:, None], log_f0[:, None], voicing[:, None]], axis=1
    )
    return out.astype(np.float32)


def _yin(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN over rows of ``frames`` (n, _YIN_LENGTH): F0 in Hz and the normalised difference at its lag."""
    from scipy import fft

    x = frames.astype(np.float64)
    single = frames.astype(np.float32)  # float32 FFTs halve the cost; lags need no more precision
    spectrum = fft.rfft(single, _YIN_FFT, axis=1)
    spectrum *= np.conj(fft.rfft(single[:, :YIN_INTEGRATION], _YIN_FFT, axis=1))
    cross = fft.irfft(spectrum, _YIN_FFT, axis=1)[:, : _TAU_MAX + 1].astype(np.float64)
    energy = np.concatenate([np.zeros((len(x), 1)), np.cumsum(x * x, axis=1)], axis=1)
    taus = np.arange(_TAU_MAX + 1)
    lagged = energy[:, taus + YIN_INTEGRATION] - energy[:, taus]
    diff = np.maximum(energy[:, [YIN_INTEGRATION]] + lagged - 2 * cross, 0)
    running = np.cumsum(diff[:, 1:], axis=1)
    norm = np.ones_like(diff)
    safe = running > 1e-12 * (1 + energy[:, [-1]])
    norm[:, 1:] = np.where(safe, diff[:, 1:] * taus[1:] / np.where(safe, running, 1), 1.0)
    search = norm[:, _TAU_MIN:_TAU_MAX + 1]
    inner = search[:, 1:-1]
    local_min = np.zeros_like(search, dtype=bool)
    local_min[:, 1:-1] = (inner < search[:, :-2]) & (inner <= search[:, 2:])
    candidates = local_min & (search < YIN_THRESHOLD)
    has = candidates.any(axis=1)
    index = np.where(has, candidates.argmax(axis=1), search.argmin(axis=1))
    rows = np.arange(len(x))
    best = search[rows, index]
    # Parabolic interpolation between neighbouring lags for sub-sample precision.
    left = search[rows, np.maximum(index - 1, 0)]
    right = search[rows, np.minimum(index + 1, search.shape[1] - 1)]
    curvature = left - 2 * best + right
    shift = np.where(curvature > 1e-12, 0.5 * (left - right) / np.where(curvature > 1e-12, curvature, 1), 0.0)
    tau = _TAU_MIN + index + np.clip(shift, -0.5, 0.5)
    return SAMPLE_RATE / tau, best


def _frame_at(signal: np.ndarray, centres: np.ndarray, length: int) -> np.ndarray:
    starts = centres - length // 2
    view = np.lib.stride_tricks.sliding_window_view(signal, length)
    return view[starts]


def _absolute_slice(samples: np.ndarray, start: int, end: int | None, lo: int, hi: int) -> np.ndarray:
    """Absolute samples lo..hi-1 taken from ``samples`` (which begins at ``start``), zero outside the clip."""
    out = np.zeros(hi - lo, np.float32)
    stop = start + len(samples) if end is None else min(end, start + len(samples))
    a, b = max(lo, start, 0), min(hi, stop)
    if b > a:
        out[a - lo:b - lo] = samples[a - start:b - start]
    return out


def _as_mono_float(samples) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise AudioError(f"audio samples must be one mono channel, got an array of shape {samples.shape}")
    if not np.isfinite(samples).all():
        raise AudioError("audio samples contain NaN or infinite values; load audio with engine.audio.load_audio")
    return samples


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear (200/3 Hz a mel) up to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, np.float64)
    linear = hz / (200.0 / 3)
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27), linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27) * (mel - 15.0)), mel * (200.0 / 3))


@lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    """Triangular mel filters (N_MELS, N_FFT/2+1) of equal area (Slaney's normalisation), as librosa's
    filters.mel makes them by default (tests/test_audio.py compares): written here because
    importing librosa costs a second of every generation's start."""
    fft_hz = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    weights = np.zeros((N_MELS, len(fft_hz)), np.float32)
    for i in range(N_MELS):
        weights[i] = np.maximum(0.0, np.minimum(-ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]))
    weights *= (2.0 / (edges[2:] - edges[:N_MELS]))[:, None]
    return weights.astype(np.float64)


@lru_cache(maxsize=1)
def _dct_basis() -> np.ndarray:
    from scipy.fft import dct

    return dct(np.eye(N_MELS), type=2, norm="ortho", axis=0)[:N_MFCC]


@lru_cache(maxsize=2)
def _hann(length: int) -> np.ndarray:
    return np.hanning(length + 1)[:-1].astype(np.float32)  # periodic Hann, as in STFT practice


def _jsonable(value):
    return json.loads(json.dumps(value))

