"""The hand-speed cap on sampled motion (engine/diffusion/hand_speed.py), on real forward kinematics."""
import numpy as np
import pytest

from openhuman.engine.diffusion.hand_speed import HAND_SPEED_LIMIT, REACH, hand_speeds, limit_hand_speed
from openhuman.engine.motion import bvh, pose, quat
from openhuman.engine.motion.motion import Motion
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
from openhuman.training.evaluation.real_measures import HandTracks

FPS = 20.0


def swinging_arm(frames: int = 120, jump_at: int | None = None, jump_rad: float = 1.2) -> Motion:
    """The rest pose with the right arm swinging 0.3 rad at 0.7 Hz; optionally thrown jump_rad further
    for two frames at jump_at (a hand far faster than a person's)."""
    sk = zeggs_skeleton()
    rot = np.zeros((frames, sk.n_joints, 4))
    rot[..., 0] = 1.0
    angle = 0.3 * np.sin(2 * np.pi * 0.7 * np.arange(frames) / FPS)
    if jump_at is not None:
        angle[jump_at:jump_at + 2] += jump_rad
    axis = np.array([0.0, 0.0, 1.0])
    rot[:, sk.index("RightArm")] = np.concatenate([np.cos(angle / 2)[:, None], np.sin(angle / 2)[:, None] * axis], 1)
    root = np.tile([0.0, 1.0, 0.0], (frames, 1))
    return Motion(root, quat.normalize(rot), FPS, sk)


def test_hand_speeds_match_the_evaluations_measure():
    motion = swinging_arm(jump_at=60)
    mine = hand_speeds(pose.encode(motion), motion.skeleton, FPS)
    theirs = HandTracks(motion).speed
    assert mine.shape == theirs.shape == (120, 2)
    assert np.abs(mine - theirs).max() < 0.01 and mine[:, 1].max() > 4.0  # the jump: > 4 m/s


def test_hand_speeds_match_on_real_capture(zeggs_dir):
    motion = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01).resampled(FPS)
    mine = hand_speeds(pose.encode(motion), motion.skeleton, FPS)
    theirs = HandTracks(motion).speed
    # The evaluation's body frame follows hips and shoulders over 1 s; the ground frame is the hips' own yaw.
    assert np.median(np.abs(mine - theirs)) < 0.02 and abs(mine.max() - theirs.max()) < 0.15


def test_limit_brings_a_jump_under_the_limit_and_leaves_the_rest_alone():
    motion = swinging_arm(jump_at=60)
    x = pose.encode(motion)
    out = limit_hand_speed(x, motion.skeleton, FPS)
    before, after = hand_speeds(x, motion.skeleton, FPS), hand_speeds(out, motion.skeleton, FPS)
    assert before.max() > 2 * HAND_SPEED_LIMIT and after.max() <= HAND_SPEED_LIMIT
    changed = np.flatnonzero(np.abs(out - x).max(1) > 1e-6)
    # Too fast at frames 59-62 (central differences): the low-pass reaches 2 x REACH frames beyond them.
    assert changed.min() >= 59 - 2 * REACH and changed.max() <= 62 + 2 * REACH
    assert np.array_equal(out[:40], x[:40]) and np.array_equal(out[85:], x[85:])
    # The swing around the jump keeps its shape: the arm is not frozen, only the throw is taken out.
    calm = swinging_arm()
    assert np.abs(hand_speeds(out, motion.skeleton, FPS)[50:72, 1] - hand_speeds(pose.encode(calm), motion.skeleton,
                                                                                 FPS)[50:72, 1]).mean() < 0.5


def test_motion_under_the_limit_is_returned_unchanged():
    motion = swinging_arm()
    x = pose.encode(motion)
    assert hand_speeds(x, motion.skeleton, FPS).max() < 1.0
    assert np.array_equal(limit_hand_speed(x, motion.skeleton, FPS), x)


def test_known_frames_are_kept_and_zero_limit_is_off():
    motion = swinging_arm(jump_at=60)
    x = pose.encode(motion)
    keep = np.zeros(len(x), bool)
    keep[58:64] = True
    held = limit_hand_speed(x, motion.skeleton, FPS, keep=keep)
    assert np.array_equal(held[keep], x[keep])
    assert np.array_equal(limit_hand_speed(x, motion.skeleton, FPS, limit=0.0), x)


@pytest.mark.parametrize("frames", [0, 1, 2])
def test_too_short_motion_is_returned_as_is(frames):
    x = pose.encode(swinging_arm(3))[:frames]
    assert limit_hand_speed(x, zeggs_skeleton(), FPS).shape == (frames, pose.DIMS)



def test_decoding_only_some_joints_gives_their_positions_of_the_whole_decode():
    """decode with ``joints`` (the cap's: only the hands' chains read) gives those joints' positions of the
    whole decode, on features as rough as a network's: 6D rotations far from unit, a turned root, a NaN."""
    sk = zeggs_skeleton()
    rng = np.random.default_rng(3)
    joints = [0, sk.index("LeftHand"), sk.index("RightHand"), sk.index("Head")]
    for scale in (0.05, 0.5):
        features = pose.encode(swinging_arm(40)) + rng.normal(scale=scale, size=(40, pose.DIMS)).astype(np.float32)
        features[7, 100] = np.nan
        full, _ = pose.decode(features, sk, FPS).world_transforms()
        some, _ = pose.decode(features, sk, FPS, joints).world_transforms()
        np.testing.assert_allclose(some[:, joints], full[:, joints], atol=1e-9)
