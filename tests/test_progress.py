"""Progress output: a live bar on a terminal, a few dated lines in a log."""
import io

from openhuman.cli.progress import ProgressBar


def feed(bar):
    bar(0.0, "reading audio")
    bar(0.05, "finding words")
    for k in range(700):  # a long clip's sampler steps
        bar(0.12 + 0.83 * k / 699, f"window {k // 100 + 1} of 7")
    bar(0.97, "decoding motion")
    bar(1.0, "done")
    bar.close()


def test_a_log_gets_one_line_per_stage_and_per_tenth_of_sampling():
    log = io.StringIO()
    feed(ProgressBar(stream=log))
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert 10 <= len(lines) <= 16, lines
    assert lines[0].split()[-2:] == ["reading", "audio"] and lines[-1].endswith("done")
    assert all(line.split()[0].endswith("s") for line in lines)  # elapsed time first


def test_a_terminal_gets_a_live_bar():
    tty = io.StringIO()
    feed(ProgressBar(stream=tty, live=True))
    text = tty.getvalue()
    assert text.count("\r") > 50 and text.endswith("\n") and text.count("\n") == 1


def test_stage_times_add_up_to_the_total():
    from openhuman.cli.progress import StageTimes

    clock = StageTimes(lambda fraction, stage: None, origin=0.0)
    clock.marks = [("reading audio", 0.5), ("finding words", 0.6), ("sampling", 2.0), ("sampling", 2.5),
                   ("done", 5.0), ("writing", 5.0), ("written", 5.2)]
    times = clock.seconds()
    assert list(times) == ["start-up", "reading audio", "finding words", "sampling", "writing", "total"]
    assert times["sampling"] == 3.0 and times["total"] == 5.2
    assert abs(sum(v for k, v in times.items() if k != "total") - times["total"]) < 1e-9
    live = StageTimes(lambda fraction, stage: None, origin=0.0)
    for stage in ("reading audio", "window 1 of 3", "window 2 of 3", "done"):
        live(0.5, stage)
    assert [m[0] for m in live.marks] == ["reading audio", "sampling", "done"]
