"""Model files: one .safetensors file with weights, normalisation and JSON metadata.

Tensors: "model.<name>" (the denoiser's state_dict), "norm.mean" and "norm.std"
(D,). Metadata: the header's `__metadata__` holds one key, "openhuman", whose
value is a JSON object (safetensors allows only str -> str there):
  format_version, architecture (DenoiserConfig), window {frames, seed_frames},
  fps, audio_features, text_features (feature specs from their modules),
  emotions (labels, index = embedding row), skeleton {names, parents, offsets},
  training (summary), weights_sha256 (over every tensor: names, dtypes, shapes, bytes).
Loading never unpickles: safetensors only.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..atomic_file import atomic_path
from . import model_checks
from .denoiser import Denoiser, DenoiserConfig, weights_digest
from ..errors import ModelFileError, OpenHumanError
from .device import pick_device

FORMAT_VERSION = 1
METADATA_KEY = "openhuman"
WEIGHT_PREFIX = "model."
MEAN_KEY, STD_KEY = "norm.mean", "norm.std"
REQUIRED_METADATA = (
    "format_version", "architecture", "window", "fps", "audio_features", "text_features",
    "emotions", "skeleton", "training", "weights_sha256",
)

# A spec check receives the whole metadata dict and raises ModelFileError (or
# ValueError) when this build cannot compute the features the model expects.
SpecCheck = Callable[[dict], None]


@dataclass
class LoadedModel:
    """A denoiser ready to sample (eval mode) with what is needed to use it."""

    model: Denoiser
    config: DenoiserConfig
    metadata: dict
    mean: np.ndarray  # (D,) float32, feature mean of the training set
    std: np.ndarray  # (D,) float32
    path: Path | None = field(default=None)

    def network(self, device: torch.device, dtype: torch.dtype = torch.float32, frozen: bool = False):
        """The denoiser on ``device`` in eval mode, its weights of ``dtype`` (a copy made once, precision.py);
        ``frozen``: run as frozen TorchScript graphs (frozen.py), made once per device and type."""
        from .frozen import FrozenDenoiser
        from .precision import with_weights

        model = self.model.to(device).eval()
        if dtype == torch.float32 and not frozen:
            return model
        copies = self.__dict__.setdefault("_networks", {})
        key = (str(device), dtype, frozen)
        if key not in copies:
            typed = with_weights(model, dtype).eval()
            copies[key] = FrozenDenoiser(typed) if frozen else typed
        return copies[key]

    @property
    def emotions(self) -> list[str]:
        return list(self.metadata["emotions"])

    @property
    def fps(self) -> float:
        return float(self.metadata["fps"])

    def emotion_index(self, emotion: str | int) -> int:
        """Index of an emotion given by label (case-insensitive) or index."""
        labels = self.emotions
        if isinstance(emotion, (int, np.integer)) and not isinstance(emotion, bool):
            if 0 <= emotion < len(labels):
                return int(emotion)
        elif isinstance(emotion, str):
            folded = [label.casefold() for label in labels]
            if emotion.casefold() in folded:
                return folded.index(emotion.casefold())
        raise OpenHumanError(f"unknown emotion {emotion!r}; this model knows: {', '.join(labels)}")


def _check_skeleton(skeleton: dict) -> None:
    keys = ("names", "parents", "offsets")
    if not isinstance(skeleton, dict) or any(not isinstance(skeleton.get(k), list) for k in keys):
        raise ValueError(f"skeleton must be a dict with lists {keys}")
    if len({len(skeleton[k]) for k in keys}) != 1:
        raise ValueError("skeleton names, parents and offsets must have the same length")


def save_model_file(
    path: str | os.PathLike,
    model: Denoiser,
    mean,
    std,
    *,
    fps: float,
    audio_features: dict,
    text_features: dict,
    emotions: list[str],
    skeleton: dict,
    training: dict | None = None,
    distilled: dict | None = None,
) -> Path:
    """Write a model file atomically (a temporary file renamed into place). ``distilled``: for a
    student of training/distill.py, its sampling grid and the guidance it carries."""
    cfg = model.config
    mean_t = torch.as_tensor(np.asarray(mean, dtype=np.float32))
    std_t = torch.as_tensor(np.asarray(std, dtype=np.float32))
    if mean_t.shape != (cfg.pose_dim,) or std_t.shape != (cfg.pose_dim,):
        raise ValueError(f"mean and std must have shape ({cfg.pose_dim},)")
    if not bool((std_t > 0).all()):
        raise ValueError("std must be positive everywhere")
    if len(emotions) != cfg.n_emotions or len(set(emotions)) != len(emotions):
        raise ValueError(f"need {cfg.n_emotions} distinct emotion labels, got {emotions}")
    _check_skeleton(skeleton)

    tensors = {WEIGHT_PREFIX + k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors[MEAN_KEY], tensors[STD_KEY] = mean_t, std_t
    metadata = {
        "format_version": FORMAT_VERSION,
        "architecture": cfg.to_dict(),
        "window": {"frames": cfg.frames, "seed_frames": cfg.seed_frames},
        "fps": float(fps),
        "audio_features": audio_features,
        "text_features": text_features,
        "emotions": list(emotions),
        "skeleton": skeleton,
        "training": training or {},
        "weights_sha256": weights_digest(tensors),
    }
    if distilled:
        metadata["distilled"] = distilled
    path = Path(path)
    with atomic_path(path, suffix=".safetensors") as tmp:
        save_file(tensors, tmp, metadata={METADATA_KEY: json.dumps(metadata)})
    return path


def save_model_file_like(path: str | os.PathLike, model: Denoiser, like: LoadedModel, *,
                         training: dict | None = None, distilled: dict | None = None) -> Path:
    """save_model_file for ``model`` with the normalisation, frame rate, features, emotions and skeleton of
    the loaded file ``like`` (a student, a mix or a copy of it)."""
    meta = like.metadata
    return save_model_file(path, model, like.mean, like.std, fps=meta["fps"], audio_features=meta["audio_features"],
                           text_features=meta["text_features"], emotions=like.emotions, skeleton=meta["skeleton"],
                           training=training, distilled=distilled)


def read_metadata(path: str | os.PathLike) -> dict:
    """The OpenHuman metadata of a model file; refuses files that are not model files."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file; give the path of an OpenHuman .safetensors model")
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file; give the path of an OpenHuman .safetensors model")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            header = f.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for every kind of damage
        raise ModelFileError(
            f"{path}: not a readable safetensors file (damaged, truncated or another format): {exc}"
        ) from None
    if METADATA_KEY not in header:
        raise ModelFileError(f"{path}: a safetensors file but not an OpenHuman model (no '{METADATA_KEY}' metadata)")
    try:
        metadata = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: model metadata is damaged (bad JSON: {exc})") from None
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: model metadata is damaged (not a JSON object)")
    return metadata


def _check_metadata(path: Path, metadata: dict) -> None:
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path}: model metadata is damaged (format_version is {version!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by a newer OpenHuman (model format {version}; this build reads up to "
            f"{FORMAT_VERSION}); update OpenHuman to use this model"
        )
    missing = [k for k in REQUIRED_METADATA if k not in metadata]
    if missing:
        raise ModelFileError(f"{path}: model metadata lacks {missing}; the file is damaged or not a model file")


def _run_spec_checks(path: Path, metadata: dict, checks: Iterable[SpecCheck]) -> None:
    for check in checks:
        try:
            check(metadata)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"{path}: this build cannot compute the model's features: {exc}") from None


def load_model_file(
    path: str | os.PathLike,
    map_location: str | torch.device = "cpu",
    spec_checks: Iterable[SpecCheck] = (),
) -> LoadedModel:
    """Load, verify and build the denoiser (eval mode, on map_location: 'cpu', 'cuda', 'auto' or a device)."""
    path = Path(path)
    metadata = read_metadata(path)
    _check_metadata(path, metadata)
    try:
        config = DenoiserConfig.from_dict(metadata["architecture"])
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: bad architecture in metadata: {exc}") from None
    model_checks.check_architecture(path, config)
    model_checks.check_size(path, config)
    emotions = metadata["emotions"]
    if not isinstance(emotions, list) or len(emotions) != config.n_emotions:
        raise ModelFileError(f"{path}: metadata lists {emotions!r} but the model has {config.n_emotions} emotions")
    model_checks.check_values(path, metadata)
    _run_spec_checks(path, metadata, spec_checks)

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            # Shapes come from the header: a file that lies about its architecture is refused before
            # any tensor is read, and its size was bounded before the network was built.
            shapes = {k[len(WEIGHT_PREFIX):]: tuple(f.get_slice(k).get_shape())
                      for k in f.keys() if k.startswith(WEIGHT_PREFIX)}
            model = Denoiser(config)
            model_checks.check_shapes(path, model_checks.expected_shapes(model), shapes)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(f"{path}: tensors could not be read (damaged or truncated file): {exc}") from None
    if weights_digest(tensors) != metadata["weights_sha256"]:
        raise ModelFileError(f"{path}: weights do not match their checksum; the file is damaged or was modified")
    mean, std = tensors.get(MEAN_KEY), tensors.get(STD_KEY)
    for name, t in ((MEAN_KEY, mean), (STD_KEY, std)):
        if t is None or tuple(t.shape) != (config.pose_dim,):
            raise ModelFileError(f"{path}: normalisation tensor {name} is missing or not of shape ({config.pose_dim},)")
    model_checks.check_tensors(path, tensors, MEAN_KEY, STD_KEY)

    model.load_state_dict({k[len(WEIGHT_PREFIX):]: v for k, v in tensors.items() if k.startswith(WEIGHT_PREFIX)})
    model.to(pick_device(map_location)).eval()
    return LoadedModel(model, config, metadata, mean.float().numpy(), std.float().numpy(), path)


def model_info(path: str | os.PathLike) -> dict:
    """Metadata plus file facts, for `openhuman info`; reads only the header."""
    path = Path(path)
    metadata = read_metadata(path)
    with safe_open(str(path), framework="pt", device="cpu") as f:
        n_weights = sum(
            int(np.prod(f.get_slice(k).get_shape())) for k in f.keys() if k.startswith(WEIGHT_PREFIX)
        )
    return {"file": str(path), "size_bytes": path.stat().st_size, "parameters": n_weights, **metadata}


__all__ = [
    "FORMAT_VERSION", "LoadedModel", "load_model_file", "model_info", "read_metadata",
    "save_model_file", "weights_digest",
]
