"""Operators: copy an OpenHuman action onto another rig through its bone map; save a rig's bone map."""
from __future__ import annotations

import bpy

from ..engine.errors import OpenHumanError, RetargetError
from ..engine.motion import bonemaps
from ..engine.motion.skeleton_zeggs import JOINT_NAMES, zeggs_skeleton
from .rig_plan import chosen_bone_map, is_openhuman_rig, keying_problem, plan_for
from .rig_reader import read_action_motion
from .rig_writer import current_action_name, kept_note, write_action


def _armature(name: str):
    obj = bpy.data.objects.get(name) if name else None
    return obj if obj is not None and obj.type == "ARMATURE" else None


class OPENHUMAN_OT_retarget_action(bpy.types.Operator):
    """Copy an OpenHuman action (keys on the 75-bone OpenHuman armature) onto another rig through its bone map"""

    bl_idname = "openhuman.retarget_action"
    bl_label = "Retarget action"
    bl_options = {"REGISTER", "UNDO"}

    source: bpy.props.StringProperty(name="Source", description="OpenHuman armature with the action; empty: the one in the scene")
    target: bpy.props.StringProperty(name="Target", description="Armature to key; empty: the panel's armature or the active one")
    action: bpy.props.StringProperty(name="Action", description="Action to copy; empty: the source's current action")
    bone_map: bpy.props.StringProperty(name="Bone map", description="Preset, user map or .json file; empty: the target's map or detected")

    def execute(self, context):
        s = context.scene.openhuman
        target = _armature(self.target) or (s.armature if s.armature and not is_openhuman_rig(s.armature) else None) \
            or (context.active_object if context.active_object and context.active_object.type == "ARMATURE" else None)
        source = _armature(self.source) or next(
            (o for o in context.scene.objects if o.type == "ARMATURE" and o != target and is_openhuman_rig(o)
             and o.animation_data and o.animation_data.action), None)
        if target is None or source is None or target == source:
            self.report({"ERROR"}, "Needs an OpenHuman armature with an action (source) and another armature (target)")
            return {"CANCELLED"}
        if not is_openhuman_rig(source):
            self.report({"ERROR"}, f"'{source.name}' is not an OpenHuman armature (Create OpenHuman armature makes one)")
            return {"CANCELLED"}
        if problem := keying_problem(target):
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        action = bpy.data.actions.get(self.action) if self.action else None
        if self.action and action is None:
            self.report({"ERROR"}, f"No action named '{self.action}'")
            return {"CANCELLED"}
        try:
            motion = read_action_motion(source, zeggs_skeleton(), context.scene, action)
            plan, bone_map = plan_for(target, self.bone_map)
            name = f"{(action or source.animation_data.action).name}_{target.name}"
            fps = context.scene.render.fps / context.scene.render.fps_base
            start = int(round((action or source.animation_data.action).frame_range[0]))
            previous = current_action_name(target)
            write_action(target, motion, name, start, fps, {"retargeted_from": source.name},
                         rig_plan=(plan, bone_map))
        except OpenHumanError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        _report_plan(self, plan, bone_map, target, kept_note(previous))
        return {"FINISHED"}


class OPENHUMAN_OT_save_bone_map(bpy.types.Operator):
    """Save the armature's bone map (chosen or detected) as a JSON file you can edit and reuse"""

    bl_idname = "openhuman.save_bone_map"
    bl_label = "Save bone map"

    name: bpy.props.StringProperty(name="Name", description="Name of the user map (a file in the user bone-map folder)")
    target: bpy.props.StringProperty(name="Armature", description="Empty: the panel's armature")

    def invoke(self, context, event):
        arm = _armature(self.target) or context.scene.openhuman.armature
        if arm is not None and not self.name:
            self.name = f"{arm.name} map"
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        arm = _armature(self.target) or context.scene.openhuman.armature
        if arm is None:
            self.report({"ERROR"}, "Choose an armature first")
            return {"CANCELLED"}
        names = [b.name for b in arm.data.bones]
        try:
            try:
                base, _ = chosen_bone_map(arm)
                resolved, _ = bonemaps.resolve(base, names)
                settings = base.settings
            except RetargetError:  # nothing recognised: start from same-named bones
                resolved, settings = {n: n for n in JOINT_NAMES if n in arm.data.bones}, []
            bones = {n: resolved.get(n) for n in JOINT_NAMES}
            path = bonemaps.save_bone_map(bonemaps.BoneMap(self.name, bones, self.name,
                                                           f"Saved from '{arm.name}'", settings))
        except OpenHumanError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        arm.openhuman_bone_map = self.name
        self.report({"INFO"}, f"Bone map saved to {path}: edit it, it is used for '{arm.name}'")
        return {"FINISHED"}


def _report_plan(op, plan, bone_map, target, note: str = "") -> None:
    lines = [f"'{target.name}': {len(plan.pairs)} bones keyed with the '{bone_map.name}' map"]
    if plan.unmapped_source:
        lines.append(f"{len(plan.unmapped_source)} OpenHuman joints unmapped (e.g. {', '.join(plan.unmapped_source[:3])})")
    if plan.missing_targets:
        lines.append(f"{len(plan.missing_targets)} map bones missing on the rig (e.g. {plan.missing_targets[0]})")
    if plan.target_without_source:
        lines.append(f"{len(plan.target_without_source)} rig bones get no motion of their own")
    op.report({"INFO"}, "; ".join(lines) + note)
    for note in plan.notes:
        op.report({"WARNING"}, note)


def _bone_map_search(self, context, edit_text):
    return [m.name for m in bonemaps.list_bone_maps() if edit_text.lower() in m.name.lower()]


_classes = (OPENHUMAN_OT_retarget_action, OPENHUMAN_OT_save_bone_map)


def register():
    for cls in _classes:
        bpy.utils.register_class(cls)
    bpy.types.Object.openhuman_bone_map = bpy.props.StringProperty(
        name="Bone map", description="How this rig's bones take OpenHuman's joints: a preset, a user map or a "
        ".json file. Empty: detected from the bone names", search=_bone_map_search)


def unregister():
    del bpy.types.Object.openhuman_bone_map
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
