"""Where OpenHuman keeps what it can rebuild (found words, frozen network graphs): one folder per kind."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """$OPENHUMAN_CACHE/<kind>, else $XDG_CACHE_HOME/openhuman/<kind>, else ~/.cache/openhuman/<kind>."""
    if os.environ.get("OPENHUMAN_CACHE"):
        return Path(os.environ["OPENHUMAN_CACHE"]) / kind
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "openhuman" / kind
