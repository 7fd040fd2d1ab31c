"""Noise schedule, training step with condition dropout, and eq. (5) guidance."""
import pytest
import torch
import torch.nn.functional as F

from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig
from openhuman.engine.diffusion.schedule import NoiseSchedule, dropout_masks, training_step, x0_loss
from openhuman.engine.diffusion.guidance import Conditions, condition_pair, gamma_tensor, guided_x0
from helpers import tiny_config


pytestmark = pytest.mark.usefixtures("one_thread")


TINY = tiny_config(pose_dim=10, frames=12, seed_frames=3, n_emotions=4, latent=32)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Denoiser(DenoiserConfig(**TINY)).eval()


def make_batch(cfg, b=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "motion": torch.randn(b, cfg.frames, cfg.pose_dim, generator=g),
        "seed": torch.randn(b, cfg.seed_frames, cfg.pose_dim, generator=g),
        "audio": torch.randn(b, cfg.frames, cfg.audio_dim, generator=g),
        "text": torch.randn(b, cfg.frames, cfg.text_dim, generator=g),
        "emotion": torch.arange(b) % cfg.n_emotions,
    }


def conditions(batch, cfg):
    b = batch["audio"].shape[0]
    return Conditions(batch["audio"], batch["text"], batch["seed"], torch.ones(b, dtype=torch.bool), batch["emotion"])


# --- schedule -------------------------------------------------------------------------------

def test_cosine_schedule_runs_from_clean_to_noise():
    ab = NoiseSchedule.cosine().alphas_cumprod
    assert ab.shape == (1000,)
    assert (ab[1:] < ab[:-1]).all()
    assert ab[0] > 0.999 and ab[-1] < 1e-3
    assert 0.3 < ab[500] < 0.7  # cosine: half-way in time is about half-way in signal


def test_q_sample_has_the_forward_marginal():
    sched = NoiseSchedule.cosine()
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((20000, 1), 2.0)
    t = torch.full((20000,), 300)
    x_t = sched.q_sample(x0, t, torch.randn(x0.shape, generator=g))
    ab = float(sched.alphas_cumprod[300])
    assert float(x_t.mean()) == pytest.approx(2.0 * ab**0.5, abs=0.02)
    assert float(x_t.std()) == pytest.approx((1 - ab) ** 0.5, rel=0.02)


def test_schedule_refuses_bad_alphas():
    with pytest.raises(ValueError):
        NoiseSchedule(torch.tensor([0.5, 0.9]))


def test_huber_loss_is_smooth_l1():
    a, b = torch.randn(50), torch.randn(50) * 3
    assert torch.equal(x0_loss(a, b), F.smooth_l1_loss(a, b))


# --- condition dropout ----------------------------------------------------------------------

def test_dropout_draws_the_two_events_and_never_emotion_alone():
    keep_seed, keep_emotion = dropout_masks(200_000, 0.1, 0.15, torch.Generator().manual_seed(0))
    both = (~keep_seed & ~keep_emotion).float().mean()
    seed_only = (~keep_seed & keep_emotion).float().mean()
    assert float(both) == pytest.approx(0.1, abs=0.005)
    assert float(seed_only) == pytest.approx(0.15, abs=0.005)
    assert not (keep_seed & ~keep_emotion).any()


def test_dropout_refuses_impossible_probabilities():
    with pytest.raises(ValueError):
        dropout_masks(4, 0.7, 0.5)


def test_training_step_with_full_dropout_trains_the_unconditional_branch(model):
    cfg = model.config
    batch = make_batch(cfg)
    loss = training_step(model, batch, p_drop_seed_emotion=1.0, p_drop_seed=0.0,
                         generator=torch.Generator().manual_seed(3))
    # Same draws, in the same order, by hand: t, noise, dropout uniforms.
    g = torch.Generator().manual_seed(3)
    b = batch["motion"].shape[0]
    t = torch.randint(0, 1000, (b,), generator=g)
    noise = torch.randn(batch["motion"].shape, generator=g)
    x_t = NoiseSchedule.cosine().q_sample(batch["motion"], t, noise)
    pred = model(x_t, t, batch["audio"], batch["text"], torch.randn_like(batch["seed"]),
                 torch.zeros(b, dtype=torch.bool), torch.full((b,), cfg.n_emotions))
    assert float(loss.detach()) == pytest.approx(float(F.smooth_l1_loss(pred, batch["motion"]).detach()), rel=1e-5)


def test_training_step_is_reproducible_and_reaches_every_parameter(model):
    model.train()
    batch = make_batch(model.config, b=32)
    drops = dict(p_drop_seed_emotion=0.3, p_drop_seed=0.3)
    l1 = training_step(model, batch, generator=torch.Generator().manual_seed(1), **drops)
    l2 = training_step(model, batch, generator=torch.Generator().manual_seed(1), **drops)
    assert float(l1.detach()) == float(l2.detach())
    l1.backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert no_grad == []


def test_training_lowers_the_loss(model):
    model.train()
    batch = make_batch(model.config, b=16)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)

    def eval_loss():
        with torch.no_grad():
            return float(training_step(model, batch, generator=torch.Generator().manual_seed(99)))

    before = eval_loss()
    for _ in range(30):
        opt.zero_grad()
        training_step(model, batch, generator=g).backward()
        opt.step()
    assert eval_loss() < 0.8 * before


# --- guidance ---------------------------------------------------------------------------------

def separate(model, x_t, t, c1, c2):
    return model(x_t, t, *c1.astuple()), model(x_t, t, *c2.astuple())


def test_control_pair_makes_c2_unconditional(model):
    cond = conditions(make_batch(model.config, b=2), model.config)
    c1, c2 = condition_pair(cond, model.config.n_emotions)
    assert c1 is cond
    assert not c2.seed_present.any() and (c2.emotion == model.config.n_emotions).all()
    assert torch.equal(c2.audio, cond.audio) and torch.equal(c2.text, cond.text)


def test_interpolate_pair_changes_only_the_emotion(model):
    cond = conditions(make_batch(model.config, b=2), model.config)
    c1, c2 = condition_pair(cond, model.config.n_emotions, torch.tensor(3))
    assert (c2.emotion == 3).all()
    assert torch.equal(c2.seed, c1.seed) and torch.equal(c2.seed_present, c1.seed_present)


@pytest.mark.parametrize("mode", ["control", "interpolate"])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 0.3, 1.7, -0.5])
def test_guidance_equals_eq5_over_two_separate_passes(model, mode, gamma):
    cfg = model.config
    batch = make_batch(cfg, b=2)
    c1, c2 = condition_pair(conditions(batch, cfg), cfg.n_emotions, torch.tensor(2) if mode == "interpolate" else None)
    x_t, t = torch.randn(2, cfg.frames, cfg.pose_dim), torch.tensor([10, 700])
    g1, g2 = separate(model, x_t, t, c1, c2)
    got = guided_x0(model, x_t, t, c1, c2, gamma)
    assert torch.allclose(got, gamma * g1 + (1 - gamma) * g2, atol=1e-5)
    if gamma == 1.0:
        assert torch.equal(got, g1)
    if gamma == 0.0:
        assert torch.equal(got, g2)


@pytest.mark.parametrize("strength", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("gamma", [1.0, 0.3])
def test_strength_guides_the_blend_away_from_the_unconditional_branch(model, strength, gamma):
    from openhuman.engine.diffusion.guidance import unconditional

    cfg = model.config
    cond = conditions(make_batch(cfg, b=2), cfg)
    c1, c2 = condition_pair(cond, cfg.n_emotions, torch.tensor(2))
    c0 = unconditional(cond, cfg.n_emotions)
    x_t, t = torch.randn(2, cfg.frames, cfg.pose_dim), torch.tensor([10, 700])
    g1, g2 = separate(model, x_t, t, c1, c2)
    g0 = model(x_t, t, *c0.astuple())
    seen = []
    hook = model.blocks[0].register_forward_hook(lambda m, args, out: seen.append(args[0].shape[0]))
    got = guided_x0(model, x_t, t, c1, c2, gamma, strength, c0)
    hook.remove()
    want = strength * (gamma * g1 + (1 - gamma) * g2) + (1 - strength) * g0
    assert torch.allclose(got, want, atol=1e-5)
    if strength != 1.0:
        assert seen == [6]  # the three branches as one batch
    with pytest.raises(ValueError, match="unconditional"):
        guided_x0(model, x_t, t, c1, c2, gamma, 1.5)


def test_both_branches_run_as_one_batched_forward(model):
    cfg = model.config
    c1, c2 = condition_pair(conditions(make_batch(cfg, b=3), cfg), cfg.n_emotions)
    seen = {"local": [], "self": []}
    hooks = [model.local_block.register_forward_hook(lambda m, args, out: seen["local"].append(args[0].shape[0])),
             model.blocks[0].register_forward_hook(lambda m, args, out: seen["self"].append(args[0].shape[0]))]
    guided_x0(model, torch.randn(3, cfg.frames, cfg.pose_dim), torch.tensor([5, 6, 7]), c1, c2, 0.5)
    for h in hooks:
        h.remove()
    assert seen == {"local": [3], "self": [6]}  # shared frame tokens once, then one batch of 2B


def test_branches_with_different_audio_share_the_motion_input_and_the_output_layer(model):
    cfg = model.config
    batch = make_batch(cfg, b=2)
    c1 = conditions(batch, cfg)
    c2 = Conditions(batch["audio"] + 1, batch["text"], batch["seed"], c1.seed_present, c1.emotion)
    x_t, t = torch.randn(2, cfg.frames, cfg.pose_dim), torch.tensor([100, 900])
    g1, g2 = separate(model, x_t, t, c1, c2)
    seen = {name: [] for name in ("motion_in", "local_block", "motion_out")}
    hooks = [getattr(model, name).register_forward_hook(lambda m, args, out, name=name: seen[name].append(len(args[0])))
             for name in seen]
    got = guided_x0(model, x_t, t, c1, c2, 0.25)
    for h in hooks:
        h.remove()
    assert torch.allclose(got, 0.25 * g1 + 0.75 * g2, atol=1e-5)
    # x_t's input layer once; the frame tokens per branch (their audio differs); the output layer once, on
    # the branches' hidden states already weighted (motion_out is called as F.linear there, so no hook sees it)
    assert seen == {"motion_in": [2], "local_block": [4], "motion_out": []}


def test_per_frame_gamma_curve(model):
    cfg = model.config
    batch = make_batch(cfg, b=2)
    c1, c2 = condition_pair(conditions(batch, cfg), cfg.n_emotions, torch.tensor(1))
    x_t, t = torch.randn(2, cfg.frames, cfg.pose_dim), torch.tensor([400, 400])
    g1, g2 = separate(model, x_t, t, c1, c2)
    curve = torch.linspace(0, 1, cfg.frames)
    got = guided_x0(model, x_t, t, c1, c2, curve)
    assert torch.allclose(got[:, 0], g2[:, 0], atol=1e-5)
    assert torch.allclose(got[:, -1], g1[:, -1], atol=1e-5)
    assert torch.allclose(got, curve[None, :, None] * g1 + (1 - curve[None, :, None]) * g2, atol=1e-5)
    per_batch = torch.stack([curve, curve.flip(0)])
    got_b = guided_x0(model, x_t, t, c1, c2, per_batch)
    assert torch.allclose(got_b[1, 0], g1[1, 0], atol=1e-5)
    assert torch.allclose(got_b[1, -1], g2[1, -1], atol=1e-5)


def test_a_gamma_of_another_shape_is_refused(model):
    with pytest.raises(ValueError, match="gamma"):
        gamma_tensor(torch.ones(3, 4), 2, 4, torch.zeros(2, 4, 3))


