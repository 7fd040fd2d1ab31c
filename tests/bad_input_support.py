"""Shared by the bad-input suite (tests/test_bad_input_*.py): run a command in a fresh process and
check that it failed cleanly — a status, one line that names the problem, no traceback, peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

from helpers import REPO, VOICE, tiny_model_file  # noqa: F401  (re-exported to the bad-input tests)

# A wrapper process runs the command as its only child, so RUSAGE_CHILDREN is that command's peak alone.
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "peak_mb": peak_mb}))
""")


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    peak_mb: float

    def error_line(self) -> str:
        """The user-facing error: the last non-empty line of stderr."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def run_command(argv: list[str], timeout: float = 300, cwd=None) -> Run:
    """Run argv (a list) in a child process; its peak resident memory comes back in MB."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(timeout), *map(str, argv)], capture_output=True,
                          text=True, timeout=timeout + 30, cwd=cwd, env={**os.environ, "PYTHONFAULTHANDLER": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    return Run(**json.loads(done.stdout))


def openhuman(*args, timeout: float = 300, cwd=None) -> Run:
    """`openhuman ARGS…` in a fresh process (the venv's interpreter, the checkout's package)."""
    return run_command([sys.executable, "-m", "openhuman.cli", *args], timeout=timeout, cwd=cwd)


def assert_clean_failure(run: Run, *needles: str, rc: int = 2) -> str:
    """The command failed with `rc`, said why in one `openhuman: error:` line containing every needle
    (case-insensitive), and printed no traceback."""
    assert run.rc == rc, (run.rc, run.stderr[-2000:])
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run.stderr[-3000:]
    line = run.error_line()
    assert line.startswith("openhuman: error: "), run.stderr[-2000:]
    for needle in needles:
        assert needle.lower() in line.lower(), (needle, line)
    return line
