"""Motion-based detectors of gesture types, and a clearance check of hands against the body.

They judge motion only (world joint positions and rotations of the 75-joint skeleton), never a
synthesiser's plan, so they serve the procedural synthesiser's tests and the model evaluation
(semantic-relevant gesture recall) alike. A detector looks at a time window: a word's span
widened by WINDOW_BEFORE / WINDOW_AFTER seconds, because a gesture's stroke starts just before
its word and its hold runs a little past it.

Thresholds (metres, degrees) are stated where they are used; positions are in the body frame
of training/style_checks.Kinematics (x to the character's left, y up, z forward, origin under
the hips).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..engine.motion import quat
from ..engine.motion.motion import Motion
from ..engine.speech.words import WordSpan
from .style_checks import Kinematics

WINDOW_BEFORE = 0.1
WINDOW_AFTER = 0.3
SIDES = ("Left", "Right")

# Capsules (segment, radius in m) around the centre line of trunk, neck and head that no hand or
# finger joint may enter. Radii are a little under the body's own half-depth there, and real
# ZeroEGGs capture never enters them (closest: 0.077 m at the belly, 0.13 m at the head).
CLEARANCE_RADII = (("Hips", "Spine", 0.07), ("Spine", "Spine1", 0.085), ("Spine1", "Spine2", 0.10),
                   ("Spine2", "Spine3", 0.12), ("Spine3", "Neck", 0.11), ("Neck", "Neck1", 0.07),
                   ("Neck1", "Head", 0.09), ("Head", "HeadEnd", 0.10))


class GestureFeatures:
    """Per-frame quantities the detectors read, computed once per motion."""

    def __init__(self, motion: Motion):
        k = Kinematics(motion)
        self.kin, self.fps, self.n = k, motion.fps, motion.n_frames
        idx = k.names
        self.hips_y = k.joint("Hips")[:, 1]
        self.shoulder_y = k.positions[:, [idx["LeftArm"], idx["RightArm"]], 1].mean(1)
        chest = k.local(k.joint("Spine2")[:, None])[:, 0]
        self.chest_forward = chest[:, 2]
        self.sternum = chest + np.array([0.0, 0.0, 0.10])
        self.wrist, self.palm, self.index_ext, self.middle_ext, self.palm_up = {}, {}, {}, {}, {}
        for side in SIDES:
            hand = k.joint(f"{side}Hand")
            self.wrist[side] = k.local(hand[:, None])[:, 0]
            self.palm[side] = k.local(((hand + k.joint(f"{side}HandMiddle1")) / 2.0)[:, None])[:, 0]
            self.index_ext[side] = np.linalg.norm(k.joint(f"{side}HandIndex4") - hand, axis=1)
            self.middle_ext[side] = np.linalg.norm(k.joint(f"{side}HandMiddle4") - hand, axis=1)
            normal = quat.rotate(k.rotations[:, idx[f"{side}Hand"]], np.array([0.0, -1.0, 0.0]))
            self.palm_up[side] = normal[:, 1]
        rel = quat.multiply(quat.conjugate(k.rotations[:, idx["Spine3"]]), k.rotations[:, idx["Head"]])
        fwd = quat.rotate(rel, np.array([0.0, 0.0, 1.0]))
        # smoothed over 3 frames on the whole clip, so a window's first frames carry no edge effect
        self.head_yaw = uniform_filter1d(np.degrees(np.arctan2(fwd[:, 0], fwd[:, 2])), 3)
        self.head_pitch = uniform_filter1d(np.degrees(np.arctan2(-fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2]))), 3)

    def window(self, start: float, end: float) -> slice:
        a = int(np.floor((start - WINDOW_BEFORE) * self.fps))
        b = int(np.ceil((end + WINDOW_AFTER) * self.fps)) + 1
        return slice(max(0, a), min(self.n, max(b, a + 2)))

    def raised(self, side: str, w: slice) -> np.ndarray:
        """Hand up in gesture space: wrist above the hips joint (a hanging hand is ~0.05 m below)."""
        return self.wrist[side][w, 1] - self.hips_y[w] > 0.0

    def in_front(self, side: str, w: slice, by: float) -> np.ndarray:
        return self.palm[side][w, 2] - self.chest_forward[w] > by


def _zigzag(x: np.ndarray, swing: float) -> list[float]:
    """Signed legs between alternating extremes of x that differ by `swing` or more, in order."""
    legs: list[float] = []
    if len(x) < 2:
        return legs
    lo = hi = pivot = extreme = float(x[0])
    direction = 0
    for v in map(float, x[1:]):
        if direction == 0:
            hi, lo = max(hi, v), min(lo, v)
            if hi - lo >= swing:
                direction, pivot, extreme = (1, lo, v) if v == hi else (-1, hi, v)
        elif direction > 0:
            if v > extreme:
                extreme = v
            elif extreme - v >= swing:
                legs.append(extreme - pivot)
                direction, pivot, extreme = -1, extreme, v
        else:
            if v < extreme:
                extreme = v
            elif v - extreme >= swing:
                legs.append(extreme - pivot)
                direction, pivot, extreme = 1, extreme, v
    if direction != 0 and abs(extreme - pivot) >= swing:
        legs.append(extreme - pivot)
    return legs


# --- detectors: (features, window) -> bool -------------------------------------------------------

def point_self(f: GestureFeatures, w: slice) -> bool:
    """A palm comes within 0.17 m of the sternum (chest front, 0.1 m before Spine2)."""
    return any((np.linalg.norm(f.palm[s][w] - f.sternum[w], axis=1) < 0.17).any() for s in SIDES)


def point_out(f: GestureFeatures, w: slice) -> bool:
    """Index extended (tip > 0.165 m from the wrist), middle finger curled (< 0.14 m), hand 0.15 m
    or more in front of the chest."""
    return any((((f.index_ext[s][w] > 0.165) & (f.middle_ext[s][w] < 0.14)) & f.in_front(s, w, 0.15)).any()
               for s in SIDES)


def hands_apart(f: GestureFeatures, w: slice) -> bool:
    """Both hands up, in front, and more than 0.7 m apart sideways."""
    up = f.raised("Left", w) & f.raised("Right", w) & f.in_front("Left", w, 0.0) & f.in_front("Right", w, 0.0)
    return bool((up & (np.abs(f.wrist["Left"][w, 0] - f.wrist["Right"][w, 0]) > 0.7)).any())


def hands_together(f: GestureFeatures, w: slice) -> bool:
    """Both hands up, 0.1 m or more in front of the chest, palms less than 0.2 m apart."""
    up = f.raised("Left", w) & f.raised("Right", w) & f.in_front("Left", w, 0.1) & f.in_front("Right", w, 0.1)
    return bool((up & (np.linalg.norm(f.palm["Left"][w] - f.palm["Right"][w], axis=1) < 0.2)).any())


def hand_raised(f: GestureFeatures, w: slice) -> bool:
    """A wrist reaches within 0.08 m of shoulder height (or above)."""
    return any((f.wrist[s][w, 1] > f.shoulder_y[w] - 0.08).any() for s in SIDES)


def hand_lowered(f: GestureFeatures, w: slice) -> bool:
    """A hand in front of the body moves down by 0.15 m or more and ends palm down (a retraction
    to the side does not count: it leaves the space in front)."""
    for s in SIDES:
        y = f.wrist[s][w, 1]
        ok = f.in_front(s, w, 0.12) & (f.palm_up[s][w] < -0.5)
        drop = np.maximum.accumulate(y) - y
        if ((drop >= 0.15) & ok).any():
            return True
    return False


def hand_circle(f: GestureFeatures, w: slice) -> bool:
    """A hand's path in the frontal plane turns through 270 degrees or more over 0.25 m or more."""
    for s in SIDES:
        p = uniform_filter1d(f.wrist[s][w][:, :2], 3, axis=0)
        v = np.diff(p, axis=0)
        moving = np.linalg.norm(v, axis=1) * f.fps > 0.1
        if moving.sum() < 3:
            continue
        heading = np.unwrap(np.arctan2(v[moving, 1], v[moving, 0]))
        turn = np.abs(heading - heading[0]).max()  # net turning, so a wobble back and forth does not add up
        if np.degrees(turn) >= 270.0 and np.linalg.norm(v, axis=1).sum() >= 0.25:
            return True
    return False


def hand_forward(f: GestureFeatures, w: slice) -> bool:
    """A hand pushes forward by 0.15 m or more to 0.38 m or more in front of the chest."""
    for s in SIDES:
        z = f.palm[s][w, 2] - f.chest_forward[w]
        gain = z - np.minimum.accumulate(z)
        if ((gain >= 0.15) & (z >= 0.38)).any():
            return True
    return False


def hand_backward(f: GestureFeatures, w: slice) -> bool:
    """A raised hand (wrist within 0.3 m of shoulder height) moves back by 0.15 m or more."""
    for s in SIDES:
        z = f.palm[s][w, 2]
        high = f.wrist[s][w, 1] > f.shoulder_y[w] - 0.3
        back = np.maximum.accumulate(z) - z
        if ((back >= 0.15) & high).any():
            return True
    return False


def palms_up(f: GestureFeatures, w: slice) -> bool:
    """A hand up in front of the body with its palm facing up (normal's up component > 0.7)."""
    return any((f.raised(s, w) & f.in_front(s, w, 0.05) & (f.palm_up[s][w] > 0.7)).any() for s in SIDES)


def lateral_sweep(f: GestureFeatures, w: slice) -> bool:
    """A raised hand travels 0.25 m or more sideways within 0.8 s."""
    span = max(1, int(round(0.8 * f.fps)))
    for s in SIDES:
        x = f.wrist[s][w, 0]
        up = f.raised(s, w)
        for lag in range(1, min(span, len(x) - 1) + 1):
            if ((np.abs(x[lag:] - x[:-lag]) >= 0.25) & up[lag:] & up[:-lag]).any():
                return True
    return False


def head_shake(f: GestureFeatures, w: slice) -> bool:
    """Head yaw (relative to the chest) swings back and forth: three or more swings of 5 deg or more."""
    return len(_zigzag(f.head_yaw[w], 5.0)) >= 3


def nod(f: GestureFeatures, w: slice) -> bool:
    """Head pitch (relative to the chest) goes 6 deg or more chin-down from its usual level (the
    lower quartile over the window and a second either side) and comes back up 5 deg or more."""
    around = f.head_pitch[max(0, w.start - int(f.fps)): w.stop + int(f.fps)]
    x = f.head_pitch[w]
    lowest_after = np.minimum.accumulate(x[::-1])[::-1]
    return bool(((x - np.percentile(around, 25) >= 6.0) & (x - lowest_after >= 5.0)).any())


DETECTORS = {
    "point_self": point_self, "point_out": point_out, "hands_apart": hands_apart,
    "hands_together": hands_together, "hand_raised": hand_raised, "hand_lowered": hand_lowered,
    "hand_circle": hand_circle, "hand_forward": hand_forward, "hand_backward": hand_backward,
    "palms_up": palms_up, "lateral_sweep": lateral_sweep, "head_shake": head_shake, "nod": nod,
}


def detect(features: GestureFeatures, gesture: str, start: float, end: float) -> bool:
    """Whether `gesture` (a DETECTORS key) happens between start and end seconds (window widened)."""
    try:
        fn = DETECTORS[gesture]
    except KeyError:
        raise KeyError(f"no detector {gesture!r}; known: {', '.join(DETECTORS)}") from None
    return bool(fn(features, features.window(start, end)))


def semantic_recall(motion: Motion, words: list[WordSpan], expected) -> dict[str, list[bool]]:
    """For every word with an expected gesture type (`expected(word)` -> detector name or None):
    word -> list of detected-or-not per occurrence."""
    features = GestureFeatures(motion)
    out: dict[str, list[bool]] = {}
    for w in words:
        gesture = expected(w.word)
        if gesture:
            out.setdefault(w.word.lower(), []).append(detect(features, gesture, w.start, w.end))
    return out


def clearance(motion: Motion) -> dict[str, float]:
    """Per capsule of CLEARANCE_RADII: the smallest distance (m) of any hand or finger joint from
    its surface over the motion; negative means a joint went inside."""
    k = Kinematics(motion)
    hand_joints = [i for n, i in k.names.items() if "Hand" in n and "Head" not in n]
    pts = k.positions[:, hand_joints]
    out = {}
    for a, b, radius in CLEARANCE_RADII:
        pa, pb = k.joint(a)[:, None], k.joint(b)[:, None]
        ab = pb - pa
        t = np.clip(((pts - pa) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0.0, 1.0)
        d = np.linalg.norm(pts - (pa + t[..., None] * ab), axis=-1)
        out[f"{a}-{b}"] = float(d.min() - radius)
    return out
