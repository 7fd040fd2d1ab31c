"""The denoiser as frozen TorchScript graphs on a CPU: the network's arithmetic, traced once per shape."""
import copy

import numpy as np
import pytest
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



def test_graphs_are_kept_on_disk_read_back_checked_and_rebuilt_when_damaged_or_wrong(one_thread, tmp_path,
                                                                                       monkeypatch):
    from openhuman.engine.diffusion import graph_cache
    from openhuman.engine.diffusion.graph_cache import GraphCache

    model = load_model(device="cpu").model.eval()
    x, t, audio, text, seed, present, emotion = _inputs(model.config, 2, torch.Generator().manual_seed(3))
    run = lambda frozen: frozen(x, t, audio, text, seed, present, emotion)  # noqa: E731
    cache = GraphCache(tmp_path / "graphs")
    with torch.inference_mode():
        expected = model(x, t, audio, text, seed, present, emotion)
        first = FrozenDenoiser(model, cache)
        torch.testing.assert_close(run(first), expected, atol=1e-4, rtol=1e-4)
        files = sorted((tmp_path / "graphs").glob("*.pt"))
        assert first.loaded == 0 and first.traced == 2 and len(files) == 2  # the frame tokens and the decoder
        second = FrozenDenoiser(model, cache)  # what a new process does: read them, trace nothing
        torch.testing.assert_close(run(second), run(first), atol=0, rtol=0)
        assert second.loaded == 2
        for path in files:  # damaged: ignored and rebuilt
            path.write_bytes(b"not a graph")
        damaged = FrozenDenoiser(model, cache)
        torch.testing.assert_close(run(damaged), expected, atol=1e-4, rtol=1e-4)
        assert damaged.loaded == 0 and all(path.stat().st_size > 1000 for path in files)
        reread = FrozenDenoiser(model, cache)
        run(reread)
        assert reread.loaded == 2  # the rebuilt files are read again
        other = copy.deepcopy(model)  # load_model's bundle is shared: change a copy
        with torch.no_grad():
            for p in other.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
        foreign = FrozenDenoiser(other, GraphCache(tmp_path / "other"))
        run(foreign)
        assert foreign.loaded == 0  # other weights, other files
        for mine, theirs in zip(files, sorted((tmp_path / "other").glob("*.pt"))):
            mine.write_bytes(theirs.read_bytes())  # a graph that computes something else under this key
        checked = FrozenDenoiser(model, cache)
        torch.testing.assert_close(run(checked), expected, atol=1e-4, rtol=1e-4)
        assert checked.loaded == 0
        monkeypatch.setattr(graph_cache, "MAX_ENTRIES", 3)
        x3 = _inputs(model.config, 3, torch.Generator().manual_seed(4))
        FrozenDenoiser(model, cache)(*x3)  # two more graphs (batch 3): the oldest beyond three go
        assert len(list((tmp_path / "graphs").glob("*.pt"))) == 3
        (tmp_path / "blocked").write_text("a file where the folder would be")
        with pytest.warns(UserWarning, match="could not keep the network graph"):
            unkept = FrozenDenoiser(model, GraphCache(tmp_path / "blocked"))
            torch.testing.assert_close(run(unkept), expected, atol=1e-4, rtol=1e-4)
