"""PNG plots of an evaluation: the metrics per system, emotion control, and motion traces."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import beat
from .diversity import root_frame_positions

COLORS = {"real": "#444444", "mismatched": "#999999", "mean_pose": "#c9b27c", "procedural": "#4c72b0",
          "model": "#dd5533"}


def write_plots(results: dict, runs: dict, segments, starts: list[int], audio_spec: dict, out) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    paths = [_metrics(results, out / "metrics.png"), _traces(runs, segments, starts, audio_spec, out / "motion.png")]
    if "gamma" in results or "emotion" in results:
        paths.append(_emotion(results, out / "emotion.png"))
    if "zeggs" in results:
        paths.append(_zeggs(results["zeggs"], out / "zeggs.png"))
    return [str(p) for p in paths if p]


def _bars(ax, systems: dict, key: str, title: str):
    names = [n for n in systems if isinstance(systems[n].get(key), (int, float))]
    values = [systems[n][key] for n in names]
    ax.bar(range(len(names)), values, color=[COLORS.get(n, "#777777") for n in names])
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    return names


def _metrics(results: dict, path: Path) -> Path:
    import matplotlib.pyplot as plt

    systems = results["systems"]
    fig, axes = plt.subplots(2, 4, figsize=(15, 7))
    for ax, key, title in zip(axes.flat, ("fgd", "fgd_joint", "bc", "semantic_recall", "diversity_inputs",
                                          "diversity_seeds", "seam_ratio", "emotion_accuracy_own"),
                              ("FGD (lower is better)", "FGD joint with speech", "beat consistency",
                               "semantic gesture recall", "diversity across inputs (m)", "diversity across seeds (m)",
                               "seam / inside acceleration", "emotion accuracy (own emotion)")):
        _bars(ax, systems, key, title)
        if key in ("fgd", "fgd_joint"):
            floor = results["floor"][key]
            ax.axhline(floor, color="k", ls="--", lw=1, label="floor")
            if key == "fgd":
                ax.axhline(2 * floor, color="k", ls=":", lw=1, label="2 x floor")
            ax.set_yscale("log")
            ax.legend(fontsize=7)
        if key == "seam_ratio":
            ax.axhline(1.0, color="k", ls="--", lw=1)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _traces(runs: dict, segments, starts: list[int], audio_spec: dict, path: Path) -> Path:
    """Hand height and the upper-body kinetic envelope with its beats, on the first segments."""
    import matplotlib.pyplot as plt

    shown = [n for n in ("real", "procedural", "model") if n in runs]
    rows = min(3, len(segments))
    fig, axes = plt.subplots(rows, 2, figsize=(15, 2.6 * rows), squeeze=False)
    names = None
    for r in range(rows):
        seg = segments[r]
        onsets = beat.audio_beats(seg.audio, audio_spec)
        for name in shown:
            motion = runs[name][r]
            names = names or list(motion.skeleton.names)
            t = np.arange(motion.n_frames) / motion.fps
            pos = root_frame_positions(motion)
            hand = pos[:, names.index("RightHand"), 1] - pos[:, names.index("Hips"), 1]
            axes[r, 0].plot(t, hand, color=COLORS[name], label=name, lw=1.2)
            env = beat.kinetic_envelope(motion)
            axes[r, 1].plot(t, env, color=COLORS[name], label=name, lw=1.2)
            mb = beat.motion_beats(motion)
            axes[r, 1].plot(mb, np.interp(mb, t, env), "v", color=COLORS[name], ms=5)
        for ax in axes[r]:
            for s in starts[1:]:
                ax.axvline(s / seg.fps, color="k", ls=":", lw=1)
        for o in onsets:
            axes[r, 1].axvline(o, color="#55aa55", lw=0.6, alpha=0.6)
        axes[r, 0].set_ylabel(f"{seg.key}\n{seg.emotion}", fontsize=7)
    axes[0, 0].set_title("right hand height above the hips (m); dotted: window seam", fontsize=10)
    axes[0, 1].set_title("upper-body speed (m/s), motion beats (v), speech onsets (green)", fontsize=10)
    axes[0, 0].legend(fontsize=7)
    axes[-1, 0].set_xlabel("s")
    axes[-1, 1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _emotion(results: dict, path: Path) -> Path:
    import matplotlib.pyplot as plt

    emo = results.get("emotion", {})
    sweep = emo.get("model") or emo.get("procedural")
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    if sweep:
        c = np.asarray(sweep["confusion"], float)
        c = c / np.maximum(c.sum(1, keepdims=True), 1)
        axes[0].imshow(c, vmin=0, vmax=1, cmap="Blues")
        labels = sweep["emotions"]
        axes[0].set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
        axes[0].set_yticks(range(len(labels)), labels, fontsize=8)
        for i in range(len(labels)):
            for j in range(len(labels)):
                axes[0].text(j, i, f"{c[i, j]:.2f}", ha="center", va="center", fontsize=7)
        who = "model" if emo.get("model") else "procedural"
        axes[0].set_title(f"{who}: asked (rows) vs judged (columns), accuracy {sweep['accuracy']:.2f}", fontsize=10)
        axes[0].set_xlabel("judged")
    gamma = results.get("gamma")
    if gamma:
        g = gamma["gammas"]
        curves = np.array(list(gamma["curves"].values()))
        for name, curve in gamma["curves"].items():
            bad = name in gamma["failing"]
            axes[1].plot(g, curve, color="#dd5533" if bad else "#999999", lw=1.5 if bad else 0.7,
                         alpha=1.0 if bad else 0.6)
        axes[1].plot(g, curves.mean(0), color="k", lw=2.5, label="mean over pairs")
        axes[1].set_xlabel("γ (weight of emotion A)")
        axes[1].set_ylabel("classifier probability of A")
        axes[1].set_title(f"interpolation A/B: monotonic for {gamma['fraction']:.0%} of {gamma['pairs']} pairs "
                          "(red: not)", fontsize=10)
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _zeggs(z: dict, path: Path) -> Path:
    import matplotlib.pyplot as plt

    keys = list(z["ratio_to_real"]["model"])
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, name in enumerate(("model", "procedural")):
        ax.bar(np.arange(len(keys)) + 0.38 * k, [z["ratio_to_real"][name][q] for q in keys], 0.36,
               color=COLORS[name], label=name)
    ax.axhspan(0.65, 1.35, color="#55aa55", alpha=0.15, label="within 35 %")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xticks(np.arange(len(keys)) + 0.19, keys)
    ax.set_ylabel("ratio to the real capture")
    ax.set_title(f"ZeroEGGs {z['clip']} audio, Neutral ({z['seconds']:.0f} s)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
