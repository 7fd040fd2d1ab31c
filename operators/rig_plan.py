"""How OpenHuman's skeleton lands on an armature: which bone map, the rig's rest pose, what its bones
really follow. Read by the rig writer and the rig reader alike, so both use the one plan.

The maths is engine/motion/retarget.py; this module only reads bpy data. The OpenHuman armature is a
retarget with the identity bone map ("openhuman"). Plain rigs (every bone moved by its parent) are read
directly. Rigs driven through constraints (Rigify's controls, whose deform bones copy them) are probed
once: each mapped bone is turned in turn and the mapped bones that follow it are recorded, so keys on a
control are computed relative to the control it really follows. The target's rest pose (edit bones)
is never touched.
"""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix, Quaternion

from ..engine.errors import OpenHumanError
from ..engine.motion import bonemaps, quat
from ..engine.motion.retarget import RigRest, plan_retarget
from ..engine.motion.skeleton_zeggs import JOINT_NAMES, zeggs_skeleton

IDENTITY_MAP = "openhuman"
OPENHUMAN_SKELETON = "zeggs-75"
_PROBE = Quaternion((0.6, 0.5, 0.62), 0.6)  # a turn off every bone axis, so followers always move
_RIGID_DEGREES = 1.0


def keying_problem(obj) -> str | None:
    """Why keys put on `obj` would not be kept (it is linked from a library), or None."""
    if obj.library is None and obj.is_editable:
        return None
    where = obj.library.filepath if obj.library is not None else "a library"
    return (f"Armature '{obj.name}' is linked from {where} and cannot be keyed (the keys would be lost on save): "
            "make a library override (Object > Library Override > Make) and key that")


def is_openhuman_rig(arm) -> bool:
    """An armature made by Create OpenHuman armature: its bones take the engine's keys directly."""
    return arm.get("openhuman_skeleton") == OPENHUMAN_SKELETON and all(n in arm.data.bones for n in JOINT_NAMES)


def chosen_bone_map(arm, override: str = ""):
    """(BoneMap, score) for a rig: the override, the rig's own choice, the identity map on the OpenHuman
    armature, else the best detected map."""
    choice = override or getattr(arm, "openhuman_bone_map", "") or (IDENTITY_MAP if is_openhuman_rig(arm) else "")
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


def plan_for(arm, bone_map_name: str = "", source=None, *, for_writing: bool = True):
    """(RetargetPlan, BoneMap) for keys from `source` (default: the OpenHuman skeleton) onto `arm`.

    for_writing sets the map's rig switches first (Rigify's IK/FK); reading back leaves the rig as it is.
    """
    bone_map, _score = chosen_bone_map(arm, bone_map_name)
    resolved, missing = bonemaps.resolve(bone_map, [b.name for b in arm.data.bones])
    rest = rig_rest(arm)
    notes = apply_settings(arm, bone_map.settings) if for_writing else []
    follow = None
    if _constrained(arm):
        mapped = [rest.index(b) for b in resolved.values()]
        follow, more = probe_follow(arm, rest, mapped)
        notes += more
    report = [b.name for b in arm.data.bones if b.use_deform and not b.name.startswith(("DEF-", "ORG-", "MCH-"))]
    if _constrained(arm):  # the deform bones follow controls: list the controls instead
        report = [pb.name for pb in arm.pose.bones if not pb.constraints
                  and not pb.name.startswith(("DEF-", "ORG-", "MCH-", "VIS_")) and not pb.bone.hide]
    plan = plan_retarget(source or zeggs_skeleton(), rest, resolved, follow=follow, report_bones=report)
    plan.missing_targets = missing
    plan.notes = notes + plan.notes
    return plan, bone_map
