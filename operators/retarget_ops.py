"""Retargeting in Blender: read a rig's rest pose, measure what its bones follow, write keys in bulk.

The maths is engine/motion/retarget.py; this module only reads bpy data and writes actions. Plain rigs
(every bone moved by its parent) are read directly. Rigs driven through constraints (Rigify's
controls, whose deform bones copy them) are probed once: each mapped bone is turned in turn and
the mapped bones that follow it are recorded, so keys on a control are computed relative to the
control it really follows. The target's rest pose (edit bones) is never touched.
"""
from __future__ import annotations

import json

import bpy
import numpy as np
from mathutils import Matrix, Quaternion

from ..engine.motion import bonemaps, quat
from ..engine.errors import OpenHumanError, RetargetError
from ..engine.motion.motion import Motion
from ..engine.motion.retarget import RigRest, plan_retarget, retarget
from ..engine.motion.skeleton_zeggs import JOINT_NAMES, zeggs_skeleton
from .fcurves import writable_fcurves
from .keyframes import _write_curve, current_action_name, keying_problem, kept_note, new_action
from .rig_reader import read_action_motion

OPENHUMAN_SKELETON = "zeggs-75"
_PROBE = Quaternion((0.6, 0.5, 0.62), 0.6)  # a turn off every bone axis, so followers always move
_RIGID_DEGREES = 1.0


def is_openhuman_rig(arm) -> bool:
    """An armature made by Create OpenHuman armature: its bones take the engine's keys directly."""
    return arm.get("openhuman_skeleton") == OPENHUMAN_SKELETON and all(n in arm.data.bones for n in JOINT_NAMES)


def chosen_bone_map(arm, override: str = ""):
    """(BoneMap, score) for a rig: the override, the rig's own choice, else the best detected map."""
    choice = override or getattr(arm, "openhuman_bone_map", "")
    names = [b.name for b in arm.data.bones]
    if choice:
        m = bonemaps.load_bone_map(bpy.path.abspath(choice) if choice.startswith("//") else choice)
        return m, bonemaps.score(m, names)
    return bonemaps.pick(names, arm.name)


def target_problem(arm) -> str | None:
    """Why keys cannot go onto this armature now, or None. Cheap: the panel calls it on every redraw."""
    linked = keying_problem(arm)
    if linked:
        return linked
    if is_openhuman_rig(arm):
        return None
    try:
        m, score = chosen_bone_map(arm)
    except OpenHumanError as exc:
        return str(exc)
    # A detected map already has the rig's core chain; only a map the user chose can miss most bones.
    if getattr(arm, "openhuman_bone_map", "") and score < 0.3:
        return f"Armature '{arm.name}' lacks most bones of the bone map '{m.name}' ({score:.0%} found)"
    return None


def rig_rest(arm) -> RigRest:
    """The armature's rest pose (edit bones) in armature space."""
    bones = arm.data.bones
    names = [b.name for b in bones]
    index = {n: i for i, n in enumerate(names)}
    parents = [index[b.parent.name] if b.parent else -1 for b in bones]
    heads = [tuple(b.head_local) for b in bones]
    tails = [tuple(b.tail_local) for b in bones]
    rotations = [tuple(b.matrix_local.to_quaternion()) for b in bones]
    return RigRest(names, parents, heads, tails, rotations)


def _constrained(arm) -> bool:
    anim = arm.animation_data
    return any(pb.constraints for pb in arm.pose.bones) or bool(anim and anim.drivers)


def apply_settings(arm, settings: list[dict]) -> list[str]:
    """Set a map's rig switches (e.g. Rigify's IK_FK) on the pose bones; notes for the ones missing."""
    notes = []
    for s in settings:
        pb = arm.pose.bones.get(s["bone"])
        if pb is None or s["property"] not in pb.keys():
            notes.append(f"setting {s['bone']}[{s['property']}] not on this rig: skipped")
            continue
        pb[s["property"]] = type(pb[s["property"]])(s["value"])
    arm.update_tag()  # drivers read custom properties only when the object is re-evaluated
    return notes


def _evaluated_pose(arm, names) -> tuple[np.ndarray, np.ndarray]:
    bpy.context.view_layer.update()
    pose = arm.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose.bones
    rot = np.array([list(pose[n].matrix.to_quaternion()) for n in names])
    head = np.array([list(pose[n].head) for n in names])
    return rot, head


def probe_follow(arm, rest: RigRest, mapped: list[int]) -> tuple[np.ndarray, list[str]]:
    """Per bone, the mapped bone whose motion it inherits (-1: none), measured by turning each one.

    The rig is evaluated without its action and with every pose bone at rest, then restored.
    """
    follow = np.full(len(rest.names), -1, dtype=np.int64)
    names = [rest.names[k] for k in mapped]
    notes: list[str] = []
    anim = arm.animation_data
    saved_action = anim.action if anim else None
    saved = {pb.name: pb.matrix_basis.copy() for pb in arm.pose.bones}
    try:
        if anim:
            anim.action = None
        for pb in arm.pose.bones:
            pb.matrix_basis = Matrix.Identity(4)
        base_rot, base_head = _evaluated_pose(arm, names)
        drift = np.degrees(quat.angle_between(base_rot, rest.rotations[mapped]))
        for n, d in zip(names, drift):
            if d > _RIGID_DEGREES:
                notes.append(f"{n}: at rest it is turned {d:.0f}° from its edit-mode rest (constraints)")
        size = float(np.ptp(rest.heads, axis=0).max()) or 1.0
        moves: dict[int, set[int]] = {}
        turned: dict[int, np.ndarray] = {}
        for i, name in enumerate(names):
            pb = arm.pose.bones[name]
            pb.matrix_basis = _PROBE.to_matrix().to_4x4()
            rot, head = _evaluated_pose(arm, names)
            pb.matrix_basis = Matrix.Identity(4)
            changed = (np.degrees(quat.angle_between(rot, base_rot)) > 0.1) | \
                      (np.linalg.norm(head - base_head, axis=-1) > 1e-5 * size)
            if not changed[i]:
                notes.append(f"{name}: its own keys do not move it (constraints override them): map another bone")
            moves[i] = {c for c in np.nonzero(changed)[0] if c != i}
            turned[i] = rot
        for c in range(len(names)):
            leaders = [i for i in moves if c in moves[i]]
            if not leaders:
                continue
            lead = min(leaders, key=lambda i: len(moves[i]))
            follow[mapped[c]] = mapped[lead]
            # Rigid following: the follower turns exactly as its leader turned.
            delta = quat.multiply(turned[lead][lead], quat.conjugate(base_rot[lead]))
            expected = quat.multiply(delta, base_rot[c])
            error = np.degrees(quat.angle_between(expected, turned[lead][c]))
            if error > _RIGID_DEGREES:
                notes.append(f"{names[c]} follows {names[lead]} only in part ({error:.0f}° off): approximate")
    finally:
        for pb in arm.pose.bones:
            pb.matrix_basis = saved[pb.name]
        if anim:
            anim.action = saved_action
        bpy.context.view_layer.update()
    return follow, notes


def plan_for(arm, bone_map_name: str = ""):
    """(RetargetPlan, BoneMap) for keys from the OpenHuman skeleton onto `arm`."""
    bone_map, _score = chosen_bone_map(arm, bone_map_name)
    resolved, missing = bonemaps.resolve(bone_map, [b.name for b in arm.data.bones])
    rest = rig_rest(arm)
    notes = apply_settings(arm, bone_map.settings)
    follow = None
    if _constrained(arm):
        mapped = [rest.index(b) for b in resolved.values()]
        follow, more = probe_follow(arm, rest, mapped)
        notes += more
    report = [b.name for b in arm.data.bones if b.use_deform and not b.name.startswith(("DEF-", "ORG-", "MCH-"))]
    if _constrained(arm):  # the deform bones follow controls: list the controls instead
        report = [pb.name for pb in arm.pose.bones if not pb.constraints
                  and not pb.name.startswith(("DEF-", "ORG-", "MCH-", "VIS_")) and not pb.bone.hide]
    plan = plan_retarget(zeggs_skeleton(), rest, resolved, follow=follow, report_bones=report)
    plan.missing_targets = missing
    plan.notes = notes + plan.notes
    return plan, bone_map


def write_retargeted_action(arm, motion: Motion, plan, bone_map, action_name: str, start_frame: int, fps: float,
                            settings: dict | None = None):
    """Keys on `arm` for `motion` (any fps; resampled to `fps`), in bulk, in a new action of `arm`'s own
    (its earlier action is stashed in its NLA)."""
    result = retarget(motion.resampled(fps), plan)
    frames = start_frame + np.arange(result.n_frames, dtype=np.float64)
    action = new_action(arm, action_name)
    fcurves = writable_fcurves(action, arm)
    for c, name in enumerate(result.bones):
        pb = arm.pose.bones[name]
        path, values = _rotation_channels(pb, result.rotations[:, c])
        for i in range(values.shape[1]):
            _write_curve(fcurves, path, i, name, frames, values[:, i])
    if result.root_bone:
        path = arm.pose.bones[result.root_bone].path_from_id("location")
        for i in range(3):
            _write_curve(fcurves, path, i, result.root_bone, frames, result.root_location[:, i])
    for s in bone_map.settings:
        pb = arm.pose.bones.get(s["bone"])
        if pb is not None and s["property"] in pb.keys():
            path = pb.path_from_id(f'["{s["property"]}"]')
            _write_curve(fcurves, path, 0, "OpenHuman settings", frames[:1], np.array([float(s["value"])]))
    action.use_fake_user = False
    report = {"bone_map": bone_map.name, **plan.report()}
    action["openhuman_retarget"] = json.dumps(report, sort_keys=True)
    if settings is not None:
        action["openhuman_settings"] = json.dumps(settings, sort_keys=True)
    return action


def _rotation_channels(pb, basis: np.ndarray) -> tuple[str, np.ndarray]:
    """The bone's own rotation channels for basis quaternions: quaternion, Euler (its order) or axis-angle."""
    mode = pb.rotation_mode
    if mode == "QUATERNION":
        return pb.path_from_id("rotation_quaternion"), basis
    if mode == "AXIS_ANGLE":
        q = quat.canonical(basis)
        angle = 2.0 * np.arccos(np.clip(q[:, 0], -1.0, 1.0))
        axis = q[:, 1:] / np.maximum(np.linalg.norm(q[:, 1:], axis=-1, keepdims=True), 1e-12)
        axis[angle < 1e-9] = (0.0, 1.0, 0.0)
        return pb.path_from_id("rotation_axis_angle"), np.concatenate([angle[:, None], axis], -1)
    # Blender's Euler 'XYZ' is Rz·Ry·Rx: the engine's order reversed, angles in reverse order.
    angles = quat.quat_to_euler(basis, mode[::-1])[:, ::-1]
    values = np.empty_like(angles)
    for i, axis in enumerate(mode):
        values[:, "XYZ".index(axis)] = angles[:, i]
    return pb.path_from_id("rotation_euler"), np.unwrap(values, axis=0)


def apply_generated(context, arm, motion: Motion, audio_path: str | None, start_frame: int, settings: dict,
                    set_frame_range: bool = True, bone_map_name: str = "", *, sound_strip: bool = True):
    """Generate's last step: keys on the OpenHuman armature directly, on any other rig through its map.

    The keys go into a new action of `arm`'s own; `sound_strip=False` when the voice is in the sequencer already.
    """
    from .scene_writer import action_name_for, apply_result, finish_scene

    if is_openhuman_rig(arm) and not bone_map_name:
        return apply_result(context, arm, motion, audio_path, start_frame, settings, set_frame_range,
                            sound_strip=sound_strip)
    scene = context.scene
    fps = scene.render.fps / scene.render.fps_base
    plan, bone_map = plan_for(arm, bone_map_name)
    action = write_retargeted_action(arm, motion, plan, bone_map, action_name_for(audio_path), start_frame, fps,
                                     settings)
    finish_scene(scene, motion, audio_path, start_frame, set_frame_range, sound_strip)
    return action


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
            write_retargeted_action(target, motion, plan, bone_map, name, start, fps,
                                    {"retargeted_from": source.name})
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
