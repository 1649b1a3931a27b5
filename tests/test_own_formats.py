"""Your own data as the real tools save it: Parquet and gzipped files (pandas, datasets, gzip), a
bare NaN written by Python's json, a list column saved to CSV by pandas, a data folder short of a
split file, a long read that says what it reads, and run folder names made safe. Every file here is
written by the tool named in the test; nothing loads a model."""
import csv
import gzip
import json
import re
import sys
from types import SimpleNamespace

import pytest

from pada_lite.tasks import readers
from pada_lite.tasks.data import DataError, load_examples, load_task

pd = pytest.importorskip("pandas")


def rows(n=20, out=lambda i: "billing" if i % 2 else "shipping"):
    return [{"input": f"ticket {i}: about my order", "output": out(i)} for i in range(n)]


def plain(examples):
    return [(ex.id, ex.input, ex.output, ex.tags) for ex in examples]


# ---------------------------------------------------------------- 1. Parquet and gzip

WRITERS = {   # file name -> writes the rows as that tool does
    "x.jsonl.gz": lambda df, p: df.to_json(p, orient="records", lines=True),    # compression from the name
    "x.json.gz": lambda df, p: df.to_json(p, orient="records"),                 # one JSON array on one line
    "x.csv.gz": lambda df, p: df.to_csv(p, index=False),
    "x.tsv.gz": lambda df, p: df.to_csv(p, sep="\t", index=False),
    "x.parquet": lambda df, p: df.to_parquet(p),
}


@pytest.mark.parametrize("name", WRITERS)
def test_pandas_files_load_by_their_suffix_like_the_plain_file(tmp_path, name):
    df = pd.DataFrame(rows())
    WRITERS[name](df, tmp_path / name)
    df.to_json(tmp_path / "x.jsonl", orient="records", lines=True)
    task, splits = load_task(str(tmp_path / name), seed=1)
    _, want = load_task(str(tmp_path / "x.jsonl"), seed=1)
    assert task.name == "x" and sorted(task.labels) == ["billing", "shipping"]
    assert [ex.input for ex in splits.test] == [ex.input for ex in want.test]
    assert [ex.output for ex in splits.train] == [ex.output for ex in want.train]
    assert all(re.fullmatch(r"x-\d+", ex.id) for ex in splits.train)   # not 'x.jsonl-3'
    assert load_task(f"file:{tmp_path / name}", seed=1)[1].sizes() == splits.sizes()


def test_gzip_and_json_modules_write_a_jsonl_gz_that_loads(tmp_path):
    p = tmp_path / "tickets.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        for r in rows(6):
            f.write(json.dumps(r) + "\n")
    got = load_examples(p)
    assert [ex.id for ex in got] == [f"tickets-{i}" for i in range(1, 7)]
    assert got[2].output == "shipping"


def test_datasets_to_json_and_to_parquet_load(tmp_path):
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_list(rows(8))
    ds.to_json(tmp_path / "d.jsonl.gz", compression="gzip")
    ds.to_json(tmp_path / "d.json", lines=False)
    ds.to_parquet(tmp_path / "d.parquet")
    want = plain(load_examples(tmp_path / "d.json"))
    assert plain(load_examples(tmp_path / "d.jsonl.gz")) == plain(load_examples(tmp_path / "d.parquet")) == want


def test_a_datasets_classlabel_column_reads_as_its_names(tmp_path):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(text=datasets.Value("string"),
                                 label=datasets.ClassLabel(names=["negative", "positive"]))
    ds = datasets.Dataset.from_dict({"text": ["great film", "dull film", "fine film"], "label": [1, 0, -1]},
                                    features=features)
    ds.to_parquet(tmp_path / "sst.parquet")
    with pytest.raises(DataError, match=r"sst\.parquet, row 3: empty value in field 'label'"):   # -1: hidden
        load_examples(tmp_path / "sst.parquet", input_field="text", output_field="label")
    ds.select([0, 1]).to_parquet(tmp_path / "sst.parquet")
    got = load_examples(tmp_path / "sst.parquet", input_field="text", output_field="label")
    assert [ex.output for ex in got] == ["positive", "negative"]


def test_parquet_rows_are_named_rows_and_empty_cells_refused(tmp_path):
    df = pd.DataFrame(rows(6))
    df.loc[2, "output"] = None
    df.loc[4, "output"] = float("nan")   # pandas saves it as a null
    df.to_parquet(tmp_path / "x.parquet")
    with pytest.raises(DataError) as e:
        load_examples(tmp_path / "x.parquet")
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'x.parquet'}, row 3: empty value in field 'output'. Fill it in or delete the "
                          "row.") and "1 more row(s) have the same problem: row 5" in msg


def test_parquet_list_tags_and_a_missing_column(tmp_path):
    df = pd.DataFrame(rows(4))
    df["tags"] = [["late"], [], ["late", "refund"], None]
    df.to_parquet(tmp_path / "x.parquet")
    assert [ex.tags for ex in load_examples(tmp_path / "x.parquet")] == [["late"], [], ["late", "refund"], []]
    with pytest.raises(DataError, match=r"x\.parquet: missing field 'label' \(fields present: input, output, tags\)"):
        load_examples(tmp_path / "x.parquet", output_field="label")


def test_without_pyarrow_a_parquet_file_is_refused_with_how_to_convert_it(tmp_path, monkeypatch):
    pd.DataFrame(rows(4)).to_parquet(tmp_path / "x.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)            # import pyarrow -> ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(DataError) as e:
        load_task(str(tmp_path / "x.parquet"))
    msg = str(e.value)
    assert "\n" not in msg and "a Parquet file" in msg and "pip install pyarrow" in msg
    assert "pandas.read_parquet('x.parquet').to_json('x.jsonl', orient='records', lines=True)" in msg


def test_broken_parquet_and_gzip_files_say_so_in_one_line(tmp_path):
    (tmp_path / "x.parquet").write_text("input,output\na,b\n")
    with pytest.raises(DataError, match=r"x\.parquet: not a readable Parquet file \(.*\)\. Write it again"):
        load_examples(tmp_path / "x.parquet")
    (tmp_path / "x.jsonl.gz").write_text('{"input": "a", "output": "b"}\n')   # named .gz, never compressed
    with pytest.raises(DataError, match=r"x\.jsonl\.gz: not a complete gzip file"):
        load_examples(tmp_path / "x.jsonl.gz")
    whole = gzip.compress(("\n".join(json.dumps(r) for r in rows(200)) + "\n").encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])   # an interrupted download
    with pytest.raises(DataError, match=r"cut\.jsonl\.gz: not a complete gzip file"):
        load_examples(tmp_path / "cut.jsonl.gz")


def test_an_existing_file_of_another_type_is_refused_by_its_type_not_as_an_unknown_task(tmp_path):
    (tmp_path / "notes.txt").write_text("input\toutput\n")
    with pytest.raises(DataError, match=r"notes\.txt: unsupported file type '\.txt'.*\.parquet"):
        load_task(str(tmp_path / "notes.txt"))


@pytest.mark.parametrize("ext", [".parquet", ".jsonl.gz", ".csv.gz"])
def test_split_folders_of_parquet_and_gzip_files(tmp_path, ext):
    for s, n in (("train", 12), ("validation", 4), ("test", 4)):
        df = pd.DataFrame([{"id": f"{s}{i}", **r} for i, r in enumerate(rows(n))])
        df["input"] = df["input"] + f" ({s})"
        {".parquet": lambda p: df.to_parquet(p), ".jsonl.gz": lambda p: df.to_json(p, orient="records", lines=True),
         ".csv.gz": lambda p: df.to_csv(p, index=False)}[ext](tmp_path / f"{s}{ext}")
    task, splits = load_task(str(tmp_path))
    assert splits.sizes() == {"train": 12, "validation": 4, "test": 4} and task.name == tmp_path.name
    task, splits = load_task(str(tmp_path / f"train{ext}"))      # one of the three: the other two join it
    assert splits.sizes() == {"train": 12, "validation": 4, "test": 4} and task.name == tmp_path.name
    assert f"validation{ext}" in splits.note and splits.validation[0].id == "validation0"


def test_the_cli_takes_file_options_for_a_parquet_file(tmp_path, capsys):
    from pada_lite.cli import main
    pd.DataFrame(rows(6)).to_parquet(tmp_path / "x.parquet")
    assert main(["evaluate", "--profile", "tiny", "--task", str(tmp_path / "x.parquet"), "--input-field", "message"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "x.parquet: missing field 'message'" in err and "--input-field" in err


# ---------------------------------------------------------------- 2. NaN, Infinity, lists saved as text

def test_a_bare_nan_from_pythons_json_is_refused_with_its_line_and_field(tmp_path):
    r = rows(6)
    r[2]["output"], r[4]["output"], r[5]["input"] = float("nan"), float("nan"), float("inf")
    p = tmp_path / "t.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in r))   # json writes NaN and Infinity, pandas null
    assert "NaN" in p.read_text() and "Infinity" in p.read_text()
    with pytest.raises(DataError) as e:
        load_examples(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}, line 3: field 'output' holds NaN, a missing value. Fill it in or delete the line.")
    assert "1 more row(s) have the same problem: line 5" in msg
    assert "Also 1 row(s) with an Infinity value (first: line 6)" in msg


def test_a_nan_stored_in_parquet_and_a_list_cell_are_refused_by_row(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"input": ["a", "b", "c"], "output": pa.array([1.5, float("nan"), 2.0], from_pandas=False)})
    pq.write_table(table, tmp_path / "nan.parquet")
    with pytest.raises(DataError, match=r"nan\.parquet, row 2: field 'output' holds NaN, a missing value"):
        load_examples(tmp_path / "nan.parquet")
    pd.DataFrame({"input": ["a", "b"], "output": [["billing"], ["x", "y"]]}).to_parquet(tmp_path / "lists.parquet")
    with pytest.raises(DataError, match=r"row 1: field 'output' holds a list, not text.*1 more row\(s\).*row 2"):
        load_examples(tmp_path / "lists.parquet")


def test_a_nan_in_a_json_array_names_its_record(tmp_path):
    r = rows(5)
    r[3]["output"] = float("nan")
    p = tmp_path / "t.json"
    with open(p, "w") as f:
        json.dump(r, f)            # one line
    with pytest.raises(DataError, match=r"t\.json, record 4 \(line 1\): field 'output' holds NaN.*delete the record"):
        load_examples(p)


def test_a_nan_id_counts_as_no_id(tmp_path):
    r = [{"id": float("nan"), **x} for x in rows(3)]
    p = tmp_path / "t.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in r))
    assert [ex.id for ex in load_examples(p)] == ["t-1", "t-2", "t-3"]


def test_a_list_column_saved_to_csv_by_pandas_is_refused_as_an_answer(tmp_path):
    df = pd.DataFrame(rows(5))
    df["output"] = [["account"], ["billing"], ["account", "billing"], ["billing"], []]
    df.to_csv(tmp_path / "t.csv", index=False)
    assert "['account']" in (tmp_path / "t.csv").read_text()
    with pytest.raises(DataError) as e:
        load_task(str(tmp_path / "t.csv"))
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 't.csv'}, line 2: field 'output' holds \"['account']\", which looks like a "
                          "list saved as text.") and "df.explode('output')" in msg
    assert "4 more row(s) have the same problem: line 3, line 4, line 5, line 6" in msg   # '[]' too
    assert load_task(str(tmp_path / "t.csv"), answer_type="text")[0].name == "t"   # a list may be a text answer


def test_a_json_list_written_by_the_csv_module_is_refused_and_list_tags_are_read(tmp_path):
    p = tmp_path / "t.csv"
    with open(p, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["input", "output", "tags"])
        for i in range(4):
            w.writerow([f"ticket {i}", "billing" if i != 2 else json.dumps(["billing"]), str(["late", "refund"])])
    with pytest.raises(DataError, match=r"t\.csv, line 4: field 'output' holds '\[\"billing\"\]', which looks like a "
                                        r"list saved as text"):
        load_examples(p)
    with open(p, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["input", "output", "tags"])
        w.writerows([["a", "[citation needed]", "['late', 'refund']"], ["b", "x", "[]"]])
    got = load_examples(p)
    assert got[0].output == "[citation needed]" and got[0].tags == ["late", "refund"] and got[1].tags == []


# ---------------------------------------------------------------- 3. folders, long reads, run names

def test_a_data_folder_without_a_split_file_names_it_and_what_was_found(tmp_path):
    df = pd.DataFrame(rows(6))
    for s in ("train", "test"):
        df.to_csv(tmp_path / f"{s}.csv", index=False)
    with pytest.raises(DataError) as e:
        load_task(str(tmp_path))
    msg = str(e.value)
    assert "validation.csv is missing (found: test.csv, train.csv)" in msg and "\n" not in msg
    df.to_csv(tmp_path / "val.csv", index=False)
    with pytest.raises(DataError, match=r"validation\.csv is missing .*Rename val\.csv to validation\.csv\."):
        load_task(f"file:{tmp_path}")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"empty: a data folder needs train, validation and test files .* it holds no "
                                        r"data files"):
        load_task(str(empty))


def test_a_long_file_says_what_it_reads_before_reading_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(readers, "ANNOUNCE_LINES", 100)      # the same rule as 10,000 lines, at a test's size
    df = pd.DataFrame(rows(150))
    df.to_csv(tmp_path / "big.csv", index=False)
    df.to_parquet(tmp_path / "big.parquet")
    df.to_json(tmp_path / "big.jsonl.gz", orient="records", lines=True)
    df.head(50).to_csv(tmp_path / "small.csv", index=False)
    for name in ("big.csv", "big.parquet", "big.jsonl.gz", "small.csv"):
        load_task(str(tmp_path / name))
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"reading {re.escape(str(tmp_path / 'big.csv'))} \(\d+ kB, 151 lines\) \.\.\.", out[0])
    assert re.fullmatch(r"reading .*big\.parquet \(\d+ kB, 150 rows\) \.\.\.", out[1])
    assert re.fullmatch(r"reading .*big\.jsonl\.gz \(\d+ kB compressed, 150 lines\) \.\.\.", out[2])
    assert len(out) == 3                                   # the small file is read silently


def test_measuring_many_examples_says_so_first(monkeypatch, capsys):
    from pada_lite.student import workflow
    from pada_lite.student.profiles import get_profile
    from pada_lite.tasks.spec import Example, LabelTask
    from pada_lite.tasks.splits import Splits
    monkeypatch.setattr(workflow, "ANNOUNCE_LINES", 10)
    monkeypatch.setattr(workflow, "load_tokenizer", lambda *a, **k: None)
    monkeypatch.setattr(workflow, "fit_splits", lambda task, tok, splits, *a: (splits, 0))
    exs = [Example(f"e{i}", f"text {i}", "a") for i in range(12)]
    wf = workflow.Workflow(get_profile("tiny"), LabelTask("t", ["a", "b"]), Splits(exs[:8], exs[8:10], exs[10:]))
    wf.fit_lengths()
    assert capsys.readouterr().out == ("measuring 12 examples in the student's tokens (the tiny profile's max_len is "
                                       "192) ...\n")


def test_token_counts_tokenize_each_distinct_text_once_and_count_the_same():
    from pada_lite.student.lengths import _token_counts
    calls = []

    class Tok:   # stands in for a tokenizer: one token per word
        def __call__(self, texts, add_special_tokens=True, return_attention_mask=True):
            calls.append((list(texts), add_special_tokens, return_attention_mask))
            return SimpleNamespace(input_ids=[t.split() for t in texts])
    texts = ["billing", "shipping", "billing", "a b c", "billing"]
    assert _token_counts(Tok(), texts) == [1, 1, 1, 3, 1]
    assert calls == [(["billing", "shipping", "a b c"], False, False)]


def test_default_run_folder_names_are_safe_folder_names(tmp_path):
    from pada_lite.cli import _name_run, _run_name
    from pada_lite.loop.runs import safe_name
    df = pd.DataFrame(rows(10))
    df.to_parquet(tmp_path / "my données (v2).parquet")
    task, _ = load_task(str(tmp_path / "my données (v2).parquet"))
    assert task.name == "my données (v2)"                # the task keeps its name for people ...
    args = SimpleNamespace(run=None, command="evaluate")
    name = _name_run(args, SimpleNamespace(profile=SimpleNamespace(name="tiny"), task=task))
    assert re.fullmatch(r"evaluate-tiny-my-donnees-v2-\d{8}-\d{6}", name)   # ... the folder a safe one
    assert _run_name(name) == name == args.run                               # --run NAME resumes it
    assert safe_name("a / b\\c:d*e?") == "a-b-c-d-e" and safe_name(" ..x..") == "x" and safe_name("!!") == "run"
    args = SimpleNamespace(run="mine", command="run")
    assert _name_run(args, None) == "mine"                                   # a given --run stays as typed
