"""Frozen network graphs kept on disk, so that a new process (the command line, a batch worker, Blender's
first Generate) reads in a few hundredths of a second the graph it would spend 0.3 s tracing and freezing.

A graph is filed under a digest of everything that decides it: the network's weights (as cast), the
half and its input shapes and types, the code that defines the arithmetic, torch's version and the
processor's instruction set (oneDNN packs weights for the processor it freezes on). frozen.py checks a
graph read from disk against the network before using it, as it checks a fresh one; a file that is
damaged, unreadable or disagrees is ignored and replaced, never an error. $OPENHUMAN_CACHE/graphs
(engine/constants.py: user_cache_dir); the newest MAX_ENTRIES files are kept.
"""
from __future__ import annotations

import hashlib
import platform
import warnings
from pathlib import Path

import torch

from ..atomic_file import atomic_path
from ..constants import user_cache_dir

FORMAT = 1
MAX_ENTRIES = 24  # about 5 MB each for the bundled model
_CODE = ("denoiser.py", "frozen.py", "graph_cache.py")


def _code_version() -> bytes:
    here = Path(__file__).resolve().parent
    return b"".join(name.encode() + b"\0" + (here / name).read_bytes() for name in _CODE)


def graph_key(weights: str, half: str, inputs: tuple) -> str:
    """The file name (without folder) of the graph of ``half`` for these weights and inputs."""
    sha = hashlib.sha256(f"openhuman-graph/{FORMAT}/{torch.__version__}/{platform.machine()}/"
                         f"{torch.backends.cpu.get_cpu_capability()}/{weights}/{half}/".encode())
    sha.update(_code_version())
    for a in inputs:
        sha.update(f"{tuple(a.shape)}|{a.dtype}|{a.device}|".encode())
    return sha.hexdigest()[:32] + ".pt"


class GraphCache:
    """Graphs in one folder (default: the user's cache)."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else user_cache_dir("graphs")

    def load(self, key: str):
        """The graph filed under ``key``, or None (absent, or not readable as a graph)."""
        path = self.folder / key
        if not path.is_file():
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript's; torch 2.13 still reads it
                return torch.jit.load(str(path), map_location="cpu")
        except Exception:  # noqa: BLE001 (a damaged or foreign file is rebuilt, never an error)
            return None

    def save(self, key: str, graph) -> None:
        """File ``graph`` under ``key``, dropping the oldest beyond MAX_ENTRIES; a folder that cannot be
        written only costs the next process the time to freeze again."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.folder / key, suffix=".tmp") as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                torch.jit.save(graph, tmp)
            self._prune()
        except OSError as error:
            warnings.warn(f"could not keep the network graph in {self.folder} ({error}); "
                          "each new process will freeze it again", stacklevel=3)

    def _prune(self) -> None:
        dated = []
        for path in self.folder.glob("*.pt"):
            try:
                dated.append((path.stat().st_mtime, path))
            except OSError:  # removed meanwhile by another process
                continue
        for _, old in sorted(dated, reverse=True)[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)
