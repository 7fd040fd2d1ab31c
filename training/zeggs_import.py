"""Import ZeroEGGs (or any folder of BVH + WAV pairs) as a training dataset.

A take is a ``<name>.bvh`` with a ``<name>.wav`` beside it (folders are searched recursively;
a BVH without its WAV is reported and skipped). A transcript beside them (``<name>.TextGrid``,
``.json``, ``.srt``, ``.vtt`` or ``.txt``) gives text features; without one the take has "no text".

Each take's emotion comes from, in order:

1. a label map (JSON object): keys are take names, style names or shell patterns on take names
   (``"*_Happy_*"``), values are emotion labels;
2. ``info.csv`` anywhere under the folder: a column naming the file (the first header containing
   "file" or "name") and one naming its style (the first containing "style", "emotion" or "label");
3. the ZeroEGGs file name ``NNN_Style_...`` (``001_Neutral_0_x_1_0`` -> ``Neutral``).

A style becomes an emotion through the label map, or when it equals one of :data:`EMOTIONS`
(any case); a take left without an emotion is reported and skipped. Labels the map introduces
beyond the six are added after them.

Motion is converted to metres (units detected from the Hips height, or ``scale``), resampled
from any frame rate to 20 fps and encoded as 1141-dim pose features; audio and text become
per-frame features at 20 fps. A take whose audio and motion lengths differ by more than
``MAX_LENGTH_MISMATCH_S`` is reported and skipped, never cut to fit; within that, both are cut to
the shorter. Takes are split 8:1:1 in name order (``split_for_index``).
"""
from __future__ import annotations

import csv
import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.motion import bvh, pose
from ..engine.speech.audio import SAMPLE_RATE, load_audio
from ..engine.conditions.audio_features import audio_feature_spec, compute_audio_features
from ..engine.errors import OpenHumanError
from ..engine.motion.motion import Motion
from ..engine.motion.skeleton_zeggs import zeggs_skeleton
from ..engine.conditions.text_features import compute_text_features, text_feature_spec
from ..engine.speech.transcript import load_transcript
from .corpus import EMOTIONS, FPS, SEED_FRAMES, WINDOW
from .windows_dataset import DatasetError, DatasetWriter, split_for_index

MAX_LENGTH_MISMATCH_S = 0.5
TRANSCRIPT_SUFFIXES = (".TextGrid", ".textgrid", ".json", ".srt", ".vtt", ".txt")
# Hips height above the floor, in the file's units, for each unit the importer recognises.
_UNITS = (("metres", 1.0, (0.3, 3.0)), ("centimetres", 0.01, (30.0, 300.0)), ("millimetres", 0.001, (300.0, 3000.0)))


class TakeSkipped(OpenHumanError):
    """One take cannot be imported; the message says why."""


@dataclass
class TakeSource:
    name: str
    bvh: Path
    wav: Path | None
    transcript: Path | None
    style: str | None
    emotion: str | None


@dataclass
class ImportReport:
    out: Path | None
    imported: list[tuple[str, str, float]] = field(default_factory=list)  # name, emotion, seconds
    skipped: list[tuple[str, str]] = field(default_factory=list)  # name, reason

    def summary(self) -> str:
        minutes = sum(s for _, _, s in self.imported) / 60
        lines = [f"imported {len(self.imported)} takes ({minutes:.1f} min) into {self.out}"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} takes:")
            lines += [f"  {name}: {reason}" for name, reason in self.skipped]
        return "\n".join(lines)


def read_label_map(path) -> dict[str, str]:
    """A JSON object {take name | style | pattern: emotion}."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpenHumanError(f"{path}: no such label map") from None
    except ValueError as error:
        raise OpenHumanError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise OpenHumanError(f'{path}: a label map is a JSON object of strings, '
                             'e.g. {"Speech": "Neutral", "*_Tired_*": "Sad"}')
    return data


def read_info_csv(path) -> dict[str, str]:
    """{take name: style} from a ZeroEGGs-style info.csv."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    name_col = next((i for i, h in enumerate(header) if "file" in h), None)
    if name_col is None:
        name_col = next((i for i, h in enumerate(header) if "name" in h), None)
    style_col = next((i for i, h in enumerate(header) if any(k in h for k in ("style", "emotion", "label"))), None)
    if name_col is None or style_col is None:
        raise OpenHumanError(f"{path}: expected columns naming the file (e.g. 'file name') and its style "
                             f"(e.g. 'style'); found {rows[0]}")
    styles = {}
    for row in rows[1:]:
        if len(row) > max(name_col, style_col) and row[name_col].strip():
            styles[_take_name(row[name_col].strip())] = row[style_col].strip()
    return styles


def find_takes(src, labels: dict[str, str] | None = None) -> tuple[list[TakeSource], list[tuple[str, str]]]:
    """The takes under ``src`` in name order, and (name, reason) for those that cannot be used."""
    src = Path(src)
    if not src.is_dir():
        raise OpenHumanError(f"{src}: no such folder; give the folder holding the BVH and WAV files")
    styles: dict[str, str] = {}
    for info in sorted(src.rglob("*")):
        if info.name.lower() == "info.csv" and info.is_file():
            styles.update(read_info_csv(info))
    labels = labels or {}
    bvhs = sorted((p for p in src.rglob("*") if p.suffix.lower() == ".bvh" and p.is_file()),
                  key=lambda p: (p.stem, str(p)))
    if not bvhs:
        raise OpenHumanError(f"{src}: no .bvh files found")
    takes, skipped = [], []
    seen: set[str] = set()
    for path in bvhs:
        name = path.stem
        if name in seen:
            skipped.append((name, f"a second take of this name ({path}); names must be unique"))
            continue
        seen.add(name)
        wav = _beside(path, (".wav", ".WAV"))
        style = styles.get(name) or _style_from_name(name)
        emotion = _emotion_for(name, style, labels)
        if wav is None:
            skipped.append((name, "no WAV file beside the BVH"))
            continue
        if emotion is None:
            skipped.append((name, f"no emotion for style {style!r}: give a label map "
                                  f'(e.g. {{"{style or name}": "Neutral"}})'))
            continue
        takes.append(TakeSource(name, path, wav, _beside(path, TRANSCRIPT_SUFFIXES), style, emotion))
    return takes, skipped


def detect_scale(motion: Motion) -> float:
    """Factor to metres from the Hips' height (median over frames)."""
    height = float(np.median(motion.root_positions[:, 1]))
    for _, factor, (low, high) in _UNITS:
        if low <= height <= high:
            return factor
    raise TakeSkipped(f"cannot tell the units: the Hips are {height:g} units above the floor; "
                      "give the factor to metres with --scale (0.01 for centimetres)")


def take_features(take: TakeSource, scale: float | None = None):
    """(pose, audio, text features at 20 fps, words, seconds) of one take; TakeSkipped if unusable."""
    try:
        motion = bvh.load(take.bvh)
    except OpenHumanError as error:
        raise TakeSkipped(f"unreadable BVH: {error}") from None
    if not motion.skeleton.same_topology(zeggs_skeleton()):
        raise TakeSkipped(f"not the 75-joint ZeroEGGs skeleton ({motion.skeleton.n_joints} joints); retarget it first")
    if motion.n_frames < 2:
        raise TakeSkipped("the BVH holds fewer than two frames")
    motion = motion.scaled(scale if scale is not None else detect_scale(motion))
    try:
        samples = load_audio(take.wav)
    except OpenHumanError as error:
        raise TakeSkipped(f"unreadable audio: {error}") from None
    audio_s, motion_s = len(samples) / SAMPLE_RATE, motion.duration
    if abs(audio_s - motion_s) > MAX_LENGTH_MISMATCH_S:
        raise TakeSkipped(f"audio is {audio_s:.2f} s but motion is {motion_s:.2f} s; they differ by "
                          f"{abs(audio_s - motion_s):.2f} s (more than {MAX_LENGTH_MISMATCH_S} s): not the same take?")
    motion_features = pose.encode(motion.resampled(FPS))
    audio_features = compute_audio_features(samples)
    n = min(len(motion_features), len(audio_features))
    words = None
    if take.transcript is not None:
        try:
            words = load_transcript(take.transcript, audio=samples)
        except OpenHumanError as error:
            raise TakeSkipped(f"unreadable transcript: {error}") from None
    return motion_features[:n], audio_features[:n], compute_text_features(words, n), words, n / FPS


def import_zeggs(src, out, labels: dict[str, str] | None = None, scale: float | None = None,
                 progress: bool = True) -> ImportReport:
    """Write the takes under ``src`` as a dataset folder ``out``; the report lists what was skipped.

    A take's split depends only on its place among the takes found, so skipping one never moves
    another between train, val and test.
    """
    from tqdm import tqdm

    takes, skipped = find_takes(src, labels)
    report = ImportReport(None, skipped=list(skipped))
    emotions = list(EMOTIONS) + sorted({t.emotion for t in takes} - set(EMOTIONS))
    writer = None
    for index, take in enumerate(tqdm(takes, desc="importing takes", unit="take", disable=not progress)):
        try:
            motion, audio, text, words, seconds = take_features(take, scale)
        except TakeSkipped as reason:
            report.skipped.append((take.name, str(reason)))
            continue
        if writer is None:
            info = {"kind": "zeggs-import", "source": str(Path(src).resolve()), "scale": scale}
            writer = DatasetWriter(out, fps=FPS, window=WINDOW, seed_frames=SEED_FRAMES,
                                   audio_spec=audio_feature_spec(), text_spec=text_feature_spec(),
                                   emotions=emotions, info=info)
        source = f"zeggs:{take.bvh.relative_to(Path(src)).as_posix()}"
        writer.add_take(take.name, source, take.emotion, split_for_index(index, len(takes)), motion, audio, text,
                        words)
        report.imported.append((take.name, take.emotion, seconds))
    if writer is None:
        reasons = "; ".join(f"{n}: {r}" for n, r in report.skipped) or "no takes"
        raise DatasetError(f"no take of {src} could be imported ({reasons})")
    writer.meta["info"]["skipped"] = [list(s) for s in report.skipped]
    report.out = writer.close()
    return report


def _take_name(value: str) -> str:
    name = Path(value.replace("\\", "/")).name
    return re.sub(r"\.(bvh|wav)$", "", name, flags=re.IGNORECASE)


def _style_from_name(name: str) -> str | None:
    match = re.match(r"^\d+_([A-Za-z]+)", name)
    return match.group(1) if match else None


def _emotion_for(name: str, style: str | None, labels: dict[str, str]) -> str | None:
    if name in labels:
        return labels[name]
    if style is not None:
        for key, value in labels.items():
            if key.lower() == style.lower():
                return value
    for key, value in labels.items():
        if any(ch in key for ch in "*?[") and fnmatch.fnmatchcase(name, key):
            return value
    if style is not None:
        for emotion in EMOTIONS:
            if emotion.lower() == style.lower():
                return emotion
    return None


def _beside(path: Path, suffixes) -> Path | None:
    for suffix in suffixes:
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None
