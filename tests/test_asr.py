"""Offline recognition with the pocketsphinx wheel on the public-domain LibriVox clips."""
import json
import shutil
import threading

import numpy as np
import pytest

from openhuman.engine.speech import asr
from openhuman.training import bench_speech
from openhuman.engine.speech.audio import load_audio
from openhuman.engine.errors import AudioError
from openhuman.engine.speech.g2p import load_lexicon
from openhuman.training.librivox import read_librivox_transcription, word_error_rate


@pytest.fixture(scope="module")
def librivox(speech_dir):
    rows = read_librivox_transcription(speech_dir / "transcription")
    return [(name, words, load_audio(speech_dir / f"{name}.wav")) for name, words in rows]


@pytest.fixture(scope="module")
def joined(librivox):
    """The five clips one after another (25 s), with their words."""
    return np.concatenate([a for _, _, a in librivox]), [w for _, words, _ in librivox for w in words]


def test_recognition_word_error_rate_on_librivox(librivox, record_property):
    lexicon = load_lexicon()
    rates = {}
    for name, reference, samples in librivox:
        heard = asr.transcribe(samples)
        duration = len(samples) / asr.SAMPLE_RATE
        assert all(0 <= s.start <= s.end <= duration + 0.01 for s in heard)
        assert all(a.end <= b.start + 1e-9 for a, b in zip(heard, heard[1:])), "words overlap or go backwards"
        assert all(s.word in lexicon for s in heard), "recognised words are plain dictionary words"
        rates[name] = word_error_rate(reference, [s.word for s in heard])
    record_property("wer", json.dumps(rates))
    print("WER per clip:", rates)
    assert np.mean(list(rates.values())) < 0.40
    assert max(rates.values()) < 0.55


def test_word_error_rate_counts_edits():
    ref = "he was not an ill disposed young man".split()
    assert word_error_rate(ref, ref) == 0
    assert word_error_rate(ref, ref[:-1]) == pytest.approx(1 / 8)  # deletion
    assert word_error_rate(ref, ref + ["indeed"]) == pytest.approx(1 / 8)  # insertion
    assert word_error_rate(ref, ["she"] + ref[1:]) == pytest.approx(1 / 8)  # substitution
    assert word_error_rate(ref, []) == 1


def test_segmented_transcription_reports_progress_and_matches_reference(joined):
    samples, reference = joined
    calls = []
    heard = asr.transcribe(samples, progress=lambda done, total: calls.append((done, total)), max_segment_s=8.0)
    total = len(samples) / asr.SAMPLE_RATE
    assert len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (pytest.approx(total), pytest.approx(total))
    assert word_error_rate(reference, [s.word for s in heard]) < 0.45
    assert all(a.end <= b.start + 1e-9 for a, b in zip(heard, heard[1:]))


def test_cancel_flag_stops_recognition_between_segments(joined):
    samples, _ = joined
    with pytest.raises(asr.Cancelled):
        asr.transcribe(samples, cancel=lambda: True)
    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        stop.set()  # the user presses ESC after the first segment

    with pytest.raises(asr.Cancelled):
        asr.transcribe(samples, progress=progress, cancel=stop, max_segment_s=6.0)
    assert len(seen) == 1


def test_transcription_runs_off_the_main_thread(librivox):
    _, _, samples = librivox[1]
    result = {}
    worker = threading.Thread(target=lambda: result.update(spans=asr.transcribe(samples)))
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert result["spans"] == asr.transcribe(samples), "the same clip gives the same words and times"


@pytest.mark.parametrize("bad, problem", [
    (np.zeros((2, 16000), np.float32), "mono"),
    (np.zeros(0, np.float32), "no samples"),
    (np.array([0.0, np.nan, 0.1], np.float32), "NaN"),
    (np.zeros(16000, np.int16), "floats"),
])
def test_unusable_audio_is_refused_with_a_clear_error(bad, problem):
    with pytest.raises(AudioError, match=problem):
        asr.transcribe(bad)
    with pytest.raises(AudioError, match=problem):
        asr.align_text("hello world", bad)


@pytest.mark.slow
def test_benchmark_reports_json_numbers(speech_dir):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    numbers = bench_speech.benchmark_asr(speech_dir)
    json.dumps(numbers)
    assert numbers["recognition_s_per_audio_s"]["cpu"] > numbers["alignment_s_per_audio_s"]["cpu"] > 0
    assert numbers["segmented_vs_whole_max_ms"] <= 50
    parts = numbers["long_clip_in_parts"]
    assert parts["seconds"] >= 60 and parts["workers_2"]["wer"] <= parts["workers_1"]["wer"] + 0.05
    assert numbers["alignment_boundary_error_ms"]["median"] <= 80


def test_a_long_clip_is_recognised_in_parts_side_by_side(joined):
    from openhuman.engine.speech.decoding import PauseCutter, split_at_pauses

    samples, reference = joined
    long = np.concatenate([samples, samples])  # 50 s: two parts of at least 15 s, split in a pause
    parts = split_at_pauses(PauseCutter(long, asr.TRANSCRIBE_SEGMENT_S), 2, asr.TRANSCRIBE_SEGMENT_S)
    assert len(parts) == 2 and parts[0][0] == 0 and parts[0][1] == parts[1][0]
    assert parts[1][1] == PauseCutter(long, asr.TRANSCRIBE_SEGMENT_S).n_frames
    calls = []
    apart = asr.transcribe(long, progress=lambda done, total: calls.append(done), workers=2)
    alone = asr.transcribe(long, workers=1)
    assert calls == sorted(calls) and calls[-1] == pytest.approx(len(long) / asr.SAMPLE_RATE, abs=0.02)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(apart, apart[1:])), "the parts' words join in order"
    twice = reference + reference
    assert word_error_rate(twice, [s.word for s in apart]) <= word_error_rate(twice, [s.word for s in alone]) + 0.03


def test_a_part_that_fails_in_its_process_is_a_clear_error(joined):
    from openhuman.engine.errors import OpenHumanError
    from openhuman.engine.speech.decoding import pcm16
    from openhuman.engine.speech.recognition_processes import recognise_parts

    samples, _ = joined
    with pytest.raises(OpenHumanError, match="recognising part 1 of the clip failed: AttributeError"):
        recognise_parts(pcm16(samples), None, [(0, 100)], None, None)  # no cutter: the child cannot cut


def test_a_script_without_a_main_guard_runs_once(tmp_path, joined):
    """The children are fresh interpreters: the caller's script is not run again in them."""
    import subprocess
    import sys

    import soundfile

    samples, _ = joined
    soundfile.write(tmp_path / "long.wav", np.concatenate([samples, samples]), asr.SAMPLE_RATE)
    script = tmp_path / "script.py"
    script.write_text("from openhuman.engine.speech import asr\nfrom openhuman.engine.speech.audio import load_audio\n"
                      f"print('ran', len(asr.transcribe(load_audio({str(tmp_path / 'long.wav')!r}), workers=2)) > 0)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ran", "True"]
