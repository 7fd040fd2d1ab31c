"""Build the OpenHuman armature (75 bones, metres, standing on the floor) with a low-poly body."""
from __future__ import annotations

import bmesh
import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..engine.motion.motion import Skeleton
from .rig_maths import to_blender_vectors

MIN_BONE = 0.02
# Preferred child to aim a bone at when it has several (the chain that continues the limb).
_AIM = {"Hips": "Spine", "Spine3": "Neck", "RightHand": "RightHandMiddle1", "LeftHand": "LeftHandMiddle1"}


def _radius(name: str) -> float:
    n = name.lower()
    if n.endswith("end"):
        return 0.0  # twist helpers and tips: no flesh of their own
    if "thumb" in n or "index" in n or "middle" in n or "ring" in n or "pinky" in n:
        return 0.008
    if "hand" in n:
        return 0.03
    if "forearm" in n:
        return 0.035
    if "arm" in n and "end" not in n:
        return 0.045
    if "upleg" in n:
        return 0.075
    if n.endswith("leg"):
        return 0.055
    if "foot" in n or "toe" in n:
        return 0.04
    if "spine" in n or "hips" in n:
        return 0.13
    if "neck" in n:
        return 0.05
    if "shoulder" in n:
        return 0.05
    return 0.0


def bone_tails(skeleton: Skeleton, heads: np.ndarray) -> np.ndarray:
    """A tail per joint: at its main child, or continuing the parent's direction for leaves."""
    tails = np.empty_like(heads)
    for j in range(skeleton.n_joints):
        children = skeleton.children(j)
        aim = _AIM.get(skeleton.names[j])
        target = None
        if aim in skeleton.names and skeleton.index(aim) in children:
            target = heads[skeleton.index(aim)]
        elif children:
            far = max(children, key=lambda c: np.linalg.norm(heads[c] - heads[j]))
            target = heads[far]
        if target is None or np.linalg.norm(target - heads[j]) < MIN_BONE:
            p = skeleton.parents[j]
            direction = heads[j] - heads[p] if p >= 0 else np.array([0.0, 0.0, 1.0])
            if np.linalg.norm(direction) < 1e-6:
                direction = np.array([0.0, 0.0, 1.0])
            length = max(MIN_BONE, 0.5 * np.linalg.norm(heads[j] - heads[p]) if p >= 0 else 0.1)
            length = min(length, 0.08)
            target = heads[j] + direction / np.linalg.norm(direction) * length
        tails[j] = target
    return tails


def create_armature(context, skeleton: Skeleton, name: str = "OpenHuman", with_body: bool = True):
    """A new armature object (and body mesh) in the scene's active collection."""
    heads = to_blender_vectors(skeleton.rest_world_positions())
    heads[:, 2] -= min(0.0, heads[:, 2].min())  # stand on the floor
    tails = bone_tails(skeleton, heads)
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    context.collection.objects.link(obj)
    previous_active = context.view_layer.objects.active
    context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bones = []
        for j, joint in enumerate(skeleton.names):
            eb = data.edit_bones.new(joint)
            eb.head = Vector(heads[j])
            eb.tail = Vector(tails[j])
            eb.roll = 0.0
            if skeleton.parents[j] >= 0:
                eb.parent = bones[skeleton.parents[j]]
            bones.append(eb)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = "QUATERNION"
    data.display_type = "OCTAHEDRAL"
    obj["openhuman_skeleton"] = "zeggs-75"
    if with_body:
        create_body(context, obj, skeleton)
    context.view_layer.objects.active = previous_active or obj
    return obj


def create_body(context, armature_obj, skeleton: Skeleton):
    """A low-poly body: a tapered 8-sided tube per bone plus a head, each skinned to its bone."""
    mesh = bpy.data.meshes.new(armature_obj.name + "Body")
    bm = bmesh.new()
    deform = bm.verts.layers.deform.verify()
    group_names: list[str] = []

    def assign(verts, bone_name):
        if bone_name not in group_names:
            group_names.append(bone_name)
        for v in verts:
            v[deform][group_names.index(bone_name)] = 1.0

    for bone in armature_obj.data.bones:
        r = _radius(bone.name)
        axis = bone.tail_local - bone.head_local
        if r <= 0.0 or axis.length < 1e-4:
            continue
        placement = Matrix.Translation((bone.head_local + bone.tail_local) / 2)
        placement @= axis.to_track_quat("Z", "Y").to_matrix().to_4x4()
        made = bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=r, radius2=r * 0.8,
                                     depth=axis.length, matrix=placement)
        assign(made["verts"], bone.name)
    head_bone = armature_obj.data.bones.get("Head")
    if head_bone is not None:
        centre = head_bone.head_local + (head_bone.tail_local - head_bone.head_local) * 0.5
        made = bmesh.ops.create_uvsphere(bm, u_segments=12, v_segments=8, radius=0.11,
                                         matrix=Matrix.Translation(centre))
        assign(made["verts"], "Head")
    bm.to_mesh(mesh)
    bm.free()
    body = bpy.data.objects.new(mesh.name, mesh)
    context.collection.objects.link(body)
    for name in group_names:  # the deform layer refers to groups by this order
        body.vertex_groups.new(name=name)
    modifier = body.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature_obj
    body.parent = armature_obj
    return body
