"""`openhuman eval --real-speech DIR …`: the model beside the procedural synthesiser (and the real capture,
where there is one) on recordings of real people.

Clips come from folders of real speech:

- a WAV with a BVH of the same name (the ZeroEGGs take): the speech, its capture, words recognised;
- a Sphinx ``transcription`` / ``*.transcription`` file naming short WAVs (LibriVox, the an4 cards of
  Debian's pocketsphinx-testdata): those WAVs joined, in order, into one reading, with pauses of
  0.6–3 s between them filled with the recordings' own room noise (spectrally matched noise at
  their floor level, never digital silence), so that pauses long enough to rest in exist;
- any other WAV (with an optional ``.txt`` transcript beside it): itself.

Pauses (≥ 0.7 s) come from engine.speech_activity. Every system is measured by real_measures;
each emotion is generated on every clip of at least 8 s and judged by the shipped emotion classifier.
Results: JSON, ``real_speech.md`` and one plot per clip (hand height and speed over time, real /
procedural / model, pauses shaded).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...engine.speech.audio import SAMPLE_RATE
from ...engine.errors import OpenHumanError
from ...engine.motion.motion import Motion
from . import real_measures as rm

JOIN_PAUSES_S = (0.6, 2.0, 0.9, 3.0, 1.2, 0.7, 2.4)
EMOTION_MIN_S = 8.0
EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
SYSTEMS = ("real", "procedural", "model")


@dataclass
class RealClip:
    name: str
    samples: np.ndarray
    transcript: str | None  # text to align; None: recognise the words
    capture: Motion | None = None
    sources: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _log(message: str) -> None:
    print(f"[real-speech {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def gather_clips(folders) -> list[RealClip]:
    """The real-speech clips of the given folders (see the module notes)."""
    from ...engine.motion import bvh
    from ...engine.speech.audio import load_audio
    from ..librivox import read_librivox_transcription

    clips = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise OpenHumanError(f"--real-speech {folder}: no such folder")
        listed = set()
        for tfile in sorted(list(folder.glob("transcription")) + list(folder.glob("*.transcription"))):
            parts = []
            for name, words in read_librivox_transcription(tfile):
                wav = folder / f"{name}.wav"
                if wav.is_file():
                    parts.append((name, load_audio(wav), " ".join(words)))
                    listed.add(wav.name)
            if parts:
                clips.append(joined_reading(f"{folder.name}-reading", parts))
        for wav in sorted(folder.glob("*.wav")):
            if wav.name in listed:
                continue
            capture_path = wav.with_suffix(".bvh")
            capture = bvh.load(capture_path).scaled(0.01) if capture_path.is_file() else None
            text = wav.with_suffix(".txt")
            clips.append(RealClip(wav.stem, load_audio(wav), text.read_text() if text.is_file() else None,
                                  capture, [wav.name]))
    if not clips:
        raise OpenHumanError(f"no speech clips (WAV files) in {', '.join(map(str, folders))}")
    return clips


def joined_reading(name: str, parts: list[tuple[str, np.ndarray, str]]) -> RealClip:
    """Short recordings joined in order with pauses of their own room noise."""
    noise = RoomNoise([samples for _, samples, _ in parts])
    pieces, texts = [noise.take(0.5, 0)], []
    for k, (_, samples, text) in enumerate(parts):
        pieces.append(samples)
        pieces.append(noise.take(JOIN_PAUSES_S[k % len(JOIN_PAUSES_S)], k + 1))
        texts.append(text)
    return RealClip(name, np.concatenate(pieces).astype(np.float32), " ".join(texts), None,
                    [p[0] for p in parts])


class RoomNoise:
    """Noise with the average spectrum and level of the quietest tenth of some recordings."""

    def __init__(self, recordings: list[np.ndarray], n_fft: int = 512):
        frames = []
        for x in recordings:
            x = np.asarray(x, np.float32)
            if len(x) < n_fft:
                continue
            f = np.lib.stride_tricks.sliding_window_view(x, n_fft)[:: n_fft // 2]
            energy = (f.astype(np.float64) ** 2).mean(1)
            frames.append(f[energy <= np.percentile(energy, 10)])
        if not frames:
            raise OpenHumanError("the recordings are too short to measure their room noise")
        quiet = np.concatenate(frames).astype(np.float64)
        self.amplitude = np.sqrt((np.abs(np.fft.rfft(quiet * np.hanning(n_fft), axis=1)) ** 2).mean(0))
        self.rms = float(np.sqrt((quiet ** 2).mean()))
        self.n_fft = n_fft

    def take(self, seconds: float, seed: int) -> np.ndarray:
        n = int(seconds * SAMPLE_RATE)
        white = np.random.default_rng(seed).standard_normal(n + self.n_fft)
        spectrum = np.fft.rfft(white)
        shape = np.interp(np.linspace(0, 1, len(spectrum)), np.linspace(0, 1, len(self.amplitude)), self.amplitude)
        shaped = np.fft.irfft(spectrum * shape, len(white))[:n]
        return (shaped * self.rms / max(shaped.std(), 1e-12)).astype(np.float32)


@dataclass
class RealSpeechConfig:
    folders: list[str]
    model: str | None = None
    out: str | None = None
    seed: int = 1
    seeds: int = 1  # Neutral is generated with seeds seed .. seed+seeds-1 and its measures averaged
    # Every emotion is generated with seeds seed .. seed+emotion_seeds-1, its windows pooled: one seed
    # moves an emotion's accuracy by up to 0.3 on these few minutes of speech.
    emotion_seeds: int = 1
    sampler: str | None = None
    steps: int | None = None
    intensity: float | None = None
    device: str = "auto"
    precision: str = "auto"
    emotions: bool = True
    plots: bool = True
    classifier: str | None = None


def evaluate_real_speech(cfg: RealSpeechConfig, log=_log) -> dict:
    """Run the model, the procedural synthesiser and the captures on every clip; JSON-able results."""
    from ...engine.api import GenerateOptions, find_words, generate_for_words, load_model
    from ...engine.speech.activity import pauses, speech_activity
    from ...engine.diffusion.windowed_sampling import DEFAULT_OVERLAP, plan_windows
    from .report import DEFAULT_CLASSIFIER
    from .emotion_classifier import EmotionClassifier

    started = time.perf_counter()
    clips = gather_clips(cfg.folders)
    bundle = load_model(cfg.model, cfg.device)
    classifier = EmotionClassifier.load(cfg.classifier or DEFAULT_CLASSIFIER)
    chosen = (("sampler", cfg.sampler), ("steps", cfg.steps), ("intensity", cfg.intensity),
              ("precision", cfg.precision))
    options = {k: v for k, v in chosen if v is not None}
    results = {"model": str(bundle.path), "clips": {}, "seed": cfg.seed, "seeds": cfg.seeds,
               "emotion_seeds": cfg.emotion_seeds, "options": options}
    tracks_by_clip = {}
    emotion_rows = {"model": [], "procedural": []}
    for clip in clips:
        log(f"{clip.name} ({clip.seconds:.1f} s): words")
        words, _ = find_words(clip.samples, clip.transcript)
        active = speech_activity(clip.samples)
        clip_pauses = pauses(active)
        motions: dict[str, Motion] = {}
        if clip.capture is not None:
            motions["real"] = clip.capture
        made: dict[tuple[str, str, int], Motion] = {}

        def motion_for(method: str, emotion: str, seed: int) -> Motion:
            if (method, emotion, seed) not in made:
                log(f"{clip.name}: {method} {emotion} seed {seed}")
                opts = GenerateOptions(emotion=emotion, seed=seed, method=method, device=cfg.device, **options)
                made[method, emotion, seed] = generate_for_words(clip.samples, words, opts, bundle=bundle).motion
            return made[method, emotion, seed]

        emotions = EMOTIONS if cfg.emotions and clip.seconds >= EMOTION_MIN_S else ("Neutral",)
        emotion_seeds = range(cfg.seed, cfg.seed + max(cfg.emotion_seeds, 1))
        per_emotion = {method: {e: [motion_for(method, e, s) for s in emotion_seeds] for e in emotions}
                       for method in ("procedural", "model")}
        motions["procedural"] = motion_for("procedural", "Neutral", cfg.seed)
        motions["model"] = motion_for("model", "Neutral", cfg.seed)
        full = {name: rm.HandTracks(m) for name, m in motions.items()}
        n = min(t.n for t in full.values())
        tracks = {name: t.slice(0, n) for name, t in full.items()}
        starts = plan_windows(n, bundle.config.frames, DEFAULT_OVERLAP)
        row = {"seconds": round(clip.seconds, 2), "sources": clip.sources, "words": len(words),
               "speech_fraction": float(active.mean()),
               "pauses": [[round(a, 2), round(b, 2)] for a, b in clip_pauses], "systems": {}}
        runs = {name: [t] for name, t in tracks.items()}
        for seed in range(cfg.seed + 1, cfg.seed + cfg.seeds):
            for method in ("procedural", "model"):
                runs[method].append(rm.HandTracks(motion_for(method, "Neutral", seed)).slice(0, n))
        reference = rm.window_kinematics(tracks["real"]) if "real" in tracks else None
        for name, seeded in runs.items():
            rows = []
            for t in seeded:
                row_m = rm.measures(clip.samples, t, clip_pauses)
                if name == "model":
                    row_m["seam_jump"] = rm.seam_jump(t, starts, DEFAULT_OVERLAP)
                if reference is not None and name != "real":
                    row_m["frechet_to_real"] = rm.frechet(rm.window_kinematics(t), reference)
                rows.append(row_m)
            row["systems"][name] = {k: float(np.mean([r[k] for r in rows if k in r])) for k in rows[0]}
            row["systems"][name]["fastest_hand_max"] = max(r["fastest_hand"] for r in rows)
        if len(emotions) > 1:
            for method in ("model", "procedural"):
                emotion_rows[method].append(_emotion_table(per_emotion[method], classifier))
            row["emotions"] = {method: emotion_rows[method][-1] for method in ("model", "procedural")}
        results["clips"][clip.name] = row
        tracks_by_clip[clip.name] = (tracks, clip_pauses, rm.loudness_db(clip.samples, n))
    results["summary"] = summarise(results["clips"], emotion_rows)
    results["targets"] = check_targets(results["summary"])
    results["wall_s"] = round(time.perf_counter() - started, 1)
    if cfg.out:
        out = Path(cfg.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "real_speech.json").write_text(json.dumps(results, indent=2))
        (out / "real_speech.md").write_text(markdown(results))
        if cfg.plots:
            from .real_plots import plot_clip

            results["plots"] = [str(plot_clip(name, *v, out / f"real_speech_{name}.png"))
                                for name, v in tracks_by_clip.items()]
    return results


def _emotion_table(motions: dict[str, list[Motion]], classifier) -> dict:
    """Per emotion, over its seeds: the classifier's window accuracy (windows pooled) and the mean
    kinematics, relative to Neutral later."""
    from ..style_checks import Kinematics

    table = {}
    for emotion, seeded in motions.items():
        judged, kin = [], {q: [] for q in ("hand_speed", "hand_height", "hand_height_std", "still_fraction")}
        for motion in seeded:
            probs = classifier.window_probabilities(motion, Kinematics(motion))
            judged += [classifier.emotions[i] for i in probs.argmax(1)]
            t = rm.HandTracks(motion)
            kin["hand_speed"].append(float(t.speed.mean()))
            kin["hand_height"].append(float(t.height.mean()))
            kin["hand_height_std"].append(float(t.height.mean(1).std()))
            kin["still_fraction"].append(float((t.speed.max(1) < rm.STILL).mean()))
        table[emotion] = {"windows": len(judged), "correct": int(sum(j == emotion for j in judged)),
                          **{q: float(np.mean(v)) for q, v in kin.items()}}
    return table


def summarise(clips: dict, emotion_rows: dict) -> dict:
    """Means over clips (each clip counts once), per system; emotion accuracy pooled over windows."""
    summary = {}
    for system in SYSTEMS:
        rows = [c["systems"][system] for c in clips.values() if system in c["systems"]]
        if not rows:
            continue
        keys = sorted({k for r in rows for k in r})
        summary[system] = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
        summary[system]["fastest_hand_max"] = max(r.get("fastest_hand_max", r["fastest_hand"]) for r in rows)
        summary[system]["clips"] = len(rows)
    for method, tables in emotion_rows.items():
        if not tables:
            continue
        per = {}
        for emotion in EMOTIONS:
            cells = [t[emotion] for t in tables if emotion in t]
            windows = sum(c["windows"] for c in cells)
            per[emotion] = {"accuracy": sum(c["correct"] for c in cells) / max(windows, 1), "windows": windows}
            for q in ("hand_speed", "hand_height", "hand_height_std", "still_fraction"):
                per[emotion][q] = float(np.mean([c[q] for c in cells]))
        for emotion in EMOTIONS:
            for q in ("hand_speed", "hand_height", "still_fraction"):
                per[emotion][f"{q}_vs_neutral"] = per[emotion][q] / max(per["Neutral"][q], 1e-9)
        total = sum(p["windows"] for p in per.values())
        summary[method]["emotion_accuracy"] = sum(p["accuracy"] * p["windows"] for p in per.values()) / max(total, 1)
        summary[method]["emotions"] = per
    return summary


def check_targets(summary: dict) -> list[dict]:
    """The real-speech targets of the bundled model (issue 12)."""
    m, p, real = summary.get("model"), summary.get("procedural"), summary.get("real")
    if not m or not p:
        return []
    rows = []

    def add(name, value, threshold, ok):
        rows.append({"target": name, "value": _round(value), "threshold": _round(threshold), "pass": bool(ok)})

    add("correlation >= 0.9 x procedural", m["correlation"], 0.9 * p["correlation"],
        m["correlation"] >= 0.9 * p["correlation"])
    add("correlation >= 0.30", m["correlation"], 0.30, m["correlation"] >= 0.30)
    for key in ("pause_still_fraction", "pause_hand_height", "still_fraction"):
        if key in m and key in p:
            ratio = m[key] / max(p[key], 1e-9)
            add(f"{key} within ±35 % of procedural", ratio, "0.65–1.35", 0.65 <= ratio <= 1.35)
    if "long_pause_drop" in m:
        add("hands come down in pauses > 1.5 s (m)", m["long_pause_drop"], 0.05, m["long_pause_drop"] >= 0.05)
    # "No hand faster than 3 m/s": the fastest frame of any clip and seed, not a mean of them.
    add("fastest hand <= 3 m/s, any clip and seed (model)", m["fastest_hand_max"], 3.0, m["fastest_hand_max"] <= 3.0)
    add("fastest hand <= 3 m/s, any clip and seed (procedural)", p["fastest_hand_max"], 3.0,
        p["fastest_hand_max"] <= 3.0)
    if real:
        add("mean hand jerk <= 1.3 x real", m["jerk"], 1.3 * real["jerk"], m["jerk"] <= 1.3 * real["jerk"])
        if "frechet_to_real" in m:
            add("window Fréchet to real <= 1.5 x procedural", m["frechet_to_real"], 1.5 * p["frechet_to_real"],
                m["frechet_to_real"] <= 1.5 * p["frechet_to_real"])
    if "emotions" in m:
        per = m["emotions"]
        add("emotion accuracy >= 0.8", m["emotion_accuracy"], 0.8, m["emotion_accuracy"] >= 0.8)
        worst = min(per, key=lambda e: per[e]["accuracy"])
        add(f"every emotion >= 0.7 (lowest: {worst})", per[worst]["accuracy"], 0.7, per[worst]["accuracy"] >= 0.7)
        add("Angry hands faster than Neutral (x >= 1.3)", per["Angry"]["hand_speed_vs_neutral"], 1.3,
            per["Angry"]["hand_speed_vs_neutral"] >= 1.3)
        add("Sad hands slower and lower than Neutral", per["Sad"]["hand_speed_vs_neutral"], "< 1 both",
            per["Sad"]["hand_speed_vs_neutral"] < 1 and per["Sad"]["hand_height"] < per["Neutral"]["hand_height"])
        add("Old stiller than Neutral", per["Old"]["still_fraction_vs_neutral"], "> 1",
            per["Old"]["still_fraction_vs_neutral"] > 1)
        add("Happy hands not pinned high (height std >= 0.5 x Neutral's)",
            per["Happy"]["hand_height_std"] / max(per["Neutral"]["hand_height_std"], 1e-9), 0.5,
            per["Happy"]["hand_height_std"] >= 0.5 * per["Neutral"]["hand_height_std"])
    return rows


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


COLUMNS = (("correlation", "speech–motion r", 2), ("still_fraction", "still", 2),
           ("pause_still_fraction", "still in pauses", 2), ("hand_height", "hand height (m)", 3),
           ("pause_hand_height", "height in pauses (m)", 3), ("long_pause_drop", "drop in long pauses (m)", 3),
           ("hand_speed", "hand speed (m/s)", 3), ("jerk", "jerk (m/s³)", 1), ("fastest_hand_max", "fastest (m/s)", 2),
           ("frechet_to_real", "window FD to real", 3), ("seam_jump", "seam / inside", 2))


def markdown(results: dict) -> str:
    """The summary table, the targets and the per-clip tables as Markdown."""
    lines = [f"# Real-speech evaluation\n\nModel: `{results['model']}`; Neutral with seeds {results['seed']}"
             f"–{results['seed'] + results.get('seeds', 1) - 1} (measures averaged), every emotion with seeds "
             f"{results['seed']}–{results['seed'] + results.get('emotion_seeds', 1) - 1} (windows pooled); "
             f"{len(results['clips'])} clips: "
             + ", ".join(f"{n} ({c['seconds']:.0f} s)" for n, c in results["clips"].items()) + "\n"]
    lines += ["## Mean over clips\n", *_table(results["summary"]), ""]
    if "emotions" in results["summary"].get("model", {}):
        lines += ["## Emotions on real speech (classifier accuracy over windows; kinematics relative to Neutral)\n",
                  "| system | emotion | accuracy | hand speed ×N | hand height ×N | still ×N |", "|---|---|---|---|---|---|"]
        for system in ("model", "procedural"):
            for e, row in results["summary"][system]["emotions"].items():
                lines.append(f"| {system} | {e} | {row['accuracy']:.2f} | {row['hand_speed_vs_neutral']:.2f} | "
                             f"{row['hand_height_vs_neutral']:.2f} | {row['still_fraction_vs_neutral']:.2f} |")
        lines.append("")
    lines += ["## Targets\n", "| target | measured | threshold | met |", "|---|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {t['threshold']} | {'yes' if t['pass'] else '**no**'} |"
              for t in results["targets"]]
    for name, clip in results["clips"].items():
        lines += ["", f"## {name} ({clip['seconds']:.1f} s, {clip['words']} words, "
                  f"{len(clip['pauses'])} pauses ≥ 0.7 s)\n", *_table(clip["systems"])]
    return "\n".join(lines) + "\n"


def _table(systems: dict) -> list[str]:
    head = "| system | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rows = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for system in SYSTEMS:
        if system in systems:
            s = systems[system]
            rows.append(f"| {system} | " + " | ".join(f"{s[k]:.{d}f}" if k in s else "–" for k, _, d in COLUMNS) + " |")
    return rows
