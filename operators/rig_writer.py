"""Write a Motion as keys on any armature, in bulk, on slotted (4.4+) or legacy actions.

One writer for every rig: the motion is retargeted through the rig's plan (rig_plan.plan_for), which on
the OpenHuman armature is the identity bone map and reproduces the motion exactly. Keys live in the
armature's own space, so the object's transform places and turns the character. rig_reader is the inverse.
"""
from __future__ import annotations

import json

import bpy
import numpy as np

from ..engine.motion import quat
from ..engine.motion.motion import Motion
from ..engine.motion.retarget import retarget
from .fcurves import writable_fcurves
from .rig_plan import plan_for

_LINEAR = 1  # index of 'LINEAR' in the keyframe interpolation enum
STASH_TRACK = "[Action Stash]"  # the name Blender's action editor gives the tracks it stashes into
SETTINGS_GROUP = "OpenHuman settings"


def stash_action(obj) -> str | None:
    """Keep the object's current action in a muted NLA track, as Blender's action editor does when it
    makes a new action, so the action keeps a user and survives the next save. Returns its name."""
    anim = obj.animation_data
    old = anim.action if anim else None
    if old is None:
        return None
    stashed = any(strip.action == old for track in anim.nla_tracks for strip in track.strips)
    if not stashed:
        track = anim.nla_tracks.new()
        track.name = STASH_TRACK
        strip = track.strips.new(old.name, int(old.frame_range[0]), old)
        if getattr(anim, "action_slot", None) is not None:
            strip.action_slot = anim.action_slot
        track.mute = True
    return old.name


def new_action(obj, name: str):
    """A new action for `obj` alone, with its own slot; its earlier action is stashed, never overwritten.

    Blender names it `name`, or `name.001`… when another action has that name already.
    """
    anim = obj.animation_data or obj.animation_data_create()
    stash_action(obj)
    action = bpy.data.actions.new(name)
    anim.action = action
    return action


def current_action_name(obj) -> str | None:
    """The name of the action `obj` plays now (read before keying, for the report)."""
    anim = obj.animation_data
    return anim.action.name if anim and anim.action else None


def kept_note(name: str | None) -> str:
    """The sentence for an operator's report when an earlier action was stashed."""
    return f"; the earlier action '{name}' is kept in its NLA stash" if name else ""


def _write_curve(fcurves, data_path: str, index: int, group: str, frames: np.ndarray, values: np.ndarray):
    try:
        fc = fcurves.new(data_path, index=index, group_name=group)
    except TypeError:  # Blender before 4.4 names the argument action_group
        fc = fcurves.new(data_path, index=index, action_group=group)
    n = len(frames)
    fc.keyframe_points.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    fc.keyframe_points.foreach_set("co", co)
    fc.keyframe_points.foreach_set("interpolation", np.full(n, _LINEAR, dtype=np.int32))
    fc.update()


def rig_keys(arm, motion: Motion, plan, bone_map, fps: float):
    """The motion resampled to `fps` as per-curve key values on `arm`: (frames, [(data_path, index, group,
    values)]), each bone in its own rotation mode, the map's rig switches keyed once on the first frame."""
    result = retarget(motion.resampled(fps), plan)
    curves = []
    for c, name in enumerate(result.bones):
        path, values = _rotation_channels(arm.pose.bones[name], result.rotations[:, c])
        curves += [(path, i, name, values[:, i]) for i in range(values.shape[1])]
    if result.root_bone:
        path = arm.pose.bones[result.root_bone].path_from_id("location")
        curves += [(path, i, result.root_bone, result.root_location[:, i]) for i in range(3)]
    for s in bone_map.settings:
        pb = arm.pose.bones.get(s["bone"])
        if pb is not None and s["property"] in pb.keys():
            curves.append((pb.path_from_id(f'["{s["property"]}"]'), 0, SETTINGS_GROUP, np.array([float(s["value"])])))
    return result.n_frames, curves


def write_action(arm, motion: Motion, action_name: str, start_frame: int, fps: float, settings: dict | None = None,
                 *, bone_map_name: str = "", rig_plan=None):
    """Keys for `motion` (any fps; resampled to `fps`, the scene's rate) from `start_frame` on, in a new
    action of `arm`'s own (its earlier action is stashed in its NLA).

    rig_plan: a (RetargetPlan, BoneMap) already made by plan_for; default: made here for `bone_map_name`.
    """
    plan, bone_map = rig_plan or plan_for(arm, bone_map_name, motion.skeleton)
    n, curves = rig_keys(arm, motion, plan, bone_map, fps)
    frames = start_frame + np.arange(n, dtype=np.float64)
    action = new_action(arm, action_name)
    fcurves = writable_fcurves(action, arm)
    for path, index, group, values in curves:
        _write_curve(fcurves, path, index, group, frames[:len(values)], values)
    action.use_fake_user = False
    action["openhuman_retarget"] = json.dumps({"bone_map": bone_map.name, **plan.report()}, sort_keys=True)
    if settings is not None:
        action["openhuman_settings"] = json.dumps(settings, sort_keys=True)
    return action


def replace_range(arm, motion: Motion, start_frame: int, fps: float, first: int, last: int, settings: dict):
    """A copy of `arm`'s action, made its new action (the old one stashed), in which only the keys on
    frames first..last are replaced by `motion`'s (which starts at start_frame); every other key,
    with its handles and interpolation, is the old action's own."""
    anim = arm.animation_data
    old = anim.action
    slot = getattr(anim, "action_slot", None)
    action = old.copy()  # Blender names it '<old>.001'
    stash_action(arm)
    anim.action = action
    if slot is not None and hasattr(action, "slots"):
        anim.action_slot = next((sl for sl in action.slots if sl.identifier == slot.identifier), action.slots[0])
    fcurves = writable_fcurves(action, arm)
    plan, bone_map = plan_for(arm, "", motion.skeleton)
    n, curves = rig_keys(arm, motion, plan, bone_map, fps)
    lo, hi = max(first - start_frame, 0), min(last - start_frame, n - 1)
    for path, index, group, values in curves:
        if group == SETTINGS_GROUP:
            continue
        fc = fcurves.find(path, index=index)
        if fc is None:
            _write_curve(fcurves, path, index, group, start_frame + np.arange(lo, hi + 1, dtype=np.float64),
                         values[lo:hi + 1])
            continue
        points = fc.keyframe_points
        for i in range(len(points) - 1, -1, -1):
            if first - 1e-6 <= points[i].co[0] <= last + 1e-6:
                points.remove(points[i], fast=True)
        for k in range(lo, hi + 1):
            point = points.insert(start_frame + k, float(values[k]), options={"FAST"})
            point.interpolation = "LINEAR"
        fc.update()
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
