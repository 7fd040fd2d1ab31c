"""Headless use of the add-on (bpy module or `blender -b`): the same operators a user presses."""
from __future__ import annotations

import os

import bpy


def ensure_registered() -> None:
    root = __package__.rsplit(".", 1)[0]
    if not hasattr(bpy.types.Scene, "openhuman"):
        import importlib

        importlib.import_module(root).register()


def generate_scene(audio: str, transcript: str | None, out_dir: str, name: str = "openhuman", *,
                   emotion: str = "Neutral", emotion_b: str = "", gamma: float = 1.0, seed: int = 0,
                   method: str = "MODEL", quality: str = "STANDARD", preview: bool = True,
                   video: bool = True) -> dict:
    """A new scene with the OpenHuman armature animated to the clip, saved as .blend and .bvh."""
    ensure_registered()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    ensure_registered()  # factory settings reset add-on state in the bpy module
    scene = bpy.context.scene
    scene.render.fps = 30
    bpy.ops.openhuman.create_armature()
    s = scene.openhuman
    s.audio_path = os.path.abspath(audio)
    s.transcript = transcript or ""
    s.emotion_a, s.emotion_b, s.gamma, s.seed = emotion, emotion_b, gamma, seed
    s.method, s.quality = method, quality
    result = bpy.ops.openhuman.generate()
    if result != {"FINISHED"}:
        raise RuntimeError(f"Generate did not finish: {result}")
    os.makedirs(out_dir, exist_ok=True)
    paths = {"blend": os.path.join(out_dir, f"{name}.blend"), "bvh": os.path.join(out_dir, f"{name}.bvh")}
    bpy.ops.openhuman.export_bvh(filepath=paths["bvh"])
    if preview:
        bpy.ops.openhuman.render_preview(directory=out_dir, video=video)
        action = s.armature.animation_data.action.name
        paths["sheet"] = os.path.join(out_dir, f"{action}_sheet.png")
        if video:
            paths["video"] = os.path.join(out_dir, f"{action}.mp4")
    bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(paths["blend"]))
    return paths
