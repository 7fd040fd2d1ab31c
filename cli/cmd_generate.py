"""`openhuman generate`: a voice clip to motion (.bvh or .npz)."""
import json
from pathlib import Path

from ..engine.errors import OpenHumanError
from ..engine.quality import DEFAULT_INTENSITY, DEFAULT_SAMPLER, SAMPLER_HELP, SAMPLER_NAMES

NAME = "generate"
HELP = "Generate co-speech gestures for a voice clip and save them as BVH or NPZ."


def add_arguments(p):
    p.add_argument("--audio", required=True, help="voice clip (WAV, FLAC, OGG, MP3…)")
    text = p.add_mutually_exclusive_group()
    text.add_argument("--transcript", help="transcript file: .txt, .srt, .vtt, .TextGrid or .json word timings")
    text.add_argument("--text", help="what is said, as plain text (aligned to the audio)")
    p.add_argument("--emotion", default="Neutral", help="emotion A (default: Neutral)")
    p.add_argument("--emotion-b", help="emotion B: blend A and B with --gamma")
    p.add_argument("--gamma", type=float, default=1.0,
                   help="with --emotion-b: 1 = A, 0 = B; alone: a factor on --intensity (default 1)")
    p.add_argument("--intensity", type=float, default=DEFAULT_INTENSITY,
                   help=f"guidance strength: 1 is plain conditioning, more shows the emotion more strongly "
                        f"(default {DEFAULT_INTENSITY:g})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=["model", "procedural"], default="model")
    p.add_argument("--sampler", choices=SAMPLER_NAMES, default=DEFAULT_SAMPLER, help=SAMPLER_HELP)
    p.add_argument("--steps", type=int, help="sampler steps (default: the sampler's, see --sampler)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--no-words-cache", action="store_true",
                   help="find the words again instead of reusing those found before for this clip and transcript")
    p.add_argument("--timings", help="also write how long each stage took (seconds, JSON) to this file")
    p.add_argument("--out", required=True, help="output .bvh (centimetres, like ZeroEGGs) or .npz")


def run(args) -> int:
    from ..engine.api import GenerateOptions, generate
    from ..engine.motion_io import save_motion
    from ..engine.output_check import check_output
    from ..engine.words_cache import WordsCache
    from ..engine.atomic_file import write_text
    from . import STARTED
    from .progress import ProgressBar, StageTimes

    out = Path(args.out)
    if out.suffix.lower() not in (".bvh", ".npz"):
        raise OpenHumanError(f"--out must end in .bvh or .npz, got {out.name!r}")
    check_output(out, inputs=[args.audio, args.transcript, args.model])
    options = GenerateOptions(emotion=args.emotion, emotion_b=args.emotion_b, gamma=args.gamma,
                              intensity=args.intensity, seed=args.seed, method=args.method, sampler=args.sampler,
                              steps=args.steps, device=args.device, model=args.model)
    bar = ProgressBar()
    clock = StageTimes(bar, origin=STARTED)
    try:
        cache = None if args.no_words_cache else WordsCache()
        # A --transcript is always a file (a missing one is an error, not text to align).
        transcript = Path(args.transcript) if args.transcript else args.text
        result = generate(args.audio, transcript, options, progress=clock, words_cache=cache)
    finally:
        bar.close()
    clock.mark("writing")
    save_motion(out, result.motion, settings={"audio": str(args.audio), **options.to_dict()})
    clock.mark("written")
    if args.timings:
        write_text(args.timings, json.dumps(clock.seconds(), indent=1))
    print(f"wrote {out} ({result.motion.n_frames} frames at {result.motion.fps:g} fps; "
          f"{result.info.get('words') or str(len(result.words)) + ' words'})")
    return 0
