"""Tests for pada_lite.tasks.data: file reading, error messages, splits and task loading (no network)."""
import csv
import json

import pytest

from pada_lite.tasks import data
from pada_lite.tasks.data import (DataError, Splits, dataset_card, load_examples, load_task, make_splits, read_jsonl,
                            write_jsonl)
from pada_lite.tasks.spec import Example, LabelTask, NumberTask, TextTask


def jl(*rows) -> str:
    """JSONL text; a str row is written as-is (to make broken lines)."""
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"


def ok(i, out="a", **kw):
    return {"id": f"x{i}", "input": f"text {i}", "output": out, **kw}


def exs(n, prefix="e"):
    return [Example(f"{prefix}{i}", f"in {i}", "a" if i % 2 else "b", tags=["t1"] if i % 3 == 0 else []) for i in range(n)]


# ---------------------------------------------------------------- error messages name file, line and field

LABELS = LabelTask("t", ["billing", "shipping"])
ERRORS = {
    # case: (file name, content, load_examples kwargs, fragments the message must contain)
    "malformed_json": ("d.jsonl", jl(ok(1), '{"input": "x", "output": }', ok(3)), {},
                       ["line 2", "malformed JSON", "column"]),
    "not_an_object": ("d.jsonl", jl(ok(1), "[1, 2]"), {}, ["line 2", "JSON object"]),
    "missing_field": ("d.jsonl", jl(ok(1), ok(2), {"input": "q", "label": "a"}), {},
                      ["line 3", "missing field 'output'", "fields present: input, label", "output_field="]),
    "missing_renamed_field": ("d.jsonl", jl({"question": "q", "label": "a"}),
                              {"input_field": "question", "output_field": "answer"},
                              ["line 1", "missing field 'answer'", "fields present: question, label"]),
    "missing_csv_column": ("d.csv", "question,label\nq,a\n", {}, ["line 1", "missing field 'input'", "question, label"]),
    "empty_output": ("d.jsonl", jl(ok(1), ok(2, out="  ")), {}, ["line 2", "empty value in field 'output'"]),
    "empty_csv_input": ("d.csv", "input,output\nhi,a\n,b\n", {}, ["line 3", "empty value in field 'input'"]),
    "duplicate_id": ("d.jsonl", jl(ok(1), ok(2), ok(1)), {}, ["line 3", "duplicate id 'x1'", "line 1", "field 'id'"]),
    "unknown_label": ("d.jsonl", jl(ok(1, "billing"), ok(2, "refunds")), {"task": LABELS},
                      ["line 2", "'refunds'", "field 'output'", "billing, shipping"]),
    "not_a_number": ("d.jsonl", jl(ok(1, "12"), ok(2, "twelve")), {"task": NumberTask()},
                     ["line 2", "'twelve'", "field 'output'", "not a number"]),
    "wrong_encoding": ("d.jsonl", jl(ok(1)).encode() + b'{"input": "caf\xe9", "output": "a"}\n', {},
                       ["line 2", "not valid UTF-8", "byte offset", "0xe9", "Re-save"]),
    "wrong_encoding_csv_bom": ("d.csv", b"\xef\xbb\xbfinput,output\ncaf\xe9,a\n", {}, ["line 2", "byte offset 19"]),
    "csv_wrong_width": ("d.csv", 'input,output\n"a, b",x\na,b,c\n', {}, ["line 3", "3 values", "2 columns"]),
    "empty_file": ("d.jsonl", "", {}, ["no examples"]),
    "blank_file": ("d.jsonl", "\n  \n", {}, ["no examples"]),
    "header_only_csv": ("d.csv", "input,output\n", {}, ["no examples"]),
    "unsupported_extension": ("d.txt", "input\toutput\n", {}, ["unsupported file type '.txt'", ".jsonl", ".csv"]),
    "tags_not_list": ("d.jsonl", jl(ok(1, tags=5)), {}, ["line 1", "field 'tags'"]),
}


@pytest.mark.parametrize("case", ERRORS)
def test_load_examples_errors_name_file_line_field(tmp_path, case):
    fname, content, kw, fragments = ERRORS[case]
    path = tmp_path / fname
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError) as err:
        load_examples(path, **kw)
    msg = str(err.value)
    assert msg.startswith(str(path)), msg
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_examples(tmp_path / "nope.jsonl")


def test_read_jsonl_errors_and_blank_lines(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text("\n" + jl({"a": 1}) + "\n\n" + jl({"b": "é"}), encoding="utf-8")
    assert read_jsonl(p) == [{"a": 1}, {"b": "é"}]
    p.write_text(jl({"a": 1}) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"r\.jsonl, line 3: malformed JSON"):
        read_jsonl(p)


# ---------------------------------------------------------------- reading and writing

def test_write_jsonl_round_trip_creates_dirs(tmp_path):
    rows = [Example("1", "café ☕", "a", tags=["x"], target="t"), {"id": "2", "input": "b\nc", "output": "b"}]
    p = write_jsonl(tmp_path / "deep" / "er" / "out.jsonl", rows)
    assert p.read_text(encoding="utf-8").count("\n") == 2 and "café ☕" in p.read_text(encoding="utf-8")
    back = load_examples(p)
    assert [e.id for e in back] == ["1", "2"] and back[0].input == "café ☕" and back[1].input == "b\nc"
    assert back[0].tags == ["x"] and back[1].tags == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_round_trip_semicolon_tags_and_bom(tmp_path, encoding):
    p = tmp_path / "mine.csv"
    with p.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(["question", "answer", "tags", "source"])
        w.writerow(["Hello, \"world\"", "greeting", "polite; short", "web"])
        w.writerow(["two\nlines", "other", "", "book"])
        w.writerow(["last", "greeting", "x;", "web"])
    got = load_examples(p, input_field="question", output_field="answer")
    assert [e.input for e in got] == ['Hello, "world"', "two\nlines", "last"]
    assert [e.output for e in got] == ["greeting", "other", "greeting"]
    assert [e.tags for e in got] == [["polite", "short"], [], ["x"]]
    assert got[0].meta == {"source": "web"}
    # no id column: ids are <stem>-<line>, and line counts the multi-line record's first line
    assert [e.id for e in got] == ["mine-2", "mine-3", "mine-5"]


def test_csv_error_line_after_multiline_record(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text('input,output\n"a\nb\nc",x\nd,\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"m\.csv, line 5: empty value in field 'output'"):
        load_examples(p)


def test_jsonl_generated_ids_use_physical_lines_and_target_field(tmp_path):
    p = tmp_path / "qa.jsonl"
    p.write_text(jl({"input": "a", "output": "1", "why": "w1"}) + "\n" + jl({"input": "b", "output": 2, "why": None}))
    got = load_examples(p, target_field="why")
    assert [e.id for e in got] == ["qa-1", "qa-3"]
    assert [e.output for e in got] == ["1", "2"] and [e.target for e in got] == ["w1", None]


# ---------------------------------------------------------------- splits

def test_make_splits_disjoint_sizes_deterministic():
    items = exs(50)
    a, b = make_splits(items, seed=3), make_splits(items, seed=3)
    assert a.sizes() == {"train": 30, "validation": 10, "test": 10}
    ids = [[e.id for e in getattr(a, s)] for s in data.SPLITS]
    assert sorted(sum(ids, [])) == sorted(e.id for e in items)  # disjoint and complete
    assert ids == [[e.id for e in getattr(b, s)] for s in data.SPLITS]
    assert [e.id for e in make_splits(items, seed=4).test] != ids[2]


def test_make_splits_counts_and_seed_size():
    items = exs(40)
    full = make_splits(items, seed=1, validation=5, test=7)
    assert full.sizes() == {"train": 28, "validation": 5, "test": 7}
    few = make_splits(items, seed=1, validation=5, test=7, seed_size=6)
    assert few.sizes() == {"train": 6, "validation": 5, "test": 7}
    assert {e.id for e in few.train} <= {e.id for e in full.train}  # the seed set comes from train
    assert [e.id for e in few.test] == [e.id for e in full.test]
    assert [e.id for e in make_splits(items, seed=1, validation=5, test=7, seed_size=6).train] == [e.id for e in few.train]


@pytest.mark.parametrize("kw, fragment", [
    (dict(validation=0.5, test=0.5), "0 for training"),
    (dict(validation=0.01), "validation=0"),
    (dict(test=0), "test=0"),
    (dict(validation=2.5), "whole count"),
    (dict(validation=True), "fraction"),
    (dict(seed_size=100), "seed_size=100"),
])
def test_make_splits_rejects_sizes_that_empty_a_split(kw, fragment):
    with pytest.raises(DataError, match=fragment):
        make_splits(exs(10), **kw)


def test_splits_save_load_round_trip(tmp_path):
    sp = make_splits([Example(f"i{i}", f"q{i}", str(i), tags=["a"], target=f"#### {i}", meta={"k": i})
                      for i in range(10)], seed=0)
    back = Splits.load(sp.save(tmp_path / "splits"))
    assert back == sp
    assert sorted(p.name for p in (tmp_path / "splits").iterdir()) == ["test.jsonl", "train.jsonl", "validation.jsonl"]


def test_splits_check_empty_and_leakage():
    with pytest.raises(DataError, match="split 'validation' is empty: .*make_splits"):
        Splits(exs(3), [], exs(2, "t")).check()
    leaky = Splits(exs(5), exs(2, "v"), [Example("e3", "x", "a"), Example("t9", "y", "b")])
    with pytest.raises(DataError, match="1 id.* shared between splits 'train' and 'test' \\(leakage.*e3"):
        leaky.check()
    with pytest.raises(DataError, match="split 'train' repeats ids: e1"):
        Splits(exs(3) + [Example("e1", "z", "a")], exs(2, "v"), exs(2, "t")).check()


def test_splits_load_errors_name_the_file(tmp_path):
    sp = make_splits(exs(10), seed=0)
    d = sp.save(tmp_path / "s")
    (d / "validation.jsonl").write_text("")
    with pytest.raises(DataError, match=r"validation\.jsonl: split 'validation' is empty"):
        Splits.load(d)
    (d / "validation.jsonl").write_text(jl({"id": "v1", "output": "a"}))
    with pytest.raises(DataError, match=r"validation\.jsonl, line 1: missing field 'input'"):
        Splits.load(d)
    write_jsonl(d / "validation.jsonl", sp.validation)
    (d / "test.jsonl").unlink()
    with pytest.raises(DataError, match=r"test\.jsonl: file not found"):
        Splits.load(d)
    write_jsonl(d / "test.jsonl", sp.train[:1])
    with pytest.raises(DataError, match="shared between splits 'train' and 'test'"):
        Splits.load(d)


def test_dataset_card_sizes_and_tags():
    card = dataset_card(Splits(exs(6), exs(3, "v"), exs(1, "t")), title="Mine")
    assert "### Mine" in card and "| train | 6 |" in card and "| **total** | 10 |" in card
    assert "| t1 | 2 | 1 | 1 |" in card
    assert "| tag |" not in dataset_card(Splits([Example("a", "x", "y")], [Example("b", "x", "y")], [Example("c", "x", "y")]))


# ---------------------------------------------------------------- hub tasks through a fake _load_hub

@pytest.fixture
def fake_hub(monkeypatch):
    calls = []

    def install(dd):
        def fake(dataset_id, config=None):
            calls.append((dataset_id, config))
            return dd
        monkeypatch.setattr(data, "_load_hub", fake)
        return calls
    return install


def test_gsm8k_mapping(fake_hub):
    from datasets import Dataset
    answers = [f"She has <<{i}*2={2 * i}>>{2 * i} apples.\n#### {1000 + i:,}" for i in range(20)]
    dd = {"train": Dataset.from_dict({"question": [f"Q{i}? " for i in range(20)], "answer": answers}),
          "test": Dataset.from_dict({"question": ["Tq"] * 3, "answer": ["x\n#### -1,234.50", "#### 7", "#### $8"]})}
    calls = fake_hub(dd)
    task, sp = load_task("gsm8k", seed=0, n_validation=4, seed_size=5)
    assert calls == [("openai/gsm8k", "main")]
    assert isinstance(task, NumberTask)
    assert sp.sizes() == {"train": 5, "validation": 4, "test": 3}
    assert [e.output for e in sp.test] == ["-1234.5", "7", "8"]
    ex = sp.train[0]
    i = int(ex.input[1:-1])  # "Q<i>?", stripped
    assert ex.output == str(1000 + i) and ex.target == f"She has {2 * i} apples.\n#### {1000 + i:,}"
    assert task.is_correct(task.parse(ex.target), ex.output)
    assert {e.id for e in sp.train + sp.validation} <= {f"gsm8k-train-{i}" for i in range(20)}
    # deterministic for a seed
    assert [e.id for e in load_task("gsm8k", seed=0, n_validation=4, seed_size=5)[1].train] == [e.id for e in sp.train]


def test_gsm8k_answer_without_marker_names_the_row(fake_hub):
    from datasets import Dataset
    fake_hub({"train": Dataset.from_dict({"question": ["a", "b"], "answer": ["#### 1", "no marker"]})})
    with pytest.raises(DataError, match="openai/gsm8k, split 'train', row 1: field 'answer'"):
        load_task("gsm8k")


def test_sst2_hidden_test_labels_and_class_names(fake_hub):
    from datasets import ClassLabel, Dataset, Features, Value
    feats = Features({"idx": Value("int32"), "sentence": Value("string"),
                      "label": ClassLabel(names=["negative", "positive"])})
    mk = lambda n, lab, p: Dataset.from_dict({"idx": list(range(n)), "sentence": [f"{p} {i}" for i in range(n)],
                                              "label": [lab(i) for i in range(n)]}, features=feats)
    dd = {"train": mk(30, lambda i: i % 2, "tr"), "validation": mk(6, lambda i: 1, "va"),
          "test": Dataset.from_dict({"idx": [0, 1], "sentence": ["a", "b"], "label": [-1, -1]})}
    calls = fake_hub(dd)
    task, sp = load_task("sst2", seed=1, n_validation=5)
    assert calls == [("stanfordnlp/sst2", None)]
    assert isinstance(task, LabelTask) and task.labels == ["negative", "positive"]
    assert sp.sizes() == {"train": 25, "validation": 5, "test": 6}
    assert all(e.input.startswith("va") and e.output == "positive" for e in sp.test)  # official validation -> test
    assert {e.output for e in sp.train} == {"negative", "positive"}
    assert all(e.input.startswith("tr") for e in sp.train + sp.validation)


def test_trec_and_generic_hub_label_mapping(fake_hub):
    from datasets import Dataset
    ints = {"train": Dataset.from_dict({"text": [f"q{i}" for i in range(10)], "coarse_label": [i % 6 for i in range(10)]}),
            "test": Dataset.from_dict({"text": ["t"], "coarse_label": [5]})}
    calls = fake_hub(ints)
    task, sp = load_task("trec", n_validation=2)  # plain ints: the built-in label list maps them
    assert calls[-1] == ("CogComp/trec", None) and task.labels[0] == "ABBR" and sp.test[0].output == "NUM"
    strs = {"train": Dataset.from_dict({"msg": [f"m{i}" for i in range(10)], "y": ["b", "a"] * 5})}
    fake_hub(strs)
    task, sp = load_task("hub:me/tickets", input_field="msg", output_field="y", n_validation=2, n_test=3)
    assert task.name == "tickets" and task.labels == ["a", "b"] and sp.sizes() == {"train": 5, "validation": 2, "test": 3}
    with pytest.raises(DataError, match="me/tickets.*field 'y'.*'b'"):
        load_task("hub:me/tickets", input_field="msg", output_field="y", labels=["a"])
    with pytest.raises(DataError, match="missing field 'text'"):
        load_task("hub:me/tickets")


# ---------------------------------------------------------------- bring your own file

@pytest.mark.parametrize("answer_type, outputs, cls", [
    ("label", ["spam", "ham"], LabelTask), ("number", ["3", "-4.50"], NumberTask), ("text", ["Paris", "Rome"], TextTask)])
def test_bring_your_own_file(tmp_path, answer_type, outputs, cls):
    p = tmp_path / "mine.jsonl"
    p.write_text(jl(*({"input": f"q{i}", "output": outputs[i % 2]} for i in range(20))))
    task, sp = load_task(f"file:{p}", answer_type=answer_type, description="mine", seed=2)
    assert type(task) is cls and task.name == "mine" and task.description == "mine"
    assert sp.sizes() == {"train": 12, "validation": 4, "test": 4}
    if answer_type == "label":
        assert task.labels == ["ham", "spam"]
    assert all(task.validate_gold(e) is None for e in sp.train)
    assert [e.id for e in load_task(str(p), answer_type=answer_type, seed=2)[1].test] == [e.id for e in sp.test]


def test_bring_your_own_checks_gold_with_line(tmp_path):
    p = tmp_path / "nums.jsonl"
    p.write_text(jl(*({"input": f"q{i}", "output": "1"} for i in range(6)), {"input": "q6", "output": "lots"}))
    with pytest.raises(DataError, match=r"nums\.jsonl, line 7: bad value in field 'output': gold answer 'lots' is not a number"):
        load_task(f"file:{p}", answer_type="number")
    with pytest.raises(DataError, match=r"line 1: .* Allowed labels: 2"):
        load_task(f"file:{p}", answer_type="label", labels=["2"])


def test_bring_your_own_split_files(tmp_path):
    d = tmp_path / "tickets"
    for s, n in (("train", 8), ("validation", 3), ("test", 4)):
        with (d / f"{s}.csv").open("w", newline="", encoding="utf-8") if d.mkdir(exist_ok=True) is None else None as f:
            csv.writer(f).writerows([["text", "label"]] + [[f"{s} {i}", "x" if i % 2 else "y"] for i in range(n)])
    for name in (f"file:{d}", str(d / "train.csv")):
        task, sp = load_task(name, input_field="text", output_field="label", seed_size=5)
        assert task.name == "tickets" and task.labels == ["x", "y"]
        assert sp.sizes() == {"train": 5, "validation": 3, "test": 4}
        assert sp.test[0].id == "test-2" and sp.test[0].input == "test 0"


def test_load_task_unknown_name_and_option(tmp_path):
    with pytest.raises(DataError, match="unknown task 'imdb'. Known: bundled, gsm8k, sst2, trec, hub:"):
        load_task("imdb")
    p = tmp_path / "a.jsonl"
    p.write_text(jl(*(ok(i) for i in range(5))))
    with pytest.raises(DataError, match="unknown option.*colour.*answer_type"):
        load_task(str(p), colour="red")
    with pytest.raises(DataError, match="answer_type='bool'"):
        load_task(str(p), answer_type="bool")


def test_bundled_task(tmp_path):
    bundled = pytest.importorskip("pada_lite.tasks.bundled")
    if not hasattr(bundled, "write_data"):
        pytest.skip("pada_lite.tasks.bundled cannot write its data yet")
    bundled.write_data(tmp_path)  # the committed files may not exist yet; same generator, same contract
    task, sp = load_task("bundled", seed=0, seed_size=4, data_dir=tmp_path)
    assert isinstance(task, LabelTask) and len(sp.train) == 4
    full = bundled.load_splits(data_dir=tmp_path)
    assert len(sp.test) == len(full.test) and {e.id for e in sp.train} <= {e.id for e in full.train}
    assert load_task("bundled", seed=0, seed_size=4, data_dir=tmp_path)[1] == sp
    assert all(task.validate_gold(e) is None for e in sp.test)


def test_repeated_input_is_refused_with_both_lines(tmp_path):
    """A message in the file twice could be trained on and tested on: stop, naming both lines."""
    p = tmp_path / "tickets.csv"
    p.write_text("message,team\nMy bill is wrong,billing\nNo signal,outage\n  my BILL is   wrong ,billing\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match=r"tickets\.csv, line 4: the same 'message' as line 2, with the same answer"):
        load_examples(p, input_field="message", output_field="team")
    p.write_text("message,team\nMy bill is wrong,billing\nmy bill is wrong,sales\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3: .*another answer \('billing' there\).*delete one"):
        load_examples(p, input_field="message", output_field="team")


# ---------------------------------------------------------------- your own data as people have it

GSM = [{"question": "Ann has 3 apples and buys 4 more. How many apples does she have?",
        "answer": "She has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
       {"question": "A pen costs $2. How much do 5 pens cost?", "answer": "5 * 2 = <<5*2=10>>10 dollars.\n#### 10"},
       {"question": "Half of a 1-litre bottle is left. How many litres is that?", "answer": "1 / 2 = 0.5\n#### .5"},
       {"question": "Tom walks 2 km a day for 6 days. How far is that?", "answer": "2 * 6 = 12 km.\n#### 12"},
       {"question": "A box holds 9 eggs; 4 break. How many are left?", "answer": "9 - 4 = <<9-4=5>>5\n#### 5"}]


def test_a_gsm8k_format_file_is_your_own_number_task(tmp_path):
    """'#### N' at the end of a worked solution: gold N, the whole solution (annotations out) trained on."""
    p = tmp_path / "math.jsonl"
    p.write_text(jl(*GSM * 1), encoding="utf-8")
    got = load_examples(p, input_field="question", output_field="answer", task=NumberTask())
    assert [e.output for e in got] == ["7", "10", "0.5", "12", "5"]   # '#### .5' is 0.5, not 5
    assert got[0].target == "She has 3 + 4 = 7 apples.\n#### 7" and NumberTask().target(got[0]) == got[0].target
    task, sp = load_task(str(p), answer_type="number", input_field="question", output_field="answer",
                         n_validation=1, n_test=1)
    assert isinstance(task, NumberTask) and sp.sizes() == {"train": 3, "validation": 1, "test": 1}
    # a marker with no number after it names the line
    p.write_text(jl(GSM[0], {"question": "q?", "answer": "so the answer is\n#### many"}), encoding="utf-8")
    with pytest.raises(DataError, match=r"math\.jsonl, line 2: field 'answer' has '####' but no number"):
        load_examples(p, input_field="question", output_field="answer", task=NumberTask())
    # a worked solution without the marker says what format would work
    p.write_text(jl({"question": "q?", "answer": "First, find the total."}), encoding="utf-8")
    with pytest.raises(DataError, match="line 1: .*not a number .*'#### <number>'"):
        load_examples(p, input_field="question", output_field="answer", task=NumberTask())


def test_a_file_named_like_a_built_in_task_keeps_its_own_name(tmp_path):
    p = tmp_path / "gsm8k.jsonl"
    p.write_text(jl(*GSM), encoding="utf-8")
    task, _ = load_task(str(p), answer_type="number", input_field="question", output_field="answer",
                        n_validation=1, n_test=1)
    assert task.name == "gsm8k-file"


@pytest.mark.parametrize("sep,ext", [(";", ".csv"), ("\t", ".tsv"), ("|", ".csv"), ("\t", ".csv")])
def test_csv_delimiter_is_read_from_the_header(tmp_path, sep, ext):
    p = tmp_path / f"europe{ext}"
    rows = [f'"invoice {i}{sep} twice";billing' if sep == ";" else f"invoice {i}{sep}billing" for i in range(3)]
    p.write_text(f"input{sep}output\n" + "\n".join(rows) + "\n", encoding="utf-8")
    got = load_examples(p)
    assert [e.output for e in got] == ["billing"] * 3 and got[0].input.startswith("invoice 0")


def test_a_named_delimiter_wins_and_a_wrong_count_names_the_separator(tmp_path):
    p = tmp_path / "odd.csv"
    p.write_text("input,output\na;1,billing\n", encoding="utf-8")
    assert load_examples(p, delimiter=",")[0].input == "a;1"
    with pytest.raises(DataError, match=r"odd\.csv, line 2: 2 values but the header has 1 .*semicolon-separated.*delimiter="):
        load_examples(p, delimiter=";")
    with pytest.raises(DataError, match=r"delimiter=';' applies only to \.csv/\.tsv"):
        load_examples(tmp_path / "x.jsonl", delimiter=";")


def test_a_json_array_file_is_read_with_line_numbers(tmp_path):
    p = tmp_path / "export.json"
    rows = [ok(i) for i in range(3)]
    p.write_text(json.dumps(rows, indent=2), encoding="utf-8")      # what pandas.to_json(orient="records") writes
    assert [e.id for e in load_examples(p)] == ["x0", "x1", "x2"]
    assert load_task(str(p), n_validation=1, n_test=1)[1].sizes()["train"] == 1
    rows[2]["output"] = ""
    p.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    with pytest.raises(DataError, match=r"export\.json, line 12: empty value in field 'output'"):
        load_examples(p)
    p.write_text('[\n {"input": "a", "output": "b"},\n {"input": "c" "output": "d"}\n]', encoding="utf-8")
    with pytest.raises(DataError, match=r"export\.json, line 3: malformed JSON"):
        load_examples(p)
    p.write_text('{"input": "a", "output": "b"}', encoding="utf-8")
    with pytest.raises(DataError, match="one JSON object, not a list"):
        load_examples(p)
    p.write_text(jl(ok(1), ok(2)), encoding="utf-8")                  # JSON Lines under a .json name
    assert len(load_examples(p)) == 2


def test_a_spreadsheet_gets_one_line_saying_how_to_export(tmp_path):
    p = tmp_path / "tickets.xlsx"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match=r"tickets\.xlsx: a spreadsheet file; .*CSV UTF-8") as e:
        load_task(str(p))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("size,want", [("20%", 2), ("0.3", 3), ("2", 2), (0.1, 1)])
def test_split_sizes_take_percentages(tmp_path, size, want):
    assert len(make_splits(exs(10), validation=size, test=1).validation) == want
    p = tmp_path / "f.jsonl"
    p.write_text(jl(*(ok(i) for i in range(10))), encoding="utf-8")
    assert len(load_task(str(p), n_validation=size, n_test=1)[1].validation) == want


def test_zero_validation_is_refused_for_your_own_file(tmp_path):
    p = tmp_path / "f.jsonl"
    p.write_text(jl(*(ok(i) for i in range(10))), encoding="utf-8")
    with pytest.raises(DataError, match=r"validation=0"):
        load_task(str(p), n_validation=0)


def test_a_huge_value_is_quoted_short(tmp_path):
    p = tmp_path / "f.jsonl"
    p.write_text(jl(ok(1, "billing"), ok(2, "x" * 5_000_000)), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_task(str(p), labels=["billing", "shipping"])
    assert len(str(e.value)) < 400 and "5,000,000 characters" in str(e.value)


def test_a_split_file_says_it_also_reads_its_neighbours(tmp_path):
    for s in ("train", "validation", "test"):
        (tmp_path / f"{s}.jsonl").write_text(jl(*(ok(f"{s}{i}") for i in range(3))), encoding="utf-8")
    _, sp = load_task(str(tmp_path / "train.jsonl"))
    assert "also using validation.jsonl, test.jsonl" in sp.note
    assert sp.where(sp.test[0]).endswith("test.jsonl, line 1")
    assert load_task(f"file:{tmp_path}")[1].note == ""        # a folder names all three itself


# ---------------------------------------------------------------- files real tools write

def _records(n=200):
    labels = ["billing", "account", "shipping"]
    return [{"input": f"message number {i} about my order", "output": labels[i % 3]} for i in range(n)]


@pytest.mark.parametrize("writer", ["pandas", "json.dump"])
def test_a_json_array_on_one_line_numbers_its_records(tmp_path, writer):
    """pandas.DataFrame.to_json(orient="records") and json.dump(list) write the whole array on one line:
    ids and error positions count records, not physical lines."""
    pd = pytest.importorskip("pandas")
    rows = _records()
    p = tmp_path / "x.json"
    if writer == "pandas":
        pd.DataFrame(rows).to_json(p, orient="records")
    else:
        p.write_text(json.dumps(rows), encoding="utf-8")
    assert p.read_text(encoding="utf-8").count("\n") <= 1
    exs = load_examples(p)
    assert [e.id for e in exs[:3]] == ["x-1", "x-2", "x-3"] and len({e.id for e in exs}) == 200
    rows[150]["output"] = None
    if writer == "pandas":
        pd.DataFrame(rows).to_json(p, orient="records")
    else:
        p.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.json, record 151 \(line 1\): empty value in field 'output'"):
        load_examples(p)


def test_a_json_array_with_one_record_per_line_keeps_line_numbers(tmp_path):
    rows = _records(5)
    rows[3]["output"] = ""   # the 4th record's "{" is on line 14: "[" then 4 lines per record
    p = tmp_path / "x.json"
    p.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.json, line 14: empty value in field 'output'"):
        load_examples(p)


def test_problems_of_the_same_kind_are_counted_and_located(tmp_path):
    """Every row is checked: the error gives the first row's problem in full, then how many more rows
    have it and where, then the other kinds."""
    p = tmp_path / "x.jsonl"
    lines = [{"input": f"text {i}", "output": "" if i in (2, 4, 6) else "a"} for i in range(8)]
    lines[7]["input"] = "text 0"
    p.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_examples(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}, line 3: empty value in field 'output'"), msg
    assert "2 more row(s) have the same problem: line 5, line 7." in msg
    assert "Also 1 row(s) with a repeated input (first: line 8)." in msg
