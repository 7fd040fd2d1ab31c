"""The arithmetic of making one student step out of `fold` teacher steps (training/distill.py).

The grids are nested (engine/diffusion/samplers.py, nested_grid), so one step of a student on n steps is
exactly `fold` steps of its teacher on fold·n. A fold of 2 halves the steps each round (Salimans & Ho 2022);
a fold of 4 quarters them, in half as many rounds. A fold of 2^h is h halvings made at once: its teacher
steps read the step's draw z rolled as the h halvings would roll it (fold_shifts), and the student's noise
is those halvings' injections (folded_injections). The step loss (step_loss) can weigh the frames where the
voice pauses more (pause_frame_weights) and the error in each frame-to-frame change; the energy score
(energy_score) scores two draws of the student instead. ode_segment runs deterministic teacher steps
(training/evaluation/churn_study.py)."""
from __future__ import annotations

import torch

from ..engine.diffusion.samplers import grid_alpha_bars, nested_grid, posterior_coefficients
from ..engine.diffusion.schedule import NoiseSchedule
from ..engine.errors import OpenHumanError


def ddim_step(x0: torch.Tensor, x_t: torch.Tensor, ab_t: torch.Tensor, ab_next: torch.Tensor,
              eta: float = 0.0, noise: torch.Tensor | None = None) -> torch.Tensor:
    """DDIM from ᾱ_t to ᾱ_next (per sample, shaped (B, 1, 1)); ᾱ_next = 1 gives x0. Deterministic at eta 0;
    above, ``noise`` (like x_t) scaled by eta times the posterior's deviation (eta 1: the DDPM posterior)."""
    eps = (x_t - ab_t.sqrt() * x0) / (1 - ab_t).clamp_min(1e-12).sqrt()
    if not eta:
        return ab_next.sqrt() * x0 + (1 - ab_next).clamp_min(0).sqrt() * eps
    sigma = eta * ((1 - ab_next) / (1 - ab_t).clamp_min(1e-12) * (1 - ab_t / ab_next)).clamp_min(0).sqrt()
    return ab_next.sqrt() * x0 + (1 - ab_next - sigma ** 2).clamp_min(0).sqrt() * eps + sigma * noise


def path_average_weights(*abs_):
    """One weight per step, summing to 1, for posterior steps ᾱ_0 → ᾱ_1 → … → ᾱ_k with predictions x̂0_j:
    they land where one step ᾱ_0 → ᾱ_k with Σ w_j·x̂0_j does, when its noise is their noise combined
    (posterior steps with one x0 compose exactly, so the noise drops out of the target). The weight of step
    j is its c0 carried through the later steps' ct, over the one step's c0."""
    c0, _, _ = posterior_coefficients(abs_[0], abs_[-1])
    steps = [posterior_coefficients(a, b) for a, b in zip(abs_, abs_[1:])]
    weights = []
    for j, (c0_j, _, _) in enumerate(steps):
        carried = c0_j
        for _, ct_l, _ in steps[j + 1:]:
            carried = carried * ct_l
        weights.append((carried / c0).float())
    return tuple(weights)


def student_target(x_t, x_end, ab_t, ab_end) -> torch.Tensor:
    """The x̂0 whose one DDIM step from x_t lands on x_end (the teacher's steps)."""
    ratio = ((1 - ab_end) / (1 - ab_t).clamp_min(1e-12)).clamp_min(0).sqrt()
    return (x_end - ratio * x_t) / (ab_end.sqrt() - ratio * ab_t.sqrt())


def first_injections(n: int) -> list[list]:
    """The plain posterior sampler's noise on the grid of n steps, as injections [(c, shift)]: each step
    adds s·z of its own draw z (nothing on the last, to clean motion)."""
    ab = grid_alpha_bars(NoiseSchedule.cosine(), nested_grid(n, NoiseSchedule.cosine().steps))
    return [[(float(posterior_coefficients(ab[i], ab[i + 1])[2]), 0)] if i + 1 < n else [] for i in range(n)]


def halved_injections(fine: list[list], shift: int, values: int) -> list[list]:
    """A student step's injections from its teacher's two: the first step's noise, carried through the
    second step's ct, and the second step's, read from z rolled by ``shift`` (the second draw), on frames of
    ``values`` features."""
    n = len(fine) // 2
    ab = grid_alpha_bars(NoiseSchedule.cosine(), nested_grid(2 * n, NoiseSchedule.cosine().steps))
    out = []
    for i in range(n):
        carried = float(posterior_coefficients(ab[2 * i + 1], ab[2 * i + 2])[1])
        terms = [(carried * c, sh) for c, sh in fine[2 * i]] + [(c, (sh + shift) % values) for c, sh in fine[2 * i + 1]]
        terms = [(c, sh) for c, sh in terms if c > 0]
        if len({sh for _, sh in terms}) != len(terms):
            raise OpenHumanError(f"noise shifts collide on frames of {values} features; choose other round shifts")
        out.append(terms)
    return out


def round_shift(h: int) -> int:
    """The roll along a frame's features of the second teacher step's draw in halving h (counted over the
    whole run: a fold of 2^k makes k halvings a round): 143·2^h, so every sum of the halvings' shifts differs
    (143·k for k < 16, distinct modulo the bundled model's 1141 features, which share no factor with 143: up
    to 4 halvings). The network reads z through a linear layer, which sees no order among a frame's features,
    so any distinct rolls serve."""
    return 143 * 2 ** h


def halvings(fold: int) -> int:
    """How many halvings a fold is: fold = 2^h."""
    h = fold.bit_length() - 1
    if fold < 2 or fold != 2 ** h:
        raise OpenHumanError(f"fold must be a power of two, at least 2 (a student step makes that many teacher "
                             f"steps), got {fold}")
    return h


def fold_shifts(r: int, fold: int) -> list[int]:
    """The roll of z that each of a student step's `fold` teacher steps reads in round r: teacher step j reads
    the shifts of the halvings whose bit is set in j (halving b of round r is halving r·h + b overall)."""
    h = halvings(fold)
    return [sum(round_shift(r * h + b) for b in range(h) if j >> b & 1) for j in range(fold)]


def folded_injections(fine: list[list], r: int, fold: int, values: int) -> list[list]:
    """A round-r student step's injections from its teacher's `fold` steps: the round's halvings in turn."""
    h = halvings(fold)
    for b in range(h):
        fine = halved_injections(fine, round_shift(r * h + b), values)
    return fine


def step_loss(prediction, target, frame_weights=None, velocity_weight: float = 0.0) -> torch.Tensor:
    """Mean squared error of (B, M, D) x̂0s, each frame weighed by ``frame_weights`` (B, M) over their mean,
    plus ``velocity_weight`` times that of their frame-to-frame change (weighed as the frame it leads to)."""
    loss = _weighted_mean((prediction - target) ** 2, frame_weights)
    if velocity_weight:
        change = (prediction.diff(dim=1) - target.diff(dim=1)) ** 2
        loss = loss + velocity_weight * _weighted_mean(change, None if frame_weights is None else frame_weights[:, 1:])
    return loss


def energy_score(prediction, other, target, frame_weights=None, frames: int = 1) -> torch.Tensor:
    """The energy score of two draws of (B, M, D) x̂0s against their target, per run of ``frames`` frames
    (Euclidean over them): ½(|a − y| + |b − y|) − ½|a − b|, each run weighed by its frames' mean weight.
    Lowest, for a target that varies with the draw, where the draws vary as the target does (strictly
    proper; the squared error is lowest at the mean). Scored frame by frame the draws vary as the target
    does in each frame but not from frame to frame (their spread's change was 2.5 times the target's)."""
    def distance(u, v):
        return torch.stack([((a - b).pow(2).sum((1, 2)) + 1e-12).sqrt()
                            for a, b in zip(u.split(frames, dim=1), v.split(frames, dim=1))], dim=1)
    score = 0.5 * (distance(prediction, target) + distance(other, target)) - 0.5 * distance(prediction, other)
    if frame_weights is not None:
        frame_weights = torch.stack([w.mean(1) for w in frame_weights.split(frames, dim=1)], dim=1)
    return _weighted_mean(score.unsqueeze(-1), frame_weights)


def _weighted_mean(error: torch.Tensor, frame_weights) -> torch.Tensor:
    if frame_weights is None:
        return torch.mean(error)
    return torch.mean(error * (frame_weights / frame_weights.mean()).unsqueeze(-1))


def pause_frame_weights(gate: torch.Tensor, strength: float, pause_weight: float) -> torch.Tensor:
    """(B, M) 1 + pause_weight where the voice pauses (the speech gate at 1, plain conditioning), 1 where it
    speaks at half the full strength or more (its softest syllables), and a ramp between."""
    if strength <= 1:
        return torch.ones_like(gate)
    pausing = (1 - 2 * (gate - 1) / (strength - 1)).clamp(0, 1)
    return 1 + pause_weight * pausing


ODE_SOLVERS = ("ddim", "dpm")


def ode_segment(x0_fn, x: torch.Tensor, abs_, ts, solver: str = "ddim") -> torch.Tensor:
    """Deterministic steps through ᾱ abs_[0] → … → abs_[-1] (per window, (B, 1, 1); ᾱ 1 is clean motion) at
    timesteps ``ts`` (one per step) with x̂0 = x0_fn(x, t): DDIM, or DPM-Solver++(2M) (Lu et al. 2022, x0
    form, first order on the first step and onto clean motion), which reaches DDIM's accuracy in about a
    quarter of the steps."""
    if solver not in ODE_SOLVERS:
        raise OpenHumanError(f"solver must be one of {', '.join(ODE_SOLVERS)}, got {solver!r}")
    previous = None  # (x̂0, h) of the step before
    for j, t in enumerate(ts):
        x0 = x0_fn(x, t)
        ab_t, ab_s = abs_[j], abs_[j + 1]
        if solver == "ddim":
            x = ddim_step(x0, x, ab_t, ab_s)
            continue
        clean = ab_s >= 1
        ab_s_open = torch.where(clean, ab_t, ab_s)  # any finite stand-in; those windows take x̂0 below
        lam_t = 0.5 * torch.log(ab_t / (1 - ab_t))
        lam_s = 0.5 * torch.log(ab_s_open / (1 - ab_s_open))
        h = lam_s - lam_t
        d = x0
        if previous is not None:
            r = previous[1] / h
            d = x0 + (0.5 / r) * (x0 - previous[0])
        previous = (x0, h)
        stepped = ((1 - ab_s_open) / (1 - ab_t)).sqrt() * x - ab_s_open.sqrt() * torch.expm1(-h) * d
        x = torch.where(clean, x0, stepped)
    return x
