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

Timed words that start after the clip's end are left out, and the report says how many.

Recognition and alignment use the bundled English model only; for other languages give a
transcript with timings.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .audio import SAMPLE_RATE
from ..errors import TranscriptError
from .words import WordSpan

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
    Text to align may hold at most ``transcript_limits.most_words`` of the clip's length, checked before any
    alignment; timed words that start after the clip's end are dropped, and the report says how many.
    """
    from . import asr
    from . import transcript as tr
    from .alignment_process import align_words_aside
    from .transcript_limits import check_words_fit, most_words, refuse_word_count
    from .word_text import split_words

    samples = np.asarray(samples16k, dtype=np.float32)
    duration = len(samples) / SAMPLE_RATE
    if transcript is None:
        spans = asr.transcribe(samples, progress, cancel)
        report = WordsReport("recognised", words=len(spans))
        if not spans:
            report.notes.append("no English speech was recognised")
        return spans, report
    kind, text, source = tr.read_transcript(transcript)
    if kind == "text":
        check_words_fit(text, duration, source)
        words = split_words(text)
        if not words:
            raise TranscriptError(f"{source}: the transcript holds no words; give the text that is spoken, or no transcript to recognise it")
        result = align_words_aside(words, samples, progress, cancel)
        report = WordsReport("aligned text", words=len(words))
        _count(report, result.how)
        _note_long_tokens(report, words)
        return result.spans, report
    timed = tr.parse_timed(kind, text, source)
    inside = [span for span in timed if span.start < duration]
    if kind in ("textgrid", "json"):
        spans, report = inside, WordsReport("timed transcript", words=len(inside))
    else:
        if len(inside) > most_words(duration):
            refuse_word_count(len(inside), duration, source)
        spans, report = _refine_phrases(inside, samples, progress, cancel)
        _note_long_tokens(report, [span.word for span in spans])
    if len(inside) < len(timed):
        report.notes.append(f"left out {_plural(len(timed) - len(inside), 'word')} timed after the clip's end "
                            f"({duration:.1f} s)")
    return spans, report


def _note_long_tokens(report: WordsReport, words: list[str]) -> None:
    from .g2p import MAX_WORD_LETTERS, too_long

    count = sum(too_long(word) for word in words)
    if count:
        report.notes.append(f"{_plural(count, 'token')} over {MAX_WORD_LETTERS} characters long placed between "
                            f"neighbours without alignment (not {'a word' if count == 1 else 'words'})")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
    from .decoding import HOP, check_cancel

    total = len(samples) / SAMPLE_RATE
    report = WordsReport("aligned subtitles", words=len(spans))
    whole = asr.align_words([s.word for s in spans], samples, progress, cancel)
    out = list(spans)
    how = ["fallback"] * len(spans)
    groups = phrases(spans)
    realigned = 0
    decoder = None  # made once, for the phrases that need aligning alone
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
        if b - a < HOP * 5:  # the cue lies beyond the audio's end
            continue
        check_cancel(cancel)
        if decoder is None:
            decoder = asr.alignment_decoder()
        local = asr.align_words([spans[i].word for i in group], samples[a:b], cancel=cancel, decoder=decoder)
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
