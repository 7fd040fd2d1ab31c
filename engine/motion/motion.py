"""Skeletons and motion in memory: the one representation everything converts to and from.

A Motion holds root positions (F, 3) and local joint rotations as unit quaternions
(F, J, 4, w first), the frame rate, and its Skeleton. Units are whatever the source used;
`Motion.scaled` converts (the pose features expect metres).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import quat


@dataclass(frozen=True, eq=False)
class Skeleton:
    """Joint names, parent indices (-1 for the root) and rest offsets from the parent."""

    names: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "parents", np.asarray(self.parents, dtype=np.int64))
        object.__setattr__(self, "offsets", np.asarray(self.offsets, dtype=np.float64).reshape(-1, 3))
        n = len(self.names)
        if self.parents.shape != (n,) or self.offsets.shape != (n, 3):
            raise ValueError("skeleton names, parents and offsets disagree in length")
        if n == 0 or self.parents[0] != -1:
            raise ValueError("the first joint must be the root (parent -1)")
        for j in range(1, n):
            if not 0 <= self.parents[j] < j:
                raise ValueError(f"joint {self.names[j]!r} must come after its parent")

    @property
    def n_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no joint named {name!r} in this skeleton") from None

    def children(self, j: int) -> list[int]:
        return [int(c) for c in np.nonzero(self.parents == j)[0]]

    def ancestors(self, j: int) -> list[int]:
        """j, its parent, and so on up to the root."""
        out = [int(j)]
        while self.parents[out[-1]] >= 0:
            out.append(int(self.parents[out[-1]]))
        return out

    def scaled(self, factor: float) -> "Skeleton":
        return Skeleton(
            self.names,
            self.parents,
            self.offsets * factor,
            {j: np.asarray(o) * factor for j, o in self.end_sites.items()},
        )

    def same_topology(self, other: "Skeleton") -> bool:
        return self.names == other.names and np.array_equal(self.parents, other.parents)

    def rest_world_positions(self) -> np.ndarray:
        """(J, 3) joint positions in the rest pose with the root at its offset."""
        out = np.zeros((self.n_joints, 3))
        out[0] = self.offsets[0]
        for j in range(1, self.n_joints):
            out[j] = out[self.parents[j]] + self.offsets[j]
        return out

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "parents": self.parents.tolist(),
            "offsets": self.offsets.tolist(),
            "end_sites": {str(j): np.asarray(o).tolist() for j, o in self.end_sites.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Skeleton":
        return cls(
            d["names"],
            d["parents"],
            d["offsets"],
            {int(j): np.asarray(o, dtype=np.float64) for j, o in d.get("end_sites", {}).items()},
        )


@dataclass(eq=False)
class Motion:
    """Root positions (F, 3), local rotations (F, J, 4), fps, skeleton.

    `translations` (F, J, 3) is only set when some non-root joints carry their own
    animated position channels (BVH 6-channel joints); otherwise the skeleton's
    offsets are used for every non-root joint.
    """

    root_positions: np.ndarray
    rotations: np.ndarray
    fps: float
    skeleton: Skeleton
    translations: np.ndarray | None = None

    def __post_init__(self):
        self.root_positions = np.asarray(self.root_positions, dtype=np.float64)
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        f, j = self.rotations.shape[:2]
        if self.rotations.shape != (f, j, 4) or j != self.skeleton.n_joints:
            raise ValueError(f"rotations must be (F, {self.skeleton.n_joints}, 4), got {self.rotations.shape}")
        if self.root_positions.shape != (f, 3):
            raise ValueError(f"root_positions must be ({f}, 3), got {self.root_positions.shape}")
        if self.translations is not None:
            self.translations = np.asarray(self.translations, dtype=np.float64)
            if self.translations.shape != (f, j, 3):
                raise ValueError("translations must be (F, J, 3)")
        if not self.fps > 0:
            raise ValueError("fps must be positive")

    @property
    def n_frames(self) -> int:
        return self.rotations.shape[0]

    @property
    def duration(self) -> float:
        """Seconds from the first to one frame past the last frame."""
        return self.n_frames / self.fps

    def local_translations(self) -> np.ndarray:
        """(F, J, 3) translation of each joint in its parent's frame; the root's is its position."""
        if self.translations is not None:
            t = self.translations.copy()
        else:
            t = np.broadcast_to(self.skeleton.offsets, (self.n_frames, self.skeleton.n_joints, 3)).copy()
        t[:, 0] = self.root_positions
        return t

    def world_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Forward kinematics: world positions (F, J, 3) and world rotations (F, J, 4)."""
        t = self.local_translations()
        parents = self.skeleton.parents
        pos = np.empty_like(t)
        rot = np.empty_like(self.rotations)
        pos[:, 0] = t[:, 0]
        rot[:, 0] = self.rotations[:, 0]
        for j in range(1, self.skeleton.n_joints):
            p = parents[j]
            pos[:, j] = pos[:, p] + quat.rotate(rot[:, p], t[:, j])
            rot[:, j] = quat.multiply(rot[:, p], self.rotations[:, j])
        return pos, rot

    def world_positions(self) -> np.ndarray:
        return self.world_transforms()[0]

    def scaled(self, factor: float) -> "Motion":
        """The same motion with every length multiplied by factor (e.g. 0.01 for cm → m)."""
        return Motion(
            self.root_positions * factor,
            self.rotations.copy(),
            self.fps,
            self.skeleton.scaled(factor),
            None if self.translations is None else self.translations * factor,
        )

    def slice(self, start: int, stop: int) -> "Motion":
        return Motion(
            self.root_positions[start:stop],
            self.rotations[start:stop],
            self.fps,
            self.skeleton,
            None if self.translations is None else self.translations[start:stop],
        )

    def resampled(self, fps: float) -> "Motion":
        """Resample to another frame rate: slerp for rotations, linear for positions.

        The new frames sample times k/fps for as long as the source covers (its first to
        last frame), so 34.4 s at 30 fps becomes round-down(34.4·fps)+1 frames or so.
        """
        if fps <= 0:
            raise ValueError("fps must be positive")
        if abs(fps - self.fps) < 1e-9:
            return Motion(self.root_positions.copy(), self.rotations.copy(), self.fps, self.skeleton,
                          None if self.translations is None else self.translations.copy())
        last = (self.n_frames - 1) / self.fps
        n_new = int(np.floor(last * fps + 1e-9)) + 1
        src = np.arange(n_new) / fps * self.fps
        i0 = np.clip(np.floor(src).astype(np.int64), 0, self.n_frames - 1)
        i1 = np.clip(i0 + 1, 0, self.n_frames - 1)
        w = src - i0
        rot = quat.slerp(self.rotations[i0], self.rotations[i1], np.broadcast_to(w[:, None], (n_new, self.skeleton.n_joints)))
        lerp = lambda a: a[i0] + (a[i1] - a[i0]) * w.reshape((-1,) + (1,) * (a.ndim - 1))  # noqa: E731
        trans = None if self.translations is None else lerp(self.translations)
        return Motion(lerp(self.root_positions), rot, fps, self.skeleton, trans)
