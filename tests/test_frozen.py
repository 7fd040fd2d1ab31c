"""The denoiser as frozen TorchScript graphs on a CPU: the network's arithmetic, traced once per shape."""
import numpy as np
import torch

from openhuman.engine.api import load_model
from openhuman.engine.diffusion.frozen import FrozenDenoiser
from openhuman.engine.diffusion.windowed_sampling import generate_motion_features


def _inputs(cfg, batch, generator):
    shapes = [(batch, cfg.frames, cfg.pose_dim), (batch, cfg.frames, cfg.audio_dim), (batch, cfg.frames, cfg.text_dim),
              (batch, cfg.seed_frames, cfg.pose_dim)]
    x, audio, text, seed = (torch.randn(s, generator=generator) for s in shapes)
    return x, torch.randint(0, 1000, (batch,), generator=generator), audio, text, seed, \
        torch.ones(batch, dtype=torch.bool), torch.randint(0, cfg.n_emotions + 1, (batch,), generator=generator)


def test_the_frozen_network_computes_what_the_network_does_tracing_each_shape_once(one_thread):
    model = load_model(device="cpu").model.eval()
    frozen = FrozenDenoiser(model)
    g = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for batch in (1, 2, 3, 2, 1):  # the decoder's batches in sampling: one, two or three guidance branches
            x, t, audio, text, seed, present, emotion = _inputs(model.config, batch, g)
            torch.testing.assert_close(frozen(x, t, audio, text, seed, present, emotion),
                                       model(x, t, audio, text, seed, present, emotion), atol=1e-4, rtol=1e-4)
            tokens = frozen.frame_tokens(x[:1], audio[:1], text[:1])  # one window's tokens, decoded per branch
            torch.testing.assert_close(frozen.decode(tokens.expand(batch, -1, -1), t, seed, present, emotion),
                                       model.decode(tokens.expand(batch, -1, -1), t, seed, present, emotion),
                                       atol=1e-4, rtol=1e-4)
    assert frozen.traced == 3 + 3  # the frame tokens and the decoder, each at batches 1, 2 and 3, once


def test_sampling_through_the_frozen_network_makes_the_eager_network_s_motion(one_thread):
    bundle = load_model(device="cpu")
    rng = np.random.default_rng(2)
    audio = rng.normal(size=(150, bundle.config.audio_dim)).astype(np.float32)
    text = np.zeros((150, bundle.config.text_dim), np.float32)
    made = [generate_motion_features(bundle, audio, text, "Angry", strength=2.5, seed=1, device="cpu",
                                     precision="float32", frozen_graphs=frozen) for frozen in (True, False)]
    np.testing.assert_allclose(made[0], made[1], atol=1e-3)
    assert bundle.network(torch.device("cpu"), torch.float32, frozen=True).traced == 1  # the guided pass, one shape

