"""OpenHuman batch inside Blender: the `openhuman batch` command for `blender -b`.

    blender -b --factory-startup --python scripts/openhuman_batch_blender.py -- \
        --jobs jobs.csv --out renders/ [--workers 2] [--shard 0/4] [--method procedural]

takes the same options as `openhuman batch` (see docs/batch.md). The batch is run from this
Blender; its jobs run in Blender processes started the same way with `--serve` (the worker mode
of this script: jobs one after another, as the batch sends them on stdin), and `--job JOB.json
--result RESULT.json` runs one job in this process. The OpenHuman package is found next to
this script (a checkout or an unpacked extension), else as an installed extension or module.
Inside Blender the engine's Python packages must be installed (Preferences > Add-ons > OpenHuman).
Running this file with the bpy module's Python (python scripts/openhuman_batch_blender.py -- ...)
works too; the workers are then bpy-module processes.
"""
import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path


def _package():
    """The OpenHuman package: beside this script, else an installed extension, else `openhuman`."""
    root = Path(__file__).resolve().parents[1]
    if (root / "__init__.py").is_file() and (root / "blender_manifest.toml").is_file():
        _add_extension_site_packages(root)
        if "openhuman" not in sys.modules:
            spec = importlib.util.spec_from_file_location("openhuman", root / "__init__.py",
                                                          submodule_search_locations=[str(root)])
            module = importlib.util.module_from_spec(spec)
            sys.modules["openhuman"] = module
            spec.loader.exec_module(module)
        return sys.modules["openhuman"]
    import addon_utils

    for mod in addon_utils.modules():
        if mod.__name__ == "openhuman" or mod.__name__.endswith(".openhuman"):
            return importlib.import_module(mod.__name__)
    return importlib.import_module("openhuman")


def _add_extension_site_packages(root: Path) -> None:
    """Inside an installed extension, the add-on's installer put torch & co. in the extension's user folder."""
    import bpy

    if root.parent.parent.name != "extensions":
        return
    try:
        path = bpy.utils.extension_path_user(f"bl_ext.{root.parent.name}.{root.name}", path="site-packages")
    except (ValueError, AttributeError):
        return
    if os.path.isdir(path) and path not in sys.path:
        sys.path.append(path)


def main() -> int:
    import bpy

    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    package = _package()
    batch_job = importlib.import_module(package.__name__ + ".operators.batch_job")
    if argv == ["--serve"]:  # worker mode: the jobs `openhuman batch` sends on stdin, one after another
        return batch_job.serve()
    if "--job" in argv:  # one job in this process
        p = argparse.ArgumentParser(prog="openhuman_batch_blender.py -- --job")
        p.add_argument("--job", required=True)
        p.add_argument("--result", required=True)
        a = p.parse_args(argv)
        return batch_job.main([a.job, a.result])
    cmd_batch = importlib.import_module(package.__name__ + ".cli.cmd_batch")
    errors = importlib.import_module(package.__name__ + ".engine.errors")
    parser = argparse.ArgumentParser(prog="blender -b --python openhuman_batch_blender.py --",
                                     description=cmd_batch.HELP)
    cmd_batch.add_arguments(parser)
    args = parser.parse_args(argv)
    binary = bpy.app.binary_path
    if not args.blender and binary and not os.path.basename(binary).startswith("python"):
        args.blender = binary
    try:
        return cmd_batch.run(args)
    except errors.OpenHumanError as exc:
        print(f"openhuman batch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
