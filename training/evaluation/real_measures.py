"""How motion moves with a real voice: the measures of the real-speech evaluation, on any Motion.

All at 20 fps with the hands relative to the hips, in the body frame (left, up, forward):

- ``speech_motion_correlation``: Pearson r at lag 0 between the log RMS loudness of the speech in
  50 ms frames and both hands' summed speed smoothed with a 0.3 s box;
- kinematics: hand speed, hand height above the hips, still fraction (both hands under 0.05 m/s),
  mean hand jerk, the fastest hand;
- inside pauses (≥ 0.7 s, from engine.speech.activity): still fraction and hand height; in pauses
  longer than 1.5 s, how far the hands come down from their height in the speech around the pause;
- ``window_kinematics``: per 2 s window (hop 0.25 s) both hands' mean speed, both hands' mean height
  and height std, head and chest mean speed; ``frechet`` between Gaussians fitted to two sets.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.ndimage import uniform_filter1d

from ...engine.motion.motion import Motion
from ..style_checks import Kinematics

FPS = 20.0
STILL = 0.05  # m/s
LONG_PAUSE_S = 1.5
WINDOW_S, HOP_S = 2.0, 0.25
SMOOTH_S = 0.3


class HandTracks:
    """Hands, head and chest of a motion at 20 fps, relative to the hips in the body frame."""

    def __init__(self, motion: Motion):
        if abs(motion.fps - FPS) > 1e-6:
            motion = motion.resampled(FPS)
        k = Kinematics(motion)
        hips = k.local(k.joint("Hips")[:, None])[:, 0]
        self.hands = k.hands() - hips[:, None]
        self.head = k.local(k.joint("Head")[:, None])[:, 0] - hips
        self.chest = k.local(k.joint("Spine3")[:, None])[:, 0] - hips
        self.n = len(self.hands)
        self.speed = np.linalg.norm(np.gradient(self.hands, 1 / FPS, axis=0), axis=-1)  # (F, 2)
        self.height = self.hands[..., 1]
        self.head_speed = np.linalg.norm(np.gradient(self.head, 1 / FPS, axis=0), axis=-1)
        self.chest_speed = np.linalg.norm(np.gradient(self.chest, 1 / FPS, axis=0), axis=-1)

    def jerk(self) -> np.ndarray:
        """(F-3, 2) magnitude of the third difference of hand positions, m/s³."""
        return np.linalg.norm(np.diff(self.hands, 3, axis=0), axis=-1) * FPS ** 3

    def slice(self, a: int, b: int) -> "HandTracks":
        out = object.__new__(HandTracks)
        for name in ("hands", "head", "chest", "speed", "height", "head_speed", "chest_speed"):
            setattr(out, name, getattr(self, name)[a:b])
        out.n = len(out.hands)
        return out


def loudness_db(samples16k: np.ndarray, n_frames: int) -> np.ndarray:
    """Log RMS (dB) of 50 ms frames centred on k/20 s, k < n_frames."""
    hop = int(16000 / FPS)
    x = np.concatenate([np.zeros(hop // 2, np.float32), np.asarray(samples16k, np.float32),
                        np.zeros(hop * (n_frames + 1), np.float32)])
    frames = x[: hop * n_frames].reshape(n_frames, hop)
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-10)


def speech_motion_correlation(samples16k: np.ndarray, tracks: HandTracks) -> float:
    loud = loudness_db(samples16k, tracks.n)
    speed = uniform_filter1d(tracks.speed.sum(1), int(round(SMOOTH_S * FPS)), mode="nearest")
    if loud.std() == 0 or speed.std() == 0:
        return 0.0
    return float(np.corrcoef(loud, speed)[0, 1])


def pause_mask(pauses: list[tuple[float, float]], n: int) -> np.ndarray:
    mask = np.zeros(n, bool)
    for a, b in pauses:
        mask[int(np.ceil(a * FPS)):int(np.floor(b * FPS)) + 1] = True
    return mask


def measures(samples16k: np.ndarray, tracks: HandTracks, pauses: list[tuple[float, float]]) -> dict:
    """Every measure of one motion on one clip (pauses: ≥ 0.7 s stretches without speech, seconds)."""
    still = tracks.speed.max(1) < STILL
    in_pause = pause_mask(pauses, tracks.n)
    height = tracks.height.mean(1)
    out = {
        "correlation": speech_motion_correlation(samples16k, tracks),
        "hand_speed": float(tracks.speed.mean()),
        "hand_height": float(height.mean()),
        "still_fraction": float(still.mean()),
        "jerk": float(tracks.jerk().mean()),
        "fastest_hand": float(tracks.speed.max()),
        "pause_seconds": float(in_pause.sum() / FPS),
    }
    if in_pause.any():
        out["pause_still_fraction"] = float(still[in_pause].mean())
        out["pause_hand_height"] = float(height[in_pause].mean())
        out["speech_hand_height"] = float(height[~in_pause].mean()) if (~in_pause).any() else out["hand_height"]
    drops = long_pause_drops(tracks, pauses)
    if drops:
        out["long_pauses"] = len(drops)
        out["long_pause_drop"] = float(np.mean(drops))
    return out


def long_pause_drops(tracks: HandTracks, pauses: list[tuple[float, float]]) -> list[float]:
    """For each pause longer than LONG_PAUSE_S: the hands' height in the 1 s of speech before it minus
    their lowest height (mean of both hands, 0.5 s smoothed) in its second half (m; > 0: they came down)."""
    height = uniform_filter1d(tracks.height.mean(1), int(FPS / 2), mode="nearest")
    drops = []
    for a, b in pauses:
        if b - a < LONG_PAUSE_S:
            continue
        before = height[max(0, int(a * FPS) - int(FPS)):max(1, int(a * FPS))]
        mid, end = int((a + b) / 2 * FPS), min(tracks.n, int(b * FPS))
        if end <= mid or not len(before):
            continue
        reference = before.mean() if a > 0.5 else height[:mid].max()
        drops.append(float(reference - height[mid:end].min()))
    return drops


def window_kinematics(tracks: HandTracks) -> np.ndarray:
    """(W, 8): both hands' mean speed, mean height and height std; head and chest mean speed."""
    size, hop = int(WINDOW_S * FPS), int(HOP_S * FPS)
    rows = []
    for a in range(0, tracks.n - size + 1, hop):
        s = slice(a, a + size)
        h = tracks.height[s]
        rows.append([*tracks.speed[s].mean(0), *h.mean(0), *h.std(0), tracks.head_speed[s].mean(),
                     tracks.chest_speed[s].mean()])
    return np.asarray(rows, np.float64).reshape(-1, 8)


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``a`` and ``b``."""
    mu1, mu2 = a.mean(0), b.mean(0)
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(c1 @ c2)
    if np.iscomplexobj(root):
        root = root.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2 * root))


def seam_jump(tracks: HandTracks, starts: list[int], overlap: int) -> float:
    """Hand acceleration in the frames where windows join, over its mean elsewhere (1: seamless)."""
    acc = np.linalg.norm(np.diff(tracks.hands, 2, axis=0), axis=-1).max(1)
    seam = np.zeros(len(acc), bool)
    for s in starts[1:]:
        seam[max(0, s - 1):min(len(acc), s + overlap + 1)] = True
    if not seam.any() or seam.all():
        return 1.0
    return float(acc[seam].mean() / max(acc[~seam].mean(), 1e-9))
