"""Progressive distillation of the default sampling into a few single network passes.

The teacher is a model file sampled the default way: DDIM on a grid of `teacher_steps` steps, each
step two passes (emotion and voice guidance at `intensity`, full strength while the voice speaks,
see engine/diffusion/guidance.py). Round 1 trains a student (the teacher's weights to start) to make
in one pass one step of a grid `fold` times coarser (half as fine by default) what the guided teacher makes
in `fold` steps (the guidance distilled with the first round, as Meng et al. 2023 do); every later round
folds again from the previous student (Salimans & Ho 2022), down to `student_steps`. The grids are nested
(u = 1 − i/n, t = u²·(T−1), the last step to clean motion), so one student step is exactly `fold` teacher
steps (training/distill_steps.py).

`teacher_path = "guidance"` distils the guidance alone (Meng et al. 2023, their first stage): one round
in which the student learns, at every timestep of the schedule, the x̂0 the guided teacher makes in its two
passes. It samples with the ordinary samplers and any number of steps, one pass per step instead of two.

With `keep_guidance` the student keeps the guidance outside its weights (two passes a step), and
`blend_share` guides that share of each batch as a blend of two emotions is sampled (interpolation mode),
so the student learns the steps of both modes.

What the student minimises (`loss`: the squared error against its target, or the energy score of two draws of
it) is in training/distill_losses.py.

A run checkpoints every `checkpoint_every` steps and after each round, and resumes where it stopped.
It writes `<out>/round-<n>.safetensors` per round; the last is the distilled model, whose metadata
`distilled` names its grid, the guidance it carries and its teacher.
"""
from __future__ import annotations

import copy
import csv
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from ..engine.diffusion.guidance import Conditions
from ..engine.diffusion.modelfile import load_model_file, save_model_file_like
from ..engine.diffusion.presets import DEFAULT_INTENSITY
from ..engine.diffusion.denoiser import Denoiser, DenoiserConfig
from ..engine.diffusion.samplers import nested_grid
from ..engine.diffusion.schedule import NoiseSchedule
from ..engine.diffusion.windowed_sampling import DISTILLED_ETA, speech_gated_strength
from ..engine.errors import OpenHumanError
from .distill_guide import Guide, guided_by  # noqa: F401 (Guide, guided_by: the tests' and callers' names here)
from .distill_losses import (LOSSES, _teacher_x0, distill_loss, energy_loss, guidance_loss,  # noqa: F401
                             student_and_target)
from .distill_steps import first_injections, fold_shifts, folded_injections, halvings, pause_frame_weights
from .train import EMA, _save_checkpoint, warmup_cosine
from .windows_dataset import WindowDataset


TEACHER_PATHS = ("ode", "sde-noise", "guidance")
GUIDANCE_ROUND = 0  # the round's "step count" for a guidance-only distillation: it keeps every sampler's steps


@dataclass
class DistillConfig:
    teacher: str = "models/openhuman-base.safetensors"
    data: str = ""
    out: str = "runs/distill"
    teacher_steps: int = 64
    student_steps: int = 8
    steps_per_round: int = 600
    batch_size: int = 32
    lr: float = 1e-4
    warmup: int = 50
    ema_decay: float = 0.995
    intensity: float = DEFAULT_INTENSITY
    stride: int = 5
    checkpoint_every: int = 100
    seed: int = 0
    threads: int = 0  # torch threads; 0 leaves torch's default
    device: str = "cpu"  # "cuda" (scripts/gpu_distill.sh), "auto": CUDA when present
    # "ode": the teacher steps deterministically (DDIM) and the student's one step lands where its two do;
    # "sde-noise": the teacher's steps are drawn, and the student reads the draw (distill_loss);
    # "guidance": the guidance alone, every timestep, no halving (guidance_loss).
    teacher_path: str = "ode"
    # true: the student keeps the guidance outside its weights, two passes a step (the voice heard and silence,
    # weighed as the default sampling weighs them), and learns only to make in one such step what its teacher
    # makes in two; false: the guidance is distilled into one pass a step with the first round
    keep_guidance: bool = False
    # the share of each batch's windows guided in interpolation mode, as a blend of two emotions is sampled (a
    # second emotion drawn, γ drawn in [0, 1], at the flat `intensity`, three branches); the rest in control mode
    blend_share: float = 0.0
    # teacher steps one student step makes, a power of two: 2 halves the steps each round (64 -> 32 -> 16 -> 8),
    # 4 quarters them in half as many rounds (64 -> 16 -> 4)
    fold: int = 2
    # extra weight of the frames where the voice pauses (gate 1) in the step loss: 3 counts a pause frame four
    # times, so that the few-step student rests where its teacher does (it kept gesturing through short pauses)
    pause_weight: float = 0.0
    # weight of the error in the frame-to-frame change of x̂0 beside the error in x̂0 itself, for the teacher's
    # quick beats the students lost (at 2 the first round rested more but followed the voice no better: README)
    velocity_weight: float = 0.0
    # the learning rate of a noise-reading student's noise input (its layer for the step's draw z) over the rest's:
    # at 1 the layer, started at zero, stayed a tenth of the motion input's size after a round, and the student's
    # x̂0 barely moved with z while its target did (a draw's share of the target's error was half of the loss)
    noise_lr_scale: float = 1.0
    # "mse": the squared error against the target; "energy": the energy score of the student under the target's
    # draw and another (sde-noise only, distill_losses.py), lowest where the student's x̂0 spreads over the draws
    # as its target does, which the squared error's students did not (README)
    loss: str = "mse"
    # consecutive frames the energy score measures together: 1 scores each frame alone, and the student's draws then
    # varied as its target's in each frame but jittered from frame to frame (README)
    energy_frames: int = 1

    def __post_init__(self):
        if self.teacher_path not in TEACHER_PATHS:
            raise OpenHumanError(f"teacher_path must be one of {', '.join(TEACHER_PATHS)}, got {self.teacher_path!r}")
        if self.keep_guidance and self.teacher_path == "guidance":
            raise OpenHumanError("keep_guidance distils the steps and keeps the guidance; teacher_path = \"guidance\" "
                                 "distils the guidance alone: choose one")
        if not 0.0 <= self.blend_share < 1.0:
            raise OpenHumanError(f"blend_share is a share of each batch, at least 0 and under 1, got {self.blend_share}")
        if self.pause_weight < 0:
            raise OpenHumanError(f"pause_weight is an extra weight, 0 or more, got {self.pause_weight}")
        if self.velocity_weight < 0:
            raise OpenHumanError(f"velocity_weight is a weight, 0 or more, got {self.velocity_weight}")
        if self.noise_lr_scale <= 0:
            raise OpenHumanError(f"noise_lr_scale scales a learning rate, above 0, got {self.noise_lr_scale}")
        if (self.pause_weight or self.velocity_weight) and self.teacher_path == "guidance":
            raise OpenHumanError("pause_weight and velocity_weight weigh the step loss; teacher_path = \"guidance\" "
                                 "has none: set them to 0 or choose \"ode\" or \"sde-noise\"")
        if self.loss not in LOSSES:
            raise OpenHumanError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.loss == "energy" and (self.teacher_path != "sde-noise" or self.velocity_weight):
            raise OpenHumanError("loss = \"energy\" scores a student's draws against a drawn target: it needs "
                                 "teacher_path = \"sde-noise\" and no velocity_weight")
        if self.energy_frames < 1:
            raise OpenHumanError(f"energy_frames counts frames scored together, at least 1, got {self.energy_frames}")
        if self.blend_share and not self.keep_guidance:
            raise OpenHumanError("blend_share needs keep_guidance = true: only a student that keeps its guidance "
                                 "outside its weights is guided as a blend of two emotions is")

    @classmethod
    def load(cls, path, overrides=()) -> "DistillConfig":
        """The settings in a TOML file, each "key=value" of ``overrides`` (TOML values) replacing the file's."""
        import tomllib

        raw = tomllib.loads(Path(path).read_text())
        for item in overrides:
            raw.update(tomllib.loads(item))
        unknown = sorted(set(raw) - {f.name for f in fields(cls)})
        if unknown:
            raise OpenHumanError(f"{path}: unknown distillation settings {unknown}")
        return cls(**raw)

    def rounds(self) -> list[int]:
        """The students' step counts, round by round: teacher_steps/fold, /fold², … down to student_steps
        ([GUIDANCE_ROUND] for a guidance-only distillation)."""
        if self.teacher_path == "guidance":
            return [GUIDANCE_ROUND]
        halvings(self.fold)
        n, out = self.teacher_steps, []
        while n > self.student_steps:
            if n % self.fold:
                break
            n //= self.fold
            out.append(n)
        if not out or out[-1] != self.student_steps:
            raise OpenHumanError(f"teacher_steps {self.teacher_steps} must be student_steps {self.student_steps} "
                                 f"times a power of the fold {self.fold} (at least {self.fold} times)")
        return out


class _Windows:
    """Training windows in the teacher's normalisation, with how each is guided (a Guide)."""

    def __init__(self, cfg: DistillConfig, teacher):
        self.ds = WindowDataset(cfg.data, "train", stride=cfg.stride, normalise=False)
        if len(self.ds) == 0:
            raise OpenHumanError(f"{cfg.data}: no training windows")
        if list(self.ds.emotions) != teacher.emotions:
            raise OpenHumanError(f"{cfg.data}: emotions {self.ds.emotions} are not the teacher's {teacher.emotions}")
        self.mean, self.std = teacher.mean, teacher.std
        self.spec, self.intensity = teacher.metadata["audio_features"], cfg.intensity
        self.blend_share, self.n_emotions = cfg.blend_share, len(teacher.emotions)
        if self.blend_share and self.n_emotions < 2:
            raise OpenHumanError(f"blend_share blends two emotions; {cfg.teacher} knows only {teacher.emotions}")

    def batch(self, indices, device="cpu", rng: np.random.Generator | None = None):
        """(x0, cond, guide); with ``rng`` and a blend share, that share of the windows (drawn) is blended."""
        seed, motion, audio, text, emotion = self.ds.batch(indices)
        gate = np.stack([speech_gated_strength(a, self.spec, self.intensity) for a in audio])
        as_t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(device)  # noqa: E731
        cond = Conditions(audio=as_t(audio), text=as_t(text), seed=as_t((seed - self.mean) / self.std),
                          seed_present=torch.ones(len(indices), dtype=torch.bool, device=device),
                          emotion=torch.from_numpy(emotion).long().to(device))
        guide = Guide(as_t(gate))
        if rng is not None and self.blend_share > 0:
            k = len(indices)
            blended = rng.random(k) < self.blend_share
            other = (emotion + rng.integers(1, self.n_emotions, k)) % self.n_emotions  # never the window's own
            guide = Guide(as_t(gate), torch.from_numpy(blended).to(device), torch.from_numpy(other).long().to(device),
                          as_t(rng.random(k)), self.intensity)
        return as_t((motion - self.mean) / self.std), cond, guide


def _noise_reading_copy(model):
    """The model with a noise input that starts at zero: the same x̂0 as ``model`` until trained."""
    student = Denoiser(DenoiserConfig.from_dict({**model.config.to_dict(), "noise_input": 1}))
    missing = student.load_state_dict(model.state_dict(), strict=False).missing_keys
    if sorted(missing) != ["noise_in.bias", "noise_in.weight"]:
        raise OpenHumanError(f"cannot add a noise input to this model: missing {missing}")
    torch.nn.init.zeros_(student.noise_in.weight)
    torch.nn.init.zeros_(student.noise_in.bias)
    return student


# Steps a round runs before a time budget sets its length from their pace.
PACE_STEPS = 20


def distill(cfg: DistillConfig, max_wall_s: float | None = None, log=print,
            budget_s: float | None = None) -> Path | None:
    """Run (or resume) every round; the distilled model's path, or None when stopped early.

    budget_s: the whole run's time; each round, after its first PACE_STEPS steps, takes as many steps as its
    share of the time left allows at their pace (a GPU's one session: scripts/gpu_distill.sh), instead of
    steps_per_round, and every finished round is written."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = _device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    original = load_model_file(cfg.teacher, map_location="cpu")
    windows = _Windows(cfg, original)
    schedule = NoiseSchedule.cosine()
    rounds = cfg.rounds()
    start_clock = time.perf_counter()
    ckpt = out / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=False, map_location="cpu") if ckpt.exists() else None
    path = None
    for r, n in enumerate(rounds):
        path = out / ("guidance.safetensors" if n == GUIDANCE_ROUND else f"round-{n}.safetensors")
        if path.exists():
            continue
        teacher, teacher_x0, fine = round_teacher(cfg, original, r, device)
        noisy = cfg.teacher_path == "sde-noise"
        student = (_noise_reading_copy(teacher) if noisy and r == 0 else copy.deepcopy(teacher)).to(device).train()
        student.requires_grad_(True)
        shifts = fold_shifts(r, cfg.fold)
        if noisy:
            injections = folded_injections(fine, r, cfg.fold, original.config.pose_dim)
        ema = EMA(student, cfg.ema_decay)
        opt = torch.optim.AdamW(_parameter_groups(student, cfg.noise_lr_scale), lr=cfg.lr, weight_decay=0.0)
        rng = np.random.default_rng([cfg.seed, r])
        generator = torch.Generator(device=device).manual_seed(cfg.seed * 100 + r)
        step, losses, total = 0, [], cfg.steps_per_round
        round_clock = time.perf_counter()
        if state is not None and state["round"] == n:
            student.load_state_dict(state["student"])
            ema.model.load_state_dict(state["ema"])
            opt.load_state_dict(state["opt"])
            rng.bit_generator.state = state["rng"]
            generator.set_state(state["generator"])
            step = state["step"]
        with open(out / "log.csv", "a", newline="") as log_file:
            writer = csv.writer(log_file)
            while step < total:
                if max_wall_s is not None and time.perf_counter() - start_clock > max_wall_s:
                    _checkpoint(ckpt, n, step, student, ema, opt, rng, generator)
                    return None
                if budget_s is not None and step == PACE_STEPS:
                    total = _steps_in_budget(budget_s, start_clock, round_clock, len(rounds) - r)
                    log(f"round {r + 1}/{len(rounds)}: {total} steps in its share of the time left")
                for group in opt.param_groups:
                    group["lr"] = warmup_cosine(step, cfg.lr, cfg.warmup, total, 0.1) * group.get("lr_scale", 1.0)
                x0, cond, guide = windows.batch(rng.integers(0, len(windows.ds), cfg.batch_size), device, rng)
                if n == GUIDANCE_ROUND:
                    loss = guidance_loss(student, teacher_x0, schedule, x0, cond, guide, generator)
                else:
                    weights = (pause_frame_weights(guide.gate, cfg.intensity, cfg.pause_weight)
                               if cfg.pause_weight else None)
                    loss = (energy_loss(student, teacher_x0, schedule, n, x0, cond, guide, generator, fine, shifts,
                                        cfg.keep_guidance, weights, cfg.energy_frames) if cfg.loss == "energy" else
                            distill_loss(student, teacher_x0, schedule, n, x0, cond, guide, generator,
                                         cfg.teacher_path, fine, shifts, cfg.keep_guidance, weights,
                                         cfg.velocity_weight))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
                opt.step()
                ema.update(student, step)
                step += 1
                losses.append(float(loss.detach()))
                if step % 25 == 0:
                    writer.writerow([n, step, f"{np.mean(losses[-25:]):.5f}", f"{time.perf_counter() - start_clock:.0f}"])
                    log_file.flush()
                    what = "guidance" if n == GUIDANCE_ROUND else f"{cfg.fold * n} -> {n} steps"
                    log(f"round {r + 1}/{len(rounds)} ({what}): step {step}/{total}, "
                        f"loss {np.mean(losses[-25:]):.5f}")
                if step % cfg.checkpoint_every == 0:
                    _checkpoint(ckpt, n, step, student, ema, opt, rng, generator)
        _export(path, copy.deepcopy(ema.model).cpu(), original, cfg, n,
                float(np.mean(losses[-50:])) if losses else float("nan"), injections if noisy else None)
        state = None
    return path


def round_teacher(cfg: DistillConfig, original, r: int, device="cpu"):
    """Round r's teacher: its network (``original``'s, then the previous round's student) on ``device``, frozen;
    its x̂0 as the round's target reads it (guided in the first round, and in every round with keep_guidance);
    and, for "sde-noise", the injections of its drawn steps on the grid of fold·n (None otherwise)."""
    rounds = cfg.rounds()
    previous = original if r == 0 else load_model_file(Path(cfg.out) / f"round-{rounds[r - 1]}.safetensors")
    teacher = previous.model.to(device).eval().requires_grad_(False)
    teacher_x0 = _teacher_x0(teacher, r == 0 or cfg.keep_guidance, original.config.n_emotions)
    fine = None
    if cfg.teacher_path == "sde-noise":
        fine = first_injections(cfg.fold * rounds[r]) if r == 0 else previous.metadata["distilled"]["injections"]
    return teacher, teacher_x0, fine


def _parameter_groups(student, noise_lr_scale: float) -> list[dict]:
    """The optimiser's groups: the noise input's own (its learning rate scaled) when it has one and a scale."""
    noise = list(student.noise_in.parameters()) if student.config.noise_input and noise_lr_scale != 1 else []
    rest = [p for p in student.parameters() if all(p is not q for q in noise)]
    return [{"params": rest, "lr_scale": 1.0}] + ([{"params": noise, "lr_scale": noise_lr_scale}] if noise else [])


def _steps_in_budget(budget_s: float, start_clock: float, round_clock: float, rounds_left: int) -> int:
    """A round's steps: its share of the time left (a twentieth kept for writing files), at its pace so far."""
    now = time.perf_counter()
    pace = (now - round_clock) / PACE_STEPS
    share = (budget_s - (now - start_clock)) * 0.95 / rounds_left
    return max(PACE_STEPS, PACE_STEPS + int(share / pace))


def _device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise OpenHumanError("device cuda: this torch sees no CUDA device (use device = \"cpu\" or \"auto\")")
        torch.backends.cuda.matmul.allow_tf32 = True  # training arithmetic; the exported weights stay float32
        torch.backends.cudnn.allow_tf32 = True
    return torch.device(name)


def _checkpoint(path: Path, n, step, student, ema: EMA, opt, rng, generator) -> None:
    _save_checkpoint(path, {"round": n, "step": step, "student": student.state_dict(), "ema": ema.model.state_dict(),
                            "opt": opt.state_dict(), "rng": rng.bit_generator.state, "generator": generator.get_state()})


def _export(path: Path, model, original, cfg: DistillConfig, n: int, final_loss: float, injections=None) -> Path:
    meta = original.metadata
    training = dict(meta.get("training", {}))
    training["distillation"] = {"config": asdict(cfg), "final_loss": final_loss}
    distilled = {"intensity": cfg.intensity, "guidance": "emotion and voice, full strength while the voice speaks",
                 "teacher_sha256": meta.get("weights_sha256")}
    if cfg.keep_guidance:  # guided at sampling, as the full model is; trained at cfg.intensity
        distilled.update(guidance="kept: two passes a step, emotion and voice guidance as the full model's",
                         guidance_kept=True)
    if n != GUIDANCE_ROUND:  # a step distillation: the student samples on its own grid only
        distilled.update(steps=n, timesteps=nested_grid(n, NoiseSchedule.cosine().steps), eta=DISTILLED_ETA)
    if injections is not None:  # the network reads each step's draw z and the step adds these rolls of it
        distilled["injections"] = [[[float(c), int(sh)] for c, sh in step] for step in injections]
    return save_model_file_like(path, model, original, training=training, distilled=distilled)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Distil a model's default sampling (see the module notes).")
    parser.add_argument("config", help="a TOML file of DistillConfig settings, e.g. configs/distill-bundled.toml")
    parser.add_argument("--max-minutes", type=float, help="stop with a checkpoint after this long (resume later)")
    parser.add_argument("--budget-minutes", type=float,
                        help="fit every round into this long, each as long as its share allows (no resume)")
    for name in ("data", "out", "device", "teacher"):
        parser.add_argument(f"--{name}", help=f"instead of the config's {name}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other setting instead of the config's (a TOML value), e.g. --set batch_size=64")
    args = parser.parse_args()
    named = [f"{name} = {json.dumps(getattr(args, name))}" for name in ("data", "out", "device", "teacher")
             if getattr(args, name)]  # a JSON string is a TOML string
    cfg = DistillConfig.load(args.config, overrides=named + args.set)
    done = distill(cfg, None if args.max_minutes is None else 60 * args.max_minutes,
                   log=lambda line: print(line, flush=True),
                   budget_s=None if args.budget_minutes is None else 60 * args.budget_minutes)
    print(f"distilled model: {done}" if done else "stopped with a checkpoint; run again to resume")
