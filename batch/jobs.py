"""Jobs files for batch generation: one job per row (CSV) or object (JSON), checked as they are read;
deterministic shards for cluster arrays; the result file a worker writes. No bpy here."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..engine.diffusion.presets import DEFAULT_INTENSITY
from ..engine.errors import OpenHumanError

OUTPUTS = ("blend", "fbx", "bvh", "mp4")
DEFAULT_OUTPUTS = ("blend", "bvh")
QUALITIES = ("draft", "standard", "reference")
_ALIASES = {"audio": "clip", "emotion_a": "emotion", "name": "id", "map": "bone_map", "output": "outputs"}


@dataclass
class Job:
    """One clip to animate. Paths are absolute once read from a jobs file."""

    clip: str
    id: str = ""
    transcript: str | None = None  # a file, or the words as text; None: recognised from the speech
    emotion: str = "Neutral"
    emotion_b: str | None = None
    gamma: float = 1.0
    intensity: float = DEFAULT_INTENSITY
    seed: int = 0
    method: str | None = None  # None: the batch default
    quality: str | None = None
    model: str | None = None
    device: str | None = None
    wavlm: str | None = None  # a local WavLM folder, for models trained with WavLM features
    rig: str | None = None  # .blend or .fbx; None: a new OpenHuman armature
    armature: str | None = None  # the armature object to key, when the rig file has several
    bone_map: str | None = None  # preset, user map or .json; None: the rig's own choice or detected
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    fps: int = 30
    start_frame: int = 1

    def key(self) -> str:
        """A hash of everything that shapes the result (not the id): a changed job is run again."""
        d = asdict(self)
        d.pop("id")
        for path_field in ("clip", "rig", "transcript", "model", "bone_map"):
            value = d[path_field]
            if value and os.path.isfile(value):
                d[path_field] = [value, os.path.getsize(value), int(os.path.getmtime(value))]
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=list).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["outputs"] = list(self.outputs)
        return d


@dataclass
class BatchDefaults:
    """Settings a job may leave out, taken from the command line."""

    method: str = "model"
    quality: str = "standard"
    model: str | None = None
    device: str = "auto"
    wavlm: str | None = None


def read_jobs(path) -> list[Job]:
    """Jobs from a .csv (a header row, one job per row) or .json (a list, or {"jobs": [...]}) file.

    Relative paths are taken from the jobs file's folder. Outputs: a list, or names joined by
    spaces, commas, semicolons or '+'. "emotions": [a, b] may stand for emotion and emotion_b.
    """
    path = Path(path)
    if not path.is_file():
        raise OpenHumanError(f"jobs file {path} not found")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OpenHumanError(f"jobs file {path} cannot be read: {exc}") from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OpenHumanError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        rows = data.get("jobs") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise OpenHumanError(f"{path}: expected a list of job objects (or {{\"jobs\": [...]}})")
        where = [f"{path.name} job {i + 1}" for i in range(len(rows))]
    elif suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise OpenHumanError(f"{path}: empty CSV; the first row names the columns (clip, emotion, rig, ...)")
        rows = [{k: v for k, v in r.items() if v not in (None, "")} for r in reader]
        where = [f"{path.name} row {i + 2}" for i in range(len(rows))]
    else:
        raise OpenHumanError(f"jobs file {path.name}: use a .csv or .json file")
    if not rows:
        raise OpenHumanError(f"{path}: no jobs")
    jobs = [_job(row, label, path.parent) for row, label in zip(rows, where)]
    _unique_ids(jobs)
    return jobs


def _job(row: dict, label: str, base: Path) -> Job:
    row = {_ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in row.items() if k is not None}
    if "emotions" in row:
        emotions = row.pop("emotions")
        emotions = emotions if isinstance(emotions, list) else re.split(r"[;,+ ]+", str(emotions).strip())
        if not 1 <= len(emotions) <= 2:
            raise OpenHumanError(f"{label}: 'emotions' takes one or two names, got {emotions}")
        row["emotion"] = emotions[0]
        if len(emotions) == 2:
            row["emotion_b"] = emotions[1]
    known = {f.name for f in fields(Job)}
    unknown = sorted(set(row) - known)
    if unknown:
        raise OpenHumanError(f"{label}: unknown column {unknown[0]!r}; columns are {', '.join(sorted(known))}")
    if not row.get("clip"):
        raise OpenHumanError(f"{label}: every job needs a 'clip' (the voice clip)")
    try:
        for name, kind in (("gamma", float), ("intensity", float), ("seed", int), ("fps", int), ("start_frame", int)):
            if name in row:
                row[name] = kind(row[name])
    except (TypeError, ValueError):
        raise OpenHumanError(f"{label}: {name} must be a number, got {row[name]!r}") from None
    if "outputs" in row:
        outs = row["outputs"]
        outs = outs if isinstance(outs, list) else re.split(r"[;,+ ]+", str(outs).strip())
        outs = tuple(o.strip().lower().lstrip(".") for o in outs if o.strip())
        bad = [o for o in outs if o not in OUTPUTS]
        if bad or not outs:
            raise OpenHumanError(f"{label}: unknown output {bad[0] if bad else '(none)'!r}; choose from {', '.join(OUTPUTS)}")
        row["outputs"] = outs
    if row.get("method") and row["method"].lower() not in ("model", "procedural"):
        raise OpenHumanError(f"{label}: method must be model or procedural, got {row['method']!r}")
    if row.get("quality") and row["quality"].lower() not in QUALITIES:
        raise OpenHumanError(f"{label}: quality must be one of {', '.join(QUALITIES)}, got {row['quality']!r}")
    if row.get("rig") and Path(str(row["rig"])).suffix.lower() not in (".blend", ".fbx"):
        raise OpenHumanError(f"{label}: rig must be a .blend or .fbx file, got {row['rig']!r}")
    for name in ("clip", "rig", "model", "wavlm"):
        if row.get(name):
            row[name] = str((base / str(row[name])).resolve())
    for name in ("transcript", "bone_map"):  # a file when one exists there, else text or a map name
        value = row.get(name)
        if value and (base / str(value)).is_file():
            row[name] = str((base / str(value)).resolve())
    for name in ("method", "quality"):
        if row.get(name):
            row[name] = row[name].lower()
    return Job(**{k: (str(v) if k in ("id", "emotion", "emotion_b", "armature") else v) for k, v in row.items()})


def _unique_ids(jobs: list[Job]) -> None:
    seen: dict[str, int] = {}
    for job in jobs:
        base = re.sub(r"[^A-Za-z0-9_.\-]+", "_", job.id or Path(job.clip).stem).strip("._") or "job"
        n = seen.get(base, 0) + 1
        seen[base] = n
        job.id = base if n == 1 else f"{base}_{n}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """'I/N' (0 <= I < N) -> (I, N); None -> (0, 1)."""
    if not text:
        return 0, 1
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 0 <= int(m.group(1)) < int(m.group(2)):
        raise OpenHumanError(f"--shard must be I/N with 0 <= I < N (e.g. 0/4 ... 3/4), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """The jobs of shard `index` of `count`: every count-th job from position `index`."""
    return jobs[index::count]


def write_result(path, job: dict, status: str, **info) -> None:
    """A worker's last act: result.json, written whole or not at all."""
    path = Path(path)
    data = {"id": job.get("id"), "status": status, "job_key": job.get("job_key"), **info}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)

