"""Two-condition guidance, eq. (5) of the method: x̂0 = γ·G(x_t,t,c1) + (1−γ)·G(x_t,t,c2).

Modes:
  "control":     c1 = [s, e, a, v], c2 = [∅, ∅, a, v]; γ > 1 exaggerates the emotion.
  "interpolate": c1 = [s, e1, a, v], c2 = [s, e2, a, v]; γ blends e2 (0) into e1 (1).
γ is a scalar or a per-frame curve, (M,) or (B, M), broadcast over the features.
c1 and c2 run as one batch of 2B through the network.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch

MODES = ("control", "interpolate")


@dataclass(frozen=True)
class Conditions:
    """c = [seed, emotion, audio, text] for a batch of B windows."""

    audio: torch.Tensor  # (B, M, Da)
    text: torch.Tensor  # (B, M, Dt)
    seed: torch.Tensor  # (B, N, D)
    seed_present: torch.Tensor  # (B,) bool
    emotion: torch.Tensor  # (B,) long; n_emotions = absent

    @property
    def batch(self) -> int:
        return self.audio.shape[0]

    def concat(self, other: "Conditions") -> "Conditions":
        return Conditions(*(torch.cat([a, b]) for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self):
        return self.audio, self.text, self.seed, self.seed_present, self.emotion


def condition_pair(cond: Conditions, mode: str, absent_emotion: int, emotion_b: torch.Tensor | None = None):
    """(c1, c2) for a guidance mode; `cond` holds c1 (seed and emotion e or e1)."""
    if mode == "control":
        if emotion_b is not None:
            raise ValueError("guidance mode 'control' takes one emotion; use 'interpolate' for two")
        unconditional = replace(
            cond,
            seed=torch.zeros_like(cond.seed),
            seed_present=torch.zeros_like(cond.seed_present),
            emotion=torch.full_like(cond.emotion, absent_emotion),
        )
        return cond, unconditional
    if mode == "interpolate":
        if emotion_b is None:
            raise ValueError("guidance mode 'interpolate' needs a second emotion")
        other = torch.as_tensor(emotion_b, device=cond.emotion.device).expand_as(cond.emotion)
        return cond, replace(cond, emotion=other)
    raise ValueError(f"unknown guidance mode {mode!r}; choose one of {MODES}")


def gamma_tensor(gamma, batch: int, frames: int, like: torch.Tensor) -> torch.Tensor:
    """γ as a tensor broadcastable over (B, M, D): shape () or (B, M, 1)."""
    g = torch.as_tensor(gamma, dtype=like.dtype, device=like.device)
    if g.ndim == 0:
        return g
    if g.shape == (frames,):
        return g.view(1, frames, 1).expand(batch, frames, 1)
    if g.shape == (batch, frames):
        return g.unsqueeze(-1)
    raise ValueError(f"gamma must be a scalar, ({frames},) or ({batch}, {frames}); got shape {tuple(g.shape)}")


def combine(x0_c1: torch.Tensor, x0_c2: torch.Tensor, gamma) -> torch.Tensor:
    """Eq. (5): γ·x1 + (1−γ)·x2."""
    g = gamma_tensor(gamma, x0_c1.shape[0], x0_c1.shape[1], x0_c1)
    return g * x0_c1 + (1 - g) * x0_c2


def _is_constant(gamma, value: float) -> bool:
    return isinstance(gamma, (int, float)) and float(gamma) == value


def guided_x0(model, x_t: torch.Tensor, t: torch.Tensor, c1: Conditions, c2: Conditions, gamma) -> torch.Tensor:
    """x̂0 under eq. (5), both branches in one forward pass of batch 2B.

    When c1 and c2 share their audio and text (both modes do), the frame tokens,
    which depend only on x_t, audio and text, are computed once for both. A
    constant γ of exactly 1 or 0 zeroes one branch, which is then not computed.
    """
    if _is_constant(gamma, 1.0):
        return model(x_t, t, *c1.astuple())
    if _is_constant(gamma, 0.0):
        return model(x_t, t, *c2.astuple())
    if c1.audio is c2.audio and c1.text is c2.text:
        model.check_inputs(x_t, t, *c1.astuple())
        model.check_inputs(x_t, t, *c2.astuple())
        tokens = model.frame_tokens(x_t, c1.audio, c1.text)
        seed, seed_present, emotion = (
            torch.cat(pair) for pair in
            ((c1.seed, c2.seed), (c1.seed_present, c2.seed_present), (c1.emotion, c2.emotion))
        )
        both = model.decode(torch.cat([tokens, tokens]), torch.cat([t, t]), seed, seed_present, emotion)
    else:
        both = model(torch.cat([x_t, x_t]), torch.cat([t, t]), *c1.concat(c2).astuple())
    x1, x2 = both.chunk(2)
    return combine(x1, x2, gamma)


def guided_denoiser(model, c1: Conditions, c2: Conditions, gamma) -> Callable:
    """denoise_fn(x_t, t) -> x̂0 for samplers.sample."""
    gamma_tensor(gamma, c1.batch, c1.audio.shape[1], c1.audio)  # refuse a bad γ shape before sampling
    return lambda x_t, t: guided_x0(model, x_t, t, c1, c2, gamma)
