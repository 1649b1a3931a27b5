"""Run the course notebooks in order and keep their outputs: a course that can be read without running it.

    python notebooks/execute.py [--only 03 04]

Runs each course notebook top to bottom in a fresh kernel, in order (00 to 07), sharing one throwaway
runs folder as a class would (02's seed model is what 03 analyses), with the `tiny` profile, a full
run (not smoke), the simulated teacher and the hub offline. Then, in each notebook:

- every code cell keeps its outputs (consecutive prints as one block), and records the hash of the source that made them
  (`metadata.pada.source`), so a test notices a cell edited since (`tests/test_notebooks.py`);
- execution counts, widget views and transient display data are dropped (a saved widget shows "0%");
- the throwaway runs folder is written as `runs`, and a notebook whose outputs still hold a path of
  this machine, or an error, is not written.

`--only` re-runs some notebooks; one run alone rebuilds what it needs from the loop's own steps. The
learners' copies (`make_student_copies.py`) never carry outputs. About 15 minutes on 2 quiet cores.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDGET = "application/vnd.jupyter.widget-view+json"
MACHINE_PATHS = re.compile(r"(/home/|/root/|/tmp/|/work/|/Users/|[A-Z]:\\\\)")


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def clean(nb, runs: Path) -> list[str]:
    """Strip what a committed notebook must not hold; the problems left (paths, errors), one per line."""
    problems = []
    roots = sorted({str(runs), str(runs.resolve())}, key=len, reverse=True)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        kept = []
        for out in cell.get("outputs", []):
            out.pop("transient", None)
            if "execution_count" in out:
                out["execution_count"] = None
            data = out.get("data")
            if data is not None:
                data.pop(WIDGET, None)
                if not (set(data) - {"text/plain"}) and str(data.get("text/plain", "")).startswith(("HBox(", "VBox(")):
                    continue   # what a widget leaves without its state
                if not data:
                    continue
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            for key in ("text",):
                if key in out:
                    out[key] = _relative(out[key], roots)
            for mime, value in (data or {}).items():
                if mime.startswith("text/"):
                    data[mime] = _relative(value, roots)
            if kept and out.get("output_type") == "stream" and kept[-1].get("output_type") == "stream" \
                    and kept[-1].get("name") == out.get("name"):
                kept[-1]["text"] += out["text"]   # one block per stream, as a reader sees it, not one per print
                continue
            kept.append(out)
        cell.outputs = kept
        cell.metadata["pada"] = {"source": source_hash(cell.source)}
        text = repr(cell.outputs)
        if (m := MACHINE_PATHS.search(text)) is not None:
            start = max(0, m.start() - 60)
            problems.append(f"cell {i}: a machine path in the outputs: ...{text[start:m.end() + 60]}...")
    nb.metadata.pop("widgets", None)
    return problems


def _relative(value, roots: list[str]):
    joined = "".join(value) if isinstance(value, list) else value
    for root in roots:
        joined = joined.replace(root, "runs")
    return joined


def main(argv=None) -> int:
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(HERE))
    from make_student_copies import course_notebooks

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", help="notebook numbers, e.g. 03 04")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = [p for p in course_notebooks(HERE) if not args.only or p.name[:2] in args.only]
    runs = Path(tempfile.mkdtemp(prefix="pada-course-"))
    env = {"PADA_PROFILE": "tiny", "PADA_SMOKE": "0", "PADA_RUNS": str(runs), "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PADA_PROGRESS": "line"}
    saved = {k: os.environ.get(k) for k in [*env, "PADA_TEACHER"]}
    os.environ.update(env)
    os.environ.pop("PADA_TEACHER", None)
    failed = 0
    try:
        for path in paths:
            t0 = time.perf_counter()
            nb = nbformat.read(path, as_version=4)
            try:
                NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                               resources={"metadata": {"path": str(HERE)}}).execute()
            except Exception as err:   # the failing cell's error is in its outputs; say it, keep the file
                print(f"{path.name}: {type(err).__name__}: {str(err).splitlines()[-1] if str(err) else ''}",
                      file=sys.stderr)
                failed += 1
                continue
            problems = clean(nb, runs)
            if problems:
                print(f"{path.name}: not written:\n  " + "\n  ".join(problems), file=sys.stderr)
                failed += 1
                continue
            nbformat.write(nb, path)
            print(f"{path.name}: {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        shutil.rmtree(runs, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
