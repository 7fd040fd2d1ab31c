"""Transcript formats to word spans, on files written here and the LibriVox clips with their text."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhuman.engine.speech.audio import SAMPLE_RATE, load_audio, speech_regions
from openhuman.engine.errors import TranscriptError
from openhuman.engine.speech.transcript import align_plain_text_by_syllables, load_transcript
from openhuman.engine.speech.transcript_writers import save_word_spans
from openhuman.engine.speech.word_text import count_syllables, normalise_word, split_words
from openhuman.engine.speech.words import WordSpan

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"


def librivox():
    """(wav path, its words) for each LibriVox clip listed in the data's transcription file."""
    listing = SPEECH / "transcription"
    if not listing.exists():
        pytest.skip(f"no LibriVox speech in {SPEECH}")
    clips = []
    for line in listing.read_text().splitlines():
        match = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        if match and (SPEECH / f"{match[2]}.wav").exists():
            clips.append((SPEECH / f"{match[2]}.wav", match[1]))
    return clips


def words_of(spans):
    return [span.word for span in spans]


def check_valid(spans):
    assert all(isinstance(span, WordSpan) and span.end >= span.start >= 0 for span in spans)
    starts = [span.start for span in spans]
    assert starts == sorted(starts)


# ---------------------------------------------------------------- words

def test_normalisation():
    assert normalise_word("Don\u2019t!") == "don't"
    assert normalise_word("\u201cHello,\u201d") == "hello"
    assert normalise_word("well-known.") == "well-known"
    assert normalise_word("\u2014") == "" and normalise_word("'quoted'") == "quoted"
    assert normalise_word("CAF\u00c9") == "caf\u00e9" and normalise_word("\uff21BC") == "abc"  # NFKC
    assert split_words("Wait\u2014what? Yes/no -- maybe 42.") == ["wait", "what", "yes", "no", "maybe", "42"]


def test_syllable_counts():
    expected = {"a": 1, "the": 1, "hello": 2, "table": 2, "make": 1, "beautiful": 3, "gesture": 2,
                "rhythm": 1, "42": 2, "yesterday": 3, "computer": 3, "syllable": 3}
    assert {word: count_syllables(word) for word in expected} == expected


# ---------------------------------------------------------------- SubRip

SRT = """1
00:00:01,000 --> 00:00:03,000
<i>Hello</i> there,
big world!

2
00:00:03,500 --> 00:00:04,100 X1:100 X2:200
[music] (laughs) Yes.
3
00:00:05,000 --> 00:00:05,000
Okay
"""


def test_srt_cues_split_by_syllables(tmp_path):
    path = tmp_path / "talk.srt"
    path.write_text(SRT)
    spans = load_transcript(path)
    assert words_of(spans) == ["hello", "there", "big", "world", "yes", "okay"]
    # 2 s over 2+1+1+1 syllables: 0.4 s a syllable.
    assert [t for s in spans[:4] for t in (s.start, s.end)] == pytest.approx([1.0, 1.8, 1.8, 2.2, 2.2, 2.6, 2.6, 3.0])
    assert (spans[4].start, spans[4].end) == pytest.approx((3.5, 4.1))
    assert (spans[5].start, spans[5].end) == (5.0, 5.0)


def test_srt_with_crlf_bom_and_latin1(tmp_path):
    path = tmp_path / "windows.srt"
    path.write_bytes("1\r\n00:00:00,500 --> 00:00:01,500\r\nCaf\u00e9 ol\u00e9\r\n".encode("cp1252"))
    assert words_of(load_transcript(path)) == ["caf\u00e9", "ol\u00e9"]
    path.write_bytes(b"\xef\xbb\xbf" + "1\r\n00:00:00,500 --> 00:00:01,500\r\nna\u00efve\r\n".encode("utf-8"))
    assert words_of(load_transcript(path)) == ["na\u00efve"]


def test_srt_given_as_a_string():
    spans = load_transcript("1\n00:00:02,000 --> 00:00:02,600\nhi you\n")
    assert words_of(spans) == ["hi", "you"] and spans[0].start == 2.0


# ---------------------------------------------------------------- WebVTT

VTT = """WEBVTT - a talk
Kind: captions

NOTE this block is a comment
that spans two lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.000 align:start
<v Speaker>We <c.loud>never</c> said that.</v>

01:00:00.000 --> 01:00:01.000
<00:00:00.000>go<01:00:00.800>home
"""


def test_vtt_cues_and_inline_timestamps(tmp_path):
    path = tmp_path / "talk.vtt"
    path.write_text(VTT)
    spans = load_transcript(path)
    assert words_of(spans) == ["we", "never", "said", "that", "go", "home"]
    assert (spans[0].start, spans[3].end) == pytest.approx((1.0, 2.0))
    # The inline time before "go" lies before the cue, so it is clamped to the cue's start.
    assert (spans[4].start, spans[4].end, spans[5].start, spans[5].end) == pytest.approx((3600.0, 3600.8, 3600.8, 3601.0))


@pytest.mark.parametrize(
    "suffix, text, line, message",
    [
        ("srt", "1\n00:00:01,000 -> 00:00:02,000\nhi\n", 2, "expected a time line"),
        ("srt", "1\n00:00:01,000 --> 00:00:02,000\nhi\n\nhello\n", 5, "expected a cue number"),
        ("srt", "1\n00:00:03,000 --> 00:00:02,000\nhi\n", 2, "ends .* before it starts"),
        ("srt", "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:01,000 --> 00:61:02,000\nho\n", 6, "below 60"),
        ("srt", "1\n", 2, "end of the file"),
        ("vtt", "00:01.000 --> 00:02.000\nhi\n", 1, "WEBVTT"),
        ("vtt", "WEBVTT\n\n00:01.000 --> 00:0x.000\nhi\n", 3, "bad cue timing"),
        ("vtt", "WEBVTT\n\nid\nhello\n", 4, "expected a cue timing"),
        ("vtt", "WEBVTT\n\n00:05.000 --> 00:02.000\nhi\n", 3, "before it starts"),
    ],
)
def test_malformed_srt_and_vtt_name_the_line(tmp_path, suffix, text, line, message):
    path = tmp_path / f"bad.{suffix}"
    path.write_text(text)
    with pytest.raises(TranscriptError, match=message) as caught:
        load_transcript(path)
    assert caught.value.line == line
    assert f"bad.{suffix}:{line}:" in str(caught.value)


# ---------------------------------------------------------------- TextGrid

LONG_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0 
xmax = 2.5 
tiers? <exists> 
size = 3 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "phones" 
        xmin = 0 
        xmax = 2.5 
        intervals: size = 1 
        intervals [1]:
            xmin = 0 
            xmax = 2.5 
            text = "AH" 
    item [2]:
        class = "TextTier" 
        name = "beats" 
        xmin = 0 
        xmax = 2.5 
        points: size = 1 
        points [1]:
            number = 1.2 
            mark = "x" 
    item [3]:
        class = "IntervalTier" 
        name = "Words" 
        xmin = 0 
        xmax = 2.5 
        intervals: size = 5 
        intervals [1]:
            xmin = 0 
            xmax = 0.3 
            text = "" 
        intervals [2]:
            xmin = 0.3 
            xmax = 0.9 
            text = "He said ""hello""" 
        intervals [3]:
            xmin = 0.9 
            xmax = 1.2 
            text = "sil" 
        intervals [4]:
            xmin = 1.2 
            xmax = 1.7 
            text = "there" 
        intervals [5]:
            xmin = 1.7 
            xmax = 2.5 
            text = "" 
'''

SHORT_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2.5
<exists>
2
"IntervalTier"
"speaker"
0
2.5
1
0
2.5
"hello there"
"IntervalTier"
"word tier"
0
2.5
3
0
0.4
"hello"
0.4
1.1
""
1.1
2.5
"there"
'''


def test_textgrid_long_format_picks_the_words_tier(tmp_path):
    path = tmp_path / "aligned.TextGrid"
    path.write_text(LONG_TEXTGRID)
    spans = load_transcript(path)
    assert words_of(spans) == ["he", "said", "hello", "there"]
    assert (spans[0].start, spans[2].end, spans[3].start, spans[3].end) == pytest.approx((0.3, 0.9, 1.2, 1.7))
    assert [s.end - s.start for s in spans[:3]] == pytest.approx([0.15, 0.15, 0.3])  # 1, 1, 2 syllables


def test_textgrid_short_format_and_utf16(tmp_path):
    path = tmp_path / "short.textgrid"
    path.write_text(SHORT_TEXTGRID, encoding="utf-16")  # as Praat writes non-ASCII grids
    spans = load_transcript(path)
    assert [(s.word, s.start, s.end) for s in spans] == [("hello", 0.0, 0.4), ("there", 1.1, 2.5)]


@pytest.mark.parametrize(
    "cut, replace, line, message",
    [
        (40, None, 40, "ends early"),
        (None, ("xmax = 0.9", "xmax = oops"), 40, "expected a number, found 'oops'"),
        (None, ("xmax = 1.7", "xmax = 1.1"), 47, "bad times"),
        (None, ("size = 3", "size = 3000"), 7, "bad number of tiers"),
        (None, ('class = "TextTier"', 'class = "PointTier"'), 20, "unknown tier class"),
        (None, ('"ooTextFile"', '"binary"'), 1, "not a Praat TextGrid"),
    ],
)
def test_malformed_textgrid_names_the_line(tmp_path, cut, replace, line, message):
    text = "\n".join(LONG_TEXTGRID.splitlines()[:cut]) if cut else LONG_TEXTGRID
    if replace:
        text = text.replace(*replace, 1)
    path = tmp_path / "bad.TextGrid"
    path.write_text(text)
    with pytest.raises(TranscriptError, match=message) as caught:
        load_transcript(path)
    assert caught.value.line == line


# ---------------------------------------------------------------- JSON

def test_json_list_and_whisper_layout(tmp_path):
    path = tmp_path / "words.json"
    path.write_text(json.dumps([{"word": "Hi,", "start": 0.5, "end": 0.7}, {"word": " there", "start": 0.1, "end": 0.4}]))
    assert [(s.word, s.start) for s in load_transcript(path)] == [("there", 0.1), ("hi", 0.5)]
    whisper = {"text": "x", "segments": [{"words": [{"word": " So", "start": 1, "end": 1.2}]},
                                         {"words": [{"word": " yes.", "start": 2, "end": 2.5}]}]}
    path.write_text(json.dumps(whisper))
    assert [(s.word, s.start, s.end) for s in load_transcript(path)] == [("so", 1.0, 1.2), ("yes", 2.0, 2.5)]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[{"word": "a", "start": 0, "end": 1},\n {"word": "b" "start": 1}]', r"words\.json:2: not valid JSON"),
        ('[{"word": "a", "start": 0}]', 'word 1: "end" must be a number'),
        ('[{"word": "a", "start": 0, "end": 1}, {"start": 0, "end": 1}]', 'word 2: needs a "word"'),
        ('[{"word": "a", "start": -1, "end": 1}]', "bad times"),
        ('[{"word": "a", "start": 2, "end": 1}]', "bad times"),
        ('[{"word": "a", "start": "0", "end": 1}]', "must be a number"),
        ('["a"]', "expected an object"),
        ('{"hello": 1}', "expected a list"),
    ],
)
def test_malformed_json(tmp_path, text, message):
    path = tmp_path / "words.json"
    path.write_text(text)
    with pytest.raises(TranscriptError, match=message):
        load_transcript(path)


# ---------------------------------------------------------------- plain text over the audio

def test_plain_text_is_spread_over_the_speech_of_real_recordings():
    for wav, text in librivox():
        samples = load_audio(wav)
        spans = load_transcript(text, audio=samples)
        check_valid(spans)
        assert words_of(spans) == text.split()
        regions = speech_regions(samples)
        for span in spans:  # every word lies inside one speech region
            assert any(start - 1e-9 <= span.start and span.end <= end + 1e-9 for start, end in regions)
        assert spans[0].start == pytest.approx(regions[0][0]) and spans[-1].end == pytest.approx(regions[-1][1])


def test_plain_text_file_with_audio_path(tmp_path):
    wav, text = librivox()[1]
    path = tmp_path / "words.txt"
    path.write_text(text.upper() + "\n")
    assert load_transcript(path, audio=wav) == align_plain_text_by_syllables(text, load_audio(wav))


def test_plain_text_over_espeak_speech_with_a_pause(tmp_path):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    parts = []
    for phrase in ("one two three", "four five six"):
        path = tmp_path / "phrase.wav"
        subprocess.run(["espeak-ng", "-w", str(path), phrase], check=True, capture_output=True)
        parts.append(load_audio(path))
    gap = np.zeros(SAMPLE_RATE, np.float32)
    samples = np.concatenate([parts[0], gap, parts[1]])
    spans = align_plain_text_by_syllables("One two three. Four five six.", samples)
    pause_start = len(parts[0]) / SAMPLE_RATE
    assert all(s.end <= pause_start + 0.05 for s in spans[:3])
    assert all(s.start >= pause_start + 1.0 - 0.05 for s in spans[3:])


def test_plain_text_needs_audio():
    with pytest.raises(TranscriptError, match="give the audio"):
        load_transcript("hello there")


def test_plain_text_over_silence_spreads_over_the_clip():
    spans = align_plain_text_by_syllables("a b", np.zeros(2 * SAMPLE_RATE, np.float32))
    assert [(s.start, s.end) for s in spans] == [(0.0, 1.0), (1.0, 2.0)]
    assert align_plain_text_by_syllables("", np.zeros(100, np.float32)) == []


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(TranscriptError, match="no such transcript file"):
        load_transcript(str(tmp_path / "missing.srt"))
    binary = tmp_path / "words.srt"
    sf.write(binary, np.zeros(100, np.float32), 16000, format="WAV")
    with pytest.raises(TranscriptError, match="binary file"):
        load_transcript(binary)


# ---------------------------------------------------------------- writers

@pytest.mark.parametrize("suffix", [".json", ".srt", ".vtt", ".TextGrid"])
def test_written_spans_read_back(tmp_path, suffix):
    spans = [WordSpan("look", 0.25, 0.5), WordSpan("don't", 0.5, 0.9), WordSpan("here", 1.4, 1.75)]
    path = tmp_path / f"words{suffix}"
    save_word_spans(path, spans)
    back = load_transcript(path)
    assert words_of(back) == words_of(spans)
    for got, want in zip(back, spans):
        assert got.start == pytest.approx(want.start, abs=5e-4) and got.end == pytest.approx(want.end, abs=5e-4)


def test_writer_refuses_unknown_suffix(tmp_path):
    with pytest.raises(TranscriptError, match="use .json"):
        save_word_spans(tmp_path / "words.docx", [WordSpan("a", 0, 1)])
