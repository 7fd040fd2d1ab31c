"""The real-speech plot of one clip: loudness, hand height and hand speed over time, pauses shaded."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .plots import COLORS
from .real_measures import FPS


def plot_clip(name: str, tracks: dict, pauses: list[tuple[float, float]], loudness_db: np.ndarray, path) -> Path:
    """tracks: system name -> real_measures.HandTracks (same length); one PNG with three rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(loudness_db)
    t = np.arange(n) / FPS
    fig, axes = plt.subplots(3, 1, figsize=(max(8.0, min(24.0, n / FPS * 0.45)), 6.5), sharex=True)
    axes[0].plot(t, loudness_db, color="#55aa55", lw=0.9)
    axes[0].set_ylabel("loudness (dB)")
    for system in ("real", "procedural", "model"):
        if system not in tracks:
            continue
        tr = tracks[system]
        axes[1].plot(t, tr.height.mean(1), color=COLORS[system], lw=1.3, label=system)
        axes[2].plot(t, tr.speed.sum(1), color=COLORS[system], lw=1.0, label=system)
    axes[1].set_ylabel("hand height\nabove hips (m)")
    axes[2].set_ylabel("hand speed,\nboth (m/s)")
    axes[2].set_xlabel("s")
    for ax in axes:
        for a, b in pauses:
            ax.axvspan(a, b, color="#bbbbbb", alpha=0.35, lw=0)
    axes[1].legend(fontsize=8, loc="upper right")
    axes[0].set_title(f"{name}: real speech; grey: pauses ≥ 0.7 s", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return Path(path)
