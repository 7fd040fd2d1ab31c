"""Words once in Blender: kept in the .blend, reused by every Generate of the same clip, and correctable."""

from helpers import ADDON_SCENE, VOICE, run_blender


def test_words_are_found_once_kept_in_the_blend_and_corrected_words_drive_the_result(tmp_path):
    blend = tmp_path / "scene.blend"
    result = run_blender(f"""
        s.audio_path, s.method = {str(VOICE)!r}, "PROCEDURAL"
        out = {{}}
        bpy.ops.openhuman.generate()
        out["first"] = s.words_summary
        s.emotion_a = "Sad"
        bpy.ops.openhuman.generate()
        out["second"] = s.words_summary
        bpy.ops.wm.save_as_mainfile(filepath={str(blend)!r})
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        s = bpy.context.scene.openhuman
        s.emotion_a = "Happy"
        bpy.ops.openhuman.generate()
        out["after_reload"] = s.words_summary
        bpy.ops.openhuman.edit_words()
        text = s.words_text
        lines = [l for l in text.as_string().splitlines() if l and not l.startswith("#")]
        out["listed"] = len(lines)
        first = lines[0].split()
        text.from_string("\\n".join([f"{{first[0]}} {{first[1]}} hello"] + lines[1:3]))
        bpy.ops.openhuman.generate()
        arm = s.armature
        out["edited_summary"] = s.words_summary
        out["edited_words"] = json.loads(arm.animation_data.action["openhuman_settings"])["words"]
        text.from_string("0.1 0.4 hello\\n0.5 oops\\n")
        actions = len(bpy.data.actions)
        try:
            bpy.ops.openhuman.generate()
            out["bad"] = "FINISHED"
        except RuntimeError as exc:
            out["bad"] = str(exc)
        out["bad_unchanged"] = len(bpy.data.actions) == actions
        bpy.ops.openhuman.forget_edited_words()
        out["forgotten"] = s.words_text is None
        print("JSON:" + json.dumps(out))
    """, prelude=ADDON_SCENE)
    assert "recognised" in result["first"] and "cache" not in result["first"]
    assert "reused from the cache" in result["second"]
    assert "reused from the cache" in result["after_reload"]  # the .blend kept them
    assert result["listed"] > 10
    assert "edited words" in result["edited_summary"] and result["edited_words"] == 3
    assert "line 2" in result["bad"] and "start end word" in result["bad"] and result["bad_unchanged"]
    assert result["forgotten"]


def test_word_lines_round_trip_and_name_the_bad_line():
    import pytest

    from openhuman.engine.errors import TranscriptError
    from openhuman.engine.speech.word_lines import format_word_lines, parse_word_lines
    from openhuman.engine.speech.words import WordSpan

    spans = [WordSpan("hello", 0.1, 0.42), WordSpan("New York", 0.5, 1.0)]
    assert parse_word_lines(format_word_lines(spans)) == spans
    for bad in ("0.5 0.2 backwards", "nan 1 word", "1 inf word", "0.1 0.2", "x y z"):
        with pytest.raises(TranscriptError, match="line 2"):
            parse_word_lines("0 0.1 ok\n" + bad)
    with pytest.raises(TranscriptError, match="no words"):
        parse_word_lines("# only a comment\n")


def test_transcribe_reads_the_sequencer_s_sound_strip_when_no_clip_is_chosen():
    result = run_blender(f"""
        import json, bpy
        bpy.ops.preferences.addon_enable(module="openhuman")
        scene = bpy.context.scene
        scene.sequence_editor_create()
        scene.sequence_editor.strips.new_sound("voice", {str(VOICE)!r}, 1, 30)
        s = scene.openhuman
        status = bpy.ops.openhuman.transcribe()
        print("JSON:" + json.dumps({{"status": sorted(status), "transcript": s.transcript}}))
    """)
    assert result["status"] == ["FINISHED"] and len(result["transcript"].split()) > 10
