"""Captured vs synthesised emotion styles, side by side: a table and a plot (`openhuman data report`).

For each emotion, the style quantities of the dataset's takes (decoded from their pose features)
are measured relative to the Neutral takes and set beside the captured Bandai-Namco values of
training/style_reference.py: log ratios for speeds and sizes, differences for postures.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..engine.motion import pose
from ..engine.motion.skeleton_zeggs import zeggs_skeleton
from .style_reference import EMOTIONS as CAPTURED
from .style_reference import KIND
from .style_checks import agreement, relative, style_quantities
from .windows_dataset import WindowDataset

QUANTITIES = list(KIND)


def measure_dataset(folder, takes_per_emotion: int = 8) -> dict[str, dict[str, float]]:
    """Mean style quantities per emotion over up to N takes of each (all splits)."""
    ds = WindowDataset(folder, "train", normalise=False)
    skeleton = zeggs_skeleton()
    values: dict[str, list[dict]] = {}
    for take in ds.takes:
        if take.emotion not in CAPTURED or len(values.get(take.emotion, [])) >= takes_per_emotion:
            continue
        if take.source.lower().startswith("librivox"):
            continue
        motion = pose.decode(np.asarray(ds.motion[take.start:take.start + take.frames]), skeleton, ds.meta["fps"])
        values.setdefault(take.emotion, []).append(style_quantities(motion))
    out = {}
    for emotion, items in values.items():
        out[emotion] = {q: (float(np.exp(np.mean([math.log(i[q]) for i in items]))) if KIND[q] == "ratio"
                            else float(np.mean([i[q] for i in items]))) for q in QUANTITIES}
    return out


def compare(measured: dict[str, dict[str, float]]) -> list[dict]:
    """One row per (emotion, quantity): captured and synthesised relative values, and whether they agree."""
    if "Neutral" not in measured:
        raise ValueError("the dataset has no Neutral takes to compare the other emotions with")
    rows = []
    for emotion in CAPTURED:
        if emotion == "Neutral" or emotion not in measured:
            continue
        ours = relative(measured[emotion], measured["Neutral"], KIND)
        theirs = relative(CAPTURED[emotion], CAPTURED["Neutral"], KIND)
        for q in QUANTITIES:
            ok, how = agreement(ours[q], theirs[q], q)
            rows.append({"emotion": emotion, "quantity": q, "kind": KIND[q], "captured": theirs[q],
                         "synthesised": ours[q], "agree": ok, "how": how})
    return rows


def _show(value: float, kind: str) -> str:
    return f"x{math.exp(value):.2f}" if kind == "ratio" else f"{value:+.3f}"


def format_comparison(rows: list[dict]) -> str:
    lines = ["emotion style vs Neutral: captured (Bandai-Namco) | synthesised (this dataset)"]
    lines.append(f"{'emotion':8s} {'quantity':18s} {'captured':>9s} {'synth':>9s}  agree")
    for r in rows:
        lines.append(f"{r['emotion']:8s} {r['quantity']:18s} {_show(r['captured'], r['kind']):>9s} "
                     f"{_show(r['synthesised'], r['kind']):>9s}  {'yes' if r['agree'] else 'NO'} ({r['how']})")
    agree = sum(r["agree"] for r in rows)
    lines.append(f"agreement: {agree} of {len(rows)} (same sign, within a factor of two)")
    return "\n".join(lines)


def plot_comparison(rows: list[dict], png) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    emotions = list(dict.fromkeys(r["emotion"] for r in rows))
    cols = (len(QUANTITIES) + 1) // 2
    fig, grid = plt.subplots(2, cols, figsize=(2.4 * cols, 6.4))
    axes = grid.ravel()
    for ax in axes[len(QUANTITIES):]:
        ax.axis("off")
    x = np.arange(len(emotions))
    for ax, q in zip(axes, QUANTITIES):
        sel = {r["emotion"]: r for r in rows if r["quantity"] == q}
        ax.bar(x - 0.2, [sel[e]["captured"] for e in emotions], 0.4, label="captured", color="#777")
        ax.bar(x + 0.2, [sel[e]["synthesised"] for e in emotions], 0.4, label="synthesised", color="#2a7")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(x, emotions, rotation=60, fontsize=7)
        ax.set_title(q + (" (log ratio)" if KIND[q] == "ratio" else ""), fontsize=8)
    axes[0].legend(fontsize=7)
    fig.suptitle("Emotion styles relative to Neutral: captured vs synthesised")
    fig.tight_layout()
    png = Path(png)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png
