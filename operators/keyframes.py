"""Write a Motion as keyframes on an armature, in bulk, on slotted (4.4+) or legacy actions."""
from __future__ import annotations

import json

import bpy
import numpy as np

from ..engine.motion.motion import Motion
from .armature_builder import bone_rest_quaternions
from .fcurves import writable_fcurves
from .rig_maths import pose_basis_rotations, root_basis_location_armature, to_blender_vectors

_LINEAR = 1  # index of 'LINEAR' in the keyframe interpolation enum
STASH_TRACK = "[Action Stash]"  # the name Blender's action editor gives the tracks it stashes into


def keying_problem(obj) -> str | None:
    """Why keys put on `obj` would not be kept (it is linked from a library), or None."""
    if obj.library is None and obj.is_editable:
        return None
    where = obj.library.filepath if obj.library is not None else "a library"
    return (f"Armature '{obj.name}' is linked from {where} and cannot be keyed (the keys would be lost on save): "
            "make a library override (Object > Library Override > Make) and key that")


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


def _key_values(obj, motion: Motion, fps: float):
    """The motion resampled to `fps` as per-curve key values: [(data_path, index, group, values (F,))]."""
    motion = motion.resampled(fps)
    names = motion.skeleton.names
    rotations = pose_basis_rotations(motion.rotations, bone_rest_quaternions(obj, names, world=True))
    root = obj.data.bones[names[0]]
    # The root's location key lives in armature space: take the motion there through the object's inverse.
    world_root = to_blender_vectors(motion.root_positions)
    inverse = np.array(obj.matrix_world.inverted())
    armature_root = world_root @ inverse[:3, :3].T + inverse[:3, 3]
    location = root_basis_location_armature(armature_root, np.array(root.head_local),
                                            bone_rest_quaternions(obj, names[:1])[0])
    curves = []
    for j, name in enumerate(names):
        pb = obj.pose.bones[name]
        pb.rotation_mode = "QUATERNION"
        path = pb.path_from_id("rotation_quaternion")
        curves += [(path, i, name, rotations[:, j, i]) for i in range(4)]
    root_path = obj.pose.bones[names[0]].path_from_id("location")
    curves += [(root_path, i, names[0], location[:, i]) for i in range(3)]
    return motion.n_frames, curves


def write_action(obj, motion: Motion, action_name: str, start_frame: int, fps: float, settings: dict | None = None):
    """Keys for every bone's quaternion and the root's location, in a new action of `obj`'s own.

    The motion is resampled to `fps` (the scene's rate) and starts at `start_frame`.
    Bones are matched by name; every joint of the motion must exist on the armature.
    """
    n, curves = _key_values(obj, motion, fps)
    frames = start_frame + np.arange(n, dtype=np.float64)
    action = new_action(obj, action_name)
    fcurves = writable_fcurves(action, obj)
    for path, index, group, values in curves:
        _write_curve(fcurves, path, index, group, frames, values)
    action.use_fake_user = False
    if settings is not None:
        action["openhuman_settings"] = json.dumps(settings, sort_keys=True)
    return action


def replace_range(obj, motion: Motion, start_frame: int, fps: float, first: int, last: int, settings: dict):
    """A copy of `obj`'s action, made its new action (the old one stashed), in which only the keys on
    frames first..last are replaced by `motion`'s (which starts at start_frame); every other key,
    with its handles and interpolation, is the old action's own."""
    anim = obj.animation_data
    old = anim.action
    slot = getattr(anim, "action_slot", None)
    action = old.copy()  # Blender names it '<old>.001'
    stash_action(obj)
    anim.action = action
    if slot is not None and hasattr(action, "slots"):
        anim.action_slot = next((sl for sl in action.slots if sl.identifier == slot.identifier), action.slots[0])
    fcurves = writable_fcurves(action, obj)
    n, curves = _key_values(obj, motion, fps)
    lo, hi = max(first - start_frame, 0), min(last - start_frame, n - 1)
    for path, index, group, values in curves:
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
