"""Before any work: the output can be written and is none of the inputs (so no run ends in a traceback
or overwrites the clip it was reading)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import OpenHumanError


def same_file(a, b) -> bool:
    """True when two paths name one file (resolved paths, or the same inode through links)."""
    a, b = Path(a), Path(b)
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out, inputs=(), what: str = "--out") -> Path:
    """Refuse an output that is an input, a folder, in a missing or unwritable folder, or read-only."""
    out = Path(out)
    for source in inputs:
        if source and Path(source).exists() and same_file(out, source):
            raise OpenHumanError(f"{what} {out} is the same file as the input {source}; "
                                 "write the result to another file so the input is kept")
    if out.is_dir():
        raise OpenHumanError(f"{what} {out} is a folder; give a file name inside it")
    folder = out.parent
    if not folder.is_dir():
        raise OpenHumanError(f"output folder {folder} does not exist; create it or choose another {what}")
    if out.exists() and not os.access(out, os.W_OK):
        raise OpenHumanError(f"{what} {out} exists and is read-only; choose another file or make it writable")
    try:  # the only sure test for permissions, read-only file systems and full quotas
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OpenHumanError(f"cannot write in {folder} ({exc.strerror or exc}); choose a writable folder "
                             f"for {what}") from None
    return out
