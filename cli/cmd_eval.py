"""`openhuman eval`: measure a model (and the baselines) on a dataset's test split (training/evaluation)."""
import json
from pathlib import Path

from ..engine.diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER, PRECISIONS, SAMPLER_NAMES

NAME = "eval"
HELP = "Evaluate a model on a dataset's test split: FGD, beat consistency, diversity, emotion, γ, semantics, physics."


def add_arguments(p):
    p.add_argument("--data", help="dataset folder (from `openhuman data synth` or `openhuman data zeggs`)")
    p.add_argument("--real-speech", nargs="+", metavar="DIR",
                   help="instead of a dataset: folders of real speech recordings (WAV; a BVH of the same name is "
                        "its capture; a Sphinx transcription joins short clips into a reading). Model, procedural "
                        "synthesiser and captures side by side: correlation with the voice, rest in pauses, kinematics")
    p.add_argument("--neutral-only", action="store_true", help="with --real-speech: skip the other five emotions")
    p.add_argument("--model", help="model file to evaluate (without it: the baselines only)")
    p.add_argument("--out", help="folder for eval.json and the plots (PNG)")
    p.add_argument("--windows", type=int, help="test segments (two model windows each) for the main metrics (default 96)")
    p.add_argument("--quick", action="store_true", help="few segments and windows everywhere (for CI)")
    p.add_argument("--split", help="dataset split to evaluate on (default test)")
    p.add_argument("--segment-frames", type=int,
                   help="frames per test segment (default 152: two model windows with one seam)")
    p.add_argument("--zeggs", help="folder with the real ZeroEGGs clip 067_Speech_2_part1 (.wav, .bvh): transfer check")
    p.add_argument("--emotion-inputs", type=int, help="one-window inputs generated in every emotion (default 24)")
    p.add_argument("--gamma-inputs", type=int, help="inputs swept over every emotion pair and γ (default 6)")
    p.add_argument("--ddpm-windows", type=int, help="windows sampled with DDPM-1000 (default 48)")
    p.add_argument("--seeds", type=int, help="seeds per input for diversity across seeds (default 3); with --real-speech: Neutral seeds "
                        "averaged (default 1)")
    p.add_argument("--emotion-seeds", type=int, help="with --real-speech: seeds per emotion, their windows pooled "
                        "(default 1)")
    p.add_argument("--sampler", choices=SAMPLER_NAMES, help=f"the model's sampler (default {DEFAULT_SAMPLER})")
    p.add_argument("--intensity", type=float, help=f"guidance strength (default {DEFAULT_INTENSITY:g})")
    p.add_argument("--steps", type=int, help="steps of the default sampler (default: the sampler's)")
    p.add_argument("--device", help="auto, cpu or cuda (default auto)")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="the network's arithmetic on a CPU (default auto: bfloat16 where the CPU multiplies it natively)")
    p.add_argument("--seed", type=int, help="noise seed (default 0)")
    p.add_argument("--autoencoder", help="motion autoencoder file (default: models/motion_autoencoder.safetensors)")
    p.add_argument("--classifier", help="emotion classifier file (default: models/emotion_classifier.safetensors)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--train-evaluators", metavar="DIR",
                   help="instead of evaluating: train the motion autoencoder and emotion classifier on --data's "
                        "train split and save them in DIR (e.g. models)")
    p.add_argument("--autoencoder-steps", type=int, help="training steps of the motion autoencoder (default 2000)")


def run(args) -> int:
    from ..engine.errors import OpenHumanError
    from ..training.evaluation.report import EvalConfig, evaluate, table

    if args.real_speech:
        return _real_speech(args)
    if not args.data:
        raise OpenHumanError("give --data DIR (a dataset) or --real-speech DIR [DIR ...]")
    if args.train_evaluators:
        return _train_evaluators(args)
    if not Path(args.data).is_dir():
        raise OpenHumanError(f"--data {args.data}: no such folder")
    cfg = EvalConfig(data=args.data, model=args.model, out=args.out, quick=args.quick, zeggs=args.zeggs,
                     plots=not args.no_plots)
    for name in ("windows", "emotion_inputs", "gamma_inputs", "ddpm_windows", "seeds", "sampler", "steps", "intensity",
                 "device", "precision", "seed", "autoencoder", "classifier", "autoencoder_steps", "segment_frames", "split"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    for name in ("windows", "emotion_inputs", "gamma_inputs", "ddpm_windows", "seeds"):
        if getattr(cfg, name) < 1:
            raise OpenHumanError(f"--{name.replace('_', '-')} must be at least 1")
    results = evaluate(cfg)
    print(json.dumps(results, indent=2))
    import sys

    print(table(results), file=sys.stderr)
    failed = [t["target"] for t in results["targets"] if not t["pass"]]
    if results["targets"]:
        print(f"targets met: {len(results['targets']) - len(failed)} of {len(results['targets'])}"
              + (f"; not met: {'; '.join(failed)}" if failed else ""), file=sys.stderr)
    return 0


def _train_evaluators(args) -> int:
    from ..training.evaluation.emotion_classifier import train_emotion_classifier
    from ..training.evaluation.motion_autoencoder import train_autoencoder

    out = Path(args.train_evaluators)
    encoder = train_autoencoder(args.data, out / "motion_autoencoder.safetensors",
                                steps=args.autoencoder_steps or 2000, progress=True)
    classifier = train_emotion_classifier(args.data, out / "emotion_classifier.safetensors")
    print(json.dumps({"motion_autoencoder": {"file": str(encoder.path), **encoder.metadata["training"]},
                      "emotion_classifier": {"file": str(classifier.path), **classifier.metadata["training"]}},
                     indent=2))
    return 0


def _real_speech(args) -> int:
    import sys

    from ..training.evaluation.real_speech import RealSpeechConfig, evaluate_real_speech, markdown

    cfg = RealSpeechConfig(folders=args.real_speech, model=args.model, out=args.out, sampler=args.sampler,
                           steps=args.steps, intensity=args.intensity, device=args.device or "auto",
                           precision=args.precision or "auto", plots=not args.no_plots,
                           emotions=not args.neutral_only, classifier=args.classifier)
    if args.seed is not None:
        cfg.seed = args.seed
    if args.seeds is not None:
        if args.seeds < 1:
            from ..engine.errors import OpenHumanError

            raise OpenHumanError("--seeds must be at least 1")
        cfg.seeds = args.seeds
    if args.emotion_seeds is not None:
        if args.emotion_seeds < 1:
            from ..engine.errors import OpenHumanError

            raise OpenHumanError("--emotion-seeds must be at least 1")
        cfg.emotion_seeds = args.emotion_seeds
    results = evaluate_real_speech(cfg)
    print(json.dumps(results, indent=2))
    print(markdown(results), file=sys.stderr)
    return 0
