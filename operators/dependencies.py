"""The Python packages the engine needs inside Blender: status, and installing them in the background."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading

import bpy

ROOT_PACKAGE = __package__.rsplit(".", 1)[0]
REQUIREMENTS = {
    "numpy": "numpy>=1.26,<3",
    "scipy": "scipy>=1.11,<2",
    "torch": "torch==2.13.0",
    "librosa": "librosa>=0.10.2,<0.12",
    "soundfile": "soundfile>=0.12,<0.14",
    "safetensors": "safetensors>=0.4,<0.9",
    "pocketsphinx": "pocketsphinx>=5.0.3,<5.2",
}
_install = {"thread": None, "lines": [], "done": 0, "error": None}


def site_packages_dir() -> str:
    """The extension's own user directory for packages (kept across add-on updates)."""
    try:
        return bpy.utils.extension_path_user(ROOT_PACKAGE, path="site-packages", create=True)
    except (ValueError, AttributeError):  # legacy add-on install, or no extension repository
        return os.path.join(bpy.utils.user_resource("SCRIPTS", path="openhuman", create=True), "site-packages")


def add_site_packages_to_path() -> None:
    path = site_packages_dir()
    if os.path.isdir(path) and path not in sys.path:
        sys.path.append(path)


def missing() -> list[str]:
    return [name for name in REQUIREMENTS if importlib.util.find_spec(name) is None]


def start_install(names: list[str]) -> None:
    """pip-install the missing packages into site_packages_dir() on a worker thread."""
    target = site_packages_dir()
    specs = [REQUIREMENTS[n] for n in names]
    _install.update(lines=[], done=0, error=None)

    def work():
        cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--target", target, *specs]
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for line in proc.stdout:
                _install["lines"].append(line.rstrip())
                if line.startswith(("Collecting", "Downloading", "Installing")):
                    _install["done"] += 1
            if proc.wait() != 0:
                _install["error"] = "pip failed: " + " | ".join(_install["lines"][-3:])
        except OSError as exc:
            _install["error"] = f"could not run pip: {exc}"

    thread = threading.Thread(target=work, daemon=True)
    _install["thread"] = thread
    thread.start()


class OPENHUMAN_OT_install_dependencies(bpy.types.Operator):
    """Install the Python packages OpenHuman needs into the extension's user directory"""

    bl_idname = "openhuman.install_dependencies"
    bl_label = "Install dependencies"
    _timer = None

    @classmethod
    def poll(cls, context):
        thread = _install["thread"]
        return not (thread and thread.is_alive())

    def execute(self, context):
        if not bpy.app.online_access:
            self.report({"ERROR"}, "Online access is off: enable Preferences > System > Network > Allow Online Access, "
                                   "or install the packages yourself")
            return {"CANCELLED"}
        names = missing()
        if not names:
            self.report({"INFO"}, "All dependencies are installed")
            return {"FINISHED"}
        start_install(names)
        if bpy.app.background:
            _install["thread"].join()
            return self._finish()
        self._timer = context.window_manager.event_timer_add(0.5, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        job = context.window_manager.openhuman_job
        job.stage = f"installing: {(_install['lines'] or ['starting pip'])[-1][:60]}"
        for area in context.screen.areas if context.screen else []:
            area.tag_redraw()
        if _install["thread"].is_alive():
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        job.stage = ""
        return self._finish()

    def _finish(self):
        if _install["error"]:
            self.report({"ERROR"}, _install["error"])
            return {"CANCELLED"}
        add_site_packages_to_path()
        importlib.invalidate_caches()
        still = missing()
        if still:
            self.report({"ERROR"}, f"Still missing after install: {', '.join(still)}")
            return {"CANCELLED"}
        self.report({"INFO"}, "Dependencies installed")
        return {"FINISHED"}
