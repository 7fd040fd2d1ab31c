"""Rigs with fewer bones than their preset (no fingers, no toes, no end bones) are recognised and
keyed on the bones they have; rigs without the core chain are refused with the bones they lack."""
import json

import numpy as np
import pytest

from openhuman.engine.motion import bonemaps
from openhuman.engine.speech.audio import load_audio
from openhuman.engine.errors import RetargetError
from openhuman.engine.procedural.synthesiser import synthesise
from openhuman.engine.motion.retarget import plan_retarget, retarget
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton

from test_retarget import direction_errors, make_rig
from test_retarget_blender import SPEECH, rig_spec, run_blender

pytestmark = pytest.mark.bad_input

FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")
# Mixamo's "no fingers" skeleton: 22 bones, OpenHuman joint -> Mixamo bone.
MIXAMO_22 = {"Hips": "Hips", "Spine": "Spine", "Spine2": "Spine1", "Spine3": "Spine2", "Neck": "Neck", "Head": "Head",
             **{f"{s}{p}": f"{s}{p}" for s in ("Left", "Right")
                for p in ("Shoulder", "Arm", "ForeArm", "Hand", "UpLeg", "Leg", "Foot", "ToeBase")}}
PREFIXED_22 = {joint: "mixamorig:" + bone for joint, bone in MIXAMO_22.items()}


@pytest.fixture(autouse=True)
def no_user_maps(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENHUMAN_BONEMAP_DIR", str(tmp_path / "maps"))


def _without(preset: str, *parts: str) -> list[str]:
    """The preset's bone names, minus those of joints whose name contains any of `parts`."""
    bones = bonemaps.load_bone_map(preset).bones
    return [b for j, b in bones.items() if b and not any(p in j for p in parts)]


def test_the_22_bone_mixamo_rig_is_mixamo_at_100_percent():
    names = list(PREFIXED_22.values())
    assert len(names) == 22
    found, scores = bonemaps.detect(names)
    assert found is not None and found.name == "mixamo", scores
    assert scores[0] == ("mixamo", 1.0)
    fit = bonemaps.fit(found, names)
    assert fit.rig_share == 1.0 and fit.missing_core == () and fit.usable
    assert bonemaps.pick(names, "Hero") == (found, 1.0)
    assert bonemaps.score(found, names) == 1.0  # what a chosen map is judged by


def test_the_22_bone_mixamo_rig_is_keyed_on_its_bones_only():
    rig = make_rig(PREFIXED_22, a_pose_deg=30.0)
    resolved, missing = bonemaps.resolve(bonemaps.load_bone_map("mixamo"), rig.names)
    assert sorted(resolved.values()) == sorted(rig.names) and "LeftHandIndex1" in missing
    plan = plan_retarget(zeggs_skeleton(), rig, resolved)
    assert len(plan.pairs) == 22 and plan.target_without_source == []
    assert "LeftHandIndex1" in plan.unmapped_source
    motion = synthesise(load_audio(SPEECH), None, "Happy", fps=20.0, seed=1)
    result = retarget(motion, plan)
    assert sorted(result.bones) == sorted(rig.names)
    assert not any(f in b for b in result.bones for f in FINGERS)
    assert np.isfinite(result.rotations).all() and result.root_bone == "mixamorig:Hips"
    errors = direction_errors(motion, rig, resolved, result)
    assert {"LeftHand", "RightHand", "Spine3", "Head"} <= set(errors)
    assert max(e.max() for e in errors.values()) < 1.0, {n: float(e.max()) for n, e in errors.items()}


@pytest.mark.parametrize("preset, parts", [
    ("mixamo", FINGERS + ("End",)),
    ("rigify", FINGERS),
    ("ue5", FINGERS),
    ("ue5", FINGERS + ("Toe",)),
    ("vrm", FINGERS),
    ("vroid", FINGERS + ("Toe", "Leg", "Foot")),  # an upper body
    ("smplx", FINGERS),
    ("openhuman", FINGERS),
])
def test_presets_without_fingers_or_toes_are_recognised(preset, parts):
    names = _without(preset, *parts)
    found, scores = bonemaps.detect(names)
    assert found is not None and found.name == preset, scores
    with_prefix, _ = bonemaps.detect(["char1:" + n for n in names])
    assert with_prefix.name == preset


def test_a_big_rig_without_fingers_is_recognised_by_its_core_chain():
    # A generated Rigify rig has ~700 bones: helpers and controls the map does not name.
    names = _without("rigify", *FINGERS)
    helpers = [f"{p}-{n}" for n in names for p in ("DEF", "ORG", "MCH")] + [f"tweak_{i}" for i in range(300)]
    found, scores = bonemaps.detect(names + helpers)
    assert found.name == "rigify", scores
    fit = bonemaps.fit(found, names + helpers)
    assert fit.rig_share < 0.1 and fit.usable
    ue5 = _without("ue5", *FINGERS) + ["upperarm_twist_01_l", "upperarm_twist_01_r", "ik_foot_root", "root"]
    assert bonemaps.detect(ue5)[0].name == "ue5"


@pytest.mark.parametrize("drop, missing", [
    (("LeftHand", "RightHand"), ("LeftHand", "RightHand")),
    (("Neck", "Head"), ("Neck or Head",)),
    (("ForeArm",), ("LeftForeArm", "RightForeArm")),
    (("Hips",), ("Hips",)),
])
def test_a_rig_without_the_core_chain_is_refused_naming_the_missing_bones(drop, missing):
    names = [b for j, b in PREFIXED_22.items() if not any(d in j for d in drop)]
    found, scores = bonemaps.detect(names)
    assert found is None, scores
    assert bonemaps.fit(bonemaps.load_bone_map("mixamo"), names).missing_core == missing
    with pytest.raises(RetargetError) as err:
        bonemaps.pick(names, "Hero")
    assert str(err.value) == (f"Armature 'Hero' lacks a bone map: closest is 'mixamo', but the rig lacks its core "
                              f"bones {', '.join(missing)}; choose a Bone map or save your own")


def test_an_unrelated_rig_is_refused():
    for names in (["Bone", "Bone.001", "Bone.002"], [], ["root", "body", "arm.L", "arm.R"]):
        found, _ = bonemaps.detect(names)
        assert found is None
        with pytest.raises(RetargetError, match="its bone names match no known rig; choose a Bone map"):
            bonemaps.pick(names, "Props")


def test_a_partial_user_map_still_needs_most_of_its_bones():
    core = {"Hips": "pelvis_jnt", "Spine3": "chest_jnt", "Neck": "neck_jnt", "LeftArm": "arm_L", "RightArm": "arm_R"}
    legs = {"LeftUpLeg": "thigh_L", "RightUpLeg": "thigh_R", "LeftLeg": "shin_L", "RightLeg": "shin_R",
            "LeftFoot": "foot_L"}
    bonemaps.save_bone_map(bonemaps.BoneMap("my rig", {**core, **legs}))  # no forearms, no hands
    assert bonemaps.detect([*core.values(), *legs.values()][:8])[0].name == "my rig"
    found, _ = bonemaps.detect(list(core.values()))  # 50 % of a map without the whole core chain
    assert found is None
    with pytest.raises(RetargetError, match=r"closest is 'my rig', with 50% of its bones \(a map without the whole "
                                            r"core chain needs 75%\)"):
        bonemaps.pick(list(core.values()), "Hero")


def test_generate_onto_the_22_bone_mixamo_rig_in_blender(tmp_path):
    spec = rig_spec(make_rig(PREFIXED_22, a_pose_deg=40.0, z_up=True), seed=2)
    result = run_blender(f"""
        from bpy_extras.anim_utils import action_get_channelbag_for_slot
        from openhuman.operators.generate import check_inputs
        arm = build_rig("Hero", {json.dumps(spec)})
        s = scene.openhuman
        s.armature, s.audio_path, s.transcript, s.method = arm, {str(SPEECH)!r}, "hi", "PROCEDURAL"
        problem = check_inputs(bpy.context)
        status = bpy.ops.openhuman.generate()
        anim = arm.animation_data
        bag = action_get_channelbag_for_slot(anim.action, anim.action_slot)
        keyed = sorted({{fc.data_path.split('"')[1] for fc in bag.fcurves if fc.data_path.startswith("pose.bones")}})
        keys = sum(len(fc.keyframe_points) for fc in bag.fcurves)
        print("JSON:" + json.dumps({{"problem": problem, "status": sorted(status), "keyed": keyed, "keys": keys,
                                    "report": json.loads(anim.action["openhuman_retarget"])}}))
    """, env={"OPENHUMAN_BONEMAP_DIR": str(tmp_path / "maps")})
    assert result["problem"] is None and result["status"] == ["FINISHED"], result
    assert result["report"]["bone_map"] == "mixamo"
    assert sorted(result["keyed"]) == sorted(PREFIXED_22.values()) and result["keys"] > 22 * 4 * 10
    assert not any(f in b for b in result["keyed"] for f in FINGERS)
    assert "LeftHandIndex1" in result["report"]["unmapped_source"]
