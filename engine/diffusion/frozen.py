"""The denoiser's two halves traced and frozen by TorchScript, for sampling on a CPU.

A pass of the bundled model is about a hundred small operations; run one by one, their dispatch and
the threads' hand-offs cost a fifth of the pass. Traced for the shapes sampling gives them, frozen
(weights folded in as constants) and optimised for inference (oneDNN's fused linear layers), a pass
of the same arithmetic runs 1.27 times as fast in bfloat16, 1.05–1.1 times in float32 (`openhuman bench
--only sampling` times the default beside float32 and float32 op by op). Each part is traced once per
input shape (a guided step's whole pass, ``Denoiser.mixed``; the frame tokens and the decoder where
they are called alone), 0.1–0.2 s each, on first use, and kept on disk (graph_cache.py) for the next
process, which reads them instead. The graphs hold a snapshot of the weights: a bundle whose weights change
afterwards needs ``frozen_graphs=False``.
"""
from __future__ import annotations

import threading
import warnings

import torch
from torch import nn

from .denoiser import Denoiser, weights_digest
from .graph_cache import GraphCache, graph_key


class _Half(nn.Module):
    """One of the denoiser's methods (``frame_tokens``, ``decode`` or ``mixed``) as a module TorchScript can trace."""

    def __init__(self, model: Denoiser, half: str):
        super().__init__()
        self.model, self.half = model, half

    def forward(self, *args):
        return getattr(self.model, self.half)(*args)


class FrozenDenoiser:
    """Stands in for an eval-mode Denoiser where sampling calls it (guidance.py: ``check_inputs``,
    ``frame_tokens``, ``decode``, ``mixed`` and the call itself), its halves run as frozen TorchScript graphs. A half
    that cannot be traced runs eagerly, with one warning."""

    def __init__(self, model: Denoiser, cache: GraphCache | None = None):
        """cache: where graphs are kept between processes (default: the user's cache folder)."""
        self.model, self.config = model.eval(), model.config
        self.cache = cache or GraphCache()
        self.loaded = 0  # graphs read from the cache instead of traced
        self._graphs: dict = {}
        self._weights: str | None = None
        self._lock = threading.Lock()  # batch workers sample on threads

    def check_inputs(self, *inputs):
        return self.model.check_inputs(*inputs)

    def frame_tokens(self, x_t, audio, text, noise=None):
        if noise is not None:  # a student that reads the step's noise: eager
            return self.model.frame_tokens(x_t, audio, text, noise)
        return self._run("frame_tokens", (x_t, audio, text))

    def decode(self, tokens, t, seed, seed_present, emotion):
        return self._run("decode", (tokens, t, seed, seed_present, emotion))

    def mixed(self, x_t, t, audio, text, seed, seed_present, emotion, weights):
        return self._run("mixed", (x_t, t, audio, text, seed, seed_present, emotion, weights))

    def __call__(self, x_t, t, audio, text, seed, seed_present, emotion, noise=None):
        self.check_inputs(x_t, t, audio, text, seed, seed_present, emotion)
        return self.decode(self.frame_tokens(x_t, audio, text, noise), t, seed, seed_present, emotion)

    @property
    def traced(self) -> int:
        """How many graphs have been traced (one per half and input shape)."""
        return sum(graph is not None for graph in self._graphs.values())

    def _run(self, half: str, inputs: tuple):
        key = (half, tuple((tuple(a.shape), a.dtype, str(a.device)) for a in inputs))
        if key not in self._graphs:
            with self._lock:
                if key not in self._graphs:
                    self._graphs[key] = self._cached_or_frozen(half, inputs)
        graph = self._graphs[key]
        if graph is None:
            return getattr(self.model, half)(*inputs)
        with torch.inference_mode(), _plain_execution():
            return graph(*inputs)

    def _cached_or_frozen(self, half: str, inputs: tuple):
        module = _Half(self.model, half)
        if self._weights is None:
            self._weights = weights_digest(self.model.state_dict())
        key = graph_key(self._weights, half, inputs)
        graph = self.cache.load(key)
        if graph is not None and _agrees(module, graph, inputs):
            self.loaded += 1
            return graph
        graph = _frozen(module, inputs)
        if graph is not None:
            self.cache.save(key, graph)
        return graph


# The frozen graph fuses operations, so in bfloat16 it rounds differently (0.4 % of the frame tokens' norm);
# a graph further off than this is wrong, not rounded.
AGREEMENT = 0.02


def _relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-12))


def _plain_execution():
    """Run a graph as frozen and optimised, without TorchScript's profiling executor: on a frozen graph it only
    re-optimises on the first two calls of each process (0.1 s), for no faster pass afterwards (60 s of audio:
    2.06–2.43 s without it, 2.04–2.60 s with it, alternating runs)."""
    return torch.jit.optimized_execution(False)


def _agrees(module: nn.Module, graph, inputs: tuple) -> bool:
    """Whether ``graph`` makes what ``module`` makes of ``inputs``, up to bfloat16's rounding."""
    try:
        with torch.inference_mode(), warnings.catch_warnings(), _plain_execution():
            warnings.simplefilter("ignore")
            expected, got = module(*inputs), graph(*inputs)
    except Exception:  # noqa: BLE001 (a graph that cannot run these inputs does not agree)
        return False
    return got.shape == expected.shape and _relative_difference(got, expected) <= AGREEMENT


def _frozen(module: nn.Module, inputs: tuple):
    """The module traced on ``inputs``, frozen and optimised for inference; None when tracing fails."""
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TorchScript's notices about tracing; the graph is checked below
            graph = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(module.eval(), inputs,
                                                                                      check_trace=False)))
    except Exception as error:  # noqa: BLE001 (any failure to trace leaves the eager network, which works)
        warnings.warn(f"sampling without a frozen network graph (tracing failed: {error}); it is slower", stacklevel=3)
        return None
    if not _agrees(module, graph, inputs):
        warnings.warn("sampling without a frozen network graph (it disagreed with the network); it is slower",
                      stacklevel=3)
        return None
    return graph
