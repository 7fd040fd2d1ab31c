"""Render preview: Workbench frames of the animated character as a PNG contact sheet and an MP4 with the voice."""
from __future__ import annotations

import math
import os
import tempfile

import bpy
import numpy as np

SHEET_COLUMNS = 4


class _TemporaryRenderSetup:
    """Camera and render settings for the preview, restored afterwards: the scene is left as it was."""

    def __init__(self, scene, target, size: int):
        self.scene, self.target, self.size = scene, target, size

    def __enter__(self):
        s = self.scene
        r = s.render
        self.saved = dict(engine=r.engine, x=r.resolution_x, y=r.resolution_y, pct=r.resolution_percentage,
                          path=r.filepath, camera=s.camera, frame=s.frame_current,
                          media=getattr(r.image_settings, "media_type", None), fmt=r.image_settings.file_format,
                          transparent=r.film_transparent)
        r.film_transparent = False  # an opaque background: the sheet and the video look alike everywhere
        r.engine = "BLENDER_WORKBENCH"
        r.resolution_x = r.resolution_y = self.size
        r.resolution_percentage = 100
        data = bpy.data.cameras.new("OpenHuman preview camera")
        self.camera = bpy.data.objects.new(data.name, data)
        s.collection.objects.link(self.camera)
        centre = self.target.matrix_world.translation
        self.camera.location = (centre.x, centre.y - 3.4, centre.z + 1.0)
        self.camera.rotation_euler = (math.radians(88), 0.0, 0.0)
        s.camera = self.camera
        return self

    def __exit__(self, *exc):
        s, r, v = self.scene, self.scene.render, self.saved
        cam_data = self.camera.data
        bpy.data.objects.remove(self.camera)
        bpy.data.cameras.remove(cam_data)
        r.engine, r.resolution_x, r.resolution_y = v["engine"], v["x"], v["y"]
        r.resolution_percentage, r.filepath, s.camera = v["pct"], v["path"], v["camera"]
        if v["media"] is not None:
            r.image_settings.media_type = v["media"]
        r.image_settings.file_format = v["fmt"]
        r.film_transparent = v["transparent"]
        s.frame_set(v["frame"])


def _render_still(scene, frame: int, path: str) -> np.ndarray:
    scene.frame_set(frame)
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(path)
    w, h = image.size
    pixels = np.empty(w * h * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    bpy.data.images.remove(image)
    return pixels.reshape(h, w, 4)


def render_contact_sheet(scene, target, path: str, n_frames: int = 8, size: int = 320, progress=None) -> str:
    """Evenly spaced frames of the scene range as one PNG grid (bottom-up rows, as Blender stores pixels)."""
    frames = np.linspace(scene.frame_start, scene.frame_end, n_frames).round().astype(int)
    rows = math.ceil(n_frames / SHEET_COLUMNS)
    sheet = np.ones((rows * size, SHEET_COLUMNS * size, 4), dtype=np.float32)
    with _TemporaryRenderSetup(scene, target, size), tempfile.TemporaryDirectory() as tmp:
        if hasattr(scene.render.image_settings, "media_type"):
            scene.render.image_settings.media_type = "IMAGE"
        scene.render.image_settings.file_format = "PNG"
        for i, frame in enumerate(frames):
            tile = _render_still(scene, int(frame), os.path.join(tmp, f"f{i}.png"))
            r, c = divmod(i, SHEET_COLUMNS)
            y0 = (rows - 1 - r) * size
            sheet[y0:y0 + size, c * size:(c + 1) * size] = tile
            if progress:
                progress((i + 1) / n_frames, f"frame {i + 1} of {n_frames}")
    image = bpy.data.images.new("OpenHuman contact sheet", SHEET_COLUMNS * size, rows * size, alpha=True)
    image.pixels.foreach_set(sheet.ravel())
    image.filepath_raw = path
    image.file_format = "PNG"
    image.save()
    bpy.data.images.remove(image)
    return path


def render_video(scene, target, path: str, size: int = 320) -> str:
    """The scene range as an H.264 MP4 with the scene's sound strips."""
    with _TemporaryRenderSetup(scene, target, size):
        settings = scene.render.image_settings
        if hasattr(settings, "media_type"):
            settings.media_type = "VIDEO"
        settings.file_format = "FFMPEG"
        ff = scene.render.ffmpeg
        ff.format, ff.codec, ff.audio_codec = "MPEG4", "H264", "AAC"
        scene.render.filepath = path
        bpy.ops.render.render(animation=True)
    return path


class OPENHUMAN_OT_render_preview(bpy.types.Operator):
    """Render a contact sheet (PNG) and a video with the voice (MP4) of the target armature's animation"""

    bl_idname = "openhuman.render_preview"
    bl_label = "Render preview"

    directory: bpy.props.StringProperty(name="Folder", subtype="DIR_PATH", default="//openhuman_preview")
    video: bpy.props.BoolProperty(name="Video", default=True)
    frames: bpy.props.IntProperty(name="Sheet frames", default=8, min=1, max=64)

    def execute(self, context):
        arm = context.scene.openhuman.armature
        if arm is None:
            self.report({"ERROR"}, "Choose the armature to preview first")
            return {"CANCELLED"}
        folder = bpy.path.abspath(self.directory)
        if not folder or folder.startswith("//"):
            self.report({"ERROR"}, "Save the .blend first or choose an absolute folder for the preview")
            return {"CANCELLED"}
        os.makedirs(folder, exist_ok=True)
        name = arm.animation_data.action.name if arm.animation_data and arm.animation_data.action else arm.name
        wm = context.window_manager
        wm.progress_begin(0, 100)
        try:
            sheet = render_contact_sheet(context.scene, arm, os.path.join(folder, f"{name}_sheet.png"), self.frames,
                                         progress=lambda f, s: wm.progress_update(int(f * 80)))
            if self.video:
                render_video(context.scene, arm, os.path.join(folder, f"{name}.mp4"))
        finally:
            wm.progress_end()
        self.report({"INFO"}, f"Preview written to {folder} ({os.path.basename(sheet)})")
        return {"FINISHED"}
