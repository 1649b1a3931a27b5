"""pada_lite.course.notebook: the profile comes from the environment, the checker says what differs."""
import pytest

from pada_lite.course.notebook import check, course_run, course_teacher, setup, smoke


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


def test_setup_says_when_the_cpu_is_shared(monkeypatch, capsys):
    from pada_lite.course.notebook import shared_cpu
    assert shared_cpu(load=1.9, cores=2) is None                    # a quiet machine: torch's default stays
    line = shared_cpu(load=10.0, cores=2)
    assert "load average 10.0 on 2 cores" in line and "torch.set_num_threads(1)" in line
    monkeypatch.setenv("PADA_PROFILE", "tiny")
    monkeypatch.setattr("os.getloadavg", lambda: (64.0, 0.0, 0.0))
    setup()
    assert "load average 64.0" in capsys.readouterr().out


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
    from pada_lite.agents.analysis import FailurePattern
    from pada_lite.tasks.data import write_jsonl
    from pada_lite.agents.synthesis import Candidate
    from pada_lite.course.notebook import ITERATION, course_candidates, course_patterns
    from pada_lite.loop.runs import Run

    class NoCalls:      # any use of the teacher or the workflow would be a rebuild
        def __getattr__(self, name):
            raise AssertionError(f"rebuilt although the course folder had it ({name})")

    run = Run("course", root=tmp_path)
    pats = [FailurePattern(0, 2, ["a", "b"], "jargon", "trade words", {"strategy": "s", "vary": [], "keep": [],
                                                                        "pitfalls": []})]
    cands = [Candidate("c1", "my bill", "billing", "pattern", "jargon")]
    write_jsonl(run.path(*ITERATION, "patterns.jsonl"), pats)
    write_jsonl(run.path(*ITERATION, "generated.jsonl"), cands)
    got, note, student = course_patterns(NoCalls(), run, NoCalls())
    assert got == pats and student is None and note == "notebook 03's patterns"
    got_c, note = course_candidates(NoCalls(), run, NoCalls(), got)
    assert got_c == cands and note == "notebook 04's candidates"
    write_jsonl(run.path(*ITERATION, "patterns.jsonl"), [])
    with pytest.raises(RuntimeError, match="no failure patterns"):
        course_patterns(NoCalls(), run, NoCalls())


def test_the_course_folder_has_the_loops_layout():
    """What notebooks 02-05 save goes where `Loop` keeps the same artifacts: one layout of saved work."""
    from pada_lite.course.notebook import ITERATION, SEED
    from pada_lite.loop.runner import Step, model_dir

    assert SEED == model_dir("sft", 0) and ITERATION == Step("pada", 1).folder


def test_a_rebuilt_hand_over_runs_the_loops_own_steps_and_files(tmp_path, monkeypatch):
    """Notebook 05 run alone: patterns and candidates are rebuilt by Loop's steps, into its files, and
    a second call reads them back without the teacher."""
    from pada_lite.course import notebook
    from pada_lite.loop.runs import Run
    from pada_lite.student.evaluate import EvalRecord, EvalResult
    from pada_lite.teacher.core import make_teacher
    from pada_lite.student.workflow import Workflow
    from pada_lite.student.profiles import PROFILES

    monkeypatch.setenv("PADA_SMOKE", "1")
    wf = Workflow.create(PROFILES["tiny"], "bundled")
    failed = [EvalRecord(e.id, e.input, e.output, "billing", "billing", False, list(e.tags))
              for e in wf.splits.validation if e.output != "billing"][:24]
    monkeypatch.setattr(wf, "finetune", lambda **kw: ("model", "tok", None))
    monkeypatch.setattr(wf, "evaluate", lambda *a, **kw: EvalResult(failed))
    run = Run("course", root=tmp_path)
    teacher = make_teacher("sim", cache=run.dir / "teacher_cache.jsonl", progress=False)
    patterns, note, student = notebook.course_patterns(wf, run, teacher)
    assert patterns and note.startswith("rebuilt here") and student == ("model", "tok")
    cands, note = notebook.course_candidates(wf, run, teacher, patterns)
    assert cands and note.startswith("rebuilt here")
    files = sorted(p.name for p in run.path(*notebook.ITERATION).iterdir())
    assert files == ["analyses.jsonl", "clusters.json", "generated.jsonl", "patterns.jsonl"], files
    assert run.has(*notebook.SEED, "eval_validation.jsonl")
    sent = teacher.usage.total_calls
    again = notebook.course_candidates(wf, run, teacher, notebook.course_patterns(wf, run, teacher)[0])
    assert again == (cands, "notebook 04's candidates") and teacher.usage.total_calls == sent


@pytest.mark.parametrize("got,want", [
    (None, [1]), ([None, None], [1, None]), ({"a": None, "b": None}, {"a": 1, "b": 2}), ({"a": [None]}, {"a": [3]})])
def test_an_unfilled_exercise_is_not_done_yet_whatever_its_shape(got, want, capsys):
    assert check("thing", got, want) is False
    out = capsys.readouterr().out
    assert "not done yet" in out and "differs" not in out


def test_an_all_none_reference_can_still_be_matched(capsys):
    assert check("verdicts", [None, None], [None, None]) is True
    assert check("verdicts", [None, None], [None, "trivial"]) is False
    assert "not done yet" in capsys.readouterr().out


def test_a_hint_explains_the_difference_and_cannot_break_the_cell(capsys):
    def budget(got, want):
        return f"the shares must sum to the budget, {sum(want)}, and yours sum to {sum(got)}"
    assert check("allocation", [47, 46, 46], [47, 47, 46], hint=budget) is False
    assert "hint: the shares must sum to the budget, 140, and yours sum to 139" in capsys.readouterr().out
    assert check("allocation", [1, "x"], [1, 2], hint=budget) is False   # a hint that raises says nothing
    assert "hint" not in capsys.readouterr().out


def test_mine_or_reference(capsys):
    from pada_lite.course.notebook import mine_or_reference
    assert mine_or_reference(True, "mine", "ref", "clean()") == "mine" and capsys.readouterr().out == ""
    assert mine_or_reference(False, None, "ref", "clean()") == "ref"
    assert "reference result" in capsys.readouterr().out


def test_drive_is_colab_only_and_keeps_runs_there(monkeypatch, tmp_path, capsys):
    import sys
    import types

    from pada_lite.course import notebook
    monkeypatch.setenv("PADA_RUNS", "")   # recorded, so whatever use_drive sets is undone after the test
    monkeypatch.delenv("PADA_RUNS")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert notebook.use_drive() is None and "only on Colab" in capsys.readouterr().out
    assert "PADA_RUNS" not in __import__("os").environ
    mounted = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(notebook, "DRIVE_RUNS", str(tmp_path / "drive" / "runs"))
    assert notebook.use_drive() == str(tmp_path / "drive" / "runs") and mounted == ["/content/drive"]
    assert (tmp_path / "drive" / "runs").is_dir() and course_run().dir.parent == tmp_path / "drive" / "runs"


def test_a_course_folder_is_reused_only_with_the_settings_that_made_it(monkeypatch, tmp_path, capsys):
    from pada_lite.course import notebook
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    monkeypatch.setenv("PADA_PROFILE", "tiny")
    monkeypatch.delenv("PADA_TEACHER", raising=False)
    monkeypatch.setattr(notebook, "_MOVED", set())
    monkeypatch.setenv("PADA_SMOKE", "1")
    smoke_run = course_run()
    smoke_run.write_json({"accuracy": 0.15}, "sft", "done.json")           # a smoke run's chance-level baseline
    assert smoke_run.dir == tmp_path / "course-tiny" and course_run().dir == smoke_run.dir
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("PADA_SMOKE", "0")                                   # now a full run
    full = course_run()
    assert full.dir == tmp_path / "course-tiny-2" and not full.has("sft", "done.json")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "other settings (smoke True there, False now)" in out and "course-tiny-2" in out
    assert course_run().dir == full.dir and capsys.readouterr().out == ""   # said once; the same folder again
    monkeypatch.setenv("PADA_SMOKE", "1")
    assert course_run().dir == smoke_run.dir                                # back to the smoke settings: their folder
    assert course_run("loop").dir == tmp_path / "course-tiny-loop"


# ---- the set-up cell's two settings: Colab form fields or environment variables --------------------------
@pytest.fixture
def clean_settings(monkeypatch, tmp_path):
    """No PADA_STUDENT / PADA_DRIVE from outside, and whatever setup() writes to the environment undone."""
    for k in ("PADA_STUDENT", "PADA_DRIVE", "PADA_RUNS"):
        monkeypatch.setenv(k, "")     # recorded, so a value setup() writes is undone after the test
        monkeypatch.delenv(k)
    monkeypatch.setenv("PADA_PROFILE", "tiny")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize("field, env, want, source", [
    ("", None, "tiny", "the profile's"),
    ("", "unsloth/Llama-3.2-1B-Instruct", "unsloth/Llama-3.2-1B-Instruct", "from PADA_STUDENT"),
    ("unsloth/Llama-3.2-1B-Instruct", None, "unsloth/Llama-3.2-1B-Instruct", "from STUDENT in the set-up cell"),
    ("smollm2", "unsloth/Llama-3.2-1B-Instruct", "smollm2", "from STUDENT in the set-up cell"),   # the form wins
    ("  ", "  ", "tiny", "the profile's"),
])
def test_the_student_comes_from_the_form_field_or_pada_student(clean_settings, capsys, field, env, want, source):
    if env is not None:
        clean_settings.setenv("PADA_STUDENT", env)
    profile = setup(student=field)
    assert profile.name == "tiny" and profile.student == want
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("student "))
    assert line.startswith(f"student {want} ({source}); run folders in runs/"), line


def test_another_student_gets_its_own_course_folder(clean_settings, tmp_path):
    from pada_lite.course.notebook import course_settings
    clean_settings.setenv("PADA_RUNS", str(tmp_path / "runs"))
    setup(quiet=True)
    assert "student" not in course_settings() and course_run().dir.name == "course-tiny"
    setup(quiet=True, student="unsloth/Llama-3.2-1B-Instruct")
    assert course_settings()["student"] == "unsloth/Llama-3.2-1B-Instruct"
    assert course_run().dir.name == "course-tiny-2"


@pytest.mark.parametrize("field, env, mounts", [
    (False, None, False), (True, None, True), (False, "1", True), (False, "0", False), (False, "false", False),
    (False, "yes", True), (True, "0", True),
])
def test_drive_comes_from_the_form_field_or_pada_drive(clean_settings, capsys, field, env, mounts):
    from pada_lite.course import notebook
    if env is not None:
        clean_settings.setenv("PADA_DRIVE", env)
    calls = []

    def fake_drive(quiet=False):   # Colab's Drive, without Colab: the folder it would keep the runs in
        calls.append(quiet)
        return "/content/drive/MyDrive/pada-lite/runs"
    clean_settings.setattr(notebook, "use_drive", fake_drive)
    setup(drive=field)
    assert bool(calls) is mounts
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("student "))
    assert ("Google Drive: kept across runtimes" in line) is mounts, line


def test_drive_asked_for_off_colab_says_the_runs_stay_local(clean_settings, capsys):
    import sys
    clean_settings.delitem(sys.modules, "google.colab", raising=False)
    clean_settings.setenv("PADA_DRIVE", "1")
    setup()
    out = capsys.readouterr().out
    assert "run folders in runs/ (local: Google Drive is only on Colab)" in out and "drive:" not in out
