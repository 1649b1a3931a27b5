"""Your own file's rows and labels, read right. Here: repeated rows are counted in one message,
and examples repeated across split files are leakage. Every file here is written by the tool
people use: pandas, csv, json."""
import pandas as pd
import pytest

from pada_lite.tasks.data import DataError, load_task

TEAMS = ["account", "billing", "cancellation", "device", "moving", "outage", "sales"]


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
                          "same problem: line 49, line 89, line 129, line 169, line 209 (and 6 more). "), msg
    assert msg.endswith("delete one of the lines of each repeat, keeping the first.")


def test_repeated_ids_are_counted_in_one_readable_message(tmp_path):
    path = tmp_path / "tickets.json"
    rows = [{"id": f"T{i % 488}", "input": f"message {i}", "output": TEAMS[i % 7]} for i in range(500)]
    pd.DataFrame(rows).to_json(path, orient="records", lines=False, indent=1)
    with pytest.raises(DataError) as e:
        load_task(str(path))
    msg = str(e.value)
    assert "\n" not in msg and "...." not in msg and "duplicate id 'T0' in field 'id'" in msg
    assert "11 more row(s) have the same problem" in msg and "(and 6 more)" in msg
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
