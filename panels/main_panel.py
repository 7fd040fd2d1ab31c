"""The OpenHuman tab in the 3D Viewport's sidebar."""
import bpy


class OPENHUMAN_PT_main(bpy.types.Panel):
    bl_label = "OpenHuman"
    bl_idname = "OPENHUMAN_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "OpenHuman"

    def draw(self, context):
        settings = context.scene.openhuman
        col = self.layout.column()
        col.prop(settings, "audio_path")
        col.prop(settings, "transcript")
        col.prop(settings, "seed")
        col.prop(settings, "start_frame")
