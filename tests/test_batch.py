"""`openhuman batch`: jobs files, sharding, real worker processes on the bpy module, skipping, failures.

Jobs use the procedural method (no model file needed); each job is a real Blender (bpy) process.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from openhuman.engine.motion import bonemaps
from openhuman.batch.jobs import Job, parse_shard, read_jobs, shard
from openhuman.batch.runner import bpy_worker, finished, run_batch
from openhuman.engine.motion.bvh import load as load_bvh
from openhuman.engine.errors import OpenHumanError

from helpers import run_blender
from test_retarget import make_rig

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO / "examples" / "voice.wav"
TRANSCRIPT = REPO / "examples" / "voice.txt"


def openhuman(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "openhuman.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)



def blender_json(script: str) -> dict:
    return run_blender(script, prelude="import bpy, json\n", timeout=300)

@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    """The first 2.5 s of the example voice: short jobs keep this file quick."""
    samples, rate = soundfile.read(SPEECH)
    path = tmp_path_factory.mktemp("clips") / "short.wav"
    soundfile.write(path, samples[: int(2.5 * rate)], rate)
    return path


@pytest.fixture(scope="module")
def mixamo_blend(tmp_path_factory) -> Path:
    """A .blend holding a Mixamo-named rig (A-pose, 'mixamorig:' prefix) and a second, unrelated armature."""
    bones = {k: "mixamorig:" + v for k, v in bonemaps.load_bone_map("mixamo").bones.items()}
    rig = make_rig(bones, a_pose_deg=45.0, z_up=True)
    path = tmp_path_factory.mktemp("rigs") / "mixamo.blend"
    spec = {"names": list(rig.names), "parents": rig.parents.tolist(), "heads": rig.heads.tolist(),
            "tails": rig.tails.tolist()}
    blender_json(f"""
        bpy.ops.wm.read_factory_settings(use_empty=True)
        spec = {json.dumps(spec)}
        for name, count in (("Character", len(spec["names"])), ("Prop", 1)):
            arm = bpy.data.objects.new(name, bpy.data.armatures.new(name))
            bpy.context.scene.collection.objects.link(arm)
            bpy.context.view_layer.objects.active = arm
            bpy.ops.object.mode_set(mode="EDIT")
            made = []
            for i in range(count):
                eb = arm.data.edit_bones.new(spec["names"][i] if name == "Character" else "Bone")
                eb.head, eb.tail = spec["heads"][i], spec["tails"][i]
                if name == "Character" and spec["parents"][i] >= 0:
                    eb.parent = made[spec["parents"][i]]
                made.append(eb)
            bpy.ops.object.mode_set(mode="OBJECT")
        bpy.ops.wm.save_as_mainfile(filepath={str(path)!r})
        print("JSON:{{}}")
    """)
    return path


def test_jobs_files_csv_and_json(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "words.txt").write_text("hello there")
    (tmp_path / "jobs.csv").write_text(
        "clip,transcript,emotions,gamma,rig,outputs,bone_map\n"
        "clips/a.wav,clips/words.txt,Happy;Sad,0.25,rigs/hero.blend,blend+fbx,mixamo\n"
        "clips/a.wav,just some words,Angry,,,BVH .mp4,\n")
    jobs = read_jobs(tmp_path / "jobs.csv")
    assert [j.id for j in jobs] == ["a", "a_2"]
    a, b = jobs
    assert a.clip == str(tmp_path / "clips" / "a.wav") and a.rig == str(tmp_path / "rigs" / "hero.blend")
    assert a.transcript == str(tmp_path / "clips" / "words.txt") and b.transcript == "just some words"
    assert (a.emotion, a.emotion_b, a.gamma) == ("Happy", "Sad", 0.25) and a.bone_map == "mixamo"
    assert a.outputs == ("blend", "fbx") and b.outputs == ("bvh", "mp4") and b.emotion_b is None
    (tmp_path / "jobs.json").write_text(json.dumps({"jobs": [
        {"name": "take 1", "audio": "clips/a.wav", "emotion": "Old", "seed": 4, "outputs": ["bvh"], "fps": 24}]}))
    (job,) = read_jobs(tmp_path / "jobs.json")
    assert (job.id, job.emotion, job.seed, job.outputs, job.fps) == ("take_1", "Old", 4, ("bvh",), 24)
    assert job.key() != Job(**{**job.to_dict(), "seed": 5, "outputs": ("bvh",)}).key()
    assert job.key() == Job(**{**job.to_dict(), "id": "other", "outputs": ("bvh",)}).key()


@pytest.mark.parametrize("text, needle", [
    ("clip,colour\na.wav,red\n", "unknown column 'colour'"),
    ("clip,seed\na.wav,three\n", "row 2: seed must be a number"),
    ("clip,outputs\na.wav,blend;obj\n", "unknown output 'obj'"),
    ("clip,rig\na.wav,hero.ma\n", "rig must be a .blend or .fbx"),
    ("emotion\nHappy\n", "needs a 'clip'"),
    ("clip,method\na.wav,magic\n", "method must be model or procedural"),
    ("", "empty CSV"),
])
def test_bad_jobs_files_name_the_row_and_the_problem(tmp_path, text, needle):
    (tmp_path / "jobs.csv").write_text(text)
    with pytest.raises(OpenHumanError, match=needle):
        read_jobs(tmp_path / "jobs.csv")


def test_shards_split_deterministically_and_completely():
    jobs = [Job(clip=f"c{i}.wav", id=f"j{i}") for i in range(11)]
    parts = [shard(jobs, i, 4) for i in range(4)]
    ids = [j.id for part in parts for j in part]
    assert sorted(ids) == sorted(j.id for j in jobs) and len(set(ids)) == 11
    assert [j.id for j in parts[1]] == ["j1", "j5", "j9"]
    assert [j.id for j in shard(jobs, 1, 4)] == [j.id for j in parts[1]]
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) == (0, 1)
    for bad in ("4/4", "1", "-1/3", "a/b"):
        with pytest.raises(OpenHumanError, match="I/N"):
            parse_shard(bad)


@pytest.mark.blender
def test_batch_runs_rigs_and_outputs_reports_failures_and_skips_finished(tmp_path, short_clip, mixamo_blend,
                                                                         zeggs_dir):
    jobs = [
        {"id": "plain", "clip": str(short_clip), "transcript": "and mister john", "emotion": "Happy",
         "outputs": ["blend", "bvh", "mp4"]},
        {"id": "mixamo", "clip": str(short_clip), "transcript": "and mister john", "emotions": ["Sad", "Angry"],
         "gamma": 0.3, "rig": str(mixamo_blend), "armature": "Character", "outputs": ["blend", "fbx"]},
        {"id": "fbx", "clip": str(SPEECH), "transcript": str(TRANSCRIPT), "emotion": "Old",
         "rig": str(zeggs_dir / "LaForgeFemale.fbx"), "outputs": ["blend", "bvh"]},
        {"id": "two_rigs", "clip": str(short_clip), "rig": str(mixamo_blend), "outputs": ["bvh"]},
        {"id": "no_clip", "clip": str(tmp_path / "missing.wav"), "outputs": ["bvh"]},
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    out = tmp_path / "out"
    run = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", out, "--workers", 2, "--method", "procedural")
    assert run.returncode == 1, run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["ok"], summary["failed"], summary["skipped"]) == (3, 2, 0), summary
    reasons = {f["id"]: f["reason"] for f in summary["failures"]}
    assert "2 armatures" in reasons["two_rigs"] and "name one in the job's 'armature'" in reasons["two_rigs"]
    assert "missing.wav not found" in reasons["no_clip"]
    assert "failed no_clip" in run.stderr and "100%" in run.stderr  # the bar reached the end
    outputs = {j["id"]: j["outputs"] for j in summary["jobs"]}
    for kind in ("blend", "bvh", "mp4"):
        assert Path(outputs["plain"][kind]).stat().st_size > 1000
    assert Path(outputs["mixamo"]["fbx"]).stat().st_size > 1000
    motion = load_bvh(outputs["fbx"]["bvh"])
    assert motion.skeleton.n_joints == 75 and motion.n_frames == round(7.1 * 20)
    result = json.loads((out / "mixamo" / "result.json").read_text())
    assert result["retarget"]["bone_map"] == "mixamo" and "Neck1" in result["retarget"]["unmapped_source"]
    keys = blender_json(f"""
        bpy.ops.wm.open_mainfile(filepath={outputs["mixamo"]["blend"]!r})
        arm = bpy.data.objects["Character"]
        action = arm.animation_data.action
        settings = json.loads(action["openhuman_settings"])
        print("JSON:" + json.dumps({{"action": action.name, "emotion_b": settings["emotion_b"],
                                    "gamma": settings["gamma"], "range": list(action.frame_range),
                                    "rest_head": list(arm.data.bones["mixamorig:LeftArm"].head_local)}}))
    """)
    assert keys["action"] == "short" and keys["emotion_b"] == "Angry" and keys["gamma"] == pytest.approx(0.3)
    assert keys["range"] == [1.0, 74.0]  # 50 frames at 20 fps span 2.45 s: 74 keys at 30 fps
    # Again: finished jobs are skipped, failed ones run again; a changed job runs again.
    again = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", out, "--method", "procedural")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["ok"], summary["skipped"], summary["failed"]) == (0, 3, 2), again.stderr[-2000:]
    jobs[1]["seed"] = 7
    jobs[3]["armature"] = "Prop"  # an armature no bone map fits: reported, not silently keyed
    (tmp_path / "jobs.json").write_text(json.dumps([jobs[1], jobs[3]]))
    assert not finished(out, read_jobs(tmp_path / "jobs.json")[0])
    third = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", out, "--method", "procedural")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["ok"], summary["failed"]) == (1, 1), third.stderr[-2000:]
    assert "lacks a bone map" in summary["failures"][0]["reason"]


def test_shard_and_the_blender_script_entry_point(tmp_path, short_clip):
    jobs = [{"id": f"take{i}", "clip": str(short_clip), "transcript": "and mister john", "seed": i,
             "outputs": ["bvh"]} for i in range(3)]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    out = tmp_path / "out"
    # The script is what `blender -b --python scripts/openhuman_batch_blender.py -- ...` runs; here on the bpy module.
    script = REPO / "scripts" / "openhuman_batch_blender.py"
    run = subprocess.run([sys.executable, str(script), "--", "--jobs", str(tmp_path / "jobs.json"), "--out", str(out),
                          "--shard", "1/2", "--method", "procedural"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((out / "summary-shard-1-of-2.json").read_text())
    assert [j["id"] for j in summary["jobs"]] == ["take1"] and summary["shard"] == "1/2"
    assert not (out / "take0").exists() and not (out / "take2").exists()
    bad = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", out, "--shard", "2/2")
    assert bad.returncode == 2 and "--shard must be I/N" in bad.stderr
    # Worker mode of the script: one job in this process, result file written.
    job = json.loads((out / "take1" / "job.json").read_text())
    job.update(id="again", out_dir=str(tmp_path / "again"))
    (tmp_path / "job.json").write_text(json.dumps(job))
    one = subprocess.run([sys.executable, str(script), "--", "--job", str(tmp_path / "job.json"), "--result",
                          str(tmp_path / "result.json")], capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "ok" and Path(result["outputs"]["bvh"]).is_file()
    first = load_bvh(out / "take1" / "take1.bvh")
    second = load_bvh(result["outputs"]["bvh"])
    assert np.allclose(first.rotations, second.rotations)  # same job, same motion
    # Serving mode of the script (what `openhuman batch --blender` starts): jobs from stdin, each its own log.
    job.update(id="served", out_dir=str(tmp_path / "served"))
    (tmp_path / "served.json").write_text(json.dumps(job))
    request = {"job": str(tmp_path / "served.json"), "result": str(tmp_path / "served-result.json"),
               "log": str(tmp_path / "served-log.txt")}
    served = subprocess.run([sys.executable, str(script), "--", "--serve"], input=json.dumps(request) + "\n",
                            capture_output=True, text=True, timeout=600)
    assert served.returncode == 0, served.stderr[-3000:]
    result = json.loads((tmp_path / "served-result.json").read_text())
    assert result["status"] == "ok" and result["worker_pid"] > 0 and result["worker_peak_mb"] > 50
    assert np.allclose(first.rotations, load_bvh(result["outputs"]["bvh"]).rotations)
    assert (tmp_path / "served-log.txt").stat().st_size > 0


# A worker that speaks the serving protocol and nothing else: it lets the runner meet a crash and a hang,
# which the real worker (below) cannot be made to do on purpose.
PROTOCOL_WORKER = """
import json, os, sys, time
for line in sys.stdin:
    request = json.loads(line)
    job = json.load(open(request["job"]))
    with open(request["log"], "a") as log:
        log.write(f"job {job['id']} in worker {os.getpid()}\\n")
    if job["id"].startswith("crash"):
        os._exit(3)
    if job["id"].startswith("hang"):
        time.sleep(600)
    status = "error" if job["id"].startswith("bad") else "ok"
    result = {"id": job["id"], "status": status, "job_key": job["job_key"], "error": "a bad job",
              "outputs": {}, "worker_pid": os.getpid()}
    with open(request["result"] + ".tmp", "w") as out:
        json.dump(result, out)
    os.replace(request["result"] + ".tmp", request["result"])
"""


def test_workers_serve_many_jobs_and_are_replaced_after_a_failure_a_crash_a_hang_or_their_quota(tmp_path,
                                                                                                    short_clip):
    ids = ["a", "b", "c", "bad", "d", "crash", "e", "hang", "f"]
    (tmp_path / "jobs.json").write_text(json.dumps([{"id": i, "clip": str(short_clip)} for i in ids]))
    jobs = read_jobs(tmp_path / "jobs.json")
    summary = run_batch(jobs, tmp_path / "out", lambda: [sys.executable, "-c", PROTOCOL_WORKER], timeout=3.0,
                        jobs_per_worker=2)
    by_id = {j["id"]: j for j in summary["jobs"]}
    assert [by_id[i]["status"] for i in ids] == ["ok", "ok", "ok", "failed", "ok", "failed", "ok", "failed", "ok"]
    pid = {i: by_id[i]["worker_pid"] for i in ids}
    assert pid["a"] == pid["b"] != pid["c"]  # two jobs a worker
    assert pid["bad"] == pid["c"] != pid["d"]  # a failed job: its worker retires
    assert pid["crash"] == pid["d"] != pid["e"]
    assert pid["hang"] == pid["e"] != pid["f"]
    reasons = {f["id"]: f["reason"] for f in summary["failures"]}
    assert reasons == {"bad": "a bad job", "crash": "worker exited with code 3 without a result: job crash in worker "
                       f"{pid['crash']}", "hang": "timed out after 3 s"}
    for i in ids:  # each job's log holds its own output only
        assert (tmp_path / "out" / i / "log.txt").read_text() == f"job {i} in worker {pid[i]}\n"
    with pytest.raises(ValueError, match="jobs_per_worker"):
        run_batch(jobs, tmp_path / "out", bpy_worker, jobs_per_worker=0)
    bad = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", tmp_path / "out", "--jobs-per-worker", 0)
    assert bad.returncode == 2 and "--jobs-per-worker must be 1 or more" in bad.stderr


def test_ctrl_c_stops_the_running_jobs_at_once_and_starts_no_more(tmp_path, short_clip):
    (tmp_path / "jobs.json").write_text(json.dumps([{"id": f"hang{i}", "clip": str(short_clip)} for i in range(4)]))
    out = tmp_path / "out"
    # A shell's background job starts with SIGINT ignored and passes that on; Ctrl-C at a terminal raises
    # KeyboardInterrupt, so the batch gets Python's own handler back, as a terminal's command has it.
    script = f"""
import signal, sys
from openhuman.batch.jobs import read_jobs
from openhuman.batch.runner import run_batch
signal.signal(signal.SIGINT, signal.default_int_handler)
try:
    run_batch(read_jobs({str(tmp_path / "jobs.json")!r}), {str(out)!r},
              lambda: [sys.executable, "-c", {PROTOCOL_WORKER!r}], workers=2)
except KeyboardInterrupt:
    print("interrupted")
"""
    batch = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        logs = [out / f"hang{i}" / "log.txt" for i in range(2)]
        deadline = time.monotonic() + 60
        while not all(log.is_file() and log.read_text() for log in logs):
            assert time.monotonic() < deadline and batch.poll() is None
            time.sleep(0.05)
        pids = [int(log.read_text().split()[-1]) for log in logs]
        started = time.monotonic()
        batch.send_signal(signal.SIGINT)
        assert batch.communicate(timeout=30)[0].strip() == "interrupted"
        assert time.monotonic() - started < 10  # not the ten minutes the hanging jobs would take
    finally:  # a failing run leaves nothing behind: the batch and its workers
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
            batch.wait()
        for log in logs:
            if log.is_file() and log.read_text():
                try:
                    os.killpg(int(log.read_text().split()[-1]), signal.SIGKILL)
                except ProcessLookupError:
                    pass
    assert not (out / "hang2").exists() and not (out / "hang3").exists()
    for pid in pids:  # the workers are gone, not left running on their own
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and "Z" not in _process_state(pid):
            assert time.monotonic() < deadline, f"worker {pid} still runs"
            time.sleep(0.05)


def _process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


@pytest.mark.blender
def test_a_serving_worker_makes_what_a_fresh_process_makes_and_keeps_jobs_apart(tmp_path, short_clip,
                                                                                   mixamo_blend):
    jobs = [{"id": "a", "clip": str(short_clip), "transcript": "and mister john", "emotion": "Happy", "seed": 1},
            {"id": "b", "clip": str(short_clip), "emotion": "Sad", "rig": str(mixamo_blend), "armature": "Character"},
            {"id": "c", "clip": str(short_clip), "transcript": "and mister john", "emotion": "Old", "seed": 2},
            {"id": "bad", "clip": str(tmp_path / "missing.wav")},
            {"id": "d", "clip": str(short_clip), "transcript": "and mister john", "seed": 3}]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    runs = {}
    for per_worker in (1, 3):
        out = tmp_path / f"out{per_worker}"
        run = openhuman("batch", "--jobs", tmp_path / "jobs.json", "--out", out, "--method", "model", "--quality",
                        "draft", "--jobs-per-worker", per_worker)
        assert run.returncode == 1, run.stderr[-3000:]
        runs[per_worker] = {j["id"]: j for j in json.loads((out / "summary.json").read_text())["jobs"]}
    fresh, served = runs[1], runs[3]
    assert len({j["worker_pid"] for j in fresh.values()}) == 5
    pid = {i: served[i]["worker_pid"] for i in served}
    assert pid["a"] == pid["b"] == pid["c"] != pid["bad"] != pid["d"] != pid["a"]
    assert "missing.wav not found" in served["bad"]["reason"]
    for i in "abcd":
        assert served[i]["status"] == "ok"
        same = load_bvh(served[i]["outputs"]["bvh"]), load_bvh(fresh[i]["outputs"]["bvh"])
        assert np.allclose(same[0].rotations, same[1].rotations, atol=1e-4), i  # same job, same motion
    contents = blender_json(f"""
        seen = {{}}
        for name in ("b", "c"):
            bpy.ops.wm.open_mainfile(filepath={str(tmp_path / "out3")!r} + f"/{{name}}/{{name}}.blend")
            seen[name] = {{"objects": sorted(o.name for o in bpy.data.objects if o.type == "ARMATURE"),
                          "actions": len(bpy.data.actions)}}
        print("JSON:" + json.dumps(seen))
    """)
    # b followed a in the same worker, c followed b: each .blend holds its own rig and action only
    assert contents["b"] == {"objects": ["Character", "Prop"], "actions": 1}
    assert contents["c"]["actions"] == 1 and contents["c"]["objects"] != ["Character", "Prop"]
    assert len(contents["c"]["objects"]) == 1
