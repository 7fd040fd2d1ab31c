"""From measured takes to the style table: how each captured style differs from `normal`.

Several takes of one content and style pool as one long take (training/style_measure.py
measures each); a style's value for a content is its ratio to, or offset from, the normal
take of the same content; the style's table value is the geometric mean of the ratios
(arithmetic mean of the offsets) over the contents. The six emotions' targets follow from
the styles (`emotion_targets`). training/style_table_output.py writes the result out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.errors import OpenHumanError
from .style_measure import OPEN_ENDED_CONTENTS, QUANTITIES, QUANTITY, STYLES, body_of, find_captures, measure

EMOTIONS = ("Neutral", "Happy", "Sad", "Angry", "Old", "Relaxed")
EMOTION_STYLE = {"Neutral": "normal", "Happy": "happy", "Sad": "sad", "Angry": "angry", "Old": "old"}
RELAXED_TOWARDS_TIRED = 0.5  # Relaxed lies this far from normal towards tired (log scale for ratios)


def measure_all(directory: Path) -> dict[tuple[str, str], dict[str, float]]:
    """(content, style) -> quantities; several takes pool as one long take (frame-weighted mean)."""
    takes: dict[tuple[str, str], list[dict[str, float]]] = {}
    for capture in find_captures(directory):
        takes.setdefault((capture.content, capture.style), []).append(measure(body_of(capture.path)))
    pooled = {}
    for key, values in takes.items():
        weights = np.array([v["frames"] for v in values])
        pooled[key] = {q.name: float(np.average([v[q.name] for v in values], weights=weights)) for q in QUANTITIES}
    return pooled


def relative(pooled: dict[tuple[str, str], dict[str, float]]) -> dict[str, dict[str, dict[str, float]]]:
    """style -> quantity -> content -> ratio to / offset from normal of the same content."""
    contents = sorted({c for c, s in pooled if s == "normal"})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for style in STYLES:
        out[style] = {q.name: {} for q in QUANTITIES}
        for content in contents:
            if (content, style) not in pooled:
                continue
            mine, base = pooled[(content, style)], pooled[(content, "normal")]
            for q in QUANTITIES:
                if q.name == "duration" and content in OPEN_ENDED_CONTENTS:
                    continue
                value = mine[q.name] / base[q.name] if q.kind == "ratio" else mine[q.name] - base[q.name]
                out[style][q.name][content] = value
    return out


def _mean(kind: str, values) -> float:
    values = np.asarray(list(values), dtype=np.float64)
    return float(np.exp(np.log(values).mean()) if kind == "ratio" else values.mean())


def aggregate(per_content: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """style -> quantity -> geometric mean of the ratios / arithmetic mean of the offsets."""
    table = {}
    for style, quantities in per_content.items():
        if not quantities["hand_speed"]:
            raise OpenHumanError(f"no take of style {style!r} has a normal take of the same content")
        table[style] = {q.name: _mean(q.kind, quantities[q.name].values()) for q in QUANTITIES}
    return table


def agreement(per_content, table) -> dict[str, dict[str, float]]:
    """style -> quantity -> share of contents whose value lies on the same side of normal as the mean."""
    out = {}
    for style in STYLES[1:]:
        out[style] = {}
        for q in QUANTITIES:
            neutral = 1.0 if q.kind == "ratio" else 0.0
            side = np.sign(table[style][q.name] - neutral)
            values = np.array(list(per_content[style][q.name].values()))
            out[style][q.name] = float(np.mean(np.sign(values - neutral) == side))
    return out


def emotion_targets(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Targets for our six emotions, relative to Neutral (choice explained in docs/emotion-styles.md).

    Neutral, Happy, Sad, Angry and Old are their captured styles. Relaxed lies halfway from
    normal towards tired; its hand speed and jerk then follow from its own amplitude A and
    frequency f as for an oscillation (speed ∝ A·f, jerk ∝ A·f³) instead of taking tired's,
    whose takes flail faster than normal: relaxed, not exhausted, means lower tension.
    """
    out = {emotion: {q.name: table[style][q.name] for q in QUANTITIES} for emotion, style in EMOTION_STYLE.items()}
    w = RELAXED_TOWARDS_TIRED
    relaxed = {q.name: table["tired"][q.name] ** w if q.kind == "ratio" else w * table["tired"][q.name]
               for q in QUANTITIES}
    relaxed["hand_speed"] = relaxed["amplitude"] * relaxed["frequency"]
    relaxed["jerk"] = relaxed["amplitude"] * relaxed["frequency"] ** 3
    out["Relaxed"] = relaxed
    return {emotion: out[emotion] for emotion in EMOTIONS}


@dataclass
class StyleStats:
    normal: dict[str, dict[str, float]]  # quantity -> content -> absolute value of the normal take
    per_content: dict[str, dict[str, dict[str, float]]]  # style -> quantity -> content -> relative value
    table: dict[str, dict[str, float]]  # style -> quantity -> relative value
    agreement: dict[str, dict[str, float]]  # style -> quantity -> share of contents agreeing in sign
    emotions: dict[str, dict[str, float]]  # emotion -> quantity -> relative value

    def rounded(self) -> "StyleStats":
        r = lambda name, x: round(float(x), QUANTITY[name].decimals)  # noqa: E731
        return StyleStats(
            {q: {c: r(q, v) for c, v in cs.items()} for q, cs in self.normal.items()},
            {s: {q: {c: r(q, v) for c, v in cs.items()} for q, cs in qs.items()} for s, qs in self.per_content.items()},
            {s: {q: r(q, v) for q, v in qs.items()} for s, qs in self.table.items()},
            {s: {q: round(v, 2) for q, v in qs.items()} for s, qs in self.agreement.items()},
            {e: {q: r(q, v) for q, v in qs.items()} for e, qs in self.emotions.items()},
        )


def stored_stats() -> StyleStats:
    """The statistics stored in training/style_reference.py (no data needed)."""
    from . import style_reference as ref

    return StyleStats(ref.NORMAL, ref.PER_CONTENT, ref.TABLE, ref.AGREEMENT, ref.EMOTIONS)


def style_stats(directory: Path) -> StyleStats:
    """Measure every take under `directory` and build the tables."""
    pooled = measure_all(directory)
    per_content = relative(pooled)
    table = aggregate(per_content)
    normal = {q.name: {c: v[q.name] for (c, s), v in sorted(pooled.items()) if s == "normal"} for q in QUANTITIES}
    return StyleStats(normal, per_content, table, agreement(per_content, table), emotion_targets(table))
