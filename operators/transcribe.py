"""Transcribe: fill the transcript field from the voice clip (offline recognition, off the main thread)."""
import bpy

from .background_job import BackgroundJob


def _work(state, audio_path):
    from ..engine.speech.audio import load_audio
    from ..engine.errors import Cancelled, OpenHumanError
    from ..engine.speech.words_from_speech import words_for_clip

    try:
        samples = load_audio(audio_path)
        spans, report = words_for_clip(samples, None, progress=lambda d, t: state.update(progress=d / max(t, 1e-9)),
                                       cancel=lambda: state["cancel"])
        state["text"] = " ".join(w.word for w in spans)
        state["summary"] = report.summary()
    except Cancelled:
        state["cancelled"] = True
    except (OpenHumanError, OSError) as exc:
        state["error"] = str(exc)
    finally:
        state["done"] = True


class OPENHUMAN_OT_transcribe(BackgroundJob, bpy.types.Operator):
    """Recognise the words of the voice clip (English, offline) and put them in the transcript field"""

    bl_idname = "openhuman.transcribe"
    bl_label = "Transcribe"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return not context.window_manager.openhuman_job.running

    def execute(self, context):
        from .generate import find_voice

        voice, problem = find_voice(context)  # the clip file, else the sequencer's sound strip
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        path = voice.path
        self._state = {"done": False, "cancel": False, "progress": 0.0}
        if bpy.app.background:
            _work(self._state, path)
            return self._finish(context)
        return self._start(context, lambda: _work(self._state, path), "recognising words")

    def _finish(self, context):
        state = self._state
        if state.get("cancelled"):
            self.report({"WARNING"}, "Transcription cancelled")
            return {"CANCELLED"}
        if "error" in state:
            self.report({"ERROR"}, state["error"])
            return {"CANCELLED"}
        s = context.scene.openhuman
        s.transcript = state["text"]
        s.words_summary = state["summary"]
        self.report({"INFO"}, state["summary"])
        return {"FINISHED"}
