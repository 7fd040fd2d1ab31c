"""Recognise the parts of a long clip side by side, one child process per part.

The pocketsphinx decoder holds Python's GIL while it searches (two decoders in two threads took
2.9 s where one took 1.4 s), so using both cores takes processes. Each part starts where the clip
pauses, so no word crosses from one part to the next. A child is a fresh interpreter running
recognition_child (`python -m`): nothing of the caller's script runs again in it (as multiprocessing's spawn
would do with a script that has no main guard) and nothing of the caller's state is copied into it
(as a fork would, torch's thread pool included). The child reads its part as a pickle on stdin and
writes one JSON line per segment (progress) and one with the words; the caller's ``cancel`` is
checked between lines and kills every child at once. ``start_child`` also runs the aligner's child
(alignment_process).
"""
from __future__ import annotations

import json
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from typing import Callable, Iterator

from ..errors import Cancelled, OpenHumanError
from .audio import SAMPLE_RATE
from .decoding import FRAME_RATE, cancelled
from .words import WordSpan

_POLL_S = 0.05


def can_spawn() -> bool:
    """Whether a fresh interpreter can import this package by its name: true for the installed package
    (and bpy from PyPI), not for a Blender extension, whose `bl_ext` package exists only inside Blender."""
    return __name__.startswith("openhuman.") and bool(sys.executable) and os.path.exists(sys.executable)


def recognise_parts(pcm, cutter, parts: list[tuple[int, int]],
                    progress: Callable[[float, float], None] | None, cancel) -> list[WordSpan]:
    """The WordSpans of every part (frame ranges of ``cutter``'s clip), each part in its own process."""
    total = len(pcm) / SAMPLE_RATE
    lines: queue.Queue = queue.Queue()
    children = [_start(pcm, cutter, start, stop, k, lines) for k, (start, stop) in enumerate(parts)]
    done, words, running = [0.0] * len(parts), [None] * len(parts), len(parts)
    try:
        for k, line in child_lines(lines, cancel, "transcription"):
            if line is None:  # the child closed its output
                running -= 1
                if words[k] is None:
                    raise OpenHumanError(f"recognising part {k + 1} of the clip failed: {error_of(children[k])}")
                if not running:
                    break
                continue
            message = json.loads(line)
            if "error" in message:
                raise OpenHumanError(f"recognising part {k + 1} of the clip failed: {message['error']}")
            if "words" in message:
                words[k] = [WordSpan(w, s, e) for w, s, e in message["words"]]
            before, done[k] = sum(done), message["done_s"] - parts[k][0] / FRAME_RATE
            if progress is not None and sum(done) > before:
                progress(sum(done), total)
    finally:
        for child in children:
            stop_child(child)
    return [span for part in words for span in part]


def _start(pcm, cutter, start: int, stop: int, k: int, lines: queue.Queue):
    return start_child("recognition_child", (pcm, cutter, start, stop), k, lines)


def start_child(module: str, job, k: int, lines: queue.Queue):
    """(process, its stderr file): a fresh interpreter running ``module`` of this package, ``job`` pickled
    to its stdin; each line it writes goes into ``lines`` as (k, line), then (k, None) when it closes."""
    errors = tempfile.TemporaryFile()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([p for p in sys.path if p] + [os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", f"{__package__}.{module}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=errors, env=env)
    process.stdin.write(pickle.dumps(job))
    process.stdin.close()
    threading.Thread(target=_read_lines, args=(process, k, lines), daemon=True).start()
    return process, errors


def child_lines(lines: queue.Queue, cancel, what: str) -> Iterator[tuple[int, bytes | None]]:
    """The children's (k, line) as they come (line None: child k closed its output), checking the caller's
    ``cancel`` at least every _POLL_S; a cancel raises Cancelled("<what> cancelled")."""
    while True:
        if cancelled(cancel):
            raise Cancelled(f"{what} cancelled")
        try:
            yield lines.get(timeout=_POLL_S)
        except queue.Empty:
            continue


def tell_parent(message: dict) -> None:
    """In a child: one JSON line to the parent, at once."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def stop_child(child) -> None:
    process, _ = child
    process.kill()
    process.wait()


def _read_lines(process, k: int, lines: queue.Queue) -> None:
    for line in process.stdout:
        lines.put((k, line))
    lines.put((k, None))


def error_of(child) -> str:
    process, errors = child
    process.wait()
    errors.seek(0)
    tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
    return f"exit status {process.returncode}" + (": " + " / ".join(tail) if tail else "")
