"""A window's whole sampling loop replayed from one CUDA graph: captured once per run, one launch a window.

The network is small (windows of 80 frames, five blocks of width 256), so on a GPU a pass is over a
hundred short kernels whose launches cost far more than their work, and a step adds the sampler's
arithmetic and the upload of its noise. A CUDA graph of all the steps of a window launches them at
once. The graph reads its inputs from tensors of its own: each window copies in its conditions and
its noise, drawn ahead from the CPU generator in the order sampling draws it (samplers.NoiseTape), so
the result is the one sampling step by step gives. ``capture=False`` does the same bookkeeping
without a graph: the CPU path of the tests. Progress is reported once a window, all its steps at once.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..errors import Cancelled
from .guidance import Conditions, guided_denoiser, holding_known
from .samplers import NoiseTape, Sampler, denoise_steps


@dataclass
class _Entry:
    statics: list  # the graph's own inputs: the unique condition tensors, γ, the known frames
    last: list  # the tensor each static was last copied from: a window's inputs are copied once
    call: Callable  # the whole loop on the statics
    tape: NoiseTape = field(default_factory=NoiseTape)
    graph: torch.cuda.CUDAGraph | None = None
    out: torch.Tensor | None = None


class WindowGraphs:
    """Samples windows of one model with one sampler and number of steps, each from a CUDA graph."""

    def __init__(self, model, sampler: Sampler, steps: int, capture: bool = True):
        self.model, self.sampler, self.steps, self.capture = model, sampler, steps, capture
        self.entries: dict = {}
        self.pool = torch.cuda.graph_pool_handle() if capture else None

    @torch.inference_mode()
    def sample(self, shape: tuple, c1: Conditions, c2: Conditions, gamma, strength: float = 1.0,
               c0: Conditions | None = None, generator: torch.Generator | None = None, known=None, held=None,
               progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None):
        """What ``samplers.sample(guided_denoiser(model, c1, c2, gamma, strength, c0), shape, …)`` gives
        (with ``known`` frames where ``held``, as ``guidance.holding_known``), from the window's graph."""
        if cancel is not None and cancel():
            raise Cancelled("sampling cancelled")
        conds = [c1, c2] + ([] if c0 is None else [c0])
        unique, index, slots = [], {}, []
        for cond in conds:  # a tensor shared by branches stays shared: guidance then computes it once
            row = []
            for tensor in cond.astuple():
                if id(tensor) not in index:
                    index[id(tensor)] = len(unique)
                    unique.append(tensor)
                row.append(index[id(tensor)])
            slots.append(tuple(row))
        # γ of exactly 1 or 0 without a strength skips a branch (guidance.guided_x0): it stays a number.
        constant = float(strength) == 1.0 and isinstance(gamma, (int, float)) and float(gamma) in (0.0, 1.0)
        if not constant:
            # A number in a graph becomes a tensor of the graph's: turning it into one during capture
            # would copy from the host, which a capture may not do.
            unique.append(torch.as_tensor(gamma, dtype=torch.float32, device=c1.audio.device))
        if known is not None:
            unique += [known, held]
        key = (tuple(shape), tuple(slots), float(gamma) if constant else None, float(strength), known is not None,
               tuple((tuple(u.shape), u.dtype, u.device) for u in unique))
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = self._record(shape, slots, float(gamma) if constant else None,
                                                     float(strength), known is not None, unique)
        for k, (static, value) in enumerate(zip(entry.statics, unique)):
            if entry.last[k] is not value:
                static.copy_(value)
                entry.last[k] = value
        entry.tape.fill(generator)
        if entry.graph is None:
            out = entry.call()
        else:
            entry.graph.replay()
            out = entry.out.clone()  # the next window's replay overwrites the graph's own
        for i in range(self.steps):
            if progress is not None:
                progress(i + 1, self.steps)
        return out

    def _record(self, shape, slots, constant_gamma, strength, has_known, inputs) -> _Entry:
        statics = [value.clone() for value in inputs]
        device = inputs[0].device
        start = torch.zeros(shape, device=device)

        def call():
            held = statics[-2:] if has_known else None
            rest = statics[:-2] if has_known else statics
            conds = [Conditions(*(rest[i] for i in row)) for row in slots]
            gamma = rest[-1] if constant_gamma is None else constant_gamma
            denoise = guided_denoiser(self.model, conds[0], conds[1], gamma, strength,
                                      conds[2] if len(conds) > 2 else None)
            if held is not None:
                denoise = holding_known(denoise, *held)
            self.sampler.set_timesteps(self.steps)
            return denoise_steps(denoise, entry.tape.draw_like(start), self.sampler, entry.tape)

        entry = _Entry(statics, list(inputs), call)
        if not self.capture:
            call()  # counts the draws
            entry.tape.allocate(device)
            return entry
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # the counting pass is the warm-up, off the main stream as capture needs
            call()
            entry.tape.allocate(device)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph, pool=self.pool):
                entry.out = call()
        except RuntimeError as error:  # a torch or driver that cannot capture this: step by step, as without graphs
            warnings.warn(f"CUDA graph capture failed ({error}); sampling continues without graphs")
            entry.out = None
            return entry
        entry.graph = graph
        return entry
