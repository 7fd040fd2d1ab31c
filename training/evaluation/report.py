"""`openhuman eval`: every metric for every system on a dataset's test split, as one JSON table and plots.

Systems (systems.py) on the same test segments of half A (segments.py): the model with its
default sampler, the model with DDPM-1000 (on a few one-window segments, compared with the
default sampler on the same ones), the procedural synthesiser, the data mean pose, real motion
paired with the wrong audio, and real motion itself (whose FGD against half B is the floor).

Sampling the model is the expensive part; the numbers of segments and windows are settings
(EvalConfig), and `quick` shrinks them for CI. Evaluators (motion autoencoder, emotion
classifier) are loaded from the repository's models/ folder or the given files; where absent
they are trained on the dataset's train split first and saved beside the report.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ...engine.motion import pose
from ...engine.errors import OpenHumanError
from ...engine.constants import PACKAGE_ROOT
from ...engine.diffusion.presets import DEFAULT_INTENSITY, DEFAULT_SAMPLER
from ..style_checks import Kinematics, calibration_measures
from . import beat, diversity, physical
from .emotion_classifier import EmotionClassifier, train_emotion_classifier
from .fgd import FGD
from .gamma import GAMMAS, gamma_monotonicity, gamma_sweep
from .motion_autoencoder import MotionEncoder, train_autoencoder
from .segments import SEGMENT_FRAMES, EvalSplit, derangement
from .semantic import semantic_recall
from .systems import Systems

DEFAULT_AUTOENCODER = PACKAGE_ROOT / "models" / "motion_autoencoder.safetensors"
DEFAULT_CLASSIFIER = PACKAGE_ROOT / "models" / "emotion_classifier.safetensors"
KINEMATICS = ("hand_speed", "hand_height_mean", "still_fraction")
ZEGGS_TAKE = "067_Speech_2_part1"
ZEGGS_TOLERANCE = 0.35


@dataclass
class EvalConfig:
    data: str
    model: str | None = None
    out: str | None = None
    split: str = "test"  # the split evaluated (its halves: evaluated segments and FGD reference)
    windows: int = 96  # test segments (of segment_frames) for FGD, BC, recall, seams, diversity
    segment_frames: int = SEGMENT_FRAMES
    emotion_inputs: int = 24  # one-window segments generated in every emotion
    gamma_inputs: int = 6  # of those, the ones swept over every emotion pair and γ
    ddpm_windows: int = 48  # one-window segments sampled with DDPM-1000
    ddpm_steps: int = 1000
    seeds: int = 3  # seeds per input for diversity across seeds
    seed_inputs: int = 8
    sampler: str = DEFAULT_SAMPLER
    intensity: float = DEFAULT_INTENSITY
    steps: int | None = None
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    autoencoder: str | None = None
    classifier: str | None = None
    autoencoder_steps: int = 2000
    zeggs: str | None = None
    plots: bool = True
    quick: bool = False


QUICK = dict(windows=6, emotion_inputs=2, gamma_inputs=1, ddpm_windows=1, seeds=2, seed_inputs=2,
             autoencoder_steps=300)


def _log(message: str) -> None:
    print(f"[eval {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def evaluators(cfg: EvalConfig, log=_log) -> tuple[MotionEncoder, EmotionClassifier, dict]:
    """The motion autoencoder and emotion classifier: given files, the repository's, or trained now."""
    out = Path(cfg.out) if cfg.out else None
    found = {}
    for name, given, default, load in (("autoencoder", cfg.autoencoder, DEFAULT_AUTOENCODER, MotionEncoder.load),
                                       ("classifier", cfg.classifier, DEFAULT_CLASSIFIER, EmotionClassifier.load)):
        path = Path(given) if given else default
        if path.is_file() or given:
            found[name] = (load(path), str(path))
    if "autoencoder" not in found:
        log(f"no motion autoencoder at {DEFAULT_AUTOENCODER}: training one on {cfg.data} "
            f"({cfg.autoencoder_steps} steps)")
        path = out / "motion_autoencoder.safetensors" if out else None
        found["autoencoder"] = (train_autoencoder(cfg.data, path, steps=cfg.autoencoder_steps), f"trained: {path}")
    if "classifier" not in found:
        log(f"no emotion classifier at {DEFAULT_CLASSIFIER}: training one on {cfg.data}")
        path = out / "emotion_classifier.safetensors" if out else None
        found["classifier"] = (train_emotion_classifier(cfg.data, path), f"trained: {path}")
    (encoder, ae_from), (classifier, clf_from) = found["autoencoder"], found["classifier"]
    info = {"autoencoder": ae_from, "classifier": clf_from,
            "classifier_held_out": classifier.metadata.get("training", {}).get("held_out", {}).get("accuracy")}
    return encoder, classifier, info


def measure(motions, segments, *, fgd: FGD, classifier: EmotionClassifier, audio_spec: dict, starts: list[int],
            overlap: int, targets: list[str] | None = None) -> dict:
    """Every per-motion metric of one system on a set of segments (targets: the emotion each should show)."""
    feats = [pose.encode(m) for m in motions]  # computed once per motion, read by several metrics
    kins = [Kinematics(m) for m in motions]
    worlds = [k.positions for k in kins]
    audio = [s.audio for s in segments]
    out = {"segments": len(motions), "fgd": fgd.fgd(feats), "fgd_joint": fgd.fgd_joint(feats, audio)}
    out.update(beat.segment_beat_consistency(motions, audio, audio_spec, feats))
    sem = semantic_recall(motions, [s.words for s in segments])
    out.update(semantic_recall=sem["recall"], semantic_words=sem["words"], semantic_per_gesture=sem["per_gesture"])
    out["diversity_inputs"] = diversity.diversity_across_inputs(motions, feats)
    if len(starts) > 1 and all(m.n_frames > starts[1] + overlap + 2 for m in motions):
        out["seam_ratio"] = physical.seam_acceleration_ratio(motions, starts, overlap, worlds)
    out["foot_sliding"] = float(np.mean([physical.foot_sliding(m, w) for m, w in zip(motions, worlds)]))
    pen = [physical.hand_penetration(m) for m in motions]
    out["penetration_fraction"] = float(np.mean([p["fraction"] for p in pen]))
    out["penetration_depth_m"] = float(max(p["depth_m"] for p in pen))
    targets = targets or [s.emotion for s in segments]
    predicted = [classifier.predict(m, k) for m, k in zip(motions, kins)]
    out["emotion_accuracy_own"] = float(np.mean([p == t for p, t in zip(predicted, targets)]))
    measures = [calibration_measures(m, k) for m, k in zip(motions, kins)]
    out.update({q: float(np.mean([x[q] for x in measures])) for q in measures[0]})
    return out


def emotion_sweep(systems: Systems, classifier: EmotionClassifier, segments, generate) -> dict:
    """Generate every segment in every emotion; accuracy and confusion (rows: asked, columns: judged)."""
    emotions = systems.split.emotions
    confusion = np.zeros((len(emotions), len(emotions)), int)
    for seg in segments:
        for i, e in enumerate(emotions):
            judged = classifier.predict(generate(seg, e))
            confusion[i, emotions.index(judged) if judged in emotions else 0] += 1
    return {"accuracy": float(np.trace(confusion) / max(confusion.sum(), 1)), "inputs": len(segments),
            "per_emotion": {e: float(confusion[i, i] / max(confusion[i].sum(), 1)) for i, e in enumerate(emotions)},
            "confusion": confusion.tolist(), "emotions": emotions}


def evaluate(cfg: EvalConfig, log=_log) -> dict:
    """Run everything; returns the results table (also written to <out>/eval.json with plots)."""
    from ...engine.diffusion.windowed_sampling import DEFAULT_OVERLAP, plan_windows

    if cfg.quick:
        cfg = replace(cfg, **{k: min(getattr(cfg, k), v) for k, v in QUICK.items()})
    started = time.perf_counter()
    timing: dict[str, float] = {}
    out = Path(cfg.out) if cfg.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    split = EvalSplit(cfg.data, cfg.split)
    spec = split.meta["audio_spec"]
    encoder, classifier, evaluator_info = evaluators(cfg, log)
    bundle = None
    if cfg.model:
        from ...engine.api import load_model

        bundle = load_model(cfg.model, cfg.device)
    systems = Systems(split, bundle, cfg.device, cfg.sampler, cfg.steps, intensity=cfg.intensity,
                      precision=cfg.precision)
    window = bundle.config.frames if bundle else int(split.meta["window"])
    if cfg.segment_frames < window:
        raise OpenHumanError(f"segments must be at least one model window long ({window} frames), "
                             f"got {cfg.segment_frames}")
    starts = plan_windows(cfg.segment_frames, window, DEFAULT_OVERLAP)

    segments = split.segments(cfg.windows, cfg.segment_frames)
    reference = split.all_segments(cfg.segment_frames, "B")
    log(f"{len(segments)} test segments of {cfg.segment_frames} frames; FGD reference: {len(reference)} segments")
    fgd = FGD(encoder, [s.motion for s in reference], [s.audio for s in reference], spec)
    kw = dict(fgd=fgd, classifier=classifier, audio_spec=spec, starts=starts, overlap=DEFAULT_OVERLAP)
    timing["setup_s"] = time.perf_counter() - started

    results: dict = {"systems": {}}
    mismatch = derangement(segments)
    real = [systems.real(s) for s in segments]
    runs = {"real": real, "mismatched": [real[j] for j in mismatch], "mean_pose": [systems.mean_pose(s) for s in segments]}
    notes = []
    if systems.has_procedural:
        t = time.perf_counter()
        try:
            runs["procedural"] = [systems.procedural(s, seed=cfg.seed + 1) for s in segments]
        except OpenHumanError as exc:
            notes.append(f"procedural baseline skipped: {exc}")
        timing["procedural_s"] = time.perf_counter() - t
    else:
        notes.append("procedural baseline skipped: the dataset keeps no way to rebuild its speech")
    if bundle is not None:
        t = time.perf_counter()
        runs["model"] = []
        for k, s in enumerate(segments):
            log(f"model ({cfg.sampler}): segment {k + 1} of {len(segments)}")
            runs["model"].append(systems.model(s, seed=cfg.seed))
        timing["model_s"] = time.perf_counter() - t
    for name, motions in runs.items():
        log(f"measuring {name}")
        targets = [s.emotion for s in segments]
        results["systems"][name] = measure(motions, segments, targets=targets, **kw)
    results["floor"] = {"fgd": results["systems"]["real"]["fgd"], "fgd_joint": results["systems"]["real"]["fgd_joint"]}

    # diversity across seeds
    t = time.perf_counter()
    seed_segments = segments[:cfg.seed_inputs]
    seeds = range(cfg.seed, cfg.seed + cfg.seeds)
    if "procedural" in runs:
        results["systems"]["procedural"]["diversity_seeds"] = diversity.diversity_across_seeds(
            [[systems.procedural(s, seed=k + 1) for k in seeds] for s in seed_segments])
    results["systems"]["mean_pose"]["diversity_seeds"] = 0.0
    if bundle is not None:
        log(f"diversity: {len(seed_segments)} inputs x {cfg.seeds} seeds")
        results["systems"]["model"]["diversity_seeds"] = diversity.diversity_across_seeds(
            [[systems.model(s, seed=k) for k in seeds] for s in seed_segments])
    timing["diversity_s"] = time.perf_counter() - t

    # emotion accuracy (every input in every emotion) and γ-monotonicity, on one-window segments
    short = split.segments(max(cfg.emotion_inputs, cfg.gamma_inputs, cfg.ddpm_windows), window)
    emo_segments = short[:cfg.emotion_inputs]
    results["emotion"] = {"classifier_held_out_accuracy": evaluator_info["classifier_held_out"]}
    t = time.perf_counter()
    if "procedural" in runs:
        results["emotion"]["procedural"] = emotion_sweep(
            systems, classifier, emo_segments, lambda s, e: systems.procedural(s, e, seed=cfg.seed + 1))
    if bundle is not None:
        log(f"emotion sweep: {len(emo_segments)} inputs x {len(split.emotions)} emotions")
        results["emotion"]["model"] = emotion_sweep(
            systems, classifier, emo_segments, lambda s, e: systems.model(s, e, seed=cfg.seed))
        timing["emotion_s"] = time.perf_counter() - t
        t = time.perf_counter()
        curves = gamma_sweep(systems, classifier, short[:cfg.gamma_inputs], seed=cfg.seed, progress=log)
        results["gamma"] = {"gammas": list(GAMMAS), **gamma_monotonicity(curves)}
        timing["gamma_s"] = time.perf_counter() - t

        # DDPM-1000 against the default sampler on the same one-window segments (a distilled model samples
        # its own way only: its teacher's DDPM-1000 is in sampler_study --distilled)
        if not bundle.metadata.get("distilled"):
            t = time.perf_counter()
            ddpm_segments = short[:cfg.ddpm_windows]
            log(f"DDPM-{cfg.ddpm_steps}: {len(ddpm_segments)} windows")
            results["ddpm_vs_default"] = compare_samplers(systems, ddpm_segments, fgd, spec, cfg)
            timing["ddpm_s"] = time.perf_counter() - t

    if cfg.zeggs:
        t = time.perf_counter()
        results["zeggs"] = zeggs_transfer(cfg, systems, log)
        timing["zeggs_s"] = time.perf_counter() - t

    timing["total_s"] = time.perf_counter() - started
    results["targets"] = check_targets(results)
    results["config"] = {**asdict(cfg), "evaluators": evaluator_info, "model_windows_sampled": systems.model_windows}
    results["notes"] = notes + [
        "fgd is motion-only: real motion with the wrong audio has exactly the floor's fgd by construction; "
        "fgd_joint (motion latents joined with the speech around them) is the FGD that can see mismatched audio",
        "the procedural baseline re-synthesises the test speech with another seed: on OpenHuman-Synth it is the "
        "corpus's own generator, so its fgd is near the floor",
    ]
    results["timing"] = {k: round(v, 1) for k, v in timing.items()}
    results = _clean(results)
    if out:
        if cfg.plots:
            from .plots import write_plots

            results["plots"] = write_plots(results, runs, segments, starts, spec, out)
        (out / "eval.json").write_text(json.dumps(results, indent=2))
        (out / "eval.md").write_text(markdown(results))
    return results


def compare_samplers(systems: Systems, segments, fgd: FGD, audio_spec: dict, cfg: EvalConfig) -> dict:
    """The default sampler and DDPM-1000 on the same segments and noise seed: FGD, BC and kinematics,
    with the real motion's FGD on those segments (the floor at this small sample size: FGD is biased
    upwards for few samples, so both samplers' FGD near it means the comparison says little)."""
    pair = {}
    for label, sampler, steps in (("default", cfg.sampler, cfg.steps), ("ddpm", "ddpm", cfg.ddpm_steps)):
        motions = [systems.model(s, seed=cfg.seed, sampler=sampler, steps=steps) for s in segments]
        kin = [calibration_measures(m) for m in motions]
        pair[label] = {"sampler": sampler, "steps": steps, "fgd": fgd.fgd([pose.encode(m) for m in motions]),
                       **beat.segment_beat_consistency(motions, [s.audio for s in segments], audio_spec),
                       **{k: float(np.mean([x[k] for x in kin])) for k in KINEMATICS}}
    rel = {k: abs(pair["ddpm"][k] - pair["default"][k]) / max(abs(pair["default"][k]), 1e-9)
           for k in ("fgd", "bc", "hand_speed", "hand_height_mean")}
    floor = fgd.fgd([s.motion for s in segments])
    return {"windows": len(segments), **pair, "floor_same_windows": floor, "relative_difference": rel,
            "absolute_difference": {"still_fraction": abs(pair["ddpm"]["still_fraction"] - pair["default"]["still_fraction"])}}


def zeggs_transfer(cfg: EvalConfig, systems: Systems, log=_log) -> dict:
    """Held-out transfer to real speech: the model (Neutral) on the real ZeroEGGs clip's audio, its hand
    speed, hand height and stillness against the real capture's (and the procedural synthesiser's)."""
    from ...engine.motion import bvh
    from ...engine.api import GenerateOptions, generate
    from ...engine.procedural import synthesise

    folder = Path(cfg.zeggs)
    wav, bvh_path = folder / f"{ZEGGS_TAKE}.wav", folder / f"{ZEGGS_TAKE}.bvh"
    if not wav.is_file() or not bvh_path.is_file():
        raise OpenHumanError(f"{folder}: expected {wav.name} and {bvh_path.name} (the ZeroEGGs clip) there")
    fps = systems.fps
    real = bvh.load(bvh_path).scaled(0.01).resampled(fps)
    log("ZeroEGGs clip: words and model motion (Neutral)")
    options = GenerateOptions(emotion="Neutral", seed=cfg.seed, sampler=cfg.sampler, steps=cfg.steps,
                              intensity=cfg.intensity, device=cfg.device, model=cfg.model)
    result = generate(wav, None, options)
    from ...engine.speech.audio import load_audio

    procedural = synthesise(load_audio(wav), result.words, "Neutral", fps=fps, seed=cfg.seed + 1)
    n = min(real.n_frames, result.motion.n_frames, procedural.n_frames)
    measures = {name: calibration_measures(m.slice(0, n)) for name, m in
                (("real", real), ("model", result.motion), ("procedural", procedural))}
    ratios = {name: {k: measures[name][k] / measures["real"][k] for k in KINEMATICS} for name in ("model", "procedural")}
    return {"clip": ZEGGS_TAKE, "seconds": n / fps, "words": len(result.words), "measures": measures,
            "ratio_to_real": ratios,
            "within_tolerance": {name: {k: abs(r - 1) <= ZEGGS_TOLERANCE for k, r in v.items()} for name, v in ratios.items()}}


def check_targets(results: dict) -> list[dict]:
    """The bundled model's targets (issue 6) checked against the results; empty without a model."""
    s = results["systems"]
    if "model" not in s:
        return []
    m = s["model"]
    rows = []

    def add(name, value, threshold, ok, note=""):
        rows.append({"target": name, "value": value, "threshold": threshold, "pass": bool(ok), "note": note})

    floor = results["floor"]["fgd"]
    add("fgd <= 2 x floor", m["fgd"], 2 * floor, m["fgd"] <= 2 * floor)
    if "procedural" in s:
        add("fgd < procedural", m["fgd"], s["procedural"]["fgd"], m["fgd"] < s["procedural"]["fgd"])
        proc_recall = s["procedural"]["semantic_recall"]
        add("semantic recall >= 0.7 x procedural", m["semantic_recall"], 0.7 * proc_recall,
            m["semantic_recall"] >= 0.7 * proc_recall, f"{m['semantic_words']} lexicon words")
    add("fgd_joint < mismatched audio", m["fgd_joint"], s["mismatched"]["fgd_joint"],
        m["fgd_joint"] < s["mismatched"]["fgd_joint"], "motion-only fgd of the mismatched baseline equals the floor")
    if "ddpm_vs_default" in results:
        # FGD on a few windows is dominated by its small-sample bias (see floor_same_windows), so the
        # samplers must also agree on beat consistency and the hands' speed and height
        cmp = results["ddpm_vs_default"]
        worst = max(cmp["relative_difference"].values())
        add("DDPM-1000 vs default sampler: fgd, bc, hand speed and height within 10 %", worst, 0.10, worst <= 0.10,
            f"{cmp['windows']} windows; relative differences {cmp['relative_difference']}; real motion's fgd "
            f"on the same windows: {cmp['floor_same_windows']:.4g}")
    if "model" in results.get("emotion", {}):
        acc = results["emotion"]["model"]["accuracy"]
        add("emotion accuracy >= 0.85", acc, 0.85, acc >= 0.85)
    if "gamma" in results:
        add("gamma-monotonic pairs >= 0.90", results["gamma"]["fraction"], 0.90, results["gamma"]["fraction"] >= 0.90)
    bc_real = s["real"]["bc"]
    add("beat consistency >= 0.9 x real", m["bc"], 0.9 * bc_real, m["bc"] >= 0.9 * bc_real)
    if "seam_ratio" in m:
        add("seams no worse than inside windows", m["seam_ratio"], 1.1, m["seam_ratio"] <= 1.1,
            f"real motion at the same frames: {s['real'].get('seam_ratio', float('nan')):.3f}")
    if "zeggs" in results:
        for k, ok in results["zeggs"]["within_tolerance"]["model"].items():
            add(f"ZeroEGGs clip, Neutral: {k} within 35 % of real", results["zeggs"]["ratio_to_real"]["model"][k],
                [1 - ZEGGS_TOLERANCE, 1 + ZEGGS_TOLERANCE], ok)
    return rows


def _clean(x):
    """JSON-ready: numpy scalars to Python, floats rounded to 5 significant digits, NaN to None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        if not math.isfinite(v):
            return None
        return float(f"{v:.5g}")
    return x


def table(results: dict) -> str:
    """A short human-readable table of the main numbers per system."""
    cols = ("fgd", "fgd_joint", "bc", "semantic_recall", "diversity_inputs", "diversity_seeds", "seam_ratio",
            "foot_sliding", "penetration_fraction", "emotion_accuracy_own", "hand_speed", "still_fraction")
    lines = ["system        " + " ".join(f"{c[:10]:>10}" for c in cols)]
    for name, row in results["systems"].items():
        cells = []
        for c in cols:
            v = row.get(c)
            cells.append(f"{v:>10.4g}" if isinstance(v, (int, float)) else f"{'-':>10}")
        lines.append(f"{name:<14}" + " ".join(cells))
    return "\n".join(lines)


MARKDOWN_COLUMNS = (("fgd", "FGD ↓"), ("fgd_joint", "FGD joint ↓"), ("bc", "beat cons."),
                    ("semantic_recall", "semantic recall"), ("diversity_inputs", "diversity inputs (m)"),
                    ("diversity_seeds", "diversity seeds (m)"), ("emotion_accuracy_own", "emotion acc."),
                    ("seam_ratio", "seam / inside"), ("foot_sliding", "foot slide (m/s)"),
                    ("penetration_fraction", "hands in body"), ("hand_speed", "hand speed (m/s)"),
                    ("still_fraction", "still"))


def markdown(results: dict) -> str:
    """The systems table and the targets as Markdown (eval.md), for the README and the model card."""
    def cell(v):
        return "–" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))

    lines = ["| system | " + " | ".join(h for _, h in MARKDOWN_COLUMNS) + " |",
             "|---" * (len(MARKDOWN_COLUMNS) + 1) + "|"]
    for name, row in results["systems"].items():
        lines.append(f"| {name} | " + " | ".join(cell(row.get(k)) for k, _ in MARKDOWN_COLUMNS) + " |")
    if results.get("targets"):
        lines += ["", "| target | measured | threshold | met |", "|---|---|---|---|"]
        for t in results["targets"]:
            threshold = t["threshold"]
            shown = "–".join(cell(x) for x in threshold) if isinstance(threshold, list) else cell(threshold)
            lines.append(f"| {t['target']} | {cell(t['value'])} | {shown} | {'yes' if t['pass'] else '**no**'} |")
    return "\n".join(lines) + "\n"


__all__ = ["EvalConfig", "check_targets", "evaluate", "evaluators", "markdown", "measure", "table"]
