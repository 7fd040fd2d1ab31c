"""BVH motion files: `load(path) -> Motion` and `save(path, motion)`.

Reading accepts any channel order per joint, position channels on any joint, End Sites,
frame rates of 1 to 1000 fps, UTF-8, Latin-1 or UTF-16/32 text (with a byte-order mark),
CRLF line ends, tabs, blank lines and `#` or `//` comment lines. Position channels give
the joint's translation from its parent (replacing its OFFSET), as in Blender's importer.
Anything malformed raises `BVHError` (and nothing else) with the line number; the reader
never trusts the declared frame count for memory, so it cannot be made to allocate more
than the file's own size warrants.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import quat
from ..atomic_file import write_text
from ..errors import BVHError
from .motion import Motion, Skeleton

MAX_JOINTS = 1000
MIN_FRAME_TIME, MAX_FRAME_TIME = 0.001, 1.0  # 1000 fps to 1 fps: anything else is a damaged file
_WHOLE = re.compile(r"^[0-9]+$")  # str.isdigit() also takes '²', which int() refuses
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_AXES = {"X": 0, "Y": 1, "Z": 2}
_CHANNEL = re.compile(r"^([XYZ])(position|rotation)$", re.IGNORECASE)


@dataclass
class _Joint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list[tuple[str, int]] = field(default_factory=list)  # (kind 'p'/'r', axis)
    end_site: np.ndarray | None = None


def _content_lines(text: str):
    """(1-based line number, stripped text) for every non-blank, non-comment line."""
    for number, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s and not s.startswith("#") and not s.startswith("//"):
            yield number, s


def _floats(tokens: list[str], line: int, what: str, path) -> np.ndarray:
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        raise BVHError(f"{what} must be numbers, got {' '.join(tokens)!r}", line, path) from None
    if not np.all(np.isfinite(values)):
        raise BVHError(f"{what} must be finite numbers", line, path)
    return values


def _parse_hierarchy(lines, path) -> tuple[list[_Joint], int]:
    """Read up to MOTION; return the joints and the line number of MOTION."""
    joints: list[_Joint] = []
    stack: list[int] = []  # joint index per open brace; -2 marks an End Site block
    pending: tuple[str, int] | None = None  # a ROOT/JOINT/End Site waiting for its '{'
    end_site_owner: int | None = None
    seen_header = False
    for number, s in lines:
        head, rest = (s.split(None, 1) + [""])[:2]
        rest = rest.strip()
        keyword = head.upper()
        if keyword == "HIERARCHY" and not seen_header:
            seen_header = True
            continue
        if not seen_header:
            raise BVHError("a BVH file must start with HIERARCHY", number, path)
        if keyword == "MOTION":
            if stack or pending:
                raise BVHError("MOTION before every joint block is closed", number, path)
            if not joints:
                raise BVHError("the hierarchy has no ROOT joint", number, path)
            return joints, number
        if keyword in ("ROOT", "JOINT"):
            if pending:
                raise BVHError(f"expected '{{' after {pending[0]}", number, path)
            if keyword == "ROOT" and (joints or stack):
                raise BVHError("only one ROOT is supported", number, path)
            if keyword == "JOINT" and not stack:
                raise BVHError("JOINT outside of a ROOT block", number, path)
            name = rest[:-1].strip() if rest.endswith("{") else rest
            if not name:
                raise BVHError(f"{keyword} needs a name", number, path)
            if len(joints) >= MAX_JOINTS:
                raise BVHError(f"more than {MAX_JOINTS} joints: not a skeleton this program can use", number, path)
            if any(j.name == name for j in joints):
                raise BVHError(f"joint name {name!r} is used twice", number, path)
            parent = stack[-1] if stack else -1
            if parent == -2:
                raise BVHError("a JOINT cannot be inside an End Site", number, path)
            joints.append(_Joint(name, parent, np.zeros(3)))
            pending = ("joint", len(joints) - 1)
            if rest.endswith("{"):
                stack.append(len(joints) - 1)
                pending = None
        elif keyword == "END":
            if not stack or stack[-1] < 0:
                raise BVHError("End Site outside of a joint", number, path)
            if rest.upper().rstrip("{").strip() != "SITE":
                raise BVHError(f"unknown keyword {s!r} (expected 'End Site')", number, path)
            end_site_owner = stack[-1]
            pending = ("end", end_site_owner)
            if rest.endswith("{"):
                stack.append(-2)
                pending = None
        elif s == "{":
            if not pending:
                raise BVHError("'{' without a ROOT, JOINT or End Site before it", number, path)
            stack.append(pending[1] if pending[0] == "joint" else -2)
            pending = None
        elif s == "}":
            if not stack:
                raise BVHError("'}' without a matching '{'", number, path)
            stack.pop()
        elif keyword == "OFFSET":
            if pending or not stack:
                raise BVHError("OFFSET outside of a joint block", number, path)
            values = _floats(rest.split(), number, "OFFSET values", path)
            if values.size != 3:
                raise BVHError(f"OFFSET needs 3 numbers, got {values.size}", number, path)
            if stack[-1] == -2:
                joints[end_site_owner].end_site = values
            else:
                joints[stack[-1]].offset = values
        elif keyword == "CHANNELS":
            if pending or not stack or stack[-1] < 0:
                raise BVHError("CHANNELS outside of a joint block", number, path)
            tokens = rest.split()
            if not tokens or not _WHOLE.match(tokens[0]):
                raise BVHError("CHANNELS needs a count and channel names", number, path)
            count = int(tokens[0])
            names = tokens[1:]
            if count > 6 or len(names) > 6:
                raise BVHError(f"CHANNELS lists {max(count, len(names))} channels; a joint has at most 6 "
                               "(3 positions, 3 rotations)", number, path)
            if count != len(names):
                raise BVHError(f"CHANNELS says {count} channels but names {len(names)}", number, path)
            channels = []
            for name in names:
                m = _CHANNEL.match(name)
                if not m:
                    raise BVHError(f"unknown channel {name!r}", number, path)
                channels.append(("p" if m.group(2).lower() == "position" else "r", _AXES[m.group(1).upper()]))
            joints[stack[-1]].channels = channels
        else:
            raise BVHError(f"unknown keyword {head!r}", number, path)
    raise BVHError("the file ends before its MOTION section", None, path)


def _parse_motion_header(lines, path) -> tuple[int, float, int]:
    """Frames and Frame Time lines; returns (frames, frame_time, line of 'Frames:')."""
    frames = frame_time = frames_line = None
    number = None
    for number, s in lines:
        if s.lower().startswith("frames:"):
            value = s.split(":", 1)[1].strip()
            if not _WHOLE.match(value):
                raise BVHError(f"Frames must be a whole number, got {value[:40]!r}", number, path)
            frames, frames_line = int(value), number
            if frames == 0:
                raise BVHError("'Frames: 0': the file holds no motion; export at least one frame", number, path)
        elif s.lower().startswith("frame time:"):
            value = s.split(":", 1)[1].strip()
            try:
                frame_time = float(value)
            except ValueError:
                raise BVHError(f"Frame Time must be a number, got {value[:40]!r}", number, path) from None
            if not MIN_FRAME_TIME <= frame_time <= MAX_FRAME_TIME:  # also refuses nan
                raise BVHError(f"Frame Time {value[:40]} s is not a frame rate (1 to 1000 fps, a Frame Time of "
                               f"{MIN_FRAME_TIME} to {MAX_FRAME_TIME:g} s); the file is damaged: export it again",
                               number, path)
        else:
            raise BVHError(f"expected 'Frames:' and 'Frame Time:', got {s[:40]!r}", number, path)
        if frames is not None and frame_time is not None:
            return frames, frame_time, frames_line
    raise BVHError("the MOTION section ends before 'Frames:' and 'Frame Time:'", number, path)


def _read_frames(lines, n_frames: int, n_channels: int, path) -> np.ndarray:
    rows = []
    numbers = []
    for number, s in lines:
        if len(rows) == n_frames:
            raise BVHError(f"more frame lines than the {n_frames} that 'Frames:' declares", number, path)
        rows.append(s)
        numbers.append(number)
    if len(rows) < n_frames:
        where = numbers[-1] if numbers else None
        raise BVHError(f"the file is truncated: 'Frames:' declares {n_frames} frames, found {len(rows)}", where, path)
    if n_frames == 0:
        return np.zeros((0, n_channels))
    tokens = [r.split() for r in rows]
    for number, t in zip(numbers, tokens):
        if len(t) != n_channels:
            raise BVHError(f"a frame must have {n_channels} values (one per channel), found {len(t)}", number, path)
    try:
        data = np.array(" ".join(rows).split(), dtype=np.float64).reshape(n_frames, n_channels)
    except ValueError:
        for number, t in zip(numbers, tokens):
            _floats(t, number, "frame values", path)
        raise
    if not np.all(np.isfinite(data)):
        bad = int(np.nonzero(~np.all(np.isfinite(data), axis=1))[0][0])
        raise BVHError("frame values must be finite numbers", numbers[bad], path)
    return data


def _build_motion(joints: list[_Joint], data: np.ndarray, frame_time: float) -> Motion:
    f = data.shape[0]
    skeleton = Skeleton(
        [j.name for j in joints],
        [j.parent for j in joints],
        np.stack([j.offset for j in joints]),
        {i: j.end_site for i, j in enumerate(joints) if j.end_site is not None},
    )
    rotations = quat.identity((f, len(joints)))
    translations = np.broadcast_to(skeleton.offsets, (f, len(joints), 3)).copy()
    animated_translation = False
    column = 0
    for i, joint in enumerate(joints):
        q = None
        for kind, axis in joint.channels:
            values = data[:, column]
            column += 1
            if kind == "p":
                translations[:, i, axis] = values
                animated_translation |= i > 0
            else:
                step = quat.from_axis_angle(np.eye(3)[axis], np.radians(values))
                q = step if q is None else quat.multiply(q, step)
        if q is not None:
            rotations[:, i] = q
    return Motion(
        translations[:, 0].copy(),
        quat.normalize(rotations),
        1.0 / frame_time,
        skeleton,
        translations if animated_translation else None,
    )


def loads(text: str, path: str | None = None) -> Motion:
    """Parse BVH text (see `load`)."""
    lines = _content_lines(text)
    joints, _ = _parse_hierarchy(lines, path)
    n_frames, frame_time, frames_line = _parse_motion_header(lines, path)
    n_channels = sum(len(j.channels) for j in joints)
    # A frame line holds at least a digit and a separator per channel: a declared count the
    # file cannot hold is refused before anything is allocated for it.
    if n_frames * 2 * max(n_channels, 1) > len(text):
        raise BVHError(f"'Frames:' declares {n_frames} frames but the file is far too short to hold them "
                       "(truncated or corrupt)", frames_line, path)
    data = _read_frames(lines, n_frames, n_channels, path)
    return _build_motion(joints, data, frame_time)


def load(path) -> Motion:
    """Read a BVH file into a Motion in the file's own units."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BVHError("file not found: check the path", None, str(path)) from None
    except IsADirectoryError:
        raise BVHError("this is a folder, not a BVH file: choose the .bvh file inside it", None, str(path)) from None
    except OSError as exc:
        raise BVHError(f"cannot read the file ({exc.strerror})", None, str(path)) from None
    return loads(_decode(raw, str(path)), str(path))


def _decode(raw: bytes, path: str) -> str:
    """Text of a BVH file: UTF-8, UTF-16/32 with a byte-order mark, else Latin-1."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                raise BVHError(f"the file starts like {codec.upper()} text but is not valid {codec.upper()}; "
                               "save it again as UTF-8", None, path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:
        if _looks_utf16(raw):
            raise BVHError("this looks like UTF-16 text without a byte-order mark; save it as UTF-8", None, path)
        raise BVHError("this is a binary file, not a BVH text file", None, path)
    return text


def _looks_utf16(raw: bytes) -> bool:
    """ASCII text saved as UTF-16: every other byte of the start is zero."""
    head = raw[:400]
    odd, even = head[1::2], head[0::2]
    return len(odd) >= 8 and max(odd.count(0), even.count(0)) >= 0.9 * len(odd)


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def dumps(motion: Motion, rotation_order: str = "ZYX") -> str:
    """BVH text for a motion; joints with animated translations get position channels."""
    sk = motion.skeleton
    trans = motion.local_translations()
    moving = np.zeros(sk.n_joints, dtype=bool)
    moving[0] = True
    if motion.translations is not None:
        moving |= np.any(np.abs(trans - sk.offsets) > 1e-9, axis=(0, 2))
    children = [sk.children(j) for j in range(sk.n_joints)]
    rot_channels = " ".join(f"{a}rotation" for a in rotation_order)
    out = ["HIERARCHY"]

    # Iterative (a stack of open joints), so a 1000-deep chain cannot exhaust Python's recursion limit.
    stack: list[tuple[int, int, bool]] = [(0, 0, False)]  # (joint, depth, its children written)
    while stack:
        j, depth, closing = stack.pop()
        pad = "\t" * depth
        if closing:
            if j in sk.end_sites or not children[j]:
                end = sk.end_sites.get(j, np.zeros(3))
                out.extend([f"{pad}\tEnd Site", pad + "\t{", f"{pad}\t\tOFFSET {_fmt(end)}", pad + "\t}"])
            out.append(pad + "}")
            continue
        out.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} {sk.names[j]}")
        out.append(pad + "{")
        out.append(f"{pad}\tOFFSET {_fmt(sk.offsets[j])}")
        if moving[j]:
            out.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition {rot_channels}")
        else:
            out.append(f"{pad}\tCHANNELS 3 {rot_channels}")
        stack.append((j, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(children[j]))

    f = motion.n_frames
    columns = []
    euler = np.degrees(quat.quat_to_euler(quat.normalize(motion.rotations), rotation_order))
    for j in _depth_first(children):
        if moving[j]:
            columns.append(trans[:, j])
        columns.append(euler[:, j])
    data = np.concatenate(columns, axis=1) if columns else np.zeros((f, 0))
    out += ["MOTION", f"Frames: {f}", f"Frame Time: {1.0 / motion.fps:.10g}"]
    out += [_fmt(row) for row in data]
    return "\n".join(out) + "\n"


def _depth_first(children: list[list[int]]) -> list[int]:
    order, stack = [], [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(children[j]))
    return order


def save(path, motion: Motion, rotation_order: str = "ZYX") -> None:
    """Write a BVH file atomically: a failure never leaves a half-written file behind."""
    path = Path(path)
    text = dumps(motion, rotation_order)
    write_text(path, text)
