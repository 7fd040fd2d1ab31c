"""The OpenHuman tab in the 3D Viewport's sidebar. Draws only; every action is an operator."""
import bpy


class _Sidebar:
    """Where OpenHuman's panels live: the OpenHuman tab of the 3D Viewport's sidebar."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "OpenHuman"


class OPENHUMAN_PT_main(_Sidebar, bpy.types.Panel):
    bl_label = "OpenHuman"
    bl_idname = "OPENHUMAN_PT_main"

    def draw(self, context):
        from ..operators.generate import check_inputs, find_voice

        s = context.scene.openhuman
        job = context.window_manager.openhuman_job
        layout = self.layout
        col = layout.column()
        col.prop(s, "audio_path")
        if not s.audio_path:  # the voice may already be in the sequencer
            voice, _problem = find_voice(context)
            if voice is not None:
                col.label(text=f"Voice: sound strip '{voice.strip}' from frame {voice.start_frame}", icon="SOUND")
        row = col.row(align=True)
        row.prop(s, "transcript")
        row.operator("openhuman.transcribe", text="", icon="REC")
        if s.words_text is not None:
            row = col.row(align=True)
            row.label(text=f"Using the edited words in '{s.words_text.name}'", icon="TEXT")
            row.operator("openhuman.forget_edited_words", text="", icon="X")
        elif s.words_summary:
            row = col.row(align=True)
            row.label(text=s.words_summary, icon="SYNTAX_OFF")
            row.operator("openhuman.edit_words", text="", icon="GREASEPENCIL")
        col.separator()
        col.prop(s, "method", text="")
        col.prop(s, "emotion_a")
        col.prop(s, "emotion_b")
        row = col.row()
        row.enabled = bool(s.emotion_b)
        row.prop(s, "gamma", slider=True)
        col.prop(s, "intensity")
        row = col.row(align=True)
        row.prop(s, "seed")
        row.operator("openhuman.new_seed", text="", icon="FILE_REFRESH")
        col.prop(s, "quality")
        col.prop(s, "takes")
        col.separator()
        row = col.row(align=True)
        row.prop(s, "armature")
        row.operator("openhuman.create_armature", text="", icon="ARMATURE_DATA")
        if s.armature and s.armature.get("openhuman_skeleton") != "zeggs-75":  # a user rig: keys go through a bone map
            row = col.row(align=True)
            row.prop(s.armature, "openhuman_bone_map", text="Bone map", icon="GROUP_BONE")
            row.operator("openhuman.save_bone_map", text="", icon="FILE_TICK")
            col.operator("openhuman.retarget_action", icon="ARMATURE_DATA")
        row = col.row()
        row.enabled = bool(s.audio_path)  # a sound strip's voice starts at the strip's own frame
        row.prop(s, "start_frame")
        col.prop(s, "set_frame_range")
        col.separator()
        col.prop(s, "body", text="")
        row = col.row(align=True)
        row.prop(s, "lock_root")
        row.prop(s, "listening")
        row = col.row(align=True)
        row.prop(s, "start_from_pose", toggle=True)
        row.prop(s, "end_on_pose", toggle=True)
        col.separator()
        if job.running:
            col.progress(factor=job.progress / 100.0, text=job.stage or "working")
            col.operator("openhuman.cancel", icon="CANCEL")
        else:
            problem = check_inputs(context)
            row = col.row()
            row.enabled = problem is None
            row.scale_y = 1.5
            row.operator("openhuman.generate", icon="PLAY")
            row = col.row()
            row.enabled = problem is None
            row.operator("openhuman.regenerate_range", icon="SEQ_STRIP_DUPLICATE")
            if problem:
                col.label(text=problem, icon="INFO")
        self._draw_takes(col, s.armature or context.active_object)

    def _draw_takes(self, col, arm):
        from ..operators.takes import NUMBER, takes_of

        takes = takes_of(arm) if arm is not None and arm.type == "ARMATURE" else []
        if not takes:
            return
        box = col.box()
        box.label(text="Takes (click to play)", icon="ACTION")
        row = box.row(align=True)
        for action in takes:
            playing = arm.animation_data.action == action
            op = row.operator("openhuman.play_take", text=str(action.get(NUMBER)), depress=playing)
            op.action = action.name
        box.operator("openhuman.keep_take", icon="CHECKMARK")


class OPENHUMAN_PT_files(_Sidebar, bpy.types.Panel):
    bl_label = "Motion files"
    bl_idname = "OPENHUMAN_PT_files"
    bl_parent_id = "OPENHUMAN_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        row = self.layout.row(align=True)
        row.operator("openhuman.import_bvh", icon="IMPORT")
        row.operator("openhuman.export_bvh", icon="EXPORT")
        self.layout.operator("openhuman.render_preview", icon="RENDER_ANIMATION")
