"""Motion (forward kinematics, resampling) and the 1141-dim pose features on real ZeroEGGs motion."""
import numpy as np
import pytest

from openhuman.engine.motion import bvh, pose, quat
from openhuman.engine.motion.motion import Motion, Skeleton
from openhuman.engine.motion.skeleton_zeggs import JOINT_NAMES, zeggs_skeleton


@pytest.fixture(scope="module")
def real_motion_20fps(zeggs_dir):
    return bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01).resampled(20.0)


def test_skeleton_data_matches_the_real_files(zeggs_dir):
    sk = zeggs_skeleton()
    assert sk.n_joints == 75 and len(JOINT_NAMES) == 75
    for name in ("Hips", "Spine3", "Neck1", "HeadEnd", "RightHandPinky4", "LeftForeArmEnd", "LeftToeBaseEnd"):
        sk.index(name)
    real = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01).skeleton
    assert real.same_topology(sk)
    assert np.abs(real.offsets - sk.offsets).max() < 1e-5
    bind = bvh.load(zeggs_dir / "Geno_bind.bvh").scaled(0.01).skeleton
    assert bind.same_topology(sk)  # the bind file's arm lengths differ: another character's proportions


def test_forward_kinematics_two_bone_chain():
    sk = Skeleton(["a", "b", "c"], [-1, 0, 1], [[0, 0, 0], [1, 0, 0], [1, 0, 0]])
    rot = quat.identity((1, 3))
    rot[0, 1] = quat.from_axis_angle(np.array([0, 0, 1.0]), np.pi / 2)
    m = Motion(np.array([[0, 0, 5.0]]), rot, 30, sk)
    assert np.allclose(m.world_positions()[0], [[0, 0, 5], [1, 0, 5], [1, 1, 5]])


def test_resampling_keeps_shared_instants(zeggs_dir):
    m = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh")
    r = m.resampled(20.0)
    assert r.fps == 20.0 and r.n_frames == int((m.n_frames - 1) / 30 * 20) + 1
    # t = 0.1 s · k lies on both grids (frame 3k at 30 fps, 2k at 20 fps).
    assert np.abs(r.world_positions()[::2] - m.world_positions()[::3][: len(r.world_positions()[::2])]).max() < 1e-6
    up = m.resampled(60.0)
    mid = up.world_positions()[1:-1:2]
    gap = np.abs(mid - 0.5 * (m.world_positions()[:-1] + m.world_positions()[1:])).max(-1)
    # Midpoints of a slerp lie near the chord; the capture has one 176° hand flip, hence a percentile.
    assert np.median(gap) < 0.01 and np.percentile(gap, 99) < 0.5  # cm


def test_feature_layout():
    assert pose.DIMS == 1141
    sizes = {k: s.stop - s.start for k, s in pose.SLICES.items()}
    assert sizes == {"ROOT_POS": 3, "ROOT_ROT": 4, "ROOT_VEL": 3, "ROOT_ANGVEL": 3, "POS": 225,
                     "ROT6D": 450, "VEL": 225, "ANGVEL": 225, "GAZE": 3}
    assert list(pose.SLICES) == ["ROOT_POS", "ROOT_ROT", "ROOT_VEL", "ROOT_ANGVEL", "POS", "ROT6D", "VEL", "ANGVEL", "GAZE"]


def test_encode_decode_reproduces_real_motion_within_1mm(real_motion_20fps):
    x = pose.encode(real_motion_20fps)
    assert x.shape == (real_motion_20fps.n_frames, 1141) and x.dtype == np.float32
    back = pose.decode(x, zeggs_skeleton(), 20.0)
    err = np.abs(back.world_positions() - real_motion_20fps.world_positions()).max()
    assert err < 1e-3


def test_feature_slices_mean_what_they_say(real_motion_20fps):
    m = real_motion_20fps
    x = pose.encode(m).astype(np.float64)
    world = m.world_positions()
    f = m.n_frames
    root_pos = x[:, pose.SLICES["ROOT_POS"]]
    assert np.allclose(root_pos[:, 1], 0) and np.allclose(root_pos[:, [0, 2]], world[:, 0, [0, 2]], atol=1e-5)
    # Joint positions in the root frame keep the body's height and relative geometry.
    rel = x[:, pose.SLICES["POS"]].reshape(f, 75, 3)
    assert np.allclose(rel[:, :, 1], world[:, :, 1], atol=1e-5)
    assert np.allclose(np.linalg.norm(rel - rel[:, :1], axis=-1), np.linalg.norm(world - world[:, :1], axis=-1), atol=1e-5)
    # Velocities are finite differences of those positions (in the root frame of the later frame).
    vel = x[:, pose.SLICES["VEL"]].reshape(f, 75, 3)
    speed = np.linalg.norm(np.diff(world, axis=0), axis=-1) * 20
    assert np.allclose(np.linalg.norm(vel[1:], axis=-1), speed, atol=1e-4)
    gaze = x[:, pose.SLICES["GAZE"]]
    assert np.allclose(np.linalg.norm(gaze, axis=-1), 1, atol=1e-5) and np.median(gaze[:, 2]) > 0.7  # looks ahead


def test_decode_tolerates_network_output(real_motion_20fps):
    rng = np.random.default_rng(0)
    x = pose.encode(real_motion_20fps)[:40]
    noisy = x + rng.normal(0, 0.3, x.shape).astype(np.float32)
    noisy[5, 300:320] = np.nan
    noisy[6, pose.SLICES["ROOT_ROT"]] = 0
    noisy[7] = np.inf
    m = pose.decode(noisy, zeggs_skeleton(), 20.0)
    assert np.all(np.isfinite(m.world_positions()))
    assert np.allclose(np.linalg.norm(m.rotations, axis=-1), 1)


def test_normaliser_round_trip_without_pickle(real_motion_20fps, tmp_path):
    x = pose.encode(real_motion_20fps)
    norm = pose.Normaliser.fit([x[:300], x[300:]], std_floor=1e-3)
    assert np.allclose(norm.mean, x.mean(0), atol=1e-4)
    constant = x.std(0) < 1e-6
    assert constant.any() and np.all(norm.std[constant] == pytest.approx(1e-3))
    z = norm.normalise(x)
    assert np.all(np.isfinite(z)) and abs(float(z[:, x.std(0) > 2e-3].std(0).mean()) - 1) < 1e-2
    norm.save(tmp_path / "n.safetensors")
    assert (tmp_path / "n.safetensors").read_bytes()[:8] != b"\x80\x04\x95"  # not a pickle
    back = pose.Normaliser.load(tmp_path / "n.safetensors")
    assert np.array_equal(back.mean, norm.mean) and np.allclose(back.denormalise(z), x, atol=1e-4)
