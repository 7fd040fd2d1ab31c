"""Regenerate range: make one stretch of the armature's action anew and keep every other key."""
from __future__ import annotations

import bpy

from ..engine.errors import OpenHumanError
from .generate import GenerateJob


def edit_range_frames(scene) -> tuple[int, int]:
    """The frames to make anew: the preview range when it is on, else the two selected markers."""
    if scene.use_preview_range:
        return scene.frame_preview_start, scene.frame_preview_end
    marked = sorted(m.frame for m in scene.timeline_markers if m.select)
    if len(marked) != 2:
        raise OpenHumanError("choose the stretch to make anew: turn on the preview range (Timeline > Playback > "
                             "Preview Range) or select two markers")
    return marked[0], marked[1]


class OPENHUMAN_OT_regenerate_range(GenerateJob, bpy.types.Operator):
    """Make the preview range (or the stretch between two selected markers) anew with the current
    settings; every key outside it stays exactly as it is"""

    bl_idname = "openhuman.regenerate_range"
    bl_label = "Regenerate range"
    bl_options = {"REGISTER", "UNDO"}

    def _directing(self, context, arm, voice, seconds: float):
        from ..engine.motion.skeleton_zeggs import zeggs_skeleton
        from .rig_plan import is_openhuman_rig
        from .rig_reader import read_action_motion

        constraints = super()._directing(context, arm, voice, seconds)
        if not is_openhuman_rig(arm):
            raise OpenHumanError(f"Regenerate range works on the 75-bone OpenHuman armature; '{arm.name}' is another "
                                 "rig: regenerate on the OpenHuman armature, then retarget")
        anim = arm.animation_data
        if anim is None or anim.action is None:
            raise OpenHumanError(f"'{arm.name}' has no action to edit: generate first")
        start = int(round(anim.action.frame_range[0]))
        if start != voice.start_frame:
            raise OpenHumanError(f"the action '{anim.action.name}' starts at frame {start} but the voice at frame "
                                 f"{voice.start_frame}: regenerate a range of the action made for this voice")
        first, last = edit_range_frames(context.scene)
        fps = context.scene.render.fps / context.scene.render.fps_base
        constraints.edit = read_action_motion(arm, zeggs_skeleton(), context.scene)
        constraints.edit_range = ((first - voice.start_frame) / fps, (last + 1 - voice.start_frame) / fps)
        self._range_frames = (first, last)
        self._takes = 1
        return constraints

    def _apply(self, context, arm, result, voice, settings):
        from .rig_writer import replace_range

        fps = context.scene.render.fps / context.scene.render.fps_base
        first, last = self._range_frames
        return replace_range(arm, result.motion, voice.start_frame, fps, first, last,
                             {**settings, "regenerated_frames": [first, last]})
