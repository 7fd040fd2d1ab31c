"""Batch generation: jobs in, one worker process per job, a summary out. No bpy here.

A job names a voice clip and, optionally, a transcript, emotion(s) and γ, a rig file (.blend or
.fbx) with a bone map, and the outputs to write (.blend, .fbx, .bvh, preview .mp4). Each job runs
in its own worker process (the bpy module, or a `blender -b` process) given as a command by the
caller, so a crash or leak in one job cannot touch the others. Every job writes into
OUT/<job id>/: job.json, result.json, log.txt and its outputs. A job whose result.json says "ok"
for the same settings and whose outputs exist is finished: running the batch again skips it.
`shard` splits a job list deterministically (job i goes to shard i mod N), for cluster arrays.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .jobs import BatchDefaults, Job

@dataclass
class JobResult:
    id: str
    status: str  # ok, failed, skipped
    seconds: float = 0.0
    reason: str = ""
    outputs: dict = field(default_factory=dict)
    log: str = ""


def job_dir(out: Path, job: Job) -> Path:
    return Path(out) / job.id


def finished(out: Path, job: Job) -> bool:
    """True when the job's result says ok for these settings and its outputs are all there."""
    try:
        result = json.loads((job_dir(out, job) / "result.json").read_text())
    except (OSError, json.JSONDecodeError):
        return False
    outputs = result.get("outputs", {})
    return (result.get("status") == "ok" and result.get("job_key") == job.key()
            and all(kind in outputs and os.path.isfile(outputs[kind]) for kind in job.outputs))


WorkerCommand = Callable[[Path, Path], list[str]]


def run_batch(jobs: list[Job], out, worker_command: WorkerCommand, *, workers: int = 1,
              defaults: BatchDefaults | None = None, timeout: float | None = None, progress=None,
              summary_name: str = "summary.json", extra: dict | None = None) -> dict:
    """Run the unfinished jobs, `workers` at a time; write and return the summary.

    worker_command(job_json, result_json) -> argv of a process that runs one job. progress: a
    tqdm-like object factory progress(total=...) or None for no bar.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    defaults = defaults or BatchDefaults()
    start = time.perf_counter()
    results: list[JobResult] = []
    todo = []
    for job in jobs:
        if finished(out, job):
            results.append(JobResult(job.id, "skipped", reason="finished earlier",
                                     outputs=json.loads((job_dir(out, job) / "result.json").read_text())["outputs"]))
        else:
            todo.append(job)
    bar = progress(total=len(todo)) if progress and todo else None
    env = _worker_env(workers)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        running = {pool.submit(_run_one, job, out, worker_command, defaults, timeout, env): job for job in todo}
        failed = 0
        for future in as_completed(running):
            result = future.result()
            results.append(result)
            failed += result.status == "failed"
            if bar is not None:
                bar.set_postfix_str(f"failed {failed}" if failed else "", refresh=False)
                bar.update(1)
                if result.status == "failed":
                    bar.write(f"job {result.id} failed: {result.reason}")
    if bar is not None:
        bar.close()
    wall = time.perf_counter() - start
    order = {job.id: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.id])
    ran_ok = sum(r.status == "ok" for r in results)
    summary = {
        **(extra or {}),
        "out": str(out), "workers": workers, "total": len(jobs),
        "ok": ran_ok, "skipped": sum(r.status == "skipped" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "failures": [{"id": r.id, "reason": r.reason, "log": r.log} for r in results if r.status == "failed"],
        "wall_seconds": round(wall, 2),
        "clips_per_minute": round(ran_ok / wall * 60.0, 2) if ran_ok and wall > 0 else 0.0,
        "jobs": [asdict(r) for r in results],
    }
    tmp = out / (summary_name + ".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(out / summary_name)
    return summary


def _worker_env(workers: int) -> dict:
    """Workers share the cores: each gets its part for torch/BLAS threads unless the user chose."""
    env = dict(os.environ)
    share = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, share)
    return env


def _run_one(job: Job, out: Path, worker_command: WorkerCommand, defaults: BatchDefaults, timeout, env) -> JobResult:
    folder = job_dir(out, job)
    folder.mkdir(parents=True, exist_ok=True)
    result_path = folder / "result.json"
    result_path.unlink(missing_ok=True)
    payload = {**job.to_dict(), "method": job.method or defaults.method, "quality": job.quality or defaults.quality,
               "model": job.model or defaults.model, "device": job.device or defaults.device,
               "wavlm": job.wavlm or defaults.wavlm,
               "job_key": job.key(), "out_dir": str(folder)}
    (folder / "job.json").write_text(json.dumps(payload, indent=2) + "\n")
    log_path = folder / "log.txt"
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(worker_command(folder / "job.json", result_path), stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and anything it started
            proc.wait()
            return JobResult(job.id, "failed", time.perf_counter() - start, f"timed out after {timeout:g} s",
                             log=str(log_path))
    seconds = time.perf_counter() - start
    try:
        result = json.loads(result_path.read_text())
    except (OSError, json.JSONDecodeError):
        return JobResult(job.id, "failed", seconds, f"worker exited with code {code} without a result: "
                         + _last_line(log_path), log=str(log_path))
    if result.get("status") != "ok":
        return JobResult(job.id, "failed", seconds, result.get("error") or f"worker exited with code {code}",
                         log=str(log_path))
    return JobResult(job.id, "ok", seconds, outputs=result.get("outputs", {}), log=str(log_path))


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1][:300] if lines else "(empty log)"


def bpy_worker(job_json: Path, result_json: Path) -> list:
    """A worker on the bpy module in this Python."""
    root = __package__.rsplit(".", 1)[0]
    return [sys.executable, "-m", f"{root}.operators.batch_job", str(job_json), str(result_json)]


def blender_worker(blender: str) -> WorkerCommand:
    """Workers in a Blender executable (blender -b) running scripts/openhuman_batch_blender.py."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "openhuman_batch_blender.py"

    def command(job_json: Path, result_json: Path) -> list:
        return [blender, "-b", "--factory-startup", "--python", str(script), "--", "--job", str(job_json),
                "--result", str(result_json)]
    return command
