"""The add-on's settings (`scene.openhuman`, saved with the .blend) and job state (window manager)."""
import bpy

from ..engine.diffusion.presets import DEFAULT_INTENSITY, QUALITY
from . import model_labels

QUALITY_ITEMS = [
    ("DRAFT", "Draft", f"The default sampler with {QUALITY['draft'][1]} steps (twice as fast; the intensity × "
     f"{QUALITY['draft'][2]:g}, which fewer steps need to look alike): for trying ideas"),
    ("STANDARD", "Standard", f"The default sampler (DPM-Solver++ 2M SDE, {QUALITY['standard'][1]} steps)"),
    ("REFERENCE", "Reference", "The method's own DDPM sampler with all 1000 steps: slow"),
]
BODY_ITEMS = [
    ("FULL", "Full body", "The whole body gestures"),
    ("UPPER", "Upper body", "Root and legs stay as they were: for seated or standing characters with their own "
     "lower-body animation"),
    ("HANDS", "Arms and hands", "Only the arms and fingers move"),
]
METHOD_ITEMS = [
    ("MODEL", "Diffusion model", "The bundled (or chosen) OHGesture model"),
    ("PROCEDURAL", "Procedural", "The rule-based gesture synthesiser: fast and deterministic, no model"),
]


def _emotion_search(self, context, edit_text):
    return [label for label in model_labels.current_labels() if edit_text.lower() in label.lower()]


def _is_armature(self, obj):
    return obj.type == "ARMATURE"


class OpenHumanSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Voice clip", subtype="FILE_PATH",
        description="Speech audio to gesture to (WAV, FLAC, OGG, MP3…). Empty: the selected (or only) sound strip "
        "in the sequencer, from its frame"
    )
    transcript: bpy.props.StringProperty(
        name="Transcript",
        description="What is said: typed text, or a .txt/.srt/.vtt/.TextGrid/.json file. Empty: recognised from the clip",
    )
    emotion_a: bpy.props.StringProperty(name="Emotion A", default="Neutral", search=_emotion_search)
    emotion_b: bpy.props.StringProperty(
        name="Emotion B", description="Blend towards this emotion with γ; empty: emotion A alone",
        default="", search=_emotion_search,
    )
    gamma: bpy.props.FloatProperty(
        name="Blend γ", description="1: emotion A, 0: emotion B (keyframe it for a changing blend)",
        default=1.0, min=0.0, max=1.0, options={"ANIMATABLE"},
    )
    intensity: bpy.props.FloatProperty(
        name="Intensity", description="Guidance strength: 1 is plain conditioning, more shows the emotion more strongly",
        default=DEFAULT_INTENSITY, min=0.0, max=4.0
    )
    words_cache: bpy.props.StringProperty(
        name="Words found", options={"HIDDEN"},
        description="Words found for recent clips (JSON), so a new emotion, γ or seed does not recognise them again",
    )
    words_text: bpy.props.PointerProperty(
        type=bpy.types.Text, name="Edited words",
        description="Corrected words as 'start end word' lines (Edit words fills it): when set, Generate uses "
        "these words instead of the transcript",
    )
    words_summary: bpy.props.StringProperty(
        name="Words", description="How the words of the last transcription or generation were found"
    )
    seed: bpy.props.IntProperty(name="Seed", description="Same seed, same motion", default=0, min=0)
    quality: bpy.props.EnumProperty(name="Quality", items=QUALITY_ITEMS, default="STANDARD")
    method: bpy.props.EnumProperty(name="Method", items=METHOD_ITEMS, default="MODEL")
    armature: bpy.props.PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature)
    start_frame: bpy.props.IntProperty(name="Start frame", default=1)
    set_frame_range: bpy.props.BoolProperty(
        name="Set frame range", description="Make the scene's frame range cover the clip", default=True
    )
    takes: bpy.props.IntProperty(
        name="Takes", default=1, min=1, max=8,
        description="Variations to make at once (seeds seed, seed + 1, …): each becomes an action to preview "
        "with one click in the panel, and you keep the one you like",
    )
    body: bpy.props.EnumProperty(name="Body", items=BODY_ITEMS, default="FULL",
                                 description="Which parts of the body the generation moves")
    lock_root: bpy.props.BoolProperty(
        name="Stay on the spot", default=True,
        description="The root moves at most 2 cm from where it starts (untick to let the character step and sway)",
    )
    listening: bpy.props.BoolProperty(
        name="Listening", default=False,
        description="The clip is the other speaker: the character listens (breathes, shifts its weight, nods at "
        "some of their phrase ends) instead of gesturing",
    )
    start_from_pose: bpy.props.BoolProperty(
        name="Start from the pose before", default=False,
        description="Begin on the armature's pose at the frame before the voice (to continue earlier animation)",
    )
    end_on_pose: bpy.props.BoolProperty(
        name="End on the pose after", default=False,
        description="End on the armature's pose at the frame after the voice (to hand over to later animation)",
    )


class OpenHumanJob(bpy.types.PropertyGroup):
    """Progress of the running job; lives on the window manager, so it is never saved or undone."""

    running: bpy.props.BoolProperty(default=False)
    progress: bpy.props.FloatProperty(name="Progress", subtype="PERCENTAGE", min=0.0, max=100.0)
    stage: bpy.props.StringProperty(default="")
    cancel_requested: bpy.props.BoolProperty(default=False)


_classes = (OpenHumanSettings, OpenHumanJob)


def register():
    for cls in _classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.openhuman = bpy.props.PointerProperty(type=OpenHumanSettings)
    bpy.types.WindowManager.openhuman_job = bpy.props.PointerProperty(type=OpenHumanJob)


def unregister():
    del bpy.types.WindowManager.openhuman_job
    del bpy.types.Scene.openhuman
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
