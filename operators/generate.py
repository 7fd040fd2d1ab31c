"""Generate: voice clip → engine (off the main thread) → keys, sound strip and frame range (main thread)."""
from __future__ import annotations

import math
import os
import traceback
from dataclasses import dataclass, replace

import bpy

from ..engine.errors import AudioError, OpenHumanError
from ..engine.constants import DEFAULT_EMOTIONS, MODEL_FPS
from ..engine.speech.words_cache import MemoryWordsCache
from . import model_labels
from .background_job import BackgroundJob
from .rig_writer import current_action_name, kept_note
from .takes import mark_takes
from .scene_writer import apply_result

def gamma_curve(scene, settings, seconds: float, start_frame: int | None = None):
    """γ over the clip as the engine takes it: the slider's F-curve read at every scene frame of the
    clip (a GammaCurve in seconds from its start) when it is animated; else the slider's number."""
    anim = scene.animation_data
    fcurve = None
    if anim and anim.action:
        from .fcurves import action_fcurves

        curves = action_fcurves(anim.action, anim.action_slot)
        fcurve = next((fc for fc in curves if fc.data_path == "openhuman.gamma"), None)
    if fcurve is None:
        return float(settings.gamma)
    from ..engine.settings import GammaCurve

    fps = scene.render.fps / scene.render.fps_base
    start = settings.start_frame if start_frame is None else start_frame
    frames = range(int(math.ceil(seconds * fps)) + 1)
    return GammaCurve(tuple(k / fps for k in frames),
                      tuple(min(1.0, max(0.0, fcurve.evaluate(start + k))) for k in frames))


def _clip_seconds(audio_path: str) -> float:
    """The clip's length in seconds; AudioError naming the problem when it cannot be read."""
    import soundfile

    try:
        info = soundfile.info(audio_path)
        seconds = info.frames / info.samplerate
    except Exception:  # not a libsndfile format: the engine's reader reads it or says what is wrong
        from ..engine.speech.audio import SAMPLE_RATE, load_audio

        seconds = len(load_audio(audio_path)) / SAMPLE_RATE
    return seconds


@dataclass
class Voice:
    """The clip to gesture to: a file, or the file of a sound strip already in the sequencer."""

    path: str
    start_frame: int
    strip: str | None = None  # the sound strip's name when the voice comes from the sequencer


def _voice_strip(scene):
    """(the selected, else the only, sound strip in the sequencer, None) or (None, why there is none)."""
    editor = scene.sequence_editor
    sounds = [s for s in editor.strips_all if s.type == "SOUND" and s.sound] if editor else []
    if not sounds:
        return None, "Choose a voice clip first (or add the voice to the sequencer as a sound strip)"
    selected = [s for s in sounds if s.select]
    if len(selected) == 1:
        return selected[0], None
    if len(sounds) == 1:
        return sounds[0], None
    return None, (f"{len(sounds)} sound strips are in the sequencer: select the voice's strip alone, "
                  "or choose a voice clip file")


def find_voice(context) -> tuple[Voice | None, str | None]:
    """(Voice, None), or (None, why there is no usable voice). The clip file wins over the sequencer."""
    s = context.scene.openhuman
    if s.audio_path:
        path = bpy.path.abspath(s.audio_path)
        if os.path.isdir(path):
            return None, f"The voice clip {path} is a folder: choose an audio file"
        if not os.path.isfile(path):
            return None, f"Voice clip not found: {path}"
        return Voice(path, s.start_frame), None
    strip, problem = _voice_strip(context.scene)
    if strip is None:
        return None, problem
    sound = strip.sound
    if sound.packed_file is not None:
        return None, (f"The sound strip '{strip.name}' is packed into the .blend: unpack it "
                      "(File > External Data > Unpack Resources) or choose a voice clip file")
    path = bpy.path.abspath(sound.filepath, library=sound.library)
    if not os.path.isfile(path):
        return None, (f"The sound strip '{strip.name}' plays {path}, which is not found: "
                      "relink it or choose a voice clip")
    return Voice(path, int(round(strip.frame_start)), strip.name), None


def check_inputs(context) -> str | None:
    """Why Generate cannot run now, or None. Nothing here changes any data."""
    from . import dependencies

    s = context.scene.openhuman
    if context.window_manager.openhuman_job.running:
        return "A generation is already running"
    names = dependencies.missing()
    if names:
        return "Missing Python packages: " + ", ".join(names) + " (Preferences > Add-ons > OpenHuman)"
    _voice, problem = find_voice(context)
    if problem:
        return problem
    arm = s.armature or (context.active_object if context.active_object and context.active_object.type == "ARMATURE" else None)
    if arm is None:
        return "Choose a target armature (or create the OpenHuman armature)"
    from .rig_plan import target_problem

    problem = target_problem(arm)  # None for the OpenHuman armature and rigs with a usable bone map
    if problem:
        return problem
    labels = model_labels.current_labels() if s.method == "MODEL" else list(DEFAULT_EMOTIONS)
    for name in (s.emotion_a, s.emotion_b):
        if name and name not in labels:
            return f"Unknown emotion '{name}': this model has {', '.join(labels)}"
    return None


def pose_at(context, arm, frame: int):
    """The OpenHuman armature's pose at one frame, as a one-frame Motion."""
    from ..engine.motion.skeleton_zeggs import zeggs_skeleton
    from .rig_reader import read_motion
    from .rig_plan import is_openhuman_rig

    if not is_openhuman_rig(arm):
        raise OpenHumanError(f"'{arm.name}' is not an OpenHuman armature: starting or ending on its pose needs the "
                             "75-bone OpenHuman armature (generate on it, then retarget)")
    return read_motion(context, arm, zeggs_skeleton(), frames=[frame])


class GenerateJob(BackgroundJob):
    """A generation run as a modal job (progress, cancel, the scene untouched on failure); the operators
    mix it in (Blender cannot register a subclass of a registered operator)."""

    _thread = None
    _timer = None

    @classmethod
    def poll(cls, context):
        return not context.window_manager.openhuman_job.running

    def _request(self, context):
        from ..engine.settings import options_from_settings
        from .preferences import get_preferences

        s = context.scene.openhuman
        prefs = get_preferences()
        arm = s.armature or context.active_object
        voice, _problem = find_voice(context)  # check_inputs has made sure there is one
        seconds = _clip_seconds(voice.path)
        gamma = gamma_curve(context.scene, s, seconds, voice.start_frame)
        options = options_from_settings({
            "emotion": s.emotion_a, "emotion_b": s.emotion_b, "gamma": gamma, "intensity": s.intensity, "seed": s.seed,
            "quality": s.quality, "method": s.method, "device": prefs.device if prefs else "auto",
            "model": model_labels.model_path(), "listening": s.listening,
            "wavlm": bpy.path.abspath(prefs.wavlm_path) if prefs and prefs.wavlm_path else None,
        })
        transcript = s.transcript.strip() or None
        if transcript and os.path.isfile(bpy.path.abspath(transcript)):
            transcript = bpy.path.abspath(transcript)
        if s.words_text is not None:  # words the user corrected win over finding them again
            from ..engine.speech.word_lines import parse_word_lines

            transcript = parse_word_lines(s.words_text.as_string(), f"the text '{s.words_text.name}'")
        self._takes = s.takes
        self._constraints = self._directing(context, arm, voice, seconds)
        return voice, transcript, options, arm

    def _directing(self, context, arm, voice, seconds: float):
        """The panel's directing settings as engine constraints (poses read from the armature here,
        on the main thread) for a clip of ``seconds``."""
        from ..engine.directing import Constraints

        s = context.scene.openhuman
        constraints = Constraints(body=s.body.lower(), lock_root=s.lock_root)
        if s.start_from_pose or s.end_on_pose:
            fps = context.scene.render.fps / context.scene.render.fps_base
            model_frames = int(seconds * MODEL_FPS) + 1  # the motion the engine makes for the clip
            end = voice.start_frame + max(1, int(round(model_frames / MODEL_FPS * fps)))
            if s.start_from_pose:
                constraints.start_pose = pose_at(context, arm, voice.start_frame - 1)
            if s.end_on_pose:
                constraints.end_pose = pose_at(context, arm, end)
        return constraints

    def _run_engine(self, audio, transcript, options):
        from ..engine.api import generate
        from ..engine.errors import Cancelled

        state = self._state
        takes = getattr(self, "_takes", 1)
        try:
            extra = getattr(self, "_cancel_flag", None)
            state["results"] = []
            for k in range(takes):  # takes: the same settings with seeds seed, seed + 1, …
                take_options = replace(options, seed=options.seed + k)
                report = (lambda f, stage, k=k: self._on_progress((k + f) / takes, f"take {k + 1} of {takes}: {stage}")
                          ) if takes > 1 else self._on_progress
                state["results"].append(generate(audio, transcript, take_options, progress=report,
                                                 cancel=lambda: state["cancel"] or bool(extra and extra()),
                                                 words_cache=self._words_cache, constraints=self._constraints))
            state["result"] = state["results"][0]
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

    def execute(self, context):
        problem = check_inputs(context)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        try:
            voice, transcript, options, arm = self._request(context)
        except AudioError as exc:  # e.g. a text file renamed .wav: the message names the file and the problem
            self.report({"ERROR"}, f"Cannot read the voice clip: {exc}")
            return {"CANCELLED"}
        except OpenHumanError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug, not bad input: some exceptions have an empty message, so name the type
            self.report({"ERROR"}, f"Cannot prepare the generation: {type(exc).__name__}: {str(exc) or 'no details'}")
            return {"CANCELLED"}
        self._arm_name = arm.name
        self._voice = voice
        # Read here, written back on success only: the engine thread never touches Blender data.
        self._words_cache = MemoryWordsCache.from_json(context.scene.openhuman.words_cache)
        audio = voice.path
        self._state = {"progress": 0.0, "stage": "starting", "done": False, "cancel": False}
        if bpy.app.background or not context.window:
            job = context.window_manager.openhuman_job
            job.cancel_requested = False
            self._cancel_flag = lambda: job.cancel_requested  # a script or another thread may raise it
            self._run_engine(audio, transcript, options)
            return self._finish(context)
        return self._start(context, lambda: self._run_engine(audio, transcript, options), "starting")

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
        voice = self._voice
        settings = {"clip": voice.path, **result.options.to_dict(), "words": len(result.words)}
        if voice.strip:
            settings["sound_strip"] = voice.strip
        previous = current_action_name(arm)
        try:
            actions = []
            for take in state["results"]:
                actions.append(self._apply(context, arm, take, voice, {**settings, **take.options.to_dict()}))
        except OpenHumanError as exc:
            self.report({"ERROR"}, f"Cannot key '{arm.name}': {exc}")
            return {"CANCELLED"}
        action = actions[0]
        if len(actions) > 1:
            mark_takes(arm, actions)
        s.words_summary = result.info.get("words", "")
        s.words_cache = self._words_cache.to_json()  # the .blend keeps the words: no recognition next time
        source = f" from the sound strip '{voice.strip}'" if voice.strip else ""
        takes = f" ({len(actions)} takes: choose one in the panel)" if len(actions) > 1 else ""
        self.report({"INFO"}, f"OpenHuman: {result.motion.duration:.1f} s of motion{source} on '{arm.name}' "
                              f"as the action '{action.name}'{takes}" + kept_note(previous))
        return {"FINISHED"}


    def _apply(self, context, arm, result, voice, settings):
        """Straight onto the OpenHuman armature; through the bone map onto any other rig."""
        return apply_result(context, arm, result.motion, voice.path, voice.start_frame, settings,
                            context.scene.openhuman.set_frame_range, sound_strip=voice.strip is None)


class OPENHUMAN_OT_generate(GenerateJob, bpy.types.Operator):
    """Generate gestures for the voice clip onto the target armature"""

    bl_idname = "openhuman.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}


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
