"""Benchmark: our bulk keyframe writer vs Blender's own BVH importer, on the same 75-bone motion."""
from __future__ import annotations

import os
import tempfile
import time

import bpy
import numpy as np

from ..engine.motion import bvh, quat
from ..engine.motion.motion import Motion
from ..engine.motion.skeleton_zeggs import zeggs_skeleton
from .armature_builder import create_armature
from .rig_writer import write_action


def swaying_motion(seconds: float = 60.0, fps: float = 30.0) -> Motion:
    """A deterministic 75-joint motion (every joint turning smoothly) for timing."""
    sk = zeggs_skeleton()
    t = np.arange(int(seconds * fps))[:, None] / fps
    phase = np.arange(sk.n_joints)[None, :] * 0.37
    angles = np.stack([0.2 * np.sin(1.3 * t + phase), 0.15 * np.sin(0.7 * t + 2 * phase), 0.1 * np.cos(t + phase)], -1)
    rotations = quat.euler_to_quat(angles, "ZYX")
    root = np.stack([0.05 * np.sin(t[:, 0]), 0.87 + 0.01 * np.sin(2 * t[:, 0]), np.zeros(len(t))], -1)
    return Motion(root, rotations, fps, sk)


def benchmark_keyframes(seconds: float = 60.0, fps: float = 30.0, repeats: int = 3) -> dict:
    motion = swaying_motion(seconds, fps)
    ours, blender = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.bvh")
        bvh.save(path, motion.scaled(100.0))
        for _ in range(repeats):
            bpy.ops.wm.read_factory_settings(use_empty=True)
            bpy.context.scene.render.fps = int(fps)
            arm = create_armature(bpy.context, motion.skeleton, with_body=False)
            start = time.perf_counter()
            write_action(arm, motion, "bench", 1, fps)
            ours.append(time.perf_counter() - start)
            bpy.ops.wm.read_factory_settings(use_empty=True)
            start = time.perf_counter()
            bpy.ops.import_anim.bvh(filepath=path, global_scale=0.01, use_fps_scale=False, rotate_mode="QUATERNION")
            blender.append(time.perf_counter() - start)
    return {
        "motion_seconds": seconds, "fps": fps, "bones": motion.skeleton.n_joints, "repeats": repeats,
        "openhuman_write_s": min(ours), "blender_bvh_import_s": min(blender),
        "speedup": min(blender) / min(ours),
    }
