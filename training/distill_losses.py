"""What a distillation round's student is trained to minimise (training/distill.py).

"mse": the squared error of the student's x̂0 against its target, the x̂0 whose one step lands where its
teacher's `fold` steps do (distill_loss); with drawn ("sde-noise") teacher steps the student reads the draw z
and, if it does not, learns the target averaged over the draws, which moves less than the teacher
(training/evaluation/draw_average_study.py). "energy": the energy score (Gneiting & Raftery 2007) of the
student's x̂0 under two draws against the target (energy_loss): it is lowest when the student reads z as the
target does, and next lowest when its x̂0 spreads over the draws as the target does without reading them.
"""
from __future__ import annotations

import torch

from ..engine.diffusion.guidance import Conditions
from ..engine.diffusion.samplers import grid_alpha_bars, injected_noise, nested_grid, posterior_coefficients
from ..engine.diffusion.schedule import NoiseSchedule
from ..engine.errors import OpenHumanError
from .distill_guide import guided_by
from .distill_steps import (ddim_step, energy_score, path_average_weights, step_loss, student_target)

LOSSES = ("mse", "energy")


def _teacher_x0(teacher, guided: bool, n_emotions: int):
    """x̂0 of a network, (x_t, t, cond, guide, noise): guided as the default sampling guides (``guide``, a
    Guide; two passes a window, three for a blended one), or one pass; either reading the step's noise when
    the network does (a previous round's student)."""
    reads = bool(teacher.config.noise_input)
    if guided:
        return lambda x_t, t, cond, guide, noise: guided_by(teacher, n_emotions, x_t, t, cond, guide,
                                                            noise if reads else None)
    return lambda x_t, t, cond, guide, noise: teacher(x_t, t, *cond.astuple(), noise=noise if reads else None)


def distill_loss(student, teacher_x0, schedule: NoiseSchedule, n: int, x0, cond, guide, generator,
                 teacher_path: str = "ode", fine_injections=None, shifts=(0, 0),
                 student_guided: bool = False, frame_weights=None, velocity_weight: float = 0.0) -> torch.Tensor:
    """Mean squared error of the student's x̂0 against its target (student_and_target), each frame weighed
    by ``frame_weights`` (B, M; pause_frame_weights), else all alike; ``velocity_weight``: that of the
    frame-to-frame change too (step_loss)."""
    return step_loss(*student_and_target(student, teacher_x0, schedule, n, x0, cond, guide, generator, teacher_path,
                                         fine_injections, shifts, student_guided), frame_weights, velocity_weight)


def energy_loss(student, teacher_x0, schedule: NoiseSchedule, n: int, x0, cond, guide, generator,
                fine_injections, shifts, student_guided: bool = False, frame_weights=None,
                frames: int = 1) -> torch.Tensor:
    """The energy score of the student's x̂0 against its "sde-noise" target: the student under the target's
    draw z and under a second, independent draw (energy_score, per run of ``frames`` frames, weighed by
    ``frame_weights``)."""
    fold = len(shifts)
    i, abs_, ts, x_t = noised_step(schedule, n, fold, x0, generator)
    z = torch.randn(x0.shape, generator=generator, device=x0.device)
    other = torch.randn(x0.shape, generator=generator, device=x0.device)
    with torch.no_grad():
        target = teacher_target(teacher_x0, "sde-noise", x_t, i, abs_, ts, cond, guide, z, fine_injections, shifts)
    predict = _teacher_x0(student, student_guided, student.config.n_emotions)
    return energy_score(predict(x_t, ts[0], cond, guide, z), predict(x_t, ts[0], cond, guide, other), target,
                        frame_weights, frames)


def noised_step(schedule: NoiseSchedule, n: int, fold: int, x0, generator):
    """A student step i of the n grid drawn per window, the ᾱs of its `fold` teacher steps on the grid of
    fold·n (fold + 1 of them, (B, 1, 1)), their timesteps, and the windows ``x0`` noised to the first."""
    dev, b = x0.device, x0.shape[0]
    fine = nested_grid(fold * n, schedule.steps)
    ab = grid_alpha_bars(schedule, fine).to(dev)
    i = torch.randint(0, n, (b,), generator=generator, device=dev)
    abs_ = [ab[fold * i + j].view(b, 1, 1) for j in range(fold + 1)]
    grid = torch.tensor(fine, device=dev)
    ts = [grid[fold * i + j] for j in range(fold)]
    x_t = abs_[0].sqrt() * x0 + (1 - abs_[0]).sqrt() * torch.randn(x0.shape, generator=generator, device=dev)
    return i, abs_, ts, x_t


def teacher_target(teacher_x0, teacher_path: str, x_t, i, abs_, ts, cond: Conditions, guide, z=None,
                   fine_injections=None, shifts=(0, 0)) -> torch.Tensor:
    """The student's target for the step noised_step drew (see student_and_target); ``z``: the sde-noise draw."""
    fold = len(ts)
    if teacher_path == "ode":
        x = x_t
        for j in range(fold):
            x = ddim_step(teacher_x0(x, ts[j], cond, guide, None), x, abs_[j], abs_[j + 1])
        return student_target(x_t, x, abs_[0], abs_[fold])
    if teacher_path != "sde-noise":
        raise OpenHumanError(f"teacher_path must be 'ode' or 'sde-noise', got {teacher_path!r}")
    steps = i.tolist()  # one device-to-host copy, not one per window
    x, predictions = x_t, []
    for j in range(fold):
        z_j = z.roll(shifts[j], dims=-1) if shifts[j] else z
        predictions.append(teacher_x0(x, ts[j], cond, guide, z_j))
        if j + 1 < fold:
            c0, ct, _ = (c.float() for c in posterior_coefficients(abs_[j], abs_[j + 1]))
            drawn = torch.cat([injected_noise(z_j[k:k + 1], fine_injections[fold * steps[k] + j])
                               for k in range(x_t.shape[0])])
            x = c0 * predictions[-1] + ct * x + drawn
    return sum(w * p for w, p in zip(path_average_weights(*abs_), predictions))


def student_and_target(student, teacher_x0, schedule: NoiseSchedule, n: int, x0, cond, guide, generator,
                       teacher_path: str = "ode", fine_injections=None, shifts=(0, 0), student_guided: bool = False,
                       z=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The student's x̂0 (one step of the n grid) and its target, its teacher's steps on the grid of fold·n (the
    fold is len(shifts)), for windows ``x0`` noised to a step drawn from ``generator``.

    "ode": the steps are deterministic DDIM; the target is the x̂0 whose DDIM step lands where they do.
    "sde-noise": the steps are drawn as the stochastic samplers draw them (``fine_injections``, teacher step j
    from the draw z rolled by ``shifts[j]``) and the student reads z: its target is the average of the
    teacher's predictions along that path (path_average_weights), so that its one posterior step with the
    combined injection (folded_injections) lands where they do, for every z.
    ``student_guided``: the student's x̂0 is its own guided pair of passes (keep_guidance), not one pass.
    ``z``: the sde-noise draw, instead of one from ``generator`` (which then draws the same steps and noise)."""
    i, abs_, ts, x_t = noised_step(schedule, n, len(shifts), x0, generator)
    if teacher_path != "sde-noise":
        z = None  # teacher_target refuses a path it does not know
    elif z is None:
        z = torch.randn(x0.shape, generator=generator, device=x0.device)
    with torch.no_grad():
        target = teacher_target(teacher_x0, teacher_path, x_t, i, abs_, ts, cond, guide, z, fine_injections, shifts)
    prediction = _teacher_x0(student, student_guided, student.config.n_emotions)(x_t, ts[0], cond, guide, z)
    return prediction, target


def guidance_loss(student, teacher_x0, schedule: NoiseSchedule, x0, cond, guide, generator) -> torch.Tensor:
    """Mean squared error of the student's one-pass x̂0 against the guided teacher's, at timesteps drawn
    uniformly over the whole schedule (so that every sampler's grid is covered) on noised training windows."""
    t = torch.randint(0, schedule.steps, (x0.shape[0],), generator=generator, device=x0.device)
    x_t = schedule.q_sample(x0, t, torch.randn(x0.shape, generator=generator, device=x0.device))
    with torch.no_grad():
        target = teacher_x0(x_t, t, cond, guide, None)
    return torch.mean((student(x_t, t, *cond.astuple()) - target) ** 2)
