"""Transcripts in, word spans out: plain text, SubRip, WebVTT, Praat TextGrid and JSON word lists.

Every format becomes a list of :class:`WordSpan`, sorted by start time, with words normalised by
``word_text.normalise_word``. Each format's rules are in the module that reads it: ``captions``
(SubRip and WebVTT), ``textgrid`` (Praat TextGrid) and ``json_words`` (JSON word lists);
``transcript_files`` reads and recognises the files, ``transcript_limits`` holds the bounds and the
error, and ``transcript_writers`` writes word spans back out.

Plain text has no timings: :func:`align_plain_text_by_syllables` spreads the words over the speech
regions of the audio (see ``audio.speech_regions``) in proportion to syllables. When the audio holds
no speech at all, the words spread over the whole clip.

Malformed files raise :class:`TranscriptError` naming the file and line; nothing else escapes,
whatever the bytes.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .captions import parse_srt, parse_vtt
from .json_words import parse_json_words
from .textgrid import parse_textgrid
from .transcript_files import kind_from_suffix, looks_like_path, read_text, sniff
from .transcript_limits import check_words_fit, transcript_error
from .word_text import count_syllables, split_words
from .words import WordSpan


def load_transcript(path_or_text, audio=None) -> list[WordSpan]:
    """Word spans from a transcript file (by suffix or content) or from a string holding one.

    ``audio`` (16 kHz samples, or an audio file path) is needed only for plain text, which carries
    no timings. A string that is not an existing file is read as transcript content.
    """
    kind, text, source = read_transcript(path_or_text)
    if kind == "text":
        if audio is None:
            raise transcript_error(
                "plain text carries no timings; give the audio clip too so the words can be placed over "
                "the speech (or use an .srt, .vtt, .TextGrid or .json transcript)", None, source,
            )
        from .audio import SAMPLE_RATE

        samples = _audio_samples(audio)
        check_words_fit(text, len(samples) / SAMPLE_RATE, source)
        return align_plain_text_by_syllables(text, samples)
    return parse_timed(kind, text, source)


def read_transcript(path_or_text) -> tuple[str, str, str]:
    """(kind, text, source) of a transcript file or transcript content; kind is "text", "srt", "vtt",
    "textgrid" or "json" (by the file's suffix, else sniffed from the content)."""
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and looks_like_path(path_or_text)
    ):
        path = Path(path_or_text)
        if not path.is_file():
            if path.is_dir():
                raise transcript_error("a folder, not a transcript file; give the transcript file itself", None, path)
            raise transcript_error("no such transcript file", None, path)
        text = read_text(path)
        return kind_from_suffix(path) or sniff(text), text, str(path)
    text = str(path_or_text)
    return sniff(text), text, "<transcript text>"


def parse_timed(kind: str, text: str, source) -> list[WordSpan]:
    """Word spans of a transcript with timings, by its kind (see read_transcript)."""
    parser = {"srt": parse_srt, "vtt": parse_vtt, "textgrid": parse_textgrid, "json": parse_json_words}[kind]
    return parser(text, source)


def align_plain_text_by_syllables(text: str, samples16k: np.ndarray) -> list[WordSpan]:
    """Spread the words of ``text`` over the speech in the audio, proportionally to syllables.

    The fallback aligner: words never straddle a pause; a word whose share crosses one is kept to
    the side holding most of it. No speech at all: the words share the whole clip.
    """
    from .audio import SAMPLE_RATE, speech_regions

    samples = np.asarray(samples16k, dtype=np.float32)
    words = split_words(text)
    duration = len(samples) / SAMPLE_RATE
    if not words or duration <= 0:
        return []
    regions = speech_regions(samples) or [(0.0, duration)]
    starts = np.array([start for start, _ in regions])
    lengths = np.array([end - start for start, end in regions])
    ends_on_line = np.cumsum(lengths)  # each region's end on the line of speech time
    begins_on_line = ends_on_line - lengths
    weights = np.array([count_syllables(word) for word in words], dtype=np.float64)
    bounds = ends_on_line[-1] * np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    spans = []
    for i, word in enumerate(words):
        u0, u1 = bounds[i], bounds[i + 1]
        first = min(int(np.searchsorted(ends_on_line, u0, side="right")), len(regions) - 1)
        last = min(int(np.searchsorted(ends_on_line, u1, side="left")), len(regions) - 1)
        if first != last:  # crosses a pause: keep the region with the largest share
            shares = [
                min(u1, ends_on_line[r]) - max(u0, begins_on_line[r]) for r in range(first, last + 1)
            ]
            first = last = first + int(np.argmax(shares))
        region_start, region_end = begins_on_line[first], ends_on_line[first]
        start = starts[first] + max(u0, region_start) - region_start
        end = starts[first] + min(u1, region_end) - region_start
        spans.append(WordSpan(word, float(start), float(max(end, start))))
    return spans


def _audio_samples(audio) -> np.ndarray:
    if isinstance(audio, (str, os.PathLike)):
        from .audio import load_audio

        return load_audio(audio)
    return np.asarray(audio, dtype=np.float32)
