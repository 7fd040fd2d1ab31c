"""Windows sampled from CUDA graphs give what sampling step by step gives (engine/diffusion/cuda_graphs.py).

On the CPU the graph runner copies its inputs and draws its noise ahead exactly as on a GPU but runs
the loop without a graph, so its bookkeeping (shared condition tensors, conditions copied only when a
window brings new ones, γ as a tensor of its own, the noise tape) is checked here; the capture itself
runs in the CUDA tests (`make gpu-check`).
"""
import numpy as np
import pytest
import torch

from openhuman.engine.diffusion.cuda_graphs import WindowGraphs
from openhuman.engine.diffusion.denoiser import Denoiser, DenoiserConfig
from openhuman.engine.diffusion.guidance import (Conditions, condition_pair, guided_denoiser, holding_known,
                                                 unconditional)
from openhuman.engine.diffusion.samplers import Cancelled, make_sampler, sample
from openhuman.engine.diffusion.modelfile import LoadedModel
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features
from helpers import tiny_config

pytestmark = pytest.mark.usefixtures("one_thread")

CFG = DenoiserConfig(**tiny_config(pose_dim=7, frames=16, seed_frames=4, local_window=3))


def model(device="cpu"):
    torch.manual_seed(0)
    return Denoiser(CFG).eval().to(device)


def window(seed: int, device="cpu") -> Conditions:
    g = torch.Generator().manual_seed(seed)
    return Conditions(audio=torch.randn(1, CFG.frames, CFG.audio_dim, generator=g).to(device),
                      text=torch.randn(1, CFG.frames, CFG.text_dim, generator=g).to(device),
                      seed=torch.randn(1, CFG.seed_frames, CFG.pose_dim, generator=g).to(device),
                      seed_present=torch.ones(1, dtype=torch.bool, device=device),
                      emotion=torch.tensor([seed % CFG.n_emotions], device=device))


def x_t(seed: int, device="cpu"):
    return torch.randn(1, CFG.frames, CFG.pose_dim, generator=torch.Generator().manual_seed(100 + seed)).to(device)


def modes(cond: Conditions):
    """(c1, c2, gamma, strength, c0) for each way sampling guides: one emotion at γ 1, one with a γ curve
    and silent voice, two blended with a strength (three branches), two at γ 1 with a strength."""
    absent = CFG.n_emotions
    control = condition_pair(cond, absent)
    silent = condition_pair(cond, absent, silent_voice=True)
    blend = condition_pair(cond, absent, torch.tensor(1))
    c0 = unconditional(cond, absent)
    curve = torch.linspace(0.5, 2.5, CFG.frames)[None, :].to(cond.audio.device)
    return [(*control, 1.0, 1.0, None), (*silent, curve, 1.0, None), (*blend, 0.3, 2.5, c0), (*blend, 1.0, 2.5, c0)]


def plain(net, shape, c1, c2, gamma, strength, c0, seed, sampler, steps, held=None):
    denoise = guided_denoiser(net, c1, c2, gamma, strength, c0)
    denoise = holding_known(denoise, *held) if held else denoise
    return sample(denoise, shape, make_sampler(sampler), steps, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("sampler,steps", [("dpm-sde", 6), ("dpm", 5), ("ddpm", 7)])
def test_window_loops_match_sampling_step_by_step_window_after_window(sampler, steps):
    net = model()
    graphs = WindowGraphs(net, make_sampler(sampler), steps, capture=False)
    shape = (1, CFG.frames, CFG.pose_dim)
    for k in range(3):  # each window brings new conditions and noise, which the runner must copy in
        for c1, c2, gamma, strength, c0 in modes(window(k)):
            got = graphs.sample(shape, c1, c2, gamma, strength, c0, torch.Generator().manual_seed(k))
            want = plain(net, shape, c1, c2, gamma, strength, c0, k, sampler, steps)
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # One per kind of call, reused by every window; both blends share one (their γ is an input).
    assert len(graphs.entries) == 3


def test_known_frames_are_held_and_progress_comes_for_every_step():
    net = model()
    graphs = WindowGraphs(net, make_sampler("dpm-sde"), 4, capture=False)
    shape = (1, CFG.frames, CFG.pose_dim)
    known = torch.full(shape, 0.5)
    held = (torch.arange(CFG.frames) < 5).float().view(1, -1, 1)
    c1, c2, gamma, strength, c0 = modes(window(1))[1]
    steps = []
    got = graphs.sample(shape, c1, c2, gamma, strength, c0, torch.Generator().manual_seed(3), known, held,
                        progress=lambda i, n: steps.append((i, n)))
    torch.testing.assert_close(got, plain(net, shape, c1, c2, gamma, strength, c0, 3, "dpm-sde", 4, (known, held)))
    assert torch.all(got[0, :5] == 0.5) and steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(Cancelled):
        graphs.sample(shape, c1, c2, gamma, strength, c0, torch.Generator(), cancel=lambda: True)


def bundle(device="cpu"):
    meta = {"emotions": ["Happy", "Sad", "Neutral"], "fps": 20.0}
    return LoadedModel(model(device), CFG, meta, np.zeros(CFG.pose_dim, np.float32), np.ones(CFG.pose_dim, np.float32))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("options", [dict(strength=2.5), dict(emotion_b="Sad", gamma=0.3, strength=2.5),
                                     dict(sampler="dpm-sde", steps=12, strength=2.5),
                                     dict(sampler="dpm-sde", steps=12, known=np.full((100, 7), 0.25, np.float32),
                                          known_mask=np.arange(100) % 30 < 6)])
def test_cuda_graphs_sample_what_plain_cuda_passes_sample(options):
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((100, CFG.audio_dim), dtype=np.float32)
    text = rng.standard_normal((100, CFG.text_dim), dtype=np.float32)
    options = {"sampler": "dpm", "steps": 6, **options}
    emotion_b = options.pop("emotion_b", None)
    plain = generate_motion_features(bundle(), audio, text, "Happy", emotion_b, device="cuda", seed=2,
                                     cuda_graphs=False, **options)
    graphed = generate_motion_features(bundle(), audio, text, "Happy", emotion_b, device="cuda", seed=2, **options)
    np.testing.assert_allclose(graphed, plain, atol=1e-4)
