"""The training program behind `openhuman train`: one file, readable top to bottom.

AdamW with warm-up then cosine (or step) decay, gradient clipping, EMA of the weights,
mixed precision and TF32 on CUDA, periodic validation loss, checkpoints with exact resume
(weights, EMA, optimiser, schedule, random generators, step), a CSV log, and distributed
data parallel when launched by `torchrun` (gloo on CPU, NCCL on CUDA). The result is a
model file (EMA weights) that the engine loads.
"""
from __future__ import annotations

import copy
import csv
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from ..engine.diffusion.denoiser import Denoiser, DenoiserConfig, count_parameters
from ..engine.diffusion.schedule import NoiseSchedule, training_step
from ..engine.errors import OpenHumanError
from ..engine.diffusion.modelfile import save_model_file
from ..engine.motion.pose import Normaliser
from ..engine.motion.skeleton_zeggs import zeggs_skeleton
from .windows_dataset import WindowDataset


@dataclass
class TrainConfig:
    data: str = ""
    out: str = "runs/model"
    steps: int = 20000
    batch_size: int = 64
    lr: float = 3e-5  # the method's; small models on small data train well at 1e-4..5e-4
    weight_decay: float = 0.01
    warmup: int = 500
    schedule: str = "cosine"  # or "step": ×0.1 at 2/3 of the steps
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    p_drop_seed_emotion: float = 0.1
    p_drop_seed: float = 0.1
    stride: int = 5
    val_every: int = 500
    val_batches: int = 8
    checkpoint_every: int = 1000
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # bf16 autocast on CUDA only
    architecture: dict = field(default_factory=dict)  # overrides of DenoiserConfig (latent, layers, heads…)
    init_from: str = ""  # a model file whose weights start a fresh run (fine-tuning); its architecture is used

    @classmethod
    def load(cls, path) -> "TrainConfig":
        text = Path(path).read_text()
        if str(path).endswith(".toml"):
            import tomllib

            raw = tomllib.loads(text)
        else:
            raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise OpenHumanError(f"{path}: unknown training settings {unknown}; known: {sorted(known)}")
        return cls(**raw)


class EMA:
    """Exponential moving average of a model's parameters (buffers copied)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))  # warm start: early averages follow the model
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.lerp_(p.detach(), 1 - d)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


def learning_rate(cfg: TrainConfig, step: int) -> float:
    if cfg.schedule == "step" and step >= cfg.warmup:
        progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return cfg.lr * (0.1 if progress >= 2 / 3 else 1.0)
    return warmup_cosine(step, cfg.lr, cfg.warmup, cfg.steps, cfg.min_lr_ratio)


def warmup_cosine(step: int, lr: float, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up to ``lr`` over ``warmup`` steps, then cosine decay to ``min_ratio``·lr at ``total``."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _distributed() -> tuple[int, int, bool]:
    """(rank, world size, whether this call started the process group: then train() ends it)."""
    started = False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and os.environ.get("OPENHUMAN_DDP_BACKEND") != "gloo" else "gloo"
        torch.distributed.init_process_group(backend)
        started = True
    if torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size(), started
    return 0, 1, started


def _device(cfg: TrainConfig, rank: int) -> torch.device:
    if cfg.device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        return torch.device("cpu")
    return torch.device(cfg.device)


def _batch(ds: WindowDataset, idx: np.ndarray, device) -> dict:
    seed, target, audio, text, emotion = ds.batch(idx)
    as_t = lambda a: torch.from_numpy(a).to(device, non_blocking=True)  # noqa: E731
    return {"seed": as_t(seed), "motion": as_t(target), "audio": as_t(audio), "text": as_t(text),
            "emotion": as_t(emotion).long()}


def build_model(cfg: TrainConfig, ds: WindowDataset) -> Denoiser:
    meta = ds.meta
    arch = DenoiserConfig(pose_dim=meta["pose_dims"], audio_dim=meta["audio_spec"]["dims"],
                          text_dim=meta["text_spec"]["dims"], frames=meta["window"], seed_frames=meta["seed_frames"],
                          n_emotions=len(meta["emotions"]), **cfg.architecture)
    return Denoiser(arch)


def _init_weights(cfg: TrainConfig, ds: WindowDataset) -> tuple[Denoiser, dict, Normaliser]:
    """The denoiser of cfg.init_from, checked against the dataset; with its training summary and its
    normalisation, which the fine-tuning keeps: the network's inputs and outputs mean what they meant,
    whatever the new corpus's own statistics (and its weights stay comparable with its parent's)."""
    from ..engine.diffusion.modelfile import load_model_file

    loaded = load_model_file(cfg.init_from, map_location="cpu")
    meta, arch = ds.meta, loaded.config
    expected = {"pose_dim": meta["pose_dims"], "audio_dim": meta["audio_spec"]["dims"],
                "text_dim": meta["text_spec"]["dims"], "frames": meta["window"], "seed_frames": meta["seed_frames"]}
    wrong = {k: (getattr(arch, k), v) for k, v in expected.items() if getattr(arch, k) != v}
    if wrong or list(loaded.emotions) != list(ds.emotions):
        raise OpenHumanError(f"init_from {cfg.init_from}: the model does not fit the dataset {cfg.data} "
                             f"(model vs data: {wrong or ''} emotions {loaded.emotions} vs {ds.emotions}); "
                             "start from scratch or build the dataset with the model's settings")
    model = loaded.model.train()
    for p in model.parameters():
        p.requires_grad_(True)
    return model, loaded.metadata.get("training", {}), Normaliser(loaded.mean, loaded.std)


def _save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def export_model(path, ema_model: Denoiser, ds: WindowDataset, training: dict) -> Path:
    return save_model_file(path, ema_model, ds.normaliser.mean, ds.normaliser.std, fps=ds.meta["fps"],
                           audio_features=ds.meta["audio_spec"], text_features=ds.meta["text_spec"],
                           emotions=ds.emotions, skeleton=zeggs_skeleton().to_dict(), training=training)


def train(cfg: TrainConfig, resume: bool = True, progress: bool = True, max_wall_s: float | None = None,
          stop_at_step: int | None = None) -> Path:
    """Train (or resume) and write `<out>/model.safetensors`; returns its path.

    max_wall_s / stop_at_step end this run early (as an interruption would), with a checkpoint.
    """
    rank, world, started_group = _distributed()
    device = _device(cfg, rank)
    torch.manual_seed(cfg.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    train_ds = WindowDataset(cfg.data, "train", stride=cfg.stride)
    val_ds = WindowDataset(cfg.data, "val", stride=cfg.stride * 4)
    if len(train_ds) == 0:
        raise OpenHumanError(f"{cfg.data}: no training windows (takes shorter than {train_ds.m + train_ds.n} frames?)")
    init = _init_weights(cfg, train_ds) if cfg.init_from else None
    model = (init[0] if init else build_model(cfg, train_ds)).to(device)
    if init:
        train_ds.normaliser = val_ds.normaliser = init[2]
    ema = EMA(model, cfg.ema_decay)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = NoiseSchedule.cosine()
    data_rng = np.random.default_rng([cfg.seed, rank])
    noise_gen = torch.Generator(device="cpu").manual_seed(cfg.seed * 1000 + rank)
    step, samples_seen, wall_before = 0, 0, 0.0
    ckpt = out / "checkpoint.pt"
    if resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        ema.model.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        data_rng.bit_generator.state = state["data_rng"][rank] if rank < len(state["data_rng"]) else data_rng.bit_generator.state
        noise_gen.set_state(state["noise_gen"][rank])
        step, samples_seen, wall_before = state["step"], state["samples_seen"], state["wall_s"]
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        net.config = model.config  # training_step reads the emotion count from it
    use_amp = cfg.amp and device.type == "cuda"
    log_path = out / "log.csv"
    new_log = not log_path.exists() or step == 0
    log = open(log_path, "w" if new_log else "a", newline="") if rank == 0 else None
    writer = csv.writer(log) if log else None
    if writer and new_log:
        writer.writerow(["step", "samples", "lr", "loss", "val_loss", "wall_s"])
    if rank == 0:
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    bar = None
    if progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc="train", dynamic_ncols=True)
    start = time.perf_counter()
    loss_avg = None
    val_loss = float("nan")

    def checkpoint():
        states = [data_rng.bit_generator.state]
        gens = [noise_gen.get_state()]
        if world > 1:  # every rank's generators, so a resume continues each rank's stream exactly
            all_states, all_gens = [None] * world, [None] * world
            torch.distributed.all_gather_object(all_states, states[0])
            torch.distributed.all_gather_object(all_gens, gens[0])
            states, gens = all_states, all_gens
        if rank == 0:
            _save_checkpoint(ckpt, {"model": model.state_dict(), "ema": ema.model.state_dict(),
                                    "opt": opt.state_dict(), "step": step, "samples_seen": samples_seen,
                                    "data_rng": states, "noise_gen": gens,
                                    "wall_s": wall_before + time.perf_counter() - start, "config": asdict(cfg)})

    while step < cfg.steps:
        if max_wall_s is not None and time.perf_counter() - start > max_wall_s:
            break
        if stop_at_step is not None and step >= stop_at_step:
            break
        lr = learning_rate(cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        net.train()
        batch = _batch(train_ds, data_rng.integers(0, len(train_ds), cfg.batch_size), device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = training_step(net, batch, schedule=schedule, p_drop_seed_emotion=cfg.p_drop_seed_emotion,
                                 p_drop_seed=cfg.p_drop_seed, generator=noise_gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        ema.update(model, step)
        step += 1
        samples_seen += cfg.batch_size * world
        value = float(loss.detach())
        loss_avg = value if loss_avg is None else 0.98 * loss_avg + 0.02 * value
        if step % cfg.val_every == 0 or step == cfg.steps:
            val_loss = validation_loss(ema.model, val_ds, cfg, schedule, device) if len(val_ds) else float("nan")
        if writer and (step % 50 == 0 or step == cfg.steps):
            writer.writerow([step, samples_seen, f"{lr:.3e}", f"{loss_avg:.5f}", f"{val_loss:.5f}",
                             f"{wall_before + time.perf_counter() - start:.1f}"])
            log.flush()
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{loss_avg:.4f}", val=f"{val_loss:.4f}", lr=f"{lr:.1e}")
        if step % cfg.checkpoint_every == 0:
            checkpoint()
    checkpoint()
    if bar:
        bar.close()
    path = out / "model.safetensors"
    if rank == 0:
        wall = wall_before + time.perf_counter() - start
        summary = {"steps": step, "samples_seen": samples_seen, "final_train_loss": loss_avg,
                   "final_val_loss": val_loss, "wall_s": round(wall, 1), "world_size": world,
                   "hardware": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
                   "parameters": count_parameters(model), "data": train_ds.meta.get("info", {}),
                   "config": asdict(cfg)}
        if init:
            summary["init_from"] = {"file": cfg.init_from, "training": init[1]}
        export_model(path, ema.model, train_ds, summary)
        log.close()
    if world > 1:
        torch.distributed.barrier()
    if started_group:  # a process that exits with gloo's group open can abort ("terminate called ...")
        torch.distributed.destroy_process_group()
    return path


@torch.no_grad()
def validation_loss(model, ds: WindowDataset, cfg: TrainConfig, schedule, device) -> float:
    """Mean x0 loss of the EMA model on fixed validation windows (no condition dropout)."""
    model.eval()
    rng = np.random.default_rng(1234)
    gen = torch.Generator().manual_seed(1234)
    losses = []
    for _ in range(cfg.val_batches):
        batch = _batch(ds, rng.integers(0, len(ds), min(cfg.batch_size, len(ds))), device)
        losses.append(float(training_step(model, batch, schedule=schedule, p_drop_seed_emotion=0.0,
                                          p_drop_seed=0.0, generator=gen)))
    return float(np.mean(losses))
