import pytest
import torch

from openhuman.engine.diffusion.denoiser import (
    Denoiser,
    DenoiserConfig,
    apply_rotary,
    count_parameters,
    rotary_tables,
)
from helpers import tiny_config


pytestmark = pytest.mark.usefixtures("one_thread")


TINY = tiny_config(pose_dim=12, audio_dim=5, frames=16, seed_frames=4, latent=32, layers=2, dropout=0.1)


def inputs(cfg: DenoiserConfig, batch=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        x_t=torch.randn(batch, cfg.frames, cfg.pose_dim, generator=g),
        t=torch.randint(0, 1000, (batch,), generator=g),
        audio=torch.randn(batch, cfg.frames, cfg.audio_dim, generator=g),
        text=torch.randn(batch, cfg.frames, cfg.text_dim, generator=g),
        seed=torch.randn(batch, cfg.seed_frames, cfg.pose_dim, generator=g),
        seed_present=torch.ones(batch, dtype=torch.bool),
        emotion=torch.arange(batch) % cfg.n_emotions,
    )


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Denoiser(DenoiserConfig(**TINY)).eval()


def test_output_shape_and_finite(model):
    out = model(**inputs(model.config))
    assert out.shape == (3, 16, 12)
    assert torch.isfinite(out).all()


def test_config_round_trip_and_dict_construction():
    cfg = DenoiserConfig(**TINY)
    assert DenoiserConfig.from_dict(cfg.to_dict()) == cfg
    assert Denoiser(cfg.to_dict()).config == cfg


@pytest.mark.parametrize("change, message", [
    ({"latent": 30}, "divisible"),
    ({"heads": 0}, "heads"),
    ({"dropout": 1.5}, "dropout"),
    ({"frames": 2.5}, "frames"),
    ({"bogus": 1}, "unknown keys"),
])
def test_config_refuses_bad_values(change, message):
    with pytest.raises(ValueError, match=message):
        DenoiserConfig.from_dict({**TINY, **change})


def test_config_requires_data_sizes():
    partial = {k: v for k, v in TINY.items() if k != "audio_dim"}
    with pytest.raises(ValueError, match="audio_dim"):
        DenoiserConfig.from_dict(partial)


def test_parameter_count_matches_tensors(model):
    assert count_parameters(model) == sum(t.numel() for t in model.state_dict().values())
    assert count_parameters(model) > 0


def test_default_model_size_is_cpu_friendly():
    cfg = DenoiserConfig(pose_dim=1141, audio_dim=64, text_dim=32, frames=80, seed_frames=8, n_emotions=6)
    n = count_parameters(Denoiser(cfg))
    assert 1_000_000 < n < 10_000_000, n


def test_absent_seed_ignores_seed_values(model):
    a = inputs(model.config)
    a["seed_present"] = torch.tensor([False, True, False])
    b = dict(a, seed=a["seed"] + 5.0)
    out_a, out_b = model(**a), model(**b)
    assert torch.equal(out_a[0], out_b[0]) and torch.equal(out_a[2], out_b[2])
    assert not torch.allclose(out_a[1], out_b[1])


def test_absent_emotion_is_its_own_embedding(model):
    a = inputs(model.config)
    outs = [model(**dict(a, emotion=torch.full((3,), e))) for e in range(model.config.n_emotions + 1)]
    for i in range(len(outs)):
        for j in range(i):
            assert not torch.allclose(outs[i], outs[j])


def test_every_condition_changes_the_output(model):
    a = inputs(model.config)
    base = model(**a)
    for name in ("audio", "text", "seed", "x_t"):
        assert not torch.allclose(base, model(**dict(a, **{name: a[name] + 1.0}))), name
    assert not torch.allclose(base, model(**dict(a, t=a["t"] + 100)))


def test_local_block_sees_only_its_neighbourhood(model):
    cfg = model.config
    tokens = torch.randn(1, cfg.frames, cfg.latent)
    rotation = model.rotation[1:]
    before = model.local_block(tokens, rotation, model.band)
    changed = tokens.clone()
    changed[0, 0] += 3.0
    after = model.local_block(changed, rotation, model.band)
    moved = (after - before).abs().amax(-1)[0]
    w = cfg.local_window
    assert (moved[1:w + 1] > 0).all()
    assert (moved[w + 1:] == 0).all()


def test_rotary_scores_depend_only_on_relative_position():
    rotation = rotary_tables(12, 8)
    q, k = torch.randn(8), torch.randn(8)

    def score(i, j):
        qi = apply_rotary(q.view(1, 1, 1, 8), rotation[i:i + 1])
        kj = apply_rotary(k.view(1, 1, 1, 8), rotation[j:j + 1])
        return float((qi * kj).sum())

    assert score(2, 5) == pytest.approx(score(6, 9), abs=1e-5)
    assert score(2, 5) != pytest.approx(score(2, 8), abs=1e-3)


def test_rotary_turns_each_channel_pair_by_its_angle():
    rotation = rotary_tables(5, 4)
    x = torch.randn(2, 3, 5, 4)
    angle = torch.angle(rotation)  # (5, 2)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    expected = torch.stack([x1 * angle.cos() - x2 * angle.sin(), x1 * angle.sin() + x2 * angle.cos()], -1).flatten(-2)
    torch.testing.assert_close(apply_rotary(x, rotation), expected)
    torch.testing.assert_close(apply_rotary(x, rotation).norm(dim=-1), x.norm(dim=-1))


def test_eval_is_deterministic_train_uses_dropout(model):
    a = inputs(model.config)
    assert torch.equal(model(**a), model(**a))
    model.train()
    torch.manual_seed(1)
    first = model(**a)
    assert not torch.allclose(first, model(**a))


def test_wrong_shapes_are_refused(model):
    a = inputs(model.config)
    with pytest.raises(ValueError, match="audio"):
        model(**dict(a, audio=a["audio"][:, :-1]))
    with pytest.raises(ValueError, match="seed_present"):
        model(**dict(a, seed_present=torch.ones(3)))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(model):
    a = inputs(model.config)
    cpu = model(**a)
    gpu = model.to("cuda")(**{k: v.cuda() for k, v in a.items()})
    assert torch.allclose(cpu, gpu.cpu(), atol=1e-4)


def test_rotary_keeps_low_precision_inputs_in_their_precision():
    rotation = rotary_tables(5, 4)
    x = torch.randn(2, 3, 5, 4)
    for dtype in (torch.bfloat16, torch.float16):
        low = apply_rotary(x.to(dtype), rotation)
        assert low.dtype == dtype
        torch.testing.assert_close(low.float(), apply_rotary(x, rotation), atol=0.05, rtol=0.05)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # as training on a GPU runs
        assert torch.isfinite(apply_rotary(torch.nn.Linear(4, 4)(x), rotation).float()).all()
