"""Offline English speech recognition and forced alignment with the pocketsphinx wheel.

The wheel carries an en-us acoustic model, dictionary and language model, so nothing is
downloaded. Other languages are NOT supported by this bundled recogniser: for them, give a
transcript with timings (SRT, VTT, TextGrid, JSON).

Both entry points take mono float32 samples at 16 kHz and return WordSpans in seconds; the
decoder works on 10 ms frames, so times fall on a 100-per-second grid.

Long clips are decoded in segments of at most ``max_segment_s``, cut in pauses, so the
decoder's memory stays bounded and progress can be reported between segments. Alignment walks
the clip with a grammar that may stop after any word, so a segment takes exactly the words
spoken in it; a word that touches the cut is left to the next segment, which starts right after
the last word kept. On the LibriVox clips this lands within 30 ms of aligning the whole clip at once.
Where the decoder fails (the text does not follow the audio: noise, music, a wrong transcript), the
segment is retried once with twice the audio; failing again, that stretch takes its share of the
remaining words (by speech time) timed by syllables, and the next stretch starts long at once. So
every frame is decoded a bounded number of times: the work grows linearly with the clip, not with
its square.

``progress(done_s, total_s)`` is called after each segment and ``cancel()`` (or
``cancel.is_set()`` for a threading.Event) is checked before each decoder run, so a caller can run
these functions off the main thread. pocketsphinx is imported only inside functions.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .decoding import FRAME_RATE, HOP, PauseCutter, cancelled, check_cancel, decode, pcm16, split_at_pauses
from ..errors import Cancelled
from .recognition_processes import can_spawn, recognise_parts
from .words import WordSpan

TRANSCRIBE_SEGMENT_S = 15.0
RECOGNITION_WORKERS = min(4, os.cpu_count() or 1)  # processes side by side on a long clip
ALIGN_SEGMENT_S = 30.0
_FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"}
_TOUCH_FRAMES = 3  # a word ending this close to a cut may have been cut
_OOV_NAMES = itertools.count()
_STRETCH_SEGMENTS = 2  # a segment the decoder fails on is retried with more audio up to this many lengths


@dataclass
class Alignment:
    """Word spans of a forced alignment and how each word got its times.

    ``how[i]`` is "dictionary" (aligned with its dictionary pronunciation), "g2p" (aligned with a
    generated pronunciation), "spread" (no pronunciation: placed in its neighbours' gap) or
    "fallback" (the decoder failed on that stretch: syllable-proportional times).
    """

    spans: list[WordSpan]
    how: list[str]
    segments: list[tuple[float, float]] = field(default_factory=list)
    decoded_s: float = 0.0  # seconds of audio the decoder searched, retries included: the work done

    def count(self, how: str) -> int:
        return sum(1 for h in self.how if h == how)


# ---------------------------------------------------------------- decoder

# Recognition's search settings (pocketsphinx's defaults unless listed), from
# `python -m openhuman.training.asr_settings_study` on the real LibriVox and an4 clips: without the
# second (flat) pass and the lattice rescoring, at most 2000 HMMs per frame, recognition takes 0.087
# CPU s per audio s instead of 0.20–0.27 with WER 0.196 instead of 0.217 (92 words). The slightly
# faster 1500 HMMs (0.085, WER 0.228) is within this machine's timing noise and loses words.
RECOGNISER_SETTINGS: dict = {"fwdflat": False, "bestpath": False, "maxhmmpf": 2000}


def _new_decoder(language_model: bool, **settings):
    from pocketsphinx import Decoder

    if language_model:
        return Decoder(loglevel="FATAL", **{**RECOGNISER_SETTINGS, **settings})
    return Decoder(loglevel="FATAL", lm=None)  # alignment needs no language model: loads 3x faster


def recognition_decoder(**settings):
    """A decoder for ``transcribe``: RECOGNISER_SETTINGS, overridden by ``settings``."""
    return _new_decoder(language_model=True, **settings)


def _base_word(name: str) -> str:
    return name.split("(", 1)[0] if name.endswith(")") else name


def _span(word: str, first: int, last: int) -> WordSpan:
    return WordSpan(word, first / FRAME_RATE, (last + 1) / FRAME_RATE)


def _may_be_cut(found: list, end: int, at_pause: bool) -> bool:
    """Whether the last of several words found before a cut at frame ``end`` should be decoded again."""
    return len(found) >= 2 and (not at_pause or found[-1][-1] >= end - _TOUCH_FRAMES)


# ---------------------------------------------------------------- recognition

def transcribe(samples16k, progress: Callable[[float, float], None] | None = None, cancel=None,
               max_segment_s: float = TRANSCRIBE_SEGMENT_S, decoder=None,
               workers: int = RECOGNITION_WORKERS) -> list[WordSpan]:
    """Recognise English speech: the words heard and when, lower-case as in the CMU dictionary.

    ``decoder``: one from ``recognition_decoder()`` to reuse (loading one takes about half a second).
    Without one, a long clip is split at pauses into up to ``workers`` parts (each at least
    ``max_segment_s`` long), recognised side by side in their own processes where that is possible
    (see recognition_processes); the words are the same as one decoder's up to the cuts.
    """
    pcm = pcm16(samples16k)
    total = len(pcm) / SAMPLE_RATE
    cutter = PauseCutter(samples16k, max_segment_s)
    alone = decoder is not None or workers < 2 or not can_spawn()
    parts = [(0, cutter.n_frames)] if alone else split_at_pauses(cutter, workers, max_segment_s)
    if len(parts) == 1:
        return _recognise(pcm, cutter, *parts[0], decoder or recognition_decoder(), progress, cancel)
    return recognise_parts(pcm, cutter, parts, progress, cancel)


def recognise_part(pcm, cutter: PauseCutter, start: int, stop: int, progress) -> list[WordSpan]:
    """The words of frames start..stop of a clip, in a child process of ``recognise_parts``."""
    return _recognise(pcm, cutter, start, stop, recognition_decoder(), progress, None)


def _recognise(pcm, cutter: PauseCutter, start: int, stop: int, decoder, progress, cancel) -> list[WordSpan]:
    """The words heard in frames start..stop, segment by segment (cut in pauses)."""
    spans: list[WordSpan] = []
    while start < stop:
        if cancelled(cancel):
            raise Cancelled("transcription cancelled")
        end, at_pause = cutter.next_cut(start, stop)
        heard = [(w, f, l) for w, f, l in decode(decoder, pcm[start * HOP:end * HOP], start) or () if w not in _FILLERS]
        if end < stop and _may_be_cut(heard, end, at_pause):
            end = heard.pop()[1]  # the cut may have split the last word: hear it again in the next segment
        spans += [_span(_base_word(word), first, last) for word, first, last in heard]
        start = end
        if progress is not None:
            progress(min(end * HOP, len(pcm)) / SAMPLE_RATE, len(pcm) / SAMPLE_RATE)
    return spans


# ---------------------------------------------------------------- forced alignment

def align_text(text: str, samples16k, progress=None, cancel=None,
               max_segment_s: float = ALIGN_SEGMENT_S) -> list[WordSpan]:
    """Force-align a known English text to speech: one span per word of ``word_text.split_words(text)``."""
    from .word_text import split_words

    return align_words(split_words(text), samples16k, progress, cancel, max_segment_s).spans


def align_words(words: Sequence[str], samples16k, progress=None, cancel=None,
                max_segment_s: float = ALIGN_SEGMENT_S, decoder=None) -> Alignment:
    """Force-align a word list; every word gets a span (see Alignment.how for how it was timed).

    ``decoder``: one from ``alignment_decoder()`` to reuse across many short alignments (loading one takes 0.1 s).
    """
    pcm = pcm16(samples16k)
    total = len(pcm) / SAMPLE_RATE
    words = list(words)
    if not words:
        return Alignment([], [], [])
    decoder = alignment_decoder() if decoder is None else decoder
    entries, how = _dictionary_entries(decoder, words, cancel)
    times: list[tuple[int, int] | None] = [None] * len(words)
    cutter = PauseCutter(samples16k, max_segment_s)
    speech_s = max(cutter.speech_s, 1.0)
    words_per_s = max(len(entries) / speech_s, 1.0)
    longest = _STRETCH_SEGMENTS * cutter.max_frames
    segments = []
    done = start = 0
    lost = False  # whether the decoder failed on the stretch before
    decoded: list[float] = []  # seconds of each decoder run
    while done < len(entries):
        check_cancel(cancel)
        remaining = entries[done:]
        end, at_pause = cutter.next_cut(start)
        if lost:  # audio the text does not follow (noise, music) goes on: try the longest stretch at once
            end, at_pause = _longer(cutter, start, end, longest)
        while True:
            last = end >= cutter.n_frames
            found = _align_segment(decoder, pcm, start, end, remaining, last, words_per_s, cancel, decoded)
            if found is not None or last or end - start >= longest:
                break
            end, at_pause = _longer(cutter, start, end, longest)  # the decoder lost its way: retry with more audio
        lost = found is None
        if lost:  # the text does not follow the audio here: its share of the words, by syllables
            share = remaining if last else remaining[:cutter.share(start, end, len(remaining))]
            found = _syllable_frames([words[i] for i, _ in share], samples16k[start * HOP:end * HOP], start)
            for i, _ in share:
                how[i] = "fallback"
        elif not last and found:
            if _may_be_cut(found, end, at_pause):
                found.pop()  # the cut may have split this word: align it again in the next segment
            end = found[-1][1] + 1  # the next segment starts right after the last word kept
        for (i, _), frames in zip(remaining, found):
            times[i] = frames
        done += len(found)
        segments.append((start * HOP / SAMPLE_RATE, min(end * HOP, len(pcm)) / SAMPLE_RATE))
        start = end
        if progress is not None:
            progress(segments[-1][1], total)
    _spread_unplaced(times, cutter.n_frames)
    spans = [WordSpan(w, first / FRAME_RATE, (last + 1) / FRAME_RATE) for w, (first, last) in zip(words, times)]
    return Alignment(spans, how, segments, sum(decoded))


def alignment_decoder():
    """A decoder for ``align_words`` (no language model)."""
    return _new_decoder(language_model=False)


def _longer(cutter: PauseCutter, start: int, end: int, longest: int) -> tuple[int, bool]:
    """The end of a stretch from ``start`` about twice as long as start..end (at most ``longest``)."""
    goal = min(2 * (end - start), longest)
    at_pause = True
    while end < cutter.n_frames and end - start < goal:
        end, at_pause = cutter.next_cut(end)
    return end, at_pause


def _dictionary_entries(decoder, words: list[str], cancel=None) -> tuple[list[tuple[int, str]], list[str]]:
    """(word index, decoder word) for every pronounceable word, adding generated pronunciations; and how each is known."""
    from .g2p import pronounce

    entries, how = [], []
    for i, word in enumerate(words):
        if i % 1000 == 999:
            check_cancel(cancel)
        key = word.lower().replace("\u2019", "'")
        # The decoder's own dictionary is the lexicon's file: asking it spares reading the whole lexicon
        # (0.2 s, most of a short clip's alignment) unless a word needs a generated pronunciation.
        known = not key.endswith(")") and decoder.lookup_word(key) is not None
        phones = None if known else pronounce(word)
        if known:
            entries.append((i, key))
            how.append("dictionary")
        elif phones:
            name = f"_oov{next(_OOV_NAMES)}_"  # cannot clash with a dictionary word, a filler or an earlier one
            decoder.add_word(name, " ".join(phones), False)
            entries.append((i, name))
            how.append("g2p")
        else:
            how.append("spread")
    return entries, how


def _align_segment(decoder, pcm, start, end, remaining, must_finish, words_per_s, cancel=None, decoded=None):
    """Align the next words to frames start..end: frame ranges of the words spoken there, or None."""
    from .transcript_limits import most_words

    seconds = (end - start) / FRAME_RATE
    if must_finish and len(remaining) > most_words(seconds):
        return None  # nobody says that many words in so little time: no need to search
    window = len(remaining) if must_finish else min(len(remaining), int(2 * words_per_s * seconds) + 20)
    while True:
        check_cancel(cancel)
        names = [name for _, name in remaining[:window]]
        decoder.add_fsg("align", _grammar(decoder, names, free_exit=not must_finish))
        decoder.activate_search("align")
        segs = decode(decoder, pcm[start * HOP:end * HOP], start)
        if decoded is not None:
            decoded.append(seconds)
        if segs is None:
            return None
        found = [(first, last) for word, first, last in segs if word not in _FILLERS]
        if must_finish and len(found) < window:
            return None  # the best path never reached the end of the text: a partial hypothesis
        if len(found) == window < len(remaining):  # it used every word offered: offer more
            window = min(len(remaining), 2 * window)
            continue
        return found


def _grammar(decoder, names: list[str], free_exit: bool):
    """A linear word grammar; with free_exit it may end after any word (so a segment takes what it holds)."""
    n = len(names)
    final = n + 1
    transitions = [(i, i + 1, 1.0, name) for i, name in enumerate(names)]
    for state in (range(n + 1) if free_exit else (n,)):
        # the explicit silence lets the segment end in a pause; the filler loops alone do not reach the end state
        transitions += [(state, final, 1.0), (state, final, 1.0, "<sil>")]
    return decoder.create_fsg("align", 0, final, transitions)


def _syllable_frames(words: list[str], samples16k, first_frame: int) -> list[tuple[int, int]]:
    """Frame ranges from the syllable-proportional fallback of transcript.py, over one stretch."""
    from .transcript import align_plain_text_by_syllables
    from .word_text import count_syllables

    spans = align_plain_text_by_syllables(" ".join(words), samples16k)
    if len(spans) == len(words):
        edges = [(s.start, s.end) for s in spans]
    else:  # its word splitting differs from these words': share the whole stretch by syllables instead
        cut = np.cumsum([0] + [count_syllables(w) for w in words], dtype=np.float64)
        cut *= len(samples16k) / SAMPLE_RATE / cut[-1]
        edges = list(zip(cut[:-1], cut[1:]))
    frames = []
    for start, end in edges:
        first = first_frame + int(round(start * FRAME_RATE))
        frames.append((first, max(first, first_frame + int(round(end * FRAME_RATE)) - 1)))
    return frames


def _spread_unplaced(times: list, n_frames: int) -> None:
    """Give each run of untimed words an equal share of the gap between its timed neighbours.

    Where that gap is shorter than 10 frames per word, the run also takes the later half of the
    word before and the earlier half of the word after, so nothing overlaps and nothing is dropped.
    """
    i = 0
    while i < len(times):
        if times[i] is not None:
            i += 1
            continue
        j = i
        while j < len(times) and times[j] is None:
            j += 1
        count = j - i
        prev = times[i - 1] if i > 0 else None
        nxt = times[j] if j < len(times) else None
        lo = prev[1] + 1 if prev else 0
        hi = nxt[0] if nxt else n_frames
        if hi - lo < 10 * count:
            if prev and prev[1] > prev[0]:
                mid = (prev[0] + prev[1] + 1) // 2
                times[i - 1] = (prev[0], mid - 1)
                lo = mid
            if nxt and nxt[1] > nxt[0]:
                mid = (nxt[0] + nxt[1] + 1) // 2
                times[j] = (mid, nxt[1])
                hi = mid
        hi = max(hi, lo + count)  # even a gapless spot gives each word one frame
        edges = np.linspace(lo, hi, count + 1)
        for k in range(count):
            first = int(round(edges[k]))
            times[i + k] = (first, max(first, int(round(edges[k + 1])) - 1))
        i = j
