"""The command line: the README's main job end to end, and errors that name the bad input."""
import json

import pytest

from pada_lite.cli import main


@pytest.mark.slow
def test_demo_compares_sft_llm2llm_pada_and_the_control_offline_and_resumes(tmp_path, monkeypatch, capsys):
    """The README's main job: tiny student, bundled task, simulated teacher, two iterations, the untargeted
    control beside PaDA."""
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    assert main(["demo", "--quiet", "--run", "demo"]) == 0
    out = capsys.readouterr().out
    assert "simulated teacher" in out and "overall (test)" in out and "llm2llm" in out
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    from pada_lite.loop.report import selected
    final = selected(summary)                          # each method at its best-validation iteration
    assert [r["iteration"] for r in summary["methods"]["pada"]] == [0, 1, 2]
    assert final["sft"]["test"] > 0.75                  # the tiny student learns the task from 300 examples
    assert final["pada"]["test"] > final["sft"]["test"]  # and PaDA's targeted data helps it (all 3 benchmark seeds)
    assert all(r["patterns"]["purity"] > 0.5 for r in summary["methods"]["pada"][1:])
    for pada, ctl in zip(summary["methods"]["pada"][1:], summary["methods"]["untargeted"][1:]):
        assert 0 < ctl["accepted"] <= pada["accepted"] and "patterns" not in ctl   # PaDA's budget, no pattern
    assert (tmp_path / "demo" / "report.md").exists() and (tmp_path / "demo" / "accuracy.png").exists()
    config = json.loads((tmp_path / "demo" / "config.json").read_text())
    assert config["profile"]["name"] == "tiny" and config["loop"]["methods"] == ["sft", "llm2llm", "pada", "untargeted"]
    # the same command again resumes: every stage is read back, no teacher call is made
    assert main(["demo", "--quiet", "--run", "demo"]) == 0
    assert json.loads((tmp_path / "demo" / "summary.json").read_text())["methods"] == summary["methods"]
    assert sum(r["calls"] for r in json.loads((tmp_path / "demo" / "summary.json").read_text())["teacher_session"]["rows"]) == 0
    # other settings on the same folder are refused, not mixed in
    assert main(["demo", "--quiet", "--run", "demo", "--samples", "10"]) == 2
    assert "other settings" in capsys.readouterr().err


@pytest.mark.slow
def test_finetune_trains_and_reports_before_and_after(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    assert main(["finetune", "--quiet", "--run", "ft", "--epochs", "6", "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "before" in out and "after" in out and "negation" in out
    summary = json.loads((tmp_path / "ft" / "summary.json").read_text())
    assert summary["before"]["overall"] < 0.1 and summary["after"]["overall"] > 0.5
    records = (tmp_path / "ft" / "eval_after_test.jsonl").read_text().splitlines()
    assert len(records) == 700 and {"id", "gold", "response", "parsed", "correct", "tags"} <= set(json.loads(records[0]))
    assert (tmp_path / "ft" / "adapter" / "adapter_config.json").exists()


def test_evaluate_with_bad_file_names_the_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    bad = tmp_path / "mine.jsonl"
    bad.write_text('{"input": "a", "output": "x"}\n{"input": "b"\n', encoding="utf-8")
    assert main(["evaluate", "--task", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "mine.jsonl" in err and "line 2" in err

