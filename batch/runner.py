"""Batch generation: jobs in, worker processes that run them, a summary out. No bpy here.

A job names a voice clip and, optionally, a transcript, emotion(s) and γ, a rig file (.blend or
.fbx) with a bone map, and the outputs to write (.blend, .fbx, .bvh, preview .mp4). Jobs run in
worker processes (the bpy module, or a `blender -b` process) given as a command by the caller. A
worker runs up to `jobs_per_worker` jobs one after another (each from a fresh scene), so Blender,
torch and the model load once for many jobs; after a failed job, a crash or a time-out it is
replaced by a new one, so a crash or a broken state reaches no other job. Every job writes into
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
import threading
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
    worker_pid: int | None = None  # the worker process that ran it


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


WorkerCommand = Callable[[], list[str]]
# A worker serves this many jobs, then a new one starts: bounds what a long batch could accumulate
# at one start-up (about 3 s) per 200 jobs. Measured: 40 jobs of 5 s in one worker, peak memory 582 MB
# after the first, 604 MB after the 14th and no higher.
JOBS_PER_WORKER = 200
POLL_S = 0.02


def run_batch(jobs: list[Job], out, worker_command: WorkerCommand, *, workers: int = 1,
              defaults: BatchDefaults | None = None, timeout: float | None = None, progress=None,
              summary_name: str = "summary.json", extra: dict | None = None,
              jobs_per_worker: int = JOBS_PER_WORKER) -> dict:
    """Run the unfinished jobs, `workers` at a time; write and return the summary.

    worker_command() -> argv of a process that serves jobs from its stdin (operators/batch_job.py
    --serve). jobs_per_worker: 1 starts a fresh process for every job. progress: a tqdm-like object
    factory progress(total=...) or None for no bar.
    """
    if jobs_per_worker < 1:
        raise ValueError(f"jobs_per_worker must be 1 or more, got {jobs_per_worker}")
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
    processes = _Workers(worker_command, _worker_env(workers), jobs_per_worker)
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        running = {pool.submit(_run_one, job, out, processes, defaults, timeout): job for job in todo}
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
    except BaseException:  # Ctrl-C or a bug: no job starts, the running ones stop now
        pool.shutdown(wait=False, cancel_futures=True)
        processes.stop()
        raise
    pool.shutdown()
    processes.close_all()
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


class _Worker:
    """One serving worker process; its first job's log also gets its start-up output."""

    def __init__(self, argv: list[str], env: dict, first_log: Path):
        with open(first_log, "w") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True, text=True)
        self.jobs = 0

    def send(self, job_json: Path, result_json: Path, log: Path) -> bool:
        """Hand the worker a job; False when it has already gone."""
        self.jobs += 1
        try:
            self.proc.stdin.write(json.dumps({"job": str(job_json), "result": str(result_json), "log": str(log)})
                                  + "\n")
            self.proc.stdin.flush()
        except OSError:  # a broken pipe: it has exited
            return False
        return True

    def close(self, grace: float = 30.0) -> None:
        """No more jobs: let it finish and exit, killed (with anything it started) if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and anything it started
        except ProcessLookupError:
            pass
        self.proc.wait()


class _Workers:
    """One worker per pool thread, started on demand, replaced after jobs_per_worker jobs or a failure."""

    def __init__(self, command: WorkerCommand, env: dict, jobs_per_worker: int):
        self.command, self.env, self.jobs_per_worker = command, env, jobs_per_worker
        self.local = threading.local()
        self.lock = threading.Lock()
        self.all: list[_Worker] = []
        self.stopped = False

    def for_job(self, log: Path) -> _Worker:
        worker = getattr(self.local, "worker", None)
        if worker is not None and worker.proc.poll() is None and worker.jobs < self.jobs_per_worker:
            log.write_text("")
            return worker
        self.retire()
        worker = _Worker(self.command(), self.env, log)
        self.local.worker = worker
        with self.lock:
            self.all.append(worker)
            stopped = self.stopped
        if stopped:  # started while the batch was being stopped
            worker.kill()
        return worker

    def retire(self, kill: bool = False) -> None:
        """This thread's worker takes no more jobs."""
        worker = getattr(self.local, "worker", None)
        self.local.worker = None
        if worker is not None and kill:
            worker.kill()
        elif worker is not None:
            worker.close()

    def close_all(self) -> None:
        with self.lock:
            workers, self.all = self.all, []
        for worker in workers:
            worker.close()

    def stop(self) -> None:
        """Kill every worker, and any started from now on: the jobs they run are reported failed."""
        with self.lock:
            self.stopped = True
            workers = list(self.all)
        for worker in workers:
            worker.kill()


def _run_one(job: Job, out: Path, workers: _Workers, defaults: BatchDefaults, timeout) -> JobResult:
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
    worker = workers.for_job(log_path)
    if not worker.send(folder / "job.json", result_path, log_path):  # it ended after its last job: a new one
        workers.retire()
        worker = workers.for_job(log_path)
        worker.send(folder / "job.json", result_path, log_path)
    while not result_path.exists():
        if worker.proc.poll() is not None and not result_path.exists():
            workers.retire()
            return JobResult(job.id, "failed", time.perf_counter() - start,
                             f"worker exited with code {worker.proc.returncode} without a result: "
                             + _last_line(log_path), log=str(log_path), worker_pid=worker.proc.pid)
        if timeout is not None and time.perf_counter() - start > timeout:
            workers.retire(kill=True)
            return JobResult(job.id, "failed", time.perf_counter() - start, f"timed out after {timeout:g} s",
                             log=str(log_path), worker_pid=worker.proc.pid)
        time.sleep(POLL_S)
    seconds = time.perf_counter() - start
    try:
        result = json.loads(result_path.read_text())
    except (OSError, json.JSONDecodeError):
        result = {}
    pid = result.get("worker_pid")
    if result.get("status") != "ok":
        workers.retire()  # whatever went wrong stays with this job: the next one gets a fresh worker
        return JobResult(job.id, "failed", seconds, result.get("error") or "worker wrote an unreadable result",
                         log=str(log_path), worker_pid=pid)
    return JobResult(job.id, "ok", seconds, outputs=result.get("outputs", {}), log=str(log_path), worker_pid=pid)


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1][:300] if lines else "(empty log)"


def bpy_worker() -> list:
    """A worker on the bpy module in this Python."""
    root = __package__.rsplit(".", 1)[0]
    return [sys.executable, "-m", f"{root}.operators.batch_job", "--serve"]


def blender_worker(blender: str) -> WorkerCommand:
    """Workers in a Blender executable (blender -b) running scripts/openhuman_batch_blender.py."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "openhuman_batch_blender.py"

    def command() -> list:
        return [blender, "-b", "--factory-startup", "--python", str(script), "--", "--serve"]
    return command
