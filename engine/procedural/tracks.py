"""Per-frame arm values from planned gestures: keys with holds and rests, minimum-jerk interpolation."""
from __future__ import annotations

import numpy as np

from .keys import ELBOW, Action, low_ready_pose, prep_time, rest_pose, retract_time
from .styles import Style


def track_keys(actions: list[Action], side: str, style: Style,
               units: list[tuple[float, float]] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key times (K,), poses (K, D) and eases (K,) for one arm.

    Between gestures the arm holds its last pose and prepares the next stroke in time; a gap
    longer than style.rest_gap_s lowers the hand: to the rest pose across a pause in speech,
    to a low ready pose in front of the belly within speech.
    """
    rest = rest_pose(side)
    rest[ELBOW] = 0.25 + 0.2 * style.elbow_out
    ready = low_ready_pose(side, style)
    prep, retract = prep_time(style), retract_time(style)
    unit_of = lambda t: next((i for i, (a, b) in enumerate(units) if a - 0.5 <= t <= b + 0.5), -1)  # noqa: E731
    times, poses, eases = [-10.0], [rest], [1.0]
    prev = None
    for a in sorted(actions, key=lambda a: a.first):
        if not a.keys:
            continue
        gap = a.first - prev.last if prev is not None else np.inf
        a_prep = prep if a.prep is None else a.prep
        if gap > style.rest_gap_s + a_prep + retract:
            same_unit = prev is not None and unit_of(prev.last) == unit_of(a.first) != -1
            lowered = ready if same_unit else rest
            if prev is not None:
                times.append(prev.last + retract), poses.append(lowered), eases.append(1.0)
            times.append(a.first - a_prep), poses.append(lowered), eases.append(1.0)
        elif gap > a_prep:  # hold the last pose, then prepare the next stroke
            times.append(a.first - a_prep), poses.append(poses[-1]), eases.append(1.0)
        for t, p, e in a.keys:
            times.append(t), poses.append(p), eases.append(e)
        prev = a
    if prev is not None:  # the last gesture is held until the speech it belongs to ends
        last_unit_end = max((b for a, b in units if a - 0.5 <= prev.last <= b), default=prev.last)
        times.append(max(prev.last, last_unit_end) + retract), poses.append(rest), eases.append(1.0)
    t = np.array(times)
    # keys strictly increasing: a key at or before its predecessor is nudged just after it
    for i in range(1, len(t)):
        t[i] = max(t[i], t[i - 1] + 0.04)
    return t, np.array(poses), np.array(eases)


def evaluate_track(times: np.ndarray, poses: np.ndarray, eases: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(F, D) poses at the times `at`: minimum-jerk segments between keys, eased per destination key."""
    i = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(times) - 1)
    j = np.minimum(i + 1, len(times) - 1)
    span = np.maximum(times[j] - times[i], 1e-9)
    u = np.clip((at - times[i]) / span, 0.0, 1.0)
    u = np.where(j == i, 1.0, u)
    u = u ** eases[j]
    s = u * u * u * (10.0 + u * (-15.0 + 6.0 * u))
    return poses[i] + (poses[j] - poses[i]) * s[:, None]
