"""The orchestrator end to end on the tiny student: with the simulated teacher, and against a
loopback OpenAI-compatible server that injects faults, a budget cap and a kill mid-stage."""
import json
import shutil
import threading

import pytest
from fake_openai import FakeOpenAI, helpdesk_responder

from pada_lite.loop.runner import Loop, LoopConfig
from pada_lite.teacher.backends.openai_api import OpenAIBackend
from pada_lite.loop.report import comparison_table, write_report
from pada_lite.loop.runs import Run
from pada_lite.teacher.core import Teacher, make_teacher
from pada_lite.student.workflow import Workflow

pytestmark = pytest.mark.slow
KEY = "sk-test-8f3a91c2d4e5-never-on-disk"
MODELS = {"analyst": "fake-analyst", "generator": "fake-generator", "checker": "fake-checker"}


def _identity(body: dict) -> str:
    """What makes two requests the same call (a regeneration sends the same messages with a new seed)."""
    return json.dumps([body.get(k) for k in ("model", "messages", "seed", "temperature", "max_tokens")], sort_keys=True)


def work(fake) -> list[str]:
    """The identities of the requests a server received, but the pre-flight checks (sent every session)."""
    return [_identity(r["body"]) for r in fake.requests if "checking that an endpoint works" not in json.dumps(r["body"])]


@pytest.fixture(scope="module")
def workflow():
    return Workflow.create("tiny", progress=False, seed_size=120, profile_overrides={"epochs": 3})


@pytest.fixture(scope="module")
def iter0(tmp_path_factory, workflow):
    """Iteration 0 (the seed SFT model and its evaluations), trained once and copied into each run."""
    run = Run("iter0", root=tmp_path_factory.mktemp("runs"))
    Loop(workflow, make_teacher("sim", progress=False), run, LoopConfig(methods=("sft",), iterations=0), progress=False).run()
    return run.dir / "sft"


def new_run(tmp_path, iter0, name="r"):
    run = Run(name, root=tmp_path)
    shutil.copytree(iter0, run.dir / "sft")
    return run


def fake_teacher(fake, run, **kw):
    backend = OpenAIBackend(base_url=fake.base_url, api_key=KEY, timeout=3)
    return Teacher(backend, MODELS, cache=run.path("teacher_cache.jsonl"), progress=False, workers=4, **kw)


CFG = LoopConfig(methods=("sft", "pada"), iterations=1, samples=24, max_regen=1)


def test_sim_demo_methods_artifacts_report_and_no_leak(tmp_path, workflow, iter0, capsys):
    run = new_run(tmp_path, iter0)
    teacher = make_teacher("sim", cache=run.path("teacher_cache.jsonl"), progress=False)
    cfg = LoopConfig(methods=("sft", "llm2llm", "pada"), iterations=1, samples=28)
    summary = Loop(workflow, teacher, run, cfg, progress=True).run()
    out = capsys.readouterr().out   # one text bar per method and iteration, each left at its end
    for bar in ("sft iteration 0: 2/2 stages", "llm2llm iteration 1: 4/4 stages", "pada iteration 1: 6/6 stages"):
        assert bar in out, out[-2000:]
    bars = {line.split(":")[0] for line in out.replace("\r", "\n").splitlines() if "stages |" in line}
    assert bars == {"sft iteration 0", "llm2llm iteration 1", "pada iteration 1"}, bars
    assert set(summary["methods"]) == {"sft", "llm2llm", "pada"}
    for m in ("sft", "llm2llm", "pada"):
        assert [r["iteration"] for r in summary["methods"][m]] == [0, 1]
        assert 0 <= summary["methods"][m][-1]["test"] <= 1 and summary["methods"][m][-1]["test_by_tag"]
    pada = summary["methods"]["pada"][1]
    assert pada["accepted"] > 0 and pada["patterns"]["k"] >= 1 and pada["patterns"]["purity"] > 0
    for f in ("analyses.jsonl", "clusters.json", "patterns.jsonl", "generated.jsonl", "judged.jsonl", "accepted.jsonl",
              "qc.json", "eval_validation.jsonl", "eval_test.jsonl", "train.json"):
        assert run.has("pada", "iter_1", f), f
    # the seed set is evaluated where its errors spawn data (iteration 0), not after the last iteration
    assert run.has("sft", "iter_0", "eval_train.jsonl") and not run.has("pada", "iter_1", "eval_train.jsonl")
    assert summary["methods"]["llm2llm"][1]["train_errors"] >= 0 and run.has("llm2llm", "iter_1", "qc.json")
    report = write_report(run)
    assert "overall (test)" in report.read_text() and all(run.has(f"{p}.png") for p in ("accuracy", "phenomena", "clusters", "teacher"))
    assert "overall (test)" in comparison_table(summary)
    # every prompt sent to the generator: no validation or test input in it
    # (a short held-out message can be a sentence inside a longer *training* message: that one is shown legitimately)
    train = [e.input.lower() for e in workflow.splits.train]
    held_out = [h for h in (e.input.lower() for e in workflow.splits.validation + workflow.splits.test)
                if not any(h in t for t in train)]
    assert len(held_out) > 1000
    gen = [" ".join(m["content"] for m in r.messages).lower() for _, r in teacher.sent if r.role == "generator"]
    assert gen and not any(h in g for g in gen for h in held_out)
    # a re-run loads every stage and pays for nothing
    again = make_teacher("sim", cache=run.path("teacher_cache.jsonl"), progress=False)
    summary2 = Loop(workflow, again, run, cfg).run()
    assert again.usage.total_calls == 0 and summary2["methods"] == summary["methods"]


def test_faults_are_retried_counted_and_nothing_is_paid_twice(tmp_path, workflow, iter0):
    run = new_run(tmp_path, iter0)
    faults = ["ok"] * 3 + ["429", "500", "malformed", "refusal", "truncated", "bad_schema", "timeout"] * 2   # ok: the check
    with FakeOpenAI(responder=helpdesk_responder, faults=faults, timeout_sleep=5) as fake:
        teacher = fake_teacher(fake, run)
        summary = Loop(workflow, teacher, run, CFG).run()
        assert summary["stopped"] is None and summary["methods"]["pada"][1]["accepted"] > 0
        reasons = {}
        for r in teacher.usage.rows():
            for k, v in r["reasons"].items():
                reasons[k] = reasons.get(k, 0) + v
        # every fault reached the teacher (the client never retries by itself), was counted and retried
        assert reasons == {"rate_limit": 2, "server_error": 2, "invalid_json": 2, "refusal": 2, "truncated": 2,
                           "schema": 2, "timeout": 2}
        assert teacher.usage.total_calls == fake.counts["requests"]
        # a request fails only when max_attempts (3) of its replies were bad: at most 8 bad replies // 3
        assert sum(r["failed"] for r in teacher.usage.rows()) <= 8 // 3
        sent = fake.counts["requests"]
        # the key travelled in the header, and is nowhere on disk
        assert any(KEY in v for h in fake.requests for k, v in h["headers"].items() if k.lower() == "authorization")
        assert KEY not in repr(teacher) + teacher.describe() + teacher.usage.table()
        # re-run: every stage loads, every call is a cache hit; only the check of each model is sent
        again = fake_teacher(fake, run)
        Loop(workflow, again, run, CFG).run()
        assert fake.counts["requests"] == sent + 3 and again.usage.total_calls == 3
        assert {r["stage"] for r in again.usage.rows() if r["calls"]} == {"preflight"}
    for p in run.dir.rglob("*"):
        if p.is_file():
            assert KEY.encode() not in p.read_bytes(), p


class DiesAfter:
    """A backend that is killed (KeyboardInterrupt) after `n` calls, like a closed notebook."""
    def __init__(self, inner, n):
        self.inner, self.n, self.calls, self.lock = inner, n, 0, threading.Lock()
        self.name, self.simulated = inner.name, False

    def complete(self, request, model):
        with self.lock:
            self.calls += 1
            if self.calls > self.n:
                raise KeyboardInterrupt
        return self.inner.complete(request, model)

    def describe(self):
        return self.inner.describe()


def test_killed_mid_stage_resumes_with_zero_repeated_calls(tmp_path, workflow, iter0):
    run = new_run(tmp_path, iter0)
    with FakeOpenAI(responder=helpdesk_responder) as fake:
        t = fake_teacher(fake, run)
        t.backend = DiesAfter(t.backend, 25)
        with pytest.raises(KeyboardInterrupt):
            Loop(workflow, t, run, CFG).run()
        assert not run.has("pada", "iter_1", "analyses.jsonl"), "an interrupted stage is not saved as done"
        first = fake.counts["requests"]
        assert 0 < first <= 25 + 4
        summary = Loop(workflow, fake_teacher(fake, run), run, CFG).run()
        assert summary["methods"]["pada"][1]["accepted"] > 0
        bodies = work(fake)
        assert len(bodies) == len(set(bodies)), "a call answered before the kill was sent again"
        assert len(bodies) > first


def test_budget_cap_stops_cleanly_and_a_bigger_budget_resumes(tmp_path, workflow, iter0):
    run = new_run(tmp_path, iter0)
    prices = dict.fromkeys(MODELS.values(), (1000.0, 1000.0))    # $ per 1M tokens: every call costs ~$0.5
    with FakeOpenAI(responder=helpdesk_responder) as fake:
        t = fake_teacher(fake, run, budget_usd=10.0, prices=prices)
        summary = Loop(workflow, t, run, CFG).run()
        assert summary["stopped"] and "budget" in summary["stopped"]
        assert t.usage.total_cost <= 10.0 and t.budget_exhausted
        assert run.has("summary.json") and run.has("sft", "iter_0", "eval_test.jsonl")
        assert not run.has("pada", "iter_1", "analyses.jsonl")
        paid = fake.counts["requests"]
        t2 = fake_teacher(fake, run, budget_usd=1e6, prices=prices)
        summary = Loop(workflow, t2, run, CFG).run()
        assert summary["stopped"] is None and len(summary["methods"]["pada"]) == 2
        bodies = work(fake)
        assert len(bodies) == len(set(bodies)) and len(bodies) > paid


def test_transient_failures_leave_the_stage_unsaved_and_a_rerun_asks_only_them(tmp_path, workflow, iter0, capsys):
    run = new_run(tmp_path, iter0)
    # after the 3 checks, 5 analysis requests each meet a 500 on every try (1 + max_retries=1):
    # the stage goes on without them, but is not saved as complete
    faults = ["ok"] * 3 + ["500"] * 10
    with FakeOpenAI(responder=helpdesk_responder, faults=faults) as fake:
        teacher = fake_teacher(fake, run, max_retries=1)
        teacher.workers = 1
        summary = Loop(workflow, teacher, run, CFG).run()
        assert teacher.transient_failed == 5 and "pada" in summary["unsaved"]
        out = capsys.readouterr()
        assert "5 teacher request(s) failed for a transient reason in analyses" in out.out
        assert "analysis: 5 of 269 requests failed (2%; server_error 5 (HTTP 500: fake 500))" in out.err
        assert not run.has("pada", "iter_1", "analyses.jsonl") and not run.has("pada", "iter_1", "eval_test.jsonl")
        assert run.has("pada", "iter_1", "qc.json")   # what happened is still on disk
        sent = len(work(fake))
        again = fake_teacher(fake, run)
        summary2 = Loop(workflow, again, run, CFG).run()
        assert summary2["unsaved"] == {} and run.has("pada", "iter_1", "analyses.jsonl")
        by_stage = {r["stage"]: r for r in again.usage.rows()}
        assert by_stage["analysis"]["calls"] == 5 and by_stage["analysis"]["hits"] == 264   # only the 5 are asked again
        assert len(work(fake)) > sent


def test_the_untargeted_control_gets_padas_budget_and_no_pattern(tmp_path, workflow, iter0):
    """The control writes like random training examples, through the same QC, and keeps at most as
    many accepted samples as PaDA got: a gain over it can only come from targeting."""
    run = new_run(tmp_path, iter0)
    cfg = LoopConfig(methods=("sft", "pada", "untargeted"), iterations=1, samples=24, max_regen=1)
    teacher = make_teacher("sim", progress=False)
    summary = Loop(workflow, teacher, run, cfg).run()
    pada, unt = (json.loads(run.path(m, "iter_1", "qc.json").read_text()) for m in ("pada", "untargeted"))
    assert 0 < unt["accepted"] <= pada["accepted"] and unt["patterns"] == 0 and unt["train_errors"] == 0
    judged = [json.loads(x) for x in run.path("untargeted", "iter_1", "judged.jsonl").read_text().splitlines()]
    assert judged and {c["source"] for c in judged} == {"untargeted"}
    assert not run.has("untargeted", "iter_1", "analyses.jsonl")
    assert {r["stage"] for r in teacher.usage.rows(by="stage")} >= {"untargeted", "generation", "analysis"}
    assert summary["methods"]["untargeted"][-1]["augmented_total"] == unt["accepted"]
