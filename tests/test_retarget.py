"""Retarget maths on rigs built in numpy (A-pose, other rolls, scales, up axes, fewer bones), real motion.

The rigs' poses are evaluated with Blender's rule (pose = parent pose · parent rest⁻¹ · rest · basis),
so these tests check the whole chain from motion to pose-basis keys without Blender.
"""
import json

import numpy as np
import pytest

from openhuman.engine.motion import bonemaps, quat
from openhuman.engine.speech.audio import load_audio
from openhuman.engine.motion.bvh import load as load_bvh
from openhuman.engine.errors import RetargetError
from openhuman.engine.constants import EXAMPLE_VOICE
from openhuman.engine.procedural.synthesiser import synthesise
from openhuman.engine.motion.retarget import RigRest, SOURCE_AIM, plan_retarget, retarget, unretarget
from openhuman.engine.motion.skeleton_zeggs import JOINT_NAMES, zeggs_skeleton

SKELETON = zeggs_skeleton()
MEASURED = ["Spine", "Spine2", "Spine3", "Neck", "Head", "LeftArm", "LeftForeArm", "LeftHand", "RightArm",
            "RightForeArm", "RightHand", "LeftHandIndex1", "RightUpLeg", "RightLeg"]


@pytest.fixture(scope="module")
def capture(zeggs_dir):
    """20 s of the real ZeroEGGs take, in metres, at 30 fps."""
    motion = load_bvh(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01)
    return motion.slice(600, 1800).resampled(30.0)


@pytest.fixture(scope="module")
def synthesised():
    """The procedural synthesiser's motion for the example voice clip (no shared data needed)."""
    return synthesise(load_audio(EXAMPLE_VOICE), None, "Happy", fps=20.0, seed=3)


def _frame_for(direction, roll):
    """A rest orientation whose Y axis (Blender's bone axis) is `direction`, rolled about it."""
    y = direction / np.linalg.norm(direction)
    helper = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    m = np.stack([x, y, z], axis=-1)
    return quat.multiply(quat.from_matrix(m), quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), roll))


def make_rig(bone_map, *, a_pose_deg=0.0, arm_length=1.0, leg_length=1.0, unit=1.0, z_up=False, roll_seed=None,
             extra_bones=()):
    """A target rig shaped from the OpenHuman skeleton: its joints renamed by bone_map, others dropped.

    a_pose_deg lowers the arms; arm_length/leg_length change proportions; unit scales everything;
    z_up turns it into a Z-up armature facing -Y; roll_seed gives every bone a random roll.
    extra_bones: (name, parent joint) pairs of unmapped bones added at their parent's head.
    """
    offsets = SKELETON.offsets.copy()
    for j, name in enumerate(SKELETON.names):
        if any(k in name for k in ("ForeArm", "Hand")) and "Shoulder" not in name:
            offsets[j] *= arm_length
        if any(k in name for k in ("Leg", "Foot", "Toe")) and "UpLeg" not in name or name.endswith("UpLegEnd"):
            offsets[j] *= leg_length
    pos = np.zeros_like(offsets)
    for j in range(SKELETON.n_joints):
        p = SKELETON.parents[j]
        pos[j] = offsets[j] if p < 0 else pos[p] + offsets[j]
    for side, sign in (("Left", -1.0), ("Right", 1.0)):
        pivot = pos[SKELETON.index(side + "Arm")]
        turn = quat.from_axis_angle(np.array([0.0, 0.0, 1.0]), np.radians(sign * a_pose_deg))
        for j, name in enumerate(SKELETON.names):
            if _below(j, SKELETON.index(side + "Arm")):
                pos[j] = pivot + quat.rotate(turn, pos[j] - pivot)
    if z_up:
        pos = pos @ np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]).T
    pos = pos * unit
    keep = [j for j, n in enumerate(SKELETON.names) if bone_map.get(n)]
    names = [bone_map[SKELETON.names[j]] for j in keep]
    parents, heads = [], []
    for j in keep:
        p = SKELETON.parents[j]
        while p >= 0 and p not in keep:
            p = SKELETON.parents[p]
        parents.append(keep.index(p) if p >= 0 else -1)
        heads.append(pos[j])
    tails = []
    for i, j in enumerate(keep):
        d = _next_kept(j, keep)
        tail = pos[d] if d is not None else None
        if tail is None or np.linalg.norm(tail - pos[j]) < 1e-3 * unit:
            p = SKELETON.parents[j]
            tail = pos[j] + (pos[j] - pos[p]) * 0.5 if p >= 0 else pos[j] + np.array([0, 0.1, 0]) * unit
        tails.append(tail)
    for name, parent in extra_bones:
        i = names.index(bone_map[parent])
        names.append(name)
        parents.append(i)
        heads.append(heads[i])
        tails.append(tails[i])
    rng = np.random.default_rng(roll_seed)
    rolls = rng.uniform(-np.pi, np.pi, len(names)) if roll_seed is not None else np.zeros(len(names))
    rotations = [_frame_for(np.asarray(t) - np.asarray(h), r) for h, t, r in zip(heads, tails, rolls)]
    return RigRest(names, parents, heads, tails, rotations)


def _below(j, ancestor):
    while j >= 0:
        if j == ancestor:
            return True
        j = SKELETON.parents[j]
    return False


def _next_kept(j, keep):
    children = SKELETON.children(j)
    if not children:
        return None
    preferred = SOURCE_AIM.get(SKELETON.names[j])
    if preferred is not None:
        c = SKELETON.index(preferred)
    else:
        c = max(children, key=lambda c: np.linalg.norm(SKELETON.offsets[c]))
    return c if c in keep else _next_kept(c, keep)


def pose(rig: RigRest, result):
    """Heads (F, B, 3) of the rig posed by the retarget's keys, with Blender's parenting rule."""
    f = result.n_frames
    basis = np.broadcast_to(quat.identity(), (f, len(rig.names), 4)).copy()
    for c, name in enumerate(result.bones):
        basis[:, rig.index(name)] = result.rotations[:, c]
    loc = np.zeros((f, len(rig.names), 3))
    if result.root_bone:
        loc[:, rig.index(result.root_bone)] = result.root_location
    rot = np.empty((f, len(rig.names), 4))
    head = np.empty((f, len(rig.names), 3))
    for k in range(len(rig.names)):
        p = rig.parents[k]
        if p < 0:
            rot[:, k] = quat.multiply(rig.rotations[k][None], basis[:, k])
            head[:, k] = rig.heads[k] + quat.rotate(rig.rotations[k][None], loc[:, k])
        else:
            carry = quat.multiply(rot[:, p], quat.conjugate(rig.rotations[p])[None])
            rot[:, k] = quat.multiply(quat.multiply(carry, rig.rotations[k][None]), basis[:, k])
            head[:, k] = (head[:, p] + quat.rotate(carry, np.broadcast_to(rig.heads[k] - rig.heads[p], head[:, k].shape))
                          + quat.rotate(quat.multiply(carry, rig.rotations[k][None]), loc[:, k]))
    return head, rot


def direction_errors(motion, rig, bone_map, result, joints=MEASURED):
    """Per joint: angles (degrees, per frame) between the source bone and the target bone in world space.

    World space = each rig's character frame, so a Z-up or turned rig compares like for like.
    """
    from openhuman.engine.motion.retarget import _character_frame, _mapped_aim

    src = motion.world_positions()
    tgt, rot = pose(rig, result)
    mapped = {n: rig.index(b) for n, b in bone_map.items() if b and b in rig.names}
    rest_src = SKELETON.rest_world_positions()
    fs = _character_frame({n: rest_src[SKELETON.index(n)] for n in mapped})
    ft = _character_frame({n: rig.heads[k] for n, k in mapped.items()})
    out = {}
    for name in joints:
        if name not in mapped:
            continue
        j = SKELETON.index(name)
        aim = _mapped_aim(SKELETON, j, mapped)
        direct = SKELETON.index(SOURCE_AIM[name]) if name in SOURCE_AIM else \
            max(SKELETON.children(j), key=lambda c: np.linalg.norm(SKELETON.offsets[c]))
        a = (src[:, direct] - src[:, j]) @ fs
        k = mapped[name]
        if aim is None:  # no mapped joint further down: the bone's own axis (head to tail)
            along = quat.rotate(quat.conjugate(rig.rotations[k]), rig.tails[k] - rig.heads[k])
            b = quat.rotate(rot[:, k], np.broadcast_to(along, (len(rot), 3))) @ ft
        else:
            b = (tgt[:, mapped[SKELETON.names[aim]]] - tgt[:, k]) @ ft
        cos = np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        out[name] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return out


def mixamo_like():
    m = bonemaps.load_bone_map("mixamo").bones
    return {k: "mixamorig:" + v for k, v in m.items()}


def test_identity_rig_reproduces_the_motion_exactly(synthesised):
    rig = RigRest.from_skeleton(SKELETON)
    bone_map = {n: n for n in JOINT_NAMES}
    plan = plan_retarget(SKELETON, rig, bone_map)
    result = retarget(synthesised, plan)
    assert plan.scale == pytest.approx(1.0)
    assert quat.angle_between(result.rotations, synthesised.rotations).max() < 1e-6
    rest_root = SKELETON.rest_world_positions()[0]
    assert np.allclose(result.root_location, synthesised.root_positions - rest_root, atol=1e-9)
    assert plan.unmapped_source == [] and plan.target_without_source == [] and plan.missing_targets == []


def test_bones_sitting_on_their_parent_keep_their_own_rest_turn(synthesised):
    """The zero-length end joints (RightForeArmEnd sits on RightHand) take their source's world rotation
    onto a rig whose bones there point up, as the OpenHuman armature's do: nothing flips."""
    rig = RigRest.from_skeleton(SKELETON)
    tails, rotations = rig.tails.copy(), rig.rotations.copy()
    ends = [j for j in range(SKELETON.n_joints) if not SKELETON.children(j) and not SKELETON.offsets[j].any()]
    assert {"RightForeArmEnd", "LeftLegEnd"} <= {SKELETON.names[j] for j in ends}
    for j in ends:
        tails[j] = rig.heads[j] + (0.0, 0.05, 0.0)
        rotations[j] = _frame_for(np.array([0.0, 1.0, 0.0]), 0.3)
    rig = RigRest(rig.names, rig.parents, rig.heads, tails, rotations)
    plan = plan_retarget(SKELETON, rig, {n: n for n in JOINT_NAMES})
    result = retarget(synthesised, plan)
    _, world = synthesised.world_transforms()
    expected = quat.multiply(world, rig.rotations[None])
    assert quat.angle_between(result.pose_rotations, expected).max() < 1e-6


@pytest.mark.parametrize("shape", [dict(), dict(z_up=True, unit=100.0, roll_seed=4), dict(arm_length=1.2, z_up=True)])
def test_reading_keys_back_is_the_exact_inverse_of_writing_them(synthesised, shape):
    rig = make_rig({n: n for n in JOINT_NAMES}, **shape)
    plan = plan_retarget(SKELETON, rig, {n: n for n in JOINT_NAMES})
    keys = retarget(synthesised, plan)
    back = unretarget(keys.rotations, keys.root_location, plan, keys.fps)
    assert back.fps == synthesised.fps and back.skeleton is SKELETON
    assert quat.angle_between(back.rotations, synthesised.rotations).max() < 1e-5
    assert np.abs(back.world_positions() - synthesised.world_positions()).max() < 1e-6


def test_reading_back_needs_every_joint_on_the_rig(synthesised):
    bone_map = mixamo_like()
    plan = plan_retarget(SKELETON, make_rig(bone_map), bone_map)
    keys = retarget(synthesised, plan)
    with pytest.raises(RetargetError, match="every joint"):
        unretarget(keys.rotations, keys.root_location, plan, keys.fps)


@pytest.mark.parametrize("shape", [
    dict(a_pose_deg=45.0),
    dict(a_pose_deg=40.0, z_up=True, unit=100.0, roll_seed=1),
    dict(arm_length=1.25, leg_length=0.8, roll_seed=2, unit=0.5),
])
def test_capture_onto_mixamo_like_rigs_keeps_world_bone_directions(capture, shape):
    bone_map = mixamo_like()
    rig = make_rig(bone_map, **shape)
    plan = plan_retarget(SKELETON, rig, bone_map)
    errors = direction_errors(capture, rig, bone_map, retarget(capture, plan))
    assert set(MEASURED) <= set(errors) | {"Spine1"}
    for name, angles in errors.items():
        # Pure maths: the transfer is exact up to rounding (tolerance far tighter than the 10°/25° goal).
        assert angles.mean() < 0.05 and angles.max() < 0.2, (name, angles.mean(), angles.max())


def test_synthesised_motion_with_rolls_a_pose_and_fewer_bones(synthesised):
    bone_map = {k: v for k, v in bonemaps.load_bone_map("ue5").bones.items()}
    rig = make_rig(bone_map, a_pose_deg=50.0, z_up=True, unit=100.0, roll_seed=7,
                   extra_bones=[("upperarm_twist_01_l", "LeftArm")])
    plan = plan_retarget(SKELETON, rig, bone_map)
    errors = direction_errors(synthesised, rig, bone_map, retarget(synthesised, plan))
    for name in ("Spine2", "Spine3", "Neck", "Head", "LeftArm", "LeftForeArm", "LeftHand", "RightHand"):
        assert errors[name].mean() < 0.05 and errors[name].max() < 0.2, name
    assert "upperarm_twist_01_l" in plan.target_without_source
    assert "LeftHandThumb4" in plan.unmapped_source and "Spine" not in plan.unmapped_source


def test_root_motion_scales_with_hip_height(capture):
    bone_map = mixamo_like()
    tall = make_rig(bone_map, leg_length=1.5, z_up=True, unit=100.0)
    plan = plan_retarget(SKELETON, tall, bone_map)
    # Hips above the ankles: 0.781 m in the source; the tall rig's legs (below the hips) are 1.5× longer, in cm.
    src_height = 0.382003 + 0.399009
    assert plan.scale == pytest.approx(100.0 * 1.5 * src_height / src_height, rel=1e-6)
    result = retarget(capture, plan)
    heads, _ = pose(tall, result)
    hips = tall.index("mixamorig:Hips")
    moved = heads[:, hips] - tall.heads[hips]
    source = capture.root_positions - SKELETON.rest_world_positions()[0]
    # Engine (x, y, z) is the Z-up rig's (x, -z, y): same path, 150× longer.
    expected = np.stack([source[:, 0], -source[:, 2], source[:, 1]], -1) * plan.scale
    assert np.abs(moved - expected).max() < 1e-6 * plan.scale
    assert np.linalg.norm(source[-1] - source[0]) > 0.01  # the capture really moves


def test_target_rest_pose_is_only_read(synthesised):
    bone_map = mixamo_like()
    rig = make_rig(bone_map, a_pose_deg=30.0, roll_seed=4)
    before = [a.copy() for a in (rig.heads, rig.tails, rig.rotations, rig.parents)]
    retarget(synthesised, plan_retarget(SKELETON, rig, bone_map))
    for a, b in zip(before, (rig.heads, rig.tails, rig.rotations, rig.parents)):
        assert np.array_equal(a, b)


def test_fingers_only_when_the_rig_has_them(synthesised):
    bone_map = {k: v for k, v in mixamo_like().items() if "Hand" not in k or k.endswith("Hand")}
    rig = make_rig(bone_map)
    plan = plan_retarget(SKELETON, rig, bone_map)
    assert "LeftHandIndex1" in plan.unmapped_source and "RightHandThumb2" in plan.unmapped_source
    result = retarget(synthesised, plan)
    assert "mixamorig:LeftHand" in result.bones and not any("Index" in b for b in result.bones)
    errors = direction_errors(synthesised, rig, bone_map, result, ["LeftForeArm", "RightForeArm", "Head"])
    assert max(e.max() for e in errors.values()) < 0.2


def test_missing_and_unmapped_bones_are_listed():
    bone_map = mixamo_like()
    rig = make_rig({k: v for k, v in bone_map.items() if "Toe" not in k}, extra_bones=[("Jaw", "Head")])
    plan = plan_retarget(SKELETON, rig, bone_map)
    assert "mixamorig:LeftToeBase" in plan.missing_targets and "mixamorig:RightToe_End" in plan.missing_targets
    assert plan.target_without_source == ["Jaw"]
    assert "LeftToeBase" in plan.unmapped_source and "Neck1" in plan.unmapped_source
    report = json.loads(json.dumps(plan.report()))
    assert report["mapped"]["Hips"] == "mixamorig:Hips"


@pytest.mark.parametrize("bad, needle", [
    ({"Hips": "mixamorig:Hips"}, "left/right pair"),
    ({"LeftArm": "mixamorig:LeftArm", "RightArm": "mixamorig:RightArm", "Neck": "mixamorig:Neck"}, "must map Hips"),
    ({"Hips": "mixamorig:Hips", "Spine": "mixamorig:Hips"}, "each target bone"),
    ({"Pelvis": "mixamorig:Hips"}, "source skeleton lacks"),
    ({"Hips": "nothing"}, "matches no bone"),
])
def test_bad_bone_maps_are_refused_with_the_reason(bad, needle):
    rig = make_rig(mixamo_like())
    with pytest.raises(RetargetError, match=needle):
        plan_retarget(SKELETON, rig, bad)


def test_presets_are_detected_from_bone_names_with_or_without_prefix():
    for preset in bonemaps.preset_names():
        bones = list(bonemaps.load_bone_map(preset).bones.values())
        found, scores = bonemaps.detect(bones + ["extra_bone", "another.L"])
        assert found is not None and found.name == preset, (preset, scores)
    mixamo = bonemaps.load_bone_map("mixamo").bones.values()
    for prefix in ("mixamorig:", "mixamorig1:", ""):
        found, _ = bonemaps.detect([prefix + b for b in mixamo])
        assert found.name == "mixamo"
    found, scores = bonemaps.detect(["Bone", "Bone.001", "mixamorig:Hips"])
    assert found is None and scores[0][1] < bonemaps.MIN_DETECT_SCORE
    resolved, missing = bonemaps.resolve(bonemaps.load_bone_map("mixamo"), ["mixamorig:Hips", "mixamorig:Spine"])
    assert resolved == {"Hips": "mixamorig:Hips", "Spine": "mixamorig:Spine"} and "Head" in missing


def test_user_maps_are_saved_listed_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENHUMAN_BONEMAP_DIR", str(tmp_path / "maps"))
    bones = {"Hips": "pelvis_jnt", "Spine3": "chest_jnt", "Neck": "neck_jnt", "LeftArm": "arm_L", "RightArm": "arm_R"}
    path = bonemaps.save_bone_map(bonemaps.BoneMap("my rig", bones, label="My rig"))
    assert path == tmp_path / "maps" / "my rig.json"
    assert "my rig" in [m.name for m in bonemaps.list_bone_maps()]
    again = bonemaps.load_bone_map("my rig")
    assert again.bones == bones and again.user
    assert bonemaps.load_bone_map(str(path)).bones == bones
    found, _ = bonemaps.detect(list(bones.values()) + ["foot_L"])
    assert found.name == "my rig"
    with pytest.raises(RetargetError, match="preset"):
        bonemaps.save_bone_map(bonemaps.BoneMap("mixamo", bones))
    with pytest.raises(RetargetError, match="not an OpenHuman joint"):
        bonemaps.save_bone_map(bonemaps.BoneMap("bad", {"Pelvis": "x"}))
    (tmp_path / "maps" / "broken.json").write_text("{not json")
    with pytest.raises(RetargetError, match="not readable JSON"):
        bonemaps.load_bone_map("broken")
    with pytest.raises(RetargetError, match="no bone map named"):
        bonemaps.load_bone_map("nonexistent")


def test_upper_body_rig_without_legs(synthesised):
    bone_map = {k: v for k, v in mixamo_like().items() if not any(p in k for p in ("Leg", "Foot", "Toe"))}
    rig = make_rig(bone_map, unit=2.0)
    plan = plan_retarget(SKELETON, rig, bone_map)
    assert "no feet mapped: root motion scaled by overall height" in plan.notes
    assert plan.scale == pytest.approx(2.0, rel=1e-6)  # the same body at twice the size
    errors = direction_errors(synthesised, rig, bone_map, retarget(synthesised, plan),
                              ["Spine3", "Neck", "LeftArm", "RightForeArm", "LeftHand"])
    assert max(e.max() for e in errors.values()) < 0.2
