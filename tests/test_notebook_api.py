"""pada_lite.notebook: the profile comes from the environment, the checker says what differs."""
import pytest

from pada_lite.notebook import check, course_run, course_teacher, setup, smoke


@pytest.mark.parametrize("got,want,ok", [
    (0.5, 0.5, True), (0.5, 0.5 + 1e-12, True), (0.5, 0.6, False),
    ({"a": 1.0, "b": [1, 2]}, {"a": 1.0, "b": [1, 2]}, True),
    ({"a": 1.0}, {"a": 1.0, "b": 2}, False), ([1, 2, 3], [1, 2], False), ("x", "y", False), (None, 1, False)])
def test_check(got, want, ok, capsys):
    assert check("thing", got, want) is ok
    out = capsys.readouterr().out
    assert ("match" in out) if ok else ("differs" in out or "not done" in out)


def test_check_names_the_difference(capsys):
    check("by tag", {"jargon": 0.5, "negation": 0.9}, {"jargon": 0.4, "negation": 0.9})
    out = capsys.readouterr().out
    assert "['jargon']" in out and "0.5" in out and "negation" not in out.split("differs")[1]


@pytest.mark.parametrize("name", ["tiny", "cpu"])
def test_setup_reads_the_profile_from_the_environment(monkeypatch, capsys, name):
    monkeypatch.setenv("PADA_PROFILE", name)
    assert setup().name == name
    out = capsys.readouterr().out
    assert f"profile {name} (from PADA_PROFILE)" in out and "simulated teacher" in out


def test_smoke_switch_and_course_run(monkeypatch, tmp_path):
    monkeypatch.setenv("PADA_SMOKE", "1")
    assert smoke()
    monkeypatch.setenv("PADA_SMOKE", "0")
    assert not smoke()
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    monkeypatch.setenv("PADA_PROFILE", "tiny")
    run = course_run()
    assert run.dir == tmp_path / "course-tiny"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PADA_API_KEY", raising=False)
    monkeypatch.setenv("PADA_TEACHER", "openai")            # asked for, but no key anywhere: simulated
    t = course_teacher(setup(quiet=True), run, progress=False)
    assert t.backend.simulated and t.cache.path == run.dir / "teacher_cache.jsonl"
