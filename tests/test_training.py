"""Training on real windows (the ZeroEGGs clip): learning, exact resume, and DDP with two processes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from openhuman.engine.modelfile import load_model_file
from openhuman.engine.windows import generate_motion_features
from openhuman.training.small_datasets import zeggs_clip_dataset
from openhuman.training.train import TrainConfig, train
from openhuman.training.windows_dataset import WindowDataset

SMALL = {"latent": 64, "layers": 2, "heads": 2, "ff_mult": 2, "dropout": 0.0}


@pytest.fixture(scope="module")
def clip_data(zeggs_dir, tmp_path_factory):
    return zeggs_clip_dataset(zeggs_dir, tmp_path_factory.mktemp("data") / "clip")


def _cfg(data, out, **kw):
    base = dict(data=str(data), out=str(out), steps=30, batch_size=8, lr=1e-3, warmup=5, stride=8, val_every=1000,
                val_batches=1, checkpoint_every=10, architecture=SMALL, seed=3, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


def _weights(path):
    return load_model_file(path).model.state_dict()


def test_resume_is_exact(clip_data, tmp_path):
    straight = train(_cfg(clip_data, tmp_path / "a", steps=20), progress=False)
    train(_cfg(clip_data, tmp_path / "b", steps=20), progress=False, stop_at_step=10)  # an interruption
    resumed = train(_cfg(clip_data, tmp_path / "b", steps=20), progress=False)
    a, b = _weights(straight), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    log = (tmp_path / "b" / "log.csv").read_text().splitlines()
    assert log[0].startswith("step,samples,lr,loss")


@pytest.mark.slow
def test_training_learns_the_clip_far_better_than_the_mean(clip_data, tmp_path):
    _check_learning(clip_data, tmp_path, steps=1500)


def test_training_learns_short(clip_data, tmp_path):
    """CI's short version of the slow test above: fewer steps, a looser bar."""
    _check_learning(clip_data, tmp_path, steps=250, ratio=0.8)


def _check_learning(clip_data, tmp_path, steps, ratio=0.5):
    path = train(_cfg(clip_data, tmp_path / "m", steps=steps, lr=2e-3, warmup=20, ema_decay=0.99), progress=False)
    bundle = load_model_file(path)
    ds = WindowDataset(clip_data, "train", stride=80, normalise=False)
    seed, target, audio, text, _ = ds[1]
    frames = generate_motion_features(bundle, audio, text, "Neutral", sampler="ddim", steps=20, seed=0, device="cpu")
    z = lambda x: (x - bundle.mean) / bundle.std  # noqa: E731
    err_model = float(np.mean((z(frames) - z(target)) ** 2))
    err_mean = float(np.mean(z(target) ** 2))
    summary = json.loads(json.dumps(bundle.metadata["training"]))
    assert summary["steps"] == steps and summary["samples_seen"] == steps * 8
    assert err_model < ratio * err_mean, (err_model, err_mean)




def test_ddp_two_processes_keep_identical_weights(clip_data, tmp_path):
    script = tmp_path / "ddp_check.py"
    script.write_text(
        "import json, sys, torch, torch.distributed as dist\n"
        "import openhuman.training.train as T\n"
        "cfg = T.TrainConfig(**json.loads(sys.argv[1]))\n"
        "captured = {}\n"
        "orig = T.EMA.update\n"
        "def update(self, model, step):\n"
        "    orig(self, model, step); captured['model'] = model\n"
        "T.EMA.update = update\n"
        "T.train(cfg, resume=False, progress=False)\n"
        "flat = torch.cat([p.detach().flatten() for p in captured['model'].parameters()])\n"
        "gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]\n"
        "dist.all_gather(gathered, flat)\n"
        "assert torch.equal(gathered[0], gathered[1]), 'ranks diverged'\n"
        "print('RANK', dist.get_rank(), 'IDENTICAL', float(flat.abs().sum()))\n"
    )
    cfg = _cfg(clip_data, tmp_path / "ddp", steps=6).__dict__
    env = dict(os.environ, OPENHUMAN_DDP_BACKEND="gloo", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(script), json.dumps(cfg)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.count("IDENTICAL") == 2
