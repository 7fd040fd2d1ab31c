"""Read an OpenHuman armature's animation back into an engine Motion: the one inverse of
keyframes.write_action, fed either by the evaluated pose frame by frame or by an action's F-curves."""
from __future__ import annotations

import numpy as np

from ..engine.errors import RetargetError
from ..engine.motion import quat
from ..engine.motion.motion import Motion, Skeleton
from .armature_builder import bone_rest_quaternions
from .fcurves import action_fcurves
from .rig_maths import Q_Y_UP_TO_Z_UP, Y_UP_TO_Z_UP


def motion_from_pose_values(arm, skeleton: Skeleton, basis: np.ndarray, location: np.ndarray, fps: float) -> Motion:
    """A Motion (metres, Z-up) from pose-bone rotations (F, J, 4) and the root bone's location (F, 3)."""
    names = skeleton.names
    rest = bone_rest_quaternions(arm, names, world=True)[None]
    c = Q_Y_UP_TO_Z_UP
    local = quat.multiply(quat.multiply(rest, quat.normalize(basis)), quat.conjugate(rest))
    local = quat.multiply(quat.multiply(quat.conjugate(c), local), c)
    head = np.array(arm.data.bones[names[0]].head_local)
    root_armature = head + quat.rotate(bone_rest_quaternions(arm, names[:1])[0][None], location)
    m = np.array(arm.matrix_world)
    root = (root_armature @ m[:3, :3].T + m[:3, 3]) @ Y_UP_TO_Z_UP  # inverse of the orthogonal Y-up → Z-up map
    return Motion(root, quat.normalize(local), fps, skeleton)


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def read_motion(context, arm, skeleton: Skeleton, frames=None) -> Motion:
    """`arm`'s evaluated pose on the given frames (default: the scene's frame range)."""
    scene = context.scene
    names = skeleton.names
    frames = frames if frames is not None else range(scene.frame_start, scene.frame_end + 1)
    basis = np.empty((len(frames), len(names), 4))
    loc = np.empty((len(frames), 3))
    current = scene.frame_current
    for i, f in enumerate(frames):
        scene.frame_set(f)
        basis[i] = [list(arm.pose.bones[n].rotation_quaternion) for n in names]
        loc[i] = list(arm.pose.bones[names[0]].location)
    scene.frame_set(current)
    return motion_from_pose_values(arm, skeleton, basis, loc, scene_fps(scene))


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
    start, end = (int(round(v)) for v in action.frame_range)
    frames = np.arange(start, end + 1, dtype=np.float64)
    by_path = {(fc.data_path, fc.array_index): fc for fc in curves}
    names = skeleton.names
    basis = np.broadcast_to(quat.identity(), (len(frames), len(names), 4)).copy()
    for j, name in enumerate(names):
        for i in range(4):
            fc = by_path.get((f'pose.bones["{name}"].rotation_quaternion', i))
            if fc is not None:
                basis[:, j, i] = [fc.evaluate(f) for f in frames]
    loc = np.zeros((len(frames), 3))
    for i in range(3):
        fc = by_path.get((f'pose.bones["{names[0]}"].location', i))
        if fc is not None:
            loc[:, i] = [fc.evaluate(f) for f in frames]
    return motion_from_pose_values(arm, skeleton, basis, loc, scene_fps(scene))
