"""Blender operators: the only code that writes to Blender data."""
import bpy

from . import properties

_classes = []


def register():
    properties.register()
    for cls in _classes:
        bpy.utils.register_class(cls)


def unregister():
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
    properties.unregister()
