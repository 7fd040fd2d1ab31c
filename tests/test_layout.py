"""The shape of the code: the engine never touches Blender, and every engine module imports on its own."""
import subprocess
import sys

from helpers import REPO


def test_no_engine_module_imports_bpy():
    sources = sorted((REPO / "engine").rglob("*.py"))
    assert len(sources) > 40 and (REPO / "engine" / "diffusion" / "windowed_sampling.py") in sources
    offenders = [str(p.relative_to(REPO)) for p in sources
                 if any(line.strip().startswith(("import bpy", "from bpy")) for line in p.read_text().splitlines())]
    assert offenders == []
    code = ("import importlib, pkgutil, sys, openhuman.engine as e\n"
            "names = [m.name for m in pkgutil.walk_packages(e.__path__, 'openhuman.engine.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "assert 'bpy' not in sys.modules, 'bpy was imported'\n"
            "print(len(names))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 40
