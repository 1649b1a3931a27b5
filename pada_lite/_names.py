"""Short and old import paths, resolved on first use so that nothing heavy is imported early.

- `exports(package, module="Name ...")` gives a subpackage its short names: `from pada_lite.teacher import
  Teacher` imports `pada_lite.teacher.core` only when `Teacher` is first asked for.
- `OldNames` keeps the flat module names of pada-lite 0.1 importable (`pada_lite.sim`,
  `pada_lite.bundled`, ...): each is the same module object as its new home, so code and tests
  that patch a module patch the one the kit uses, and `python -m pada_lite.bundled` still runs.
It deliberately does not warn: the old names cost nothing to keep and are listed in `MOVED`.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {   # 0.1 flat name -> its home in the tree
    "tasks": "tasks.spec", "splits": "tasks.splits", "data": "tasks.data", "bundled": "tasks.bundled",
    "oracle": "tasks.oracle", "sample_export": "tasks.sample_export",
    "profiles": "student.profiles", "tiny": "student.tiny", "smollm2": "student.smollm2",
    "standin": "student.llama_shaped", "student": "student.load", "sft": "student.sft",
    "evaluate": "student.evaluate", "lengths": "student.lengths", "workflow": "student.workflow",
    "teacher": "teacher.core", "teacher_types": "teacher.base", "budget": "teacher.budget",
    "retries": "teacher.retries", "booking": "teacher.booking", "pool": "teacher.pool",
    "preflight": "teacher.preflight", "replies": "teacher.replies", "cache": "teacher.cache",
    "pricing": "teacher.pricing", "schemas": "teacher.schemas",
    "openai_backend": "teacher.backends.openai_api", "sim": "teacher.backends.simulated",
    "prompts": "agents.prompts", "analysis": "agents.analysis", "cluster": "agents.cluster",
    "generation": "agents.synthesis", "quality": "agents.quality", "similarity": "agents.overlap",
    "loop": "loop.runner", "runs": "loop.runs", "report": "loop.report",
    "notebook": "course.notebook", "widgets": "course.widgets", "reference": "course.reference",
}


def exports(package: str, **modules: str):
    """`__all__`, `__getattr__` and `__dir__` for a subpackage whose names live in its modules, given
    as module="Name other_name ..."; a name's module is imported when the name is first asked for."""
    table = {name: module for module, names in modules.items() for name in names.split()}

    def __getattr__(name: str):
        if name in table:
            return getattr(importlib.import_module(f"{package}.{table[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(table) | set(vars(sys.modules[package])))
    return list(table), __getattr__, __dir__


class OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `pada_lite.<old flat name>` and hands back the module at its new home."""
    # subtle: it stands after the path finder, so the four old names that are now folders (tasks,
    # student, teacher, loop) never reach it: their `__init__` re-exports the old module's names

    def __init__(self):
        self._own_specs = {}   # module name -> its own spec, between create_module and exec_module

    def find_spec(self, fullname, path=None, target=None):
        pkg, _, leaf = fullname.rpartition(".")
        if pkg != "pada_lite" or leaf not in MOVED:
            return None
        home = importlib.util.find_spec(f"pada_lite.{MOVED[leaf]}")
        return importlib.util.spec_from_loader(fullname, self, origin=home.origin)

    def create_module(self, spec):
        module = importlib.import_module(self._home(spec.name))
        self._own_specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamps the alias's spec on the module it was handed: give it back its own
        module.__spec__ = self._own_specs.pop(module.__name__)

    def get_code(self, fullname):   # what `python -m pada_lite.<old name>` runs
        home = importlib.util.find_spec(self._home(fullname))
        return home.loader.get_code(home.name)

    @staticmethod
    def _home(fullname: str) -> str:
        return f"pada_lite.{MOVED[fullname.rpartition('.')[2]]}"


def install() -> None:
    if not any(isinstance(f, OldNames) for f in sys.meta_path):
        sys.meta_path.append(OldNames())
