"""Directing in Blender (issue 15): Regenerate range keeps every key outside the range, the directing
settings live on scene.openhuman and are kept in the .blend; real bpy, a real LibriVox voice."""
from helpers import ADDON_SCENE, VOICE, run_blender


def test_regenerate_range_keeps_every_key_outside_it(tmp_path):
    blend = tmp_path / "directed.blend"
    result = run_blender(f"""
        s.audio_path, s.method = {str(VOICE)!r}, "PROCEDURAL"
        bpy.ops.openhuman.generate()
        arm = s.armature
        def keys(action):
            from bpy_extras.anim_utils import action_get_channelbag_for_slot
            bag = action_get_channelbag_for_slot(action, action.slots[0])
            return {{f"{{fc.data_path}}[{{fc.array_index}}]": [tuple(k.co) for k in fc.keyframe_points] for fc in bag.fcurves}}
        old = arm.animation_data.action
        before = keys(old)
        out = {{"old": old.name}}
        try:
            bpy.ops.openhuman.regenerate_range()
            out["no_range"] = "FINISHED"
        except RuntimeError as exc:
            out["no_range"] = str(exc)
        out["unchanged"] = arm.animation_data.action == old and len(bpy.data.actions) == 1
        scene.use_preview_range, scene.frame_preview_start, scene.frame_preview_end = True, 60, 110
        s.emotion_a = "Happy"
        bpy.ops.openhuman.regenerate_range()
        new = arm.animation_data.action
        after = keys(new)
        out["new"] = new.name
        out["stashed"] = [st.action.name for t in arm.animation_data.nla_tracks for st in t.strips]
        outside_same = inside_changed = 0
        for path, ks in before.items():
            a = {{f: v for f, v in ks if not 60 <= f <= 110}}
            b = {{f: v for f, v in after[path] if not 60 <= f <= 110}}
            outside_same += a == b
            inside_a = [v for f, v in ks if 60 <= f <= 110]
            inside_b = [v for f, v in after[path] if 60 <= f <= 110]
            inside_changed += inside_a != inside_b and len(inside_b) == 51
        out["curves"], out["outside_same"], out["inside_changed"] = len(before), outside_same, inside_changed
        out["settings"] = json.loads(new["openhuman_settings"])["regenerated_frames"]
        s.body, s.lock_root, s.start_from_pose, s.end_on_pose = "UPPER", False, True, True
        s.listening = True
        bpy.ops.openhuman.generate()
        listener = arm.animation_data.action
        out["listener"] = json.loads(listener["openhuman_settings"])["listening"]
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        s = bpy.context.scene.openhuman
        out["kept"] = [s.body, s.lock_root, s.start_from_pose, s.end_on_pose, s.listening]
        print("JSON:" + json.dumps(out))
    """, prelude=ADDON_SCENE)
    assert "preview range" in result["no_range"] and result["unchanged"]
    assert result["new"] != result["old"] and result["old"] in result["stashed"]
    assert result["outside_same"] == result["curves"] == 75 * 4 + 3
    assert result["inside_changed"] >= 0.5 * result["curves"]  # legs stand still in both takes
    assert result["settings"] == [60, 110]
    assert result["kept"] == ["UPPER", False, True, True, True] and result["listener"] is True


def test_generate_stays_on_the_spot_and_starts_from_the_pose_before(tmp_path):
    result = run_blender(f"""
        import numpy as np
        s.audio_path, s.method, s.start_frame = {str(VOICE)!r}, "PROCEDURAL", 40
        arm = s.armature
        hand = arm.pose.bones["RightHand"]
        arm.pose.bones["RightArm"].rotation_mode = "QUATERNION"
        arm.pose.bones["RightArm"].rotation_quaternion = (0.8, 0.6, 0.0, 0.0)
        arm.pose.bones["RightArm"].keyframe_insert("rotation_quaternion", frame=39)
        scene.frame_set(39)
        lead = np.array(arm.matrix_world @ hand.head)
        s.start_from_pose = True
        s.emotion_a = "Relaxed"
        bpy.ops.openhuman.generate()
        scene.frame_set(40)
        first = np.array(arm.matrix_world @ hand.head)
        root = [np.array(arm.matrix_world @ arm.pose.bones["Hips"].head) for f in range(40, 200, 5)
                if scene.frame_set(f) is None]
        travel = max(np.linalg.norm((r - root[0])[[0, 1]]) for r in root)  # Blender's floor is X-Y
        print("JSON:" + json.dumps({{"start_error": float(np.linalg.norm(first - lead)), "travel": float(travel)}}))
    """, prelude=ADDON_SCENE)
    assert result["start_error"] < 0.01
    assert result["travel"] <= 0.021


def test_takes_are_actions_to_play_with_one_click_and_keep(tmp_path):
    blend = tmp_path / "takes.blend"
    result = run_blender(f"""
        s.audio_path, s.method, s.takes, s.seed = {str(VOICE)!r}, "PROCEDURAL", 3, 10
        bpy.ops.openhuman.generate()
        from openhuman.operators.takes import takes_of
        arm = s.armature
        takes = takes_of(arm)
        out = {{"names": [a.name for a in takes], "playing": arm.animation_data.action.name,
                "seeds": [json.loads(a["openhuman_settings"])["seed"] for a in takes]}}
        bpy.ops.openhuman.play_take(action=takes[2].name)
        out["after_click"] = arm.animation_data.action.name
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        arm = bpy.context.scene.openhuman.armature
        out["reopened"] = [a.name for a in takes_of(arm)]
        bpy.ops.openhuman.keep_take()
        out["left"] = sorted(a.name for a in bpy.data.actions)
        out["playing_kept"] = arm.animation_data.action.name
        print("JSON:" + json.dumps(out))
    """, prelude=ADDON_SCENE)
    names = result["names"]
    assert len(names) == 3 and result["seeds"] == [10, 11, 12] and result["playing"] == names[0]
    assert result["after_click"] == names[2] and result["reopened"] == names  # every take survives a save
    assert result["left"] == [names[2]] and result["playing_kept"] == names[2]
