"""The package's shape: no import circle between its modules (lazy imports inside functions count:
a circle that only works because one side imports late is still a circle a reader must untangle),
and `import pada_lite` stays instant (no torch, transformers or pandas behind it)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "pada_lite"


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (subpackages included)."""
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        parts = ["pada_lite", *f.relative_to(PKG).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's own modules that module `name` imports, wherever the import statement stands."""
    is_pkg = path.name == "__init__.py"
    package = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for a in node.names:   # `from . import analysis` names a module; `from .x import f` a thing in x
                found.add(f"{target}.{a.name}" if f"{target}.{a.name}" in known else target)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary circle found by a depth-first walk, each once (as its own rotation)."""
    found, seen = [], set()

    def walk(node, path, on_path):
        for nxt in sorted(g[node]):
            if nxt in on_path:
                circle = path[path.index(nxt):]
                key = tuple(sorted(circle))
                if key not in seen:
                    seen.add(key)
                    found.append(circle + [nxt])
            elif len(path) < 12:
                walk(nxt, path + [nxt], on_path | {nxt})

    for start in sorted(g):
        walk(start, [start], {start})
    return found


def test_the_graph_is_read_from_real_imports():
    g = graph()
    assert "pada_lite.agents.analysis" in g["pada_lite.loop.runner"]   # `from pada_lite.agents import analysis as pa`
    assert "pada_lite.student.evaluate" in g["pada_lite.loop.runner"]  # `from pada_lite.student.evaluate import EvalResult`


def test_the_circle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    found = cycles(graph())
    assert not found, "import circles (lazy imports count):\n" + "\n".join(" -> ".join(c) for c in found)


SUBPACKAGES = sorted(n for n, f in modules().items() if f.name == "__init__.py")


@pytest.mark.parametrize("heavy", ["torch", "transformers", "pandas", "openai", "sklearn", "pydantic"])
def test_import_pada_lite_and_its_folders_stays_light(heavy):
    code = f"import sys, {', '.join(SUBPACKAGES)}; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PKG.parent).stdout.strip()
    assert out == "False", f"importing the package or one of its folders imports {heavy}"


def test_each_folder_says_what_it_owns_and_its_short_names_resolve():
    import importlib

    for name in SUBPACKAGES[1:]:   # after pada_lite itself, whose docstring is the map
        pkg = importlib.import_module(name)
        assert pkg.__doc__ and len(pkg.__doc__.strip().splitlines()) <= 4, f"{name}: say in a few lines what it owns"
        for short in getattr(pkg, "__all__", []):
            assert getattr(pkg, short) is not None, f"{name}.{short}"


def test_the_old_flat_names_are_the_same_modules():
    """pada-lite 0.1's flat module names still import, as the very module the kit uses (so a patch
    through either name patches both), and `python -m pada_lite.bundled` runs the moved file."""
    import importlib
    import importlib.util

    from pada_lite._names import MOVED
    for old, new in MOVED.items():
        mod = importlib.import_module(f"pada_lite.{old}")
        home = importlib.import_module(f"pada_lite.{new}")
        if old in {"tasks", "student", "teacher", "loop"}:   # now folders that re-export the old names
            assert all(getattr(mod, n) is getattr(home, n) for n in mod.__all__ if n in vars(home)), old
        else:
            assert mod is home and mod.__spec__.name == f"pada_lite.{new}", old
    code = ("import importlib.util, pada_lite; s = importlib.util.find_spec('pada_lite.bundled'); "
            "print(s.loader.get_code('pada_lite.bundled').co_filename)")   # what runpy does, in a fresh process
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PKG.parent)
    assert Path(out.stdout.strip()).relative_to(PKG).as_posix() == "tasks/bundled.py"


def test_the_maps_name_every_module():
    """The README's package table and the package docstring are the map: neither may miss a module."""
    import re

    import pada_lite
    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The package"):]
    mods = {n: f for n, f in modules().items() if n != "pada_lite" and not n.split(".")[-1].startswith("_")}
    names = [n.split(".")[-1] for n in mods]
    shown = [f"{n.split('.')[-1]}/`" if f.name == "__init__.py" else f"`{n.split('.')[-1]}`" for n, f in mods.items()]
    assert [s for s in shown if s not in table] == [], "the README's package table misses these modules"
    assert [n for n in names if not re.search(rf"\b{n}\b", pada_lite.__doc__)] == [], "pada_lite's docstring misses these"
