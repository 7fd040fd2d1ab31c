"""Benchmark: a real voice clip to a written file, timed from process start, stage by stage.

Four runs of `openhuman generate` side by side: audio only (words recognised), audio with its
transcript (words aligned), the first again with another emotion (words from the cache), and again at the
Draft preset (half the sampler's passes: an animator's quick try); then
Blender's Generate on the same clip (operators/bench_generate.py: add-on, armature, Generate, save).
Each reports wall time from spawning the process, its stages, the real-time factor and peak memory; and
Generate again in that Blender with another emotion (the words kept in the .blend, the model loaded).
The first command and Blender start with an empty cache, as on a first use: they freeze the network's
graphs. The later commands find the words afresh or in the cache as their labels say, and read the graphs
the first one kept (engine/diffusion/graph_cache.py), as every use after the first does.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import soundfile

from ..engine.constants import BUNDLED_MODEL

REPO = Path(__file__).resolve().parents[1]
SPEECH_FOLDERS = (REPO.parent / "shared" / "data" / "speech", Path("/usr/share/pocketsphinx/test/data/librivox"))
MIN_SECONDS = 60.0
# (label, emotion, with the transcript, words cache, quality preset)
RUNS = (("audio only", "Neutral", False, "fresh", "standard"),
        ("with transcript", "Neutral", True, "fresh", "standard"),
        ("again, another emotion (words cached)", "Sad", False, "first", "standard"),
        ("again, Draft (words cached)", "Happy", False, "first", "draft"))
BLENDER_AGAIN = "Blender Generate again, another emotion (same open Blender)"
# Runs the command as this wrapper's only child, so RUSAGE_CHILDREN is the command's own peak.
_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    t = time.perf_counter()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    wall = time.perf_counter() - t
    print(json.dumps({"rc": done.returncode, "stderr": done.stderr[-2000:], "stdout": done.stdout[-2000:],
                      "wall_s": wall,
                      "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
""")


def real_reading(folders=SPEECH_FOLDERS, min_seconds: float = MIN_SECONDS):
    """(samples, transcript text, source) of the first folder with a LibriVox reading, read again
    until it lasts ``min_seconds`` (the LibriVox test reading is 33 s; a dialogue line to time is 60–90 s)."""
    import numpy as np

    from .evaluation.real_speech import gather_clips

    for folder in folders:
        if Path(folder).is_dir():
            clip = next((c for c in gather_clips([folder]) if c.transcript), None)
            if clip is not None:
                times = max(1, math.ceil(min_seconds * 16000 / len(clip.samples)))
                source = f"{folder} ({', '.join(clip.sources)})" + (f", read {times} times" if times > 1 else "")
                return np.tile(clip.samples, times), " ".join([clip.transcript] * times), source
    raise FileNotFoundError("no real speech found: put ../shared beside the checkout or install "
                            "Debian's pocketsphinx-testdata")


def _run(argv: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, env=env,
                         check=True).stdout
    return json.loads(out)


def _auto_precision() -> str:
    """What the network computes in by default here (engine/diffusion/precision.py)."""
    from ..engine.diffusion.device import pick_device
    from ..engine.diffusion.precision import network_dtype

    return str(network_dtype("auto", pick_device("auto"))).removeprefix("torch.")


def benchmark_end_to_end(model=None, method: str = "model", clip=None, speech=None) -> dict:
    """clip: (samples16k, transcript, source) to time instead of the LibriVox reading; speech: a folder
    of LibriVox clips to read it from, looked in before ../shared and pocketsphinx-testdata."""
    samples, transcript, source = clip or real_reading(((Path(speech),) if speech else ()) + SPEECH_FOLDERS)
    seconds = len(samples) / 16000.0
    report = {"clip": source, "clip_seconds": round(seconds, 2), "method": method,
              "model": str(model or BUNDLED_MODEL) if method == "model" else None,
              "precision": _auto_precision() if method == "model" else None, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="openhuman-bench-") as tmp:
        tmp = Path(tmp)
        wav, text = tmp / "reading.wav", tmp / "reading.txt"
        soundfile.write(wav, samples, 16000)
        text.write_text(transcript + "\n")
        for k, (label, emotion, with_text, cache, quality) in enumerate(RUNS):
            timings = tmp / f"timings{k}.json"
            argv = [sys.executable, "-m", "openhuman.cli", "generate", "--audio", str(wav), "--emotion", emotion,
                    "--method", method, "--quality", quality, "--out", str(tmp / f"out{k}.bvh"),
                    "--timings", str(timings)]
            argv += ["--transcript", str(text)] if with_text else []
            argv += ["--model", str(model)] if model and method == "model" else []
            cache_dir = tmp / ("cache0" if cache == "first" else f"cache{k}")
            if cache_dir != tmp / "cache0" and (tmp / "cache0" / "graphs").is_dir():
                shutil.copytree(tmp / "cache0" / "graphs", cache_dir / "graphs", dirs_exist_ok=True)
            run = _run(argv, {**os.environ, "OPENHUMAN_CACHE": str(cache_dir)})
            if run["rc"] != 0:
                raise RuntimeError(f"{label}: openhuman generate failed: {run['stderr']}")
            report["runs"][label] = _entry(run, json.loads(timings.read_text()), seconds)
        if importlib.util.find_spec("bpy") is None:  # e.g. a GPU machine's Python that Blender's wheel lacks
            report["runs"]["Blender Generate, audio only"] = "skipped: bpy (Blender as a module) is not installed"
            return report
        timings = tmp / "timings-blender.json"
        # Blender in its own process (operators/bench_generate.py): the same work, keys instead of a file.
        argv = [sys.executable, "-m", "openhuman.operators.bench_generate", str(wav), method,
                str(tmp / "scene.blend"), str(model or "") if method == "model" else "", str(timings)]
        run = _run(argv, {**os.environ, "OPENHUMAN_CACHE": str(tmp / "cache-blender")})
        if run["rc"] != 0:
            raise RuntimeError(f"Blender Generate failed: {run['stderr']}")
        stages = json.loads(timings.read_text())
        again_s, again_words = stages.pop("generate again, another emotion"), stages.pop("words again")
        blender = report["runs"]["Blender Generate, audio only"] = _entry(run, stages, seconds)
        # An animator's next try: Generate again in the open Blender, the words kept in the .blend.
        report["runs"][BLENDER_AGAIN] = {"words": again_words, "wall_s": round(again_s, 2),
                                         "real_time_factor": round(seconds / again_s, 2)}
        command_line = report["runs"]["audio only"]["wall_s"]
        report["blender_vs_command_line"] = round(blender["wall_s"] / command_line, 2)
        # What an animator waits for: Generate in a Blender that is already open, against the command's whole run.
        report["blender_generate_vs_command_line"] = round(blender["stages_s"]["generate"] / command_line, 2)
    return report


def _entry(run: dict, stages: dict, seconds: float) -> dict:
    return {
        "words": _words_summary(run["stdout"]),
        "wall_s": round(run["wall_s"], 2), "real_time_factor": round(seconds / run["wall_s"], 2),
        "peak_mb": round(run["peak_mb"]), "stages_s": stages,
        # The interpreter's own start before the command's clock began, and its exit after.
        "outside_command_s": round(run["wall_s"] - stages["total"], 2),
    }


def _words_summary(stdout: str) -> str:
    """The words part of `wrote X (N frames at 20 fps; SUMMARY)`, or Blender's printed summary."""
    lines = stdout.strip().splitlines()
    if not lines:
        return ""
    last = lines[-1]
    if last.startswith("wrote ") and last.endswith(")"):
        return last[:-1].partition("; ")[2]
    return last
