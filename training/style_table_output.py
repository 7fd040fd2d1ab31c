"""The style statistics written out: a text table, Markdown, a bar chart, the data file
training/style_reference.json and the generated block of docs/emotion-styles.md."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..engine.errors import OpenHumanError
from .style_measure import QUANTITIES, QUANTITY, STYLES
from .style_table import EMOTION_STYLE, EMOTIONS, StyleStats


def _cell(name: str, value: float) -> str:
    q = QUANTITY[name]
    return f"×{value:.{q.decimals}f}" if q.kind == "ratio" else f"{value:+.{q.decimals}f}"


def _short(name: str, value: float) -> str:
    q = QUANTITY[name]
    if q.kind == "ratio":
        return f"×{value:.2f}"
    return f"{value * 100:+.1f}cm" if q.unit == "m" else f"{value:+.1f}" if q.unit == "deg" else f"{value:+.2f}"


def markdown(stats: StyleStats) -> str:
    """The style table, the emotion targets, the normal takes and the per-content values, as Markdown."""
    names = [q.name for q in QUANTITIES]

    def header(first: str) -> list[str]:
        return ["| " + first + " | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    lines = ["Styles relative to normal (mean over contents):", ""] + header("style")
    for style in STYLES:
        lines.append(f"| {style} | " + " | ".join(_cell(n, stats.table[style][n]) for n in names) + " |")
    lines += ["", "Share of contents agreeing in sign with the mean:", ""] + header("style")
    for style in STYLES[1:]:
        lines.append(f"| {style} | " + " | ".join(f"{stats.agreement[style][n]:.2f}" for n in names) + " |")
    lines += ["", "Targets for the six emotions (relative to Neutral):", ""] + header("emotion")
    for emotion in EMOTIONS:
        lines.append(f"| {emotion} | " + " | ".join(_cell(n, stats.emotions[emotion][n]) for n in names) + " |")
    contents = sorted(next(iter(stats.normal.values())))
    lines += ["", "Absolute values of the normal takes:", "",
              "| content | " + " | ".join(f"{n} ({QUANTITY[n].unit})" for n in names) + " |",
              "|---" * (len(names) + 1) + "|"]
    for c in contents:
        lines.append(f"| {c} | " + " | ".join(f"{stats.normal[n][c]:.{QUANTITY[n].decimals}f}" for n in names) + " |")
    lines += ["", "Each style for each content:", "", "| style | content | " + " | ".join(names) + " |",
              "|---" * (len(names) + 2) + "|"]
    for style in STYLES[1:]:
        for c in contents:
            cells = [_cell(n, stats.per_content[style][n][c]) if c in stats.per_content[style][n] else "–"
                     for n in names]
            lines.append(f"| {style} | {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def text_table(stats: StyleStats) -> str:
    """Quantities down, styles then emotions across; × marks a ratio, + an offset."""
    names = [q.name for q in QUANTITIES]
    width = max(len(n) for n in names) + 1
    rows = [f"{'':{width}}" + "".join(f"{s[:9]:>10}" for s in STYLES) + "  |" + "".join(f"{e:>9}" for e in EMOTIONS)]
    for n in names:
        rows.append(f"{n:{width}}" + "".join(f"{_short(n, stats.table[s][n]):>10}" for s in STYLES) + "  |"
                    + "".join(f"{_short(n, stats.emotions[e][n]):>9}" for e in EMOTIONS))
    return "\n".join(rows) + "\n"


def plot(stats: StyleStats, out: Path) -> None:
    """Bars per quantity per style (ratios on a log axis around 1), a dot per content."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    styles = STYLES[1:]
    fig, axes = plt.subplots(3, 4, figsize=(16, 10.5), constrained_layout=True)
    colours = plt.get_cmap("tab10")(np.arange(len(styles)))
    x = np.arange(len(styles))
    for ax, q in zip(axes.flat, QUANTITIES):
        values = np.array([stats.table[s][q.name] for s in styles])
        if q.kind == "ratio":
            ax.bar(x, values - 1.0, bottom=1.0, color=colours)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20]))
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.axhline(1.0, color="black", lw=0.8)
            ax.set_title(f"{q.name}  (× normal)")
        else:
            ax.bar(x, values, color=colours)
            ax.axhline(0.0, color="black", lw=0.8)
            ax.set_title(f"{q.name}  ({q.unit}, minus normal)")
        for i, s in enumerate(styles):
            points = list(stats.per_content[s][q.name].values())
            ax.scatter([i] * len(points), points, s=9, color="black", zorder=3)
        ax.set_xticks(x, styles, rotation=50, ha="right", fontsize=8)
    legend = axes.flat[-1]
    legend.axis("off")
    legend.text(0.0, 0.5, "Bandai-Namco motion dataset 1\nbars: mean over contents\n(geometric for ratios)\n"
                "dots: bow, bye, byebye,\nguide, walk separately", fontsize=11, va="center")
    fig.suptitle("Captured styles relative to normal of the same content")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)


REGENERATE = ("python -m openhuman.training.style_stats --write-reference training/style_reference.json "
              "--update-doc docs/emotion-styles.md")
ABOUT = ("How acted emotional styles differ from normal motion, measured by training/style_stats.py on the "
         "Bandai-Namco Research Motion dataset 1 (CC BY-NC 4.0); only these numbers enter the project, never the "
         f"captures. Regenerate with: {REGENERATE} (dataset in ../shared/data/bandai, or --bandai DIR). "
         "The fields are described in training/style_reference.py, the method in docs/emotion-styles.md.")
DOC_START = "<!-- style tables: generated by training/style_stats.py, do not edit -->"
DOC_END = "<!-- end of generated style tables -->"


def with_tables(document: str, tables: str) -> str:
    """`document` with the text between DOC_START and DOC_END replaced by `tables`."""
    start, end = document.find(DOC_START), document.find(DOC_END)
    if start < 0 or end < start:
        raise OpenHumanError(f"the document has no '{DOC_START}' ... '{DOC_END}' block to fill in")
    return document[: start + len(DOC_START)] + "\n\n" + tables + "\n" + document[end:]


def tables_in(document: str) -> str:
    """The generated block of a document (as `with_tables` wrote it)."""
    start, end = document.find(DOC_START), document.find(DOC_END)
    if start < 0 or end < start:
        raise OpenHumanError(f"the document has no '{DOC_START}' ... '{DOC_END}' block")
    return document[start + len(DOC_START): end].strip("\n") + "\n"


def _json(value, indent: int = 0) -> str:
    """JSON for nested dicts: one line per innermost dict of numbers, one key per line above it."""
    if not isinstance(value, dict) or not any(isinstance(v, dict) or len(json.dumps(v)) > 40 for v in value.values()):
        return json.dumps(value)
    pad = " " * (indent + 2)
    items = ",\n".join(f"{pad}{json.dumps(k)}: {_json(v, indent + 2)}" for k, v in value.items())
    return "{\n" + items + "\n" + " " * indent + "}"


def reference_json(stats: StyleStats) -> str:
    """The text of training/style_reference.json: the rounded statistics and what they mean."""
    r = stats.rounded()
    return _json({
        "about": ABOUT,
        "styles": list(STYLES),
        "emotion_names": list(EMOTIONS),
        "emotion_style": dict(EMOTION_STYLE, Relaxed=None),
        "quantities": [q.name for q in QUANTITIES],
        "kind": {q.name: q.kind for q in QUANTITIES},
        "unit": {q.name: q.unit for q in QUANTITIES},
        "decimals": {q.name: q.decimals for q in QUANTITIES},
        "meaning": {q.name: q.meaning for q in QUANTITIES},
        "table": r.table,
        "agreement": r.agreement,
        "emotions": r.emotions,
        "per_content": r.per_content,
        "normal": r.normal,
    }) + "\n"
