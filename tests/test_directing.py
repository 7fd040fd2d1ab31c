"""Directing a generation (issue 15): re-make a stretch and keep the rest byte for byte, start and end
on given poses, several takes; on real speech with the bundled model, through the command line."""
import numpy as np
import pytest

from bad_input_support import assert_clean_failure, openhuman as run_openhuman
from openhuman.engine.directing import Constraints, finish
from openhuman.engine.motion.motion_io import load_motion
from openhuman.engine.procedural import synthesise

CLIP = "sense_and_sensibility_01_austen_64kb-0870.wav"  # 7.1 s of a real reader


def openhuman(*args):
    run = run_openhuman(*map(str, args))
    assert run.rc == 0, run.stderr[-2000:]
    return run


def _mean_joint(p: np.ndarray, order: int) -> np.ndarray:
    """(F - order,) mean over joints of the speed (1) or acceleration (2) of world positions at 20 fps."""
    return (np.linalg.norm(np.diff(p, order, axis=0), axis=-1) * 20.0 ** order).mean(1)


@pytest.fixture(scope="module")
def first_take(tmp_path_factory, speech_dir):
    out = tmp_path_factory.mktemp("directing") / "take.bvh"
    openhuman("generate", "--audio", speech_dir / CLIP, "--seed", 1, "--out", out)
    return out


def _frames(path) -> list[str]:
    lines = path.read_text().splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1:]


def test_regenerating_a_stretch_keeps_every_other_frame_byte_for_byte(first_take, speech_dir, tmp_path):
    out = tmp_path / "edited.bvh"
    proc = openhuman("generate", "--audio", speech_dir / CLIP, "--edit", first_take, "--range", 2.5, 5.0,
                     "--emotion", "Happy", "--seed", 9, "--out", out)
    assert "kept byte for byte" in proc.stdout
    old, new = _frames(first_take), _frames(out)
    a, b = 50, 100  # 2.5 s and 5 s at 20 fps
    assert len(old) == len(new)
    assert old[:a] == new[:a] and old[b:] == new[b:]
    assert sum(x != y for x, y in zip(old[a:b], new[a:b])) >= 0.9 * (b - a)
    assert first_take.read_text().splitlines()[:5] == out.read_text().splitlines()[:5]
    # the joins add no jump: acceleration across each is within the clip's 95th percentile, or no more
    # than the kept motion's own there (a join may fall on a gesture of the old take)
    p_old, p_new = load_motion(first_take).world_positions(), load_motion(out).world_positions()
    acc_old, acc_new = _mean_joint(p_old, 2), _mean_joint(p_new, 2)
    for j in (a, b):
        around = slice(j - 2, j + 1)
        assert acc_new[around].max() <= max(np.percentile(acc_new, 95), 1.25 * acc_old[around].max()), j


def test_start_and_end_on_given_poses(first_take, speech_dir, tmp_path):
    out = tmp_path / "pinned.bvh"
    openhuman("generate", "--audio", speech_dir / CLIP, "--start-pose", first_take, "--end-pose", first_take,
              "--seed", 4, "--out", out)
    lead, p = load_motion(first_take).world_positions(), load_motion(out).world_positions()
    assert np.linalg.norm(p[0] - lead[-1], axis=-1).max() < 0.01  # every joint within 1 cm
    assert np.linalg.norm(p[-1] - lead[0], axis=-1).max() < 0.01
    speed, acc = _mean_joint(p, 1), _mean_joint(p, 2)
    for part in (slice(0, 20), slice(-20, None)):  # smooth into and out of the pinned frames
        assert acc[part].max() <= 1.1 * np.percentile(acc, 95) and speed[part].max() <= 1.1 * np.percentile(speed, 95)


def test_takes_are_numbered_variations(speech_dir, tmp_path):
    proc = openhuman("generate", "--audio", speech_dir / CLIP, "--method", "procedural", "--takes", 3,
                     "--out", tmp_path / "line.bvh")
    paths = [tmp_path / f"line_{k}.bvh" for k in (1, 2, 3)]
    assert all(p.is_file() for p in paths) and not (tmp_path / "line.bvh").exists()
    assert proc.stdout.count("wrote ") == 3
    frames = [_frames(p) for p in paths]
    assert frames[0] != frames[1] != frames[2]


def test_finish_splices_and_pins_exactly():
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(16000 * 4)).astype(np.float32)
    old, new = (synthesise(samples, None, e, seed=s) for e, s in (("Neutral", 1), ("Angry", 2)))
    out = finish(new, Constraints(edit=old, edit_range=(1.0, 2.5)))
    assert np.array_equal(out.rotations[:20], old.rotations[:20]) and np.array_equal(out.rotations[50:], old.rotations[50:])
    assert np.array_equal(out.root_positions[50:], old.root_positions[50:])
    assert not np.allclose(out.rotations[30:40], old.rotations[30:40])
    pinned = finish(new, Constraints(start_pose=old, end_pose=old))
    assert np.allclose(pinned.rotations[0], old.rotations[-1]) and np.allclose(pinned.rotations[-1], old.rotations[0])


@pytest.mark.bad_input
@pytest.mark.parametrize("extra, message", [
    (["--range", "1", "2"], "--edit FILE and --range"),
    (["--edit", "EDIT"], "--edit FILE and --range"),
    (["--edit", "EDIT", "--range", "30", "40"], "the clip is"),
    (["--edit", "EDIT", "--range", "3", "1"], "START < END"),
    (["--start-pose", "TINY"], "skeleton"),
    (["--takes", "0"], "--takes"),
])
def test_directing_options_refuse_bad_input(first_take, speech_dir, tmp_path, extra, message):
    tiny = tmp_path / "tiny.bvh"
    tiny.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation "
                    "Yrotation Xrotation\n End Site\n {\n  OFFSET 0 10 0\n }\n}\nMOTION\nFrames: 2\n"
                    "Frame Time: 0.05\n0 90 0 0 0 0\n0 90 0 0 0 0\n")
    args = [str(first_take) if a == "EDIT" else str(tiny) if a == "TINY" else a for a in extra]
    out = tmp_path / "out.bvh"
    assert_clean_failure(run_openhuman("generate", "--audio", str(speech_dir / CLIP), "--method", "procedural",
                                       *args, "--out", str(out)), message)
    assert not out.exists()


@pytest.mark.parametrize("body", ["upper", "hands"])
def test_body_parts_leave_the_rest_still(speech_dir, tmp_path, body):
    from openhuman.engine.directing import moving_joints

    out = tmp_path / f"{body}.bvh"
    openhuman("generate", "--audio", speech_dir / CLIP, "--method", "procedural", "--emotion", "Happy",
              "--body", body, "--lock-root", "--out", out)
    m = load_motion(out)
    moving = moving_joints(m.skeleton.names, body)
    still = m.rotations[:, ~moving]
    assert np.abs(still - still[:1]).max() < 1e-3  # as written to BVH (degrees to 6 decimals)
    assert np.abs(m.root_positions - m.root_positions[:1]).max() < 1e-4
    turning = np.degrees(2 * np.arccos(np.clip(np.abs((m.rotations[:, moving] * m.rotations[:1, moving]).sum(-1)), 0, 1)))
    assert turning.max() > 20.0  # the arms still gesture


def test_a_locked_root_stays_within_2_cm():
    rng = np.random.default_rng(1)
    samples = (0.1 * rng.standard_normal(16000 * 4)).astype(np.float32)
    m = synthesise(samples, None, "Relaxed", seed=3)
    m.root_positions[:, 0] += np.linspace(0, 0.3, m.n_frames)  # a drifting character
    locked = finish(m, Constraints(lock_root=True))
    travel = np.linalg.norm((locked.root_positions - locked.root_positions[:1])[:, [0, 2]], axis=1)
    assert travel.max() <= 0.02 + 1e-9
    assert np.array_equal(locked.root_positions[:, 1], m.root_positions[:, 1])


def test_listening_breathes_and_nods_where_the_speaker_pauses(zeggs_dir, tmp_path):
    from scipy.signal import find_peaks

    from openhuman.engine.motion import quat
    from openhuman.engine.procedural import analyse_prosody
    from openhuman.engine.speech.audio import load_audio
    from openhuman.training.evaluation import real_measures as rm

    out = tmp_path / "listener.bvh"
    run = openhuman("generate", "--audio", zeggs_dir / "067_Speech_2_part1.wav", "--listening", "--out", out)
    assert "listening" in run.stdout
    m = load_motion(out)
    tracks = rm.HandTracks(m)
    assert tracks.speed.mean() < 0.05 and tracks.speed.max() < 0.2  # no gestures: the hands rest
    assert np.ptp(tracks.chest, axis=0).max() > 0.005  # not a frozen pose: breathing and weight shifts
    _, rot = m.world_transforms()
    rel = quat.multiply(quat.conjugate(rot[:, m.skeleton.index("Spine3")]), rot[:, m.skeleton.index("Head")])
    angle = np.degrees(quat.angle_between(rel, rel[:1]))
    nods, _ = find_peaks(angle - np.median(angle), height=3.0, distance=int(2.5 * m.fps))
    ends = np.array([b for _, b in analyse_prosody(load_audio(zeggs_dir / "067_Speech_2_part1.wav")).phrases])
    assert 2 <= len(nods) <= 8
    assert all(np.abs(ends - k / m.fps).min() < 0.8 for k in nods)  # each nod just after a phrase ends
