"""The add-on registers, unregisters and registers again in real headless Blender (bpy 5.0.1)."""
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    import bpy
    import openhuman

    def ours():
        return sorted(n for n in dir(bpy.types) if n.startswith(("OPENHUMAN", "OpenHuman")))

    before = ours()
    for _ in range(2):
        openhuman.register()
        registered = ours()
        assert registered, "nothing registered"
        assert hasattr(bpy.types.Scene, "openhuman")
        bpy.context.scene.openhuman.seed = 7
        assert bpy.context.scene.openhuman.seed == 7
        openhuman.unregister()
        assert ours() == before, f"classes left behind: {set(ours()) - set(before)}"
        assert not hasattr(bpy.types.Scene, "openhuman")
    assert "torch" not in sys.modules and "librosa" not in sys.modules, "heavy imports at registration"
    print("REGISTRATION-OK", registered)
    """
)


def test_register_unregister_register_in_real_blender():
    # A fresh interpreter: bpy is one Blender per process, and we must see what register() imports.
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "REGISTRATION-OK" in result.stdout


def test_package_imports_without_heavy_dependencies():
    code = "import sys, openhuman; assert 'torch' not in sys.modules and 'librosa' not in sys.modules and 'bpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
