"""The output smoothing's trade-off: synthetic emotion accuracy against real-speech jerk, per σ.

    python -m openhuman.training.evaluation.smoothing_study --data corpus/synth-v6 --inputs 96 \\
        --real-speech ../shared/data/speech /usr/share/pocketsphinx/test/data/cards ../shared/data/zeggs

The sampler leaves frame-to-frame jitter that a Gaussian of σ frames removes (windowed_sampling.
OUTPUT_SMOOTHING). The emotion classifier was trained on the procedural teacher's motion, jitter and
all, so smoothing costs it accuracy while bringing the hands' jerk down to a person's. Synthetic: every
one-window test segment in every emotion is sampled once unsmoothed (as `openhuman eval` does: seed 0,
default sampler and intensity) and judged after each σ and the hand-speed cap (as generation applies them).
Real speech: Neutral on every clip with `--seeds` seeds, sampled anew for each σ, measured as
`openhuman eval --real-speech` does.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ...engine.constants import BUNDLED_MODEL
from ...engine.diffusion import hand_speed, windowed_sampling

SIGMAS = (0.0, 0.5, 0.6, 0.7, 0.8, 1.0)
REAL_KEYS = ("correlation", "jerk", "fastest_hand_max", "hand_speed", "still_fraction", "pause_hand_height",
             "frechet_to_real")


def synthetic_accuracy(data: str, model: str, inputs: int, sigmas=SIGMAS, seed: int = 0, device: str = "cpu") -> dict:
    """Per σ: the classifier's accuracy over ``inputs`` one-window test segments × every emotion."""
    from ...engine.api import load_model
    from .emotion_classifier import EmotionClassifier
    from .report import DEFAULT_CLASSIFIER
    from .segments import EvalSplit
    from .systems import Systems

    split = EvalSplit(data, "test")
    bundle = load_model(model, device)
    systems = Systems(split, bundle, device)
    classifier = EmotionClassifier.load(DEFAULT_CLASSIFIER)
    segments = split.segments(inputs, bundle.config.frames)[:inputs]
    emotions = split.emotions
    correct = np.zeros((len(sigmas), len(emotions)), int)
    for seg in segments:
        for i, emotion in enumerate(emotions):
            raw = windowed_sampling.generate_motion_features(
                bundle, seg.audio, seg.text, emotion, gamma=1.0, strength=systems.intensity, sampler=systems.sampler,
                seed=seed, device=device, smoothing=0.0, hand_speed_limit=0.0)
            for k, sigma in enumerate(sigmas):
                smooth = hand_speed.limit_hand_speed(windowed_sampling.smooth_features(raw, sigma),
                                                     systems.model_skeleton, bundle.fps)
                motion = systems.decode(smooth, systems.model_skeleton)
                correct[k, i] += classifier.predict(motion) == emotion
    n = max(len(segments), 1)
    return {"inputs": len(segments), "seed": seed,
            "sigmas": {str(s): {"accuracy": float(correct[k].sum() / (n * len(emotions))),
                                "per_emotion": {e: float(correct[k, i] / n) for i, e in enumerate(emotions)}}
                       for k, s in enumerate(sigmas)}}


def real_speech_measures(folders, model: str, sigmas=SIGMAS, seed: int = 1, seeds: int = 3,
                         device: str = "cpu") -> dict:
    """Per σ: the model's Neutral measures on real speech (means over clips), beside the capture's jerk."""
    from .real_speech import RealSpeechConfig, evaluate_real_speech

    rows, real_jerk = {}, None
    saved = windowed_sampling.OUTPUT_SMOOTHING
    try:
        for sigma in sigmas:
            windowed_sampling.OUTPUT_SMOOTHING = float(sigma)
            cfg = RealSpeechConfig(list(folders), model=model, seed=seed, seeds=seeds, emotions=False, plots=False,
                                   device=device)
            result = evaluate_real_speech(cfg, log=lambda message: None)
            m = result["summary"]["model"]
            rows[str(sigma)] = {k: float(m[k]) for k in REAL_KEYS if k in m}
            real_jerk = result["summary"].get("real", {}).get("jerk", real_jerk)
    finally:
        windowed_sampling.OUTPUT_SMOOTHING = saved
    return {"seed": seed, "seeds": seeds, "real_jerk": real_jerk, "sigmas": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(BUNDLED_MODEL), help="model file (default: the bundled model)")
    parser.add_argument("--data", help="a corpus folder: synthetic emotion accuracy on its test split")
    parser.add_argument("--inputs", type=int, default=24, help="one-window test segments (default 24, as eval)")
    parser.add_argument("--real-speech", nargs="+", metavar="DIR", help="folders of real speech (as eval --real-speech)")
    parser.add_argument("--seed", type=int, default=1, help="first real-speech seed (default 1)")
    parser.add_argument("--seeds", type=int, default=3, help="real-speech seeds (default 3)")
    parser.add_argument("--sigmas", type=float, nargs="+", default=list(SIGMAS))
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    if not args.data and not args.real_speech:
        parser.error("give --data CORPUS, --real-speech DIR…, or both")
    if min(args.sigmas) < 0:
        parser.error("--sigmas must be 0 or more (frames of Gaussian smoothing)")
    result = {"model": args.model, "current_default": windowed_sampling.OUTPUT_SMOOTHING}
    if args.data:
        result["synthetic"] = synthetic_accuracy(args.data, args.model, args.inputs, args.sigmas)
    if args.real_speech:
        result["real_speech"] = real_speech_measures(args.real_speech, args.model, args.sigmas, args.seed, args.seeds)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
