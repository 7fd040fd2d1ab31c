"""Blender UI: panels only draw, they never compute or write data."""
import bpy

from .main_panel import OPENHUMAN_PT_files, OPENHUMAN_PT_main

_classes = [OPENHUMAN_PT_main, OPENHUMAN_PT_files]


def register():
    for cls in _classes:
        bpy.utils.register_class(cls)


def unregister():
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
