"""Small datasets built directly from one motion + audio pair: for tests and quick experiments."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.motion import pose
from ..engine.speech.audio import load_audio
from ..engine.conditions.audio_features import audio_feature_spec, compute_audio_features_for_spec
from ..engine.motion.motion import Motion
from ..engine.conditions.text_features import compute_text_features, text_feature_spec
from .windows_dataset import DatasetWriter


def features_for_pair(motion_m: Motion, samples16k: np.ndarray, words=None, spec: dict | None = None,
                      wavlm_dir=None) -> tuple[np.ndarray, ...]:
    """Pose, audio and text features of one take at 20 fps, cut to their common length; `spec`: the audio
    features to compute (default: this build's, without WavLM)."""
    motion = pose.encode(motion_m.resampled(20.0))
    audio = compute_audio_features_for_spec(samples16k, spec or audio_feature_spec(), wavlm_dir)
    n = min(len(motion), len(audio))
    return motion[:n], audio[:n], compute_text_features(words, n)


def write_takes(out, takes: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]], emotions: list[str],
                info: dict | None = None, audio_spec: dict | None = None) -> Path:
    """takes: (take id, emotion, motion feats, audio feats, text feats); every take is in train AND val."""
    writer = DatasetWriter(out, fps=20.0, window=80, seed_frames=8, audio_spec=audio_spec or audio_feature_spec(),
                           text_spec=text_feature_spec(), emotions=emotions, info=info or {})
    for take_id, emotion, motion, audio, text in takes:
        writer.add_take(take_id, "small", emotion, "train", motion, audio, text)
        writer.add_take(take_id + "-val", "small", emotion, "val", motion, audio, text)
    return writer.close()


def zeggs_clip_dataset(zeggs_dir, out, emotion: str = "Neutral", max_frames: int | None = None,
                       also: tuple[str, ...] = ()) -> Path:
    """The real ZeroEGGs clip as one take (optionally only its first max_frames at 20 fps), and once more
    labelled with each emotion in ``also`` (a model of several emotions to test on)."""
    from ..engine.motion import bvh

    motion = bvh.load(Path(zeggs_dir) / "067_Speech_2_part1.bvh").scaled(0.01)
    samples = load_audio(Path(zeggs_dir) / "067_Speech_2_part1.wav")
    m, a, t = (x[:max_frames] for x in features_for_pair(motion, samples))
    labels = [emotion, *also]
    takes = [("067_Speech_2_part1" + (f"-{k}" if k else ""), e, m, a, t) for k, e in enumerate(labels)]
    return write_takes(out, takes, labels, {"source": "ZeroEGGs clip"})
