"""Word timings for a clip from whatever the user has: nothing, a plain text, or a timed transcript.

- No transcript: the speech is recognised (``asr.transcribe``).
- Plain text: it is force-aligned to the speech (``asr.align_words``); a stretch where the decoder
  fails falls back to syllable-proportional timing, and words without a pronunciation are spread
  over their neighbours' gap: no word is dropped.
- SubRip / WebVTT: their cues give phrase timings (cues that touch form one phrase), refined to
  words by alignment: the whole text is aligned, and a phrase whose words stray from its cue is
  aligned again inside the cue. Words the decoder cannot place keep the subtitle's
  syllable-proportional timing.
- TextGrid / JSON word lists: their own timings, untouched.

Recognition and alignment use the bundled English model only; for other languages give a
transcript with timings.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import TranscriptError
from .words import WordSpan

SAMPLE_RATE = 16000
PHRASE_PAD_S = 0.5
CUE_TOLERANCE_S = 1.0  # subtitle cues are often this far off the speech


@dataclass
class WordsReport:
    """How the words of a clip were obtained, for the CLI's summary and the add-on's panel."""

    source: str  # "recognised", "aligned text", "aligned subtitles" or "timed transcript"
    words: int = 0
    aligned: int = 0  # timed by the decoder (dictionary or generated pronunciation)
    generated_pronunciations: int = 0
    spread: int = 0  # no pronunciation: placed in the neighbours' gap
    fallback: int = 0  # the decoder failed there: syllable-proportional (or the subtitle's) timing
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.words} words ({self.source})"
        if self.source in ("aligned text", "aligned subtitles"):
            text += f": {self.aligned} aligned"
            if self.generated_pronunciations:
                text += f" ({self.generated_pronunciations} with generated pronunciations)"
            if self.fallback:
                text += f", {self.fallback} timed by syllables where alignment failed"
            if self.spread:
                text += f", {self.spread} without pronunciation placed between neighbours"
        return "; ".join([text] + self.notes)

    def to_dict(self) -> dict:
        return asdict(self)


def words_for_clip(samples16k, transcript=None, progress=None, cancel=None) -> tuple[list[WordSpan], WordsReport]:
    """(word spans, report) for a clip; ``transcript`` is None, a transcript file path, or transcript text.

    ``progress(done_s, total_s)`` and ``cancel()`` are passed to the recogniser / aligner (see asr).
    """
    from . import asr

    samples = np.asarray(samples16k, dtype=np.float32)
    if transcript is None:
        spans = asr.transcribe(samples, progress, cancel)
        report = WordsReport("recognised", words=len(spans))
        if not spans:
            report.notes.append("no English speech was recognised")
        return spans, report
    kind, text, source = _read_transcript(transcript)
    if kind == "text":
        from .transcript import split_words

        words = split_words(text)
        if not words:
            raise TranscriptError(f"{source}: the transcript holds no words; give the text that is spoken, or no transcript to recognise it")
        result = asr.align_words(words, samples, progress, cancel)
        report = WordsReport("aligned text", words=len(words))
        _count(report, result.how)
        return result.spans, report
    from .transcript import parse_json_words, parse_srt, parse_textgrid, parse_vtt

    parser = {"srt": parse_srt, "vtt": parse_vtt, "textgrid": parse_textgrid, "json": parse_json_words}[kind]
    spans = parser(text, source)
    if kind in ("textgrid", "json"):
        return spans, WordsReport("timed transcript", words=len(spans))
    return _refine_phrases(spans, samples, progress, cancel)


def _count(report: WordsReport, how: list[str]) -> None:
    report.aligned += sum(h in ("dictionary", "g2p") for h in how)
    report.generated_pronunciations += how.count("g2p")
    report.spread += how.count("spread")
    report.fallback += how.count("fallback")


def phrases(spans: list[WordSpan]) -> list[list[int]]:
    """Indices of the words in each phrase: a run of words whose spans touch (as subtitle parsers spread a cue)."""
    groups: list[list[int]] = []
    for i, span in enumerate(spans):
        if groups and span.start <= spans[groups[-1][-1]].end:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _refine_phrases(spans, samples, progress, cancel) -> tuple[list[WordSpan], WordsReport]:
    """Subtitle words timed by aligning the whole text, phrase by phrase checked against its cue.

    A phrase whose aligned words stray more than CUE_TOLERANCE_S outside its cue (the text skips
    speech, or the alignment drifted) is aligned again alone inside its cue; words still unplaced
    keep the subtitle's own syllable-proportional timing.
    """
    from . import asr

    total = len(samples) / SAMPLE_RATE
    report = WordsReport("aligned subtitles", words=len(spans))
    whole = asr.align_words([s.word for s in spans], samples, progress, cancel)
    out = list(spans)
    how = ["fallback"] * len(spans)
    groups = phrases(spans)
    realigned = 0
    for g, group in enumerate(groups):
        cue = (spans[group[0]].start, max(spans[i].end for i in group))
        if all(whole.how[i] != "fallback" and _inside(whole.spans[i], cue) for i in group):
            for i in group:
                out[i], how[i] = whole.spans[i], whole.how[i]
            continue
        realigned += 1
        before = spans[groups[g - 1][-1]].end if g else 0.0
        after = spans[groups[g + 1][0]].start if g + 1 < len(groups) else total
        lo = max(0.0, cue[0] - min(PHRASE_PAD_S, max(cue[0] - before, 0.0) / 2))
        hi = min(total, cue[1] + min(PHRASE_PAD_S, max(after - cue[1], 0.0) / 2))
        a, b = int(lo * SAMPLE_RATE), int(hi * SAMPLE_RATE)
        if b - a < asr.HOP * 5:  # the cue lies beyond the audio's end
            continue
        if asr._cancelled(cancel):
            raise asr.Cancelled("alignment cancelled")
        local = asr.align_words([spans[i].word for i in group], samples[a:b])
        for i, span, h in zip(group, local.spans, local.how):
            moved = WordSpan(span.word, span.start + a / SAMPLE_RATE, span.end + a / SAMPLE_RATE)
            if h != "fallback" and _inside(moved, cue):
                out[i], how[i] = moved, h
    _count(report, how)
    if realigned:
        report.notes.append(f"{realigned} of {len(groups)} phrases strayed from their cues and were aligned alone")
    return sorted(out, key=lambda s: (s.start, s.end)), report


def _inside(span: WordSpan, cue: tuple[float, float]) -> bool:
    return cue[0] - CUE_TOLERANCE_S <= span.start and span.end <= cue[1] + CUE_TOLERANCE_S


def _read_transcript(transcript) -> tuple[str, str, str]:
    """(kind, text, source) of a transcript path or content; kind as transcript.py sniffs it."""
    from . import transcript as tr

    if isinstance(transcript, os.PathLike) or (isinstance(transcript, str) and tr._looks_like_path(transcript)):
        path = Path(transcript)
        if not path.is_file():
            raise TranscriptError(f"{path}: no such transcript file")
        text = tr._read_text(path)
        return tr._kind_from_suffix(path) or tr._sniff(text), text, str(path)
    text = str(transcript)
    return tr._sniff(text), text, "<transcript text>"
