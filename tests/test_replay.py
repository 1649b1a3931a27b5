"""The replay teacher: a recorded run's reply cache answered back offline, and nothing else.

A cache is recorded here by a real `Teacher` over a canned backend (or the simulated one, for the
loop); the replay teacher must answer the same requests the same way without any other backend,
stop at the first request the file does not hold with one line naming `not_recorded`, leave the
file byte for byte as it was, and take its models from the records.
"""
import json
import shutil
import socket

import pytest
import test_cache_keys

from pada_lite.cli import main
from pada_lite.teacher.backends.replay import NOT_RECORDED, ReplayBackend
from pada_lite.teacher.base import TeacherFailed, TeacherUnusable
from pada_lite.teacher.core import KINDS, Teacher, make_teacher
from pada_lite.teacher.replies import FATAL, error_reason
from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, QualityScore, Request

MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-nano"}
REPLIES = {   # one valid reply per schema, told apart by the request's number
    ErrorAnalysis: lambda i: {"error_scenario": f"scenario {i}", "root_cause": f"cause {i}"},
    NewSamples: lambda i: {"samples": [{"input": f"my bill {i} doubled", "output": "billing"}]},
    QualityScore: lambda i: {"answer_correct": True, "fits_format": True, "follows_strategy": 4, "not_trivial": 3,
                             "reason": f"fine {i}"},
}
STAGES = {ErrorAnalysis: ("analyst", "analysis"), NewSamples: ("generator", "generation"),
          QualityScore: ("checker", "qc")}


def req(i: int, schema=ErrorAnalysis, seed: int = 0, text: str = "question") -> Request:
    role, stage = STAGES[schema]
    return Request(role, stage, [{"role": "system", "content": "You are a careful teacher."},
                                 {"role": "user", "content": f"{text} {i}"}], schema, max_tokens=200, seed=seed)


class Canned(test_cache_keys.Canned):
    """The cache-key tests' canned backend, with each reply named after its request."""

    def complete(self, request, model):
        from pada_lite.teacher.base import Completion
        self.calls += 1
        i = int(request.messages[-1]["content"].split()[-1])
        return Completion(json.dumps(REPLIES[request.schema](i)), 40 + i, 10 + i)


REQUESTS = [req(i, s) for i in range(4) for s in (ErrorAnalysis, NewSamples, QualityScore)]


@pytest.fixture
def recorded(tmp_path):
    """(the recorded cache file, the replies the recording teacher gave, the canned backend)."""
    canned = Canned()
    teacher = Teacher(canned, MODELS, cache=tmp_path / "rec" / "teacher_cache.jsonl", progress=False)
    replies = teacher.ask(REQUESTS)
    assert all(r is not None for r in replies) and canned.calls == len(REQUESTS)
    return tmp_path / "rec" / "teacher_cache.jsonl", replies, canned


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*a, **k):
        raise AssertionError("the replay teacher tried to open a connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_replay_is_a_teacher_kind_and_not_recorded_is_fatal():
    assert "replay" in KINDS and "not_recorded" in FATAL
    from pada_lite.teacher.backends.replay import NotRecorded
    assert error_reason(NotRecorded("x")) == "not_recorded"


def test_a_replay_answers_the_recorded_requests_identically_offline(recorded, tmp_path, no_network):
    file, replies, canned = recorded
    t = make_teacher("replay", replies=file, cache=tmp_path / "replay" / "teacher_cache.jsonl", progress=False)
    assert isinstance(t.backend, ReplayBackend) and not t.backend.simulated
    assert t.preflight(quiet=True) and t.checked   # every role has records: the check passes, asking nothing
    again = t.ask(REQUESTS)
    assert [a.model_dump() for a in again] == [r.model_dump() for r in replies]
    assert canned.calls == len(REQUESTS)   # the recording backend was asked nothing more
    # every request was answered by the replayed file, for free, with the recorded tokens
    rows = t.usage.rows()
    assert sum(r["calls"] for r in rows) == sum(r["ok"] for r in rows) == len(REQUESTS)
    assert t.usage.total_cost == 0 and {r["price"] for r in rows} == {"replayed (free)"}
    recorded_tokens = sum(json.loads(line)["prompt_tokens"] for line in file.read_text().splitlines())
    assert sum(r["prompt_tokens"] for r in rows) == recorded_tokens
    assert "replayed replies of gpt-4.1-mini, gpt-4o-mini, gpt-4.1-nano from teacher_cache.jsonl (12 replies)" \
        in t.describe()
    assert not (tmp_path / "replay" / "teacher_calls.jsonl").exists()   # no call is billed, none is logged as sent


@pytest.mark.parametrize("changed", [req(2, NewSamples, text="another question"), req(2, NewSamples, seed=1)],
                         ids=["prompt", "seed"])
def test_a_changed_request_stops_the_batch_with_one_line(recorded, tmp_path, changed, no_network):
    file, _, _ = recorded
    t = make_teacher("replay", replies=file, cache=tmp_path / "replay" / "teacher_cache.jsonl", progress=False,
                     workers=1)
    with pytest.raises(TeacherFailed) as e:
        t.ask(REQUESTS[:3] + [changed] + REQUESTS[3:])
    line = str(e.value)
    assert "\n" not in line and line.startswith("not_recorded: ")
    for words in ("teacher_cache.jsonl", "generation request of the generator", "the seed or the settings",
                  "--teacher openai --base-url"):
        assert words in line, line
    # it stopped at once: the request was sent once, never retried, and counted as failed for that reason
    gen = [r for r in t.usage.rows() if r["stage"] == "generation"][0]
    assert gen["failed"] == 1 and gen["reasons"] == {"not_recorded": 1}


def test_the_recorded_file_is_only_read(recorded, tmp_path):
    file, _, _ = recorded
    before, folder = file.read_bytes(), sorted(p.name for p in file.parent.iterdir())
    t = make_teacher("replay", replies=file.parent, cache=tmp_path / "replay" / "teacher_cache.jsonl", progress=False)
    t.preflight(quiet=True)
    t.ask(REQUESTS)
    with pytest.raises(TeacherFailed):
        t.ask([req(99)])
    assert file.read_bytes() == before and sorted(p.name for p in file.parent.iterdir()) == folder
    with pytest.raises(TeacherUnusable, match="the very file it replays"):   # its own cache may not be that file
        make_teacher("replay", replies=file, cache=file.parent, progress=False)
    assert file.read_bytes() == before


def test_models_come_from_the_records_and_another_is_refused(recorded, tmp_path):
    file, _, _ = recorded
    t = make_teacher("replay", replies=file, progress=False)
    assert t.models == MODELS
    assert make_teacher("replay", replies=file, models={"checker": "gpt-4.1-nano"}, progress=False).models == MODELS
    with pytest.raises(ValueError, match=r"generator='gpt-5' \(recorded: 'gpt-4o-mini'\)"):
        make_teacher("replay", replies=file, models={"generator": "gpt-5"}, progress=False)
    with pytest.raises(ValueError, match="recorded"):
        make_teacher("replay", replies=file, models="gpt-4o-mini", progress=False)
    with pytest.raises(ValueError, match="needs replies="):
        make_teacher("replay", progress=False)


def test_a_role_with_several_models_replays_the_most_frequent_and_says_so(tmp_path):
    teacher = Teacher(Canned(), MODELS, cache=tmp_path, progress=False)
    teacher.ask(REQUESTS)
    other = Teacher(Canned(), {**MODELS, "generator": "gpt-4o"}, cache=tmp_path, progress=False)
    other.ask([req(7, NewSamples)])
    t = make_teacher("replay", replies=tmp_path, progress=False)
    assert t.models["generator"] == "gpt-4o-mini"
    assert "the generator's replies are of 2 models; replaying gpt-4o-mini's (4 of 5)" in t.describe()


def test_a_role_without_records_fails_the_preflight_if_the_run_asks_it(tmp_path):
    Teacher(Canned(), MODELS, cache=tmp_path, progress=False).ask([r for r in REQUESTS if r.role != "checker"])
    t = make_teacher("replay", replies=tmp_path, progress=False)
    assert t.models["checker"] == NOT_RECORDED
    analyst_only = [("analysis prompts", req(0))]
    lines = make_teacher("replay", replies=tmp_path, progress=False).preflight(quiet=True, requests=analyst_only)
    assert len(lines) == 1 and "gpt-4.1-mini (analyst)" in lines[0]
    with pytest.raises(TeacherUnusable) as e:
        t.preflight(quiet=True)
    line = str(e.value)
    assert "\n" not in line and "no replies of the checker" in line and "--teacher openai" in line


def test_a_missing_or_empty_file_is_one_line_naming_it(tmp_path):
    for path, words in ((tmp_path / "nope.jsonl", "no file"), (tmp_path, "no teacher_cache.jsonl in the folder")):
        with pytest.raises(TeacherUnusable) as e:
            make_teacher("replay", replies=path, progress=False)
        assert "\n" not in str(e.value) and words in str(e.value) and str(path) in str(e.value)
    empty = tmp_path / "teacher_cache.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(TeacherUnusable, match="holds no recorded replies"):
        ReplayBackend(empty)


def _one_line(argv, capsys, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("PADA_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("PADA_PROFILE", raising=False)
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pada-lite: error: ") and "Traceback" not in err, err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    return lines[0]


def test_the_cli_needs_replies_with_replay_and_refuses_them_without(recorded, tmp_path, monkeypatch, capsys):
    line = _one_line(["run", "--quiet", "--teacher", "replay"], capsys, tmp_path, monkeypatch)
    assert "--teacher replay needs --replies PATH" in line
    line = _one_line(["run", "--quiet", "--teacher", "replay", "--replies", str(tmp_path / "nope")], capsys, tmp_path,
                     monkeypatch)
    assert "--replies" in line and "no such file" in line
    line = _one_line(["run", "--quiet", "--teacher", "sim", "--replies", str(recorded[0])], capsys, tmp_path,
                     monkeypatch)
    assert "--replies applies only to --teacher replay" in line
    line = _one_line(["run", "--quiet", "--teacher", "replay", "--replies", str(recorded[0]), "--model", "m"], capsys,
                     tmp_path, monkeypatch)
    assert "--model applies only to --teacher openai" in line


@pytest.mark.slow
def test_a_loop_replayed_from_its_own_cache_makes_the_same_data(tmp_path):
    """The bundled task's loop with the simulated teacher, then again with the replay teacher over the
    first run's cache: the same analyses, patterns and accepted samples, and the file untouched."""
    from pada_lite.loop.runner import Loop, LoopConfig
    from pada_lite.loop.runs import Run
    from pada_lite.student.workflow import Workflow

    wf = Workflow.create("tiny", progress=False, seed_size=120, profile_overrides={"epochs": 3})
    cfg = LoopConfig(methods=("sft", "pada"), iterations=1, samples=8)
    first = Run("recorded", root=tmp_path)
    Loop(wf, make_teacher("sim", cache=first.path("teacher_cache.jsonl"), progress=False), first, cfg).run()
    before = first.path("teacher_cache.jsonl").read_bytes()
    again = Run("replayed", root=tmp_path)
    shutil.copytree(first.dir / "sft", again.dir / "sft")   # iteration 0 asks no teacher: trained once
    t = make_teacher("replay", replies=first.dir, cache=again.path("teacher_cache.jsonl"), progress=False)
    summary = Loop(wf, t, again, cfg).run()
    assert summary["stopped"] is None and t.usage.total_calls > 0 and t.usage.total_cost == 0
    for name in ("analyses.jsonl", "patterns.jsonl", "generated.jsonl", "judged.jsonl", "accepted.jsonl", "qc.json"):
        assert again.path("pada", "iter_1", name).read_bytes() == first.path("pada", "iter_1", name).read_bytes(), name
    assert first.path("teacher_cache.jsonl").read_bytes() == before
