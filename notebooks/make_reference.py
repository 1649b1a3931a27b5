"""Re-make the reference runs the kit ships for notebooks 06 and 07 (`pada_lite/course/reference_runs/`).

    python notebooks/make_reference.py [--only 06]

Runs each notebook top to bottom in a fresh kernel, exactly as a learner would on a laptop (profile
`tiny`, the simulated teacher, a full run: not smoke), in a throwaway runs folder, and keeps only its
run's `summary.json` (no models). `06-ablations` is notebook 06's homework, run as its command runs it
(`reference.ablations_command()`). About 5 minutes for 06, 20 for its ablations and 1.5 for 07 on 2
quiet cores.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from pada_lite.course.reference import FOLDER, RUNS  # noqa: E402

NOTEBOOKS = {"06": ("06_full_loop_and_comparison.ipynb", "course-tiny-loop"),
             "06-ablations": (None, "ablations"),
             "07": ("07_bring_your_own_task.ipynb", "course-tiny-own")}


def run_command(runs: Path, folder: str) -> None:
    """Notebook 06's homework, as `pada-lite run` runs it (the same loop, workflow and teacher)."""
    from pada_lite.course.reference import ablations_config
    from pada_lite.loop.runner import Loop
    from pada_lite.loop.runs import Run
    from pada_lite.student.workflow import Workflow
    from pada_lite.teacher.core import make_teacher
    run = Run(folder, root=runs)
    Loop(Workflow.create("tiny", "bundled", progress=False),
         make_teacher("sim", cache=run.path("teacher_cache.jsonl"), progress=False), run, ablations_config()).run()


def main(argv=None) -> int:
    import nbformat
    from nbclient import NotebookClient
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=list(NOTEBOOKS), help="one notebook")
    args = ap.parse_args(argv)
    runs = Path(tempfile.mkdtemp(prefix="pada-reference-"))
    os.environ.update({"PADA_PROFILE": "tiny", "PADA_SMOKE": "0", "PADA_RUNS": str(runs), "HF_HUB_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false"})
    os.environ.pop("PADA_TEACHER", None)
    try:
        for key in [args.only] if args.only else NOTEBOOKS:
            name, folder = NOTEBOOKS[key]
            print(f"running {name or 'the command ' + key} (full, tiny profile) ...", flush=True)
            if name is None:
                run_command(runs, folder)
            else:
                nb = nbformat.read(HERE / name, as_version=4)
                # the cells that show the reference itself are left out: it is what is being made
                nb.cells = [c for c in nb.cells if not c.get("id", "").startswith(f"ref{key}-")]
                NotebookClient(nb, timeout=3600, kernel_name="python3",
                               resources={"metadata": {"path": str(HERE)}}).execute()
            summary = json.loads((runs / folder / "summary.json").read_text(encoding="utf-8"))
            if summary.get("stopped") or summary.get("profile") != "tiny":
                print(f"{name}: the run did not finish as a full tiny run ({summary.get('stopped')})", file=sys.stderr)
                return 1
            out = FOLDER / RUNS[key]
            out.write_text(json.dumps({k: summary[k] for k in sorted(summary)}, indent=1) + "\n", encoding="utf-8")   # methods in run order
            print(f"wrote {out.relative_to(HERE.parent)} ({summary['wall_seconds']:.0f} s run)")
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
