"""Forward diffusion, the x0 objective and one training step with condition dropout.

Schedule: cosine (Nichol & Dhariwal 2021) with T = 1000, the schedule of MDM,
which DiffuseStyleGesture builds on. Unlike the linear schedule it does not
spend most steps on nearly pure noise, which is what lets the few-step samplers
(DDIM, DPM-Solver++) match the 1000-step reference.

Condition dropout, and why it is this and nothing more. Guidance evaluates
  control:       c1 = [s, e, a, v]   c2 = [∅, ∅, a, v]
  interpolation: c1 = [s, e1, a, v]  c2 = [s, e2, a, v]
so the network must know (i) the unconditional branch [∅, ∅, a, v], learnt by
dropping seed AND emotion together with probability `p_drop_seed_emotion`; and
(ii) that the emotion label matters even when a seed is given. The seed carries
the style of the previous window (one emotion per training clip), so a network
that always sees both can ignore e, and interpolation between e1 and e2 with the
same seed would do nothing. Dropping the seed alone (`p_drop_seed`) makes e the
only carrier of style on those samples. [s, ∅] is used by no guidance mode, so
the emotion is never dropped alone, and labels are never swapped (that would
teach the network that e is noise).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

TRAIN_STEPS = 1000


class NoiseSchedule:
    """ᾱ_t for t = 0..T-1 (float64 on the CPU) and the forward process q(x_t | x0)."""

    def __init__(self, alphas_cumprod: torch.Tensor):
        ab = torch.as_tensor(alphas_cumprod, dtype=torch.float64).cpu()
        if ab.ndim != 1 or not bool(((ab > 0) & (ab < 1)).all()) or not bool((ab[1:] <= ab[:-1]).all()):
            raise ValueError("alphas_cumprod must be a decreasing 1-D sequence inside (0, 1)")
        self.alphas_cumprod = ab

    @classmethod
    def cosine(cls, steps: int = TRAIN_STEPS, s: float = 0.008, max_beta: float = 0.999) -> "NoiseSchedule":
        f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        betas = [min(1 - f((i + 1) / steps) / f(i / steps), max_beta) for i in range(steps)]
        return cls(torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0))

    @property
    def steps(self) -> int:
        return self.alphas_cumprod.shape[0]

    def coefficients(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """√ᾱ_t and √(1−ᾱ_t) for t (B,), shaped to broadcast over `like` (B, ...)."""
        ab = self.alphas_cumprod[t.cpu()].to(device=like.device, dtype=like.dtype)
        shape = (-1,) + (1,) * (like.ndim - 1)
        return ab.sqrt().view(shape), (1 - ab).sqrt().view(shape)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε."""
        a, s = self.coefficients(t, x0)
        return a * x0 + s * noise


def x0_loss(x0_pred: torch.Tensor, x0: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Huber (smooth L1) loss on the clean motion, averaged over all elements."""
    return F.smooth_l1_loss(x0_pred, x0, beta=beta)


def dropout_masks(batch_size: int, p_drop_seed_emotion: float, p_drop_seed: float, generator=None):
    """Per-sample (keep_seed, keep_emotion) bools; the two drops are exclusive events."""
    if p_drop_seed_emotion < 0 or p_drop_seed < 0 or p_drop_seed_emotion + p_drop_seed > 1:
        raise ValueError("dropout probabilities must be >= 0 and sum to at most 1")
    device = generator.device if generator is not None else torch.device("cpu")
    u = torch.rand(batch_size, generator=generator, device=device)
    drop_both = u < p_drop_seed_emotion
    drop_seed = u < p_drop_seed_emotion + p_drop_seed
    return ~drop_seed, ~drop_both


def training_step(
    model,
    batch: dict,
    *,
    schedule: NoiseSchedule | None = None,
    p_drop_seed_emotion: float = 0.1,
    p_drop_seed: float = 0.1,
    generator: torch.Generator | None = None,
    huber_beta: float = 1.0,
) -> torch.Tensor:
    """Loss of one batch; call .backward() on it.

    batch: "motion" (B,M,D) normalised x0, "seed" (B,N,D) the N frames just
    before the window, "audio" (B,M,Da), "text" (B,M,Dt), "emotion" (B,) long,
    optional "seed_present" (B,) bool (False where the window starts a clip).
    Random draws (t, noise, dropout) use `generator`, drawn on its device.
    """
    schedule = schedule or NoiseSchedule.cosine()
    x0 = batch["motion"]
    b, device = x0.shape[0], x0.device
    gen_device = generator.device if generator is not None else torch.device("cpu")
    t = torch.randint(0, schedule.steps, (b,), generator=generator, device=gen_device)
    noise = torch.randn(x0.shape, generator=generator, device=gen_device, dtype=x0.dtype).to(device)
    keep_seed, keep_emotion = (m.to(device) for m in dropout_masks(b, p_drop_seed_emotion, p_drop_seed, generator))

    seed_present = batch.get("seed_present")
    seed_present = keep_seed if seed_present is None else keep_seed & seed_present.to(device)
    absent = torch.full_like(batch["emotion"], model.config.n_emotions)
    emotion = torch.where(keep_emotion, batch["emotion"], absent)

    x_t = schedule.q_sample(x0, t.to(device), noise)
    x0_pred = model(x_t, t.to(device), batch["audio"], batch["text"], batch["seed"], seed_present, emotion)
    return x0_loss(x0_pred, x0, huber_beta)
