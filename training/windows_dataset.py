"""Training data on disk: whole takes stored frame by frame, cut into windows on the fly.

A dataset folder holds, memory-mappable with numpy:

- `motion.npy` (frames, 1141) float32: pose features (not normalised) of every take, concatenated;
- `audio.npy` (frames, Da) and `text.npy` (frames, Dt) float32: the per-frame conditions;
- `takes.json`: one record per take: id, source, emotion, split, first row, frame count;
- `meta.json`: format name and version, fps, window sizes, feature specs, emotion labels;
- `normaliser.safetensors`: mean and std of the train split's motion features.

A window is N seed frames followed by M frames to generate (88 at 20 fps by default);
every start position a take allows is a window, with a configurable stride.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.errors import OpenHumanError
from ..engine.motion.pose import DIMS, Normaliser

FORMAT = "openhuman-takes"
VERSION = 1
SPLITS = ("train", "val", "test")


class DatasetError(OpenHumanError):
    """A dataset folder is missing, incomplete or of another format."""


@dataclass
class Take:
    id: str
    source: str
    emotion: str
    split: str
    start: int
    frames: int
    words: list | None = None


def split_for_index(index: int, n_takes: int) -> str:
    """8:1:1 by take, deterministic, spreading val and test through the list."""
    if n_takes < 3:
        return "train"
    position = index % 10
    return "val" if position == 8 else "test" if position == 9 else "train"


class DatasetWriter:
    """Appends takes to a new dataset folder; `close()` writes the index and statistics.

    Writes into `<out>.partial` and renames at the end, so an interrupted build never
    leaves a folder that looks complete.
    """

    def __init__(self, out, *, fps: float, window: int, seed_frames: int, audio_spec: dict,
                 text_spec: dict, emotions: list[str], info: dict | None = None):
        self.out = Path(out)
        self.tmp = self.out.with_name(self.out.name + ".partial")
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        self.meta = {
            "format": FORMAT, "version": VERSION, "fps": fps, "window": window, "seed_frames": seed_frames,
            "pose_dims": DIMS, "audio_spec": audio_spec, "text_spec": text_spec,
            "emotions": list(emotions), "info": info or {},
        }
        self.takes: list[Take] = []
        self._files = {name: open(self.tmp / f"{name}.raw", "wb") for name in ("motion", "audio", "text")}
        self._dims = {"motion": DIMS, "audio": audio_spec["dims"], "text": text_spec["dims"]}
        self._rows = 0

    def add_take(self, take_id: str, source: str, emotion: str, split: str, motion: np.ndarray,
                 audio: np.ndarray, text: np.ndarray, words=None) -> None:
        if emotion not in self.meta["emotions"]:
            raise DatasetError(f"take {take_id}: emotion {emotion!r} is not one of {self.meta['emotions']}")
        if split not in SPLITS:
            raise DatasetError(f"take {take_id}: split must be one of {SPLITS}")
        n = len(motion)
        arrays = {"motion": motion, "audio": audio, "text": text}
        for name, a in arrays.items():
            if a.shape != (n, self._dims[name]):
                raise DatasetError(f"take {take_id}: {name} is {a.shape}, expected ({n}, {self._dims[name]})")
            if not np.all(np.isfinite(a)):
                raise DatasetError(f"take {take_id}: {name} has NaN or infinite values")
        for name, a in arrays.items():
            self._files[name].write(np.ascontiguousarray(a, dtype=np.float32).tobytes())
        words = [[w.word, w.start, w.end] for w in words] if words else None
        self.takes.append(Take(take_id, source, emotion, split, self._rows, n, words))
        self._rows += n

    def close(self) -> Path:
        for f in self._files.values():
            f.close()
        for name, dims in self._dims.items():
            raw = np.memmap(self.tmp / f"{name}.raw", dtype=np.float32, mode="r", shape=(self._rows, dims))
            np.save(self.tmp / f"{name}.npy", raw)
            del raw
            os.unlink(self.tmp / f"{name}.raw")
        motion = np.load(self.tmp / "motion.npy", mmap_mode="r")
        train = [t for t in self.takes if t.split == "train"] or self.takes
        if not train:
            raise DatasetError("no takes were written: nothing to train on")
        Normaliser.fit(motion[t.start:t.start + t.frames] for t in train).save(self.tmp / "normaliser.safetensors")
        (self.tmp / "takes.json").write_text(json.dumps([t.__dict__ for t in self.takes], indent=0))
        self.meta["splits"] = {s: sum(t.frames for t in self.takes if t.split == s) for s in SPLITS}
        (self.tmp / "meta.json").write_text(json.dumps(self.meta, indent=2))
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.tmp, self.out)
        return self.out


class WindowDataset:
    """Windows of one split: item i gives (seed (N, D), target (M, D), audio (M, Da), text (M, Dt), emotion)."""

    def __init__(self, folder, split: str = "train", stride: int = 10, normalise: bool = True):
        self.folder = Path(folder)
        meta_path = self.folder / "meta.json"
        if not meta_path.exists():
            raise DatasetError(f"{self.folder} is not an OpenHuman dataset (no meta.json): build one with "
                               "`openhuman data synth` or `openhuman data zeggs`")
        self.meta = json.loads(meta_path.read_text())
        if self.meta.get("format") != FORMAT:
            raise DatasetError(f"{self.folder}: unknown dataset format {self.meta.get('format')!r}")
        if self.meta.get("version", 0) > VERSION:
            raise DatasetError(f"{self.folder}: dataset version {self.meta['version']} is newer than this build")
        self.takes = [Take(**t) for t in json.loads((self.folder / "takes.json").read_text())]
        self.motion = np.load(self.folder / "motion.npy", mmap_mode="r")
        self.audio = np.load(self.folder / "audio.npy", mmap_mode="r")
        self.text = np.load(self.folder / "text.npy", mmap_mode="r")
        self.normaliser = Normaliser.load(self.folder / "normaliser.safetensors")
        self.normalise = normalise
        self.emotions = list(self.meta["emotions"])
        self.m = int(self.meta["window"])
        self.n = int(self.meta["seed_frames"])
        starts, labels = [], []
        for t in self.takes:
            if t.split != split:
                continue
            for s in range(self.n, t.frames - self.m + 1, stride):
                starts.append(t.start + s)
                labels.append(self.emotions.index(t.emotion))
        self.starts = np.asarray(starts, dtype=np.int64)
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int):
        s = int(self.starts[i])
        seed = np.array(self.motion[s - self.n:s])
        target = np.array(self.motion[s:s + self.m])
        if self.normalise:
            seed, target = self.normaliser.normalise(seed), self.normaliser.normalise(target)
        return (seed, target, np.array(self.audio[s:s + self.m]), np.array(self.text[s:s + self.m]),
                int(self.labels[i]))

    def batch(self, indices) -> tuple[np.ndarray, ...]:
        items = [self[int(i)] for i in indices]
        return tuple(np.stack([it[k] for it in items]) for k in range(5))
