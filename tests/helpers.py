"""Helpers shared by the test modules: where things are, and running a script in a fresh Blender."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
VOICE = REPO / "examples" / "voice.wav"


def run_blender(script: str, prelude: str = "import bpy\n", timeout: int = 600, env: dict | None = None,
                cwd=None, with_output: bool = False):
    """Run ``prelude + script`` in a fresh Blender (the bpy module in a new Python) and return the
    last line it printed as ``JSON:{...}``, parsed (with everything it printed when ``with_output``).
    The tests folder is on its import path, so scripts can import these helpers."""
    code = prelude + textwrap.dedent(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
           **(env or {})}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd)
    lines = [line[5:] for line in done.stdout.splitlines() if line.startswith("JSON:")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1])
    return (result, done.stdout) if with_output else result
