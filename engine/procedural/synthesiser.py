"""The procedural co-speech gesture synthesiser: speech (+ words) + emotion style -> Motion.

    motion = synthesise(load_audio("talk.wav"), words, "Happy", fps=20.0, seed=0)

Deterministic for a given seed. Steps: prosody (accents, phrases, loudness) -> gesture plan
(beats on accents, lexicon gestures on words, head events) -> per-frame wrist targets, palm
directions and hand shapes in the chest frame -> trunk and head pose -> arm IK with clearance
from torso and head -> finger rotations -> leg IK with planted feet.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..constants import MODEL_FPS
from ..motion import quat
from ..errors import OpenHumanError
from ..motion.motion import Motion
from ..motion.skeleton_zeggs import zeggs_skeleton
from ..speech.words import WordSpan
from . import body, gestures, keys, tracks
from .arm_ik import limb_world_rotations, local_from_world, push_out, segment_distance, solve_two_bone
from .hands import finger_joint_names, finger_rotations
from .head import head_angles
from .idle import smooth_noise, tremor
from .prosody import Prosody, analyse_prosody
from .styles import Style, blend

_SKELETON = zeggs_skeleton()
_NAMES = _SKELETON.names
_IDX = {n: i for i, n in enumerate(_NAMES)}
_Y, _Z = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
_HEAD_SHARE = (("Neck", 0.3), ("Neck1", 0.3), ("Head", 0.4))
# People's hands stay under about 2.5 m/s in conversation (captured angry strokes reach about 3):
# wrist targets are held under MAX_WRIST_SPEED (world frame), and with the body-clearance pushes
# under MAX_PUSHED_SPEED, so no hand passes 3 m/s; lower limits would flatten Angry's strokes.
MAX_WRIST_SPEED = 2.6
MAX_PUSHED_SPEED = 2.8
VOICE_DRIFT_PER_DB = 0.06  # restless movement gained per dB of loudness above the clip's speech level
# Clearance the synthesiser keeps between hand/finger joints and the body's centre line (m).
# Larger than the check in training/gesture_detectors.CLEARANCE_RADII, so there is a margin.
BODY_CAPSULES = (("Hips", "Spine", 0.13), ("Spine", "Spine1", 0.13), ("Spine1", "Spine2", 0.135),
                 ("Spine2", "Spine3", 0.14), ("Spine3", "Neck", 0.12), ("Neck", "Neck1", 0.09),
                 ("Neck1", "Head", 0.11), ("Head", "HeadEnd", 0.13))


def synthesise(samples16k: np.ndarray, words: list[WordSpan] | None = None, emotion: str | dict | Style = "Neutral",
               fps: float = MODEL_FPS, seed: int = 0, *, prosody: Prosody | None = None) -> Motion:
    """Co-speech motion on the 75-joint ZeroEGGs skeleton (metres) for mono 16 kHz speech.

    words: timed words (engine.words.WordSpan) or None; lexicon words get semantic gestures.
    emotion: a style name (styles.STYLE_NAMES), a dict of style weights to blend, or a Style.
    prosody: pass analyse_prosody(samples16k) to reuse one analysis for several styles or seeds.
    """
    if not (isinstance(fps, (int, float)) and np.isfinite(fps) and 0.0 < fps <= 1000.0):
        raise OpenHumanError(f"fps must be a number between 0 and 1000, got {fps!r}")
    if words is not None:
        words = list(words)
        bad = [w for w in words if not isinstance(w, WordSpan)]
        if bad:
            raise OpenHumanError(f"words must be engine.words.WordSpan items, got {type(bad[0]).__name__}; "
                                 "read a transcript with engine.speech.transcript")
    style = blend(emotion)
    if prosody is None:
        prosody = analyse_prosody(samples16k)
    n = max(1, int(round(prosody.duration * fps)))
    t = np.arange(n) / float(fps)
    # one random stream per part, so a style change in one part leaves the others' draws alone
    plan_rng, arm_rng, body_rng, head_rng, hand_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5))
    plan = gestures.plan(prosody, words, style, plan_rng)
    # restless hand movement follows the voice: fuller while speaking loudly, fading in pauses
    voice = gaussian_filter1d(np.clip(1.0 + VOICE_DRIFT_PER_DB * prosody.loudness_at(t), 0.4, 1.4), 0.2 * fps)
    return _render(t, float(fps), style, plan, (arm_rng, body_rng, head_rng, hand_rng), voice)


LISTEN_NOD_SHARE = 0.5  # of the other speaker's phrase ends get a nod from the listener
LISTEN_MIN_GAP_S = 2.5  # a listener nods no more often than this


def listen(samples16k: np.ndarray, emotion: str | dict | Style = "Neutral", fps: float = MODEL_FPS,
           seed: int = 0) -> Motion:
    """A listener's idle for a clip of someone else speaking: breathing, weight shifts and small
    drifts of the head, hands at rest, and a nod at about half of the speaker's phrase ends (where
    listeners give feedback), never more often than every LISTEN_MIN_GAP_S."""
    style = blend(emotion)
    other = analyse_prosody(samples16k)
    n = max(1, int(round(other.duration * fps)))
    t = np.arange(n) / float(fps)
    plan_rng, arm_rng, body_rng, head_rng, hand_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5))
    nods, last = [], -np.inf
    for _, end in other.phrases:
        if end - last >= LISTEN_MIN_GAP_S and plan_rng.random() < LISTEN_NOD_SHARE and end + 0.3 < other.duration:
            amplitude = 7.0 * np.clip(style.head_motion, 0.6, 1.3) * (0.7 + 0.6 * plan_rng.random())
            nods.append(gestures.HeadEvent("nod", end + 0.1 + 0.2 * plan_rng.random(), 2.0 * gestures.NOD_BEAT,
                                           amplitude))
            last = end
    plan = gestures.Plan({side: [] for side in keys.SIDES}, [], [], nods, [])
    return _render(t, float(fps), style, plan, (arm_rng, body_rng, head_rng, hand_rng), np.full(n, 0.4))


def _fk(local: np.ndarray, root: np.ndarray, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """World positions and rotations of joints 0..upto-1 (the skeleton lists parents first)."""
    parents, offsets = _SKELETON.parents, _SKELETON.offsets
    pos = np.empty((local.shape[0], upto, 3))
    rot = np.empty((local.shape[0], upto, 4))
    pos[:, 0], rot[:, 0] = root, local[:, 0]
    for j in range(1, upto):
        p = parents[j]
        pos[:, j] = pos[:, p] + quat.rotate(rot[:, p], offsets[j])
        rot[:, j] = quat.multiply(rot[:, p], local[:, j])
    return pos, rot


def _arm_tracks(t, style, plan, rng, voice) -> dict[str, np.ndarray]:
    """Per-frame key-pose vectors (keys layout) of both arms, with beats, circles and fidgets added."""
    out = {}
    # the gesture space itself wanders slowly, both hands together (mirrored sideways)
    wander = np.stack([smooth_noise(rng, t, 0.12 * np.sqrt(style.speed)) for _ in range(3)], axis=1)
    wander *= np.array([0.04, 0.06, 0.04]) * min(style.amplitude, 1.2)
    for side in keys.SIDES:
        track = tracks.evaluate_track(*tracks.track_keys(plan.arms[side], side, style, plan.units), t)
        up = 1.0 - track[:, keys.REST]
        free = up * (1.0 - np.clip(track[:, keys.PRECISE], 0.0, 1.0))  # up, and not a lexicon gesture
        pos = track[:, keys.POS]
        # beats between the strokes: a quick drop of the wrist onto each accent, then back
        width = float(np.clip(0.12 / style.speed, 0.06, 0.3))
        for time, size in plan.flicks:
            u = (t - time) / width
            pulse = np.exp(-0.5 * u * u) - 0.35 * np.exp(-0.5 * (u + 1.6) ** 2)
            pos[:, 1] -= size * pulse * free
            track[:, keys.FLEX] += 12.0 * pulse * free * min(style.sharpness, 1.5)
        for start, duration, radius in plan.circles:
            u = np.clip((t - start) / duration, 0.0, 1.0)
            phi = 2.0 * np.pi * body.minjerk(u)
            s = keys.SIDE_SIGN[side]  # outwards over the top, mirrored between the hands
            pos[:, 0] += s * radius * np.sin(phi)
            pos[:, 1] += radius * (np.cos(phi) - 1.0)
        pos += wander * np.array([keys.SIDE_SIGN[side], 1.0, 1.0]) * free[:, None]
        drift = np.stack([smooth_noise(rng, t, 0.4 * min(style.speed, 2.0)) for _ in range(3)], axis=1)
        pos += 0.017 * style.drift * drift * (0.2 + 0.8 * free[:, None]) * voice[:, None]
        # beats and fidgets stay below the shoulders, within reach, on their own side, and away from
        # chin and face when high
        x_out = keys.SIDE_SIGN[side] * pos[:, 0]
        high = np.clip((pos[:, 1] + 0.16) / 0.08, 0.0, 1.0)
        x_min = 0.04 + 0.06 * high
        pos[:, 0] += keys.SIDE_SIGN[side] * (np.clip(x_out, x_min, 0.46) - x_out) * free
        pos[:, 2] += (np.maximum(pos[:, 2], 0.22 * high) - pos[:, 2]) * free
        pos[:, 1] += (np.minimum(pos[:, 1], 0.14) - pos[:, 1]) * free
        if style.tremor > 0.0:
            pos += 0.0006 * style.tremor * np.stack([tremor(rng, t) for _ in range(3)], axis=1)
        out[side] = track
    return out


def _render(t: np.ndarray, fps: float, style: Style, plan: gestures.Plan, rngs, voice: np.ndarray) -> Motion:
    arm_rng, body_rng, head_rng, hand_rng = rngs
    n = len(t)
    arms = _arm_tracks(t, style, plan, arm_rng, voice)
    # the trunk turns a little towards the side the hands work on and the clavicles lift with high hands
    hand_x = sum(arms[s][:, 0] * (1.0 - arms[s][:, keys.REST]) for s in keys.SIDES)
    twist = np.degrees(0.25 * hand_x)
    lift = {s: 25.0 * np.clip(arms[s][:, 1] + 0.05, 0.0, 0.3) * (1.0 - arms[s][:, keys.REST])
            for s in keys.SIDES}
    shrug = np.zeros(n)
    for ev in plan.head:
        if ev.kind == "shrug":
            shrug += 8.0 * body.minjerk((t - ev.start) / 0.2) * (1.0 - body.minjerk((t - ev.start - ev.duration) / 0.3))
    beats = [e["beat"] for e in plan.events if "beat" in e]
    bounce = body.beat_bounce(t, beats, style.bounce_m)
    trunk = body.trunk(t, style, body_rng, twist, lift["Right"] + shrug, lift["Left"] + shrug, bounce)

    local = np.broadcast_to(quat.identity(), (n, len(_NAMES), 4)).copy()
    local[:, 0] = trunk.hips_rotation
    for k, name in enumerate(body.SPINE):
        local[:, _IDX[name]] = trunk.spine[:, k]
    speaking = np.zeros(n)
    for a, b in plan.units:
        speaking = np.maximum(speaking, body.minjerk((t - a + 0.3) / 0.3) * (1.0 - body.minjerk((t - b) / 0.5)))
    angles = head_angles(t, style, plan.head, head_rng, speaking)
    for name, share in _HEAD_SHARE:
        local[:, _IDX[name]] = body.euler(angles[:, 0] * share, angles[:, 1] * share, angles[:, 2] * share)
    for side in keys.SIDES:
        local[:, _IDX[f"{side}Shoulder"]] = trunk.clavicle[side]
    upto = _IDX["LeftArm"] + 1
    pos, rot = _fk(local, trunk.hips_position, upto)
    chest_p, chest_r = pos[:, _IDX["Spine3"]], rot[:, _IDX["Spine3"]]
    heading = quat.from_axis_angle(_Y, np.arctan2(*quat.rotate(trunk.hips_rotation, _Z)[:, [0, 2]].T))

    for side in keys.SIDES:
        target = limit_speed(_wrist_targets(pos, chest_p, chest_r, heading, arms[side], side), fps, MAX_WRIST_SPEED)
        _solve_arm(local, pos, rot, chest_r, arms[side], side, target)
        # relaxed fingers curl and uncurl a little, slowly
        tension = style.tension + 0.25 * smooth_noise(hand_rng, t, 0.1)
        fingers = finger_rotations(arms[side][:, keys.SHAPE], side, tension)
        for k, name in enumerate(finger_joint_names(side)):
            local[:, _IDX[name]] = fingers[:, k]
        _clear_body(local, trunk.hips_position, chest_p, chest_r, heading, arms[side], side, fps)
    for side in keys.SIDES:
        for name, q in body.leg_rotations(trunk.hips_position, trunk.hips_rotation, _SKELETON, side).items():
            local[:, _IDX[name]] = q
    return Motion(trunk.hips_position, quat.normalize(local), fps, _SKELETON)


def limit_speed(path: np.ndarray, fps: float, limit: float) -> np.ndarray:
    """(F, 3) positions moved as little as it takes for no step to exceed ``limit`` m/s.

    Clamped forwards and backwards, then averaged: each pass keeps every step under the limit, so
    their mean does too, and the average spreads a too-fast stroke evenly before and after it
    instead of only delaying it.
    """
    step = limit / fps

    def clamp(points):
        out = points.copy()
        for i in range(1, len(out)):
            d = points[i] - out[i - 1]
            norm = np.linalg.norm(d)
            out[i] = out[i - 1] + d * (step / norm) if norm > step else points[i]
        return out

    if len(path) < 2 or np.linalg.norm(np.diff(path, axis=0), axis=1).max() <= step:
        return path
    return 0.5 * (clamp(path) + clamp(path[::-1])[::-1])


_ARM_CACHE: dict[str, tuple] = {}


def _arm_constants(side):
    if side not in _ARM_CACHE:
        arm, fore, hand = (_IDX[f"{side}{n}"] for n in ("Arm", "ForeArm", "Hand"))
        sign = -1.0 if side == "Right" else 1.0
        upper, lower = _SKELETON.offsets[fore], _SKELETON.offsets[hand]
        hinge = np.array([0.0, -sign, 0.0])  # elbow flexion axis in the rest pose (right +Y, left -Y)
        _ARM_CACHE[side] = (arm, fore, hand, sign, upper, lower, hinge)
    return _ARM_CACHE[side]


def _wrist_targets(pos, chest_p, chest_r, heading, track, side):
    """World wrist targets: the key position in the chest frame, or hanging below the shoulder at rest."""
    arm, _, _, sign, *_ = _arm_constants(side)
    shoulder = pos[:, arm]
    gesture = chest_p + quat.rotate(chest_r, track[:, keys.POS])
    rest = shoulder + quat.rotate(heading, np.array([sign * 0.045, -0.50, 0.07]))
    w = np.clip(track[:, keys.REST], 0.0, 1.0)[:, None]
    return gesture * (1.0 - w) + rest * w


def _solve_arm(local, pos, rot, chest_r, track, side, target):
    arm, fore, hand, sign, upper, lower, hinge = _arm_constants(side)
    shoulder = pos[:, arm]
    e = track[:, keys.ELBOW][:, None]
    resting = np.clip(track[:, keys.REST], 0.0, 1.0)[:, None]
    # elbows point out and down in gesture space, backwards when the arm hangs
    pole_chest = np.concatenate([sign * (0.1 + 0.8 * e), -np.ones_like(e), -0.35 - 0.9 * resting], axis=1)
    pole = quat.rotate(chest_r, pole_chest)
    l1, l2 = np.linalg.norm(upper), np.linalg.norm(lower)
    elbow, wrist = solve_two_bone(shoulder, target, l1, l2, pole, min_reach=0.16)
    upper_w, lower_w = limb_world_rotations(shoulder, elbow, wrist, upper, lower, hinge, pole)
    # forearm twist that turns the palm as close as anatomy allows to the wanted direction
    f = wrist - elbow
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    palm0 = quat.rotate(lower_w, np.array([0.0, -1.0, 0.0]))
    want = quat.rotate(chest_r, track[:, keys.PALM])
    want = want - (want * f).sum(1, keepdims=True) * f
    psi = np.arctan2((f * np.cross(palm0, want)).sum(1), (palm0 * want).sum(1))
    psi = np.clip(psi, -np.radians(100.0), np.radians(100.0))
    lower_w = quat.multiply(quat.from_axis_angle(f, psi), lower_w)
    mirror = np.array([1.0, -1.0, -1.0]) if side == "Left" else np.ones(3)
    flex = np.radians(np.clip(track[:, keys.FLEX], -55.0, 70.0))
    dev = np.radians(np.clip(track[:, keys.DEV], -25.0, 20.0))
    wrist_local = quat.exp(flex[:, None] * (_Z * mirror) + dev[:, None] * (_Y * mirror))
    local[:, arm] = local_from_world(rot[:, _IDX[f"{side}Shoulder"]], upper_w)
    local[:, fore] = local_from_world(upper_w, lower_w)
    local[:, hand] = wrist_local


_HAND_LENGTH = 0.22  # wrist to the farthest fingertip, with margin
_HAND_JOINTS = {side: [i for i, n in enumerate(_NAMES) if n.startswith(f"{side}Hand") or n == f"{side}ForeArmEnd"]
                for side in ("Right", "Left")}


def _clear_body(local, hips_p, chest_p, chest_r, heading, track, side, fps, rounds: int = 4):
    """Move the wrist target out wherever a hand or finger joint is inside BODY_CAPSULES; re-solve.

    The push is smoothed over ~0.1 s so the hand glides round the body instead of jumping; only
    the frames it touches are solved again.
    """
    joints = _HAND_JOINTS[side]
    upto = max(max(joints), _IDX["HeadEnd"]) + 1
    n = local.shape[0]
    # only frames whose wrist comes within a hand's length of a capsule can have a finger inside
    pos, _ = _fk(local, hips_p, upto)
    wrist = pos[:, _IDX[f"{side}Hand"]][:, None]
    near = np.zeros(n, bool)
    for a, b, r in BODY_CAPSULES:
        near |= segment_distance(wrist, pos[:, _IDX[a]], pos[:, _IDX[b]])[0][:, 0] < r + _HAND_LENGTH
    sel = np.nonzero(near)[0]
    if len(sel) == 0:
        return
    extra = np.zeros((n, 3))
    worst = np.zeros((n, 3))
    base = None
    for attempt in range(rounds + 1):
        pos, rot = _fk(local[sel], hips_p[sel], upto)
        caps = [(pos[:, _IDX[a]], pos[:, _IDX[b]], r) for a, b, r in BODY_CAPSULES]
        off = push_out(pos[:, joints], caps)
        size = np.linalg.norm(off, axis=2)
        if size.max() < 1e-4 or attempt == rounds:
            return
        worst[:] = 0.0
        worst[sel] = off[np.arange(len(sel)), size.argmax(1)]
        # smoothed for the glide, plus a share of the frame's own push so no frame is left inside
        extra += gaussian_filter1d(worst, sigma=max(0.1 * fps, 0.5), axis=0, mode="nearest") + 0.6 * worst
        if base is None:  # every frame's unpushed target: the pushed path's speed is limited as a whole
            shoulders, _ = _fk(local, hips_p, upto)
            base = _wrist_targets(shoulders, chest_p, chest_r, heading, track, side)
        # a push must not jerk the hand faster than people move theirs: spread it over more frames
        extra = limit_speed(base + extra, fps, MAX_PUSHED_SPEED) - base
        moved = np.nonzero(np.abs(extra).max(axis=1) > 1e-6)[0]
        pos_m, rot_m = _fk(local[moved], hips_p[moved], upto)
        sub = local[moved]
        target = _wrist_targets(pos_m, chest_p[moved], chest_r[moved], heading[moved], track[moved], side) + extra[moved]
        _solve_arm(sub, pos_m, rot_m, chest_r[moved], track[moved], side, target)
        local[moved] = sub
        sel = moved
