"""Two-condition guidance, eq. (5) of the method: x̂0 = γ·G(x_t,t,c1) + (1−γ)·G(x_t,t,c2).

The emotions given decide the mode:
  one, "control":      c1 = [s, e, a, v], c2 = [∅, ∅, a, v]; γ > 1 exaggerates the emotion.
  two, "interpolate":  c1 = [s, e1, a, v], c2 = [s, e2, a, v]; γ blends e2 (0) into e1 (1).
γ is a scalar or a per-frame curve, (M,) or (B, M), broadcast over the features.
c1 and c2 run as one batch of 2B through the network (``Denoiser.mixed``): x_t's and the text's input
layers run once, and the output layer once on the branches' weighted hidden states (it is linear), the
same x̂0 in 5 % less time on a CPU.

Strength s (the add-on's "intensity") in interpolate mode scales the blend away from the
unconditional branch c0 = [∅, ∅, a, v], classifier-free guidance of the blended condition:
x̂0 = s·(γ·G(c1) + (1−γ)·G(c2)) + (1−s)·G(c0), three branches in one batch; s = 1 is eq. (5).
(In control mode c2 is already unconditional and s simply multiplies γ.)

Voice guidance: with ``silent_voice`` the unconditional branch also hears silence (audio features all
zero, which version-2 features read as a pause) instead of the clip, c0 = [∅, ∅, 0, v]. Then
2·G(c1) − G(c0) = [2·G(c1) − G(s∅ e∅ a v)] + [G(∅, ∅, a, v) − G(∅, ∅, 0, v)]: the emotion guidance as
before plus the motion the voice itself adds over resting, at no extra network evaluation. On real
speech this makes the model follow the voice about half as much again (README, Real speech).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch

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


def unconditional(cond: Conditions, absent_emotion: int, silent_voice: bool = False) -> Conditions:
    """[∅, ∅, a, v]: the same speech without seed and emotion; with ``silent_voice``, [∅, ∅, 0, v]."""
    return replace(cond, seed=torch.zeros_like(cond.seed), seed_present=torch.zeros_like(cond.seed_present),
                   emotion=torch.full_like(cond.emotion, absent_emotion),
                   audio=torch.zeros_like(cond.audio) if silent_voice else cond.audio)


def condition_pair(cond: Conditions, absent_emotion: int, emotion_b: torch.Tensor | None = None,
                   silent_voice: bool = False):
    """(c1, c2): `cond` holds c1 (seed and emotion e or e1); c2 is unconditional with one emotion
    ("control") and `cond` with emotion_b instead with two ("interpolate")."""
    if emotion_b is None:
        return cond, unconditional(cond, absent_emotion, silent_voice)
    other = torch.as_tensor(emotion_b, device=cond.emotion.device).expand_as(cond.emotion)
    return cond, replace(cond, emotion=other)


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


def _is_constant(gamma, value: float) -> bool:
    return isinstance(gamma, (int, float)) and float(gamma) == value


def branches(model, x_t: torch.Tensor, t: torch.Tensor, conds: list[Conditions], noise=None) -> list[torch.Tensor]:
    """G(x_t, t, c) for every c in one forward pass of batch len(conds)·B.

    When the conditions share their audio and text (every mode's do), the frame tokens,
    which depend only on x_t, audio and text, are computed once for all of them.
    """
    k = len(conds)
    if all(c.audio is conds[0].audio and c.text is conds[0].text for c in conds):
        for c in conds:
            model.check_inputs(x_t, t, *c.astuple())
        tokens = model.frame_tokens(x_t, conds[0].audio, conds[0].text, noise)
        seed, seed_present, emotion = (torch.cat([getattr(c, name) for c in conds])
                                       for name in ("seed", "seed_present", "emotion"))
        out = model.decode(torch.cat([tokens] * k), torch.cat([t] * k), seed, seed_present, emotion)
    else:
        joined = conds[0]
        for c in conds[1:]:
            joined = joined.concat(c)
        noise = None if noise is None else torch.cat([noise] * k)
        out = model(torch.cat([x_t] * k), torch.cat([t] * k), *joined.astuple(), noise=noise)
    return list(out.chunk(k))


def guided_x0(model, x_t: torch.Tensor, t: torch.Tensor, c1: Conditions, c2: Conditions, gamma,
              strength: float = 1.0, c0: Conditions | None = None, noise=None) -> torch.Tensor:
    """x̂0 under eq. (5), both branches in one forward pass of batch 2B (with a strength other than 1
    and the unconditional c0: three branches, see the module notes); ``noise``: the step's noise, for a
    network that reads it.

    A constant γ of exactly 1 or 0 zeroes one branch, which is then not computed.
    """
    if strength != 1.0:
        if c0 is None:
            raise ValueError("a guidance strength other than 1 needs the unconditional branch c0")
        conds, weights = [c1, c2, c0], [strength * gamma, strength * (1 - gamma), 1 - strength]
    elif _is_constant(gamma, 1.0):
        return model(x_t, t, *c1.astuple(), noise=noise)
    elif _is_constant(gamma, 0.0):
        return model(x_t, t, *c2.astuple(), noise=noise)
    else:
        conds, weights = [c1, c2], [gamma, 1 - gamma]
    if noise is None and all(c.text is conds[0].text for c in conds):
        return _mixed(model, x_t, t, conds, weights)
    outs = branches(model, x_t, t, conds, noise)
    return sum(gamma_tensor(w, *x.shape[:2], x) * x for x, w in zip(outs, weights))


def _mixed(model, x_t, t, conds: list[Conditions], weights) -> torch.Tensor:
    """Σ weights[k]·G(x_t, t, conds[k]) by the network's ``mixed``: one pass, shared inputs computed once."""
    b, m = x_t.shape[:2]
    stacked = torch.stack([gamma_tensor(w, b, m, x_t.float()).expand(b, m, 1) for w in weights])
    shared = all(c.audio is conds[0].audio for c in conds)
    audio = conds[0].audio if shared else torch.cat([c.audio for c in conds])
    seed, seed_present, emotion = (torch.cat([getattr(c, name) for c in conds])
                                   for name in ("seed", "seed_present", "emotion"))
    for c in conds:
        model.check_inputs(x_t, t, *c.astuple())
    return model.mixed(x_t, t, audio, conds[0].text, seed, seed_present, emotion, stacked)


def guided_denoiser(model, c1: Conditions, c2: Conditions, gamma, strength: float = 1.0,
                    c0: Conditions | None = None) -> Callable:
    """denoise_fn(x_t, t) -> x̂0 for samplers.sample (and (x_t, t, noise) for a network that reads the noise)."""
    return lambda x_t, t, noise=None: guided_x0(model, x_t, t, c1, c2, gamma, strength, c0, noise)


def holding_known(denoise_fn: Callable, known: torch.Tensor, held: torch.Tensor) -> Callable:
    """A denoiser whose clean-motion estimate keeps the known frames (``held`` > 0.5): every sampler
    steps towards x̂0, so the frames around them are drawn to join them (inpainting by x̂0 replacement)."""
    return lambda x_t, t, *noise: torch.where(held > 0.5, known.to(x_t.dtype), denoise_fn(x_t, t, *noise))
