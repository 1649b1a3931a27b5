"""The reference runs shipped for notebooks 06 and 07: present, complete, and made with the
configuration the notebooks run in full (so what a class reads beside its own run is comparable)."""

from pathlib import Path

import pytest

from pada_lite.course.reference import ABLATIONS, RUNS, ablations_command, identical_methods, reference_summary, side_by_side, why_identical
from pada_lite.loop.report import comparison_table, selected

NB = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = {"06": "06_full_loop_and_comparison.ipynb", "06-ablations": "06_full_loop_and_comparison.ipynb",
            "07": "07_bring_your_own_task.ipynb"}


@pytest.mark.parametrize("key", list(RUNS))
def test_reference_run_is_complete_and_matches_the_notebooks_full_run(key):
    s = reference_summary(key)
    assert s["profile"] == "tiny" and s["stopped"] is None and s["unsaved"] == {} and "simulated" in s["teacher_name"]
    cfg = s["config"]
    for m, rows in s["methods"].items():
        assert [r["iteration"] for r in rows] == list(range(cfg["iterations"] + 1)), m
    source = (NB / NOTEBOOK[key]).read_text(encoding="utf-8")
    if key == "06-ablations":   # the homework's command, not a cell, makes this one
        assert {k: cfg[k] for k in ABLATIONS} == {k: list(v) if isinstance(v, tuple) else v for k, v in ABLATIONS.items()}, \
            "the ablations reference is not the homework's configuration: re-make it (python notebooks/make_reference.py)"
        assert "ablations_command(" in source, "notebook 06 must print the homework's command"
    else:
        methods = "(" + ", ".join(f'\\"{m}\\"' for m in cfg["methods"]) + ")"
        full = f"LoopConfig(methods={methods}"
        assert full in source and f"iterations={cfg['iterations']}, samples={cfg['samples']})" in source, \
            f"notebook {key}'s full run is not the reference's configuration: re-make it (python notebooks/make_reference.py)"
    assert "overall (test)" in comparison_table(s)
    text = side_by_side(s, s)
    assert all(f"{r['test']:.3f}" in text for r in selected(s).values())
    assert "/tmp/" not in str(s) and "/home/" not in str(s)     # no machine paths shipped


def test_the_homework_command_runs_the_ablations_reference_configuration():
    from pada_lite.cli import build_parser
    args = build_parser().parse_args(ablations_command().split()[1:])
    assert args.methods.split(",") == list(ABLATIONS["methods"])
    assert (args.iterations, args.samples, args.profile) == (ABLATIONS["iterations"], ABLATIONS["samples"], "tiny")


def test_identical_methods_are_named_with_the_runs_own_reason():
    row = lambda it, v, t, **kw: {"iteration": it, "validation": v, "test": t, "test_by_tag": {"a": t}, **kw}
    s = {"methods": {"sft": [row(0, .8, .7), row(1, .8, .7)],
                     "llm2llm": [row(0, .8, .7), row(1, .8, .7, train_errors=0, accepted=0)],
                     "pada": [row(0, .8, .7), row(1, .9, .8, train_errors=0, accepted=140)],
                     "pada-val-only": [row(0, .8, .7), row(1, .9, .8, train_errors=0, accepted=140)],
                     "pada-no-qc": [row(0, .8, .7), row(1, .9, .81, train_errors=0, accepted=150)]}}
    assert identical_methods(s) == {"llm2llm": "sft", "pada-val-only": "pada"}
    lines = why_identical(s)
    assert lines[0].startswith("llm2llm = sft: it accepted no samples (0 training errors")
    assert lines[1].startswith("pada-val-only = pada: the models made no training errors")
    s["methods"]["pada"][1]["train_errors"] = 3   # with training errors the two would differ: a tie is only a tie
    assert why_identical(s)[1] == "pada-val-only = pada: it trained on the same data"


def test_an_unknown_reference_is_refused():
    with pytest.raises(ValueError, match="no reference run for notebook '05'"):
        reference_summary("05")


@pytest.mark.slow
def test_the_real_teacher_reference_replays_offline_to_the_same_files(tmp_path):
    """Every reply of the shipped real-teacher run is replayed from its recording (no model, no
    network): the same analyses, patterns and accepted samples come back, file for file, and the
    students trained here land where the recorded ones did (a different CPU may move a test
    accuracy by a little, never the data)."""
    from pada_lite.course.reference import REAL, real_teacher, replay_real_teacher
    from pada_lite.files import read_jsonl
    from pada_lite.loop.runs import Run
    run = Run("replayed", root=tmp_path)
    summary = replay_real_teacher(run)
    ref = real_teacher()
    assert read_jsonl(run.path("pada", "iter_1", "analyses.jsonl")) == ref["analyses"]
    assert read_jsonl(run.path("pada", "iter_1", "patterns.jsonl")) == ref["patterns"]
    for m in ("pada", "untargeted"):
        assert read_jsonl(run.path(m, "iter_1", "accepted.jsonl")) == ref["accepted"][m], m
    assert run.read_json("pada", "iter_1", "clusters.json")["ari"] == pytest.approx(ref["clusters"]["ari"])
    for m in ("sft", "pada", "untargeted"):
        assert summary["methods"][m][-1]["test"] == pytest.approx(ref["summary"]["methods"][m][-1]["test"], abs=0.02), m
    assert "replayed" in summary["teacher_name"] and (REAL / "teacher_cache.jsonl").is_file()


def test_notebook_07s_seed_figures_start_from_the_reference():
    """07 prints the reference's gain beside the same run on seeds 0-2, typed into the cell (measuring them
    takes minutes); seed 0 is the reference itself, so a re-made reference shows here when they go stale."""
    import ast
    import re

    import nbformat
    nb = nbformat.read(NB / NOTEBOOK["07"], as_version=4)
    src = next(c.source for c in nb.cells if c.get("id") == "ref07-seeds")
    seeds = ast.literal_eval(re.search(r"^SEEDS = (\{.*\})$", src, flags=re.M).group(1))
    best = selected(reference_summary("07"))
    assert seeds[0] == {"sft": round(best["sft"]["test"], 3), "pada": round(best["pada"]["test"], 3)}, \
        "notebook 07's SEEDS no longer match the reference run: measure seeds 0-2 again with the command at its end"
