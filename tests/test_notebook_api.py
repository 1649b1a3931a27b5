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


def test_course_hand_over_loads_what_earlier_notebooks_saved(tmp_path, monkeypatch):
    """Notebooks 04/05 start from the course folder when 03/04 ran there: no training, no teacher call."""
    from pada_lite.analysis import FailurePattern
    from pada_lite.data import write_jsonl
    from pada_lite.generation import Candidate
    from pada_lite.notebook import course_candidates, course_patterns
    from pada_lite.runs import Run

    class NoCalls:      # any use of the teacher or the workflow would be a rebuild
        def __getattr__(self, name):
            raise AssertionError(f"rebuilt although the course folder had it ({name})")

    run = Run("course", root=tmp_path)
    pats = [FailurePattern(0, 2, ["a", "b"], "jargon", "trade words", {"strategy": "s", "vary": [], "keep": [],
                                                                        "pitfalls": []})]
    cands = [Candidate("c1", "my bill", "billing", "pattern", "jargon")]
    write_jsonl(run.path("patterns", "patterns.jsonl"), pats)
    write_jsonl(run.path("generation", "candidates.jsonl"), cands)
    got, note, student = course_patterns(NoCalls(), NoCalls(), run, NoCalls())
    assert got == pats and student is None and note == "notebook 03's patterns"
    got_c, note = course_candidates(NoCalls(), run, NoCalls(), got, None)
    assert got_c == cands and note == "notebook 04's candidates"
    write_jsonl(run.path("patterns", "patterns.jsonl"), [])
    with pytest.raises(RuntimeError, match="no failure patterns"):
        course_patterns(NoCalls(), NoCalls(), run, NoCalls())
