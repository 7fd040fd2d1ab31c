"""Entry point of the `openhuman` command: discovers the `cmd_*` modules and dispatches.

A subcommand module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ..engine.errors import OpenHumanError
from . import __path__ as _cli_path


def _subcommand_modules():
    names = sorted(m.name for m in pkgutil.iter_modules(_cli_path) if m.name.startswith("cmd_"))
    return [importlib.import_module(f"{__package__}.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openhuman", description="Speech-driven co-speech gestures.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _subcommand_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except OpenHumanError as exc:
        print(f"openhuman: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("openhuman: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
