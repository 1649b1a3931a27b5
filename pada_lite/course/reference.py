"""The reference runs of the course's two long notebooks, shipped with the kit (no models, only
their `summary.json`): notebook 06's six-method loop and notebook 07's own-task run, made with
the `tiny` profile and the simulated teacher exactly as the notebooks make them in a full run.

    summary = reference_summary("06")     # a run's summary, as Loop.run() returns it
    print(comparison_table(summary))

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
