"""Your own file's labels, read right: spellings that differ only in case are one label, class ids
from a Hugging Face export are named (or said to be ids), a label missing from a split is flagged
with what it costs, and repeated rows are counted in one message. Every file here is written by the
tool people use: pandas, csv, json, Hugging Face `datasets`."""
import csv
import json
import random

import pandas as pd
import pytest

from pada_lite.tasks.data import DataError, load_task
from pada_lite.student.workflow import Workflow

TEAMS = ["account", "billing", "cancellation", "device", "moving", "outage", "sales"]


def export_rows(n=350, seed=7):
    """A helpdesk export as people have them: the team spelled three ways, 'Billing' the most common."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        team = TEAMS[i % len(TEAMS)]
        spelling = rng.choice([team.title(), team.title(), team.title(), team, team.upper()])
        rows.append({"ticket_id": f"NW-{40000 + i}", "message": f"ticket {i}: a question for {team} number {i}",
                     "team": spelling})
    return rows


def create(path, capsys, **kw):
    """Workflow.create as a notebook calls it, and the lines it prints."""
    capsys.readouterr()
    wf = Workflow.create("tiny", str(path), progress=False, **kw)
    return wf, capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------- 1. spellings that differ only in case

def test_labels_that_differ_only_in_case_are_one_label(tmp_path, capsys):
    path = tmp_path / "export.csv"
    pd.DataFrame(export_rows()).to_csv(path, index=False)
    wf, notes = create(path, capsys, input_field="message", output_field="team")
    titled = sorted(t.title() for t in TEAMS)
    assert wf.task.labels == titled                     # 7 labels, not 21; the most common spelling
    assert wf.task.system_prompt == "Answer with exactly one label from: " + ", ".join(titled) + "."
    for ex in wf.splits.train + wf.splits.validation + wf.splits.test:
        assert ex.output in titled and wf.task.target(ex) == ex.output
    assert len(notes) == 1 and "\n" not in notes[0], notes
    assert notes[0].startswith("labels: 21 spellings in field 'team' that differ only in case or spacing were "
                               "folded into 7 labels"), notes[0]
    assert "'account', 'ACCOUNT' -> 'Account'" in notes[0] and "labels=" in notes[0]


def test_a_tie_keeps_the_spelling_seen_first(tmp_path):
    path = tmp_path / "tickets.json"
    rows = [{"input": f"message {i}", "output": ["billing", "Billing", "Sales", "sales"][i % 4]} for i in range(40)]
    path.write_text(json.dumps(rows), encoding="utf-8")   # json.dump: one array on one line
    task, splits = load_task(str(path))
    assert task.labels == ["billing", "Sales"]
    assert {ex.output for ex in splits.test} <= {"billing", "Sales"}
    assert splits.note.count("\n") == 0 and "4 spellings" in splits.note and "into 2 labels" in splits.note


def test_given_labels_take_over_every_spelling_on_the_command_line(tmp_path, capsys):
    from pada_lite.cli import _workflow, build_parser
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:      # the csv module, as exporters write
        w = csv.DictWriter(f, fieldnames=["ticket_id", "message", "team"])
        w.writeheader()
        w.writerows(export_rows(140))
    args = build_parser().parse_args(["evaluate", "--task", str(path), "--input-field", "message", "--output-field",
                                      "team", "--labels", ",".join(TEAMS), "--profile", "tiny", "--quiet"])
    wf = _workflow(args)
    assert wf.task.labels == TEAMS
    assert {wf.task.target(ex) for ex in wf.splits.train} == set(TEAMS)     # trained on the given spelling
    out = [line for line in capsys.readouterr().out.splitlines() if line.startswith("labels:")]
    assert len(out) == 1 and "mapped onto 7 of the --labels" in out[0] and "'Billing', 'BILLING' -> 'billing'" in out[0]


def test_labels_the_task_cannot_tell_apart_are_refused(tmp_path):
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"input": [f"review {i}" for i in range(30)], "output": ["+", "-"] * 15}).to_csv(path, index=False)
    with pytest.raises(DataError) as e:
        load_task(str(path))
    msg = str(e.value)
    assert msg.startswith(f"{path}, line ") and "'+'" in msg and "'-'" in msg and "\n" not in msg
    assert "ignoring case and punctuation" in msg
    with pytest.raises(DataError, match=r"labels= 'billing' and 'Billing' are the same label"):
        load_task(str(path), labels=["billing", "Billing", "sales"])


# ---------------------------------------------------------------- 2. class ids from a Hugging Face export

def hf_export(tmp_path, n_classes=7, n=210, ext="jsonl"):
    """What `Dataset.to_json` / `to_csv` write for a dataset with a ClassLabel: the ids, not the names."""
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": [f"message number {i}" for i in range(n)],
                                     "label": [i % n_classes for i in range(n)]})
    path = tmp_path / f"hub_export.{ext}"
    if ext == "jsonl":
        ds.to_json(str(path))
    else:
        ds.to_csv(str(path), index=False)
    return path


def test_class_ids_are_said_to_be_ids_and_sorted_as_numbers(tmp_path, capsys):
    path = hf_export(tmp_path, n_classes=11, n=220)
    wf, notes = create(path, capsys, input_field="text", output_field="label")
    assert wf.task.labels == [str(i) for i in range(11)]          # 0, 1, ..., 10: not '0', '1', '10', '2'
    assert len(notes) == 1 and "\n" not in notes[0]
    assert "every answer in field 'label' is a number from 0 to 10" in notes[0]
    assert "class ids" in notes[0] and "labels='name0,name1,...,name10'" in notes[0]


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_labels_name_class_ids_in_id_order(tmp_path, ext, capsys):
    path = hf_export(tmp_path, ext=ext)
    wf, notes = create(path, capsys, input_field="text", output_field="label", labels=",".join(TEAMS))
    assert wf.task.labels == TEAMS and "0" not in wf.task.system_prompt
    for ex in wf.splits.train + wf.splits.test:
        number = int(ex.input.rsplit(" ", 1)[1])
        assert ex.output == TEAMS[number % 7] and wf.task.target(ex) == TEAMS[number % 7]
    assert len(notes) == 1 and "0 -> 'account', 1 -> 'billing'" in notes[0] and "6 -> 'sales'" in notes[0]


def test_too_few_names_for_the_class_ids_is_one_line(tmp_path):
    path = hf_export(tmp_path)
    with pytest.raises(DataError) as e:
        load_task(str(path), input_field="text", output_field="label", labels=TEAMS[:6])
    msg = str(e.value)
    assert msg.startswith(f"{path}, line 7: bad value in field 'label': class id 6, but labels= names only ids 0 to 5")
    assert "29 more row(s)" in msg and "in id order" in msg and "\n" not in msg


def test_load_examples_with_a_label_task_does_not_name_class_ids(tmp_path):
    """Only load_task reads a whole file's answers and names its ids; load_examples checks row by row."""
    from pada_lite.tasks.data import load_examples
    from pada_lite.tasks.spec import LabelTask
    path = hf_export(tmp_path)
    with pytest.raises(DataError, match=r"line 1: bad value in field 'label': label '0' is not one of"):
        load_examples(path, input_field="text", output_field="label", task=LabelTask("t", TEAMS))


# ---------------------------------------------------------------- 3. a label missing from a split

def test_a_label_only_in_the_test_file_is_flagged_with_its_cost(tmp_path, capsys):
    rows = lambda k, prefix: [{"input": f"{prefix} message {i}", "output": TEAMS[i % 6]} for i in range(k)]
    pd.DataFrame(rows(120, "train")).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(rows(30, "validation")).to_csv(tmp_path / "validation.csv", index=False)
    test = rows(50, "test") + [{"input": f"I want to buy a phone, offer {i}", "output": "sales"} for i in range(10)]
    pd.DataFrame(test).to_csv(tmp_path / "test.csv", index=False)
    _, notes = create(tmp_path / "train.csv", capsys)
    assert notes[0].startswith("train.csv is one of three split files")
    assert len(notes) == 2 and "\n" not in notes[1], notes
    assert notes[1].startswith("labels: 'sales' (10 in test; none in train or validation) in field 'output' is never "
                               "in train"), notes[1]
    assert "at most 0.833 accuracy on test (10 of 60 examples out of reach)" in notes[1]
    assert "Move some of its examples into the train file" in notes[1]


def test_a_rare_label_a_random_split_puts_in_one_place_is_flagged(tmp_path):
    rows = [{"input": f"message {i}", "output": TEAMS[i % 6]} for i in range(120)]
    rows.insert(57, {"input": "Do you sell phones?", "output": "sales"})
    path = tmp_path / "tickets.json"
    pd.DataFrame(rows).to_json(path, orient="records")
    task, splits = load_task(str(path), seed=0)
    where = next(s for s in ("train", "validation", "test") if any(ex.output == "sales" for ex in getattr(splits, s)))
    lines = [line for line in splits.note.split("\n") if "'sales'" in line]
    assert len(lines) == 1 and f"(1 in {where}; none in " in lines[0], splits.note
    assert ("is only in train" if where == "train" else "is never in train") in lines[0]
    assert "another seed= redraws the splits" in lines[0]
    from pada_lite.cli import in_flags
    assert "another --seed redraws the splits" in in_flags(lines[0])      # as the command line shows it


def test_no_notice_when_every_label_is_in_every_split(tmp_path):
    path = tmp_path / "clean.csv"
    pd.DataFrame({"input": [f"message {i}" for i in range(140)], "output": [TEAMS[i % 7] for i in range(140)]}).to_csv(
        path, index=False)
    assert load_task(str(path))[1].note == ""


# ---------------------------------------------------------------- 4. repeated rows, counted

def repeated(n=500, repeats=12):
    """n rows of which the last `repeats` repeat earlier messages, spread through the file."""
    rows = [{"id": f"T{i}", "input": f"My bill number {i} is wrong", "output": TEAMS[i % 7]} for i in range(n - repeats)]
    for k in range(repeats):
        again = dict(rows[k * 30], id=f"R{k}")
        rows.insert(40 * k + 7, again)
    return rows


def test_repeated_inputs_are_counted_in_one_readable_message(tmp_path):
    path = tmp_path / "tickets.csv"
    pd.DataFrame(repeated()).to_csv(path, index=False)
    with pytest.raises(DataError) as e:
        load_task(str(path))
    msg = str(e.value)
    assert "\n" not in msg and "...." not in msg
    assert msg.startswith(f"{path}, line 9: the same 'input' as line 2, with the same answer. 11 more row(s) have the "
                          "same problem: line 49, line 89, line 129, line 169, line 209 and more. "), msg
    assert msg.endswith("delete one of the lines of each repeat, keeping the first.")


def test_repeated_ids_are_counted_in_one_readable_message(tmp_path):
    path = tmp_path / "tickets.json"
    rows = [{"id": f"T{i % 488}", "input": f"message {i}", "output": TEAMS[i % 7]} for i in range(500)]
    pd.DataFrame(rows).to_json(path, orient="records", lines=False, indent=1)
    with pytest.raises(DataError) as e:
        load_task(str(path))
    msg = str(e.value)
    assert "\n" not in msg and "...." not in msg and "duplicate id 'T0' in field 'id'" in msg
    assert "11 more row(s) have the same problem" in msg and " and more. " in msg
    assert msg.endswith("Ids must be unique: rename one of each pair, or drop the 'id' field to number the rows.")


def test_a_repeat_with_another_answer_says_to_keep_the_right_one(tmp_path):
    path = tmp_path / "tickets.csv"
    rows = repeated(100, 1)
    rows[7]["output"] = "sales" if rows[7]["output"] != "sales" else "billing"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"line 9: the same 'input' as line 2, with another answer \('account' there\)"
                                        r"\. .*keeping the right answer\.$"):
        load_task(str(path))


def test_examples_repeated_across_split_files_are_counted(tmp_path):
    rows = [{"id": f"T{i}", "input": f"ticket {i} text", "output": TEAMS[i % 7]} for i in range(200)]
    pd.DataFrame(rows[:140]).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(rows[140:170]).to_csv(tmp_path / "validation.csv", index=False)
    leaked = [dict(r, id=f"L{i}") for i, r in enumerate(rows[:12])]        # the same messages, new ids
    pd.DataFrame(rows[170:] + leaked).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError) as e:
        load_task(f"file:{tmp_path}")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{tmp_path}: 12 example(s) of test.csv repeat one of an earlier split "
                                              "file (leakage"), msg
    assert "test.csv, line 32 has the same 'input' as train.csv, line 2; 11 more: test.csv line 33" in msg
    assert "(and 6 more). Keep each example in one file" in msg
    pd.DataFrame(rows[170:] + rows[:3]).to_csv(tmp_path / "test.csv", index=False)      # the same ids
    with pytest.raises(DataError, match=r"3 example\(s\) of test\.csv .*test\.csv, line 32 has id 'T0' \(field 'id'\) "
                                        r"as train\.csv, line 2; 2 more: test\.csv line 33, test\.csv line 34\."):
        load_task(f"file:{tmp_path}")
