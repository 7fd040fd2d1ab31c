"""Operators: create the OpenHuman armature; import and export BVH through the engine."""
import os

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..engine.errors import OpenHumanError
from ..engine.motion.skeleton_zeggs import zeggs_skeleton
from .armature_builder import create_armature
from .rig_plan import keying_problem
from .rig_writer import current_action_name, kept_note
from .scene_writer import apply_result


class OPENHUMAN_OT_create_armature(bpy.types.Operator):
    """Add the 75-bone OpenHuman armature with a simple body, standing at the origin"""

    bl_idname = "openhuman.create_armature"
    bl_label = "Create OpenHuman armature"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        if context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        obj = create_armature(context, zeggs_skeleton())
        context.scene.openhuman.armature = obj
        return {"FINISHED"}


class OPENHUMAN_OT_import_bvh(bpy.types.Operator, ImportHelper):
    """Import a BVH on the 75-joint skeleton as keys on the target armature (engine BVH reader)"""

    bl_idname = "openhuman.import_bvh"
    bl_label = "Import BVH"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".bvh"
    filter_glob: bpy.props.StringProperty(default="*.bvh", options={"HIDDEN"})
    scale: bpy.props.FloatProperty(name="Scale", default=0.01, description="File units to metres (ZeroEGGs: cm → 0.01)")

    def execute(self, context):
        from ..engine.motion import bvh

        arm = context.scene.openhuman.armature
        if arm is None:
            self.report({"ERROR"}, "Choose a target armature (or create the OpenHuman armature) first")
            return {"CANCELLED"}
        if problem := keying_problem(arm):
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        try:
            motion = bvh.load(self.filepath).scaled(self.scale)
        except OpenHumanError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        missing = [n for n in motion.skeleton.names if n not in arm.data.bones]
        if missing:
            self.report({"ERROR"}, f"Armature '{arm.name}' has no bone '{missing[0]}' (and {len(missing) - 1} more)")
            return {"CANCELLED"}
        previous = current_action_name(arm)
        action = apply_result(context, arm, motion, None, context.scene.openhuman.start_frame,
                              {"imported": os.path.basename(self.filepath)}, False,
                              action_name=os.path.splitext(os.path.basename(self.filepath))[0])
        self.report({"INFO"}, f"Imported {motion.n_frames} frames onto '{arm.name}' as the action '{action.name}'"
                    + kept_note(previous))
        return {"FINISHED"}


class OPENHUMAN_OT_export_bvh(bpy.types.Operator, ExportHelper):
    """Export the target armature's animation over the scene range as BVH (centimetres, ZYX)"""

    bl_idname = "openhuman.export_bvh"
    bl_label = "Export BVH"
    filename_ext = ".bvh"
    filter_glob: bpy.props.StringProperty(default="*.bvh", options={"HIDDEN"})

    def execute(self, context):
        from ..engine.motion import bvh
        from ..engine.output_check import check_output
        from .rig_reader import read_motion

        arm = context.scene.openhuman.armature
        if arm is None:
            self.report({"ERROR"}, "Choose the armature to export first")
            return {"CANCELLED"}
        skeleton = zeggs_skeleton()
        missing = [n for n in skeleton.names if n not in arm.pose.bones]
        if missing:
            self.report({"ERROR"}, f"Armature '{arm.name}' has no bone '{missing[0]}' ({len(missing)} missing): "
                        "BVH export writes the 75-bone OpenHuman armature; choose one")
            return {"CANCELLED"}
        try:  # before reading any frame: a folder or read-only place is refused at once
            check_output(bpy.path.abspath(self.filepath), what="BVH file")
        except OpenHumanError as exc:
            self.report({"ERROR"}, f"Cannot export: {exc}")
            return {"CANCELLED"}
        motion = read_motion(context, arm, skeleton)
        try:
            bvh.save(bpy.path.abspath(self.filepath), motion.scaled(100.0))
        except OSError as exc:
            self.report({"ERROR"}, f"Cannot write {self.filepath}: {exc.strerror or exc}; choose another place")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {motion.n_frames} frames to {self.filepath}")
        return {"FINISHED"}
