"""Read an armature's animation back into an engine Motion (the inverse of keyframes.write_action)."""
import numpy as np

from ..engine.motion import quat
from ..engine.motion.motion import Motion, Skeleton
from .armature_builder import bone_rest_quaternions
from .rig_maths import Q_Y_UP_TO_Z_UP, Y_UP_TO_Z_UP


def read_motion(context, arm, skeleton: Skeleton, frames=None) -> Motion:
    """`arm`'s pose on the given frames (default: the scene's frame range) as a Motion in metres at
    the scene's fps."""
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
    rest = bone_rest_quaternions(arm, names, world=True)[None]
    c = Q_Y_UP_TO_Z_UP
    local = quat.multiply(quat.multiply(rest, basis), quat.conjugate(rest))
    local = quat.multiply(quat.multiply(quat.conjugate(c), local), c)
    head = np.array(arm.data.bones[names[0]].head_local)
    root_armature = head + quat.rotate(bone_rest_quaternions(arm, names[:1])[0], loc)
    m = np.array(arm.matrix_world)
    root_blender = root_armature @ m[:3, :3].T + m[:3, 3]
    root = root_blender @ Y_UP_TO_Z_UP  # inverse of the orthogonal Y-up → Z-up map
    fps = scene.render.fps / scene.render.fps_base
    return Motion(root, quat.normalize(local), fps, skeleton)
