"""The extension zip, built by Blender's own extension builder (bl_pkg, shipped in the bpy wheel):
the add-on, the engine and the bundled model only — no training code, tests, evaluation weights or runs."""
import subprocess
import sys
import zipfile

import pytest

from helpers import REPO, extension_builder




@pytest.mark.blender
def test_the_extension_zip_carries_the_product_only(tmp_path):
    done = subprocess.run([sys.executable, str(extension_builder()), "build", "--source-dir", str(REPO), "--output-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = tmp_path.glob("openhuman-*.zip")
    names = zipfile.ZipFile(built).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {"__init__.py", "blender_manifest.toml", "engine", "operators", "panels", "cli", "models"} <= tops
    assert "models/openhuman-base.safetensors" in names
    assert not tops & {"training", "tests", "runs", "corpus", "out", "configs", "docs", ".venv", ".git"}, tops
    assert not [n for n in names if n.endswith(("motion_autoencoder.safetensors", "emotion_classifier.safetensors"))]
    assert "operators/bench_keyframes.py" not in names  # a benchmark: it needs bpy, so it lives in operators/
    assert built.stat().st_size < 50e6
