"""Generate: voice clip → engine (off the main thread) → keys, sound strip and frame range (main thread)."""
from __future__ import annotations

import os
import threading
import traceback

import bpy

from ..engine.errors import OpenHumanError
from ..engine.paths import DEFAULT_EMOTIONS
from ..engine.quality import QUALITY
from . import model_labels
from .retarget_ops import apply_generated

QUALITY_TO_SAMPLER = {name.upper(): preset for name, preset in QUALITY.items()}


def gamma_curve(scene, settings, n_frames: int, model_fps: float):
    """γ per model frame, read from the slider's F-curve when it is animated; else a number."""
    anim = scene.animation_data
    fcurve = None
    if anim and anim.action:
        from bpy_extras.anim_utils import action_get_channelbag_for_slot

        bag = action_get_channelbag_for_slot(anim.action, anim.action_slot) if anim.action_slot else None
        curves = bag.fcurves if bag else getattr(anim.action, "fcurves", [])
        fcurve = next((fc for fc in curves if fc.data_path == "openhuman.gamma"), None)
    if fcurve is None:
        return float(settings.gamma)
    fps = scene.render.fps / scene.render.fps_base
    return [min(1.0, max(0.0, fcurve.evaluate(settings.start_frame + k / model_fps * fps))) for k in range(n_frames)]


def _model_frames(audio_path: str) -> int:
    import librosa

    return int(librosa.get_duration(path=audio_path) * 20.0) + 1


def check_inputs(context) -> str | None:
    """Why Generate cannot run now, or None. Nothing here changes any data."""
    from . import dependencies

    s = context.scene.openhuman
    if context.window_manager.openhuman_job.running:
        return "A generation is already running"
    names = dependencies.missing()
    if names:
        return "Missing Python packages: " + ", ".join(names) + " (Preferences > Add-ons > OpenHuman)"
    if not s.audio_path:
        return "Choose a voice clip first"
    path = bpy.path.abspath(s.audio_path)
    if not os.path.isfile(path):
        return f"Voice clip not found: {path}"
    arm = s.armature or (context.active_object if context.active_object and context.active_object.type == "ARMATURE" else None)
    if arm is None:
        return "Choose a target armature (or create the OpenHuman armature)"
    from .retarget_ops import target_problem

    problem = target_problem(arm)  # None for the OpenHuman armature and rigs with a usable bone map
    if problem:
        return problem
    labels = model_labels.current_labels() if s.method == "MODEL" else list(DEFAULT_EMOTIONS)
    for name in (s.emotion_a, s.emotion_b):
        if name and name not in labels:
            return f"Unknown emotion '{name}': this model has {', '.join(labels)}"
    return None


class OPENHUMAN_OT_generate(bpy.types.Operator):
    """Generate gestures for the voice clip onto the target armature"""

    bl_idname = "openhuman.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}

    _thread = None
    _timer = None

    @classmethod
    def poll(cls, context):
        return not context.window_manager.openhuman_job.running

    def _request(self, context):
        from ..engine.api import GenerateOptions
        from .preferences import get_preferences

        s = context.scene.openhuman
        prefs = get_preferences()
        sampler, steps = QUALITY_TO_SAMPLER[s.quality]
        options = GenerateOptions(
            emotion=s.emotion_a, emotion_b=s.emotion_b or None, gamma=float(s.gamma), intensity=s.intensity,
            seed=s.seed, method=s.method.lower(), sampler=sampler, steps=steps,
            device=(prefs.device.lower() if prefs else "auto"), model=model_labels.model_path(),
        )
        transcript = s.transcript.strip() or None
        if transcript and os.path.isfile(bpy.path.abspath(transcript)):
            transcript = bpy.path.abspath(transcript)
        arm = s.armature or context.active_object
        audio = bpy.path.abspath(s.audio_path)
        if options.method == "model":
            options.gamma = gamma_curve(context.scene, s, _model_frames(audio), 20.0)
        return audio, transcript, options, arm

    def _run_engine(self, audio, transcript, options):
        from ..engine.api import generate
        from ..engine.errors import Cancelled

        state = self._state
        try:
            extra = getattr(self, "_cancel_flag", None)
            state["result"] = generate(audio, transcript, options, progress=self._on_progress,
                                       cancel=lambda: state["cancel"] or bool(extra and extra()))
        except Cancelled:
            state["cancelled"] = True
        except Exception as exc:  # reported to the user on the main thread
            state["error"] = str(exc) if exc.__class__.__module__.endswith("errors") else traceback.format_exc()
        finally:
            state["done"] = True

    def _on_progress(self, fraction, stage):
        self._state["progress"] = fraction
        self._state["stage"] = stage
        if bpy.app.background:
            print(f"OpenHuman: {fraction * 100:5.1f}% {stage}", flush=True)

    def invoke(self, context, event):
        return self.execute(context)

    def execute(self, context):
        problem = check_inputs(context)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        try:
            audio, transcript, options, arm = self._request(context)
        except Exception as exc:  # e.g. a clip that is not audio: report, change nothing
            self.report({"ERROR"}, f"Cannot read the voice clip: {exc}")
            return {"CANCELLED"}
        self._arm_name = arm.name
        self._audio = audio
        self._state = {"progress": 0.0, "stage": "starting", "done": False, "cancel": False}
        if bpy.app.background or not context.window:
            job = context.window_manager.openhuman_job
            job.cancel_requested = False
            self._cancel_flag = lambda: job.cancel_requested  # a script or another thread may raise it
            self._run_engine(audio, transcript, options)
            return self._finish(context)
        job = context.window_manager.openhuman_job
        job.running, job.progress, job.stage, job.cancel_requested = True, 0.0, "starting", False
        self._thread = threading.Thread(target=self._run_engine, args=(audio, transcript, options), daemon=True)
        self._thread.start()
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = context.window_manager.openhuman_job
        if event.type == "ESC" or job.cancel_requested:
            self._state["cancel"] = True
        if event.type != "TIMER":
            return {"RUNNING_MODAL"} if event.type == "ESC" else {"PASS_THROUGH"}
        job.progress = 100.0 * self._state["progress"]
        job.stage = self._state["stage"]
        for area in context.screen.areas if context.screen else []:
            if area.type in ("VIEW_3D", "PROPERTIES"):
                area.tag_redraw()
        if not self._state["done"]:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        job.running, job.stage, job.cancel_requested = False, "", False
        result = self._finish(context)
        return result

    def _finish(self, context):
        state = self._state
        if state.get("cancelled") or state["cancel"]:
            context.window_manager.openhuman_job.cancel_requested = False
            self.report({"WARNING"}, "Generation cancelled: nothing was changed")
            return {"CANCELLED"}
        if "error" in state:
            self.report({"ERROR"}, f"Generation failed: {state['error']}")
            return {"CANCELLED"}
        result = state["result"]
        arm = bpy.data.objects.get(self._arm_name)
        if arm is None:
            self.report({"ERROR"}, "The target armature was deleted while generating: nothing was changed")
            return {"CANCELLED"}
        s = context.scene.openhuman
        settings = {"clip": self._audio, **result.options.to_dict(), "words": len(result.words)}
        try:  # straight onto the OpenHuman armature; through the bone map onto any other rig
            apply_generated(context, arm, result.motion, self._audio, s.start_frame, settings, s.set_frame_range)
        except OpenHumanError as exc:
            self.report({"ERROR"}, f"Cannot key '{arm.name}': {exc}")
            return {"CANCELLED"}
        s.words_summary = result.info.get("words", "")
        self.report({"INFO"}, f"OpenHuman: {result.motion.duration:.1f} s of motion on '{arm.name}'")
        return {"FINISHED"}


class OPENHUMAN_OT_cancel(bpy.types.Operator):
    """Stop the running generation; the scene stays as it was"""

    bl_idname = "openhuman.cancel"
    bl_label = "Cancel"

    def execute(self, context):
        context.window_manager.openhuman_job.cancel_requested = True
        return {"FINISHED"}


class OPENHUMAN_OT_new_seed(bpy.types.Operator):
    """Pick a new random seed"""

    bl_idname = "openhuman.new_seed"
    bl_label = "New seed"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        import random

        context.scene.openhuman.seed = random.randrange(0, 2**31 - 1)
        return {"FINISHED"}
