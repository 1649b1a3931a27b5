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
    assert "pada_lite.loop" in g and "pada_lite.analysis" in g["pada_lite.loop"]   # `from . import analysis as pa`
    assert "pada_lite.evaluate" in g["pada_lite.loop"]                           # `from .evaluate import EvalResult`


def test_the_circle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    found = cycles(graph())
    assert not found, "import circles (lazy imports count):\n" + "\n".join(" -> ".join(c) for c in found)


@pytest.mark.parametrize("heavy", ["torch", "transformers", "pandas", "openai", "sklearn"])
def test_import_pada_lite_stays_light(heavy):
    code = f"import sys, pada_lite; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PKG.parent).stdout.strip()
    assert out == "False", f"`import pada_lite` imports {heavy}"


def test_the_maps_name_every_module():
    """The README's package table and the package docstring are the map: neither may miss a module."""
    import re

    import pada_lite
    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The package"):]
    names = [n.split(".")[-1] for n in modules() if n != "pada_lite" and not n.endswith("__main__")]
    assert [n for n in names if f"`{n}`" not in table] == [], "the README's package table misses these modules"
    assert [n for n in names if not re.search(rf"\b{n}\b", pada_lite.__doc__)] == [], "pada_lite's docstring misses these"
