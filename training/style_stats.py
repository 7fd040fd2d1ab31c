"""How each acted style of the Bandai-Namco motion dataset 1 differs from `normal`.

Each capture is measured in world space (forward kinematics, metres, Y up) and in a body
frame that follows the character: origin on the floor under the hips, axes left / up /
facing, the facing (the horizontal perpendicular of the hip and shoulder lines) smoothed
over one second. Each file gives one number per quantity (QUANTITIES); a style's value for
a content is its ratio to, or offset from, the normal take of the same content; the
style's table value is the geometric mean of the ratios (arithmetic mean of the offsets)
over the contents. The same `measure` works on any skeleton given a joint map, so
synthesised motion on the ZeroEGGs skeleton (ZEGGS_JOINTS) is measured the same way.

    python -m openhuman.training.style_stats [--bandai DIR] [--json OUT] [--markdown OUT]
        [--plot OUT.png] [--write-reference training/style_reference.json]
        [--update-doc docs/emotion-styles.md]

Only these statistics enter the project, never the captures. Method and choices:
docs/emotion-styles.md.

Modules: training/style_measure.py (the captures, one number per quantity per take),
training/style_table.py (takes -> style table and emotion targets), training/style_table_output.py
(text, Markdown, plot, the reference JSON, the document's tables); this one is the command line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..engine.errors import OpenHumanError
from .style_measure import QUANTITIES
from .style_table import style_stats
from .style_table_output import markdown, plot, reference_json, text_table, with_tables


def default_bandai_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bandai"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openhuman.training.style_stats",
                                     description="Measure how each captured style differs from normal.")
    parser.add_argument("--bandai", type=Path, default=default_bandai_dir(),
                        help="folder of the dataset-1_*.bvh files (default: ../shared/data/bandai)")
    parser.add_argument("--json", type=Path, help="write the statistics as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--plot", type=Path, help="write a bar chart (PNG) here")
    parser.add_argument("--write-reference", type=Path,
                        help="write the stored table as JSON (training/style_reference.json)")
    parser.add_argument("--update-doc", type=Path, help="refresh the generated tables in this Markdown document "
                                                        "(docs/emotion-styles.md)")
    args = parser.parse_args(argv)
    try:
        stats = style_stats(args.bandai)
    except OpenHumanError as exc:
        print(f"style_stats: error: {exc}", file=sys.stderr)
        return 2
    print(text_table(stats), end="")
    r = stats.rounded()
    if args.json:
        args.json.write_text(json.dumps({"kind": {q.name: q.kind for q in QUANTITIES}, "table": r.table,
                                         "agreement": r.agreement, "emotions": r.emotions,
                                         "per_content": r.per_content, "normal": r.normal}, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(r))
    if args.plot:
        plot(stats, args.plot)
    if args.write_reference:
        args.write_reference.write_text(reference_json(stats))
    if args.update_doc:
        try:
            args.update_doc.write_text(with_tables(args.update_doc.read_text(), markdown(r)))
        except (OSError, OpenHumanError) as exc:
            print(f"style_stats: error: {args.update_doc}: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
