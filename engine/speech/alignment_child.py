"""A transcript force-aligned in a child process (see alignment_process): (words, samples) come as a
pickle on stdin, one JSON line per segment done goes out, then one with the alignment (or the error)."""
from __future__ import annotations

import pickle
import sys

from .asr import align_words
from .recognition_processes import tell_parent


def main() -> None:
    words, samples = pickle.load(sys.stdin.buffer)

    try:
        result = align_words(words, samples, lambda done_s, total_s: tell_parent({"done_s": done_s, "total_s": total_s}))
    except Exception as error:  # the parent raises it again by name; a traceback would go to a hidden pipe
        tell_parent({"error": type(error).__name__, "message": str(error)})
        return
    tell_parent({"alignment": {"spans": [[s.word, s.start, s.end] for s in result.spans], "how": result.how,
                       "segments": result.segments, "decoded_s": result.decoded_s}})


if __name__ == "__main__":
    main()
