"""Bone maps: which bone of a rig takes each OpenHuman joint. Presets, user maps, auto-detection.

A bone map is a JSON file:

    {"name": "mixamo", "label": "Mixamo", "description": "...",
     "bones": {"Hips": "Hips", "LeftArm": "LeftArm", ...},       # OpenHuman joint -> rig bone
     "settings": [{"bone": "torso", "property": "neck_follow", "value": 1.0}]}   # optional

Presets live in engine/motion/bonemaps/; user maps in `user_dir()` ($OPENHUMAN_BONEMAP_DIR, else
$XDG_CONFIG_HOME/openhuman/bonemaps, else ~/.config/openhuman/bonemaps). A rig's bone names are
matched exactly, or after dropping a namespace prefix ("mixamorig:Hips" matches "Hips"), so one
map serves prefixed and plain rigs. `detect` picks the map for a rig from its bone names: the rig
must have the map's core chain (hips, spine, neck or head, both arms to the hands); fingers, toes and
end bones are optional. Among those maps, the one naming the largest share of the rig's bones wins.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RetargetError
from .skeleton_zeggs import JOINT_NAMES

PRESET_DIR = Path(__file__).resolve().with_name("bonemaps")
MIN_DETECT_SCORE = 0.75  # a map naming only part of the core chain: share of its bones a rig must have
# What every retarget needs, as groups of joints (any one of a group will do). Fingers, toes and ends are optional.
CORE_CHAIN = (("Hips",), ("Spine", "Spine1", "Spine2", "Spine3"), ("Neck", "Neck1", "Head"),
              ("LeftArm",), ("LeftForeArm",), ("LeftHand",), ("RightArm",), ("RightForeArm",), ("RightHand",))
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


@dataclass(frozen=True)
class Fit:
    """How well a map fits a rig's bone names."""

    bone_map: BoneMap
    rig_share: float  # share of the rig's bones the map names
    map_share: float  # share of the map's bones the rig has
    found: int  # map bones the rig has
    missing_core: tuple[str, ...]  # core-chain bones of the map the rig lacks ("Neck or Head")
    whole_core: bool  # the map names every group of the core chain

    @property
    def score(self) -> float:
        """0..1: the larger share, so a big rig (Rigify: ~700 bones) and a small one both score high."""
        return max(self.rig_share, self.map_share)

    @property
    def usable(self) -> bool:
        """Picked by detection: the core chain is there (a partial map needs most of its bones)."""
        return not self.missing_core and (self.whole_core or self.map_share >= MIN_DETECT_SCORE)

    def rank(self) -> tuple:
        # Equal rig shares (a finger-less Mixamo rig is also all OpenHuman names) go to the map it fills more of.
        return (not self.usable, -self.rig_share, -self.map_share, -self.found, self.bone_map.name)


def fit(bone_map: BoneMap, bone_names) -> Fit:
    """How `bone_map` fits a rig with these bone names."""
    names = list(bone_names)
    found, _ = resolve(bone_map, names)
    wanted = sum(1 for b in bone_map.bones.values() if b)
    missing, whole = [], True
    for group in CORE_CHAIN:
        named = [bone_map.bones[j] for j in group if bone_map.bones.get(j)]
        if not named:
            whole = False
        elif not any(j in found for j in group):
            missing.append(" or ".join(named))
    named_rig_bones = len(set(found.values()))
    return Fit(bone_map, named_rig_bones / len(names) if names else 0.0, len(found) / wanted if wanted else 0.0,
               len(found), tuple(missing), whole)


def score(bone_map: BoneMap, bone_names) -> float:
    """How well the map fits the rig (0..1): the larger of the share of the rig's bones it names and
    the share of its bones the rig has."""
    return fit(bone_map, bone_names).score


def rank_maps(bone_names, maps: list[BoneMap] | None = None) -> list[Fit]:
    """Every map's fit to the rig, best first: usable maps, then by the share of the rig's bones named."""
    names = list(bone_names)
    maps = list_bone_maps() if maps is None else maps
    return sorted((fit(m, names) for m in maps), key=Fit.rank)


def detect(bone_names, maps: list[BoneMap] | None = None) -> tuple[BoneMap | None, list[tuple[str, float]]]:
    """The map for a rig (None when no map has its core chain in the rig) and every map's score, best first."""
    fits = rank_maps(bone_names, maps)
    scores = [(f.bone_map.name, round(f.score, 4)) for f in fits]
    best = fits[0] if fits and fits[0].usable else None
    return (best.bone_map if best else None), scores


def pick(bone_names, rig: str = "the armature", maps: list[BoneMap] | None = None) -> tuple[BoneMap, float]:
    """(map, score) as `detect`, or a RetargetError saying which core bones the closest map misses."""
    fits = rank_maps(bone_names, maps)
    if fits and fits[0].usable:
        return fits[0].bone_map, fits[0].score
    head = f"Armature '{rig}' lacks a bone map: "
    tail = "; choose a Bone map or save your own"
    if not fits or fits[0].found == 0:
        raise RetargetError(head + "its bone names match no known rig" + tail)
    closest = fits[0]
    if closest.missing_core:
        raise RetargetError(head + f"closest is '{closest.bone_map.name}', but the rig lacks its core bones "
                            f"{', '.join(closest.missing_core)}" + tail)
    raise RetargetError(head + f"closest is '{closest.bone_map.name}', with {closest.map_share:.0%} of its bones "
                        f"(a map without the whole core chain needs {MIN_DETECT_SCORE:.0%})" + tail)


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
