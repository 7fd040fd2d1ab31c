"""Progress for engine callbacks (fraction, stage): a live bar on a terminal; in a log file or a batch
job, one line per stage and every 10 % within a stage, with the elapsed time."""
import sys
import time

LOG_STEP = 0.10


class ProgressBar:
    def __init__(self, stream=None, width: int = 30, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.width, self.start = width, time.perf_counter()
        self.live = self.stream.isatty() if live is None else live
        self.last = ""
        self.logged_stage, self.logged_fraction = None, -1.0

    def __call__(self, fraction: float, stage: str) -> None:
        fraction = max(0.0, min(1.0, fraction))
        elapsed = time.perf_counter() - self.start
        if self.live:
            filled = int(self.width * fraction)
            line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}% {elapsed:6.1f}s {stage[:40]:<40}"
            if line != self.last:
                self.stream.write(line)
                self.stream.flush()
                self.last = line
            return
        # A stage text that counts ("window 3 of 9") is one stage: only its first word is compared.
        kind = stage.split(" ")[0]
        if kind != self.logged_stage or fraction >= self.logged_fraction + LOG_STEP or (
                fraction == 1.0 and self.logged_fraction < 1.0):
            self.stream.write(f"{elapsed:7.1f}s {fraction * 100:5.1f}% {stage}\n")
            self.stream.flush()
            self.logged_stage, self.logged_fraction = kind, fraction

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


class StageTimes:
    """Forwards progress to another callback and notes when each stage began, for --timings."""

    def __init__(self, forward, origin: float):
        self.forward, self.origin = forward, origin
        self.marks: list[tuple[str, float]] = []

    def __call__(self, fraction: float, stage: str) -> None:
        self.mark(_stage_name(stage))
        self.forward(fraction, stage)

    def mark(self, stage: str) -> None:
        if not self.marks or self.marks[-1][0] != stage:
            self.marks.append((stage, time.perf_counter() - self.origin))

    def seconds(self) -> dict:
        """{"start-up": s, stage: s, …, "total": s}: how long each stage took, in order; the last mark
        ends the run."""
        if not self.marks:
            return {}
        out = {"start-up": round(self.marks[0][1], 3)}
        for (stage, at), (_, end) in zip(self.marks, self.marks[1:]):
            if stage != "done":  # the engine's last report: its time goes to the stage after it
                out[stage] = round(out.get(stage, 0.0) + end - at, 3)
        out["total"] = round(self.marks[-1][1], 3)
        return out


def _stage_name(stage: str) -> str:
    """'window 3 of 9' → 'sampling'; other stages keep their text."""
    return "sampling" if stage.startswith("window ") else stage
