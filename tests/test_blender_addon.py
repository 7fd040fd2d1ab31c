"""The add-on in real headless Blender (bpy 5.0.1): install from the zip, Generate, cancel, undo, bad input.

Each test runs a script in a fresh interpreter (one Blender per process) and reads a JSON line back.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import helpers

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO / "examples" / "voice.wav"
TRANSCRIPT = REPO / "examples" / "voice.txt"


COUNTS = """
def counts():
    scene = bpy.context.scene
    strips = len(scene.sequence_editor.strips_all) if scene.sequence_editor else 0
    return {"objects": len(bpy.data.objects), "actions": len(bpy.data.actions), "sounds": len(bpy.data.sounds),
            "armatures": len(bpy.data.armatures), "meshes": len(bpy.data.meshes), "strips": strips,
            "frame_end": scene.frame_end}
"""



def run_blender(script: str, env=None, timeout=600) -> dict:
    return helpers.run_blender(script, prelude="import bpy\n" + COUNTS, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A small untrained model file: real weights, real pipeline, motion not yet meaningful."""
    return helpers.tiny_model_file(tmp_path_factory.mktemp("model") / "tiny.safetensors")




def test_extension_zip_builds_validates_installs_and_generates(tmp_path, tiny_model):
    tool = helpers.extension_builder()
    out = tmp_path / "zip"
    out.mkdir()
    subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(REPO), "--output-dir", str(out)],
                   check=True, capture_output=True, timeout=300)
    (zip_path,) = out.glob("openhuman-*.zip")
    subprocess.run([sys.executable, str(tool), "validate", str(zip_path)], check=True, capture_output=True)
    result = run_blender(f"""
        import json, sys, bpy
        bpy.ops.extensions.package_install_files(filepath={str(zip_path)!r}, repo="user_default", enable_on_install=True)
        enabled = [a.module for a in bpy.context.preferences.addons if a.module.endswith("openhuman")]
        module = enabled[0]
        assert sys.modules[module].__file__.startswith({str(tmp_path)!r}), sys.modules[module].__file__
        bpy.context.preferences.addons[module].preferences.model_path = {str(tiny_model)!r}
        bpy.ops.openhuman.create_armature()
        s = bpy.context.scene.openhuman
        s.audio_path = {str(SPEECH)!r}
        s.transcript = {str(TRANSCRIPT)!r}
        s.quality = "DRAFT"
        status = bpy.ops.openhuman.generate()
        action = s.armature.animation_data.action
        print("JSON:" + json.dumps({{"enabled": enabled, "status": sorted(status), "action": action.name,
                                    "settings": json.loads(action["openhuman_settings"])}}))
    """, env={"BLENDER_USER_RESOURCES": str(tmp_path / "blender-user")})
    assert result["enabled"] == ["bl_ext.user_default.openhuman"]
    assert result["status"] == ["FINISHED"] and result["action"] == "voice"
    assert result["settings"]["seed"] == 0 and result["settings"]["emotion"] == "Neutral"


def test_generate_keys_evaluate_to_the_command_line_motion(tmp_path, tiny_model):
    npz = tmp_path / "cli.npz"
    subprocess.run([sys.executable, "-m", "openhuman.cli", "generate", "--audio", str(SPEECH), "--transcript",
                    str(TRANSCRIPT), "--emotion", "Happy", "--seed", "5", "--quality", "draft", "--model", str(tiny_model),
                    "--device", "cpu", "--lock-root", "--out", str(npz)], check=True, capture_output=True, timeout=600)
    # Blender's Generate keeps the root on the spot by default: the command line's --lock-root
    result = run_blender(f"""
        import json, bpy, numpy as np
        bpy.ops.preferences.addon_enable(module="openhuman")
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(tiny_model)!r}
        bpy.ops.openhuman.create_armature()
        s = bpy.context.scene.openhuman
        s.audio_path, s.transcript, s.emotion_a, s.seed, s.quality = {str(SPEECH)!r}, {str(TRANSCRIPT)!r}, "Happy", 5, "DRAFT"
        bpy.context.scene.render.fps = 30
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        arm = s.armature
        scene = bpy.context.scene
        names = [b.name for b in arm.pose.bones]
        frames = {{}}
        for f in range(scene.frame_start, scene.frame_end + 1, 3):
            scene.frame_set(f)
            ev = arm.evaluated_get(bpy.context.evaluated_depsgraph_get())
            frames[f - scene.frame_start] = [list(ev.matrix_world @ pb.head) for pb in ev.pose.bones]
        strips = [(st.name, st.frame_start) for st in scene.sequence_editor.strips_all]
        print("JSON:" + json.dumps({{"names": names, "frames": frames, "strips": strips, "fps": scene.render.fps,
                                    "range": [scene.frame_start, scene.frame_end]}}))
    """)
    from openhuman.engine.motion.motion_io import load_motion_npz
    from openhuman.operators.rig_maths import to_blender_vectors

    motion = load_motion_npz(npz)
    world = to_blender_vectors(motion.world_positions())
    order = [motion.skeleton.index(n) for n in result["names"]]
    worst = 0.0
    for offset, heads in result["frames"].items():
        k = int(offset) * 20 // 30  # every 3rd frame at 30 fps is every 2nd at 20 fps
        worst = max(worst, float(np.abs(np.array(heads) - world[k][order]).max()))
    assert worst < 1e-3, worst
    assert result["strips"] == [["OpenHuman voice", 1]]
    assert result["range"] == [1, round(motion.duration * 30)]


def test_cancel_mid_run_and_bad_inputs_change_nothing(tmp_path, tiny_model):
    text_as_wav = tmp_path / "notes.wav"
    text_as_wav.write_text("this is not audio\n" * 50)
    import soundfile

    samples, rate = soundfile.read(SPEECH)
    long_clip = tmp_path / "long.wav"  # ~70 s: the reference sampler cannot finish before the cancel
    soundfile.write(long_clip, np.tile(samples, 10), rate)
    result = run_blender(f"""
        import json, threading, time, bpy
        bpy.ops.preferences.addon_enable(module="openhuman")
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(tiny_model)!r}
        bpy.ops.openhuman.create_armature()
        s = bpy.context.scene.openhuman
        s.audio_path, s.quality = {str(long_clip)!r}, "REFERENCE"
        before = counts()
        job = bpy.context.window_manager.openhuman_job
        threading.Timer(4.0, lambda: setattr(job, "cancel_requested", True)).start()
        t = time.perf_counter()
        cancelled = bpy.ops.openhuman.generate()
        after_cancel = counts()
        reports = {{}}
        def attempt(label, **settings):
            for k, v in settings.items():
                setattr(s, k, v)
            snapshot = counts()
            try:
                status = bpy.ops.openhuman.generate()
            except RuntimeError as exc:  # an operator's ERROR report raises in scripts
                status, message = {{"CANCELLED"}}, str(exc)
            else:
                message = ""
            reports[label] = {{"status": sorted(status), "message": message, "unchanged": counts() == snapshot}}
        s.quality = "DRAFT"
        attempt("missing", audio_path="/nonexistent/clip.wav")
        attempt("not_audio", audio_path={str(text_as_wav)!r})
        attempt("unknown_emotion", audio_path={str(SPEECH)!r}, emotion_a="Funny")
        s.emotion_a = "Neutral"
        arm = s.armature
        s.armature = None
        bpy.context.view_layer.objects.active = None
        attempt("no_armature")
        other = bpy.data.objects.new("Other", bpy.data.armatures.new("Other"))
        bpy.context.collection.objects.link(other)
        bpy.context.view_layer.objects.active = other
        bpy.ops.object.mode_set(mode="EDIT")
        other.data.edit_bones.new("mixamorig:Hips").tail = (0, 0, 1)
        bpy.ops.object.mode_set(mode="OBJECT")
        attempt("other_bones", armature=other)
        print("JSON:" + json.dumps({{"cancelled": sorted(cancelled), "seconds": time.perf_counter() - t,
                                    "before": before, "after_cancel": after_cancel, "reports": reports}}))
    """)
    assert result["cancelled"] == ["CANCELLED"] and result["seconds"] < 60
    assert result["after_cancel"] == result["before"]
    expected = {"missing": "not found", "not_audio": "voice clip", "unknown_emotion": "Unknown emotion 'Funny'",
                "no_armature": "target armature", "other_bones": "lacks"}
    for label, needle in expected.items():
        r = result["reports"][label]
        assert r["status"] == ["CANCELLED"] and r["unchanged"], (label, r)
        assert needle in r["message"], (label, r["message"])


def test_undo_after_generate_restores_the_scene(tmp_path, tiny_model):
    result = run_blender(f"""
        import json, bpy
        bpy.ops.preferences.addon_enable(module="openhuman")
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(tiny_model)!r}
        window = bpy.context.window_manager.windows[0]
        with bpy.context.temp_override(window=window, area=window.screen.areas[0]):
            bpy.ops.openhuman.create_armature()
            s = bpy.context.scene.openhuman
            s.audio_path, s.quality = {str(SPEECH)!r}, "DRAFT"
            bpy.ops.ed.undo_push(message="before generate")
            before = counts()
            assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
            # The UI pushes one undo step when an UNDO operator finishes; headless, a script does it
            # (an operator call with undo=True crashes the bpy module in background mode).
            bpy.ops.ed.undo_push(message="OpenHuman generate")
            after = counts()
            bpy.ops.ed.undo()
            undone = counts()
        print("JSON:" + json.dumps({{"before": before, "after": after, "undone": undone}}))
    """)
    assert result["after"] != result["before"]
    assert result["undone"] == result["before"]


def test_transcribe_button_fills_the_transcript(tmp_path):
    result = run_blender(f"""
        import json, bpy
        bpy.ops.preferences.addon_enable(module="openhuman")
        s = bpy.context.scene.openhuman
        s.audio_path = {str(SPEECH)!r}
        status = bpy.ops.openhuman.transcribe()
        print("JSON:" + json.dumps({{"status": sorted(status), "text": s.transcript, "summary": s.words_summary}}))
    """)
    assert result["status"] == ["FINISHED"]
    words = result["text"].split()
    reference = TRANSCRIPT.read_text().split()
    assert len(words) >= 0.7 * len(reference) and {"dashwood", "power"} & set(words)
    assert "recognised" in result["summary"]


def test_real_zeggs_character_from_fbx_follows_the_motion(zeggs_dir):
    """Keys written onto Blender's FBX import of the ZeroEGGs character evaluate to the engine's motion: the
    capture's rotations where the character is built like the capture, its bone directions everywhere."""
    result = run_blender(f"""
        import json, bpy, numpy as np
        from openhuman.engine.motion import bvh
        from openhuman.operators.rig_writer import write_action
        bpy.ops.import_scene.fbx(filepath={str(zeggs_dir / "LaForgeFemale.fbx")!r})
        arm = next(o for o in bpy.data.objects if o.type == "ARMATURE")
        motion = bvh.load({str(zeggs_dir / "067_Speech_2_part1.bvh")!r}).scaled(0.01)
        bpy.context.scene.render.fps = 30
        write_action(arm, motion, "clip", 1, 30.0)
        m = np.array(arm.matrix_world)
        rest = {{b.name: (m[:3, :3] @ np.array(b.head_local) + m[:3, 3]).tolist() for b in arm.data.bones}}
        frames = {{}}
        for f in (1, 150, 400, 700, 1000):
            bpy.context.scene.frame_set(f)
            ev = arm.evaluated_get(bpy.context.evaluated_depsgraph_get())
            frames[f] = {{pb.name: list(ev.matrix_world @ pb.head) for pb in ev.pose.bones}}
        print("JSON:" + json.dumps({{"rest": rest, "frames": frames}}))
    """)
    from openhuman.engine.motion import bvh
    from openhuman.engine.motion.motion import Motion, Skeleton
    from openhuman.engine.motion.retarget import _aim_child
    from openhuman.operators.rig_maths import Y_UP_TO_Z_UP, to_blender_vectors

    motion = bvh.load(zeggs_dir / "067_Speech_2_part1.bvh").scaled(0.01)
    sk = motion.skeleton
    # The character's own proportions, measured from its rest pose (engine frame, metres).
    heads = {n: np.array(p) @ Y_UP_TO_Z_UP for n, p in result["rest"].items()}
    offsets = np.array([heads[n] - (heads[sk.names[p]] if p >= 0 else 0) for n, p in zip(sk.names, sk.parents)])
    own = Motion(motion.root_positions, motion.rotations, motion.fps, Skeleton(sk.names, sk.parents, offsets))
    differs = np.linalg.norm(offsets - sk.offsets, axis=1) > 1e-3  # thumbs, toes, the head's end are built differently
    differs[0] = False  # the root's rest offset plays no part: the character's rest hips place the motion
    assert differs.sum() <= 12
    # A bone that aims at a re-proportioned child is turned to keep that child's direction (retargeting keeps
    # world bone directions); every joint below no such bone takes the capture's rotations exactly.
    realigned = [any(differs[c] for c in sk.children(j)) for j in range(sk.n_joints)]
    exact = np.ones(sk.n_joints, bool)
    for j in range(sk.n_joints):
        p = sk.parents[j]
        while p >= 0 and exact[j]:
            exact[j] = not realigned[p]
            p = sk.parents[p]
    assert exact.sum() >= 50
    aims = [(j, _aim_child(sk, j)) for j in range(sk.n_joints) if _aim_child(sk, j) is not None
            and np.linalg.norm(offsets[_aim_child(sk, j)]) > 0.01]
    for f, got in result["frames"].items():
        got = np.array([got[n] for n in sk.names])
        own_pose = to_blender_vectors(own.world_positions()[int(f) - 1])
        error = np.abs((got - got[0]) - (own_pose - own_pose[0])).max(axis=1)
        assert error[exact].max() < 1e-3, [(sk.names[j], e) for j, e in enumerate(error) if exact[j] and e >= 1e-3]
        take = to_blender_vectors(motion.world_positions()[int(f) - 1])
        for j, c in aims:  # every bone points where the captured one points
            a, b = got[c] - got[j], take[c] - take[j]
            angle = np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1.0, 1.0)))
            assert angle < 1.0, (sk.names[j], angle)


def test_regenerate_keyframed_gamma_bvh_export_and_preview(tmp_path, tiny_model):
    result = run_blender(f"""
        import json, bpy, numpy as np
        bpy.ops.preferences.addon_enable(module="openhuman")
        bpy.context.preferences.addons["openhuman"].preferences.model_path = {str(tiny_model)!r}
        from openhuman.operators.generate import gamma_curve
        scene = bpy.context.scene
        scene.render.fps = 30
        bpy.ops.openhuman.create_armature()
        s = scene.openhuman
        s.audio_path, s.quality, s.emotion_a, s.emotion_b = {str(SPEECH)!r}, "DRAFT", "Happy", "Sad"
        s.gamma = 0.0
        s.keyframe_insert("gamma", frame=1)
        s.gamma = 1.0
        s.keyframe_insert("gamma", frame=151)
        curve = gamma_curve(scene, s, 5.0).per_frame(100).tolist()
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        first = s.armature.animation_data.action
        first_settings = json.loads(first["openhuman_settings"])
        n_curves = len(first.layers[0].strips[0].channelbags[0].fcurves)
        s.method = "PROCEDURAL"  # real gestures for the preview below (the test model is untrained)
        assert bpy.ops.openhuman.generate() == {{"FINISHED"}}
        actions = [a.name for a in bpy.data.actions if a.name != scene.animation_data.action.name]
        n_keys = len(first.layers[0].strips[0].channelbags[0].fcurves[0].keyframe_points)
        bpy.ops.openhuman.export_bvh(filepath={str(tmp_path / "out.bvh")!r})
        bpy.ops.openhuman.render_preview(directory={str(tmp_path)!r}, video=False, frames=4)
        heads = []
        for f in (1, 100):
            scene.frame_set(f)
            ev = s.armature.evaluated_get(bpy.context.evaluated_depsgraph_get())
            heads.append([list(ev.matrix_world @ pb.head) for pb in ev.pose.bones])
        settings = json.loads(s.armature.animation_data.action["openhuman_settings"])
        print("JSON:" + json.dumps({{"curve": [curve[0], curve[50], curve[99]], "actions": actions, "curves": n_curves,
                                    "keys": n_keys, "frame_end": scene.frame_end, "names": [b.name for b in s.armature.pose.bones],
                                    "heads": heads, "settings": settings, "first_settings": first_settings}}))
    """)
    assert result["curve"][0] == 0.0 and 0.45 < result["curve"][1] < 0.55 and result["curve"][2] > 0.99
    assert result["actions"] == ["voice", "voice.001"]  # each run a new action; the earlier one stashed
    assert result["curves"] == 75 * 4 + 3 and result["keys"] == result["frame_end"] - 1
    assert result["first_settings"]["emotion_b"] == "Sad" and len(result["first_settings"]["gamma"]["values"]) > 100
    assert result["settings"]["method"] == "procedural"

    from openhuman.engine.motion import bvh
    from openhuman.operators.rig_maths import to_blender_vectors

    exported = bvh.load(tmp_path / "out.bvh").scaled(0.01)
    world = to_blender_vectors(exported.world_positions())
    order = [exported.skeleton.index(n) for n in result["names"]]
    for k, f in enumerate((1, 100)):
        assert np.abs(world[f - 1][order] - np.array(result["heads"][k])).max() < 1e-3

    sheet = tmp_path / "voice.001_sheet.png"  # named after the armature's current action
    import matplotlib.image

    pixels = matplotlib.image.imread(sheet)[..., :3]
    tiles = [pixels[:, i * 320:(i + 1) * 320] for i in range(4)]
    for tile in tiles:
        border = np.concatenate([tile[0], tile[-1], tile[:, 0], tile[:, -1]])
        figure = np.abs(tile - np.median(border, axis=0)).max(-1) > 0.1  # the character against the background
        assert 0.01 < figure.mean() < 0.5, figure.mean()
    assert max(np.abs(tiles[0] - t).mean() for t in tiles[1:]) > 1e-3  # the poses differ
