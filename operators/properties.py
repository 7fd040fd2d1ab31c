"""The add-on's settings, stored on the scene as `scene.openhuman` so a .blend remembers them."""
import bpy


class OpenHumanSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Voice clip", description="Speech audio to gesture to", subtype="FILE_PATH"
    )
    transcript: bpy.props.StringProperty(
        name="Transcript", description="What is said: typed text, or a .txt/.srt/.vtt/.TextGrid/.json file"
    )
    seed: bpy.props.IntProperty(name="Seed", description="Same seed, same motion", default=0, min=0)
    start_frame: bpy.props.IntProperty(name="Start frame", default=1)


def register():
    bpy.utils.register_class(OpenHumanSettings)
    bpy.types.Scene.openhuman = bpy.props.PointerProperty(type=OpenHumanSettings)


def unregister():
    del bpy.types.Scene.openhuman
    bpy.utils.unregister_class(OpenHumanSettings)
