"""What a dataset folder holds: hours per emotion, split and voice, words and lexicon coverage,
hand kinematics per emotion; and a PNG page of plots (hand paths seen from the front and the
side, hand speed histograms, hours per emotion and voice).

Works on any folder written by ``DatasetWriter`` (the synthetic corpus or a ZeroEGGs import).
Kinematics come straight from the stored pose features: POS (joint positions in the root frame,
so "height" is above the floor) and VEL (m/s). Hand speed is the mean of both hands' speeds; a
frame is still when both hands move slower than ``style_checks.STILL_SPEED``.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ..engine.motion.pose import SLICES
from ..engine.motion.skeleton_zeggs import JOINT_NAMES
from ..engine.conditions.text_features import LEXICON
from ..engine.speech.word_text import normalise_word
from .windows_dataset import DatasetError, Take

HANDS = ("RightHand", "LeftHand")
_FRAMES_PER_EMOTION = 12000  # frames read per emotion for the kinematics (10 min at 20 fps)
_BODY_CHAIN = ("Hips", "Spine", "Spine1", "Spine2", "Spine3", "Neck", "Neck1", "Head", "HeadEnd")
_ARM_CHAINS = (("Spine3", "RightShoulder", "RightArm"), ("Spine3", "LeftShoulder", "LeftArm"))


def voice_of(source: str) -> str:
    """The voice a take's source names: the espeak voice, or the kind of recording."""
    kind, _, rest = source.partition(":")
    if kind == "espeak":
        return rest or "espeak"
    return {"librivox": "LibriVox (human)", "zeggs": "ZeroEGGs capture"}.get(kind, kind or "unknown")


def _read(folder) -> tuple[dict, list[Take]]:
    folder = Path(folder)
    if not (folder / "meta.json").is_file() or not (folder / "takes.json").is_file():
        raise DatasetError(f"{folder} is not an OpenHuman dataset (no meta.json / takes.json): build one with "
                           "`openhuman data synth` or `openhuman data zeggs`")
    meta = json.loads((folder / "meta.json").read_text())
    takes = [Take(**t) for t in json.loads((folder / "takes.json").read_text())]
    return meta, takes


def corpus_statistics(folder) -> dict:
    """Counts and kinematic summaries of a dataset folder (JSON-ready)."""
    meta, takes = _read(folder)
    fps = float(meta["fps"])
    hours = lambda frames: round(frames / fps / 3600, 4)  # noqa: E731
    by_emotion, by_split, by_voice = Counter(), Counter(), Counter()
    words = Counter()
    takes_with_words = 0
    for take in takes:
        by_emotion[take.emotion] += take.frames
        by_split[take.split] += take.frames
        by_voice[voice_of(take.source)] += take.frames
        if take.words:
            takes_with_words += 1
            words.update(normalise_word(w[0]) for w in take.words)
    n, m = int(meta["seed_frames"]), int(meta["window"])
    windows = Counter()
    for take in takes:
        windows[take.split] += max(0, (take.frames - m - n) // 10 + 1) if take.frames >= m + n else 0
    lexicon_counts = {word: words[word] for word in sorted(LEXICON)}
    categories = Counter()
    for word, count in lexicon_counts.items():
        categories[LEXICON[word]] += count
    total_words = sum(words.values())
    total_frames = sum(t.frames for t in takes)
    return {
        "folder": str(folder),
        "kind": meta.get("info", {}).get("kind", "unknown"),
        "takes": len(takes),
        "hours": hours(total_frames),
        "hours_per_emotion": {e: hours(by_emotion[e]) for e in meta["emotions"]},
        "hours_per_split": {s: hours(by_split[s]) for s in ("train", "val", "test")},
        "hours_per_voice": {v: hours(f) for v, f in sorted(by_voice.items(), key=lambda kv: -kv[1])},
        "windows_per_split_stride10": dict(windows),
        "takes_with_words": takes_with_words,
        "words": total_words,
        "distinct_words": len(words),
        "words_per_minute": round(total_words / max(total_frames / fps / 60, 1e-9), 1) if total_words else 0.0,
        "lexicon_coverage": round(sum(1 for c in lexicon_counts.values() if c) / len(LEXICON), 3),
        "lexicon_missing": [w for w, c in lexicon_counts.items() if c == 0],
        "lexicon_share_of_words": round(sum(lexicon_counts.values()) / total_words, 3) if total_words else 0.0,
        "lexicon_words_per_category": dict(categories),
        "kinematics_per_emotion": {e: _kinematic_summary(k) for e, k in _kinematics(folder, meta, takes).items()},
    }


def format_report(stats: dict) -> str:
    """The statistics as a few readable lines."""
    lines = [f"{stats['folder']}: {stats['kind']}, {stats['takes']} takes, {stats['hours']:.3f} h",
             "hours per split:   " + ", ".join(f"{k} {v:.3f}" for k, v in stats["hours_per_split"].items()),
             "hours per emotion: " + ", ".join(f"{k} {v:.3f}" for k, v in stats["hours_per_emotion"].items()),
             "hours per voice:   " + ", ".join(f"{k} {v:.3f}" for k, v in stats["hours_per_voice"].items()),
             "windows (stride 10): " + ", ".join(f"{k} {v}" for k, v in stats["windows_per_split_stride10"].items())]
    if stats["words"]:
        lines.append(f"words: {stats['words']} ({stats['distinct_words']} distinct, {stats['words_per_minute']} per "
                     f"minute) in {stats['takes_with_words']} takes")
        missing = stats["lexicon_missing"]
        lines.append(f"lexicon coverage: {stats['lexicon_coverage'] * 100:.0f} % of {len(LEXICON)} gesture words"
                     + (f" (missing: {', '.join(missing)})" if missing else "")
                     + f"; they are {stats['lexicon_share_of_words'] * 100:.0f} % of all words; by category: "
                     + ", ".join(f"{k} {v}" for k, v in stats["lexicon_words_per_category"].items()))
    else:
        lines.append("words: none (no transcripts)")
    lines.append("hand kinematics per emotion (speed m/s mean | p90, height m mean ± sd, still %):")
    for emotion, k in stats["kinematics_per_emotion"].items():
        lines.append(f"  {emotion:<8} {k['hand_speed_mean']:.3f} | {k['hand_speed_p90']:.3f}, "
                     f"{k['hand_height_mean']:.3f} ± {k['hand_height_sd']:.3f}, {k['still_percent']:.0f} %")
    return "\n".join(lines)


def plot_corpus(folder, png, stats: dict | None = None) -> Path:
    """Write the PNG page of plots; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta, takes = _read(folder)
    stats = stats or corpus_statistics(folder)
    kin = _kinematics(folder, meta, takes)
    emotions = [e for e in meta["emotions"] if e in kin]
    cols = max(len(emotions), 2)  # the bottom row splits in two
    fig = plt.figure(figsize=(3.2 * cols, 12.5))
    grid = fig.add_gridspec(4, cols, height_ratios=[1.25, 1.25, 0.9, 0.9], hspace=0.38, wspace=0.25,
                            top=0.94, bottom=0.05, left=0.06, right=0.98)
    colours = {"RightHand": "tab:red", "LeftHand": "tab:blue"}
    speed_top = max([np.percentile(k["speed"], 99) for k in kin.values()] + [0.5])
    for c, emotion in enumerate(emotions):
        k = kin[emotion]
        excerpt = slice(0, min(len(k["positions"]), int(20 * float(meta["fps"]))))
        for row, (axis, label) in enumerate(((0, "x (m, character's left +)"), (2, "z (m, forward +)"))):
            ax = fig.add_subplot(grid[row, c])
            _draw_body(ax, k["body"], axis)
            for h, hand in enumerate(HANDS):
                p = k["positions"][excerpt, h]
                ax.plot(p[:, axis], p[:, 1], lw=0.7, color=colours[hand], alpha=0.8, label=hand)
            ax.set_aspect("equal")
            ax.set_xlim(-0.7, 0.7) if axis == 0 else ax.set_xlim(-0.45, 0.75)
            ax.set_ylim(0.6, 1.9)
            ax.set_title(f"{emotion}: {'front' if axis == 0 else 'side'}", fontsize=10)
            ax.set_xlabel(label, fontsize=8)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel("height above floor (m)", fontsize=8)
                if row == 0:
                    ax.legend(fontsize=7, loc="lower right")
        ax = fig.add_subplot(grid[2, c])
        ax.hist(k["speed"], bins=np.linspace(0, speed_top, 40), color="tab:purple", alpha=0.8, density=True)
        ax.axvline(np.mean(k["speed"]), color="black", lw=1)
        ax.set_title(f"{emotion}: hand speed, mean {np.mean(k['speed']):.2f} m/s", fontsize=9)
        ax.set_xlabel("m/s", fontsize=8)
        ax.tick_params(labelsize=7)
    half = max(cols // 2, 1)
    ax = fig.add_subplot(grid[3, :half])
    values = stats["hours_per_emotion"]
    ax.bar(list(values), [v * 60 for v in values.values()], color="tab:green")
    ax.set_ylabel("minutes", fontsize=8)
    ax.set_title("minutes per emotion", fontsize=10)
    ax.tick_params(labelsize=8)
    ax = fig.add_subplot(grid[3, half:])
    values = stats["hours_per_voice"]
    minutes = [v * 60 for v in values.values()][::-1]
    ax.barh(range(len(minutes)), minutes, color="tab:orange")
    for row, name in enumerate(list(values)[::-1]):  # names inside the bars: they can be long
        ax.text(0.01 * max(minutes), row, name, va="center", fontsize=7)
    ax.set_yticks([])
    ax.set_xlabel("minutes", fontsize=8)
    ax.set_title("minutes per voice", fontsize=10)
    ax.tick_params(labelsize=7)
    fig.suptitle(f"{Path(folder).name}: {stats['takes']} takes, {stats['hours']:.2f} h, "
                 f"{stats['words']} words, lexicon coverage {stats['lexicon_coverage'] * 100:.0f} %", fontsize=13)
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=80)
    plt.close(fig)
    return png


def _kinematics(folder, meta: dict, takes: list[Take]) -> dict[str, dict[str, np.ndarray]]:
    """Per emotion: hand positions (F, 2, 3), mean hand speed (F,), height (F,) and a mean body."""
    motion = np.load(Path(folder) / "motion.npy", mmap_mode="r")
    pos0 = SLICES["POS"].start
    vel0 = SLICES["VEL"].start
    index = {name: i for i, name in enumerate(JOINT_NAMES)}
    hand_cols = [pos0 + 3 * index[h] + a for h in HANDS for a in range(3)]
    vel_cols = [vel0 + 3 * index[h] + a for h in HANDS for a in range(3)]
    body_joints = sorted({j for chain in (_BODY_CHAIN, *_ARM_CHAINS) for j in chain})
    body_cols = [pos0 + 3 * index[j] + a for j in body_joints for a in range(3)]
    grouped: dict[str, list[Take]] = defaultdict(list)
    for take in takes:
        grouped[take.emotion].append(take)
    out = {}
    for emotion in meta["emotions"]:
        chosen = _spread_takes(grouped.get(emotion, []), _FRAMES_PER_EMOTION)
        if not chosen:
            continue
        rows = np.concatenate([np.arange(t.start, t.start + t.frames) for t in chosen])[:_FRAMES_PER_EMOTION]
        block = np.asarray(motion[rows])
        positions = block[:, hand_cols].reshape(-1, 2, 3)
        speeds = np.linalg.norm(block[:, vel_cols].reshape(-1, 2, 3), axis=2)
        speed, fastest = speeds.mean(axis=1), speeds.max(axis=1)
        body = dict(zip(body_joints, block[:, body_cols].reshape(-1, len(body_joints), 3).mean(axis=0)))
        out[emotion] = {"positions": positions, "speed": speed, "fastest": fastest,
                        "height": positions[:, :, 1].mean(axis=1), "body": body}
    return out


def _spread_takes(takes: list[Take], frames: int) -> list[Take]:
    """Takes spread evenly through the list, until about ``frames`` frames are chosen."""
    if not takes:
        return []
    total = sum(t.frames for t in takes)
    step = max(1, int(total / max(frames, 1)))
    chosen, count = [], 0
    for take in takes[::step] if step > 1 else takes:
        chosen.append(take)
        count += take.frames
        if count >= frames:
            break
    return chosen


def _kinematic_summary(k: dict[str, np.ndarray]) -> dict[str, float]:
    from .style_checks import STILL_SPEED

    return {"hand_speed_mean": round(float(np.mean(k["speed"])), 4),
            "hand_speed_p90": round(float(np.percentile(k["speed"], 90)), 4),
            "hand_height_mean": round(float(np.mean(k["height"])), 4),
            "hand_height_sd": round(float(np.std(k["height"])), 4),
            "still_percent": round(100 * float(np.mean(k["fastest"] < STILL_SPEED)), 1),
            "frames": int(len(k["speed"]))}


def _draw_body(ax, body: dict[str, np.ndarray], axis: int) -> None:
    for chain in (_BODY_CHAIN, *_ARM_CHAINS):
        points = np.array([body[j] for j in chain])
        ax.plot(points[:, axis], points[:, 1], color="0.6", lw=2.5, solid_capstyle="round", zorder=0)
    from matplotlib.patches import Circle

    head = body["Head"]
    ax.add_patch(Circle((head[axis], head[1] + 0.08), 0.09, fill=False, color="0.6", lw=2))
