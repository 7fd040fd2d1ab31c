"""Progressive distillation (training/distill.py): nested grids, the two-steps-in-one target, and a small
real run whose student learns to make one single-pass step where the guided teacher makes two of two passes."""
import numpy as np
import pytest
import torch

from openhuman.engine.diffusion.guidance import Conditions
from openhuman.engine.diffusion.modelfile import load_model_file
from openhuman.engine.diffusion.schedule import NoiseSchedule
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features
from openhuman.engine.errors import OpenHumanError
from openhuman.engine.diffusion.samplers import (GridDDIM, NoiseReadingGrid, grid_alpha_bars, injected_noise,
                                                 posterior_coefficients, sample)
from openhuman.training.distill import (GUIDANCE_ROUND, DistillConfig, Guide, _noise_reading_copy, _teacher_x0,
                                        _Windows, distill, distill_loss, guidance_loss, guided_by, nested_grid)
from openhuman.training.distill_steps import (ddim_step, first_injections, fold_shifts, folded_injections,
                                              halved_injections, path_average_weights, pause_frame_weights,
                                              round_shift, step_loss, student_target, energy_score)
from openhuman.training.small_datasets import zeggs_clip_dataset
from openhuman.training.train import TrainConfig, train

SMALL = {"latent": 64, "layers": 2, "heads": 2, "ff_mult": 2, "dropout": 0.0}


def test_grids_nest_so_one_student_step_is_two_teacher_steps():
    T = NoiseSchedule.cosine().steps
    fine = nested_grid(64, T)
    assert fine[0] == T - 1 and fine[-1] == 0 and all(a > b for a, b in zip(fine, fine[1:]))
    assert nested_grid(32, T) == fine[::2] and nested_grid(8, T) == fine[::8]
    assert DistillConfig(teacher_steps=64, student_steps=8).rounds() == [32, 16, 8]
    with pytest.raises(OpenHumanError, match="power of the fold 2"):
        DistillConfig(teacher_steps=48, student_steps=8).rounds()
    assert DistillConfig(teacher_steps=64, student_steps=4, fold=4).rounds() == [16, 4]
    with pytest.raises(OpenHumanError, match="power of the fold 4"):
        DistillConfig(teacher_steps=64, student_steps=8, fold=4).rounds()
    with pytest.raises(OpenHumanError, match="fold must be a power of two"):
        DistillConfig(fold=3).rounds()
    with pytest.raises(OpenHumanError, match="teacher_path must be one of ode, sde-noise, guidance"):
        DistillConfig(teacher_path="sde")


def test_one_step_on_the_target_lands_where_the_two_steps_did():
    g = torch.Generator().manual_seed(0)
    x_t, x_end = torch.randn(4, 5, 3, generator=g), torch.randn(4, 5, 3, generator=g)
    ab_t = torch.tensor([0.01, 0.3, 0.7, 0.95]).view(4, 1, 1)
    for ab_end in (torch.tensor([0.1, 0.5, 0.9, 0.99]).view(4, 1, 1), torch.ones(4, 1, 1)):
        target = student_target(x_t, x_end, ab_t, ab_end)
        assert torch.allclose(ddim_step(target, x_t, ab_t, ab_end), x_end, atol=1e-4)


def test_a_drawn_ddim_step_at_eta_one_is_the_posterior_step():
    g = torch.Generator().manual_seed(1)
    x0, x_t, noise = (torch.randn(3, 5, 2, generator=g) for _ in range(3))
    ab_t, ab_next = torch.tensor([0.05, 0.4, 0.8]).view(3, 1, 1), torch.tensor([0.2, 0.6, 0.95]).view(3, 1, 1)
    c0, ct, sd = (c.float() for c in posterior_coefficients(ab_t, ab_next))
    assert torch.allclose(ddim_step(x0, x_t, ab_t, ab_next, 1.0, noise), c0 * x0 + ct * x_t + sd * noise, atol=1e-5)
    assert torch.allclose(ddim_step(x0, x_t, ab_t, torch.ones(3, 1, 1), 0.7, noise), x0)  # the last step: x0
    half = ddim_step(x0, x_t, ab_t, ab_next, 0.5, noise)
    assert not torch.allclose(half, ddim_step(x0, x_t, ab_t, ab_next)) and torch.isfinite(half).all()


@pytest.fixture(scope="module")
def teacher_and_data(zeggs_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("distill")
    data = zeggs_clip_dataset(zeggs_dir, root / "data", also=("Happy",))  # two emotions to blend
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


def test_halved_injections_keep_each_step_the_posterior_s_noise():
    """Rolled copies of one draw are independent normals: a student step's injection has the variance of
    the posterior step it makes, round after round, and no two of its rolls coincide."""
    injections, schedule = first_injections(64), NoiseSchedule.cosine()
    for r in range(3):
        injections = halved_injections(injections, round_shift(r), 1141)
        n = len(injections)
        ab = grid_alpha_bars(schedule, nested_grid(n, schedule.steps))
        for i, step in enumerate(injections):
            s = float(posterior_coefficients(ab[i], ab[i + 1])[2])
            assert sum(c * c for c, _ in step) == pytest.approx(s * s, rel=1e-9, abs=1e-15)
            assert len({sh for _, sh in step}) == len(step) == (2 ** (r + 1) if i + 1 < n else 0)
    z = torch.randn(4000, 2, 91, generator=torch.Generator().manual_seed(0))
    mixed = injected_noise(z, [(0.6, 0), (0.8, 17)])
    assert float(mixed.std()) == pytest.approx(1.0, abs=0.01)
    with pytest.raises(OpenHumanError, match="collide"):
        halved_injections([[(1.0, 0)], [(1.0, 0)], [(1.0, 0)], []], 10, 10)  # a roll by the whole window is none


@pytest.mark.parametrize("abs_", [(0.2, 0.5, 0.9), (0.05, 0.2, 0.5, 0.8, 1.0)])
def test_posterior_steps_compose_so_the_path_average_is_the_steps_in_one(abs_):
    """Two steps (a halving) or four (a fold of 4, the last to clean motion): one step with the path average
    of their predictions and their noise carried lands where they do."""
    abs_ = [torch.tensor(a) for a in abs_]
    g = torch.Generator().manual_seed(1)
    x_t = x = torch.randn(3, 7, generator=g)
    predictions, noise = [], torch.zeros(3, 7, dtype=torch.float64)
    for a, b in zip(abs_, abs_[1:]):
        c0_j, ct_j, s_j = posterior_coefficients(a, b)
        predictions.append(torch.randn(3, 7, generator=g))
        z = torch.randn(3, 7, generator=g)
        x = c0_j * predictions[-1] + ct_j * x + s_j * z
        noise = ct_j * noise + s_j * z
    c0, ct, s = posterior_coefficients(abs_[0], abs_[-1])
    weights = path_average_weights(*abs_)
    assert len(weights) == len(predictions) and float(sum(weights)) == pytest.approx(1.0)
    one_step = c0 * sum(w * p for w, p in zip(weights, predictions)) + ct * x_t + noise
    assert torch.allclose(one_step.float(), x.float(), atol=1e-5)


def test_a_fold_of_four_is_two_halvings_at_once():
    """A round that folds 4 teacher steps into one: its teacher steps read z rolled as two halvings would
    roll it, and its student's injections are those two halvings', the posterior step's noise each."""
    assert fold_shifts(0, 2) == [0, round_shift(0)]
    assert fold_shifts(1, 4) == [0, round_shift(2), round_shift(3), round_shift(2) + round_shift(3)]
    fine = first_injections(64)
    folded = folded_injections(fine, 0, 4, 1141)
    assert folded == halved_injections(halved_injections(fine, round_shift(0), 1141), round_shift(1), 1141)
    again = folded_injections(folded, 1, 4, 1141)
    schedule = NoiseSchedule.cosine()
    ab = grid_alpha_bars(schedule, nested_grid(4, schedule.steps))
    for i, step in enumerate(again):
        s = float(posterior_coefficients(ab[i], ab[i + 1])[2])
        assert sum(c * c for c, _ in step) == pytest.approx(s * s, rel=1e-9, abs=1e-15)
        assert len({sh for _, sh in step}) == len(step) == (16 if i + 1 < 4 else 0)


def test_noise_reading_sampling_of_a_network_that_ignores_the_noise_is_the_posterior_sampler():
    grid = nested_grid(8, NoiseSchedule.cosine().steps)
    target = torch.linspace(-1, 1, 12).view(1, 3, 4)
    denoise = lambda x, t, z=None: 0.5 * x + target  # noqa: E731
    ours = sample(denoise, (2, 3, 4), NoiseReadingGrid(grid, first_injections(8)), 8, torch.Generator().manual_seed(5))
    theirs = sample(denoise, (2, 3, 4), GridDDIM(eta=1.0, timesteps=grid), 8, torch.Generator().manual_seed(5))
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_a_student_that_reads_the_noise_starts_as_its_teacher_and_refuses_to_run_without_noise(teacher_and_data):
    teacher = load_model_file(teacher_and_data[0]).model.eval()
    student = _noise_reading_copy(teacher).eval()
    c = teacher.config
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, c.frames, c.pose_dim, generator=g)
    args = (torch.tensor([10, 900]), torch.randn(2, c.frames, c.audio_dim, generator=g),
            torch.randn(2, c.frames, c.text_dim, generator=g), torch.zeros(2, c.seed_frames, c.pose_dim),
            torch.ones(2, dtype=torch.bool), torch.tensor([0, c.n_emotions]))
    with torch.no_grad():
        assert torch.allclose(student(x, *args, noise=torch.randn_like(x)), teacher(x, *args), atol=1e-5)
        with pytest.raises(ValueError, match="reads the step's noise"):
            student(x, *args)
        with pytest.raises(ValueError, match="no noise input"):
            teacher(x, *args, noise=torch.randn_like(x))


def test_a_short_distillation_of_the_stochastic_sampler_learns_where_the_drawn_steps_go(teacher_and_data, one_thread):
    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "noisy"), teacher_steps=4,
                        student_steps=2, steps_per_round=100, batch_size=16, lr=5e-4, warmup=10, ema_decay=0.9,
                        stride=8, checkpoint_every=40, seed=1, teacher_path="sde-noise")
    student_path = distill(cfg, log=lambda line: None)
    student, teacher = load_model_file(student_path), load_model_file(teacher_path)
    injections = student.metadata["distilled"]["injections"]
    assert student.config.noise_input == 1 and len(injections) == 2 and len(injections[0]) == 2 and not injections[1]

    # The student's x̂0 against the average of the guided teacher's two drawn steps, on the same draws: the
    # teacher's weights (not reading the draw) before, the student (reading it) after.
    schedule, windows = NoiseSchedule.cosine(), _Windows(cfg, teacher)
    x0, cond, gate = windows.batch(np.arange(0, len(windows.ds), max(1, len(windows.ds) // 32)))
    guided = _teacher_x0(teacher.model.eval(), True, teacher.config.n_emotions)

    def error(model):
        with torch.no_grad():
            return float(distill_loss(model.eval(), guided, schedule, 2, x0, cond, gate, torch.Generator().manual_seed(9),
                                      "sde-noise", first_injections(4), fold_shifts(0, 2)))

    before, after = error(_noise_reading_copy(teacher.model)), error(student.model)
    assert after < 0.8 * before, (after, before)

    audio, text = np.load(data / "audio.npy")[:200], np.load(data / "text.npy")[:200]
    a = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, seed=2)
    b = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, seed=3)
    assert a.shape == (200, student.config.pose_dim) and np.isfinite(a).all() and not np.allclose(a, b)
    # Two emotions run both branches in one batch, each reading the same draw: a blend of Neutral with itself
    # is the one-emotion motion.
    blend = generate_motion_features(student, audio, text, "Neutral", "Neutral", gamma=0.5, strength=cfg.intensity,
                                     seed=2)
    assert np.allclose(blend, a, atol=1e-3)


def test_the_noise_input_can_learn_faster_than_the_rest_of_the_student(teacher_and_data, one_thread):
    from openhuman.training.distill import _parameter_groups

    teacher_path, data, root = teacher_and_data
    reading = _noise_reading_copy(load_model_file(teacher_path).model)
    groups = _parameter_groups(reading, 20.0)
    assert [g["lr_scale"] for g in groups] == [1.0, 20.0]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in reading.noise_in.parameters()}
    assert sum(len(g["params"]) for g in groups) == len(list(reading.parameters()))
    assert len(_parameter_groups(reading, 1.0)) == 1 and len(_parameter_groups(load_model_file(teacher_path).model, 20.0)) == 1
    with pytest.raises(OpenHumanError, match="noise_lr_scale"):
        DistillConfig(noise_lr_scale=0)

    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "noise-lr"), teacher_steps=4,
                        student_steps=2, steps_per_round=10, batch_size=4, lr=5e-4, warmup=2, stride=8,
                        checkpoint_every=10, teacher_path="sde-noise", noise_lr_scale=20.0)
    distill(cfg, log=lambda line: None)
    rest, noise = torch.load(root / "noise-lr" / "checkpoint.pt", weights_only=False)["opt"]["param_groups"]
    assert noise["lr"] == pytest.approx(20 * rest["lr"]) and rest["lr"] > 0


def test_the_draw_reading_check_tells_a_student_that_reads_its_draw_from_one_that_does_not(teacher_and_data,
                                                                                         one_thread):
    from openhuman.engine.diffusion.modelfile import save_model_file_like
    from openhuman.training.evaluation.draw_reading import draw_reading

    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "reading"), teacher_steps=4,
                        student_steps=2, steps_per_round=20, batch_size=4, lr=5e-4, warmup=2, stride=8,
                        checkpoint_every=20, teacher_path="sde-noise", noise_lr_scale=20.0)
    path = distill(cfg, log=lambda line: None)
    reads = draw_reading(cfg, path, batches=2)
    assert reads["round"] == 1 and reads["steps"] == 2 and len(reads["batches"]) == 2
    assert reads["mean"]["target_spread"] > 0 and reads["mean"]["student_spread"] > 0

    student = load_model_file(path)  # the same student with its noise input silenced
    torch.nn.init.zeros_(student.model.noise_in.weight)
    torch.nn.init.zeros_(student.model.noise_in.bias)
    deaf = save_model_file_like(root / "reading" / "deaf.safetensors", student.model, student,
                                distilled=student.metadata["distilled"])
    ignores = draw_reading(cfg, deaf, batches=2)
    assert ignores["mean"]["student_spread"] == 0 and ignores["mean"]["student_change_spread"] == 0
    assert reads["mean"]["student_change_spread"] > 0 and reads["mean"]["target_change_spread"] > 0
    assert {"student_spread_in_speech", "target_spread_in_speech"} <= set(reads["mean"])
    assert ignores["mean"]["target_spread"] == pytest.approx(reads["mean"]["target_spread"])
    with pytest.raises(OpenHumanError, match="sde-noise"):
        draw_reading(DistillConfig(teacher=str(teacher_path), data=str(data)), path)
    with pytest.raises(OpenHumanError, match="not a noise-reading student"):
        draw_reading(cfg, teacher_path)


def test_the_energy_score_ranks_reading_the_draw_over_spreading_over_the_mean():
    """A target of ±1 by the draw (one value per frame): a student that reads the draw scores 0, one that spreads
    as the target does without reading it 0.5, the mean 1; the squared error ranks the mean first of the last two."""
    y = torch.tensor([-1.0, 1.0]).view(2, 1, 1, 1)  # the target under each draw
    a, b = y.view(1, 2, 1, 1), y.view(1, 1, 2, 1)  # the unread student's two draws, every pair

    def expected(prediction, other, target):
        return float(energy_score(prediction.reshape(-1, 1, 1), other.reshape(-1, 1, 1), target.reshape(-1, 1, 1)))

    def grid(*tensors):
        return torch.broadcast_tensors(*tensors)

    assert expected(*grid(y, b, y)) == pytest.approx(0.0, abs=1e-5)  # reads its draw; the other draw is any
    assert expected(*grid(a, b, y)) == pytest.approx(0.5, abs=1e-5)
    assert expected(*grid(0 * a, 0 * b, y)) == pytest.approx(1.0, abs=1e-5)
    spread, mean = grid(a, b, y), grid(0 * a, 0 * b, y)
    assert float(step_loss(spread[0].reshape(-1, 1, 1), spread[2].reshape(-1, 1, 1))) > float(
        step_loss(mean[0].reshape(-1, 1, 1), mean[2].reshape(-1, 1, 1)))
    # frames weigh as in the step loss
    weights = torch.tensor([[3.0, 1.0]])
    pred, target = torch.zeros(1, 2, 1), torch.tensor([[[1.0], [0.0]]])
    assert float(energy_score(pred, pred, target, weights)) == pytest.approx(3 / 4 * 1.0, abs=1e-5)


def test_the_energy_score_over_runs_of_frames_tells_jitter_from_the_target_s_smooth_variation():
    """A target of ±1 held over two frames: a student whose draws flip sign frame by frame scores as one whose
    draws hold it, frame by frame (0.5 both), but worse over the two frames together (0.854 against 0.707)."""
    signs = (-1.0, 1.0)
    held = [torch.tensor([[[s], [s]]]) for s in signs]
    jitter = [torch.tensor([[[a], [b]]]) for a in signs for b in signs]

    def expected(draws, frames):
        total = [float(energy_score(a, b, y, frames=frames)) for a in draws for b in draws for y in held]
        return sum(total) / len(total)

    assert expected(held, 1) == pytest.approx(0.5, abs=1e-5) and expected(jitter, 1) == pytest.approx(0.5, abs=1e-5)
    assert expected(held, 2) == pytest.approx(2 ** 0.5 / 2, abs=1e-4)
    assert expected(jitter, 2) == pytest.approx((1 + 2 ** 0.5 / 2) / 2, abs=1e-4)
    # a last run shorter than the rest is scored on its own frames; runs weigh by their frames' mean weight
    a, y = torch.zeros(1, 3, 1), torch.tensor([[[1.0], [1.0], [2.0]]])
    assert float(energy_score(a, a, y, frames=2)) == pytest.approx((2 ** 0.5 + 2) / 2, abs=1e-5)
    assert float(energy_score(a, a, y, torch.tensor([[1.0, 1.0, 4.0]]), frames=2)) == pytest.approx(
        (2 ** 0.5 + 4 * 2) / 5, abs=1e-5)


def test_an_energy_score_distillation_spreads_its_student_over_the_draws(teacher_and_data, one_thread):
    from openhuman.training.evaluation.draw_reading import draw_reading

    teacher_path, data, root = teacher_and_data
    spreads = {}
    for loss in ("mse", "energy"):
        cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / f"spread-{loss}"),
                            teacher_steps=4, student_steps=2, steps_per_round=20, batch_size=4, lr=5e-4, warmup=2,
                            stride=8, checkpoint_every=20, teacher_path="sde-noise", noise_lr_scale=20.0, loss=loss)
        spreads[loss] = draw_reading(cfg, distill(cfg, log=lambda line: None), batches=2)["mean"]["student_spread"]
    assert spreads["energy"] > 2 * spreads["mse"] > 0, spreads
    for bad in (dict(loss="l1"), dict(loss="energy"), dict(loss="energy", teacher_path="sde-noise", velocity_weight=1)):
        with pytest.raises(OpenHumanError, match="loss"):
            DistillConfig(**bad)
    with pytest.raises(OpenHumanError, match="energy_frames"):
        DistillConfig(energy_frames=0)


def test_blended_windows_are_guided_as_a_blend_of_two_emotions_is_sampled(teacher_and_data):
    from dataclasses import replace

    from openhuman.engine.diffusion.guidance import guided_x0, unconditional

    teacher_path, data, root = teacher_and_data
    teacher = load_model_file(teacher_path)
    model, n = teacher.model.eval(), teacher.config.n_emotions
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), stride=8, teacher_path="sde-noise",
                        keep_guidance=True, blend_share=0.5)
    windows = _Windows(cfg, teacher)
    x0, cond, guide = windows.batch(np.arange(12), rng=np.random.default_rng(4))
    assert 0 < int(guide.blended.sum()) < 12 and bool((guide.emotion_b != cond.emotion).all())
    assert guide.strength == cfg.intensity and ((guide.gamma >= 0) & (guide.gamma <= 1)).all()
    assert windows.batch(np.arange(12))[2].blended is None  # no draws: control mode only
    g = torch.Generator().manual_seed(1)
    x_t, t = torch.randn(x0.shape, generator=g), torch.randint(0, 1000, (12,), generator=g)
    with torch.no_grad():
        mixed = guided_by(model, n, x_t, t, cond, guide)
        # each window as the sampling guides it alone: a blend of two emotions at the flat strength, three
        # branches against the unconditional that hears silence; or its emotion at the gated strength
        for k in range(12):
            one = Conditions(*(x[k:k + 1] for x in cond.astuple()))
            silent = unconditional(one, n, silent_voice=True)
            if guide.blended[k]:
                alone = guided_x0(model, x_t[k:k + 1], t[k:k + 1], one, replace(one, emotion=guide.emotion_b[k:k + 1]),
                                  float(guide.gamma[k]), cfg.intensity, silent)
            else:
                alone = guided_x0(model, x_t[k:k + 1], t[k:k + 1], one, silent, guide.gate[k:k + 1])
            assert torch.allclose(mixed[k:k + 1], alone, atol=1e-4), k
        # γ = 1 blends nothing in: the emotion alone at the flat strength
        full = guided_by(model, n, x_t, t, cond, replace(guide, gamma=torch.ones(12), blended=torch.ones(12, dtype=torch.bool)))
        flat = guided_by(model, n, x_t, t, cond, Guide(torch.full_like(guide.gate, cfg.intensity)))
        assert torch.allclose(full, flat, atol=1e-4)
    with pytest.raises(OpenHumanError, match="blend_share needs keep_guidance"):
        DistillConfig(blend_share=0.25)
    with pytest.raises(OpenHumanError, match="blend_share is a share"):
        DistillConfig(keep_guidance=True, teacher_path="sde-noise", blend_share=1.0)


def test_a_distillation_that_keeps_the_guidance_learns_two_guided_steps_in_one_and_is_guided_at_sampling(
        teacher_and_data, one_thread):
    from dataclasses import replace

    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "kept"), teacher_steps=8,
                        student_steps=2, steps_per_round=60, batch_size=16, lr=5e-4, warmup=10, ema_decay=0.9,
                        stride=8, checkpoint_every=1000, seed=1, teacher_path="sde-noise", keep_guidance=True,
                        blend_share=0.3)
    student = load_model_file(distill(cfg, log=lambda line: None))
    teacher = load_model_file(teacher_path)
    distilled = student.metadata["distilled"]
    assert distilled["guidance_kept"] and len(distilled["timesteps"]) == 2 and student.config.noise_input == 1

    # Round 2's student against its teacher (round 1's, guided as well), both guided, on the same draws: every
    # window in control mode, then every window blended with another emotion.
    schedule, windows = NoiseSchedule.cosine(), _Windows(cfg, teacher)
    x0, cond, guide = windows.batch(np.arange(0, len(windows.ds), max(1, len(windows.ds) // 32)),
                                    rng=np.random.default_rng(2))
    round_4 = load_model_file(root / "kept" / "round-4.safetensors")
    guided = _teacher_x0(round_4.model.eval(), True, teacher.config.n_emotions)
    fine = round_4.metadata["distilled"]["injections"]

    def error(model, guide):
        with torch.no_grad():
            return float(distill_loss(model.eval(), guided, schedule, 2, x0, cond, guide, torch.Generator().manual_seed(9),
                                      "sde-noise", fine, fold_shifts(1, 2), student_guided=True))

    for blended in (False, True):
        mode = replace(guide, blended=torch.full_like(guide.blended, blended))
        assert error(student.model, mode) < 0.8 * error(round_4.model, mode)

    # Guided at sampling as the full model is: the intensity and γ change the motion; the grid is fixed.
    audio, text = np.load(data / "audio.npy")[:200], np.load(data / "text.npy")[:200]
    a = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, seed=2)
    b = generate_motion_features(student, audio, text, "Neutral", strength=1.0, seed=2)
    c = generate_motion_features(student, audio, text, "Neutral", gamma=0.5, strength=cfg.intensity, seed=2)
    assert np.isfinite(a).all() and not np.allclose(a, b, atol=1e-3) and not np.allclose(a, c, atol=1e-3)
    with pytest.raises(OpenHumanError, match="sampler dpm-sde with 20 steps"):
        generate_motion_features(student, audio, text, "Neutral", sampler="dpm-sde", steps=20)
    with pytest.raises(OpenHumanError, match="choose one"):
        DistillConfig(teacher_path="guidance", keep_guidance=True)


def test_a_distillation_that_folds_four_steps_into_one_learns_where_the_four_drawn_steps_go(teacher_and_data,
                                                                                           one_thread):
    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "fold4"), teacher_steps=8,
                        student_steps=2, fold=4, steps_per_round=80, batch_size=16, lr=5e-4, warmup=10,
                        ema_decay=0.9, stride=8, checkpoint_every=1000, seed=1, teacher_path="sde-noise",
                        keep_guidance=True)
    student = load_model_file(distill(cfg, log=lambda line: None))
    teacher = load_model_file(teacher_path)
    distilled = student.metadata["distilled"]
    assert len(distilled["timesteps"]) == 2 and not (root / "fold4" / "round-4.safetensors").exists()
    assert [len(step) for step in distilled["injections"]] == [4, 0]  # four draws in one step, none to clean

    schedule, windows = NoiseSchedule.cosine(), _Windows(cfg, teacher)
    x0, cond, guide = windows.batch(np.arange(0, len(windows.ds), max(1, len(windows.ds) // 32)))
    guided = _teacher_x0(teacher.model.eval(), True, teacher.config.n_emotions)

    def error(model):
        with torch.no_grad():
            return float(distill_loss(model.eval(), guided, schedule, 2, x0, cond, guide, torch.Generator().manual_seed(9),
                                      "sde-noise", first_injections(8), fold_shifts(0, 4), student_guided=True))

    assert error(student.model) < 0.8 * error(_noise_reading_copy(teacher.model))
    audio, text = np.load(data / "audio.npy")[:200], np.load(data / "text.npy")[:200]
    a = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, seed=2)
    assert a.shape == (200, student.config.pose_dim) and np.isfinite(a).all()


def test_the_frames_where_the_voice_pauses_weigh_more_in_the_step_loss(teacher_and_data):
    gate = torch.tensor([[1.0, 1.375, 1.75, 2.5, 3.2]])
    assert torch.allclose(pause_frame_weights(gate, 2.5, 3.0), torch.tensor([[4.0, 2.5, 1.0, 1.0, 1.0]]))
    assert torch.equal(pause_frame_weights(gate, 1.0, 3.0), torch.ones_like(gate))
    with pytest.raises(OpenHumanError, match="pause_weight is an extra weight, 0 or more"):
        DistillConfig(pause_weight=-1)

    teacher_path, data, root = teacher_and_data
    teacher = load_model_file(teacher_path)
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), stride=8)
    x0, cond, guide = _Windows(cfg, teacher).batch(np.arange(6))
    assert guide.gate.shape == x0.shape[:2]  # a weight per frame of each window
    guided = _teacher_x0(teacher.model.eval(), True, teacher.config.n_emotions)
    student = teacher.model.eval()

    def loss(weights=None):
        with torch.no_grad():
            return float(distill_loss(student, guided, NoiseSchedule.cosine(), 4, x0, cond, guide,
                                      torch.Generator().manual_seed(5), "ode", frame_weights=weights))

    plain, half = loss(), x0.shape[1] // 2
    first = torch.zeros(guide.gate.shape)
    first[:, :half] = 1
    assert plain > 0 and loss(torch.ones(guide.gate.shape)) == pytest.approx(plain, rel=1e-5)
    # each half of the frames alone, weighed up to the whole, makes the whole between them
    assert loss(first) + loss(1 - first) == pytest.approx(2 * plain, rel=1e-4)
    assert loss(first) != pytest.approx(plain, rel=1e-3)


def test_the_step_loss_can_weigh_the_error_in_each_frame_to_frame_change():
    target = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(0))
    shifted = target + 0.5  # the same changes, every frame off by 0.5
    flicker = target + 0.5 * torch.tensor([1.0, -1.0] * 3).view(1, 6, 1)  # off by 0.5, each change by 1
    assert float(step_loss(shifted, target)) == pytest.approx(0.25)
    assert float(step_loss(shifted, target, velocity_weight=2.0)) == pytest.approx(0.25)
    assert float(step_loss(flicker, target, velocity_weight=2.0)) == pytest.approx(0.25 + 2.0 * 1.0)
    # a change is weighed as the frame it leads to: only the last change is off, and the last frame weighs 4
    last = target.clone()
    last[:, -1] += 1.0
    weights = torch.tensor([[1.0, 1, 1, 1, 1, 4]] * 2)
    assert float(step_loss(last, target, weights)) == pytest.approx(4 / 1.5 / 6)
    assert float(step_loss(last, target, weights, velocity_weight=2.0)) == pytest.approx(4 / 1.5 / 6 + 2 * 4 / 1.6 / 5)
    for bad in ({"velocity_weight": -1.0}, {"velocity_weight": 1.0, "teacher_path": "guidance"},
                {"pause_weight": 3.0, "teacher_path": "guidance"}):
        with pytest.raises(OpenHumanError, match="velocity_weight"):
            DistillConfig(**bad)


def test_the_distillation_configs_in_the_repository_load():
    from pathlib import Path

    paths = sorted((Path(__file__).parents[1] / "configs").glob("distill-*.toml"))
    assert len(paths) >= 2
    for path in paths:
        cfg = DistillConfig.load(path)
        assert cfg.rounds()[-1] == (GUIDANCE_ROUND if cfg.teacher_path == "guidance" else cfg.student_steps)


def test_a_short_guidance_distillation_makes_one_pass_what_the_guided_teacher_makes_in_two(teacher_and_data, one_thread):
    teacher_path, data, root = teacher_and_data
    cfg = DistillConfig(teacher=str(teacher_path), data=str(data), out=str(root / "guidance"), teacher_path="guidance",
                        steps_per_round=100, batch_size=16, lr=5e-4, warmup=10, ema_decay=0.9, stride=8,
                        checkpoint_every=40, seed=1)
    student_path = distill(cfg, log=lambda line: None)
    assert student_path.name == "guidance.safetensors"
    student, teacher = load_model_file(student_path), load_model_file(teacher_path)
    distilled = student.metadata["distilled"]
    assert distilled["intensity"] == cfg.intensity and "timesteps" not in distilled

    # The one-pass x̂0 against the guided teacher's two-pass x̂0 at timesteps over the whole schedule: the
    # teacher's weights in one pass (unguided) before, the student after.
    schedule, windows = NoiseSchedule.cosine(), _Windows(cfg, teacher)
    x0, cond, gate = windows.batch(np.arange(0, len(windows.ds), max(1, len(windows.ds) // 32)))
    guided = _teacher_x0(teacher.model.eval(), True, teacher.config.n_emotions)

    def error(model):
        with torch.no_grad():
            return float(guidance_loss(model.eval(), guided, schedule, x0, cond, gate, torch.Generator().manual_seed(9)))

    before, after = error(teacher.model), error(student.model)
    assert after < 0.6 * before, (after, before)

    # It samples with the ordinary samplers at any number of steps, at the intensity it carries only.
    audio, text = np.load(data / "audio.npy")[:200], np.load(data / "text.npy")[:200]
    for sampler, steps in (("dpm-sde", None), ("dpm-sde", 7), ("ddim", 5)):
        motion = generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, sampler=sampler,
                                          steps=steps, seed=2)
        assert motion.shape == (200, student.config.pose_dim) and np.isfinite(motion).all()
    with pytest.raises(OpenHumanError, match="intensity 1"):
        generate_motion_features(student, audio, text, "Neutral", strength=1.0)
    with pytest.raises(OpenHumanError, match="other samplers"):
        generate_motion_features(student, audio, text, "Neutral", strength=cfg.intensity, sampler="distilled")


# What the GPU machine lacks: a run there must not need them.
NOT_ON_THE_GPU_MACHINE = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"soundfile", "librosa", "bpy", "pocketsphinx", "piper", "espeakng"}:
            raise ImportError(f"{name} is not on the GPU machine")
sys.meta_path.insert(0, Refuse())
"""


def test_the_gpu_distillation_script_runs_from_a_voices_pack_within_its_time(teacher_and_data, tmp_path):
    """scripts/gpu_distill.sh as the GPU machine runs it, here on a CPU: the voices unpacked into a corpus
    whose motion is the teacher's sampling, then every round fitted into the time given."""
    import json
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from openhuman.engine.diffusion.presets import DEFAULT_INTENSITY
    from openhuman.training.voices_pack import pack, unpack
    from openhuman.training.windows_dataset import WindowDataset

    teacher_path, data, root = teacher_and_data
    voices = pack(data, tmp_path / "voices.npz")
    assert voices.stat().st_size < 0.2 * (data / "motion.npy").stat().st_size
    corpus = unpack(voices, tmp_path / "corpus", teacher=teacher_path, device="cpu", log=lambda line: None)
    take = json.loads((corpus / "takes.json").read_text())[0]
    rows = slice(take["start"], take["start"] + take["frames"])
    audio, text = np.load(corpus / "audio.npy")[rows], np.load(corpus / "text.npy")[rows]
    original = {t["id"]: t for t in json.loads((data / "takes.json").read_text())}[take["id"]]
    kept = np.load(data / "audio.npy")[original["start"]:original["start"] + original["frames"]]
    np.testing.assert_allclose(audio, kept, atol=2e-3 * np.abs(kept).max())  # float16 on the way
    teacher = load_model_file(teacher_path)
    np.testing.assert_allclose(np.load(corpus / "motion.npy")[rows],  # the teacher's default sampling, seed 0
                               generate_motion_features(teacher, audio, text, take["emotion"],
                                                        strength=DEFAULT_INTENSITY, seed=0, device="cpu"), atol=1e-5)
    assert len(WindowDataset(corpus, "train", stride=8)) > 0

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NOT_ON_THE_GPU_MACHINE)
    env = {**os.environ, "OPENHUMAN_DISTILL_DEVICE": "cpu", "OPENHUMAN_VOICES": str(voices),
           "OPENHUMAN_TEACHER": str(teacher_path), "PYTHONPATH": str(site), "OMP_NUM_THREADS": "2"}
    script = Path(__file__).parents[1] / "scripts" / "gpu_distill.sh"
    started = time.monotonic()
    run = subprocess.run([str(script), sys.executable, str(tmp_path / "out"), "0.5", "--set", "batch_size=8"], env=env,
                         capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "steps in its share of the time left" in run.stdout
    for n in (32, 16, 8, 4):
        student = load_model_file(tmp_path / "out" / f"round-{n}.safetensors")
        distilled = student.metadata["distilled"]
        assert distilled["steps"] == n and distilled["guidance_kept"] and student.config.noise_input == 1
    # The rounds kept to their half minute, start-up and unpacking aside (4000 steps a round without the budget);
    # loose, for a busy machine.
    assert took < 240, (took, run.stdout[-3000:])
    missing = subprocess.run([str(script), sys.executable, str(tmp_path / "out2")], capture_output=True, text=True,
                             env={**env, "OPENHUMAN_VOICES": str(tmp_path / "none.npz")})
    assert missing.returncode == 1 and "make distill-pack" in missing.stdout
