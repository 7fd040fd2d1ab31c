"""Bad input to the add-on's operators in real headless Blender: CANCELLED with a message that names the
problem and the scene unchanged; and a result never lands on (or drops) another armature's animation.

Several cases share one Blender process (each start costs seconds); every case is reported back as JSON.
"""
import os

import pytest

from bad_input_support import tiny_model_file
from helpers import DATA, REPO, VOICE, run_blender

pytestmark = pytest.mark.bad_input


# Everything a failed operator must leave as it was, down to the keys.
STATE = """
import bpy, json

def state():
    scene = bpy.context.scene
    curves = [fc for a in bpy.data.actions for layer in a.layers for strip in layer.strips
              for bag in strip.channelbags for fc in bag.fcurves]
    return {"objects": len(bpy.data.objects), "actions": sorted(a.name for a in bpy.data.actions),
            "fcurves": len(curves), "keys": sum(len(fc.keyframe_points) for fc in curves),
            "nla": sum(len(o.animation_data.nla_tracks) for o in bpy.data.objects if o.animation_data),
            "strips": len(scene.sequence_editor.strips_all) if scene.sequence_editor else 0,
            "frames": [scene.frame_start, scene.frame_end]}

def attempt(op, **kwargs):
    before = state()
    try:
        status, message = sorted(op(**kwargs)), ""
    except RuntimeError as exc:  # in scripts an operator's ERROR report raises
        status, message = ["CANCELLED"], str(exc)
    return {"status": status, "message": message, "unchanged": state() == before}

def keys_of(action):
    bag = action.layers[0].strips[0].channelbags[0]
    return [len(bag.fcurves), sum(sum(k.co) for fc in bag.fcurves for k in fc.keyframe_points)]

bpy.ops.preferences.addon_enable(module="openhuman")
scene = bpy.context.scene
scene.render.fps = 30
"""


def blender(script: str, timeout: int = 600) -> tuple[dict, str]:
    """Run a script in a fresh Blender (bpy module); returns its JSON line and everything it printed."""
    return run_blender(script, prelude=STATE, timeout=timeout, cwd=REPO.parent, with_output=True)

TINY_BVH = (DATA / "one_joint.bvh").read_text()  # Frame Time: 0.03


def assert_refused(case: dict, *needles: str):
    assert case["status"] == ["CANCELLED"] and case["unchanged"], case
    message = case["message"]
    assert "Traceback" not in message and len(message.strip().splitlines()) == 1, message
    for needle in needles:
        assert needle.lower() in message.lower(), (needle, message)


@pytest.fixture(scope="module")
def ownership(tmp_path_factory):
    """Two OpenHuman armatures, a user's 'walk' on A and a user's own 'voice' action on a prop; generate on
    A, on B, on A again, import a BVH onto B; save, reopen. Returns what was seen before and after."""
    tmp = tmp_path_factory.mktemp("ownership")
    blend = tmp / "scene.blend"
    return blender(f"""
        bpy.ops.openhuman.create_armature(); A = scene.openhuman.armature
        bpy.ops.openhuman.create_armature(); B = scene.openhuman.armature
        prop = bpy.data.objects.new("Prop", None)
        scene.collection.objects.link(prop)
        for f in (1, 10):  # the user's own action called 'voice': 3 location curves and 1 rotation curve
            prop.location = (f, 0, 0)
            prop.keyframe_insert("location", frame=f)
            prop.keyframe_insert("rotation_euler", index=2, frame=f)
        prop.animation_data.action.name = "voice"
        prop_voice = keys_of(prop.animation_data.action)
        A.animation_data_create()
        A.animation_data.action = bpy.data.actions.new("walk")
        A.pose.bones[0].keyframe_insert("location", frame=1)
        walk = keys_of(bpy.data.actions["walk"])
        s = scene.openhuman
        s.method, s.audio_path, s.transcript = "PROCEDURAL", {str(VOICE)!r}, "hi"
        s.armature = A
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        a_first = A.animation_data.action.name
        a_keys = keys_of(A.animation_data.action)
        s.armature, s.emotion_a = B, "Sad"
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        b_first = B.animation_data.action.name
        a_after_b = [A.animation_data.action.name, keys_of(bpy.data.actions[a_first])]
        s.armature, s.emotion_a = A, "Happy"
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        a_second = A.animation_data.action.name
        # A BVH import onto B: B's generated action is stashed, not dropped. UTF-16 (with a BOM) is read.
        s.armature = A
        bpy.ops.openhuman.export_bvh(filepath={str(tmp / "a.bvh")!r})
        text = open({str(tmp / "a.bvh")!r}).read()
        open({str(tmp / "take16.bvh")!r}, "wb").write(text.encode("utf-16"))
        s.armature = B
        imported = sorted(bpy.ops.openhuman.import_bvh(filepath={str(tmp / "take16.bvh")!r}))
        b_second = B.animation_data.action.name
        names = (A.name, B.name, "Prop")
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        A, B, prop = (bpy.data.objects[n] for n in names)
        stash = lambda o: [t.strips[0].action.name for t in o.animation_data.nla_tracks if t.mute]
        print("JSON:" + json.dumps({{
            "prop_voice": prop_voice, "walk": walk, "a_first": a_first, "a_keys": a_keys, "b_first": b_first,
            "a_after_b": a_after_b, "a_second": a_second, "imported": imported, "b_second": b_second,
            "reloaded": {{"actions": sorted(a.name for a in bpy.data.actions),
                         "prop_voice": keys_of(prop.animation_data.action),
                         "prop_action": prop.animation_data.action.name,
                         "walk": keys_of(bpy.data.actions["walk"]), "a_first": keys_of(bpy.data.actions[a_first]),
                         "a_action": A.animation_data.action.name, "b_action": B.animation_data.action.name,
                         "a_stash": stash(A), "b_stash": stash(B)}}}}))
    """)


def test_generate_never_writes_into_another_objects_action_of_the_same_name(ownership):
    seen, _ = ownership
    assert seen["a_first"] != "voice" and seen["a_first"].startswith("voice")
    assert seen["reloaded"]["prop_action"] == "voice"
    assert seen["reloaded"]["prop_voice"] == seen["prop_voice"] and seen["prop_voice"][0] == 4


def test_generating_on_armature_b_leaves_armature_a_keys_alone(ownership):
    seen, _ = ownership
    assert seen["b_first"] not in (seen["a_first"], "voice")
    assert seen["a_after_b"] == [seen["a_first"], seen["a_keys"]]
    assert seen["reloaded"]["a_first"] == seen["a_keys"]


def test_earlier_actions_are_stashed_reported_and_survive_save_and_reload(ownership):
    seen, printed = ownership
    reloaded = seen["reloaded"]
    made = {seen[k] for k in ("a_first", "b_first", "a_second", "b_second")}
    assert {"walk", "voice"} | made <= set(reloaded["actions"])
    assert reloaded["walk"] == seen["walk"]
    assert reloaded["a_action"] == seen["a_second"] and reloaded["a_stash"] == ["walk", seen["a_first"]]
    assert reloaded["b_action"] == seen["b_second"] and reloaded["b_stash"] == [seen["b_first"]]
    assert "the earlier action 'walk' is kept in its NLA stash" in printed
    assert f"the earlier action '{seen['b_first']}' is kept in its NLA stash" in printed  # the import says so too


def test_a_utf16_bvh_with_a_byte_order_mark_imports(ownership):
    seen, _ = ownership
    assert seen["imported"] == ["FINISHED"] and seen["b_second"] == "take16"


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """Bad clips, BVH files and outputs, and a linked armature, tried one after another in one Blender."""
    tmp = tmp_path_factory.mktemp("refusals")
    model = tiny_model_file(tmp / "tiny.safetensors")
    (tmp / "clip_folder.wav").mkdir()
    (tmp / "notes.wav").write_text("this is not audio\n" * 50)
    for name, frame_time in (("slow", "50"), ("huge", "1e300"), ("tiny", "1e-320")):
        (tmp / f"{name}.bvh").write_text(TINY_BVH.replace("Frame Time: 0.03", f"Frame Time: {frame_time}"))
    (tmp / "bare16.bvh").write_bytes(TINY_BVH.encode("utf-16-le"))
    (tmp / "out_folder.bvh").mkdir()
    seen, _ = blender(f"""
        import shutil
        bpy.ops.openhuman.create_armature()
        s = scene.openhuman
        arm = s.armature
        s.method, s.transcript = "PROCEDURAL", "hi"
        r = {{}}
        s.audio_path = {str(tmp / "clip_folder.wav")!r}
        r["clip_folder"] = attempt(bpy.ops.openhuman.generate)
        s.audio_path = ""
        r["no_voice"] = attempt(bpy.ops.openhuman.generate)
        editor = scene.sequence_editor_create()
        one = editor.strips.new_sound("Dialogue", {str(VOICE)!r}, 1, 40)
        two = editor.strips.new_sound("Music", {str(VOICE)!r}, 2, 1)
        one.select = two.select = False
        r["two_strips"] = attempt(bpy.ops.openhuman.generate)
        editor.strips.remove(two)
        # The only sound strip is the voice: keys start at its frame, no second strip is added.
        strips_before = len(editor.strips_all)
        status = sorted(bpy.ops.openhuman.generate())
        fc = arm.animation_data.action.layers[0].strips[0].channelbags[0].fcurves[0]
        r["from_strip"] = {{"status": status, "first_key": fc.keyframe_points[0].co[0],
                           "strips": [len(editor.strips_all), strips_before], "frame_start": scene.frame_start}}
        s.audio_path = {str(tmp / "notes.wav")!r}
        s.method = "MODEL"
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(model)!r}
        r["text_as_clip_model"] = attempt(bpy.ops.openhuman.generate)
        s.method = "PROCEDURAL"
        for name in ("slow", "huge", "tiny", "bare16"):
            r["bvh_" + name] = attempt(bpy.ops.openhuman.import_bvh, filepath=str({str(tmp)!r}) + "/" + name + ".bvh")
        r["export_to_folder"] = attempt(bpy.ops.openhuman.export_bvh, filepath={str(tmp / "out_folder.bvh")!r})
        r["export_missing_folder"] = attempt(bpy.ops.openhuman.export_bvh, filepath={str(tmp / "nope" / "x.bvh")!r})
        # A linked (non-editable) armature from a library .blend.
        bpy.ops.wm.save_as_mainfile(filepath={str(tmp / "library.blend")!r})
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.ops.preferences.addon_enable(module="openhuman")
        scene = bpy.context.scene
        with bpy.data.libraries.load({str(tmp / "library.blend")!r}, link=True) as (src, dst):
            dst.objects = ["OpenHuman"]
        linked = dst.objects[0]
        scene.collection.objects.link(linked)
        bpy.ops.openhuman.create_armature()
        local = scene.openhuman.armature
        local.name = "Source"  # a linked and a local object may share a name: keep them apart
        s = scene.openhuman
        s.method, s.transcript, s.audio_path, s.armature = "PROCEDURAL", "hi", {str(VOICE)!r}, linked
        r["linked_generate"] = attempt(bpy.ops.openhuman.generate)
        r["linked_import"] = attempt(bpy.ops.openhuman.import_bvh, filepath={str(tmp / "slow.bvh")!r})
        local_action = bpy.data.actions.new("mine")
        local.animation_data_create(); local.animation_data.action = local_action
        r["linked_retarget"] = attempt(bpy.ops.openhuman.retarget_action, source=local.name, target=linked.name)
        print("JSON:" + json.dumps(r))
    """)
    return seen, tmp


def test_a_folder_as_the_voice_clip_is_called_a_folder(refusals):
    assert_refused(refusals[0]["clip_folder"], "clip_folder.wav is a folder")


def test_no_clip_and_no_sound_strip_asks_for_a_voice(refusals):
    assert_refused(refusals[0]["no_voice"], "Choose a voice clip", "sound strip")


def test_several_sound_strips_none_selected_asks_which(refusals):
    assert_refused(refusals[0]["two_strips"], "2 sound strips", "select the voice's strip")


def test_the_only_sound_strip_is_the_voice_from_its_frame(refusals):
    case = refusals[0]["from_strip"]
    assert case["status"] == ["FINISHED"] and case["first_key"] == 40.0 and case["frame_start"] == 40
    assert case["strips"][0] == case["strips"][1]  # the voice is not added a second time


def test_an_unreadable_clip_with_the_model_method_says_what_is_wrong(refusals):
    case = refusals[0]["text_as_clip_model"]
    assert_refused(case, "Cannot read the voice clip", "notes.wav", "text file, not audio")


@pytest.mark.parametrize("name", ["slow", "huge", "tiny"])
def test_bvh_import_with_a_frame_time_outside_1_to_1000_fps_is_refused(refusals, name):
    assert_refused(refusals[0]["bvh_" + name], f"{name}.bvh:13:", "1 to 1000 fps")


def test_bvh_import_of_utf16_without_a_byte_order_mark_says_utf16(refusals):
    assert_refused(refusals[0]["bvh_bare16"], "UTF-16")


def test_bvh_export_to_a_folder_or_a_missing_folder_is_refused_before_work(refusals):
    seen, tmp = refusals
    assert_refused(seen["export_to_folder"], "out_folder.bvh is a folder")
    assert_refused(seen["export_missing_folder"], "does not exist")
    assert sorted(os.listdir(tmp / "out_folder.bvh")) == [] and not (tmp / "nope").exists()


@pytest.mark.parametrize("case", ["linked_generate", "linked_import", "linked_retarget"])
def test_a_linked_armature_is_refused_with_a_library_override_hint(refusals, case):
    assert_refused(refusals[0][case], "linked from", "library override")
