"""Checks a model file must pass before anything is built from it: bounded architecture, tensor shapes
read from the header (nothing allocated), plausible fps, skeleton, labels and normalisation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .denoiser import Denoiser, DenoiserConfig
from ..errors import ModelFileError

# Far above any model this project trains (the bundled one: latent 192, 4 layers, 2.7 M parameters),
# far below what would exhaust a laptop's memory.
LIMITS = {"latent": 2048, "heads": 64, "layers": 64, "frames": 2000, "seed_frames": 1000, "local_window": 2000,
          "ff_mult": 16, "n_emotions": 64, "audio_dim": 8192, "text_dim": 8192, "pose_dim": 8192}
MAX_PARAMETERS = 400_000_000
FPS_RANGE = (1.0, 1000.0)
MAX_STD = 1000.0  # features are rotations (±1), positions and velocities in metres: a std beyond this is damage


def check_architecture(path: Path, config: DenoiserConfig) -> None:
    for name, limit in LIMITS.items():
        if getattr(config, name) > limit:
            raise ModelFileError(f"{path}: architecture {name} = {getattr(config, name)} is beyond this build's "
                                 f"limit of {limit}; the file is damaged or not made for OpenHuman")
    if config.seed_frames >= config.frames:
        raise ModelFileError(f"{path}: seed_frames ({config.seed_frames}) must be fewer than frames ({config.frames})")


def parameter_count(config: DenoiserConfig) -> int:
    """Scalars in a Denoiser of this architecture, counted from its sizes (nothing allocated), so that a
    header asking for a huge network is refused before one is built. tests/test_modelfile.py checks it
    against a built network."""
    L, ff = config.latent, config.ff_mult * config.latent
    block = (3 * L * L + 3 * L) + (L * L + L) + 4 * L + (L * ff + ff) + (ff * L + L)
    dims = (config.pose_dim, config.audio_dim, config.text_dim) + (config.pose_dim,) * config.noise_input
    inputs = sum(dim * L + L for dim in dims) + (3 * L * L + L)
    condition = 2 * (L * L + L) + (config.n_emotions + 1) * L + (config.pose_dim * L + L) \
        + (config.seed_frames * L * L + L) + L
    output = 2 * L + (L * config.pose_dim + config.pose_dim)
    return inputs + (config.layers + 1) * block + condition + output


def check_size(path: Path, config: DenoiserConfig) -> None:
    n = parameter_count(config)
    if n > MAX_PARAMETERS:
        raise ModelFileError(f"{path}: {n:,} parameters is beyond this build's limit of {MAX_PARAMETERS:,}")


def expected_shapes(model: torch.nn.Module) -> dict[str, tuple]:
    """Every weight's shape in a built network (a meta-device build would cost a second of imports)."""
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def check_shapes(path: Path, expected: dict[str, tuple], found: dict[str, tuple]) -> None:
    """found: the file's weight shapes (prefix removed), read from its header."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = [f"{k} {found[k]} != {v}" for k, v in expected.items() if k in found and found[k] != v]
    problems = []
    for label, items in (("missing weights", missing), ("unexpected weights", unexpected), ("shape mismatch", wrong)):
        if items:
            problems.append(f"{label} {items[:5]}{' …' if len(items) > 5 else ''}")
    if problems:
        raise ModelFileError(f"{path}: weights do not fit the architecture in its metadata: {'; '.join(problems)}")


def check_values(path: Path, metadata: dict) -> None:
    """fps, emotion labels and skeleton: what sampling and decoding rely on."""
    fps = metadata.get("fps")
    if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:
        raise ModelFileError(f"{path}: model fps is {fps!r}; it must be a number from {FPS_RANGE[0]:g} to "
                             f"{FPS_RANGE[1]:g}; the file is damaged")
    labels = metadata.get("emotions")
    if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
        raise ModelFileError(f"{path}: emotion labels must be non-empty names, got {labels!r}")
    folded = [x.casefold() for x in labels]
    dupes = sorted({x for x in labels if folded.count(x.casefold()) > 1})
    if dupes:
        raise ModelFileError(f"{path}: emotion labels repeat {dupes}; each emotion must be named once")
    _check_skeleton(path, metadata.get("skeleton"))


def _check_skeleton(path: Path, skeleton) -> None:
    from ..motion.motion import Skeleton

    try:
        sk = Skeleton.from_dict(skeleton)
        offsets = np.asarray(sk.offsets, dtype=np.float64)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{path}: the model's skeleton is invalid ({exc}); the file is damaged") from None
    if offsets.shape != (sk.n_joints, 3) or not np.isfinite(offsets).all() or np.abs(offsets).max() > 1000.0:
        raise ModelFileError(f"{path}: the model's skeleton offsets are not finite 3D offsets; the file is damaged")
    if len(set(sk.names)) != len(sk.names):
        raise ModelFileError(f"{path}: the model's skeleton repeats joint names")


def check_tensors(path: Path, tensors: dict[str, torch.Tensor], mean_key: str, std_key: str) -> None:
    """Every tensor finite; the normalisation std positive and plausible."""
    bad = sorted(k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all()))
    if bad:
        raise ModelFileError(f"{path}: tensors {bad[:5]} hold NaN or infinite values; the model file is damaged")
    std = tensors.get(std_key)
    if std is not None and not bool(((std > 0) & (std <= MAX_STD)).all()):
        raise ModelFileError(f"{path}: normalisation {std_key} must lie in (0, {MAX_STD:g}]; the file is damaged")
    mean = tensors.get(mean_key)
    if mean is not None and float(mean.abs().max()) > MAX_STD:
        raise ModelFileError(f"{path}: normalisation {mean_key} is beyond ±{MAX_STD:g}; the file is damaged")


def check_pose_codec(metadata: dict) -> None:
    """A spec check for generation: the model's poses must be the codec's (75 joints, 1141 numbers)."""
    from ..motion.pose import DIMS, N_JOINTS

    joints = len(metadata["skeleton"]["names"])
    dims = metadata["architecture"].get("pose_dim")
    if joints != N_JOINTS or dims != DIMS:
        raise ModelFileError(f"its skeleton has {joints} joints and its poses {dims} numbers; OpenHuman generates "
                             f"{N_JOINTS} joints in {DIMS} numbers: this model cannot be used to generate")
