"""Bone maps: which bone of a rig takes each OpenHuman joint. Presets, user maps, auto-detection.

A bone map is a JSON file:

    {"name": "mixamo", "label": "Mixamo", "description": "...",
     "bones": {"Hips": "Hips", "LeftArm": "LeftArm", ...},       # OpenHuman joint -> rig bone
     "settings": [{"bone": "torso", "property": "neck_follow", "value": 1.0}]}   # optional

Presets live in engine/bonemaps/; user maps in `user_dir()` ($OPENHUMAN_BONEMAP_DIR, else
$XDG_CONFIG_HOME/openhuman/bonemaps, else ~/.config/openhuman/bonemaps). A rig's bone names are
matched exactly, or after dropping a namespace prefix ("mixamorig:Hips" matches "Hips"), so one
map serves prefixed and plain rigs. `detect` scores every map against a rig's bone names.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RetargetError
from .skeleton_zeggs import JOINT_NAMES

PRESET_DIR = Path(__file__).resolve().with_name("bonemaps")
MIN_DETECT_SCORE = 0.75  # share of a map's bones a rig must have for the map to be picked by itself
_NAME = re.compile(r"^[A-Za-z0-9_.\- ]{1,64}$")


@dataclass
class BoneMap:
    name: str
    bones: dict[str, str]
    label: str = ""
    description: str = ""
    settings: list[dict] = field(default_factory=list)
    path: Path | None = None
    user: bool = False

    def to_dict(self) -> dict:
        d = {"name": self.name, "label": self.label or self.name, "description": self.description,
             "source": "openhuman-zeggs-75", "bones": dict(self.bones)}
        if self.settings:
            d["settings"] = list(self.settings)
        return d


def user_dir() -> Path:
    if os.environ.get("OPENHUMAN_BONEMAP_DIR"):
        return Path(os.environ["OPENHUMAN_BONEMAP_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "openhuman" / "bonemaps"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def list_bone_maps() -> list[BoneMap]:
    """The presets, then the user's maps (a user map may not reuse a preset's name)."""
    maps = [_read(p, user=False) for p in sorted(PRESET_DIR.glob("*.json"))]
    presets = {m.name for m in maps}
    folder = user_dir()
    if folder.is_dir():
        for p in sorted(folder.glob("*.json")):
            try:
                m = _read(p, user=True)
            except RetargetError:
                continue  # a broken user file must not hide the others; load_bone_map reports it
            if m.name not in presets:
                maps.append(m)
    return maps


def load_bone_map(name_or_path) -> BoneMap:
    """A preset or user map by name, or any bone-map JSON file by path."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    if text.endswith(".json") or os.sep in text:
        if not path.is_file():
            raise RetargetError(f"bone map file {path} not found")
        return _read(path, user=True)
    for folder, user in ((PRESET_DIR, False), (user_dir(), True)):
        candidate = folder / f"{text}.json"
        if candidate.is_file():
            return _read(candidate, user=user)
    known = ", ".join(m.name for m in list_bone_maps())
    raise RetargetError(f"no bone map named {text!r}; known maps: {known} (or give a .json file)")


def save_bone_map(bone_map: BoneMap, directory=None) -> Path:
    """Write a user map as <directory or user_dir()>/<name>.json and return the path."""
    if not _NAME.match(bone_map.name):
        raise RetargetError(f"bone map name {bone_map.name!r}: use letters, digits, spaces, '.', '_' or '-'")
    if directory is None and bone_map.name in preset_names():
        raise RetargetError(f"{bone_map.name!r} is a preset's name: save your map under another name")
    _check_bones(bone_map.bones, bone_map.name)
    folder = Path(directory) if directory is not None else user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{bone_map.name}.json"
    path.write_text(json.dumps(bone_map.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def resolve(bone_map: BoneMap, bone_names) -> tuple[dict[str, str], list[str]]:
    """({joint: the rig's actual bone name}, [map bone names the rig lacks])."""
    names = list(bone_names)
    exact = set(names)
    by_plain: dict[str, str] = {}
    for n in sorted(names):
        by_plain.setdefault(_plain(n), n)
    found, missing = {}, []
    for joint, bone in bone_map.bones.items():
        if not bone:
            continue
        actual = bone if bone in exact else by_plain.get(_plain(bone))
        if actual is None:
            missing.append(bone)
        else:
            found[joint] = actual
    return found, missing


def score(bone_map: BoneMap, bone_names) -> float:
    """Share of the map's bones the rig has (0..1)."""
    wanted = [b for b in bone_map.bones.values() if b]
    if not wanted:
        return 0.0
    found, _ = resolve(bone_map, bone_names)
    return len(found) / len(wanted)


def detect(bone_names, maps: list[BoneMap] | None = None) -> tuple[BoneMap | None, list[tuple[str, float]]]:
    """The best-scoring map (None below MIN_DETECT_SCORE) and every map's score, best first.

    Ties go to the map matching more bones (the 75-joint map beats Mixamo on an OpenHuman rig).
    """
    names = list(bone_names)
    maps = list_bone_maps() if maps is None else maps
    rated = []
    for m in maps:
        found, _ = resolve(m, names)
        wanted = sum(1 for b in m.bones.values() if b)
        rated.append((len(found) / wanted if wanted else 0.0, len(found), m))
    rated.sort(key=lambda r: (-r[0], -r[1], r[2].name))
    scores = [(m.name, round(s, 4)) for s, _, m in rated]
    best = rated[0] if rated else None
    if best is None or best[0] < MIN_DETECT_SCORE:
        return None, scores
    return best[2], scores


def _plain(name: str) -> str:
    return name.rsplit(":", 1)[-1]


_cache: dict[tuple, BoneMap] = {}


def _read(path: Path, user: bool) -> BoneMap:
    """A map file, cached by path and modification time (the Blender panel asks on every redraw)."""
    try:
        key = (str(path), path.stat().st_mtime_ns, user)
    except OSError as exc:
        raise RetargetError(f"bone map {path} is not readable: {exc}") from None
    if key not in _cache:
        _cache[key] = _parse(path, user)
    return _cache[key]


def _parse(path: Path, user: bool) -> BoneMap:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RetargetError(f"bone map {path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("bones"), dict):
        raise RetargetError(f"bone map {path} must be a JSON object with a \"bones\" object "
                            "({\"Hips\": \"your hips bone\", ...})")
    name = str(data.get("name") or path.stem)
    _check_bones(data["bones"], str(path))
    settings = data.get("settings") or []
    if not isinstance(settings, list) or any(not isinstance(s, dict) or not {"bone", "property", "value"} <= set(s)
                                             for s in settings):
        raise RetargetError(f"bone map {path}: \"settings\" must be a list of {{\"bone\", \"property\", \"value\"}}")
    return BoneMap(name, dict(data["bones"]), str(data.get("label", "")), str(data.get("description", "")),
                   settings, path, user)


def _check_bones(bones: dict, where: str) -> None:
    unknown = [k for k in bones if k not in JOINT_NAMES]
    if unknown:
        raise RetargetError(f"bone map {where}: {unknown[0]!r} is not an OpenHuman joint "
                            f"(keys are joints such as 'Hips', 'LeftArm', 'RightHandIndex1')")
    bad = [k for k, v in bones.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise RetargetError(f"bone map {where}: the bone for {bad[0]!r} must be a name (or null for none)")
