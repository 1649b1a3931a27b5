"""The reference runs shipped for notebooks 06 and 07: present, complete, and made with the
configuration the notebooks run in full (so what a class reads beside its own run is comparable)."""

from pathlib import Path

import pytest

from pada_lite.course.reference import RUNS, reference_summary, side_by_side
from pada_lite.loop.report import comparison_table, selected

NB = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = {"06": "06_full_loop_and_comparison.ipynb", "07": "07_bring_your_own_task.ipynb"}


@pytest.mark.parametrize("key", list(RUNS))
def test_reference_run_is_complete_and_matches_the_notebooks_full_run(key):
    s = reference_summary(key)
    assert s["profile"] == "tiny" and s["stopped"] is None and s["unsaved"] == {} and "simulated" in s["teacher_name"]
    cfg = s["config"]
    for m, rows in s["methods"].items():
        assert [r["iteration"] for r in rows] == list(range(cfg["iterations"] + 1)), m
    source = (NB / NOTEBOOK[key]).read_text(encoding="utf-8")
    methods = "(" + ", ".join(f'\\"{m}\\"' for m in cfg["methods"]) + ")"
    full = f"LoopConfig(methods={methods}"
    assert full in source and f"iterations={cfg['iterations']}, samples={cfg['samples']})" in source, \
        f"notebook {key}'s full run is not the reference's configuration: re-make it (python notebooks/make_reference.py)"
    assert "overall (test)" in comparison_table(s)
    text = side_by_side(s, s)
    assert all(f"{r['test']:.3f}" in text for r in selected(s).values())
    assert "/tmp/" not in str(s) and "/home/" not in str(s)     # no machine paths shipped


def test_an_unknown_reference_is_refused():
    with pytest.raises(ValueError, match="no reference run for notebook '05'"):
        reference_summary("05")
