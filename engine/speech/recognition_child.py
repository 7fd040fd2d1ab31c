"""One part of a clip recognised in a child process (see recognition_processes): the part comes as a
pickle on stdin, one JSON line per segment done goes out, then one with the words (or the error)."""
from __future__ import annotations

import pickle
import sys

from .asr import recognise_part
from .audio import SAMPLE_RATE
from .decoding import HOP
from .recognition_processes import tell_parent


def main() -> None:
    pcm, cutter, start, stop = pickle.load(sys.stdin.buffer)

    try:
        spans = recognise_part(pcm, cutter, start, stop, lambda done_s, _total: tell_parent({"done_s": done_s}))
    except Exception as error:  # the parent names it; a traceback would go to a hidden pipe
        tell_parent({"error": f"{type(error).__name__}: {error}"})
        return
    tell_parent({"done_s": min(stop * HOP, len(pcm)) / SAMPLE_RATE, "words": [[s.word, s.start, s.end] for s in spans]})


if __name__ == "__main__":
    main()
