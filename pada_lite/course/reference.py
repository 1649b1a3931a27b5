"""The reference runs of the course's two long notebooks, shipped with the kit (no models, only
their `summary.json`): notebook 06's six-method loop and notebook 07's own-task run, made with
the `tiny` profile and the simulated teacher exactly as the notebooks make them in a full run;
and one run with a real teacher (`real_teacher/`): every reply a real LLM gave, and what each
stage made of them, so every learner sees what a real teacher writes, offline.

    summary = reference_summary("06")     # a run's summary, as Loop.run() returns it
    print(comparison_table(summary))
    real = real_teacher()                 # the real-teacher run: summary, analyses, patterns, judged, seeds
    replay_real_teacher(run)              # the same run again from the recorded replies (no model needed)

A class can discuss the result while its own run finishes, or without running it. Re-make them
after a change that moves the numbers: `python notebooks/make_reference.py` (about 7 minutes on 2
cores); a test checks they match the notebooks' full configuration.
"""
from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "reference_runs"
RUNS = {"06": "06_full_loop_tiny.json", "07": "07_own_task_tiny.json"}


def reference_summary(notebook: str) -> dict:
    """The reference run's summary for notebook "06" or "07"."""
    if notebook not in RUNS:
        raise ValueError(f"no reference run for notebook {notebook!r}; there are: {', '.join(RUNS)}")
    return json.loads((FOLDER / RUNS[notebook]).read_text(encoding="utf-8"))


REAL = FOLDER / "real_teacher"   # made by tests/benchmarks/bench_real_teacher.py --ship


def real_config():
    """The loop the real-teacher reference ran (tiny profile, bundled task, workflow seed 0)."""
    from pada_lite.loop.runner import LoopConfig
    return LoopConfig(methods=("sft", "llm2llm", "pada", "untargeted"), iterations=1, samples=140, chunk=5,
                      max_regen=1)


def real_teacher() -> dict:
    """The real-teacher reference: `about` (model, server, timings), `summary`, `analyses`,
    `clusters`, `patterns`, `judged` and `accepted` per method, and `seeds` (the student retrained
    over three training seeds on each method's accepted samples)."""
    from pada_lite.files import read_jsonl
    load = lambda *parts: json.loads(REAL.joinpath(*parts).read_text(encoding="utf-8"))
    it = ("pada", "iter_1")
    return {"about": load("about.json"), "summary": load("summary.json"), "seeds": load("seeds.json"),
            "analyses": read_jsonl(REAL.joinpath(*it, "analyses.jsonl")), "clusters": load(*it, "clusters.json"),
            "patterns": read_jsonl(REAL.joinpath(*it, "patterns.jsonl")),
            "judged": {m: read_jsonl(REAL / m / "iter_1" / "judged.jsonl") for m in ("pada", "untargeted")},
            "accepted": {m: read_jsonl(REAL / m / "iter_1" / "accepted.jsonl") for m in ("pada", "untargeted")}}


def replay_real_teacher(run, workflow=None, progress: bool = False) -> dict:
    """Run the real-teacher reference's loop again in `run` (a `Run`), every teacher reply replayed
    from the recorded ones: the seed model's evaluations are the recorded ones (so the failures, and
    every request after them, are those the real teacher answered), the students are trained here.
    A request the recording does not hold stops the run with one line (`not_recorded`)."""
    import shutil
    from pada_lite.loop.runner import Loop
    from pada_lite.student.workflow import Workflow
    from pada_lite.teacher.core import make_teacher
    wf = workflow or Workflow.create("tiny", "bundled", seed=0, progress=False)
    if not run.has("sft", "iter_0"):
        shutil.copytree(REAL / "sft" / "iter_0", run.dir / "sft" / "iter_0")
    teacher = make_teacher("replay", replies=REAL / "teacher_cache.jsonl", cache=run.dir, progress=progress)
    return Loop(wf, teacher, run, real_config()).run()


def side_by_side(yours: dict, reference: dict) -> str:
    """Overall test accuracy per method at its best-validation iteration: your run next to the reference."""
    from pada_lite.loop.report import selected
    mine, ref = selected(yours), selected(reference)
    lines = [f"{'method':18}{'yours':>10}{'reference':>12}", "-" * 40]
    for m in dict.fromkeys([*ref, *mine]):
        a = f"{mine[m]['test']:.3f}" if m in mine else "-"
        b = f"{ref[m]['test']:.3f}" if m in ref else "-"
        lines.append(f"{m:18}{a:>10}{b:>12}")
    return "\n".join(lines)
