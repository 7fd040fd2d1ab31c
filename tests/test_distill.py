"""Progressive distillation (training/distill.py): nested grids, the two-steps-in-one target, and a small
real run whose student learns to make one single-pass step where the guided teacher makes two of two passes."""
import numpy as np
import pytest
import torch

from openhuman.engine.diffusion.modelfile import load_model_file
from openhuman.engine.diffusion.schedule import NoiseSchedule
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features
from openhuman.engine.errors import OpenHumanError
from openhuman.training.distill import (DistillConfig, _teacher_x0, _Windows, ddim_step, distill, distill_loss,
                                        nested_grid, student_target)
from openhuman.training.small_datasets import zeggs_clip_dataset
from openhuman.training.train import TrainConfig, train

SMALL = {"latent": 64, "layers": 2, "heads": 2, "ff_mult": 2, "dropout": 0.0}


def test_grids_nest_so_one_student_step_is_two_teacher_steps():
    T = NoiseSchedule.cosine().steps
    fine = nested_grid(64, T)
    assert fine[0] == T - 1 and fine[-1] == 0 and all(a > b for a, b in zip(fine, fine[1:]))
    assert nested_grid(32, T) == fine[::2] and nested_grid(8, T) == fine[::8]
    assert DistillConfig(teacher_steps=64, student_steps=8).rounds() == [32, 16, 8]
    with pytest.raises(OpenHumanError, match="power of two"):
        DistillConfig(teacher_steps=48, student_steps=8).rounds()


def test_one_step_on_the_target_lands_where_the_two_steps_did():
    g = torch.Generator().manual_seed(0)
    x_t, x_end = torch.randn(4, 5, 3, generator=g), torch.randn(4, 5, 3, generator=g)
    ab_t = torch.tensor([0.01, 0.3, 0.7, 0.95]).view(4, 1, 1)
    for ab_end in (torch.tensor([0.1, 0.5, 0.9, 0.99]).view(4, 1, 1), torch.ones(4, 1, 1)):
        target = student_target(x_t, x_end, ab_t, ab_end)
        assert torch.allclose(ddim_step(target, x_t, ab_t, ab_end), x_end, atol=1e-4)


@pytest.fixture(scope="module")
def teacher_and_data(zeggs_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("distill")
    data = zeggs_clip_dataset(zeggs_dir, root / "data")
    cfg = TrainConfig(data=str(data), out=str(root / "teacher"), steps=100, batch_size=8, lr=2e-3, warmup=10, stride=8,
                      val_every=1000, val_batches=1, checkpoint_every=1000, architecture=SMALL, seed=3, device="cpu",
                      p_drop_seed_emotion=0.3)
    return train(cfg, progress=False), data, root


def test_a_short_distillation_makes_one_pass_land_where_two_guided_teacher_steps_do(teacher_and_data, one_thread):
    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "student"), teacher_steps=4,
                        student_steps=2, steps_per_round=100, batch_size=16, lr=5e-4, warmup=10, ema_decay=0.9,
                        stride=8, checkpoint_every=40, seed=1)
    assert distill(cfg, max_wall_s=0.0, log=lambda line: None) is None  # stopped at once, as an interruption would
    student_path = distill(cfg, log=lambda line: None)
    assert student_path.name == "round-2.safetensors"
    student, teacher = load_model_file(student_path), load_model_file(teacher_path)
    assert student.metadata["distilled"]["timesteps"] == nested_grid(2, NoiseSchedule.cosine().steps)

    # How far one step of the student lands from two of the guided teacher, on windows and noise of its own:
    # the teacher's weights as a one-pass student before, the distilled student after.
    schedule, windows = NoiseSchedule.cosine(), _Windows(cfg, teacher)
    x0, cond, gate = windows.batch(np.arange(0, len(windows.ds), max(1, len(windows.ds) // 32)))
    guided = _teacher_x0(teacher.model.eval(), True, teacher.config.n_emotions)

    def error(model):
        with torch.no_grad():
            return float(distill_loss(model.eval(), guided, schedule, 2, x0, cond, gate, torch.Generator().manual_seed(9)))

    before, after = error(teacher.model), error(student.model)
    assert after < 0.6 * before, (after, before)

    audio = np.load(data / "audio.npy")[:200]
    text = np.load(data / "text.npy")[:200]
    motion = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, seed=2)
    assert motion.shape == (200, student.config.pose_dim) and np.isfinite(motion).all()
    with pytest.raises(OpenHumanError, match="default settings only"):
        generate_motion_features(student, audio, text, "Neutral", strength=1.0)
