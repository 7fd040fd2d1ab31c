"""Entry point of the `openhuman` command: discovers the `cmd_*` modules and dispatches.

A subcommand module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
"""
from __future__ import annotations

import argparse
import importlib
import os
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


# Commands whose every output is written and closed when they return: the process then ends at once. On a
# normal exit, a process that has imported torch spends 0.3 s tearing it down (a 66 s clip with its
# transcript: 4.3 s, of which that is 7 %).
EXIT_AT_ONCE = ("generate", "transcribe", "demo", "info")


def console(argv=None) -> None:
    """The `openhuman` command (and `python -m openhuman.cli`): main(), then exit, skipping the interpreter's
    teardown after the commands of EXIT_AT_ONCE."""
    argv = sys.argv[1:] if argv is None else argv
    code = main(argv)
    if argv and argv[0] in EXIT_AT_ONCE:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader that went away (`| head`), a closed stream
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
