"""Forced alignment of known text: word boundaries against speech whose word times are known exactly."""
import random
import shutil
import threading

import numpy as np
import pytest

from openhuman.cli.main import main
from openhuman.engine.speech import asr, g2p
from openhuman.training import bench_speech
from openhuman.engine.speech.audio import load_audio
from openhuman.engine.errors import TranscriptError
from openhuman.engine.speech.transcript import load_transcript
from openhuman.engine.speech.transcript_writers import save_word_spans
from openhuman.engine.speech.words import WordSpan
from openhuman.engine.speech.words_from_speech import words_for_clip
from openhuman.training.librivox import read_librivox_transcription, word_error_rate

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
MADE_UP = "yesterday the blorfengast met a zintaquorble near the old bridge"


@pytest.fixture(scope="module")
def librivox(speech_dir):
    rows = read_librivox_transcription(speech_dir / "transcription")
    return [(name, words, load_audio(speech_dir / f"{name}.wav")) for name, words in rows]


@pytest.fixture(scope="module")
def short_clip(librivox, speech_dir):
    name, words, samples = librivox[1]  # "he was not an ill disposed young man", 3 s
    return speech_dir / f"{name}.wav", words, samples


@needs_espeak
def test_boundaries_match_espeak_words_with_known_times(record_property):
    errors = []
    for seed, sentence in enumerate(bench_speech.BENCHMARK_SENTENCES + (MADE_UP,)):
        samples, truth = bench_speech.synthesise_known_words(sentence, seed=seed)
        aligned = asr.align_words([w.word for w in truth], samples)
        assert [s.word for s in aligned.spans] == [w.word for w in truth]
        errors += bench_speech.boundary_errors(truth, aligned.spans)
    median, p90 = float(np.median(errors)), float(np.percentile(errors, 90))
    record_property("boundary_error_ms", f"median {1000 * median:.0f}, p90 {1000 * p90:.0f}")
    print(f"boundary error: median {1000 * median:.0f} ms, 90th percentile {1000 * p90:.0f} ms over {len(errors)}")
    assert median <= 0.080
    assert p90 <= 0.200


@needs_espeak
def test_made_up_words_get_generated_pronunciations_and_true_spans():
    samples, truth = bench_speech.synthesise_known_words(MADE_UP, seed=4)
    aligned = asr.align_words([w.word for w in truth], samples)
    made_up = {"blorfengast", "zintaquorble"}
    for word, got, how in zip(truth, aligned.spans, aligned.how):
        assert how == ("g2p" if word.word in made_up else "dictionary")
        if word.word in made_up:
            assert abs(got.start - word.start) < 0.15 and abs(got.end - word.end) < 0.15


def test_word_without_pronunciation_is_placed_between_its_neighbours(short_clip):
    _, words, samples = short_clip
    text = words[:6] + ["東京"] + words[6:]  # "... young 東京 man"
    aligned = asr.align_words(text, samples)
    assert [s.word for s in aligned.spans] == text, "no word is dropped"
    assert aligned.how[6] == "spread" and aligned.count("spread") == 1
    young, placed, man = aligned.spans[5:8]
    assert young.end <= placed.start < placed.end <= man.start
    assert all(a.end <= b.start + 1e-9 for a, b in zip(aligned.spans, aligned.spans[1:]))


@pytest.mark.parametrize("max_segment_s", [5.0, 8.0])
def test_segmented_alignment_equals_whole_clip_alignment(librivox, max_segment_s):
    samples = np.concatenate([a for _, _, a in librivox])
    words = [w for _, ws, _ in librivox for w in ws]
    whole = asr.align_words(words, samples, max_segment_s=1e9)
    pieces = asr.align_words(words, samples, max_segment_s=max_segment_s)
    assert len(whole.segments) == 1 and len(pieces.segments) >= 3
    assert all(b - a <= max_segment_s + 1e-6 for a, b in pieces.segments), "memory stays bounded by the segment length"
    worst = max(max(abs(a.start - b.start), abs(a.end - b.end)) for a, b in zip(whole.spans, pieces.spans))
    assert worst <= 0.050
    assert whole.count("fallback") == pieces.count("fallback") == 0


def test_alignment_reports_progress_and_can_be_cancelled(librivox):
    samples = np.concatenate([a for _, _, a in librivox])
    text = " ".join(w for _, ws, _ in librivox for w in ws)
    calls = []
    spans = asr.align_text(text, samples, progress=lambda d, t: calls.append(d), max_segment_s=6.0)
    assert len(spans) == len(text.split()) and len(calls) >= 4
    assert calls == sorted(calls) and calls[-1] <= len(samples) / asr.SAMPLE_RATE
    stop = threading.Event()
    with pytest.raises(asr.Cancelled):
        asr.align_text(text, samples, progress=lambda d, t: stop.set(), cancel=stop, max_segment_s=6.0)


def test_text_over_silence_still_gives_every_word_a_span():
    silence = np.zeros(2 * asr.SAMPLE_RATE, np.float32)
    spans = asr.align_text("hello there world", silence)
    assert [s.word for s in spans] == ["hello", "there", "world"]
    assert all(0 <= s.start <= s.end <= 2.0 for s in spans)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(spans, spans[1:]))


# ---------------------------------------------------------------- pronunciations

def test_pronunciations_use_the_recogniser_phone_set():
    lexicon = g2p.load_lexicon()
    assert g2p.pronounce("Dashwood,") == list(lexicon["dashwood"])
    assert g2p.pronounce("42") == list(lexicon["forty"] + lexicon["two"])
    assert g2p.number_words("1999") == ["nineteen", "ninety", "nine"]
    assert g2p.pronounce("BBC") == ["B", "IY", "B", "IY", "S", "IY"]
    for word in ("blorfengast", "zintaquorble", "Glarbified", "café", "mp3", "x"):
        phones = g2p.pronounce(word)
        assert phones and set(phones) <= g2p.PHONES, word
    assert g2p.pronounce("東京") is None and g2p.pronounce("—") is None


def test_letter_to_sound_rules_on_dictionary_words(record_property):
    lexicon = g2p.load_lexicon()
    rng = random.Random(0)
    words = rng.sample(sorted(w for w in lexicon if w.isalpha() and len(w) >= 4), 1500)
    edits = total = 0
    for word in words:
        guess, truth = g2p.letter_to_sound(word), list(lexicon[word])
        assert set(guess) <= g2p.PHONES
        edits += _edit_distance(guess, truth)
        total += len(truth)
    record_property("phone_error_rate", round(edits / total, 3))
    assert edits / total < 0.25


def _edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[:], i
        for j, y in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
    return row[-1]


# ---------------------------------------------------------------- transcripts in every form

def test_plain_text_transcript_is_force_aligned(short_clip):
    _, words, samples = short_clip
    spans, report = words_for_clip(samples, "He was not an ILL-DISPOSED young man.")
    assert [s.word for s in spans] == ["he", "was", "not", "an", "ill-disposed", "young", "man"]
    assert report.source == "aligned text" and report.aligned == 7 and report.generated_pronunciations == 1
    reference = asr.align_text(" ".join(words), samples)
    assert spans[-1] == reference[-1] and spans[0] == reference[0]


def test_subtitle_cues_are_refined_to_words(short_clip, tmp_path):
    _, words, samples = short_clip
    reference = asr.align_text(" ".join(words), samples)
    srt = tmp_path / "clip.srt"  # cue times 0.3 s late, as subtitles often are
    srt.write_text("1\n00:00:00,500 --> 00:00:01,600\nhe was not an\n\n"
                   "2\n00:00:01,650 --> 00:00:02,990\nill disposed young man\n", encoding="utf-8")
    spans, report = words_for_clip(samples, srt)
    assert report.source == "aligned subtitles" and report.aligned == 8
    assert [s.word for s in spans] == words
    assert max(abs(a.start - b.start) + abs(a.end - b.end) for a, b in zip(spans, reference)) <= 0.05


def test_timed_transcripts_keep_their_own_timings(short_clip, tmp_path):
    _, _, samples = short_clip
    mine = [WordSpan("hello", 0.25, 0.5), WordSpan("world", 0.7, 1.1)]
    for suffix in (".json", ".TextGrid"):
        path = tmp_path / f"words{suffix}"
        save_word_spans(path, mine)
        spans, report = words_for_clip(samples, path)
        assert report.source == "timed transcript"
        assert [(s.word, round(s.start, 6), round(s.end, 6)) for s in spans] == [("hello", 0.25, 0.5), ("world", 0.7, 1.1)]


def test_no_transcript_means_recognition(short_clip):
    _, words, samples = short_clip
    spans, report = words_for_clip(samples, None)
    assert report.source == "recognised" and report.words == len(spans)
    assert word_error_rate(words, [s.word for s in spans]) < 0.5


def test_a_transcript_without_words_is_refused(short_clip):
    with pytest.raises(TranscriptError, match="no words"):
        words_for_clip(short_clip[2], " ... — !")


def test_cli_writes_each_format_and_reads_back(short_clip, tmp_path, capsys):
    audio, words, _ = short_clip
    text = tmp_path / "clip.txt"
    text.write_text(" ".join(words), encoding="utf-8")
    written = {}
    for name in ("words.json", "words.srt", "words.vtt", "words.TextGrid"):
        out = tmp_path / name
        assert main(["transcribe", "--audio", str(audio), "--text", str(text), "--out", str(out)]) == 0
        written[name] = load_transcript(out)
    first = written["words.json"]
    assert [s.word for s in first] == words
    for spans in written.values():
        assert [s.word for s in spans] == words
        assert max(abs(a.start - b.start) + abs(a.end - b.end) for a, b in zip(spans, first)) < 0.002
    assert main(["transcribe", "--audio", str(audio), "--out", str(tmp_path / "heard.json")]) == 0
    assert load_transcript(tmp_path / "heard.json")
    assert "words (recognised)" in capsys.readouterr().out
    assert main(["transcribe", "--audio", str(audio), "--out", str(tmp_path / "words.txt")]) == 2
    assert "name the output .json" in capsys.readouterr().err


def test_a_long_transcript_aligns_in_a_child_process_exactly_as_in_this_one(librivox, monkeypatch):
    """Beside the model's loading the aligner runs in a child (the decoder and torch's import both hold
    the GIL); its alignment, progress and cancelling are those of the aligner here."""
    from openhuman.engine.speech import alignment_process

    samples = np.concatenate([a for _, _, a in librivox])  # 33 s of LibriVox
    words = [w for _, ws, _ in librivox for w in ws]
    assert len(samples) >= alignment_process.ASIDE_MIN_S * asr.SAMPLE_RATE
    children = []
    start_child = alignment_process.start_child
    monkeypatch.setattr(alignment_process, "start_child", lambda *a: children.append(start_child(*a)) or children[-1])
    here = asr.align_words(words, samples)
    calls = []
    aside = alignment_process.align_words_aside(words, samples, progress=lambda d, t: calls.append((d, t)))
    assert len(children) == 1 and children[0][0].poll() is not None  # one child, gone
    assert aside.spans == here.spans and aside.how == here.how and aside.segments == here.segments
    assert calls and calls[-1] == (here.segments[-1][1], len(samples) / asr.SAMPLE_RATE)
    stop = threading.Event()
    with pytest.raises(asr.Cancelled):
        alignment_process.align_words_aside(words, samples, progress=lambda d, t: stop.set(), cancel=stop)
    assert len(children) == 2 and children[1][0].poll() is not None
    short = samples[: 3 * asr.SAMPLE_RATE]
    assert alignment_process.align_words_aside(words[:8], short).spans == asr.align_words(words[:8], short).spans
    assert len(children) == 2  # a short clip aligns here: a child's start would only add


def test_an_error_in_the_aligning_child_is_raised_again_by_name():
    from openhuman.engine.errors import OpenHumanError
    from openhuman.engine.speech.alignment_process import _same_error

    again = _same_error("TranscriptError", "the text is too long")
    assert type(again) is TranscriptError and str(again) == "the text is too long"
    other = _same_error("ValueError", "bad")
    assert type(other) is OpenHumanError and "ValueError: bad" in str(other)


def test_the_whole_lexicon_is_read_only_for_a_word_the_dictionary_lacks(short_clip):
    _, words, samples = short_clip
    g2p.load_lexicon.cache_clear()
    known = asr.align_words(words, samples)
    assert g2p.load_lexicon.cache_info().currsize == 0 and set(known.how) == {"dictionary"}
    asr.align_words(words[:-1] + ["blorfengast"], samples)  # a made-up word: pronounced by the letter rules
    assert g2p.load_lexicon.cache_info().currsize == 1
