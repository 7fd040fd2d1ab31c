"""Retargeting onto real rigs in headless Blender: Rigify, a Mixamo-named A-pose rig, a scaled rig with
other rolls and Euler bones, and the ZeroEGGs FBX character. Each script runs in a fresh interpreter.

The check is the one an animator would make: per frame, the world direction of upper arm, forearm,
hand, spine, neck and head on the source motion and on the evaluated target (its deforming bones).
"""
import json
from pathlib import Path

import numpy as np
import pytest

from openhuman.engine.motion import bonemaps
from openhuman.engine.api import GenerateOptions, generate
from openhuman.engine.motion.bvh import load as load_bvh
from openhuman.engine.motion.retarget import SOURCE_AIM, _mapped_aim
from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton

import helpers
from test_retarget import make_rig, mixamo_like

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO / "examples" / "voice.wav"
TRANSCRIPT = REPO / "examples" / "voice.txt"
SKELETON = zeggs_skeleton()
FPS = 30.0
MEASURED = ["LeftArm", "LeftForeArm", "LeftHand", "RightArm", "RightForeArm", "RightHand", "Spine2", "Spine3",
            "Neck", "Head"]
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

PRELUDE = """
import json, sys, bpy, numpy as np
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.preferences.addon_enable(module="openhuman")
from openhuman.operators import retarget_ops, rig_plan, rig_writer
scene = bpy.context.scene
scene.render.fps = 30

def build_rig(name, spec):
    arm = bpy.data.objects.new(name, bpy.data.armatures.new(name))
    scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    made = []
    for i, n in enumerate(spec["names"]):
        eb = arm.data.edit_bones.new(n)
        eb.head, eb.tail, eb.roll = spec["heads"][i], spec["tails"][i], spec["rolls"][i]
        if spec["parents"][i] >= 0:
            eb.parent = made[spec["parents"][i]]
        made.append(eb)
    bpy.ops.object.mode_set(mode="OBJECT")
    arm.rotation_euler = spec.get("rotation", (0, 0, 0))
    arm.scale = [spec.get("scale", 1.0)] * 3
    return arm

def rest_snapshot(arm):
    return [[list(r) for r in b.matrix_local] for b in arm.data.bones]

def measure(arm, specs, frames):
    # World directions of (start bone head -> end bone head, or start bone tail) per frame.
    out = {joint: [] for joint, _, _ in specs}
    for f in frames:
        scene.frame_set(f)
        ev = arm.evaluated_get(bpy.context.evaluated_depsgraph_get())
        mw = ev.matrix_world
        for joint, a, b in specs:
            pa = ev.pose.bones[a]
            end = ev.pose.bones[b].head if b else pa.tail
            out[joint].append(list((mw @ end) - (mw @ pa.head)))
    return out
"""


def run_blender(script: str, timeout=600, env=None) -> dict:
    return helpers.run_blender(script, prelude=PRELUDE, timeout=timeout, env=env)


def rig_spec(rig, seed=None, **extra) -> dict:
    rng = np.random.default_rng(seed)
    rolls = rng.uniform(-np.pi, np.pi, len(rig.names)) if seed is not None else np.zeros(len(rig.names))
    return {"names": list(rig.names), "parents": rig.parents.tolist(), "heads": rig.heads.tolist(),
            "tails": rig.tails.tolist(), "rolls": rolls.tolist(), **extra}


def chord_specs(bone_map: dict, joints=MEASURED) -> list:
    """(joint, target bone, target bone at the next mapped joint or None for its tail)."""
    mapped = {n: i for i, n in enumerate(bone_map)}
    specs = []
    for name in joints:
        aim = _mapped_aim(SKELETON, SKELETON.index(name), mapped)
        specs.append((name, bone_map[name], bone_map[SKELETON.names[aim]] if aim is not None else None))
    return specs


def source_directions(motion, joints, frames, start_frame=1) -> dict:
    """The source bones' world directions (Blender's Z-up world) at the given scene frames."""
    pos = motion.world_positions()
    out = {}
    for name in joints:
        j = SKELETON.index(name)
        child = SKELETON.index(SOURCE_AIM[name]) if name in SOURCE_AIM else \
            max(SKELETON.children(j), key=lambda c: np.linalg.norm(SKELETON.offsets[c]))
        k = np.asarray(frames) - start_frame
        out[name] = (pos[k, child] - pos[k, j]) @ Y_UP_TO_Z_UP.T
    return out


def angle_errors(source: dict, target: dict) -> dict:
    errors = {}
    for name, a in source.items():
        b = np.asarray(target[name])
        cos = np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        errors[name] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return errors


def assert_directions_match(errors: dict, mean=10.0, worst=25.0, label=""):
    summary = {n: (round(float(e.mean()), 2), round(float(e.max()), 2)) for n, e in errors.items()}
    print(f"direction errors (mean, max degrees) {label}: {json.dumps(summary)}")  # shown with pytest -s
    for name, e in errors.items():
        assert e.mean() < mean and e.max() < worst, summary


@pytest.fixture(scope="module")
def capture(zeggs_dir):
    """10 s of the real ZeroEGGs capture (metres) at the scene rate."""
    return load_bvh(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01).slice(600, 1200).resampled(FPS)


def test_mixamo_a_pose_and_scaled_rolled_rigs(tmp_path, capture, zeggs_dir):
    mixamo = mixamo_like()
    a_pose = rig_spec(make_rig(mixamo, a_pose_deg=45.0, z_up=True), seed=1)
    # A Y-up rig in centimetres turned upright by its object (as FBX imports are), other rolls, longer arms.
    scaled = rig_spec(make_rig(mixamo, unit=100.0, arm_length=1.2, leg_length=0.9), seed=2,
                      rotation=(np.pi / 2, 0, 0), scale=0.01)
    frames = list(range(1, capture.n_frames + 1, 3))
    specs = chord_specs(mixamo)
    result = run_blender(f"""
        from openhuman.engine.motion.bvh import load
        motion = load({str(zeggs_dir / "067_Speech_2_part1.bvh")!r}).scaled(0.01).slice(600, 1200)
        out = {{}}
        for name, spec, euler in (("APose", {json.dumps(a_pose)}, False), ("Scaled", {json.dumps(scaled)}, True)):
            arm = build_rig(name, spec)
            if euler:  # bones animated in Euler angles keep their mode
                for i, pb in enumerate(arm.pose.bones):
                    pb.rotation_mode = ("XYZ", "ZXY", "YZX", "QUATERNION")[i % 4]
            before = rest_snapshot(arm)
            plan, bone_map = rig_plan.plan_for(arm)
            action = rig_writer.write_action(arm, motion, "clip", 1, 30.0, rig_plan=(plan, bone_map))
            modes = sorted({{pb.rotation_mode for pb in arm.pose.bones}})
            out[name] = {{"map": bone_map.name, "dirs": measure(arm, {specs!r}, {frames!r}),
                          "rest_kept": rest_snapshot(arm) == before, "modes": modes,
                          "report": json.loads(action["openhuman_retarget"])}}
        print("JSON:" + json.dumps(out))
    """)
    source = source_directions(capture, MEASURED, frames)
    for name in ("APose", "Scaled"):
        r = result[name]
        assert r["map"] == "mixamo" and r["rest_kept"]
        errors = angle_errors(source, r["dirs"])
        # The transfer is exact; float32 keys and Euler round trips leave hundredths of a degree.
        assert_directions_match(errors, mean=0.5, worst=2.0, label=name)
        assert "Neck1" in r["report"]["unmapped_source"] and r["report"]["missing_targets"] == []
    assert result["Scaled"]["modes"] == ["QUATERNION", "XYZ", "YZX", "ZXY"]


def test_rigify_generated_rig_deforms_with_the_capture(capture, zeggs_dir):
    frames = list(range(1, capture.n_frames + 1, 4))
    deform = []
    for s in "LR":
        side = "Left" if s == "L" else "Right"
        deform += [(side + "Arm", f"DEF-upper_arm.{s}", f"DEF-forearm.{s}"),
                   (side + "ForeArm", f"DEF-forearm.{s}", f"DEF-hand.{s}"),
                   (side + "Hand", f"DEF-hand.{s}", f"DEF-f_middle.01.{s}")]
    deform += [("Spine2", "DEF-spine.002", "DEF-spine.003"), ("Spine3", "DEF-spine.003", "DEF-spine.004"),
               ("Neck", "DEF-spine.004", "DEF-spine.006"), ("Head", "DEF-spine.006", None)]
    result = run_blender(f"""
        from openhuman.engine.motion.bvh import load
        bpy.ops.preferences.addon_enable(module="rigify")
        bpy.ops.object.armature_human_metarig_add()
        bpy.ops.pose.rigify_generate()
        rig = bpy.data.objects["rig"]
        bpy.ops.object.mode_set(mode="OBJECT")
        before = rest_snapshot(rig)
        motion = load({str(zeggs_dir / "067_Speech_2_part1.bvh")!r}).scaled(0.01).slice(600, 1200)
        plan, bone_map = rig_plan.plan_for(rig)
        action = rig_writer.write_action(rig, motion, "clip", 1, 30.0, rig_plan=(plan, bone_map))
        follow = {{rig.data.bones[k].name: rig.data.bones[int(plan.follow[k])].name
                  for _, k in plan.pairs if plan.follow[k] >= 0}}
        print("JSON:" + json.dumps({{"map": bone_map.name, "dirs": measure(rig, {deform!r}, {frames!r}),
                                    "rest_kept": rest_snapshot(rig) == before, "notes": plan.notes,
                                    "follow": follow, "ik_fk": rig.pose.bones["upper_arm_parent.L"]["IK_FK"],
                                    "report": json.loads(action["openhuman_retarget"])}}))
    """)
    assert result["map"] == "rigify" and result["rest_kept"]
    assert result["notes"] == [], result["notes"]  # every control follows its leader rigidly
    # What the probe found: Rigify's controls follow each other through its MCH/DEF bones.
    assert result["follow"]["upper_arm_fk.L"] == "shoulder.L"
    assert result["follow"]["f_index.01.R"] == "hand_fk.R" and result["follow"]["head"] == "neck"
    assert result["ik_fk"] == 1.0
    errors = angle_errors(source_directions(capture, MEASURED, frames), result["dirs"])
    assert_directions_match(errors, label="Rigify DEF bones")
    # The deform bones follow the controls closely (Rigify's tweaks and B-bone chains add a little).
    assert max(e.mean() for e in errors.values()) < 1.0, {n: (round(float(e.mean()), 2), round(float(e.max()), 2)) for n, e in errors.items()}
    assert "HeadEnd" in result["report"]["unmapped_source"]


def test_generate_onto_the_zeggs_fbx_character_in_one_step(zeggs_dir):
    fbx = zeggs_dir / "LaForgeFemale.fbx"
    options = GenerateOptions(emotion="Happy", seed=5, method="procedural")
    generated = generate(str(SPEECH), str(TRANSCRIPT), options).motion
    motion = generated.resampled(FPS)
    frames = list(range(1, motion.n_frames + 1, 3))
    identity = {n: n for n in SKELETON.names}
    result = run_blender(f"""
        bpy.ops.import_scene.fbx(filepath={str(fbx)!r})
        scene.render.fps = 30  # the importer takes the file's rate (24)
        arm = next(o for o in scene.objects if o.type == "ARMATURE")
        mesh = next(o for o in scene.objects if o.type == "MESH")
        before = rest_snapshot(arm)
        s = scene.openhuman
        s.armature = arm
        s.audio_path, s.transcript = {str(SPEECH)!r}, {str(TRANSCRIPT)!r}
        s.method, s.emotion_a, s.seed = "PROCEDURAL", "Happy", 5
        from openhuman.operators.generate import check_inputs
        problem = check_inputs(bpy.context)
        status = bpy.ops.openhuman.generate()
        def vertices(frame):
            scene.frame_set(frame)
            ev = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
            data = ev.to_mesh()
            co = np.empty(len(data.vertices) * 3)
            data.vertices.foreach_get("co", co)
            ev.to_mesh_clear()
            return co
        moved = float(np.abs(vertices(40) - vertices(1)).max())
        action = arm.animation_data.action
        print("JSON:" + json.dumps({{"problem": problem, "status": sorted(status), "action": action.name,
                                    "dirs": measure(arm, {chord_specs(identity)!r}, {frames!r}),
                                    "rest_kept": rest_snapshot(arm) == before, "mesh_moved": moved,
                                    "range": [scene.frame_start, scene.frame_end],
                                    "report": json.loads(action["openhuman_retarget"])}}))
    """)
    assert result["problem"] is None and result["status"] == ["FINISHED"] and result["action"] == "voice"
    assert result["rest_kept"] and result["report"]["bone_map"] == "openhuman"
    assert result["range"] == [1, round(generated.duration * FPS)]
    assert result["mesh_moved"] > 1.0  # the skinned mesh follows (object units: cm)
    errors = angle_errors(source_directions(motion, MEASURED, frames), result["dirs"])
    assert_directions_match(errors, mean=0.5, worst=2.0, label="ZeroEGGs FBX")


def test_retarget_action_operator_generate_with_a_model_and_refusals(tmp_path, capture, zeggs_dir, tiny_model):
    mixamo = {k: "mixamorig:" + v for k, v in bonemaps.load_bone_map("mixamo").bones.items()}
    spec = rig_spec(make_rig(mixamo, a_pose_deg=40.0, z_up=True), seed=3)
    frames = list(range(1, capture.n_frames + 1, 5))
    bvh_path = tmp_path / "capture.bvh"
    from openhuman.engine.motion.bvh import save as save_bvh

    save_bvh(bvh_path, capture.scaled(100.0))
    result = run_blender(f"""
        bpy.ops.openhuman.create_armature()
        source = scene.openhuman.armature
        source.location, source.rotation_euler = (1.5, 0.3, 0.0), (0.0, 0.0, 0.6)  # keys honour the object
        bpy.context.view_layer.update()
        bpy.ops.openhuman.import_bvh(filepath={str(bvh_path)!r})
        target = build_rig("Character", {json.dumps(spec)})
        status = bpy.ops.openhuman.retarget_action(source=source.name, target=target.name)
        action = target.animation_data.action
        dirs = measure(target, {chord_specs(mixamo)!r}, {frames!r})
        # Generate with a (tiny, untrained) model straight onto the Mixamo rig.
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(tiny_model)!r}
        s = scene.openhuman
        s.armature, s.audio_path, s.transcript, s.quality = target, {str(SPEECH)!r}, {str(TRANSCRIPT)!r}, "DRAFT"
        generated = bpy.ops.openhuman.generate()
        keyed = target.animation_data.action.name
        # A rig whose names match no map is refused, with the reason, and nothing changes.
        other = build_rig("Bones", {{"names": ["Bone", "Bone.001"], "parents": [-1, 0], "heads": [[0,0,0],[0,0,1]],
                                     "tails": [[0,0,1],[0,0,2]], "rolls": [0, 0]}})
        s.armature = other
        from openhuman.operators.generate import check_inputs
        refused = check_inputs(bpy.context)
        try:
            bpy.ops.openhuman.retarget_action(source=source.name, target=other.name)
            error = ""
        except RuntimeError as exc:
            error = str(exc)
        other.openhuman_bone_map = "mixamo"
        partial = check_inputs(bpy.context)
        # Save the detected map as a user map: it is then the target's own choice.
        saved = bpy.ops.openhuman.save_bone_map(name="hero map", target=target.name)
        chosen, _ = rig_plan.chosen_bone_map(target)
        print("JSON:" + json.dumps({{"status": sorted(status), "action": action.name, "dirs": dirs,
                                    "generated": sorted(generated), "keyed": keyed, "refused": refused,
                                    "error": error, "partial": partial, "other_anim": other.animation_data is not None,
                                    "saved": sorted(saved), "choice": target.openhuman_bone_map,
                                    "chosen": chosen.name}}))
    """, env={"OPENHUMAN_BONEMAP_DIR": str(tmp_path / "maps")})
    assert result["status"] == ["FINISHED"] and result["action"] == "capture_Character"
    errors = angle_errors(source_directions(capture, MEASURED, frames), result["dirs"])
    assert_directions_match(errors, mean=0.5, worst=2.0, label="Retarget action operator")
    assert result["generated"] == ["FINISHED"] and result["keyed"] == "voice"
    assert "lacks a bone map" in result["refused"] and "lacks a bone map" in result["error"]
    assert not result["other_anim"]
    assert "lacks most bones of the bone map 'mixamo'" in result["partial"]
    assert result["saved"] == ["FINISHED"] and result["choice"] == result["chosen"] == "hero map"
    saved = json.loads((tmp_path / "maps" / "hero map.json").read_text())
    assert saved["bones"]["LeftArm"] == "mixamorig:LeftArm" and saved["bones"]["Neck1"] is None


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A small untrained model file: real weights, motion not yet meaningful."""
    return helpers.tiny_model_file(tmp_path_factory.mktemp("model") / "tiny.safetensors")


def test_one_writer_and_its_inverse_on_a_moved_openhuman_armature(tmp_path):
    """The OpenHuman armature is keyed through the identity map: its keys live in the armature's own space
    (moving or turning the object moves the character), and reading them back, from the F-curves or from
    the pose frame by frame, gives the motion that was written."""
    from openhuman.engine.motion.motion_io import save_motion
    from openhuman.engine.procedural.synthesiser import synthesise
    from openhuman.engine.speech.audio import load_audio
    from openhuman.engine.constants import EXAMPLE_VOICE

    motion = synthesise(load_audio(EXAMPLE_VOICE), None, "Angry", fps=30.0, seed=2).slice(0, 90)
    path = tmp_path / "motion.npz"
    save_motion(path, motion)
    result = run_blender(f"""
        from openhuman.engine.motion.motion_io import load_motion
        from openhuman.engine.motion.skeleton_zeggs import zeggs_skeleton
        from openhuman.operators.rig_reader import read_action_motion, read_motion
        motion = load_motion({str(path)!r})
        bpy.ops.openhuman.create_armature()
        arm = scene.openhuman.armature
        arm.location, arm.rotation_euler = (1.5, 0.3, 0.2), (0.0, 0.0, 0.6)
        bpy.context.view_layer.update()
        action = rig_writer.write_action(arm, motion, "clip", 1, 30.0)
        report = json.loads(action["openhuman_retarget"])
        heads = []
        for f in (1, 45, 90):
            scene.frame_set(f)
            ev = arm.evaluated_get(bpy.context.evaluated_depsgraph_get())
            heads.append([list(arm.matrix_world.inverted() @ (ev.matrix_world @ pb.head)) for pb in ev.pose.bones])
        scene.frame_start, scene.frame_end = 1, 90
        back = read_action_motion(arm, zeggs_skeleton(), scene)
        posed = read_motion(bpy.context, arm, zeggs_skeleton())
        print("JSON:" + json.dumps({{"map": report["bone_map"], "heads": heads,
                                    "names": [b.name for b in arm.pose.bones],
                                    "rest_hips": list(arm.data.bones["Hips"].head_local),
                                    "back": [back.root_positions.tolist(), back.rotations.tolist()],
                                    "posed": [posed.root_positions.tolist(), posed.rotations.tolist()]}}))
    """)
    from openhuman.engine.motion import quat
    from openhuman.operators.rig_maths import to_blender_vectors

    assert result["map"] == "openhuman"
    positions = to_blender_vectors(motion.world_positions())
    shift = np.array(result["rest_hips"]) - to_blender_vectors(SKELETON.rest_world_positions()[0])
    order = [motion.skeleton.index(n) for n in result["names"]]
    for k, f in enumerate((1, 45, 90)):  # in the armature's own space: the written motion, on its rest hips
        assert np.abs(np.array(result["heads"][k]) - (positions[f - 1][order] + shift)).max() < 1e-4
    for root, rotations in (result["back"], result["posed"]):
        assert np.abs(np.array(root) - motion.root_positions).max() < 1e-5
        assert quat.angle_between(np.array(rotations), motion.rotations).max() < 1e-4
