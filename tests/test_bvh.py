"""BVH reading and writing: real ZeroEGGs files, random skeletons, and malformed input."""
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openhuman.engine.motion import bvh, quat
from openhuman.engine.errors import BVHError, OpenHumanError
from openhuman.engine.motion.motion import Motion, Skeleton
from helpers import DATA

SMALL = (DATA / "two_joints.bvh").read_text()  # Hips and Spine, two frames


def test_real_clip_round_trip(zeggs_dir, tmp_path):
    src = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh")
    assert src.skeleton.n_joints == 75 and src.n_frames == 1032 and src.fps == pytest.approx(30.0)
    bvh.save(tmp_path / "out.bvh", src)
    back = bvh.load(tmp_path / "out.bvh")
    assert back.skeleton.names == src.skeleton.names
    assert np.abs(back.world_positions() - src.world_positions()).max() < 0.01  # the file's unit: cm


def test_bind_pose_file_loads(zeggs_dir):
    bind = bvh.load(zeggs_dir / "Geno_bind.bvh")
    assert bind.skeleton.n_joints == 75


def test_small_file_values():
    m = bvh.loads(SMALL)
    assert m.skeleton.names == ("Hips", "Spine")
    assert np.allclose(m.root_positions[1], [1, 91, 2])
    expected = quat.euler_to_quat(np.radians([-10, 20, 30]), "XYZ")
    assert quat.angle_between(m.rotations[1, 1], expected) < 1e-9
    assert np.allclose(m.skeleton.end_sites[1], [0, 5, 0])
    assert m.fps == pytest.approx(30.0, rel=1e-4)


def test_crlf_comments_and_blank_lines():
    text = "# exported by a tool\r\n\r\n" + SMALL.replace("\n", "\r\n").replace("MOTION", "// motion follows\r\nMOTION")
    assert np.allclose(bvh.loads(text).world_positions(), bvh.loads(SMALL).world_positions())


def test_position_channels_on_inner_joint_round_trip(tmp_path):
    text = SMALL.replace("CHANNELS 3 Xrotation Yrotation Zrotation",
                         "CHANNELS 6 Zrotation Xposition Yrotation Yposition Zposition Xrotation")
    text = text.replace("0 90 0 0 0 0 10 0 0\n", "0 90 0 0 0 0 10 0 9 0 0 0\n")
    text = text.replace("1 91 2 5 6 7 -10 20 30\n", "1 91 2 5 6 7 -10 1 20 12 3 30\n")
    m = bvh.loads(text)
    assert m.translations is not None and np.allclose(m.translations[1, 1], [1, 12, 3])
    bvh.save(tmp_path / "p.bvh", m)
    assert np.allclose(bvh.load(tmp_path / "p.bvh").world_positions(), m.world_positions(), atol=1e-5)


@st.composite
def random_motions(draw):
    n_joints = draw(st.integers(1, 12))
    parents = [-1] + [draw(st.integers(0, j - 1)) for j in range(1, n_joints)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offsets = rng.normal(0, 10, (n_joints, 3))
    frames = draw(st.integers(1, 6))
    rotations = quat.normalize(rng.normal(size=(frames, n_joints, 4)))
    fps = draw(st.sampled_from([24.0, 25.0, 30.0, 60.0, 120.0, 7.5]))
    skeleton = Skeleton([f"j{i}" for i in range(n_joints)], parents, offsets)
    return Motion(rng.normal(0, 50, (frames, 3)), rotations, fps, skeleton)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_motions(), st.sampled_from(["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"]))
def test_random_skeleton_round_trip(motion, order):
    back = bvh.loads(bvh.dumps(motion, rotation_order=order))
    # The writer emits joints depth-first, so compare joint by joint through the names.
    order = [back.skeleton.index(n) for n in motion.skeleton.names]
    parent_names = lambda sk: {n: (sk.names[p] if p >= 0 else None) for n, p in zip(sk.names, sk.parents)}  # noqa: E731
    assert parent_names(back.skeleton) == parent_names(motion.skeleton)
    assert back.fps == pytest.approx(motion.fps, rel=1e-8)
    assert np.abs(back.world_positions()[:, order] - motion.world_positions()).max() < 1e-3


def _error(text) -> BVHError:
    with pytest.raises(BVHError) as info:
        bvh.loads(text)
    assert isinstance(info.value, OpenHumanError)
    return info.value


def test_truncated_motion_block():
    err = _error(SMALL.replace("Frames: 2", "Frames: 3"))
    assert "truncated" in str(err) and err.line == 20


def test_wrong_channel_count_on_a_frame():
    err = _error(SMALL.replace("1 91 2 5 6 7 -10 20 30", "1 91 2 5 6 7 -10 20"))
    assert err.line == 20 and "9 values" in str(err)


def test_not_a_number():
    err = _error(SMALL.replace("1 91 2 5 6 7", "1 91 2 five 6 7"))
    assert err.line == 20 and "numbers" in str(err)


def test_unknown_keyword():
    err = _error(SMALL.replace("  OFFSET 0 90 0", "  OFSET 0 90 0"))
    assert err.line == 4 and "OFSET" in str(err)


def test_non_finite_offset():
    assert _error(SMALL.replace("OFFSET 0 10 0", "OFFSET 0 nan 0")).line == 8


def test_too_many_joints_is_refused_quickly():
    joints = "".join(f"JOINT j{i}\n{{\nOFFSET 0 1 0\nCHANNELS 3 Zrotation Yrotation Xrotation\n" for i in range(1200))
    text = "HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 3 Zrotation Yrotation Xrotation\n" + joints
    start = time.perf_counter()
    err = _error(text)
    assert "1000" in str(err) and time.perf_counter() - start < 5


def test_two_billion_frames_is_refused_without_allocating():
    import tracemalloc

    tracemalloc.start()
    err = _error(SMALL.replace("Frames: 2", "Frames: 2000000000"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "Frames" in str(err) and peak < 50_000_000


def test_missing_motion_and_unbalanced_braces():
    assert "MOTION" in str(_error(SMALL.split("MOTION")[0]))
    _error(SMALL.replace("  }\n}\nMOTION", "  }\nMOTION"))


def test_binary_and_missing_files(tmp_path):
    junk = tmp_path / "junk.bvh"
    junk.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(BVHError):
        bvh.load(junk)
    with pytest.raises(BVHError, match="not found"):
        bvh.load(tmp_path / "nope.bvh")


def test_save_is_atomic(tmp_path):
    target = tmp_path / "keep.bvh"
    target.write_text("previous content")
    bad = bvh.loads(SMALL)
    bad.fps = 0.0  # makes dumps fail before anything is written
    with pytest.raises(ZeroDivisionError):
        bvh.save(target, bad)
    assert target.read_text() == "previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bvh"]
