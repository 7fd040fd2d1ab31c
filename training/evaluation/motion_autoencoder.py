"""A small 1D-convolutional motion autoencoder: the feature space of FGD.

Input: pose features (engine/motion/pose.py) without the world placement of the root, i.e. the root's
velocities, joint positions and rotations (root frame) and gaze: 684 of the 1141 dimensions,
standardised with the training split's statistics (std floored at STD_FLOOR so constant
dimensions do not blow up small differences). The encoder halves the frame rate twice: one
latent vector of LATENT numbers per 4 frames (0.2 s at 20 fps), each seeing about 1.6 s of
motion. Trained on random crops of the train split to reconstruct its input (MSE).

Saved as one .safetensors file (weights, "norm.mean", "norm.std"; JSON metadata under
"openhuman-eval"), about 3 MB.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...engine.errors import ModelFileError
from ...engine.motion.pose import SLICES

PARTS = ("ROOT_VEL", "ROOT_ANGVEL", "POS", "ROT6D", "VEL", "GAZE")
STD_FLOOR = 0.01
STRIDE = 4  # frames per latent vector
METADATA_KEY = "openhuman-eval"
KIND = "motion-autoencoder"


def feature_indices() -> np.ndarray:
    return np.concatenate([np.arange(SLICES[p].start, SLICES[p].stop) for p in PARTS])


@dataclass(frozen=True)
class AutoencoderConfig:
    input_dim: int
    channels: int = 128
    latent: int = 32


def _block(cin, cout, kernel, stride=1):
    return [nn.Conv1d(cin, cout, kernel, stride, padding=(kernel - stride + 1) // 2), nn.GELU()]


class MotionAutoencoder(nn.Module):
    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.encoder = nn.Sequential(
            *_block(cfg.input_dim, c, 1), *_block(c, c, 5), *_block(c, c, 4, 2), *_block(c, c, 5), *_block(c, c, 4, 2),
            nn.Conv1d(c, cfg.latent, 3, padding=1))
        self.decoder = nn.Sequential(
            *_block(cfg.latent, c, 3), nn.ConvTranspose1d(c, c, 4, 2, 1), nn.GELU(), *_block(c, c, 5),
            nn.ConvTranspose1d(c, c, 4, 2, 1), nn.GELU(), *_block(c, c, 5), nn.Conv1d(c, cfg.input_dim, 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, F, D) standardised features, F a multiple of 4 -> (B, F/4, latent)."""
        return self.encoder(x.transpose(1, 2)).transpose(1, 2)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def _pad_to_stride(x: np.ndarray) -> np.ndarray:
    extra = -len(x) % STRIDE
    return np.concatenate([x, np.repeat(x[-1:], extra, axis=0)]) if extra else x


class MotionEncoder:
    """A trained autoencoder ready to turn pose features into latent sequences."""

    def __init__(self, model: MotionAutoencoder, mean: np.ndarray, std: np.ndarray, metadata: dict,
                 path: Path | None = None):
        self.model = model.eval()
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)
        self.metadata, self.path = metadata, path
        self.index = feature_indices()

    @property
    def latent_dim(self) -> int:
        return self.model.cfg.latent

    def standardise(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, np.float32)[:, self.index]
        return (x - self.mean) / self.std

    @torch.no_grad()
    def latents(self, features: np.ndarray) -> np.ndarray:
        """(F, 1141) pose features -> (ceil(F/4), latent)."""
        x = torch.from_numpy(_pad_to_stride(self.standardise(features)))[None]
        return self.model.encode(x)[0].numpy().astype(np.float64)

    @torch.no_grad()
    def latents_many(self, features: list[np.ndarray]) -> list[np.ndarray]:
        """`latents` of many motions, equal lengths in one batch."""
        out: list = [None] * len(features)
        by_length: dict[int, list[int]] = {}
        for k, f in enumerate(features):
            by_length.setdefault(len(f), []).append(k)
        for ks in by_length.values():
            x = torch.from_numpy(np.stack([_pad_to_stride(self.standardise(features[k])) for k in ks]))
            z = self.model.encode(x).numpy().astype(np.float64)
            for k, zk in zip(ks, z):
                out[k] = zk
        return out

    @torch.no_grad()
    def reconstruction_error(self, features: np.ndarray) -> float:
        """Mean squared error of the reconstruction, in standardised units."""
        x = torch.from_numpy(_pad_to_stride(self.standardise(features)))[None]
        return float(((self.model(x) - x) ** 2).mean())

    def save(self, path) -> Path:
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"model.{k}": v.contiguous() for k, v in self.model.state_dict().items()}
        tensors["norm.mean"], tensors["norm.std"] = torch.from_numpy(self.mean), torch.from_numpy(self.std)
        save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(self.metadata)})
        return path

    @classmethod
    def load(cls, path) -> "MotionEncoder":
        meta, tensors = load_evaluator_file(path, KIND)
        model = MotionAutoencoder(AutoencoderConfig(**meta["config"]))
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        return cls(model, tensors["norm.mean"].numpy(), tensors["norm.std"].numpy(), meta, Path(path))


def load_evaluator_file(path, kind: str) -> tuple[dict, dict]:
    """(metadata, tensors) of an evaluation model file of the given kind; clear errors otherwise."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file; train it with `openhuman eval --data DIR --train-evaluators`")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:
        raise ModelFileError(f"{path}: not a readable .safetensors file: {exc}") from None
    meta = json.loads(raw) if raw else {}
    if meta.get("kind") != kind:
        raise ModelFileError(f"{path}: expected an evaluation {kind} file, found {meta.get('kind')!r}")
    return meta, tensors


def _take_features(folder, split: str) -> tuple[list[np.ndarray], dict]:
    from ..windows_dataset import WindowDataset

    ds = WindowDataset(folder, split, stride=10 ** 9, normalise=False)
    takes = [t for t in ds.takes if t.split == split]
    return [np.asarray(ds.motion[t.start:t.start + t.frames]) for t in takes], ds.meta


def train_autoencoder(data, out, steps: int = 2000, batch_size: int = 32, crop: int = 64, lr: float = 1e-3,
                      channels: int = 128, latent: int = 32, seed: int = 0, progress: bool = False) -> MotionEncoder:
    """Train on random crops of the train split of dataset folder `data`; save to `out` (if given)."""
    from ...engine.errors import OpenHumanError

    started = time.perf_counter()
    takes, meta = _take_features(data, "train")
    takes = [t for t in takes if len(t) >= crop]
    if not takes:
        raise OpenHumanError(f"{data}: no train take is {crop} frames long; nothing to train the autoencoder on")
    index = feature_indices()
    selected = [t[:, index] for t in takes]
    stacked = np.concatenate(selected)
    mean, std = stacked.mean(0), np.maximum(stacked.std(0), STD_FLOOR)
    norm = [((t - mean) / std).astype(np.float32) for t in selected]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MotionAutoencoder(AutoencoderConfig(len(index), channels, latent))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.05)
    weights = np.array([len(t) - crop + 1 for t in norm], np.float64)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc="autoencoder", dynamic_ncols=True)
    loss_avg = None
    for _ in range(steps):
        which = rng.choice(len(norm), batch_size, p=weights / weights.sum())
        batch = np.stack([norm[k][s:s + crop] for k in which for s in [rng.integers(0, len(norm[k]) - crop + 1)]])
        x = torch.from_numpy(batch)
        loss = ((model(x) - x) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        value = float(loss.detach())
        loss_avg = value if loss_avg is None else 0.97 * loss_avg + 0.03 * value
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{loss_avg:.4f}")
    if bar:
        bar.close()
    metadata = {"kind": KIND, "version": 1, "config": asdict(model.cfg), "parts": list(PARTS), "stride": STRIDE,
                "fps": meta["fps"], "std_floor": STD_FLOOR,
                "training": {"data": meta.get("info", {}).get("kind"), "train_frames": int(len(stacked)),
                             "steps": steps, "batch_size": batch_size, "crop": crop, "lr": lr, "seed": seed,
                             "final_loss": loss_avg, "wall_s": round(time.perf_counter() - started, 1)}}
    encoder = MotionEncoder(model, mean, std, metadata)
    if out is not None:
        encoder.save(out)
        encoder.path = Path(out)
    return encoder
