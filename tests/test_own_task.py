"""Bring your own task: the sample raw export, the loader's refusals on it, the clean-up that
makes it a task, the simulated teacher's guard against tasks it cannot read, and the CLI's
file options."""
import csv
from collections import Counter

import pytest

from pada_lite.tasks.bundled import LABELS, BundledTask, load_splits
from pada_lite.cli import main
from pada_lite.tasks.data import DataError, load_task
from pada_lite.tasks.sample_export import COLUMNS, write_ticket_export
from pada_lite.teacher.backends.simulated import TaskNotUnderstood, check_task
from pada_lite.tasks.spec import LabelTask


def reference_clean(path):
    """The clean-up notebook 07 asks for, written without pandas: strip, drop blanks, drop repeats."""
    out, seen = [], set()
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            text, key = r["message"].strip(), " ".join(r["message"].lower().split())
            if text and key not in seen:
                seen.add(key)
                out.append({"id": r["ticket_id"], "input": text, "output": r["team"].strip().lower()})
    return out


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("own") / "export.csv"
    return write_ticket_export(path), path


def test_export_is_raw_like_a_real_one(export):
    info, path = export
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == COLUMNS and len(rows) == info["rows"] == 700 + info["blank"] + info["resent"]
    assert sum(r["message"] == "" for r in rows) == info["blank"] > 0
    keys = Counter(" ".join(r["message"].lower().split()) for r in rows if r["message"])
    assert sum(c - 1 for c in keys.values()) == info["resent"] > 0
    assert {r["team"] for r in rows} == {lab.title() for lab in LABELS}        # display names, not labels
    assert any(r["message"] != r["message"].strip() for r in rows)            # stray spaces
    assert len({r["ticket_id"] for r in rows}) == len(rows)
    assert write_ticket_export(path.with_name("again.csv"))["clean"] == info["clean"]   # seeded


def test_loader_refuses_the_raw_export_at_the_first_problem(export):
    info, path = export
    with pytest.raises(DataError, match=r"export\.csv, line \d+: empty value in field 'message'"):
        load_task(str(path), input_field="message", output_field="team")
    with pytest.raises(DataError, match=r"unknown option\(s\) input_column"):
        load_task(str(path), input_column="message")


def test_cleaned_export_matches_the_answer_and_loads(export, tmp_path):
    info, path = export
    rows = reference_clean(path)
    assert {"rows": len(rows), "labels": dict(sorted(Counter(r["output"] for r in rows).items()))} == info["clean"]
    clean = tmp_path / "tickets_clean.csv"
    with open(clean, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "output"])
        w.writeheader()
        w.writerows(rows)
    task, splits = load_task(str(clean), seed_size=150, n_test=0.3, description="route tickets")
    assert isinstance(task, LabelTask) and task.labels == sorted(LABELS) and task.description == "route tickets"
    assert splits.sizes() == {"train": 150, "validation": 140, "test": 210}
    check_task(task, [e.input for e in splits.train])     # the simulated teacher can read these tickets


def test_simulated_teacher_refuses_tasks_it_cannot_read():
    check_task(BundledTask(), [e.input for e in load_splits().train])
    with pytest.raises(TaskNotUnderstood, match=r"only the bundled helpdesk task.*'reviews' has labels negative, "
                                                r"positive.*--teacher openai"):
        check_task(LabelTask("reviews", ["negative", "positive"]), ["A fine film."])
    with pytest.raises(TaskNotUnderstood, match="can read only 0 of the first 3 messages"):
        check_task(LabelTask("other", ["billing", "sales"]), ["Lovely weather.", "Hello there.", "What a day."])


def test_loop_with_the_simulated_teacher_stops_before_any_work_on_a_foreign_task(tmp_path):
    from pada_lite.loop.runner import Loop
    from pada_lite.loop.runs import Run
    from pada_lite.teacher.core import make_teacher
    from pada_lite.student.workflow import Workflow

    data = tmp_path / "reviews.jsonl"
    data.write_text("".join(f'{{"input": "review number {i}", "output": "{"positive" if i % 2 else "negative"}"}}\n'
                            for i in range(30)), encoding="utf-8")
    wf = Workflow.create("tiny", str(data), progress=False)
    run = Run("foreign", root=tmp_path / "runs")
    with pytest.raises(TaskNotUnderstood):
        Loop(wf, make_teacher("sim", progress=False), run)
    assert not any(run.dir.iterdir())


def test_cli_file_options_reach_the_loader(export, tmp_path, monkeypatch, capsys):
    info, path = export
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    # the raw export: the loader names the blank line (exit 2, no traceback)
    assert main(["evaluate", "--task", str(path), "--input-field", "message", "--output-field", "team",
                 "--quiet"]) == 2
    assert "empty value in field 'message'" in capsys.readouterr().err
    # file options on a built-in task: a clear error that says what they apply to
    assert main(["evaluate", "--labels", "a,b", "--quiet"]) == 2
    assert "--labels applies only to your own file" in capsys.readouterr().err
    # the simulated teacher on a task it cannot read: refused before any training
    data = tmp_path / "reviews.csv"
    data.write_text("text,sentiment\n" + "".join(f"review {i},{'good' if i % 2 else 'bad'}\n" for i in range(30)),
                    encoding="utf-8")
    assert main(["run", "--task", str(data), "--input-field", "text", "--output-field", "sentiment",
                 "--labels", "bad,good", "--description", "film reviews", "--teacher", "sim", "--quiet",
                 "--run", "reviews"]) == 2
    err = capsys.readouterr().err
    assert "simulated teacher understands only the bundled helpdesk task" in err and "'reviews' has labels bad, good" in err
    assert not (tmp_path / "runs" / "reviews").exists()      # refused before the run folder is made


def test_cli_split_sizes_and_labels_reach_the_workflow(export, tmp_path):
    from pada_lite.cli import _workflow, build_parser
    info, path = export
    clean = tmp_path / "clean.csv"
    with open(clean, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "output"])
        w.writeheader()
        w.writerows(reference_clean(path))
    args = build_parser().parse_args(["run", "--task", str(clean), "--seed-size", "100", "--n-test", "0.3",
                                      "--n-validation", "140", "--labels", ",".join(sorted(LABELS)),
                                      "--description", "route tickets", "--profile", "tiny"])
    wf = _workflow(args)
    assert wf.splits.sizes() == {"train": 100, "validation": 140, "test": 210}
    assert wf.task.labels == sorted(LABELS) and wf.task.description == "route tickets"
