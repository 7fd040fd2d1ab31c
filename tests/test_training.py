"""Training on real windows (the ZeroEGGs clip): learning, exact resume, and DDP with two processes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from openhuman.engine.motion import pose
from openhuman.engine.diffusion.modelfile import load_model_file, save_model_file
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features
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


def _two_emotion_data(zeggs_dir, out):
    """A handful of real windows as emotion 'Upright', and the same motion 25 cm lower as 'Crouched'."""
    from openhuman.engine.motion import bvh
    from openhuman.engine.speech.audio import load_audio
    from openhuman.training.small_datasets import features_for_pair, write_takes

    motion = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01)
    samples = load_audio(zeggs_dir / "067_Speech_2_part1.wav")
    lowered = motion.slice(0, motion.n_frames)
    lowered.root_positions = lowered.root_positions - [0.0, 0.25, 0.0]
    takes = []
    for name, m in (("Upright", motion), ("Crouched", lowered)):
        mf, af, tf = (x[:248] for x in features_for_pair(m, samples))  # 8 seed frames + 3 windows of 80
        takes.append((name.lower(), name, mf, af, tf))
    return write_takes(out, takes, ["Upright", "Crouched"], {"source": "ZeroEGGs clip, two heights"})


@pytest.fixture(scope="module")
def two_emotion_model(zeggs_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    data = _two_emotion_data(zeggs_dir, root / "data")
    steps = int(os.environ.get("OPENHUMAN_TRAIN_TEST_STEPS", "500"))
    path = train(_cfg(data, root / "model", steps=steps, lr=2e-3, warmup=20, ema_decay=0.99, stride=80), progress=False)
    return data, load_model_file(path), steps


def test_training_reproduces_real_windows_far_better_than_the_mean(two_emotion_model):
    data, bundle, steps = two_emotion_model
    assert bundle.metadata["training"]["steps"] == steps
    assert bundle.metadata["training"]["samples_seen"] == steps * 8
    ds = WindowDataset(data, "train", stride=80, normalise=False)
    z = lambda x: (x - bundle.mean) / bundle.std  # noqa: E731
    keep = np.r_[pose.SLICES["POS"], pose.SLICES["ROT6D"]]
    errors, baseline = [], []
    for i in range(len(ds)):
        _, target, audio, text, label = ds[i]
        if ds.emotions[label] != "Upright":
            continue
        frames = generate_motion_features(bundle, audio, text, "Upright", sampler="ddim", steps=20, seed=0, device="cpu")
        errors.append(np.mean((z(frames)[:, keep] - z(target)[:, keep]) ** 2))
        baseline.append(np.mean(z(target)[:, keep] ** 2))  # the data mean predicts zeros
    assert len(errors) == 3
    assert np.mean(errors) < 0.5 * np.mean(baseline), (errors, baseline)


def test_emotion_interpolation_is_monotonic_in_gamma(two_emotion_model):
    data, bundle, _ = two_emotion_model
    ds = WindowDataset(data, "train", stride=80, normalise=False)
    _, _, audio, text, _ = ds[1]
    heights = []
    for gamma in (0.0, 0.5, 1.0):
        frames = generate_motion_features(bundle, audio, text, "Upright", "Crouched", gamma=gamma, sampler="ddim",
                                          steps=20, seed=0, device="cpu")
        hips = frames[:, pose.SLICES["POS"]].reshape(len(frames), 75, 3)[:, 0, 1]
        heights.append(float(hips.mean()))
    # γ = 1 is emotion A (upright), γ = 0 emotion B (25 cm lower); halfway lands between.
    assert heights[0] < heights[1] < heights[2], heights
    assert heights[2] - heights[0] > 0.1, heights


def test_ddp_two_processes_keep_identical_weights(clip_data, tmp_path):
    script = tmp_path / "ddp_check.py"
    script.write_text(
        "import json, os, sys, torch, torch.distributed as dist\n"
        "import openhuman.training.train as T\n"
        "cfg = T.TrainConfig(**json.loads(sys.argv[1]))\n"
        "captured = {}\n"
        "orig = T.EMA.update\n"
        "def update(self, model, step):\n"
        "    orig(self, model, step); captured['model'] = model\n"
        "T.EMA.update = update\n"
        "dist.init_process_group('gloo')  # ours, so that it outlives train() for the check below\n"
        "T.train(cfg, resume=False, progress=False)\n"
        "flat = torch.cat([p.detach().flatten() for p in captured['model'].parameters()])\n"
        "gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]\n"
        "dist.all_gather(gathered, flat)\n"
        "assert torch.equal(gathered[0], gathered[1]), 'ranks diverged'\n"
        "print(f'RANK {dist.get_rank()} IDENTICAL {float(flat.abs().sum())}')  # one write: ranks interleave\n"
        "dist.barrier()\n"
        "dist.destroy_process_group()\n"
        # torch's gloo sometimes aborts the interpreter's exit ("terminate called without an active
        # exception") after all the work is done and checked; that is not what this test is about.
        "sys.stdout.flush(); os._exit(0)\n"
    )
    cfg = _cfg(clip_data, tmp_path / "ddp", steps=6).__dict__
    env = dict(os.environ, OPENHUMAN_DDP_BACKEND="gloo", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(script), json.dumps(cfg)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.count("IDENTICAL") == 2
    # As `openhuman train` under torchrun: train() starts the group and ends it, so the ranks exit cleanly.
    own = tmp_path / "ddp_own_group.py"
    own.write_text("import json, os, sys, torch.distributed as dist\n"
                   "import openhuman.training.train as T\n"
                   "T.train(T.TrainConfig(**json.loads(sys.argv[1])), resume=False, progress=False)\n"
                   "print('OPEN' if dist.is_initialized() else 'ENDED')\n"
                   "sys.stdout.flush(); os._exit(0)\n")
    cfg = _cfg(clip_data, tmp_path / "ddp-own", steps=2).__dict__
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(own), json.dumps(cfg)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.count("ENDED") == 2 and "OPEN" not in result.stdout, result.stdout


def test_fine_tuning_starts_from_the_given_model(clip_data, tmp_path):
    base = train(_cfg(clip_data, tmp_path / "base", steps=10), progress=False)
    unchanged = train(_cfg(clip_data, tmp_path / "zero", steps=0, init_from=str(base), architecture={}), progress=False)
    a, b = _weights(base), _weights(unchanged)
    assert all(torch.equal(a[k], b[k]) for k in a)
    tuned = train(_cfg(clip_data, tmp_path / "tuned", steps=5, init_from=str(base), architecture={}), progress=False)
    info = load_model_file(tuned).metadata["training"]
    assert info["init_from"]["training"]["steps"] == 10
    assert not all(torch.equal(a[k], v) for k, v in _weights(tuned).items())


def test_fine_tuning_keeps_the_parents_normalisation(clip_data, tmp_path):
    """The corpus's own statistics would change what the parent's inputs and outputs mean."""
    base = load_model_file(train(_cfg(clip_data, tmp_path / "base", steps=2), progress=False))
    parent = save_model_file(tmp_path / "parent.safetensors", base.model, base.mean + 0.5, base.std * 2.0,
                             fps=base.fps, audio_features=base.metadata["audio_features"],
                             text_features=base.metadata["text_features"], emotions=base.emotions,
                             skeleton=base.metadata["skeleton"])
    tuned = load_model_file(train(_cfg(clip_data, tmp_path / "tuned", steps=2, init_from=str(parent),
                                       architecture={}), progress=False))
    np.testing.assert_array_equal(tuned.mean, base.mean + 0.5)
    np.testing.assert_array_equal(tuned.std, base.std * 2.0)


def test_fine_tuning_refuses_a_model_that_does_not_fit(clip_data, tmp_path, zeggs_dir):
    from openhuman.engine.errors import OpenHumanError

    other = _two_emotion_data(zeggs_dir, tmp_path / "two")
    base = train(_cfg(other, tmp_path / "base", steps=2, stride=80), progress=False)
    with pytest.raises(OpenHumanError, match="does not fit"):
        train(_cfg(clip_data, tmp_path / "bad", steps=2, init_from=str(base)), progress=False)
