"""Speed and accuracy of recognition and alignment on real and exactly-timed speech (`openhuman bench`,
tests/test_asr.py, tests/test_alignment.py): evaluation code, kept out of the engine."""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..engine.speech.asr import align_text, align_words, transcribe
from ..engine.speech.audio import SAMPLE_RATE
from ..engine.speech.words import WordSpan
from .librivox import read_librivox_transcription, word_error_rate


def benchmark_asr(speech_dir=None) -> dict:
    """Speed and accuracy of recognition and alignment, as a JSON-able dict.

    On the LibriVox clips of ``speech_dir`` (default ../shared/data/speech): recognition and
    alignment time per second of audio (wall clock and this process's CPU time, which a busy
    machine disturbs less), WER per clip, and how far aligning the joined clips in 6 s segments
    lands from aligning them whole. On espeak-ng speech with exactly known word times (see
    ``synthesise_known_words``): median and 90th-percentile word boundary error.
    """
    from pathlib import Path

    from ..engine.speech.audio import load_audio

    speech_dir = Path(speech_dir) if speech_dir else Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
    out: dict = {"clips": {}}
    clock = {"recognition": [0.0, 0.0], "alignment": [0.0, 0.0]}  # wall, cpu seconds
    audio_s = 0.0
    joined, joined_words = [], []
    for name, reference in read_librivox_transcription(speech_dir / "transcription"):
        samples = load_audio(speech_dir / f"{name}.wav")
        audio_s += len(samples) / SAMPLE_RATE
        heard = _timed(clock["recognition"], transcribe, samples)
        _timed(clock["alignment"], align_text, " ".join(reference), samples)
        out["clips"][name] = {"seconds": round(len(samples) / SAMPLE_RATE, 2),
                              "wer": round(word_error_rate(reference, [s.word for s in heard]), 3)}
        joined.append(samples)
        joined_words += reference
    if audio_s:
        for task, (wall, cpu) in clock.items():
            out[f"{task}_s_per_audio_s"] = {"wall": round(wall / audio_s, 4), "cpu": round(cpu / audio_s, 4)}
        out["mean_wer"] = round(float(np.mean([c["wer"] for c in out["clips"].values()])), 3)
        samples = np.concatenate(joined)
        whole = align_words(joined_words, samples, max_segment_s=1e9).spans
        pieces = align_words(joined_words, samples, max_segment_s=6.0).spans
        out["segmented_vs_whole_max_ms"] = round(1000 * max(boundary_errors(whole, pieces)), 1)
        out["long_clip_in_parts"] = _parts_side_by_side(samples, joined_words)
    errors = []
    for seed, sentence in enumerate(BENCHMARK_SENTENCES):
        samples, truth = synthesise_known_words(sentence, seed=seed)
        errors += boundary_errors(truth, align_words([w.word for w in truth], samples).spans)
    out["alignment_boundary_error_ms"] = {"median": round(1000 * float(np.median(errors)), 1),
                                          "p90": round(1000 * float(np.percentile(errors, 90)), 1),
                                          "boundaries": len(errors)}
    return out


def _parts_side_by_side(samples: np.ndarray, words: list[str], min_seconds: float = 60.0) -> dict:
    """Recognition of the clips joined and repeated to at least a minute: one decoder against the
    clip split at pauses into parts recognised in processes side by side (wall seconds and WER)."""
    repeats = int(np.ceil(min_seconds * SAMPLE_RATE / len(samples)))
    clip, reference = np.tile(samples, repeats), words * repeats
    out = {"seconds": round(len(clip) / SAMPLE_RATE, 1)}
    for workers in (1, 2):
        start = time.perf_counter()
        heard = transcribe(clip, workers=workers)
        out[f"workers_{workers}"] = {"wall_s": round(time.perf_counter() - start, 2),
                                     "wer": round(word_error_rate(reference, [s.word for s in heard]), 3)}
    return out


def _timed(totals: list, function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    totals[0] += time.perf_counter() - wall
    totals[1] += time.process_time() - cpu
    return result


BENCHMARK_SENTENCES = (
    "the quick brown fox jumps over the lazy dog while a blorfengast watches from the hill",
    "please remember to bring seven bottles of water and a warm jacket to the mountain cabin",
    "she said that the weather tomorrow would be cold and windy along the northern coast",
)


def synthesise_known_words(sentence: str, seed: int = 0, voice: str = "en-us") -> tuple[np.ndarray, list[WordSpan]]:
    """espeak-ng speech whose word times are known exactly: each word synthesised alone, trimmed,
    and joined with pauses of 0 to 250 ms (drawn from ``seed``). Needs the espeak-ng program."""
    import io
    import shutil
    import subprocess

    import soundfile as sf

    from ..engine.speech.audio import resample

    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    rng = np.random.default_rng(seed)
    pieces, truth, cursor = [np.zeros(int(0.3 * SAMPLE_RATE), np.float32)], [], 0.3
    for word in sentence.split():
        wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "--stdout", word],
                             check=True, capture_output=True).stdout
        audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
        audio = resample(audio, rate, SAMPLE_RATE)
        loud = np.flatnonzero(np.abs(audio) > 0.01 * np.abs(audio).max())
        audio = audio[loud[0]: loud[-1] + 1]
        truth.append(WordSpan(word, cursor, cursor + len(audio) / SAMPLE_RATE))
        gap = np.zeros(int(rng.uniform(0.0, 0.25) * SAMPLE_RATE), np.float32)
        pieces += [audio, gap]
        cursor += (len(audio) + len(gap)) / SAMPLE_RATE
    pieces.append(np.zeros(int(0.3 * SAMPLE_RATE), np.float32))
    return np.concatenate(pieces), truth


def boundary_errors(truth: Sequence[WordSpan], got: Sequence[WordSpan]) -> list[float]:
    """Absolute start and end differences in seconds, word by word (same word lists)."""
    if len(truth) != len(got):
        raise ValueError(f"{len(truth)} reference words but {len(got)} aligned words")
    return [abs(x - y) for t, g in zip(truth, got) for x, y in ((t.start, g.start), (t.end, g.end))]
