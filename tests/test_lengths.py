"""Examples longer than the profile's max_len: refused with file and line (the default) or cut to
fit with a count (long_inputs='truncate'); training and evaluation see the same text, and nothing
is ever allocated from an untruncated length."""
import json

import pytest

from pada_lite.tasks.data import DataError
from pada_lite.student.evaluate import generate
from pada_lite.student.lengths import _lengths
from pada_lite.student.workflow import Workflow

HUGE = " ".join(f"word{i % 997}" for i in range(40_000))   # ~300 KB on one line: thousands of tokens


def _file(tmp_path, long_line: int | None = None, long_answer: bool = False):
    rows = [{"input": f"ticket {i}: my invoice {i} shows a charge twice", "output": "billing"} for i in range(12)]
    rows += [{"input": f"ticket {i}: parcel {i} has not arrived yet", "output": "shipping"} for i in range(12)]
    if long_line is not None:
        rows[long_line - 1]["input"] = HUGE
    if long_answer:
        rows = [{"input": r["input"], "output": r["output"] + (" and more" * 400 if i == 3 else "")}
                for i, r in enumerate(rows)]
    p = tmp_path / "tickets.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return p


def _test_split_line(tmp_path) -> int:
    """The line of a file example that the seeded split puts in test (so evaluation meets it)."""
    wf = Workflow.create("tiny", str(_file(tmp_path)), n_validation=4, n_test=4, progress=False)
    return int(wf.splits.test[0].id.rsplit("-", 1)[1])


def test_a_too_long_example_is_refused_with_its_file_and_line(tmp_path):
    line = _test_split_line(tmp_path)
    wf = Workflow.create("tiny", str(_file(tmp_path, long_line=line)), n_validation=4, n_test=4, progress=False)
    with pytest.raises(DataError) as e:
        wf.evaluate(split="test")                     # before any model is loaded or allocated for
    msg = str(e.value)
    assert f"tickets.jsonl, line {line} (test split)" in msg and "over the tiny profile's limit of 192" in msg
    assert "1 of 24 examples are over" in msg and "long_inputs='truncate'" in msg
    assert "max_len=" not in msg          # thousands of tokens: a higher limit is no way out for one runaway input
    assert "\n" not in msg


def test_truncate_cuts_the_input_once_for_training_and_evaluation(tmp_path, capsys):
    line = _test_split_line(tmp_path)
    wf = Workflow.create("tiny", str(_file(tmp_path, long_line=line)), n_validation=4, n_test=4, progress=False,
                         long_inputs="truncate")
    assert wf.fit_lengths() == 1 and wf.fit_lengths() == 0          # measured once
    assert "cut 1 input(s)" in capsys.readouterr().out
    cut = next(ex for ex in wf.splits.test if ex.id.endswith(f"-{line}"))
    assert HUGE.startswith(cut.input[:50]) and 0 < len(cut.input) < 2000    # the input's start is kept
    model, tok = wf.base()
    assert all(p + a <= wf.profile.max_len for p, a in _lengths(wf.task, tok, wf.splits.test))
    assert len(wf.evaluate(model, tok, split="test").records) == 4


def test_an_answer_too_long_for_the_limit_is_refused_even_under_truncate(tmp_path):
    wf = Workflow.create("tiny", str(_file(tmp_path, long_answer=True)), answer_type="text", n_validation=4,
                         n_test=4, progress=False, long_inputs="truncate")
    with pytest.raises(DataError, match=r"tickets\.jsonl, line 4 .*answer alone does not fit"):
        wf.fit_lengths()


def test_a_bigger_limit_takes_the_example(tmp_path):
    line = _test_split_line(tmp_path)
    short = HUGE[:400]
    p = _file(tmp_path, long_line=line)
    p.write_text(p.read_text(encoding="utf-8").replace(HUGE, short), encoding="utf-8")
    with pytest.raises(DataError, match="max_len=") as e:
        Workflow.create("tiny", str(p), n_validation=4, n_test=4, progress=False).fit_lengths()
    limit = int(str(e.value).split("max_len=")[1].split(";")[0])
    wf = Workflow.create("tiny", str(p), n_validation=4, n_test=4, progress=False, profile_overrides={"max_len": limit})
    assert wf.fit_lengths() == 0


def test_generate_refuses_a_prompt_over_the_limit_instead_of_allocating(tmp_path):
    wf = Workflow.create("tiny", str(_file(tmp_path)), n_validation=4, n_test=4, progress=False)
    model, tok = wf.base()
    with pytest.raises(ValueError, match="over max_len=192"):
        generate(model, tok, ["hello " * 2000], max_new_tokens=4, progress=False, max_len=192)


def test_the_cli_refuses_before_a_run_folder_exists(tmp_path, monkeypatch, capsys):
    from pada_lite.cli import main
    line = _test_split_line(tmp_path)
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    argv = ["evaluate", "--task", str(_file(tmp_path, long_line=line)), "--n-validation", "4", "--n-test", "4",
            "--split", "test", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pada-lite: error: ") and "--long-inputs truncate" in err and "_" not in err.split("(max_len)")[1]
    assert not (tmp_path / "runs").exists()
    assert main(argv + ["--long-inputs", "truncate"]) == 0
    assert "cut 1 input(s)" in capsys.readouterr().out
