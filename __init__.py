# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenHuman: speech-driven co-speech gestures for Blender.

This file is both the Blender extension's entry point and the root of the Python
package `openhuman`. It imports nothing heavy: bpy is imported inside register(),
torch and librosa only inside the engine when a job runs.
"""

__version__ = "0.1.0"

_registered_modules = []


def register():
    from . import operators, panels

    for module in (operators, panels):
        module.register()
        _registered_modules.append(module)


def unregister():
    while _registered_modules:
        _registered_modules.pop().unregister()
