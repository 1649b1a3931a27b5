"""The reference runs of the course's two long notebooks, shipped with the kit (no models, only
their `summary.json`): notebook 06's class run (SFT, LLM2LLM, PaDA and the untargeted control),
its homework (PaDA's three ablations, `ablations_command()`) and notebook 07's own-task run, made
with the `tiny` profile and the simulated teacher exactly as the notebooks make them in a full run;
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
RUNS = {"06": "06_class_tiny.json", "06-ablations": "06_ablations_tiny.json", "07": "07_own_task_tiny.json"}
# notebook 06's homework: PaDA and the three runs that each take one thing away from it, three iterations
ABLATIONS = dict(methods=("sft", "llm2llm", "pada", "pada-val-only", "pada-train-only", "pada-no-qc"), iterations=3,
                 samples=140)


def ablations_config():
    from pada_lite.loop.runner import LoopConfig
    return LoopConfig(**ABLATIONS)


def ablations_command(profile: str = "tiny", run: str = "ablations") -> str:
    """The command that runs notebook 06's homework (the shipped run: 18 minutes on a busy 2-core machine)."""
    return (f"pada-lite run --profile {profile} --methods {','.join(ABLATIONS['methods'])} "
            f"--iterations {ABLATIONS['iterations']} --samples {ABLATIONS['samples']} --run {run}")


def reference_summary(notebook: str) -> dict:
    """The reference run's summary for notebook "06" (the class run), "06-ablations" (its homework) or "07"."""
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


def identical_methods(summary: dict) -> dict[str, str]:
    """Each method whose every iteration scored exactly as an earlier method's did (validation and test,
    overall and per phenomenon) -> that earlier method. Such a method trained on the same data: it is a
    duplicate, not a result (e.g. `pada-val-only` when the seed model got no training example wrong)."""
    from pada_lite.loop.report import _merge_equal   # the plots draw such methods once, by the same grouping
    scores = {m: [(r["validation"], r["test"], sorted(r.get("test_by_tag", {}).items())) for r in rows]
              for m, rows in summary["methods"].items()}
    return {m: names[0] for names, _ in _merge_equal(scores) for m in names[1:]}


def why_identical(summary: dict) -> list[str]:
    """One line per duplicate method of `identical_methods`, with the run's own reason where it has one."""
    lines = []
    for m, twin in identical_methods(summary).items():
        rows, twins = summary["methods"][m][1:], summary["methods"][twin][1:]
        errors = sum(r.get("train_errors") or 0 for r in rows)
        accepted = sum(r.get("accepted") or 0 for r in rows)
        if m == "pada-val-only" and twin == "pada" and not errors + sum(r.get("train_errors") or 0 for r in twins):
            why = "the models made no training errors, so there were no training-error samples to take away"
        elif not accepted and rows:
            why = (f"it accepted no samples ({errors} training errors to learn from), so every "
                   "iteration is the seed SFT model")
        else:
            why = "it trained on the same data"
        lines.append(f"{m} = {twin}: {why}")
    return lines
