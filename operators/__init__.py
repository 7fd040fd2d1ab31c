"""Blender operators: the only code that writes to Blender data."""
import bpy

from . import dependencies, properties, retarget_ops
from .armature_ops import OPENHUMAN_OT_create_armature, OPENHUMAN_OT_export_bvh, OPENHUMAN_OT_import_bvh
from .dependencies import OPENHUMAN_OT_install_dependencies
from .directing_ops import OPENHUMAN_OT_regenerate_range
from .generate import OPENHUMAN_OT_cancel, OPENHUMAN_OT_generate, OPENHUMAN_OT_new_seed
from .preferences import OpenHumanPreferences
from .preview import OPENHUMAN_OT_render_preview
from .takes import OPENHUMAN_OT_keep_take, OPENHUMAN_OT_play_take
from .transcribe import OPENHUMAN_OT_transcribe
from .words_edit import OPENHUMAN_OT_edit_words, OPENHUMAN_OT_forget_edited_words

_classes = (
    OpenHumanPreferences,
    OPENHUMAN_OT_install_dependencies,
    OPENHUMAN_OT_create_armature,
    OPENHUMAN_OT_import_bvh,
    OPENHUMAN_OT_export_bvh,
    OPENHUMAN_OT_generate,
    OPENHUMAN_OT_regenerate_range,
    OPENHUMAN_OT_play_take,
    OPENHUMAN_OT_keep_take,
    OPENHUMAN_OT_cancel,
    OPENHUMAN_OT_new_seed,
    OPENHUMAN_OT_render_preview,
    OPENHUMAN_OT_transcribe,
    OPENHUMAN_OT_edit_words,
    OPENHUMAN_OT_forget_edited_words,
)


def register():
    dependencies.add_site_packages_to_path()
    properties.register()
    for cls in _classes:
        bpy.utils.register_class(cls)
    retarget_ops.register()


def unregister():
    retarget_ops.unregister()
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
    properties.unregister()
