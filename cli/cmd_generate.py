"""`openhuman generate`: a voice clip to motion (.bvh or .npz)."""
import json
from pathlib import Path

from ..engine.errors import OpenHumanError
from ..engine.diffusion.presets import DEFAULT_INTENSITY, PRECISIONS, QUALITY, SAMPLER_HELP, SAMPLER_NAMES

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
    p.add_argument("--quality", choices=list(QUALITY), default="standard",
                   help=f"draft (DPM-Solver++ SDE, {QUALITY['draft'][1]} steps, the intensity × "
                        f"{QUALITY['draft'][2]:g} as fewer steps need), standard (the same, {QUALITY['standard'][1]} steps; default) or reference "
                        "(DDPM, 1000 steps)")
    p.add_argument("--sampler", choices=SAMPLER_NAMES, help="a sampler instead of the quality's: " + SAMPLER_HELP)
    p.add_argument("--steps", type=int, help="sampler steps (default: the sampler's, see --sampler)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="the network's arithmetic on a CPU: auto (bfloat16 where the CPU multiplies it natively, "
                        "else float32; default), float32 or bfloat16")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--wavlm", metavar="DIR", help="WavLM model folder on this machine, for a model trained with WavLM "
                   "features (it says so when it needs one; never downloaded; needs transformers)")
    p.add_argument("--no-words-cache", action="store_true",
                   help="find the words again instead of reusing those found before for this clip and transcript")
    p.add_argument("--timings", help="also write how long each stage took (seconds, JSON) to this file")
    p.add_argument("--edit", metavar="OLD", help="an earlier result for this clip (.bvh or .npz): keep it, re-make --range")
    p.add_argument("--range", nargs=2, type=float, metavar=("START", "END"),
                   help="with --edit: the stretch to make anew, in seconds; every other frame stays as it was")
    p.add_argument("--start-pose", metavar="BVH", help="start on this file's last frame (continue a previous clip)")
    p.add_argument("--end-pose", metavar="BVH", help="end on this file's first frame (hand over to an animation)")
    p.add_argument("--body", choices=["full", "upper", "hands"], default="full",
                   help="what moves: full; upper (root and legs stay as they were, for seated or standing "
                        "characters with their own lower-body animation); hands (only arms and fingers)")
    p.add_argument("--lock-root", action="store_true",
                   help="keep the character on its spot: the root moves at most 2 cm from where it starts")
    p.add_argument("--listening", action="store_true",
                   help="the clip is the other speaker: a listener's idle (breathing, weight shifts, a nod at "
                        "some of their phrase ends) instead of speech gestures")
    p.add_argument("--takes", type=int, default=1, metavar="N",
                   help="write N variations (seeds --seed … --seed+N-1) as NAME_1 … NAME_N (default 1)")
    p.add_argument("--out", required=True, help="output .bvh (centimetres, like ZeroEGGs) or .npz")


def run(args) -> int:
    from ..engine.api import generate
    from ..engine.settings import SETTINGS, options_from_settings
    from ..engine.speech.words_cache import MemoryWordsCache, WordsCache
    from ..engine.atomic_file import write_text
    from . import STARTED
    from .progress import ProgressBar, StageTimes

    out = Path(args.out)
    if out.suffix.lower() not in (".bvh", ".npz"):
        raise OpenHumanError(f"--out must end in .bvh or .npz, got {out.name!r}")
    if not 1 <= args.takes <= 100:
        raise OpenHumanError(f"--takes must be between 1 and 100, got {args.takes}")
    outs = [out] if args.takes == 1 else [out.with_name(f"{out.stem}_{k}{out.suffix}") for k in range(1, args.takes + 1)]
    constraints = _constraints(args, outs)
    options = options_from_settings({name: getattr(args, name) for name in SETTINGS if hasattr(args, name)})
    cache = MemoryWordsCache() if args.no_words_cache else WordsCache()  # takes share one search for words
    # A --transcript is always a file (a missing one is an error, not text to align).
    transcript = Path(args.transcript) if args.transcript else args.text
    for k, path in enumerate(outs):
        options.seed = args.seed + k
        bar = ProgressBar()
        clock = StageTimes(bar, origin=STARTED)
        try:
            result = generate(args.audio, transcript, options, progress=clock, words_cache=cache,
                              constraints=constraints)
        finally:
            bar.close()
        clock.mark("writing")
        kept = _save(path, result.motion, options, args, constraints)
        clock.mark("written")
        if args.timings and k == 0:
            write_text(args.timings, json.dumps(clock.seconds(), indent=1))
        print(f"wrote {path} ({result.motion.n_frames} frames at {result.motion.fps:g} fps; "
              f"{result.info.get('words') or str(len(result.words)) + ' words'}{kept})")
    return 0


def _constraints(args, outs):
    """The directing constraints of the command line, the files checked first."""
    from ..engine.directing import Constraints
    from ..engine.motion.motion_io import load_motion
    from ..engine.output_check import check_output

    if (args.edit is None) != (args.range is None):
        raise OpenHumanError("--edit FILE and --range START END go together: the earlier result and the stretch "
                             "to make anew")
    inputs = [args.audio, args.transcript, args.model, args.edit, args.start_pose, args.end_pose]
    for path in outs:
        check_output(path, inputs=inputs)
    if args.edit and Path(args.edit).suffix.lower() != Path(args.out).suffix.lower():
        raise OpenHumanError("--edit and --out must be the same kind of file (.bvh or .npz)")

    def load(path, what):
        if not path:
            return None
        if not Path(path).is_file():
            raise OpenHumanError(f"{what} {path}: no such file")
        return load_motion(path)
    return Constraints(edit=load(args.edit, "--edit"), edit_range=tuple(args.range) if args.range else None,
                       start_pose=load(args.start_pose, "--start-pose"), end_pose=load(args.end_pose, "--end-pose"),
                       body=args.body, lock_root=args.lock_root)


def _save(path: Path, motion, options, args, constraints) -> str:
    """Write the result; with --edit into a BVH, frames outside --range keep the old file's bytes."""
    from ..engine.directing import remade_frames
    from ..engine.motion.motion_io import save_edited_bvh, save_motion

    if constraints.edit is not None and path.suffix.lower() == ".bvh":
        remade = remade_frames(constraints.edit_range, motion.n_frames, motion.fps)
        if save_edited_bvh(path, motion, args.edit, remade):
            return f"; frames outside {args.range[0]:g}-{args.range[1]:g} s kept byte for byte"
        return "; the edited file was written anew (its hierarchy or frame rate differs from OpenHuman's)"
    save_motion(path, motion, settings={"audio": str(args.audio), **options.to_dict()})
    return ""
