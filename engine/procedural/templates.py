"""Semantic gesture templates: the key poses of each lexicon gesture for an arm on side s.

A template gives, for an arm on side s (-1 right, +1 left), keys as (time from the apex in units
of the stroke time, pose); times after the apex are holds stretched to the end of the word.
TEMPLATES maps a name to (function, uses both hands, head action).
"""
from __future__ import annotations


from .keys import pose


def _t_self(s, st, both):
    x = s * (0.09 if both else 0.06)
    p = pose((x, -0.15, 0.19), palm=(0.0, 0.0, -1.0), flex=10, elbow=0.8, shape="open")
    start = pose((s * 0.16, -0.18, 0.30), palm=(-s * 0.5, 0.0, -1.0), elbow=0.7, shape="open")
    return [(-1.0, start), (0.0, p), (1.0, p)]


def _t_point(s, st, where):
    if where == "forward":
        end, start = (s * 0.12, 0.0, 0.46), (s * 0.12, -0.08, 0.30)
        flex, palm = 0.0, (0.0, -1.0, 0.0)
    elif where == "near":
        end, start = (s * 0.13, -0.28, 0.36), (s * 0.15, -0.14, 0.28)
        flex, palm = 45.0, (0.0, -0.6, -1.0)
    elif where == "aside":
        end, start = (s * 0.36, -0.05, 0.38), (s * 0.18, -0.10, 0.28)
        flex, palm = 0.0, (0.0, -1.0, 0.0)
    else:  # far
        end, start = (s * 0.42, 0.06, 0.40), (s * 0.20, -0.06, 0.28)
        flex, palm = -5.0, (0.0, -1.0, 0.0)
    p_end = pose(end, palm=palm, flex=flex, elbow=0.3, shape="point")
    return [(-1.0, pose(start, palm=palm, flex=flex * 0.5, elbow=0.35, shape="point")), (0.0, p_end), (1.0, p_end)]


def _t_frame_big(s, st):
    end = pose((s * 0.42, -0.02, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")
    return [(-1.0, pose((s * 0.22, -0.06, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")), (0.0, end), (1.0, end)]


def _t_spread_flat(s, st):
    end = pose((s * 0.46, -0.12, 0.30), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.08, -0.10, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_pinch_small(s, st):
    end = pose((s * 0.035, -0.10, 0.33), palm=(-s, 0.0, 0.3), flex=-10, elbow=0.6, shape="pinch")
    return [(-1.0, pose((s * 0.12, -0.12, 0.30), palm=(-s, 0.0, 0.3), elbow=0.6, shape="pinch")), (0.0, end), (1.0, end)]


def _t_raise(s, st, point, height=0.26):
    shape = "point" if point else "open"
    palm = (-s * 0.3, 0.0, 1.0) if point else (0.0, -1.0, 0.0)
    flex = -30.0 if point else 0.0
    end = pose((s * 0.24, height, 0.26), palm=palm, flex=flex, elbow=0.5, shape=shape)
    return [(-1.0, pose((s * 0.22, -0.10, 0.28), palm=palm, flex=flex, elbow=0.5, shape=shape)), (0.0, end), (1.0, end)]


def _t_lower_flat(s, st):
    end = pose((s * 0.20, -0.34, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.20, -0.04, 0.32), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_circle(s, st):
    """Both hands cupped in front; Plan.circles moves them round (a smooth circle, not keys)."""
    p = pose((s * 0.17, -0.08, 0.32), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")
    return [(-1.0, pose((s * 0.2, -0.12, 0.30), palm=(-s, 0.0, 0.0), elbow=0.5, shape="cup")), (0.0, p), (1.0, p)]


def _t_sweep_out(s, st):
    end = pose((s * 0.48, -0.08, 0.26), palm=(s * 0.3, 1.0, 0.3), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.10, -0.10, 0.34), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_spread_many(s, st):
    end = pose((s * 0.44, 0.0, 0.28), palm=(s * 0.2, 1.0, 0.6), elbow=0.5, shape="open")
    return [(-1.0, pose((s * 0.18, -0.12, 0.30), palm=(0.0, 1.0, 0.3), elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_bring_together(s, st):
    end = pose((s * 0.07, -0.10, 0.34), palm=(-s, 0.0, 0.0), elbow=0.6, shape="cup")
    return [(-1.0, pose((s * 0.32, -0.08, 0.30), palm=(-s, 0.0, 0.0), elbow=0.6, shape="cup")), (0.0, end), (1.0, end)]


def _t_sweep_side(s, st):
    end = pose((s * 0.46, -0.10, 0.26), palm=(0.0, 1.0, 0.2), elbow=0.5, shape="open")
    return [(-1.0, pose((-s * 0.04, -0.10, 0.32), palm=(0.0, 1.0, 0.2), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


def _t_shrug(s, st):
    end = pose((s * 0.30, -0.18, 0.28), palm=(s * 0.3, 1.0, 0.0), elbow=0.7, shape="open")
    return [(-1.0, pose((s * 0.22, -0.22, 0.24), palm=(0.0, 1.0, 0.0), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


def _t_push_forward(s, st):
    end = pose((s * 0.16, -0.04, 0.50), palm=(0.0, 0.3, 1.0), flex=-30, elbow=0.3, shape="open")
    return [(-1.0, pose((s * 0.18, -0.08, 0.24), palm=(0.0, 0.3, 1.0), flex=-20, elbow=0.4, shape="open")), (0.0, end), (1.0, end)]


def _t_throw_back(s, st):
    end = pose((s * 0.30, 0.14, 0.04), palm=(0.0, 0.0, -1.0), flex=-20, elbow=0.6, shape="open")
    return [(-1.0, pose((s * 0.24, -0.02, 0.34), palm=(0.0, 0.0, -1.0), flex=-10, elbow=0.5, shape="open")), (0.0, end), (1.0, end)]


def _t_negate(s, st):
    end = pose((s * 0.42, -0.14, 0.28), palm=(0.0, -1.0, 0.0), elbow=0.5, shape="open")
    return [(-1.0, pose((-s * 0.02, -0.12, 0.34), palm=(0.0, -1.0, 0.0), elbow=0.6, shape="open")), (0.0, end), (1.0, end)]


def _t_affirm(s, st):
    end = pose((s * 0.16, -0.20, 0.30), palm=(-s * 0.3, 1.0, 0.0), elbow=0.5, shape="relaxed")
    return [(-1.0, pose((s * 0.17, -0.14, 0.29), palm=(-s * 0.3, 1.0, 0.0), elbow=0.5)), (0.0, end), (1.0, end)]


TEMPLATES = {
    "self": (lambda s, st: _t_self(s, st, False), False, None),
    "self_both": (lambda s, st: _t_self(s, st, True), True, None),
    "point_forward": (lambda s, st: _t_point(s, st, "forward"), False, None),
    "point_near": (lambda s, st: _t_point(s, st, "near"), False, None),
    "point_aside": (lambda s, st: _t_point(s, st, "aside"), False, None),
    "point_far": (lambda s, st: _t_point(s, st, "far"), False, None),
    "frame_big": (_t_frame_big, True, None),
    "spread_flat": (_t_spread_flat, True, None),
    "pinch_small": (_t_pinch_small, True, None),
    "raise_flat": (lambda s, st: _t_raise(s, st, False), False, None),
    "raise_point": (lambda s, st: _t_raise(s, st, True), False, None),
    "raise_index": (lambda s, st: _t_raise(s, st, True, height=0.14), False, None),  # index up by the face
    "lower_flat": (_t_lower_flat, False, None),
    "circle": (_t_circle, True, None),
    "sweep_out": (_t_sweep_out, True, None),
    "spread_many": (_t_spread_many, True, None),
    "bring_together": (_t_bring_together, True, None),
    "sweep_side": (_t_sweep_side, False, None),
    "shrug": (_t_shrug, True, "shrug"),
    "push_forward": (_t_push_forward, False, None),
    "throw_back": (_t_throw_back, False, None),
    "negate": (_t_negate, False, "shake"),
    "affirm": (_t_affirm, False, "nod"),
}


