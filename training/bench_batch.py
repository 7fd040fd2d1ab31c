"""Benchmark: clips per minute of `openhuman batch` for short espeak-ng clips, with 1 and 2 workers,
each a fresh process for every job and serving many jobs.

    python -m openhuman.training.bench_batch [--clips 20] [--workers 1 2] [--jobs-per-worker 1 50]
        [--method model] [--rig FILE] [--outputs blend bvh]

Makes the clips (espeak-ng speech with exact word timings, so no recognition time is counted),
runs the same jobs once per worker count and jobs per worker into fresh folders, in turn, and prints
one JSON object. Workers are real processes (bpy module): start-up, generation, keys on the rig, outputs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import soundfile

from ..engine.speech.audio import SAMPLE_RATE
from ..batch.jobs import BatchDefaults, read_jobs
from ..batch.runner import JOBS_PER_WORKER, bpy_worker, run_batch
from ..engine.speech.transcript_writers import save_word_spans
from .sentences import generate_sentences
from .speech_synth import synthesise_speech


def make_clips(folder: Path, n_clips: int, seconds: float = 3.0, seed: int = 0) -> list[dict]:
    """n_clips espeak clips of about `seconds` each, with their word timings as JSON transcripts."""
    emotions = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
    jobs = []
    for i in range(n_clips):
        emotion = emotions[i % len(emotions)]
        speech = synthesise_speech(iter(generate_sentences(seed + i, 50)), emotion, seed=seed + i,
                                   min_seconds=seconds, lead_in=(0.2, 0.3), tail=(0.2, 0.3))
        wav, words = folder / f"clip{i:02d}.wav", folder / f"clip{i:02d}.json"
        soundfile.write(wav, speech.samples, SAMPLE_RATE)
        save_word_spans(words, speech.words)
        jobs.append({"id": f"clip{i:02d}", "clip": wav.name, "transcript": words.name, "emotion": emotion,
                     "seconds": round(len(speech.samples) / SAMPLE_RATE, 2)})
    return jobs


def bench_batch(n_clips: int = 20, workers=(1, 2), rig: str | None = None, outputs=("blend", "bvh"),
                method: str = "procedural", seconds: float = 3.0, folder: str | None = None,
                jobs_per_worker=(1, JOBS_PER_WORKER)) -> dict:
    """Clips per minute for each worker count; prints and returns the JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(folder or tmp)
        base.mkdir(parents=True, exist_ok=True)
        clips = make_clips(base, n_clips, seconds)
        spec = [{k: v for k, v in c.items() if k != "seconds"} | {"outputs": list(outputs)} for c in clips]
        if rig:
            for job in spec:
                job["rig"] = str(Path(rig).resolve())
        (base / "jobs.json").write_text(json.dumps(spec, indent=1))
        jobs = read_jobs(base / "jobs.json")
        runs = []
        for n in workers:
            for per_worker in jobs_per_worker:
                start = time.perf_counter()
                summary = run_batch(jobs, base / f"out-{n}-{per_worker}", bpy_worker, workers=n,
                                    defaults=BatchDefaults(method=method), jobs_per_worker=per_worker)
                wall = time.perf_counter() - start
                per_job = sorted(j["seconds"] for j in summary["jobs"] if j["status"] == "ok")
                runs.append({"workers": n, "jobs_per_worker": per_worker,
                             "clips_per_minute": round(summary["ok"] / wall * 60.0, 2), "wall_seconds": round(wall, 1),
                             "ok": summary["ok"], "failed": summary["failed"],
                             "median_job_seconds": round(per_job[len(per_job) // 2], 2) if per_job else None})
        result = {
            "benchmark": "batch_clips_per_minute", "clips": n_clips,
            "speech_seconds_per_clip": round(sum(c["seconds"] for c in clips) / n_clips, 2),
            "method": method, "outputs": list(outputs), "rig": Path(rig).name if rig else "OpenHuman armature",
            "runs": runs, "cpu_count": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
        }
    print(json.dumps(result))
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=20)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--jobs-per-worker", type=int, nargs="+", default=[1, JOBS_PER_WORKER],
                   help="1: a fresh process for every job")
    p.add_argument("--rig", help=".blend or .fbx rig for every job (default: the OpenHuman armature)")
    p.add_argument("--outputs", nargs="+", default=["blend", "bvh"])
    p.add_argument("--method", default="procedural", choices=["procedural", "model"])
    p.add_argument("--seconds", type=float, default=3.0, help="length of each clip (about)")
    a = p.parse_args(argv)
    bench_batch(a.clips, a.workers, a.rig, a.outputs, a.method, a.seconds, jobs_per_worker=a.jobs_per_worker)
    return 0


if __name__ == "__main__":
    sys.exit(main())
