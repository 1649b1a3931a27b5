"""The command line: the README's main job end to end, and errors that name the bad input."""
import json

import pytest

from pada_lite.cli import main


@pytest.mark.slow
def test_demo_fine_tunes_the_tiny_student_on_the_bundled_task(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    assert main(["demo", "--profile", "tiny", "--quiet", "--run", "demo"]) == 0
    out = capsys.readouterr().out
    assert "before" in out and "after" in out and "negation" in out
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["before"]["overall"] < 0.1          # the tiny student starts knowing nothing
    assert summary["after"]["overall"] > 0.75          # and learns the task from 300 examples
    assert set(summary["after"]["by_tag"]) >= {"direct", "negation", "distractor", "indirect", "jargon"}
    records = (tmp_path / "demo" / "eval_after_test.jsonl").read_text().splitlines()
    assert len(records) == 700 and {"id", "gold", "response", "parsed", "correct", "tags"} <= set(json.loads(records[0]))
    assert (tmp_path / "demo" / "adapter" / "adapter_config.json").exists()
    config = json.loads((tmp_path / "demo" / "config.json").read_text())
    assert config["profile"]["name"] == "tiny" and config["sizes"]["test"] == 700


def test_evaluate_with_bad_file_names_the_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    bad = tmp_path / "mine.jsonl"
    bad.write_text('{"input": "a", "output": "x"}\n{"input": "b"\n', encoding="utf-8")
    assert main(["evaluate", "--task", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "mine.jsonl" in err and "line 2" in err


def test_unknown_profile_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        main(["evaluate", "--profile", "huge"])
