"""How the distillation guides each window of a batch, as the sampling would (engine/diffusion/guidance.py):
in control mode (its emotion at the speech-gated strength) or, for a blended window, in interpolation mode."""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ..engine.diffusion.guidance import Conditions, guided_x0, unconditional


@dataclass(frozen=True)
class Guide:
    """How each window of a batch is guided, as the sampling guides it (engine/diffusion/guidance.py): in
    control mode its emotion against the unconditional that hears silence, ``gate`` (B, M) the per-frame
    strength; where ``blended`` (B,), in interpolation mode: γ (B,) between its emotion and ``emotion_b`` (B,),
    at the flat ``strength``, against the same unconditional (three branches)."""

    gate: torch.Tensor
    blended: torch.Tensor | None = None
    emotion_b: torch.Tensor | None = None
    gamma: torch.Tensor | None = None
    strength: float = 1.0


def _part(cond: Conditions, idx: torch.Tensor) -> Conditions:
    return Conditions(*(x[idx] for x in cond.astuple()))


def guided_by(model, n_emotions: int, x_t, t, cond: Conditions, guide: Guide, noise=None) -> torch.Tensor:
    """x̂0 of ``model`` guided window by window as ``guide`` says (control and blended windows run as two
    batches, so a batch in control mode alone costs two passes a window, as before)."""
    def run(idx, blended: bool):
        part = _part(cond, idx)
        silent = unconditional(part, n_emotions, silent_voice=True)
        ns = None if noise is None else noise[idx]
        if not blended:
            return guided_x0(model, x_t[idx], t[idx], part, silent, guide.gate[idx], noise=ns)
        second = replace(part, emotion=guide.emotion_b[idx])
        gamma = guide.gamma[idx].view(-1, 1).expand(-1, x_t.shape[1])
        return guided_x0(model, x_t[idx], t[idx], part, second, gamma, guide.strength, silent, noise=ns)

    every = guide.blended is not None and bool(guide.blended.all())
    if guide.blended is None or every or not bool(guide.blended.any()):  # one mode: the whole batch, no copies
        return run(slice(None), every)
    control, blended = (~guide.blended).nonzero()[:, 0], guide.blended.nonzero()[:, 0]
    order = torch.cat([control, blended])
    return torch.cat([run(control, False), run(blended, True)])[torch.argsort(order)]
