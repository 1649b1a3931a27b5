"""Run folders: `runs/<name>/` holds what a run resolved, computed and measured.

- `Run(name)` makes the folder; `run.save_config(...)` writes `config.json`.
- `run.path(...)` names an artifact; `run.write_json` / `run.read_json` keep results readable.
- `run.has(...)` lets a stage skip work that an earlier, interrupted run already finished.
- `safe_name(text)`: text (a task named after a file, "my data") as a folder name `--run` accepts.

It deliberately does not decide *what* a stage computes; the CLI and notebooks do.
It never writes secrets: `save_config` drops any key whose name looks like one.
"""
from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from pathlib import Path

from pada_lite.files import atomic_write_text

# key names that hold a secret: api_key, hf_token, access_token, password ... but not the counts
# `prompt_tokens` or `max_tokens` (a summary must keep its token counts)
_SECRET = re.compile(r"(api_?key|secret|passw(or)?d|authorization|credential|(^|[_-])token$)", re.I)


def runs_root() -> Path:
    return Path(os.environ.get("PADA_RUNS", "runs"))


def safe_name(text: str) -> str:
    """`text` as one folder name of letters, digits, '.', '_' and '-' (what `--run` accepts): accents
    dropped (é -> e), each run of other characters (spaces, slashes, brackets) one '-', and no '-', '.'
    or '_' at either end; 'run' if nothing is left. It does not shorten long names or make them unique."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._]+", "-", plain).strip("-._") or "run"


def scrub(obj):
    """A copy of obj with every secret-looking key's value replaced."""
    if isinstance(obj, dict):
        return {k: ("<hidden>" if _SECRET.search(str(k)) else scrub(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub(v) for v in obj]
    return obj


class Run:
    def __init__(self, name: str | None = None, root: str | Path | None = None):
        self.name = name or time.strftime("run-%Y%m%d-%H%M%S")
        self.dir = Path(root or runs_root()) / self.name
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, *parts: str) -> Path:
        p = self.dir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def has(self, *parts: str) -> bool:
        return self.dir.joinpath(*parts).exists()

    def write_json(self, obj, *parts: str) -> Path:
        return atomic_write_text(self.path(*parts), json.dumps(scrub(obj), indent=2, ensure_ascii=False, default=str))

    def read_json(self, *parts: str):
        return json.loads(self.dir.joinpath(*parts).read_text(encoding="utf-8"))

    def save_config(self, **config) -> Path:
        return self.write_json(config, "config.json")

    def __repr__(self) -> str:
        return f"Run({self.dir})"
