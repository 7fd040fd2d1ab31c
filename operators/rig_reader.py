"""Read an armature's animation back into an engine Motion: the one inverse of rig_writer.write_action,
through the same plan (rig_plan.plan_for), fed either by the pose frame by frame or by an action's
F-curves. It needs every joint of the skeleton on the rig (the OpenHuman armature, a ZeroEGGs character)."""
from __future__ import annotations

import numpy as np
from mathutils import Euler

from ..engine.errors import RetargetError
from ..engine.motion import quat
from ..engine.motion.motion import Motion, Skeleton
from ..engine.motion.retarget import unretarget
from .fcurves import action_fcurves
from .rig_plan import plan_for
from .scene_writer import scene_fps


def _reading_plan(arm, skeleton: Skeleton):
    plan, _map = plan_for(arm, "", skeleton, for_writing=False)
    bones = [plan.target.names[k] for _, k in plan.pairs]
    root = plan.target.names[plan.root[1]] if plan.root is not None else None
    return plan, bones, root


def read_motion(context, arm, skeleton: Skeleton, frames=None) -> Motion:
    """`arm`'s posed keys on the given frames (default: the scene's frame range)."""
    scene = context.scene
    plan, bones, root = _reading_plan(arm, skeleton)
    frames = frames if frames is not None else range(scene.frame_start, scene.frame_end + 1)
    basis = np.empty((len(frames), len(bones), 4))
    loc = np.zeros((len(frames), 3))
    pose_bones = [arm.pose.bones[n] for n in bones]
    current = scene.frame_current
    for i, f in enumerate(frames):
        scene.frame_set(f)
        basis[i] = [list(pb.rotation_quaternion if pb.rotation_mode == "QUATERNION"
                         else pb.matrix_basis.to_quaternion()) for pb in pose_bones]
        if root:
            loc[i] = list(arm.pose.bones[root].location)
    scene.frame_set(current)
    return unretarget(basis, loc if root else None, plan, scene_fps(scene))


def read_action_motion(arm, skeleton: Skeleton, scene, action=None) -> Motion:
    """An action of `arm` (default: its active one) over the action's frame range, from its F-curves."""
    anim = arm.animation_data
    action = action or (anim.action if anim else None)
    if action is None:
        raise RetargetError(f"'{arm.name}' has no action to retarget: generate or import one first")
    slot = anim.action_slot if anim and anim.action == action else None
    curves = action_fcurves(action, slot)
    if not curves:
        raise RetargetError(f"action '{action.name}' has no keys")
    plan, bones, root = _reading_plan(arm, skeleton)
    start, end = (int(round(v)) for v in action.frame_range)
    frames = np.arange(start, end + 1, dtype=np.float64)
    by_path = {(fc.data_path, fc.array_index): fc for fc in curves}

    def channel(path: str, index: int, rest: float) -> np.ndarray:
        fc = by_path.get((path, index))
        return np.array([fc.evaluate(f) for f in frames]) if fc is not None else np.full(len(frames), rest)

    basis = np.empty((len(frames), len(bones), 4))
    for c, name in enumerate(bones):
        pb = arm.pose.bones[name]
        basis[:, c] = _basis_from_channels(pb, channel)
    loc = None
    if root:
        path = arm.pose.bones[root].path_from_id("location")
        loc = np.stack([channel(path, i, 0.0) for i in range(3)], axis=-1)
    return unretarget(basis, loc, plan, scene_fps(scene))


def _basis_from_channels(pb, channel) -> np.ndarray:
    """Basis quaternions (F, 4) from the bone's own rotation channels: the inverse of the writer's choice."""
    mode = pb.rotation_mode
    if mode == "QUATERNION":
        path = pb.path_from_id("rotation_quaternion")
        return np.stack([channel(path, i, 1.0 if i == 0 else 0.0) for i in range(4)], axis=-1)
    if mode == "AXIS_ANGLE":
        path = pb.path_from_id("rotation_axis_angle")
        angle, *axis = [channel(path, i, 1.0 if i == 2 else 0.0) for i in range(4)]
        axis = np.stack(axis, axis=-1)
        axis /= np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)
        return np.concatenate([np.cos(angle / 2)[:, None], np.sin(angle / 2)[:, None] * axis], axis=-1)
    path = pb.path_from_id("rotation_euler")
    angles = np.stack([channel(path, i, 0.0) for i in range(3)], axis=-1)
    return quat.normalize(np.array([list(Euler(a, mode).to_quaternion()) for a in angles]))
