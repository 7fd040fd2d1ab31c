"""The shape of the code: the engine never touches Blender, and every engine module imports on its own."""
import subprocess
import sys

from helpers import REPO


def test_no_engine_module_imports_bpy():
    sources = sorted((REPO / "engine").rglob("*.py"))
    assert len(sources) > 40 and (REPO / "engine" / "diffusion" / "windowed_sampling.py") in sources
    offenders = [str(p.relative_to(REPO)) for p in sources
                 if any(line.strip().startswith(("import bpy", "from bpy")) for line in p.read_text().splitlines())]
    assert offenders == []
    code = ("import importlib, pkgutil, sys, openhuman.engine as e\n"
            "names = [m.name for m in pkgutil.walk_packages(e.__path__, 'openhuman.engine.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "assert 'bpy' not in sys.modules, 'bpy was imported'\n"
            "print(len(names))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 40


def _imported_packages(folder: str) -> dict[str, set[str]]:
    """Per module under `folder`: the project's top-level folders it imports from (relative imports resolved)."""
    import ast

    found = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
                if target:
                    tops.add(target[0])
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                tops |= {n.split(".")[1] for n in names if n.startswith("openhuman.") and n.count(".") >= 1}
        found[str(path.relative_to(REPO))] = tops
    return found


def test_arrows_point_down_the_layers():
    """engine at the bottom; batch and training use it; cli and the Blender layer sit on top."""
    below = {"engine": {"engine"}, "batch": {"engine", "batch"}, "training": {"engine", "training", "batch"}}
    for folder, allowed in below.items():
        offenders = {m: sorted(t - allowed) for m, t in _imported_packages(folder).items() if t - allowed}
        assert offenders == {}, f"{folder}/ imports from above it: {offenders}"


def test_engine_is_a_few_stages_of_small_modules():
    """engine/ draws the pipeline: a handful of modules at the top, the stages as sub-packages, none too long."""
    top = sorted(p.name for p in (REPO / "engine").glob("*.py"))
    stages = sorted(p.parent.name for p in (REPO / "engine").glob("*/__init__.py"))
    assert len(top) <= 8, top
    assert {"speech", "conditions", "diffusion", "motion", "procedural"} <= set(stages), stages
    sources = [p for folder in ("engine", "batch", "training", "cli", "operators", "panels")
               for p in (REPO / folder).rglob("*.py")]
    long = {str(p.relative_to(REPO)): n for p in sources if (n := len(p.read_text().splitlines())) > 450}
    assert len(sources) > 100 and not long, long


def _engine_imports() -> dict[str, set[str]]:
    """Per engine module: the engine modules it imports at run time (imports under TYPE_CHECKING left out;
    ``from . import name`` counts the submodule when there is one, else the package)."""
    import ast

    modules = {}
    for path in sorted((REPO / "engine").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    found = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text())
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                       for statement in node.body for n in ast.walk(statement)}
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and id(node) not in typing_only:
                base = ".".join(package[:len(package) - (node.level - 1)] + (node.module.split(".") if node.module else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        found[name] = {t for t in targets if t in modules and t != name}
    return found


def test_no_import_circle_in_the_engine():
    """Not even through an import inside a function: every module of the engine has its place in the layers."""
    graph = _engine_imports()
    assert graph["engine.api"] and "engine.speech.asr" in graph["engine.speech.recognition_child"]
    circles, state = [], {}

    def visit(module, path):  # depth-first; a module met again on the current path closes a circle
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                circles.append(path[path.index(other):] + [other])
            elif other not in state:
                visit(other, path + [other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == [], circles
