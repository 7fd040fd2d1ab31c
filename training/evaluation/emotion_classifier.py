"""The emotion judge: which of the dataset's emotions a motion shows, from kinematic descriptors.

Windows of WINDOW_S seconds (hop HOP_S) of real train-split motion are described by
training/style_checks.window_descriptors (hand speed, height, spread, jerk, stillness, tremor,
lean, head pose and speed, finger curl...), and a multinomial logistic regression on them
(style_checks.fit_logistic) learns the emotions. A motion's probabilities are the mean of its
windows' softmax outputs. Saved as a small .safetensors file (weights and standardisation;
emotions, descriptor names and held-out accuracy in the metadata).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ...engine.motion import pose
from ...engine.errors import OpenHumanError
from ...engine.motion.motion import Motion
from ...engine.motion.skeleton_zeggs import zeggs_skeleton
from ..style_checks import DESCRIPTOR_NAMES, confusion_matrix, fit_logistic, window_descriptors
from .motion_autoencoder import METADATA_KEY, load_evaluator_file

KIND = "emotion-classifier"
WINDOW_S = 4.0
HOP_S = 1.0


class EmotionClassifier:
    def __init__(self, params: dict, emotions: list[str], metadata: dict, path: Path | None = None):
        self.params = {k: np.asarray(v, np.float64) for k, v in params.items()}
        self.emotions, self.metadata, self.path = list(emotions), metadata, path

    def window_probabilities(self, motion: Motion, kin=None) -> np.ndarray:
        """(W, K) probabilities of each WINDOW_S window (HOP_S apart); `kin`: the motion's Kinematics, if at hand."""
        x = window_descriptors(motion, WINDOW_S, HOP_S, kin=kin)
        if not len(x):
            raise OpenHumanError(f"a motion of {motion.n_frames / motion.fps:.2f} s is too short for the emotion "
                                 f"classifier's {WINDOW_S:g} s windows")
        return self._softmax(x)

    def _softmax(self, x: np.ndarray) -> np.ndarray:
        p = self.params
        logits = ((x - p["mean"]) / p["std"]) @ p["w"] + p["b"]
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    def probabilities(self, motion: Motion, kin=None) -> np.ndarray:
        """(K,) mean probabilities over the motion's windows."""
        return self.window_probabilities(motion, kin).mean(0)

    def predict(self, motion: Motion, kin=None) -> str:
        return self.emotions[int(np.argmax(self.probabilities(motion, kin)))]

    def save(self, path) -> Path:
        from safetensors.numpy import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({k: np.ascontiguousarray(v, np.float32) for k, v in self.params.items()}, str(path),
                  metadata={METADATA_KEY: json.dumps(self.metadata)})
        return path

    @classmethod
    def load(cls, path) -> "EmotionClassifier":
        meta, tensors = load_evaluator_file(path, KIND)
        if list(meta.get("descriptors", [])) != list(DESCRIPTOR_NAMES):
            raise OpenHumanError(f"{path}: made for other motion descriptors; train it again "
                                 "(`openhuman eval --data DIR --train-evaluators`)")
        return cls({k: v.numpy() for k, v in tensors.items()}, meta["emotions"], meta, Path(path))


def take_descriptors(folder, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Descriptors (N, 22) and emotion indices (N,) of all windows of a split's real takes."""
    from ..windows_dataset import WindowDataset

    ds = WindowDataset(folder, split, stride=10 ** 9, normalise=False)
    skeleton, fps = zeggs_skeleton(), float(ds.meta["fps"])
    xs, ys = [], []
    for take in ds.takes:
        if take.split != split:
            continue
        motion = pose.decode(np.asarray(ds.motion[take.start:take.start + take.frames]), skeleton, fps)
        x = window_descriptors(motion, WINDOW_S, HOP_S)
        xs.append(x)
        ys.append(np.full(len(x), ds.emotions.index(take.emotion)))
    if not xs or not sum(len(x) for x in xs):
        raise OpenHumanError(f"{folder}: no {split} take is {WINDOW_S:g} s long; no windows to classify")
    return np.concatenate(xs), np.concatenate(ys), ds.emotions


def train_emotion_classifier(data, out=None, seed: int = 0) -> EmotionClassifier:
    """Fit on the train split's windows; held-out accuracy on the test split (val if there is none)."""
    started = time.perf_counter()
    x, y, emotions = take_descriptors(data, "train")
    params = fit_logistic(x, y, len(emotions))
    clf = EmotionClassifier(params, emotions, {})
    train_acc = float((clf._softmax(x).argmax(1) == y).mean())
    held = {}
    for split in ("test", "val"):
        try:
            hx, hy, _ = take_descriptors(data, split)
        except OpenHumanError:
            continue
        predicted = clf._softmax(hx).argmax(1)
        held = {"split": split, "windows": int(len(hy)), "accuracy": float((predicted == hy).mean()),
                "confusion": confusion_matrix(hy, predicted, len(emotions)).tolist()}
        break
    clf.metadata = {"kind": KIND, "version": 1, "emotions": emotions, "descriptors": list(DESCRIPTOR_NAMES),
                    "window_s": WINDOW_S, "hop_s": HOP_S,
                    "training": {"windows": int(len(y)), "train_accuracy": train_acc, "held_out": held,
                                 "data": Path(data).name, "seed": seed,
                                 "wall_s": round(time.perf_counter() - started, 1)}}
    if out is not None:
        clf.path = clf.save(out)
    return clf
