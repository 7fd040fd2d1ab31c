"""Directing a generation: re-make a stretch and keep the rest, start and end on given poses.

    constraints = Constraints(edit=old_motion, edit_range=(12.0, 15.5))
    known, mask, seed = conditioning(constraints, n_frames, fps)   # for the sampler
    motion = finish(new_motion, constraints)                         # the result

The model is asked for the whole clip with the frames to keep imposed at every denoising step
(engine/diffusion/windowed_sampling.py), so the new stretch is drawn towards what surrounds it; `finish` then puts
the kept frames back exactly (bit-identical, at the old motion's own frame rate) and blends the
new stretch into them over JOIN_S on each side, so position and velocity stay continuous.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .motion import quat
from .errors import OpenHumanError
from .motion.motion import Motion

JOIN_S = 0.4  # shortest blend (s) of a new stretch into the frames it joins
JOIN_SPEED = 0.6  # m/s: a join lasts long enough that blending moves no joint faster than this
MAX_JOIN_S = 1.2
BODY_PARTS = ("full", "upper", "hands")
ROOT_LOCK_M = 0.02  # a locked root stays within this of where it starts (horizontally)
_LEGS = ("UpLeg", "Leg", "Foot", "Toe")
_ARMS = ("Shoulder", "Arm", "Hand")


@dataclass
class Constraints:
    """What a generation must respect; every part optional."""

    edit: Motion | None = None  # an earlier result on the same clip: frames outside edit_range are kept
    edit_range: tuple[float, float] | None = None  # seconds [start, end) to make anew
    start_pose: Motion | None = None  # the result begins on this motion's last frame (continue it)
    end_pose: Motion | None = None  # the result ends on this motion's first frame (hand over to it)
    body: str = "full"  # 'upper': root and legs stay put; 'hands': only arms and fingers move
    lock_root: bool = False  # the root stays within ROOT_LOCK_M of its start



def check(constraints: Constraints, skeleton, duration_s: float) -> None:
    """OpenHumanError naming the problem, before any work is done."""
    c = constraints
    if c.body not in BODY_PARTS:
        raise OpenHumanError(f"unknown body part {c.body!r}; choose one of {', '.join(BODY_PARTS)}")
    if (c.edit is None) != (c.edit_range is None):
        raise OpenHumanError("an edit needs both the earlier motion (--edit FILE.bvh) and the stretch to make anew "
                             "(--range START END, seconds)")
    for motion, what in ((c.edit, "the motion to edit"), (c.start_pose, "the start pose"), (c.end_pose, "the end pose")):
        if motion is None:
            continue
        if [n.casefold() for n in motion.skeleton.names] != [n.casefold() for n in skeleton.names]:
            raise OpenHumanError(f"{what} is not on the model's {skeleton.n_joints}-joint skeleton "
                                 f"({motion.skeleton.n_joints} joints); give a BVH written by OpenHuman")
    if c.edit_range is not None:
        a, b = (float(x) for x in c.edit_range)
        if not (np.isfinite(a) and np.isfinite(b) and 0.0 <= a < b):
            raise OpenHumanError(f"--range must be two times in seconds, START < END, got {a:g} {b:g}")
        if a >= duration_s:
            raise OpenHumanError(f"--range starts at {a:g} s but the clip is {duration_s:.2f} s long")
        if c.edit.duration < duration_s - 0.1:
            raise OpenHumanError(f"the motion to edit is {c.edit.duration:.2f} s long but the clip is "
                                 f"{duration_s:.2f} s: edit the motion made for this clip")


def remade_frames(edit_range, n: int, fps: float) -> tuple[int, int]:
    """Frames [a, b) of an n-frame motion at fps that an edit range (seconds) makes anew."""
    a, b = edit_range
    return int(np.clip(round(a * fps), 0, n)), int(np.clip(round(b * fps), 0, n))


def _fit(motion: Motion, n: int) -> Motion:
    """motion trimmed or padded (last frame held) to n frames."""
    if motion.n_frames >= n:
        return motion.slice(0, n)
    pad = n - motion.n_frames
    return Motion(np.concatenate([motion.root_positions, np.repeat(motion.root_positions[-1:], pad, 0)]),
                  np.concatenate([motion.rotations, np.repeat(motion.rotations[-1:], pad, 0)]),
                  motion.fps, motion.skeleton)


def conditioning(constraints: Constraints, n_frames: int, fps: float):
    """(known (F, D), mask (F,), first_seed (k, D) or None) pose features for the sampler, or
    (None, None, seed) when no frame is pinned."""
    from .motion.pose import DIMS, encode

    c = constraints
    known = np.zeros((n_frames, DIMS), np.float32)
    mask = np.zeros(n_frames, bool)
    seed = None
    if c.edit is not None:
        old = _fit(c.edit.resampled(fps), n_frames)
        a, b = remade_frames(c.edit_range, n_frames, fps)
        known[:] = encode(old)
        mask[:a] = True  # what comes before is kept; what comes after is joined in `finish`
    if c.start_pose is not None:
        lead = c.start_pose.resampled(fps)
        feats = encode(lead)
        known[0], mask[0] = feats[-1], True
        seed = feats
    # The end pose is not pinned here: one pinned last frame makes the sampler rush into it in the
    # last few frames; `finish` blends into it over a time that suits the distance instead.
    if not mask.any():
        return None, None, seed
    return known, mask, seed


def _blend(a: Motion, b: Motion, w: np.ndarray) -> Motion:
    """Per frame: (1 - w) a + w b (positions linear, rotations by slerp); a and b the same length."""
    root = a.root_positions + (b.root_positions - a.root_positions) * w[:, None]
    rot = quat.slerp(a.rotations, b.rotations, np.broadcast_to(w[:, None], a.rotations.shape[:2]))
    return Motion(root, rot, a.fps, a.skeleton)


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def _held(frame: Motion, n: int) -> Motion:
    return Motion(np.repeat(frame.root_positions[:1], n, 0), np.repeat(frame.rotations[:1], n, 0), frame.fps,
                  frame.skeleton)


def finish(new: Motion, constraints: Constraints) -> Motion:
    """The result: kept frames exactly as they were, pinned poses exact, joins blended."""
    c = constraints
    out = new
    if c.body != "full":
        base = _fit(c.edit.resampled(out.fps), out.n_frames) if c.edit is not None else _held(out, out.n_frames)
        out = _only_moving(out, base, c.body)
    start = None
    if c.start_pose is not None:
        lead = c.start_pose.resampled(out.fps)
        start = lead.slice(lead.n_frames - 1, lead.n_frames)
        out = _moved_to(out, start)  # the character goes on from where it stood
    if c.lock_root:
        out = _locked_root(out)
    if c.start_pose is not None or c.end_pose is not None:
        n = out.n_frames
        i = np.arange(n)
        if start is not None:  # from the pose into the new motion, over the first half at most
            pose = start
            join = _join_frames(pose, out.slice(0, 1), n)
            out = _blend(_held(pose, n), out, np.where(i < n / 2, _smoothstep(i / join), 1.0))
        if c.end_pose is not None:  # and from the new motion into the end pose, over the second half
            pose = c.end_pose.resampled(out.fps).slice(0, 1)
            join = _join_frames(pose, out.slice(n - 1, n), n)
            out = _blend(_held(pose, n), out, np.where(i >= n / 2, _smoothstep((n - 1 - i) / join), 1.0))
    if c.edit is not None:
        out = _splice(c.edit, out, c.edit_range)
    return out


def _join_frames(kept: Motion, made: Motion, room: int) -> int:
    """Frames to blend over where a made frame meets a kept one: longer when they are far apart
    (a smoothstep's peak speed is 1.875 × distance / time), at most half the stretch."""
    gap = float(np.linalg.norm(kept.world_positions()[0] - made.world_positions()[0], axis=-1).max())
    seconds = float(np.clip(1.875 * gap / JOIN_SPEED, JOIN_S, MAX_JOIN_S))
    return int(np.clip(round(seconds * kept.fps), 2, max(2, room // 2)))


def moving_joints(names, body: str) -> np.ndarray:
    """(J,) True for the joints a generation of `body` may turn ('full', 'upper' or 'hands')."""
    if body == "full":
        return np.ones(len(names), bool)
    side = [n.startswith(("Left", "Right")) for n in names]
    if body == "upper":
        return np.array([not (s and any(part in n for part in _LEGS)) for n, s in zip(names, side)]) & (
            np.arange(len(names)) > 0)  # the root (Hips) stays too
    return np.array([s and any(part in n for part in _ARMS) for n, s in zip(names, side)])


def _only_moving(motion: Motion, base: Motion, body: str) -> Motion:
    """motion's turns on the joints `body` moves, base's (and base's root position) everywhere else."""
    moving = moving_joints(motion.skeleton.names, body)
    rot = base.rotations.copy()
    rot[:, moving] = motion.rotations[:, moving]
    return Motion(base.root_positions.copy(), rot, motion.fps, motion.skeleton)


def _moved_to(motion: Motion, pose: Motion) -> Motion:
    """motion shifted along the floor so that its first frame's root stands where pose's does."""
    root = motion.root_positions.copy()
    root[:, [0, 2]] += pose.root_positions[0, [0, 2]] - root[0, [0, 2]]
    return Motion(root, motion.rotations, motion.fps, motion.skeleton, motion.translations)


def _locked_root(motion: Motion) -> Motion:
    """The root's horizontal travel kept within ROOT_LOCK_M of its first frame (height untouched)."""
    root = motion.root_positions.copy()
    offset = root[:, [0, 2]] - root[:1, [0, 2]]
    dist = np.linalg.norm(offset, axis=1, keepdims=True)
    root[:, [0, 2]] = root[:1, [0, 2]] + offset * np.minimum(1.0, ROOT_LOCK_M / np.maximum(dist, 1e-12))
    return Motion(root, motion.rotations, motion.fps, motion.skeleton, motion.translations)


def _splice(old: Motion, new: Motion, edit_range) -> Motion:
    """old with its frames in edit_range replaced by new (resampled to old's rate), blended at the joins."""
    fresh = new.resampled(old.fps) if abs(new.fps - old.fps) > 1e-9 else new
    n = old.n_frames
    a, b = remade_frames(edit_range, n, old.fps)
    b = min(b, fresh.n_frames)
    if b <= a:
        raise OpenHumanError("the stretch to make anew is empty: --range START END must overlap the clip")
    k = np.arange(a, b)
    into, out_of = (_join_frames(old.slice(i, i + 1), fresh.slice(i, i + 1), b - a) for i in (a, b - 1))
    w = np.minimum(_smoothstep((k - a + 1) / into), _smoothstep((b - k) / out_of) if b < n else 1.0)
    middle = _blend(old.slice(a, b), fresh.slice(a, b), w)
    root, rot = old.root_positions.copy(), old.rotations.copy()
    root[a:b], rot[a:b] = middle.root_positions, middle.rotations
    return Motion(root, rot, old.fps, old.skeleton, None if old.translations is None else old.translations.copy())
