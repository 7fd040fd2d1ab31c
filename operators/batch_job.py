"""One batch job in Blender: open the rig, generate, key it (through its bone map), write the outputs.

Run as a worker on the bpy module:  python -m openhuman.operators.batch_job JOB.json RESULT.json
or inside Blender through scripts/openhuman_batch_blender.py. The job file is what
batch/runner.py writes; the result file says ok (with the outputs) or the error.
With --serve the worker runs jobs one after another, as batch/runner.py sends them on stdin, so
that Blender, torch and the model load once per worker instead of once per job.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import bpy

from ..engine.errors import OpenHumanError


def load_rig(job: dict):
    """A fresh scene with the job's rig (or a new OpenHuman armature); returns the armature to key."""
    from .headless import ensure_registered

    rig = job.get("rig")
    if rig and not os.path.isfile(rig):
        raise OpenHumanError(f"rig file {rig} not found")
    if rig and rig.lower().endswith(".blend"):
        bpy.ops.wm.open_mainfile(filepath=rig, load_ui=False)
    else:
        bpy.ops.wm.read_factory_settings(use_empty=True)
    ensure_registered()
    context = bpy.context
    if not rig:
        bpy.ops.openhuman.create_armature()
        return context.scene.openhuman.armature
    if rig.lower().endswith(".fbx"):
        bpy.ops.import_scene.fbx(filepath=rig)
    armatures = [o for o in context.scene.objects if o.type == "ARMATURE"]
    wanted = job.get("armature")
    if wanted:
        arm = next((o for o in armatures if o.name == wanted), None)
        if arm is None:
            raise OpenHumanError(f"rig file {Path(rig).name} has no armature named {wanted!r} in its scene "
                                 f"(it has: {', '.join(o.name for o in armatures) or 'none'})")
        return arm
    if len(armatures) != 1:
        raise OpenHumanError(f"rig file {Path(rig).name} has {len(armatures)} armatures "
                             f"({', '.join(o.name for o in armatures)}): name one in the job's 'armature'")
    return armatures[0]


def run_job(job: dict) -> dict:
    """Everything one job does; returns {"outputs": {...}, ...}. Raises on failure."""
    from ..engine.motion import bvh
    from ..cli.progress import ProgressBar
    from ..engine.api import generate
    from ..engine.settings import SETTINGS, options_from_settings
    from ..engine.speech.words_cache import WordsCache
    from .preview import render_video
    from .scene_writer import apply_result

    start = time.perf_counter()
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = job["clip"]
    if not os.path.isfile(clip):
        raise OpenHumanError(f"voice clip {clip} not found")
    arm = load_rig(job)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(job.get("fps", 30)), 1.0  # after loading: FBX sets its own
    if job.get("bone_map"):
        arm.openhuman_bone_map = job["bone_map"]
    options = options_from_settings({name: job.get(name) for name in SETTINGS if name in job})

    progress = ProgressBar(stream=sys.stdout, live=False)  # a job's log: a line per stage and per 10 %
    result = generate(clip, job.get("transcript"), options, progress=progress, words_cache=WordsCache())
    settings = {"clip": clip, **result.options.to_dict(), "words": len(result.words), "batch_job": job.get("id")}
    start_frame = int(job.get("start_frame", 1))
    action = apply_result(bpy.context, arm, result.motion, clip, start_frame, settings, True)
    scene.openhuman.armature = arm
    name = job["id"]
    outputs = {}
    for kind in job.get("outputs", ["blend", "bvh"]):
        path = out_dir / f"{name}.{kind}"
        if kind == "bvh":  # the generated motion on the OpenHuman skeleton, in centimetres like ZeroEGGs
            bvh.save(path, result.motion.scaled(100.0))
        elif kind == "fbx":
            bpy.ops.export_scene.fbx(filepath=str(path), object_types={"ARMATURE", "MESH"}, bake_anim=True,
                                     bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False,
                                     add_leaf_bones=False)
        elif kind == "mp4":
            render_video(scene, arm, str(path))
        elif kind != "blend":
            raise OpenHumanError(f"unknown output {kind!r}")
        outputs[kind] = str(path)
    if "blend" in job.get("outputs", []):  # last, so it holds the scene as the other outputs saw it
        bpy.ops.wm.save_as_mainfile(filepath=str(out_dir / f"{name}.blend"))
        outputs["blend"] = str(out_dir / f"{name}.blend")
    retarget = json.loads(action["openhuman_retarget"]) if "openhuman_retarget" in action else None
    if retarget:  # the full joint-to-bone list is in the .blend; the result keeps what was left out
        retarget["mapped"] = len(retarget["mapped"])
    return {"outputs": outputs, "seconds": round(time.perf_counter() - start, 3), "frames": scene.frame_end,
            "duration": result.motion.duration, "armature": arm.name, "action": action.name,
            "retarget": retarget, "words": len(result.words)}


def run_and_record(job_path, result_path) -> bool:
    """Run the job in JOB.json and write RESULT.json (ok or the error); True when it went well."""
    from ..batch.jobs import write_result

    job = json.loads(Path(job_path).read_text())
    try:
        info = run_job(job)
    except OpenHumanError as exc:
        write_result(result_path, job, "error", error=str(exc), worker_pid=os.getpid())
        print(f"openhuman batch: job {job.get('id')} failed: {exc}", file=sys.stderr)
        return False
    except Exception as exc:  # a bug or a Blender error: keep the traceback in the log, the gist in the result
        traceback.print_exc()
        write_result(result_path, job, "error", error=f"{type(exc).__name__}: {exc}", worker_pid=os.getpid())
        return False
    write_result(result_path, job, "ok", **info, worker_pid=os.getpid(), worker_peak_mb=_peak_mb())
    return True


def serve(requests=None) -> int:
    """Run jobs until the end of `requests` (stdin): one JSON object a line, {"job", "result", "log"};
    each job's output goes to its own log."""
    for line in requests if requests is not None else sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        _output_to(request["log"])  # flushes the previous job's output into its own log first
        run_and_record(request["job"], request["result"])
    return 0


def _peak_mb() -> int:
    """The worker's peak resident memory so far (Linux and macOS; 0 where unknown)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10))


def _output_to(log_path) -> None:
    """Point this process's stdout and stderr (Blender's C output too) at the job's log."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv=None) -> int:
    """Worker entry point: run the job in JOB.json, write RESULT.json (ok or the error); or --serve."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--serve"]:
        return serve()
    if len(args) != 2:
        print("usage: python -m openhuman.operators.batch_job JOB.json RESULT.json | --serve", file=sys.stderr)
        return 2
    return 0 if run_and_record(*args) else 1


if __name__ == "__main__":
    sys.exit(main())
