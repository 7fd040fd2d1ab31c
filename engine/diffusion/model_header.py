"""Read a model file's metadata without torch: the safetensors header is JSON after an 8-byte length."""
from __future__ import annotations

import json
import struct
from pathlib import Path

from ..errors import ModelFileError

MAX_HEADER = 100_000_000


def read_metadata(path) -> dict:
    """The OpenHuman metadata dict of a .safetensors model file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) != 8:
                raise ModelFileError(f"{path}: too short to be a model file")
            (size,) = struct.unpack("<Q", raw)
            if size > MAX_HEADER:
                raise ModelFileError(f"{path}: not a safetensors model file (header size {size})")
            header = fh.read(size)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    try:
        meta = json.loads(header).get("__metadata__", {})
        return json.loads(meta["openhuman"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ModelFileError(f"{path}: not an OpenHuman model file (no readable metadata)") from None
