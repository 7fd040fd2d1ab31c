"""`openhuman transcribe`: word timings of a voice clip, to inspect, correct and feed back with --transcript.

Without --text the English speech is recognised; with a plain-text transcript it is force-aligned;
with .srt/.vtt the cues are refined to words; .TextGrid/.json keep their own timings.
Only English is recognised by the bundled model.
"""
from __future__ import annotations

from pathlib import Path

from ..engine.errors import TranscriptError
from .progress import ProgressBar

NAME = "transcribe"
HELP = "Write the word timings of a voice clip (English recognition, or alignment of a given transcript)."
OUT_SUFFIXES = (".json", ".srt", ".vtt", ".textgrid")


def add_arguments(parser) -> None:
    parser.add_argument("--audio", required=True, help="the voice clip (WAV, FLAC, OGG, MP3)")
    parser.add_argument("--text", default=None,
                        help="its transcript: plain text to align, or .srt/.vtt/.TextGrid/.json with timings "
                             "(without it, the speech is recognised: English only; for other languages give "
                             "a transcript with timings)")
    parser.add_argument("--out", required=True, help="where to write the words: .json, .srt, .vtt or .TextGrid")


def run(args) -> int:
    from ..engine.speech.audio import load_audio
    from ..engine.output_check import check_output
    from ..engine.speech.transcript_writers import save_word_spans
    from ..engine.speech.words_from_speech import words_for_clip

    out = Path(args.out)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise TranscriptError(f"{out}: cannot write word timings as '{out.suffix or 'no suffix'}'; "
                              "name the output .json, .srt, .vtt or .TextGrid")
    if args.text is not None and Path(args.text).is_dir():
        raise TranscriptError(f"{args.text}: a folder, not a transcript file; give the transcript file itself")
    if args.text is not None and not Path(args.text).is_file():
        raise TranscriptError(f"{args.text}: no such transcript file")
    check_output(out, inputs=[args.audio, args.text])
    samples = load_audio(args.audio)
    bar = ProgressBar()
    stage = "aligning" if args.text else "recognising speech"
    try:
        spans, report = words_for_clip(samples, args.text, progress=lambda done, total: bar(done / total, stage))
    finally:
        bar.close()
    save_word_spans(out, spans)
    print(f"{out}: {report.summary()}")
    return 0
