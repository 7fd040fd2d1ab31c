"""The OpenHuman-Synth corpus: sentences, espeak-ng speech with exact word times, a small real build
(real espeak-ng, real procedural synthesiser, real LibriVox recordings) and its report."""
import ctypes
import ctypes.util
import json
from collections import Counter

import numpy as np
import pytest

from openhuman.cli.main import main as cli_main
from openhuman.engine.speech import asr
from openhuman.engine.conditions.audio_features import audio_feature_spec, compute_audio_features
from openhuman.engine.conditions.text_features import LEXICON
from openhuman.engine.speech.word_text import normalise_word, split_words
from openhuman.training.corpus import EMOTIONS, build_corpus, plan_corpus
from openhuman.training.corpus_report import corpus_statistics, format_report, plot_corpus
from openhuman.training.librivox import read_librivox_transcription
from openhuman.training.sentences import SentenceGenerator, generate_sentences
from openhuman.training.speech_synth import (VOICES, SpeechSynthError, prosody_for, synthesise_speech)
from openhuman.training.windows_dataset import WindowDataset

SMALL = dict(item_seconds=(6.0, 10.0), librivox_every=3)  # three blocks: two of espeak, one of LibriVox
SMALL_HOURS = 3 * 6 * 8.0 / 3600
_PARTS = audio_feature_spec()["parts"]
PARTS = {name: sum(d for _, d in _PARTS[:i]) for i, (name, _) in enumerate(_PARTS)}  # column of each part


# ---------------------------------------------------------------- sentences

def test_sentences_are_reproducible_varied_and_cover_the_lexicon():
    first = generate_sentences(7, 1500)
    assert first == generate_sentences(7, 1500) and first[:50] != generate_sentences(8, 50)
    lengths = [len(split_words(s)) for s in first]
    assert min(lengths) <= 2 and max(lengths) >= 25 and 6 < np.mean(lengths) < 14
    assert sum(s.endswith("?") for s in first) > 50 and sum("," in s for s in first) > 200
    assert len(set(first)) > 0.9 * len(first)
    words = Counter(w for s in first for w in split_words(s))
    assert [w for w in LEXICON if words[w] == 0] == []
    assert 0.15 < sum(words[w] for w in LEXICON) / sum(words.values()) < 0.5  # filler words dominate
    for sentence in first[:300]:  # every token is one spoken word
        assert all(len(split_words(token)) == 1 for token in sentence.split())


# ---------------------------------------------------------------- speech

@pytest.fixture(scope="module")
def neutral_speech():
    return synthesise_speech(generate_sentences(3, 8), "Neutral", "en-us", seed=1)


def test_every_voice_says_every_word_in_order():
    sentences = ["Yes, exactly. I think this is big!", "No, never. We won't go over there, okay?",
                 "Everyone walked around the tiny house between the trees."]
    expected = [normalise_word(t) for s in sentences for t in s.split()]
    # en-gb-x-gbcwmd (not one of VOICES) drops word marks: the fallback must still time every word
    for voice in VOICES + ("en-gb-x-gbcwmd",):
        speech = synthesise_speech(sentences, "Neutral", voice, seed=2)
        assert [w.word for w in speech.words] == expected, voice
        starts = np.array([w.start for w in speech.words])
        assert np.all(np.diff(starts) > 0.03), voice
        assert all(w.start <= w.end <= speech.duration for w in speech.words)


def test_word_starts_are_where_the_sound_starts(neutral_speech):
    """After a pause, a word's sound begins at its start, or up to a stop consonant's closure later."""
    x, hop = neutral_speech.samples, 16  # 1 ms blocks
    envelope = np.abs(x[: len(x) // hop * hop]).reshape(-1, hop).max(axis=1)
    loud = envelope > 0.01 * envelope.max()
    checked = 0
    for word in neutral_speech.words:
        k = int(round(word.start * 1000))
        if k >= 100 and not loud[k - 100:k - 3].any():
            onset = k - 3 + int(np.argmax(loud[k - 3:]))
            assert 0 <= onset - k + 3 and onset - k <= 80, (word, onset - k)
            checked += 1
    assert checked >= 8
    # and no word runs into silence: each is loud somewhere inside its span
    for word in neutral_speech.words:
        assert loud[int(word.start * 1000):int(np.ceil(word.end * 1000))].any(), word


def test_word_times_agree_with_an_independent_forced_alignment(neutral_speech):
    aligned = asr.align_words([w.word for w in neutral_speech.words], neutral_speech.samples)
    assert aligned.count("fallback") == 0
    starts = np.array([abs(a.start - b.start) for a, b in zip(neutral_speech.words, aligned.spans)])
    ends = np.array([abs(a.end - b.end) for a, b in zip(neutral_speech.words, aligned.spans)])
    assert np.median(starts) < 0.025 and np.median(ends) < 0.025  # the decoder's grid is 10 ms
    assert np.percentile(starts, 90) < 0.08


def test_emotions_change_rate_loudness_and_pitch():
    sentences = generate_sentences(11, 12)
    measures = {}
    for emotion in ("Neutral", "Happy", "Sad", "Angry", "Old"):
        speech = synthesise_speech(sentences, emotion, "en-us+f3", seed=4)
        features = compute_audio_features(speech.samples)
        voiced = features[:, PARTS["voicing"]] > 0.5
        speaking = sum(w.end - w.start for w in speech.words)
        measures[emotion] = (len(speech.words) / speaking,
                             float(np.mean(speech.samples[speech.samples != 0] ** 2)),
                             float(np.median(features[voiced, PARTS["log_f0"]])), speech.duration)
    rate, power, pitch, duration = (dict((e, m[i]) for e, m in measures.items()) for i in range(4))
    assert rate["Sad"] < rate["Neutral"] < rate["Happy"] and rate["Old"] < rate["Neutral"]
    assert power["Angry"] > 1.5 * power["Neutral"] > 1.5 * power["Sad"]
    assert pitch["Happy"] > pitch["Neutral"] > pitch["Sad"]
    assert duration["Sad"] > 1.3 * duration["Happy"]  # slower speech and longer pauses


def test_min_seconds_takes_sentences_only_until_long_enough():
    speech = synthesise_speech(SentenceGenerator(5), "Happy", "en-gb-x-rp", seed=3, min_seconds=12.0)
    assert 12.0 <= speech.duration < 25.0
    assert speech.sentences == generate_sentences(5, len(speech.sentences))


def test_speech_does_not_depend_on_what_else_drew_from_libc_rand():
    # espeak-ng draws its noise from libc's rand; PulseAudio's client draws from it too when it first sets
    # up ~/.config/pulse, which once changed the corpus a fresh machine's test suite built.
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    sentences = ["She sells sea shells, he says, and the fish is fresh."]
    first = synthesise_speech(sentences, "Happy", "en-us+f3", seed=6).samples  # its breath is noise
    for _ in range(997):
        libc.rand()
    again = synthesise_speech(sentences, "Happy", "en-us+f3", seed=6).samples
    np.testing.assert_array_equal(first, again)


def test_prosody_blends_and_bad_requests_fail_clearly():
    mix = prosody_for({"Happy": 1.0, "Sad": 1.0})
    assert mix.rate == pytest.approx((190 + 120) / 2) and mix.sentence_pause == pytest.approx((0.45, 0.875))
    with pytest.raises(SpeechSynthError, match="no speech prosody"):
        prosody_for("Bored")
    with pytest.raises(SpeechSynthError, match="no voice"):
        synthesise_speech(["Hello."], voice="xx-nowhere")
    with pytest.raises(SpeechSynthError, match="no words"):
        synthesise_speech(["", "!!"])


# ---------------------------------------------------------------- the corpus

def test_plan_is_balanced_and_split_by_block():
    plans = plan_corpus(5.0, seed=1, librivox=True)
    assert len(plans) % 6 == 0 and len(plans) >= 600
    for split, share in (("train", 0.8), ("val", 0.1), ("test", 0.1)):
        chosen = [p for p in plans if p.split == split]
        assert len(chosen) == pytest.approx(share * len(plans), abs=6)
        assert Counter(p.emotion for p in chosen) == {e: len(chosen) // 6 for e in EMOTIONS}
    for block in range(len(plans) // 6):  # a block: six emotions, one voice, one split
        six = plans[6 * block:6 * block + 6]
        assert [p.emotion for p in six] == list(EMOTIONS) and len({(p.voice, p.split, p.seconds) for p in six}) == 1
    voices = Counter(p.voice for p in plans)
    assert set(voices) == set(VOICES) | {"librivox"} and voices["librivox"] == len(plans) // 20
    short = plan_corpus(1.0, seed=1, librivox=True)  # a shorter corpus is the start of a longer one
    key = lambda p: (p.index, p.kind, p.emotion, p.voice, p.seed, p.seconds)  # noqa: E731
    assert [key(p) for p in short] == [key(p) for p in plans[:len(short)]]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, speech_dir):
    out = tmp_path_factory.mktemp("corpus") / "synth"
    summary = build_corpus(out, SMALL_HOURS, seed=5, workers=2, librivox=speech_dir, progress=False, **SMALL)
    return out, summary


def test_small_corpus_has_every_emotion_voice_and_real_speech(small_corpus, speech_dir):
    out, summary = small_corpus
    assert summary["takes"] == 18 and summary["librivox"] is not None
    ds = WindowDataset(out, "train")
    assert ds.emotions == list(EMOTIONS)
    assert Counter(t.emotion for t in ds.takes) == {e: 3 for e in EMOTIONS}
    sources = Counter(t.source.split(":")[0] for t in ds.takes)
    assert sources == {"espeak": 12, "librivox": 6}
    librivox = [t for t in ds.takes if t.source.startswith("librivox:")]
    transcribed = dict(read_librivox_transcription(speech_dir / "transcription"))
    for take in librivox:  # every word of the clips it joins, aligned
        clips = take.source.split(":")[1].split("+")
        assert [w[0] for w in take.words] == [w for clip in clips for w in transcribed[clip]]
        assert take.frames >= 20 * 6.0
    seed, target, audio, text, label = ds[len(ds) // 2]
    assert seed.shape == (8, 1141) and target.shape == (80, 1141) and audio.shape == (80, 81)
    assert np.isfinite(ds.batch(range(0, len(ds), 7))[1]).all()
    for take in ds.takes:  # words are where the text features say
        assert take.frames >= 88 and take.words
        first = take.words[0]
        row = take.start + int(np.ceil(first[1] * 20 - 1e-9))
        if first[2] - first[1] > 0.06:
            assert ds.text[row, 1] == 1.0 and ds.text[take.start, 0] == 0.0  # word_active; not no_text


def same_numbers(a, b) -> bool:
    """Equal up to the last bits: numpy's SIMD reductions round differently with the arrays' memory
    alignment, which depends on what the process did before (seen: 1.4e-16 after other tests)."""
    return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-9)


def test_the_build_does_not_depend_on_the_number_of_workers(small_corpus, tmp_path, speech_dir):
    out, _ = small_corpus
    one_block = build_corpus(tmp_path / "again", 6 * 8.0 / 3600, seed=5, workers=1, librivox=speech_dir,
                             progress=False, **SMALL)
    assert one_block["takes"] == 6
    again = np.load(tmp_path / "again" / "motion.npy")
    first = np.load(out / "motion.npy", mmap_mode="r")[: len(again)]
    assert same_numbers(again, first)
    assert same_numbers(np.load(tmp_path / "again" / "audio.npy"), np.load(out / "audio.npy")[: len(again)])


def test_report_counts_the_corpus_and_draws_the_page(small_corpus, tmp_path):
    out, summary = small_corpus
    stats = corpus_statistics(out)
    assert stats["hours"] == pytest.approx(summary["hours"], abs=1e-3)
    assert sum(stats["hours_per_emotion"].values()) == pytest.approx(stats["hours"], abs=1e-3)
    assert "LibriVox (human)" in stats["hours_per_voice"] and len(stats["hours_per_voice"]) == 3
    assert stats["words"] > 200 and 0.3 < stats["lexicon_coverage"] <= 1.0
    kin = stats["kinematics_per_emotion"]
    assert set(kin) == set(EMOTIONS)
    assert kin["Angry"]["hand_speed_mean"] > kin["Sad"]["hand_speed_mean"]
    assert all(0.6 < k["hand_height_mean"] < 1.6 for k in kin.values())
    text = format_report(stats)
    assert "hours per emotion" in text and "lexicon coverage" in text
    png = plot_corpus(out, tmp_path / "page.png", stats)
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.shape[0] > 800 and image.shape[1] > 1000 and image[..., :3].std() > 0.05


def test_cli_report_and_synth_errors(small_corpus, tmp_path, capsys):
    out, _ = small_corpus
    code = cli_main(["data", "report", str(out), "--png", str(tmp_path / "r.png"), "--json", str(tmp_path / "r.json")])
    assert code == 0 and (tmp_path / "r.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "r.json").read_text())["takes"] == 18
    assert "hours per voice" in capsys.readouterr().out
    assert cli_main(["data", "report", str(tmp_path)]) == 2
    assert "not an OpenHuman dataset" in capsys.readouterr().err
    assert cli_main(["data", "synth", "--hours", "-1", "--out", str(tmp_path / "x")]) == 2
    assert "--hours must be positive" in capsys.readouterr().err
    assert cli_main(["data", "synth", "--hours", "1", "--out", str(tmp_path / "x"), "--workers", "0"]) == 2
    assert cli_main(["data", "synth", "--hours", "1", "--out", str(tmp_path / "x"), "--librivox", str(tmp_path)]) == 2
    assert "no 'transcription' file" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_synth_builds_the_same_corpus_twice_and_reports_it(tmp_path, capsys):
    runs = []
    for name, workers in (("a", "2"), ("b", "1")):
        out = tmp_path / name
        assert cli_main(["data", "synth", "--hours", "0.1", "--out", str(out), "--seed", "2", "--workers", workers]) == 0
        runs.append(out)
    assert "wrote" in capsys.readouterr().out
    for part in ("motion", "audio", "text"):
        assert same_numbers(np.load(runs[0] / f"{part}.npy"), np.load(runs[1] / f"{part}.npy"))
    assert (runs[0] / "takes.json").read_text() == (runs[1] / "takes.json").read_text()
    assert cli_main(["data", "report", str(runs[0])]) == 0
    assert (runs[0] / "report.png").stat().st_size > 10_000
