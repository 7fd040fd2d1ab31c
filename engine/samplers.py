"""Samplers behind one interface, in the style of diffusers schedulers.

    sampler.set_timesteps(n)        # choose n network evaluations
    for i, t in enumerate(sampler.timesteps):
        x = sampler.step(x0_pred=denoise(x, t), t_index=i, x_t=x, generator=g)

Every sampler takes the network's x0 prediction (the model's objective).
Respaced timesteps are "trailing": n steps from T-1 down, evenly spaced, the
last one jumping to clean motion (t = -1, ᾱ = 1).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .diffusion import NoiseSchedule


class Cancelled(Exception):
    """Sampling stopped because the caller's cancel flag was raised (not a user error)."""


def respaced_timesteps(train_steps: int, n: int) -> torch.Tensor:
    if not 1 <= n <= train_steps:
        raise ValueError(f"number of sampling steps must be between 1 and {train_steps}, got {n}")
    t = torch.round(torch.arange(train_steps, 0, -train_steps / n, dtype=torch.float64)).long() - 1
    return t[:n]


def _noise_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # Drawn on the generator's device so a CPU generator gives the same noise whatever device x is on.
    device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


class Sampler:
    """Shared bookkeeping: ᾱ per timestep and the ᾱ of the step each one leads to."""

    name = "base"
    default_steps = 50

    def __init__(self, schedule: NoiseSchedule | None = None):
        self.schedule = schedule or NoiseSchedule.cosine()
        self.timesteps = torch.empty(0, dtype=torch.long)
        self.set_timesteps(self.default_steps)

    def set_timesteps(self, n: int) -> None:
        self.timesteps = respaced_timesteps(self.schedule.steps, n)
        self.reset()

    def reset(self) -> None:
        """Forget state kept between steps (multistep samplers); set_timesteps calls it."""

    def alpha_bars(self, t_index: int) -> tuple[float, float]:
        """ᾱ at timesteps[t_index] and at the next timestep (1.0 after the last)."""
        ab = self.schedule.alphas_cumprod
        t = int(self.timesteps[t_index])
        nxt = 1.0 if t_index + 1 >= len(self.timesteps) else float(ab[int(self.timesteps[t_index + 1])])
        return float(ab[t]), nxt

    def step(self, x0_pred, t_index: int, x_t, generator=None):
        raise NotImplementedError


class DDIMSampler(Sampler):
    """DDIM (Song et al. 2021); eta = 0 is deterministic, eta = 1 is the DDPM posterior."""

    name = "ddim"
    default_steps = 50

    def __init__(self, schedule: NoiseSchedule | None = None, eta: float = 0.0):
        self.eta = eta
        super().__init__(schedule)

    def step(self, x0_pred, t_index, x_t, generator=None):
        ab_t, ab_prev = self.alpha_bars(t_index)
        if ab_prev >= 1.0:
            return x0_pred
        eps = (x_t - ab_t**0.5 * x0_pred) / (1 - ab_t) ** 0.5
        sigma = self.eta * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)) ** 0.5
        x_prev = ab_prev**0.5 * x0_pred + max(1 - ab_prev - sigma**2, 0.0) ** 0.5 * eps
        return x_prev + sigma * _noise_like(x_t, generator) if sigma > 0 else x_prev


class DDPMSampler(Sampler):
    """Ancestral sampling from the posterior q(x_prev | x_t, x̂0); the reference uses all T steps."""

    name = "ddpm"
    default_steps = 1000

    def step(self, x0_pred, t_index, x_t, generator=None):
        ab_t, ab_prev = self.alpha_bars(t_index)
        if ab_prev >= 1.0:
            return x0_pred
        beta = 1 - ab_t / ab_prev
        mean = (ab_prev**0.5 * beta * x0_pred + (1 - beta) ** 0.5 * (1 - ab_prev) * x_t) / (1 - ab_t)
        var = beta * (1 - ab_prev) / (1 - ab_t)
        return mean + var**0.5 * _noise_like(x_t, generator)


class DPMSolverPP2M(Sampler):
    """DPM-Solver++(2M) (Lu et al. 2022) in x0 form; first order on the first and last step."""

    name = "dpm"
    default_steps = 20

    def reset(self):
        self._prev_x0 = None
        self._prev_h = None

    def step(self, x0_pred, t_index, x_t, generator=None):
        ab_t, ab_next = self.alpha_bars(t_index)
        if ab_next >= 1.0:
            self.reset()
            return x0_pred
        alpha_t, sigma_t = ab_t**0.5, (1 - ab_t) ** 0.5
        alpha_s, sigma_s = ab_next**0.5, (1 - ab_next) ** 0.5
        h = math.log(alpha_s / sigma_s) - math.log(alpha_t / sigma_t)  # step in log-SNR/2
        d = x0_pred
        if self._prev_x0 is not None:
            r = self._prev_h / h
            d = (1 + 0.5 / r) * x0_pred - (0.5 / r) * self._prev_x0
        self._prev_x0, self._prev_h = x0_pred, h
        return (sigma_s / sigma_t) * x_t - alpha_s * math.expm1(-h) * d


SAMPLERS = {cls.name: cls for cls in (DDPMSampler, DDIMSampler, DPMSolverPP2M)}


def make_sampler(name: str, schedule: NoiseSchedule | None = None) -> Sampler:
    """A sampler by name: 'ddpm', 'ddim' or 'dpm'."""
    try:
        return SAMPLERS[name](schedule)
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose one of {sorted(SAMPLERS)}") from None


@torch.inference_mode()
def sample(
    denoise_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    shape: tuple[int, ...],
    sampler: Sampler,
    steps: int | None = None,
    generator: torch.Generator | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Run the reverse process from pure noise; denoise_fn(x_t, t (B,)) -> x̂0.

    progress(done, total) after each step; cancel() is checked before each step
    and raises Cancelled when it returns True.
    """
    sampler.set_timesteps(steps or sampler.default_steps)
    noise_device = generator.device if generator is not None else device
    x = torch.randn(shape, generator=generator, device=noise_device, dtype=dtype).to(device)
    n = len(sampler.timesteps)
    for i, t in enumerate(sampler.timesteps.tolist()):
        if cancel is not None and cancel():
            raise Cancelled("sampling cancelled")
        x0 = denoise_fn(x, torch.full((shape[0],), t, device=device, dtype=torch.long))
        x = sampler.step(x0, i, x, generator)
        if progress is not None:
            progress(i + 1, n)
    return x
