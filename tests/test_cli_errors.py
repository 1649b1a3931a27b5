"""Every mistake a user can make on the command line ends in one line `pada-lite: error: ...`,
exit code 2, in the flags the user typed, before any model or teacher work and without a run
folder left behind. A new option without a bad-value case here fails the coverage test."""
import argparse
import json
import re

import pytest

from pada_lite.cli import build_parser, in_flags, main

# (command, option) -> the argv tail with a bad value, and a word the message must contain.
# {file}: a small valid helpdesk-style .jsonl file; {csv}: the same as a CSV
BAD = {
    "profile": (["--profile", "gpu"], "--profile"),
    "task": (["--task", "nosuch"], "unknown task"),
    "seed": (["--seed", "x"], "--seed"),
    "seed_size": (["--seed-size", "0"], "--seed-size"),
    "run": (["--run", "../elsewhere"], "--run"),
    "epochs": (["--epochs", "-1"], "--epochs"),
    "max_len": (["--max-len", "5"], "--max-len"),
    "long_inputs": (["--long-inputs", "cut"], "--long-inputs"),
    "input_field": (["--task", "{file}", "--input-field", "message"], "--input-field"),
    "output_field": (["--task", "{file}", "--output-field", "team"], "--output-field"),
    "answer_type": (["--task", "{file}", "--answer-type", "float"], "--answer-type"),
    "labels": (["--task", "{file}", "--answer-type", "number", "--labels", "a,b"], "--labels"),
    "description": (["--task", "{file}", "--description", " "], "--description"),
    "delimiter": (["--task", "{file}", "--delimiter", ";"], "--delimiter"),
    "bad_answers": (["--task", "{file}", "--bad-answers", "drop"], "--bad-answers"),
    "n_validation": (["--n-validation", "0"], "--n-validation"),
    "n_test": (["--n-test", "150%"], "--n-test"),
    "methods": (["--methods", "sft,foo"], "--methods"),
    "iterations": (["--iterations", "-1"], "--iterations"),
    "samples": (["--samples", "0"], "--samples"),
    "patience": (["--patience", "0"], "--patience"),
    "shots": (["--shots", "-1"], "--shots"),
    "chunk": (["--chunk", "0"], "--chunk"),
    "teacher": (["--teacher", "gpt"], "--teacher"),
    "model": (["--teacher", "sim", "--model", "gpt-4o-mini"], "--model"),
    "analyst_model": (["--teacher", "sim", "--analyst-model", "gpt-4o-mini"], "--analyst-model"),
    "generator_model": (["--teacher", "sim", "--generator-model", "gpt-4o-mini"], "--generator-model"),
    "checker_model": (["--teacher", "sim", "--checker-model", "gpt-4o-mini"], "--checker-model"),
    "base_url": (["--teacher", "openai", "--base-url", "localhost"], "--base-url"),
    "budget": (["--budget", "-5"], "--budget"),
    "price": (["--price", "gpt-x=cheap"], "--price"),
    "timeout": (["--timeout", "0"], "--timeout"),
    "max_retries": (["--max-retries", "-1"], "--max-retries"),
    "max_failed_share": (["--max-failed-share", "1.5"], "--max-failed-share"),
    "workers": (["--workers", "0"], "--workers"),
    "analyst_noise": (["--analyst-noise", "2"], "--analyst-noise"),
    "flaw_rate": (["--teacher", "openai", "--flaw-rate", "0.2"], "--flaw-rate"),
    "replies": (["--replies", "{file}"], "--replies"),
    "split": (["--split", "dev"], "--split"),
    "adapter": (["--adapter", "nowhere"], "--adapter"),
}
FLAGS_ONLY = {"help", "quiet", "parity", "no_preflight"}   # nothing to get wrong


def _commands():
    ap = build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


CASES = [(cmd, a.dest) for cmd, p in _commands().items() for a in p._actions
         if a.dest not in FLAGS_ONLY and a.help is not argparse.SUPPRESS]


def test_every_option_has_a_bad_value_case():
    missing = sorted({dest for _, dest in CASES} - set(BAD))
    assert not missing, f"options without a bad-value case in BAD: {missing}"


@pytest.fixture
def files(tmp_path):
    rows = [{"input": f"my invoice number {i} shows a charge I do not know", "output": "billing"} for i in range(10)]
    rows += [{"input": f"parcel {i} never arrived at my door", "output": "shipping"} for i in range(10)]
    f = tmp_path / "mine.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return {"file": str(f)}


def _one_line_error(argv, capsys, tmp_path, monkeypatch) -> str:
    runs = tmp_path / "runs"
    monkeypatch.setenv("PADA_RUNS", str(runs))
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pada-lite: error: "), err
    assert "Traceback" not in err
    # spoken in flags: no Python keyword (input_field=, labels=) and no loader function name
    assert not re.search(r"\b(input_field|output_field|n_validation|seed_size|labels|long_inputs|max_len)=|make_splits|"
                         r"load_task|_size", err), err
    assert not runs.exists() or not any(runs.iterdir()), f"a refused command left {list(runs.iterdir())}"
    return lines[0]


@pytest.mark.parametrize("cmd,dest", CASES, ids=[f"{c}-{d}" for c, d in CASES])
def test_a_bad_value_is_one_line_and_exit_2(cmd, dest, files, tmp_path, monkeypatch, capsys):
    tail, word = BAD[dest]
    argv = [cmd, "--quiet"] + [t.format(**files) for t in tail]
    monkeypatch.delenv("PADA_PROFILE", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")   # the key is not what these cases get wrong
    line = _one_line_error(argv, capsys, tmp_path, monkeypatch)
    assert word in line, line


def test_options_that_cannot_apply_are_refused_naming_what_would(files, tmp_path, monkeypatch, capsys):
    cases = {("evaluate", "--epochs", "2"): "training (finetune, run, demo)",
             ("run", "--task", "bundled", "--labels", "a,b"): "your own file",
             ("run", "--task", "bundled", "--input-field", "text"): "your own file",
             ("run", "--task", files["file"], "--answer-type", "number", "--labels", "a,b"): "label answers",
             ("run", "--task", files["file"], "--delimiter", ";"): ".csv/.tsv",
             ("demo", "--teacher", "sim", "--budget", "1"): "--teacher openai",
             ("demo", "--teacher", "sim", "--timeout", "5"): "--teacher openai",
             ("demo", "--teacher", "openai", "--analyst-noise", "0.2"): "--teacher sim"}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for argv, want in cases.items():
        line = _one_line_error(list(argv) + ["--quiet"], capsys, tmp_path, monkeypatch)
        assert want in line, (argv, line)


def test_a_missing_api_key_is_one_line(tmp_path, monkeypatch, capsys):
    for var in ("OPENAI_API_KEY", "PADA_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    line = _one_line_error(["run", "--teacher", "openai", "--iterations", "1", "--quiet"], capsys, tmp_path, monkeypatch)
    assert "no API key" in line and "api_key" not in line


def test_the_simulated_teacher_on_a_task_it_cannot_read_leaves_no_folder(tmp_path, monkeypatch, capsys):
    f = tmp_path / "capitals.jsonl"
    f.write_text("".join(json.dumps({"input": f"capital of country {i}?", "output": f"city{i % 3}"}) + "\n"
                         for i in range(30)), encoding="utf-8")
    line = _one_line_error(["run", "--task", str(f), "--teacher", "sim", "--quiet"], capsys, tmp_path, monkeypatch)
    assert "simulated teacher" in line and "resume" not in line


def test_loader_messages_speak_in_flags():
    assert in_flags("Set input_field= to the column") == "Set --input-field to the column"
    assert in_flags("x.csv: 10 examples with validation=0.5, test=0.6 gives") == \
        "x.csv: 10 examples with --n-validation 0.5, --n-test 0.6 gives"
    assert in_flags("add it to labels=.") == "add it to --labels."
    assert in_flags("cut them (long_inputs='truncate'), or (max_len=352; more)") == \
        "cut them (--long-inputs truncate), or (--max-len 352; more)"
    assert in_flags("set OPENAI_API_KEY, or pass api_key=...; a local server needs none") == \
        "set OPENAI_API_KEY; a local server needs none"
