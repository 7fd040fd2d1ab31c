"""Bad transcripts and text: refused with one clear line (a TranscriptError), never a traceback, never a
runaway in memory or time; and alignment, letter-to-sound and parsing stay linear in their input."""
import json
import time
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from bad_input_support import VOICE, assert_clean_failure, openhuman
from helpers import ADDON_SCENE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openhuman.engine.speech import asr, g2p
from openhuman.engine.speech import captions, json_words, textgrid
from openhuman.engine.speech import transcript as tr
from openhuman.engine.errors import Cancelled, TranscriptError
from openhuman.engine.conditions.text_features import compute_text_features
from openhuman.engine.speech.transcript_limits import MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_WORDS
from openhuman.engine.speech.words import WordSpan
from openhuman.engine.speech.words_from_speech import words_for_clip

pytestmark = pytest.mark.bad_input

RATE = 16000
SRT = "1\n00:00:00,500 --> 00:00:01,500\nhello there\n\n2\n00:00:02,000 --> 00:00:03,000\ngood morning\n"


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.3 * np.random.default_rng(seed).standard_normal(int(seconds * RATE))).astype(np.float32)


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("noise") / "noise.wav"
    sf.write(path, _noise(240), RATE)
    return path


def _generate(transcript, tmp_path, *extra, audio=VOICE):
    out = tmp_path / "out.bvh"
    run = openhuman("generate", "--audio", audio, "--transcript", transcript, "--method", "procedural",
                    "--out", out, *extra)
    return run, out


def _transcribe(text, tmp_path, audio=VOICE, out_name="words.json"):
    out = tmp_path / out_name
    return openhuman("transcribe", "--audio", audio, "--text", text, "--out", out), out


# ---------------------------------------------------------------- runaway memory and time (items 5, 8, 9)

@pytest.mark.parametrize("command", ["generate", "transcribe"])
def test_ten_megabytes_of_text_for_a_short_clip_is_refused_at_once(tmp_path, command):
    big = tmp_path / "big.txt"
    big.write_text("hello " * 1_750_000)
    started = time.perf_counter()
    run, out = (_generate if command == "generate" else _transcribe)(big, tmp_path)
    seconds = time.perf_counter() - started
    assert_clean_failure(run, "1,750,000 words", "7.1 s clip", "at most 76", "transcript of this clip")
    assert run.peak_mb < 1500, run.peak_mb  # was 11 GB
    assert seconds < 60, seconds  # was 70 s, and Ctrl-C waited 130 s
    assert not out.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.srt"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_TRANSCRIPT_BYTES + 1)  # sparse: no disk used
    run, out = _transcribe(huge, tmp_path)
    assert_clean_failure(run, "larger than 32 MB", "transcript of this clip")
    assert run.peak_mb < 1500 and not out.exists()


def test_a_million_words_in_one_textgrid_label_are_refused_in_bounded_memory(tmp_path):
    grid = tmp_path / "words.TextGrid"
    label = "a " * (MAX_TRANSCRIPT_WORDS + 10)
    grid.write_text(f'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n9\n<exists>\n1\n'
                    f'"IntervalTier"\n"words"\n0\n9\n1\n0\n9\n"{label}"\n')
    run, out = _transcribe(grid, tmp_path)
    assert_clean_failure(run, "words.TextGrid:15", "more than 1,000,000 words")
    assert run.peak_mb < 1500 and not out.exists()


def test_text_over_minutes_of_noise_is_timed_by_syllables(noise_wav, tmp_path):
    started = time.perf_counter()
    run = openhuman("generate", "--audio", noise_wav, "--text", "hello there", "--method", "procedural",
                    "--out", tmp_path / "noise.bvh")
    seconds = time.perf_counter() - started
    assert run.rc == 0, run.stderr[-2000:]
    assert "2 words (aligned text)" in run.stdout and "timed by syllables" in run.stdout
    assert run.peak_mb < 1500, run.peak_mb
    assert seconds < 90, seconds  # a sanity bound; the work itself is measured in the next test


def test_alignment_work_grows_linearly_with_unfitting_audio():
    noise = _noise(480, seed=1)
    started = time.perf_counter()
    aligned = asr.align_words(["hello", "there"], noise)
    seconds = time.perf_counter() - started
    assert [s.word for s in aligned.spans] == ["hello", "there"]
    assert all(0 <= s.start <= s.end <= 480 for s in aligned.spans)
    assert aligned.decoded_s <= 2.2 * 480, f"decoded {aligned.decoded_s:.0f} s of a 480 s clip"  # was ~6000 s
    assert all(b - a <= 2 * asr.ALIGN_SEGMENT_S + 30 for a, b in aligned.segments), "each stretch is bounded"
    assert seconds < 30, seconds  # was 55 s on the same machine (73 s in the issue); about 7 s when idle


def test_alignment_over_noise_reports_progress_and_stops_when_cancelled():
    noise = _noise(300, seed=2)
    seen = []
    asr.align_words(["hello", "there", "world"], noise, progress=lambda done, total: seen.append(done))
    assert len(seen) >= 3 and seen == sorted(seen), seen
    stop = []
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        asr.align_words(["hello", "there", "world"], noise, progress=lambda done, total: stop.append(1),
                        cancel=lambda: bool(stop))
    assert len(stop) == 1, "cancel is checked before the next stretch is decoded"
    assert time.perf_counter() - started < 15


def test_letter_to_sound_is_bounded_in_token_length():
    token = "abrakadabra" * 8000  # 88,000 characters: took 2.1 s, a 10 MB token hours
    started = time.perf_counter()
    assert g2p.pronounce(token) is None and g2p.pronounce(token * 100) is None
    assert time.perf_counter() - started < 0.5
    assert g2p.pronounce("a" * g2p.MAX_WORD_LETTERS) is not None
    started = time.perf_counter()
    phones = g2p.letter_to_sound(token)  # the rules themselves are linear too
    assert len(phones) > 10_000 and time.perf_counter() - started < 5


def test_a_long_token_keeps_its_span_and_is_reported(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("and mister john " + "x" * 80_000 + " dashwood had then leisure")
    started = time.perf_counter()
    run, out = _transcribe(text, tmp_path)
    assert run.rc == 0, run.stderr[-2000:]
    assert time.perf_counter() - started < 60
    assert "1 token over 40 characters long placed between neighbours without alignment (not a word)" in run.stdout
    words = json.loads(out.read_text())
    assert len(words) == 8 and len(words[3]["word"]) == 80_000, "nothing is dropped"


def test_text_features_of_a_huge_token_stay_small():
    word = "ab" * 500_000
    tracemalloc.start()
    try:
        features = compute_text_features([WordSpan(word, 0.0, 1.0), WordSpan(word + "c", 1.0, 2.0)], 40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.isfinite(features).all() and features[:, -1].any()
    assert peak < 50e6, f"{peak / 1e6:.0f} MB for two words"  # was over 1 GB: a vector per character n-gram


# ---------------------------------------------------------------- nested JSON (item 10)

@pytest.mark.parametrize("command,name", [("generate", "deep.json"), ("generate", "deep.txt"),
                                          ("transcribe", "deep.json"), ("transcribe", "deep.txt")])
def test_deeply_nested_json_is_refused_without_a_traceback(tmp_path, command, name):
    deep = tmp_path / name
    deep.write_text("[" * 200_000)
    run, out = (_generate if command == "generate" else _transcribe)(deep, tmp_path)
    assert_clean_failure(run, name, "nested more than 32 levels deep", "list of")
    assert not out.exists()


@pytest.mark.parametrize("text, message", [
    ('[{"a": ' * 40 + "1" + "}]" * 40, "nested more than 32 levels deep"),
    ("[" + "[]," * 2_000_000 + "[]]", "holds 2,000,002 lists and objects"),
    ('[{"word": "hi", "start": 1' + "0" * 5000 + ', "end": 2}]', "not valid JSON"),
    ('[{"word": "hi", "start": 1' + "0" * 400 + ', "end": 2}]', '"start" must be a number of seconds'),
    ('{"segments": [{"words": 5}, {"words": [{"word": "hi", "start": 0, "end": 1}]}]}', None),
])
def test_json_transcripts_with_odd_structure(text, message):
    if message is None:
        assert [s.word for s in json_words.parse_json_words(text)] == ["hi"]
    else:
        with pytest.raises(TranscriptError, match=message):
            json_words.parse_json_words(text)


# ---------------------------------------------------------------- encodings and words outside the clip (item 15)

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path, encoding):
    srt = tmp_path / "words.srt"
    srt.write_bytes(SRT.encode(encoding))
    assert [s.word for s in tr.load_transcript(srt)] == ["hello", "there", "good", "morning"]
    plain = tmp_path / "words.txt"
    plain.write_bytes("and mister john dashwood".encode(encoding))
    run, out = _generate(plain, tmp_path)
    assert run.rc == 0 and "4 words (aligned text)" in run.stdout, run.stderr[-2000:]


def test_binary_files_are_still_binary(tmp_path):
    for name, data in [("zeros.txt", bytes(1000)), ("wave.srt", VOICE.read_bytes()[:4000]),
                       ("odd.txt", "hello".encode("utf-16-le") + b"\x00")]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(TranscriptError, match="binary file"):
            tr.load_transcript(path)


def test_words_after_the_clip_are_left_out_with_a_note(tmp_path):
    words = [{"word": w, "start": t, "end": t + 0.3} for w, t in [("and", 0.2), ("mister", 0.6), ("late", 100), ("later", 200)]]
    path = tmp_path / "words.json"
    path.write_text(json.dumps(words))
    run, out = _transcribe(path, tmp_path, out_name="out.json")
    assert run.rc == 0, run.stderr[-2000:]
    assert "2 words (timed transcript); left out 2 words timed after the clip's end (7.1 s)" in run.stdout
    assert [w["word"] for w in json.loads(out.read_text())] == ["and", "mister"]


def test_subtitle_cues_after_the_clip_are_left_out_with_a_note():
    samples = sf.read(VOICE, dtype="float32")[0]
    srt = SRT + "\n3\n01:00:00,000 --> 01:00:02,000\nfar too late\n"
    spans, report = words_for_clip(samples, srt)
    assert report.words == len(spans) == 4 and all(s.end <= 7.2 for s in spans)
    assert "left out 3 words timed after the clip's end" in report.summary()


def test_a_folder_as_the_transcript_is_named_as_one(tmp_path):
    folder = tmp_path / "words"
    folder.mkdir()
    run, out = _generate(folder, tmp_path)
    assert_clean_failure(run, "words: a folder, not a transcript file")
    assert not out.exists()


def test_plain_text_over_samples_is_checked_against_the_clip_length():
    with pytest.raises(TranscriptError, match="has 200 words but a 2.0 s clip holds at most 36"):
        tr.load_transcript("hello " * 200, np.zeros(2 * RATE, np.float32))
    assert len(tr.load_transcript("hello " * 36, np.zeros(2 * RATE, np.float32))) == 36


# ---------------------------------------------------------------- inputs that once took quadratic time to parse

@pytest.mark.parametrize("suffix, text, message", [
    (".TextGrid", 'File type = "ooTextFile"\nObject class = "TextGrid"\n' + "1" * 2_000_000 + "x", "expected a number"),
    (".TextGrid", 'File type = "ooTextFile"\nObject class = "TextGrid"\n0 ' + "a" + " " * 2_000_000 + "x", "expected a number"),
    (".srt", "1\n00:00:00,000 --> 00:00:01,000\n" + "<" * 2_000_000 + "\n", None),
    (".srt", "1\n00:00:00,000 --> 00:00:01,000\n" + "[(" * 1_000_000 + "\n", None),
    (".srt", "1\n" + "9" * 5000 + ":00:00,000 --> 00:00:01,000\nhi\n", "no clip is that long"),
    (".txt", "\n" * 10_000_000, None),
])
def test_pathological_text_parses_in_linear_time(tmp_path, suffix, text, message):
    path = tmp_path / f"words{suffix}"
    path.write_text(text)
    started = time.perf_counter()
    if message is None:
        assert tr.load_transcript(path, np.zeros(RATE, np.float32)) == []
    else:
        with pytest.raises(TranscriptError, match=message):
            tr.load_transcript(path)
    assert time.perf_counter() - started < 10


# ---------------------------------------------------------------- property-based: only TranscriptError escapes

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECES = st.sampled_from([
    "1", "2", "\n", "\n\n", " ", "00:00:01,000", "00:00:02.500", "01:02.000", " --> ", "-->", "WEBVTT", "NOTE",
    "<00:00:01.500>", "<i>", "</i>", "{\\an8}", "[music]", "(", ")", "<", ">", "hello", "don't", "—", "/", "--",
    '"', '""', "xmin = ", "0", "1.5", "-1", "1e999", "nan", "<exists>", "<absent>", '"IntervalTier"',
    '"TextTier"', '"words"', "!", "[", "]", "{", "}", '"word": ', '"start": ', '"end": ', ",", ":", "\ufeff",
    "99999999999999999999", "\x00", "é", "東京", "\r\n", "\u2028",
])
STRUCTURED = st.lists(PIECES, max_size=60).map("".join)
TEXTGRID_HEAD = 'File type = "ooTextFile"\nObject class = "TextGrid"\n'
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["word", "text", "start", "end", "words", "segments"]) | st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)


PARSERS = {"srt": captions.parse_srt, "vtt": captions.parse_vtt, "textgrid": textgrid.parse_textgrid,
           "json": json_words.parse_json_words}


def _only_transcript_errors(parse, *args):
    try:
        spans = parse(*args)
    except TranscriptError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert all(isinstance(s, WordSpan) and 0 <= s.start <= s.end for s in spans)
    assert spans == sorted(spans, key=lambda s: (s.start, s.end))


@FUZZ
@given(text=st.text(max_size=300) | STRUCTURED, parser=st.sampled_from(["srt", "vtt", "textgrid", "json"]))
@example(text="1\n99999999999999999999:00:00,000 --> 0:00:01,000\nhi", parser="srt")
@example(text='[{"word": "a", "start": 1' + "0" * 400 + ', "end": 1e999}]', parser="json")
@example(text="1\n" + "0" * 5000 + "1:00:00,000 --> 00:00:01,000\nhi", parser="srt")
@example(text="WEBVTT\n\n" + "0" * 5000 + "1:00:00.000 --> 00:00:01.000\nhi", parser="vtt")
@example(text='{"segments": [{"words": 1}]}', parser="json")
def test_parsers_raise_only_transcript_errors(text, parser):
    if parser == "textgrid" and not text.startswith("File"):
        text = TEXTGRID_HEAD + text
    if parser == "vtt" and not text.startswith("WEBVTT"):
        text = "WEBVTT\n\n" + text
    _only_transcript_errors(PARSERS[parser], text, "<fuzz>")


@FUZZ
@given(data=JSON_VALUES)
@example(data={"segments": [{"words": 0}]})
@example(data=[{"word": "a", "start": 10 ** 400, "end": 10 ** 401}])
def test_json_parser_takes_any_json(data):
    _only_transcript_errors(json_words.parse_json_words, json.dumps(data))


@FUZZ
@given(data=st.binary(max_size=300) | STRUCTURED.map(lambda t: t.encode("utf-8")) | STRUCTURED.map(lambda t: t.encode("utf-16-le")),
       suffix=st.sampled_from([".txt", ".srt", ".vtt", ".TextGrid", ".json", ".text"]))
@example(data=b"\xff\xfe\x00", suffix=".srt")
@example(data=b"[" * 5000, suffix=".txt")
def test_any_bytes_on_disk_raise_only_transcript_errors(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"words{suffix}"
    path.write_bytes(data)
    _only_transcript_errors(tr.load_transcript, path, np.zeros(RATE, np.float32))


def test_blender_reports_a_deeply_nested_json_transcript_in_one_line(tmp_path):
    import subprocess
    import sys
    import textwrap

    nested = tmp_path / "words.json"
    nested.write_text("[" * 200000)
    script = ADDON_SCENE + textwrap.dedent(f"""
        s.audio_path, s.method, s.transcript = {str(VOICE)!r}, "PROCEDURAL", {str(nested)!r}
        before = (len(bpy.data.actions), len(bpy.data.objects))
        try:
            status, message = sorted(bpy.ops.openhuman.generate()), ""
        except RuntimeError as exc:
            status, message = ["CANCELLED"], str(exc)
        after = (len(bpy.data.actions), len(bpy.data.objects))
        print("JSON:" + json.dumps({{"status": status, "message": message, "unchanged": before == after}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    line = next(x[5:] for x in done.stdout.splitlines() if x.startswith("JSON:"))
    result = json.loads(line)
    assert result["status"] == ["CANCELLED"] and result["unchanged"], result
    assert "nested" in result["message"] and "Traceback" not in result["message"], result["message"]
