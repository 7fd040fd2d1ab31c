"""Put a generated result into the scene: the action, the voice as a sound strip, the frame range."""
from __future__ import annotations

from pathlib import Path

from ..engine.motion.motion import Motion
from .rig_writer import write_action

SOUND_STRIP_PREFIX = "OpenHuman "


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def add_sound_strip(scene, audio_path: str, start_frame: int):
    """The voice clip as a sound strip at start_frame; replaces our earlier strip for the same clip."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    name = SOUND_STRIP_PREFIX + Path(audio_path).stem
    old = editor.strips.get(name)
    if old is not None:
        editor.strips.remove(old)
    used = {s.channel for s in editor.strips_all}
    channel = next(c for c in range(1, 129) if c not in used)
    return editor.strips.new_sound(name, str(audio_path), channel, start_frame)


def action_name_for(audio_path: str | None) -> str:
    """Actions are named after the clip (Blender adds .001… when the name is taken)."""
    return Path(audio_path).stem if audio_path else "OpenHuman"


def finish_scene(scene, motion: Motion, audio_path: str | None, start_frame: int, set_frame_range: bool,
                 sound_strip: bool) -> None:
    """The voice's sound strip (unless it is already in the sequencer) and the frame range."""
    fps = scene_fps(scene)
    if audio_path and sound_strip:
        add_sound_strip(scene, audio_path, start_frame)
    if set_frame_range:
        scene.frame_start = start_frame
        scene.frame_end = start_frame + max(1, int(round(motion.duration * fps))) - 1


def apply_result(context, arm, motion: Motion, audio_path: str | None, start_frame: int, settings: dict,
                 set_frame_range: bool = True, *, bone_map_name: str = "", action_name: str | None = None,
                 sound_strip: bool = True):
    """Keys on the armature (any rig, through its bone map) in a new action of its own (the earlier one
    is stashed), the voice's sound strip (`sound_strip=False` when it is in the sequencer already) and
    the frame range."""
    scene = context.scene
    name = action_name or action_name_for(audio_path)
    action = write_action(arm, motion, name, start_frame, scene_fps(scene), settings, bone_map_name=bone_map_name)
    finish_scene(scene, motion, audio_path, start_frame, set_frame_range, sound_strip)
    return action
