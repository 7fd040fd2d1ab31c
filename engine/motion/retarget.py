"""Retargeting: motion on the OpenHuman skeleton onto any humanoid rig, through a bone map.

Each mapped target bone takes its source joint's world rotation relative to the source's rest
pose, carried onto the target's rest pose:

    target_world(t) = source_world(t) · source_rest⁻¹ · A · target_rest

A turns the target bone's rest direction onto the source joint's rest direction (and where a
bone has a left/right pair of mapped children, such as a hand's index and little finger, its
side axis too). So T-pose and A-pose rigs, other bone rolls, scales and proportions all end up
with the source's world bone directions. Both rigs are first put in a character frame (left,
up, forward) measured from their rest poses, so a rig may have Y or Z up, face anywhere and use
any unit. The root moves by the source root's displacement scaled by the ratio of hip heights.
Nothing here changes the target's rest pose: it is only read.

Rigs are described by `RigRest` (names, parents, bone heads, tails and rest orientations in the
rig's own armature space); `retarget` returns pose-basis rotations as Blender uses them
(pose = parent pose · parent rest⁻¹ · rest · basis).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import quat
from ..errors import RetargetError
from .motion import Motion, Skeleton

# The child a joint points at when it has several (the limb or spine it continues).
SOURCE_AIM = {"Hips": "Spine", "Spine3": "Neck", "RightHand": "RightHandMiddle1", "LeftHand": "LeftHandMiddle1"}
# Joints whose twist is fixed by a right/left pair of children (across the pelvis, chest, knuckles).
SOURCE_SIDES = {
    "Hips": ("RightUpLeg", "LeftUpLeg"),
    "Spine3": ("RightShoulder", "LeftShoulder"),
    "RightHand": ("RightHandPinky1", "RightHandIndex1"),
    "LeftHand": ("LeftHandIndex1", "LeftHandPinky1"),
}
_TOP = ("Neck", "Head", "Neck1", "Spine3", "Spine2")
_LEFT_RIGHT = (("LeftArm", "RightArm"), ("LeftShoulder", "RightShoulder"), ("LeftUpLeg", "RightUpLeg"),
               ("LeftForeArm", "RightForeArm"), ("LeftHand", "RightHand"))


@dataclass(frozen=True, eq=False)
class RigRest:
    """A rig's rest pose in its own armature space (any up axis, any unit).

    rotations (B, 4) are the bones' rest orientations (bone axes in armature space, w first);
    parents hold -1 for bones without a parent.
    """

    names: tuple[str, ...]
    parents: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    rotations: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(self.names))
        n = len(self.names)
        for attr, shape in (("parents", (n,)), ("heads", (n, 3)), ("tails", (n, 3)), ("rotations", (n, 4))):
            value = np.asarray(getattr(self, attr), dtype=np.int64 if attr == "parents" else np.float64)
            if value.shape != shape:
                raise ValueError(f"RigRest.{attr} must have shape {shape}, got {value.shape}")
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "rotations", quat.normalize(self.rotations))

    def index(self, name: str) -> int:
        return self.names.index(name)

    @classmethod
    def from_skeleton(cls, skeleton: Skeleton) -> "RigRest":
        """An engine skeleton as a rig: joints rest with world-aligned axes, tails at their aim child."""
        heads = skeleton.rest_world_positions()
        tails = heads.copy()
        for j in range(skeleton.n_joints):
            aim = _aim_child(skeleton, j)
            tails[j] = heads[aim] if aim is not None else heads[j]
        return cls(skeleton.names, skeleton.parents, heads, tails, quat.identity((skeleton.n_joints,)))


@dataclass
class RetargetPlan:
    """Everything fixed by the two rest poses and the map; `retarget` applies it to motions."""

    source: Skeleton
    target: RigRest
    pairs: list[tuple[int, int]]  # (source joint, target bone), parents first
    follow: np.ndarray  # per target bone: the mapped bone whose motion it inherits, or -1
    left: np.ndarray  # (K, 4) constant factors of target_pose(t) = left · source_world(t) · right
    right: np.ndarray
    scale: float  # target hip height / source hip height
    root: tuple[int, int] | None  # (source root joint, target bone) that carries root motion
    unmapped_source: list[str]  # source joints with no target bone
    missing_targets: list[str]  # bone-map entries naming bones the rig does not have
    target_without_source: list[str]  # rig bones that get no motion of their own
    notes: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """A JSON-ready summary of what was mapped and what was not."""
        return {
            "mapped": {self.source.names[j]: self.target.names[k] for j, k in self.pairs},
            "unmapped_source": self.unmapped_source,
            "missing_targets": self.missing_targets,
            "target_without_source": self.target_without_source,
            "root_scale": self.scale,
            "notes": self.notes,
        }


@dataclass
class RetargetedMotion:
    """Keys for the target rig: pose-basis rotations of the mapped bones and the root's location."""

    bones: tuple[str, ...]
    rotations: np.ndarray  # (F, K, 4) pose basis (relative to each bone's rest), w first
    pose_rotations: np.ndarray  # (F, K, 4) the bones' orientations in armature space
    root_bone: str | None
    root_location: np.ndarray | None  # (F, 3) pose-basis location of the root bone
    fps: float

    @property
    def n_frames(self) -> int:
        return self.rotations.shape[0]


def plan_retarget(source: Skeleton, target: RigRest, bone_map: dict[str, str], *, follow=None,
                  report_bones=None) -> RetargetPlan:
    """Prepare a retarget from `source` (the motion's skeleton) onto `target` through `bone_map`.

    bone_map: {source joint: target bone}. Entries naming bones the rig lacks are reported, not
    fatal. follow: per target bone, the bone whose motion it inherits (default: its parent);
    rigs driven through constraints pass what they measured. report_bones: the rig bones worth
    listing when they get no motion (default: all).
    """
    unknown = sorted(set(bone_map) - set(source.names))
    if unknown:
        raise RetargetError(f"bone map names {len(unknown)} joint(s) the source skeleton lacks "
                            f"(e.g. {unknown[0]!r}); source joints are named like {source.names[1]!r}")
    index = {n: k for k, n in enumerate(target.names)}
    seen: dict[str, str] = {}
    pairs, missing = [], []
    for j, name in enumerate(source.names):
        bone = bone_map.get(name)
        if not bone:
            continue
        if bone not in index:
            missing.append(bone)
            continue
        if bone in seen:
            raise RetargetError(f"bone map sends both {seen[bone]!r} and {name!r} to the bone {bone!r}; "
                                "each target bone can take one source joint")
        seen[bone] = name
        pairs.append((j, index[bone]))
    if not pairs:
        raise RetargetError("the bone map matches no bone of this rig: choose another map or edit it")
    follow = np.asarray(target.parents if follow is None else follow, dtype=np.int64)
    src_pos = source.rest_world_positions()
    mapped = {source.names[j]: k for j, k in pairs}
    src_frame = _character_frame({n: src_pos[source.index(n)] for n in mapped})
    tgt_frame = _character_frame({n: target.heads[k] for n, k in mapped.items()})
    q_src, q_tgt = quat.from_matrix(src_frame), quat.from_matrix(tgt_frame)
    size = _rig_size(target)
    left = quat.multiply(q_tgt, quat.conjugate(q_src))
    rights, notes = [], []
    for j, k in pairs:
        u, s = _source_axes(source, src_pos, j, mapped)
        v, w = _target_axes(source, target, j, k, mapped, size)
        if v is None:
            notes.append(f"{target.names[k]}: no usable rest direction, rotations carried over unaligned")
            align = quat.identity()
        else:
            # Directions compared in character coordinates (frame columns: left, up, forward).
            align = _align(v @ tgt_frame, w @ tgt_frame if w is not None else None,
                           u @ src_frame, s @ src_frame if s is not None else None)
        # target_pose = Ft·[Fs⁻¹·Q(t)·Fs]·[Fs⁻¹·S]⁻¹·A·[Ft⁻¹·B] with Q(t) the source's world rotation,
        # B the target's rest; S, the source's rest, is the identity (engine joints rest world-aligned).
        right = quat.multiply(quat.multiply(q_src, align), quat.multiply(quat.conjugate(q_tgt), target.rotations[k]))
        rights.append(right)
    mapped_targets = {k for _, k in pairs}
    root = next(((j, k) for j, k in pairs if source.parents[j] < 0), None)
    if root is not None:
        ancestor = _mapped_ancestor(follow, root[1], mapped_targets)
        if ancestor >= 0:
            raise RetargetError(f"the root bone {target.names[root[1]]!r} sits below the mapped bone "
                                f"{target.names[ancestor]!r}: map the hips to a bone above the spine")
    src_height = _hip_height(src_pos, src_frame, {n: source.index(n) for n in mapped})
    tgt_height = _hip_height(target.heads, tgt_frame, mapped)
    if src_height and tgt_height:
        scale = tgt_height / src_height
    else:
        src_mapped = src_pos[[j for j, _ in pairs]]
        scale = _height(target.heads[[k for _, k in pairs]], tgt_frame) / max(_height(src_mapped, src_frame), 1e-9)
        notes.append("no feet mapped: root motion scaled by overall height")
    wanted = target.names if report_bones is None else [n for n in target.names if n in set(report_bones)]
    return RetargetPlan(
        source=source, target=target, pairs=pairs, follow=follow, left=left,
        right=np.array(rights), scale=float(scale), root=root,
        unmapped_source=[n for n in source.names if n not in mapped],
        missing_targets=missing,
        target_without_source=[n for n in wanted if index[n] not in mapped_targets],
        notes=notes,
    )


def retarget(motion: Motion, plan: RetargetPlan) -> RetargetedMotion:
    """Pose-basis keys for the plan's mapped bones, one per frame of `motion`."""
    if not motion.skeleton.same_topology(plan.source):
        raise RetargetError("the motion's skeleton is not the one this retarget was planned for")
    positions, world = motion.world_transforms()
    target = plan.target
    src_idx = np.array([j for j, _ in plan.pairs])
    tgt_idx = [k for _, k in plan.pairs]
    # pose(t) = left · Q(t) · right, for every pair at once through 4×4 product matrices.
    m = quat.left_matrix(plan.left)[None] @ quat.right_matrix(plan.right)
    pose = quat.normalize(np.einsum("kab,fkb->fka", m, world[:, src_idx]))
    column = {k: c for c, k in enumerate(tgt_idx)}
    mapped = set(tgt_idx)
    basis = np.empty_like(pose)
    for c, k in enumerate(tgt_idx):
        rest_inv = quat.conjugate(target.rotations[k])
        parent = _mapped_ancestor(plan.follow, k, mapped)
        if parent < 0:
            basis[:, c] = quat.multiply(rest_inv[None], pose[:, c])
        else:
            # basis = B⁻¹ · B_parent · P_parent(t)⁻¹ · P(t)
            fixed = quat.multiply(rest_inv, target.rotations[parent])
            relative = quat.multiply(quat.conjugate(pose[:, column[parent]]), pose[:, c])
            basis[:, c] = quat.multiply(fixed[None], relative)
    root_bone = root_location = None
    if plan.root is not None:
        j, k = plan.root
        delta = positions[:, j] - plan.source.rest_world_positions()[j]
        # `left` (Ft·Fs⁻¹) takes source armature directions to target armature directions.
        moved = quat.rotate(plan.left[None], delta) * plan.scale
        root_location = quat.rotate(quat.conjugate(target.rotations[k])[None], moved)
        root_bone = target.names[k]
    return RetargetedMotion(tuple(target.names[k] for k in tgt_idx), continuous(basis), pose, root_bone,
                            root_location, motion.fps)


def unretarget(basis: np.ndarray, root_location: np.ndarray | None, plan: RetargetPlan, fps: float) -> Motion:
    """The source motion back from a rig's keys: the inverse of `retarget` for a plan that maps every
    source joint (the identity map onto the OpenHuman armature or a ZeroEGGs character).

    basis (F, K, 4): the pose-basis rotations of the plan's target bones, in `plan.pairs` order;
    root_location (F, 3): the root bone's location key (None: the root stays at its rest place).
    """
    source, target = plan.source, plan.target
    if len(plan.pairs) != source.n_joints:
        unmapped = plan.unmapped_source[0] if plan.unmapped_source else "?"
        raise RetargetError(f"reading a motion back needs every joint of the skeleton on the rig; "
                            f"{source.n_joints - len(plan.pairs)} are not (e.g. {unmapped!r})")
    basis = quat.normalize(np.asarray(basis, dtype=np.float64))
    column = {k: c for c, (_, k) in enumerate(plan.pairs)}
    mapped = set(column)
    pose = np.empty_like(basis)
    for c, (_, k) in enumerate(plan.pairs):  # parents first
        parent = _mapped_ancestor(plan.follow, k, mapped)
        if parent < 0:
            pose[:, c] = quat.multiply(target.rotations[k][None], basis[:, c])
        else:  # pose = P_parent · B_parent⁻¹ · B · basis (the inverse of retarget's basis)
            fixed = quat.multiply(quat.conjugate(target.rotations[parent]), target.rotations[k])
            pose[:, c] = quat.multiply(pose[:, column[parent]], quat.multiply(fixed[None], basis[:, c]))
    # source_world = left⁻¹ · pose · right⁻¹
    left_inv = quat.conjugate(plan.left)
    world = np.empty_like(pose)
    for c, (j, _) in enumerate(plan.pairs):
        world[:, j] = quat.multiply(quat.multiply(left_inv[None], pose[:, c]), quat.conjugate(plan.right[c])[None])
    local = world.copy()
    for j, p in enumerate(source.parents):
        if p >= 0:
            local[:, j] = quat.multiply(quat.conjugate(world[:, p]), world[:, j])
    rest_root = source.rest_world_positions()[0]
    root = np.broadcast_to(rest_root, (len(basis), 3)).copy()
    if root_location is not None and plan.root is not None:
        moved = quat.rotate(target.rotations[plan.root[1]][None], np.asarray(root_location, dtype=np.float64))
        root += quat.rotate(left_inv[None], moved) / plan.scale
    return Motion(root, quat.normalize(local), fps, source)


def continuous(q: np.ndarray) -> np.ndarray:
    """Flip signs along the first axis so consecutive quaternions stay close (no F-curve jumps)."""
    if len(q) < 2:
        return q
    step = np.where(np.sum(q[1:] * q[:-1], axis=-1) < 0, -1.0, 1.0)
    sign = np.concatenate([np.ones_like(step[:1]), np.cumprod(step, axis=0)])
    return q * sign[..., None]


def _aim_child(skeleton: Skeleton, j: int) -> int | None:
    children = skeleton.children(j)
    if not children:
        return None
    preferred = SOURCE_AIM.get(skeleton.names[j])
    if preferred in skeleton.names and skeleton.index(preferred) in children:
        return skeleton.index(preferred)
    return max(children, key=lambda c: np.linalg.norm(skeleton.offsets[c]))


def _mapped_aim(source: Skeleton, j: int, mapped: dict[str, int]) -> int | None:
    """The nearest mapped joint down the chain this joint aims along, if any."""
    d = _aim_child(source, j)
    while d is not None and source.names[d] not in mapped:
        d = _aim_child(source, d)
    return d


def _source_axes(source: Skeleton, pos: np.ndarray, j: int, mapped: dict[str, int]):
    """Primary direction (towards the next mapped joint, else the aim child) and side direction."""
    d = _mapped_aim(source, j, mapped)
    if d is None:
        d = _aim_child(source, j)
    if d is not None and np.linalg.norm(pos[d] - pos[j]) > 1e-6:
        u = pos[d] - pos[j]
    else:  # a leaf: it continues its parent's direction, or points up when it sits on its parent
        p = source.parents[j]
        u = pos[j] - pos[p] if p >= 0 else np.zeros(3)
        if np.linalg.norm(u) < 1e-6:
            u = np.array([0.0, 1.0, 0.0])
    return u, _side(source.names[j], mapped, lambda n: pos[source.index(n)])


def _target_axes(source: Skeleton, target: RigRest, j: int, k: int, mapped: dict[str, int], size: float):
    """The target bone's directions matching `_source_axes`; None where the rig gives none."""
    d = _mapped_aim(source, j, mapped)
    v = None
    if d is not None:
        v = target.heads[mapped[source.names[d]]] - target.heads[k]
    if v is None or np.linalg.norm(v) < 1e-3 * size:
        v = target.tails[k] - target.heads[k]
    if np.linalg.norm(v) < 1e-4 * size:
        return None, None
    return v, _side(source.names[j], mapped, lambda n: target.heads[mapped[n]])


def _side(name: str, mapped: dict[str, int], position):
    pair = SOURCE_SIDES.get(name)
    if pair is None or pair[0] not in mapped or pair[1] not in mapped:
        return None
    return position(pair[1]) - position(pair[0])


def _align(v, w, u, s) -> np.ndarray:
    """Rotation taking direction v onto u; with sides w and s, also w's perpendicular onto s's."""
    v, u = _unit(v), _unit(u)
    if w is not None and s is not None:
        fw, fs = _frame(v, w), _frame(u, s)
        if fw is not None and fs is not None:
            return quat.from_matrix(fs @ fw.T)
    axis = np.cross(v, u)
    sin, cos = np.linalg.norm(axis), float(np.dot(v, u))
    if sin < 1e-9:
        if cos > 0:
            return quat.identity()
        helper = np.array([1.0, 0.0, 0.0]) if abs(v[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        return quat.from_axis_angle(np.cross(v, helper), np.pi)
    return quat.from_axis_angle(axis, np.arctan2(sin, cos))


def _frame(primary, side) -> np.ndarray | None:
    side = side - np.dot(side, primary) * primary
    if np.linalg.norm(side) < 1e-6:
        return None
    side = _unit(side)
    return np.stack([primary, side, np.cross(primary, side)], axis=-1)


def _unit(v):
    return np.asarray(v, dtype=np.float64) / max(float(np.linalg.norm(v)), 1e-12)


def _character_frame(pos: dict[str, np.ndarray]) -> np.ndarray:
    """Columns: the character's left, up and forward, in the rig's armature space."""
    top = next((n for n in _TOP if n in pos), None)
    lefts = [_unit(pos[a] - pos[b]) for a, b in _LEFT_RIGHT if a in pos and b in pos]
    if "Hips" not in pos or top is None or not lefts:
        raise RetargetError("the bone map must map Hips, a neck, head or chest bone, and a left/right pair "
                            "(arms, shoulders or legs), so the rig's up and left can be found")
    up = _unit(pos[top] - pos["Hips"])
    legs = [(pos[f"{s}UpLeg"], pos[f"{s}Foot"]) for s in ("Left", "Right") if f"{s}UpLeg" in pos and f"{s}Foot" in pos]
    if legs:  # legs stand straight in rest poses; spines lean forward or back from rig to rig
        leg_up = _unit(np.sum([_unit(hip - foot) for hip, foot in legs], axis=0))
        if np.dot(leg_up, up) > 0.7:
            up = leg_up
    left = np.sum(lefts, axis=0)
    left = left - np.dot(left, up) * up
    if np.linalg.norm(left) < 1e-6:
        raise RetargetError("the rig's left and right bones sit on its up axis: check the bone map's sides")
    left = _unit(left)
    return np.stack([left, up, np.cross(left, up)], axis=-1)


def _hip_height(pos: np.ndarray, frame: np.ndarray, names: dict[str, int]) -> float | None:
    """Height of the hips above the ankles, along the character's up axis."""
    feet = [names[n] for n in ("LeftFoot", "RightFoot") if n in names]
    if "Hips" not in names or not feet:
        return None
    up = frame[:, 1]
    return float(np.dot(pos[names["Hips"]] - pos[feet].mean(axis=0), up))


def _height(points: np.ndarray, frame: np.ndarray) -> float:
    h = points @ frame[:, 1]
    return float(h.max() - h.min())


def _rig_size(rig: RigRest) -> float:
    points = np.concatenate([rig.heads, rig.tails])
    return max(float(np.linalg.norm(points.max(axis=0) - points.min(axis=0))), 1e-9)


def _mapped_ancestor(follow: np.ndarray, k: int, mapped: set[int]) -> int:
    p = follow[k]
    guard = 0
    while p >= 0 and p not in mapped:
        p = follow[p]
        guard += 1
        if guard > len(follow):
            raise RetargetError("the rig's follow relations form a loop")
    return int(p)
