"""A terminal progress bar for engine progress callbacks (fraction, stage)."""
import sys
import time


class ProgressBar:
    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self.start = stream, width, time.perf_counter()
        self.last = ""

    def __call__(self, fraction: float, stage: str) -> None:
        filled = int(self.width * max(0.0, min(1.0, fraction)))
        elapsed = time.perf_counter() - self.start
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}% {elapsed:6.1f}s {stage[:40]:<40}"
        if line != self.last:
            self.stream.write(line)
            self.stream.flush()
            self.last = line

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
