"""The `openhuman` command ends at once after the commands that have written everything (cli/main.py
EXIT_AT_ONCE): what they print is whole and their exit status is kept."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import VOICE


def _run(*argv, executable=None):
    command = [executable] if executable else [sys.executable, "-m", "openhuman.cli"]
    return subprocess.run([*command, *argv], capture_output=True, text=True, timeout=300)


def test_a_command_that_exits_at_once_prints_everything_and_keeps_its_status(tmp_path):
    run = _run("info")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["emotions"]  # the whole JSON, flushed before the exit
    out = tmp_path / "talk.bvh"
    run = _run("generate", "--audio", str(VOICE), "--method", "procedural", "--out", str(out))
    assert run.returncode == 0 and out.stat().st_size > 0 and run.stdout.strip().startswith(f"wrote {out}"), run.stderr
    run = _run("generate", "--audio", str(tmp_path / "missing.wav"), "--out", str(tmp_path / "x.bvh"))
    assert run.returncode == 2 and "openhuman: error: " in run.stderr and "no such audio file" in run.stderr, run.stderr


def test_the_installed_command_is_the_one_that_exits_at_once():
    command = Path(sys.executable).with_name("openhuman")
    if not command.exists():
        pytest.skip("no installed `openhuman` command beside this interpreter")
    assert "console" in command.read_text()
    run = _run("info", executable=str(command))
    assert run.returncode == 0 and json.loads(run.stdout)["emotions"], run.stderr
