"""Add-on preferences: dependencies, the model file, the compute device."""
import bpy

from . import dependencies

ROOT_PACKAGE = __package__.rsplit(".", 1)[0]
DEVICE_ITEMS = [
    ("AUTO", "Auto", "CUDA when PyTorch sees a GPU, else the CPU"),
    ("CUDA", "CUDA", "NVIDIA GPU"),
    ("CPU", "CPU", "Processor only"),
]


def get_preferences():
    addon = bpy.context.preferences.addons.get(ROOT_PACKAGE)
    return addon.preferences if addon else None


class OpenHumanPreferences(bpy.types.AddonPreferences):
    bl_idname = ROOT_PACKAGE

    model_path: bpy.props.StringProperty(
        name="Model file", description="A .safetensors OpenHuman model; empty: the bundled model", subtype="FILE_PATH"
    )
    device: bpy.props.EnumProperty(name="Device", items=DEVICE_ITEMS, default="AUTO")
    wavlm_path: bpy.props.StringProperty(
        name="WavLM folder", subtype="DIR_PATH",
        description="A WavLM model saved on this computer, for models trained with WavLM features (never downloaded)")

    def draw(self, context):
        layout = self.layout
        box = layout.box()
        missing = dependencies.missing()
        if missing:
            box.label(text="Missing Python packages: " + ", ".join(missing), icon="ERROR")
            box.operator("openhuman.install_dependencies", icon="IMPORT")
            if not bpy.app.online_access:
                box.label(text="Online access is off (Preferences > System > Network)", icon="INFO")
        else:
            box.label(text="Python packages: all installed", icon="CHECKMARK")
        stage = context.window_manager.openhuman_job.stage
        if stage.startswith("installing"):
            box.label(text=stage)
        layout.prop(self, "model_path")
        layout.prop(self, "wavlm_path")
        row = layout.row()
        row.prop(self, "device")
        row.label(text=_detected_device())


def _detected_device() -> str:
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return "Detected: (checked when a job runs)"
    return "Detected: CUDA " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "Detected: CPU only"
