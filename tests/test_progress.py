"""Progress: live bars in a terminal, one line per step in a notebook (whose saved copy would show a
widget at 0% forever, or one output chunk per refresh of a text bar)."""
import sys

from pada_lite import progress
from pada_lite.loop.runner import Loop


def test_the_mode_follows_the_setting_then_the_kernel(monkeypatch):
    monkeypatch.delenv("PADA_PROGRESS", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert progress.mode() == "bar"
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert progress.mode() == "line"
    monkeypatch.setenv("PADA_PROGRESS", "bar")
    assert progress.mode() == "bar"
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setenv("PADA_PROGRESS", "line")
    assert progress.mode() == "line"


def test_a_line_prints_once_when_the_step_ends(monkeypatch, capsys):
    monkeypatch.setenv("PADA_PROGRESS", "line")
    bar = progress.bar(total=40, initial=10, desc="analyst", unit=" requests")
    bar.set_postfix_str("10 from the cache")
    bar.update(30)
    assert capsys.readouterr().out == ""   # nothing while it runs
    bar.close()
    bar.close()                            # closing twice prints once
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("analyst: 40/40 requests in ") and out[0].endswith("(10 from the cache)")
    assert list(progress.bar(range(3), desc="evaluating")) == [0, 1, 2]
    assert capsys.readouterr().out.startswith("evaluating: 3/3 in ")
    progress.bar(total=5, desc="quiet", disable=True).close()
    assert capsys.readouterr().out == ""


def test_a_bar_in_a_terminal_is_tqdm(monkeypatch):
    monkeypatch.setenv("PADA_PROGRESS", "bar")
    bar = progress.bar(total=3, desc="x", disable=True)
    assert type(bar).__module__.startswith("tqdm")
    bar.close()


def test_the_loop_prints_one_line_per_stage_in_a_notebook(monkeypatch, capsys):
    monkeypatch.setenv("PADA_PROGRESS", "line")
    loop = Loop.__new__(Loop)   # only the progress side: no workflow needed
    loop.progress, loop._bar = True, None
    with loop._stages("pada", 1):
        loop._say("[pada iteration 1] fine-tuning on 300 seed + 140 generated samples")
        for stage in ("analyses", "patterns", "generated", "accepted", "trained", "evaluated"):
            loop._tick(stage)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[pada iteration 1] fine-tuning")
    assert [line.split(" (")[0] for line in lines[1:]] == [
        f"[pada iteration 1] {n}/6 {s}" for n, s in
        enumerate(("analyses", "patterns", "generated", "accepted", "trained", "evaluated"), 1)]
    assert loop._bar is None
