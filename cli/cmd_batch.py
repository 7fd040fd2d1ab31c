"""`openhuman batch`: many clips from a jobs file (CSV or JSON), run by worker processes."""
import sys
from pathlib import Path

from ..batch.runner import JOBS_PER_WORKER

NAME = "batch"
HELP = ("Animate many clips from a jobs file (.csv/.json): rigs, bone maps, emotions, outputs "
        "(.blend .fbx .bvh .mp4); finished jobs are skipped; --shard I/N for cluster arrays.")


def add_arguments(p):
    p.add_argument("--jobs", required=True, help="jobs file: .csv with a header row, or .json (a list of jobs)")
    p.add_argument("--out", required=True, help="output folder (one sub-folder per job, summary JSON at the top)")
    p.add_argument("--workers", type=int, default=1,
                   help="jobs run at once, each worker in its own process (default 1)")
    p.add_argument("--shard", help="I/N: run only every N-th job from position I (0 <= I < N)")
    p.add_argument("--method", choices=["model", "procedural"],
                   help="for jobs without one (default: the bundled model if present, else procedural)")
    p.add_argument("--quality", choices=["draft", "standard", "reference"], default="standard",
                   help="for jobs without one (default: standard)")
    p.add_argument("--model", help="model file for jobs without one (default: the bundled model)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p.add_argument("--wavlm", metavar="DIR", help="WavLM model folder for jobs without one (models trained with WavLM)")
    p.add_argument("--timeout", type=float, help="seconds before a job is stopped and reported failed")
    p.add_argument("--jobs-per-worker", type=int, default=JOBS_PER_WORKER, metavar="N",
                   help=f"jobs a worker process runs before a new one starts (default {JOBS_PER_WORKER}; "
                        "1: a fresh process for every job)")
    p.add_argument("--blender", help="run each job in this Blender executable (blender -b) instead of the bpy module")


def run(args) -> int:
    from ..batch.jobs import BatchDefaults, parse_shard, read_jobs, shard
    from ..batch.runner import blender_worker, bpy_worker, run_batch
    from ..engine.errors import OpenHumanError
    from ..engine.constants import BUNDLED_MODEL

    if args.workers < 1:
        raise OpenHumanError("--workers must be 1 or more")
    if args.jobs_per_worker < 1:
        raise OpenHumanError("--jobs-per-worker must be 1 or more (1: a fresh process for every job)")
    index, count = parse_shard(args.shard)
    jobs = shard(read_jobs(args.jobs), index, count)
    method = args.method or ("model" if BUNDLED_MODEL.exists() else "procedural")
    defaults = BatchDefaults(method=method, quality=args.quality, model=args.model, device=args.device,
                             wavlm=args.wavlm)
    name = "summary.json" if count == 1 else f"summary-shard-{index}-of-{count}.json"
    worker = blender_worker(args.blender) if args.blender else bpy_worker
    print(f"openhuman batch: {len(jobs)} job(s) in shard {index}/{count}, {args.workers} worker(s), "
          f"default method {method}", file=sys.stderr)
    summary = run_batch(jobs, Path(args.out), worker, workers=args.workers, defaults=defaults, timeout=args.timeout,
                        progress=_progress_bar, summary_name=name, jobs_per_worker=args.jobs_per_worker,
                        extra={"jobs_file": str(Path(args.jobs).resolve()), "shard": f"{index}/{count}"})
    print(f"openhuman batch: {summary['ok']} done, {summary['skipped']} already finished, {summary['failed']} failed "
          f"in {summary['wall_seconds']:.0f} s ({summary['clips_per_minute']:.1f} clips/min); "
          f"summary: {Path(args.out) / name}", file=sys.stderr)
    for failure in summary["failures"]:
        print(f"  failed {failure['id']}: {failure['reason']} (log: {failure['log']})", file=sys.stderr)
    return 1 if summary["failed"] else 0


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="clip", desc="batch", dynamic_ncols=True, mininterval=1.0, file=sys.stderr)
