"""Words found once: a second generation of the same clip reuses them; a damaged or foreign entry is
rebuilt, never an error."""
import json
import os
import subprocess
import sys
import time

import pytest

from openhuman.engine.api import find_words
from openhuman.engine.speech.words_cache import FORMAT, WordsCache, words_key

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
VOICE = REPO / "examples" / "voice.wav"


@pytest.fixture(scope="module")
def samples():
    from openhuman.engine.speech.audio import load_audio

    return load_audio(VOICE)


def test_the_key_follows_the_audio_and_the_transcript(tmp_path, samples):
    text = tmp_path / "t.txt"
    text.write_text("hello there\n")
    keys = {words_key(samples, None), words_key(samples, "hello there"), words_key(samples, text),
            words_key(samples[:-1], None), words_key(samples * 0.5, None)}
    assert len(keys) == 5
    assert words_key(samples.copy(), None) == words_key(samples, None)
    text.write_text("hello you\n")
    assert words_key(samples, text) not in keys


def test_recognition_runs_once_and_the_second_call_returns_the_same_words(tmp_path, samples):
    cache = WordsCache(tmp_path)
    t = time.perf_counter()
    first, report1 = find_words(samples, None, cache=cache)
    recognise_s = time.perf_counter() - t
    t = time.perf_counter()
    second, report2 = find_words(samples, None, cache=cache)
    cached_s = time.perf_counter() - t
    assert first == second and report1.words == report2.words
    assert "cache" in report2.summary() and "cache" not in report1.summary()
    assert cached_s < recognise_s / 5, (cached_s, recognise_s)


@pytest.mark.parametrize("damage", ["truncated", "not_json", "other_format", "bad_words", "binary"])
def test_a_damaged_or_foreign_entry_is_ignored_and_rebuilt(tmp_path, samples, damage):
    cache = WordsCache(tmp_path)
    words, _ = find_words(samples, "hi there", cache=cache)
    entry = tmp_path / f"{words_key(samples, 'hi there')}.json"
    good = entry.read_text()
    data = json.loads(good)
    entry.write_bytes({
        "truncated": good[: len(good) // 2].encode(),
        "not_json": b"hello",
        "other_format": json.dumps({**data, "format": FORMAT + 1}).encode(),
        "bad_words": json.dumps({**data, "words": [["hi", "soon", None]]}).encode(),
        "binary": os.urandom(300),
    }[damage])
    again, report = find_words(samples, "hi there", cache=cache)
    assert again == words and "cache" not in report.summary()
    assert json.loads(entry.read_text())["words"] == data["words"]  # rewritten whole


def test_an_unwritable_cache_only_costs_time(samples):
    words, report = find_words(samples, "hi there", cache=WordsCache("/proc/openhuman-cache"))
    assert [w.word for w in words] == ["hi", "there"]


def test_the_command_line_reuses_words_across_emotions(tmp_path):
    env = {**os.environ, "OPENHUMAN_CACHE": str(tmp_path / "cache")}
    outs = []
    for emotion in ("Neutral", "Sad"):
        out = tmp_path / f"{emotion}.bvh"
        done = subprocess.run([sys.executable, "-m", "openhuman.cli", "generate", "--audio", str(VOICE), "--method",
                               "procedural", "--emotion", emotion, "--out", str(out)], capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        outs.append(done.stdout)
    assert "cache" not in outs[0] and "words reused from the cache" in outs[1]
    assert len(list((tmp_path / "cache" / "words").glob("*.json"))) == 1
