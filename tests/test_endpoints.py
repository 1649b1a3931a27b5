"""Real endpoint faults, end to end: the pre-flight, failing loudly mid-run, Ctrl-C, the budget over
sessions, reasoning models. Every server is the loopback fake (`fake_openai.py`), and every
assertion counts what the server received."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_openai import SAMPLES, FakeOpenAI, helpdesk_responder

from pada_lite.teacher.cache import CallLog, ReplyCache, run_usage
from pada_lite.cli import main
from pada_lite.teacher.backends.openai_api import OpenAIBackend
from pada_lite.teacher.pricing import ABANDONED, Usage, parse_price
from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, Request
from pada_lite.teacher.core import Teacher, TeacherFailed

KEY = "sk-test-endpoint-7c1d9e0f5a"
MODELS = {"analyst": "m-analyst", "generator": "m-generator", "checker": "m-checker"}
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there now: connection refused
    return port


def req(i, schema=ErrorAnalysis, max_tokens=256, text=""):
    role, stage = ("analyst", "analysis") if schema is ErrorAnalysis else ("generator", "generation")
    return Request(role, stage, [{"role": "system", "content": "You analyse failures."},
                                 {"role": "user", "content": f"question {i} {text}"}], schema, max_tokens=max_tokens)


def teacher_for(base_url, cache=None, timeout=2.0, **kw):
    return Teacher(OpenAIBackend(base_url=base_url, api_key=KEY, timeout=timeout), MODELS, cache=cache,
                   progress=False, **kw)


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("PADA_RUNS", str(tmp_path))
    monkeypatch.setenv("PADA_API_KEY", KEY)
    return tmp_path


def cli(*argv) -> list[str]:
    return ["run", "--teacher", "openai", "--methods", "sft,pada", "--iterations", "1", "--quiet", "--run", "r", *argv]


def error_lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.strip()]


def test_the_openai_client_under_test():
    """CI runs these tests twice: with the openai client the kit installs, and with Colab's 2.x."""
    import openai
    want = os.environ.get("PADA_EXPECT_OPENAI")
    assert want is None or openai.__version__.startswith(want), (openai.__version__, want)
    assert int(openai.__version__.split(".")[0]) >= 2


# ---------------------------------------------------------------- the pre-flight, from the command line
ENDPOINT_FAULTS = {   # name: (fake server knobs, extra flags, the line's words, requests the server gets)
    "refused": (None, [], "cannot reach the teacher at {url} (connection refused)", 0),
    "wrong key": (dict(api_key="sk-the-right-one"), [], "{url} rejected the API key (HTTP 401)", 1),
    "unknown model": (dict(models={"gpt-4.1-mini"}), ["--model", "gpt-9-typo"], "{url} has no model 'gpt-9-typo' (HTTP 404", 1),
    "stalled": (dict(stall_after=0), ["--timeout", "1.5"], "{url} accepted the connection but sent no reply", 1),
}


@pytest.mark.parametrize("fault", list(ENDPOINT_FAULTS))
def test_a_teacher_that_cannot_be_used_stops_before_any_work(runs, capsys, fault):
    knobs, flags, words, received = ENDPOINT_FAULTS[fault]
    fake = FakeOpenAI(**knobs).start() if knobs is not None else None
    url = fake.base_url if fake else f"http://127.0.0.1:{free_port()}/v1"
    try:
        t0 = time.perf_counter()
        rc = main(cli("--base-url", url, *flags))
        seconds = time.perf_counter() - t0
    finally:
        if fake:
            fake.close()
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert rc == 2 and seconds < 10, (rc, seconds)
    assert len(lines) == 1 and lines[0].startswith("pada-lite: error: " + words.format(url=url)), err
    assert "Traceback" not in err and KEY not in err
    assert (fake.counts["requests"] if fake else 0) == received
    assert list(runs.iterdir()) == [], "a failed check leaves no run folder"


def test_missing_key_and_unpriced_budget_are_one_line(runs, capsys, monkeypatch):
    for name in ("PADA_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", None)
    import pada_lite.teacher.backends.openai_api as ob
    monkeypatch.setattr(ob, "_interactive", lambda: False)
    assert main(cli("--base-url", "https://api.example.com/v1")) == 2
    assert error_lines(capsys.readouterr().err) == [
        "pada-lite: error: no API key for the teacher endpoint: set PADA_API_KEY or OPENAI_API_KEY (on Colab: a secret "
        "named OPENAI_API_KEY); a local server needs none"]
    monkeypatch.setenv("PADA_API_KEY", KEY)
    assert main(cli("--base-url", "https://api.example.com/v1", "--model", "my-model", "--budget", "2")) == 2
    assert error_lines(capsys.readouterr().err)[-1] == (
        "pada-lite: error: a budget needs a price for every model, and my-model has none: give it with "
        "--price my-model=IN,OUT (USD per 1M input and output tokens; prices= in Python)")
    assert main(cli("--price", "my-model=cheap")) == 2      # argparse's own complaint, as one line too
    assert "write MODEL=IN,OUT" in error_lines(capsys.readouterr().err)[-1]
    assert parse_price(" gpt-5-mini = 0.25,2") == ("gpt-5-mini", (0.25, 2.0))
    assert list(runs.iterdir()) == []


# ---------------------------------------------------------------- what the pre-flight learns
@pytest.mark.parametrize("knobs,level,calls", [
    ({}, 0, 1),                                                        # one cheap request per model
    (dict(supports_schema=False, format_status=500), 1, 2),           # llama-cpp-python's server: 500 to json_schema
    (dict(supports_schema=False, format_status=422), 1, 2),
    (dict(supports_schema=False, supports_json_mode=False), 2, 3),
    (dict(ignores_schema=True), 1, 2),                                 # a server that ignores the reply format
])
def test_preflight_learns_the_reply_format_once(knobs, level, calls, capsys):
    with FakeOpenAI(**knobs) as fake:
        t = teacher_for(fake.base_url)
        lines = t.preflight()
        assert fake.counts["requests"] == calls * 3 and len(lines) == 3
        assert all(t.backend.caps_for(m).level == level for m in MODELS.values())
        assert "teacher check: m-analyst (analyst) answered at" in capsys.readouterr().out
        before = fake.counts["requests"]
        out = t.ask([req(i) for i in range(6)] + [req(9, NewSamples)])
        # the work itself is sent at the level found: one request each, no more format refusals
        assert all(o is not None for o in out) and fake.counts["requests"] == before + 7
        assert t.usage.total_calls == fake.counts["requests"]
        assert t.preflight() == lines and fake.counts["requests"] == before + 7   # checked once


def test_reasoning_model_is_adapted_to_and_its_hidden_tokens_counted():
    with FakeOpenAI(reasoning=True, reasoning_tokens=300) as fake:
        t = teacher_for(fake.base_url, prices=dict.fromkeys(MODELS.values(), (1.0, 4.0)), budget_usd=5.0)
        t.preflight()
        # per model: max_tokens refused, then the temperature refused, then answered
        assert fake.counts["refused_400"] == 6 and fake.counts["requests"] == 9
        out = t.ask([req(i) for i in range(4)] + [req(8, NewSamples)])
        assert all(o is not None for o in out)
        for r in fake.requests[9:]:
            body = r["body"]
            assert "max_tokens" not in body and "temperature" not in body and body["max_completion_tokens"] >= 4096
        row = next(r for r in t.usage.rows() if r["stage"] == "analysis")
        assert row["reasoning_tokens"] == 4 * 300 and row["completion_tokens"] > 4 * 300
        assert row["cost_usd"] == pytest.approx((row["prompt_tokens"] * 1.0 + row["completion_tokens"] * 4.0) / 1e6)


def test_reasoning_model_without_preflight_adapts_mid_run_and_keeps_the_cache_key(tmp_path):
    with FakeOpenAI(reasoning=True) as fake:
        t = teacher_for(fake.base_url, cache=tmp_path / "c.jsonl")
        assert all(o is not None for o in t.ask([req(i) for i in range(3)]))
        sent = fake.counts["requests"]
        # the same requests to a model that takes max_tokens: a cache hit, whatever spelling was sent
        t2 = Teacher(OpenAIBackend(base_url=fake.base_url, api_key=KEY), MODELS, cache=tmp_path / "c.jsonl", progress=False)
        t2.ask([req(i) for i in range(3)])
        assert fake.counts["requests"] == sent and t2.usage.total_hits == 3


# ---------------------------------------------------------------- a server that cannot be used for the run
def test_a_server_that_writes_no_json_stops_before_any_work(runs, capsys):
    """It ignores every reply format and writes prose (as `transformers serve` did with SmolLM2): one
    line, exit 2, no fine-tune and no run folder; three checks, one per reply format, then nothing."""
    with FakeOpenAI(prose=True) as fake:
        t0 = time.perf_counter()
        url = fake.base_url
        rc = main(cli("--base-url", url, "--model", "m"))
        seconds, received = time.perf_counter() - t0, fake.counts["requests"]
    err = capsys.readouterr().err
    assert rc == 2 and seconds < 10 and received == 3, (rc, seconds, received, err)
    assert error_lines(err) == [
        f"pada-lite: error: {url} answered the check of m with 'Sure! Here is my analysis. The message is about "
        "billing, ...', not the JSON asked for, in every reply format (json_schema, json_object, text): use a server or "
        "model that writes JSON (llama.cpp's llama-server, Ollama, or vLLM with structured outputs), or a larger instruct "
        "model"], err
    assert list(runs.iterdir()) == []


def test_a_server_context_too_small_for_the_run_stops_before_any_work(runs, capsys):
    """llama-server -c 1024: GET /props says so; the run's largest prompts (12 analyses to name a
    pattern, or 4 examples and 8 samples asked for) need more than that: one line naming the context,
    the need and the fix, exit 2, before any training."""
    with FakeOpenAI(context=1024) as fake:
        url = fake.base_url
        rc = main(cli("--base-url", url, "--model", "m"))
        received = fake.counts["requests"]
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert rc == 2 and received == 1 and len(lines) == 1, (rc, received, err)
    assert re.fullmatch(rf"pada-lite: error: {re.escape(url)} \(m\): the server's context is 1024 tokens; "
                        r"this run needs about 2,\d00 \((pattern prompts with 12 analyses|generation prompts with 4 "
                        r"examples)\); start llama-server with -c 4096 \(Ollama: num_ctx\)(, or lower --shots or --chunk)?",
                        lines[0]), lines[0]
    assert list(runs.iterdir()) == []


def test_the_context_is_compared_with_the_run_settings_and_read_from_ollama(runs):
    from pada_lite.loop.runner import LoopConfig, largest_requests
    from pada_lite.teacher.core import TeacherUnusable
    from pada_lite.student.workflow import Workflow
    wf = Workflow.create("tiny", progress=False, seed_size=60)
    # LLM2LLM alone sends only one training example at a time: that fits where PaDA's prompts do not
    big, small = largest_requests(wf, LoopConfig()), largest_requests(wf, LoopConfig(methods=("sft", "llm2llm")))
    assert [w for w, _ in largest_requests(wf, LoopConfig(shots=0))][-1] == "quality checks with 0 examples"
    with FakeOpenAI(ollama_num_ctx=1024, models={"qwen2.5:7b"}) as fake:   # Ollama: num_ctx in /api/show
        t = Teacher(OpenAIBackend(base_url=fake.base_url, api_key=KEY), dict.fromkeys(MODELS, "qwen2.5:7b"),
                    progress=False)
        with pytest.raises(TeacherUnusable, match=r"\(qwen2.5:7b\): the server's context is 1024 tokens; this run "
                                                  r"needs about 2,\d00 \(pattern prompts with 12 analyses\)"):
            t.preflight(requests=big)
        assert t.preflight(requests=small) and t.backend.caps_for("qwen2.5:7b").context == 1024
    with FakeOpenAI(context=4096, slots=2) as fake:   # llama-server -c 8192 -np 2: 4096 for each request
        t = teacher_for(fake.base_url)
        assert "context 4096 tokens" in t.preflight(requests=big)[0]
    with FakeOpenAI() as fake:   # a server that does not say its context is not checked
        assert teacher_for(fake.base_url).preflight(requests=big)


def test_a_notebook_checked_first_is_stopped_by_the_loop_before_any_training(tmp_path):
    """Notebooks check the teacher when they make it (`course_teacher`) and run later: `Loop.run()`
    compares the context with this run's requests before it trains anything."""
    from pada_lite.loop.runner import Loop, LoopConfig
    from pada_lite.loop.runs import Run
    from pada_lite.teacher.core import TeacherUnusable
    from pada_lite.student.workflow import Workflow
    wf = Workflow.create("tiny", progress=False, seed_size=60)
    with FakeOpenAI(context=1024) as fake:
        t = teacher_for(fake.base_url)
        t.preflight()   # what course_teacher() does: the check alone knows no run
        run = Run("nb", root=tmp_path)
        with pytest.raises(TeacherUnusable, match=r"the server's context is 1024 tokens; this run needs about"):
            Loop(wf, t, run, LoopConfig(methods=("sft", "pada"), iterations=1)).run()
    assert not run.has("sft", "iter_0", "eval_test.jsonl") and not (run.dir / "sft").exists()


def test_context_advice_names_the_slots():
    from pada_lite.teacher.core import context_advice
    assert context_advice(1024, 2, 2250, "generation prompts with 4 examples", fewer=True) == (
        "the server's context is 1024 tokens; this run needs about 2,300 (generation prompts with 4 examples); start "
        "llama-server with -c 8192 (4096 for each of its 2 slots) (Ollama: num_ctx), or lower shots= or chunk=")
    assert context_advice(2048, need=2100, what="analysis prompts").endswith("with -c 4096 (Ollama: num_ctx)")
    assert context_advice(None) == "the server's context is too small; start llama-server with -c 4096 (Ollama: num_ctx)"
    from pada_lite.cli import in_flags
    assert in_flags(context_advice(512, fewer=True)).endswith("-c 4096 (Ollama: num_ctx), or lower --shots or --chunk")


def test_a_reply_that_fills_the_known_context_is_context_full_and_not_asked_again():
    """Mid-run, a reply cut where prompt + completion = the server's context: `context_full`, one
    request (no retries of the same size), and the stage's line names the context."""
    with FakeOpenAI(context=200) as fake:
        t = teacher_for(fake.base_url, workers=1)
        t.preflight()
        before = fake.counts["requests"]
        with pytest.raises(TeacherFailed, match=r"analysis: 1 of 1 requests failed \(100%; context_full 1\) at .*; the "
                                                r"server's context is 200 tokens; start llama-server with -c 4096"):
            t.ask([req(0, text="x" * 500)])   # 190 prompt tokens: the reply fills the rest
        assert fake.counts["requests"] == before + 1
        assert t.usage.rows()[-1]["reasons"] == {"context_full": 1}
        assert all(o is not None for o in t.ask([req(i) for i in range(3)]))   # short ones fit: answered
    with FakeOpenAI(context=200) as fake:   # --no-preflight: the context is asked for at the first cut reply
        t = teacher_for(fake.base_url, workers=1, max_failed_share=1.0)
        assert t.ask([req(1)])[0] is not None   # a reply that was not cut: nothing asked
        assert t.ask([req(0, text="x" * 500)]) == [None] and fake.counts["requests"] == 2
        assert t.usage.rows()[-1]["reasons"] == {"context_full": 1}


def test_a_refusal_quoting_the_context_names_it(capsys):
    """A server that does not say its context at /props but refuses with llama.cpp's 400: mid-run the
    line names the context; at the check (a context too small for even that) the check says so."""
    with FakeOpenAI(context=200, props=False) as fake:
        t = teacher_for(fake.base_url, workers=1)
        t.preflight()
        with pytest.raises(TeacherFailed, match=r"\(HTTP 400: request \(\d+ tokens\) exceeds the available context size "
                                                r"\(200 tokens\), try increasing it\): the server's context is 200 tokens; "
                                                r"start llama-server with -c 4096 \(Ollama: num_ctx\)$"):
            t.ask([req(0, text="x" * 1000)])
    from pada_lite.teacher.core import TeacherUnusable
    with FakeOpenAI(context=30, props=False) as fake:
        with pytest.raises(TeacherUnusable, match=r"refused even the check of m-analyst .*: the server's context is 30 "
                                                  r"tokens; start llama-server with -c 4096"):
            teacher_for(fake.base_url).preflight()
        assert fake.counts["requests"] == 1


# ---------------------------------------------------------------- failing loudly mid-run
def broken(share: float):
    """A responder whose replies are not JSON for the first `share` of distinct questions."""
    def respond(body):
        text = json.dumps(body["messages"])
        i = int(text.split("question ")[1].split(" ")[0])
        return {"not": "valid"} if i < share * 100 else dict(SAMPLES["ErrorAnalysis"])
    return respond


def test_most_of_a_stage_failing_stops_the_run(capsys):
    with FakeOpenAI(responder=broken(0.88)) as fake:
        t = teacher_for(fake.base_url, workers=4)
        with pytest.raises(TeacherFailed, match=r"analysis: 22 of 25 requests failed \(88%; schema 22\) at openai endpoint "
                                                r".*more than 50% of a stage failed, so the run stops here"):
            t.ask([req(i * 4) for i in range(25)])
    with FakeOpenAI(responder=broken(0.2)) as fake:
        t = teacher_for(fake.base_url, workers=4)
        out = t.ask([req(i * 4) for i in range(25)])
        assert out.count(None) == 5
        assert "warning: teacher: analysis: 5 of 25 requests failed (20%; schema 5)" in capsys.readouterr().err


@pytest.mark.parametrize("fault,words", [("401", "rejected the API key (HTTP 401) during analysis"),
                                         ("400", "refused a request to m-analyst during analysis (HTTP 400")])
def test_a_request_that_cannot_succeed_stops_at_the_first(fault, words):
    with FakeOpenAI(faults=["ok"] * 3 + [fault], latency=0.05) as fake:
        t = teacher_for(fake.base_url, workers=2)
        with pytest.raises(TeacherFailed, match=words.replace("(", r"\(").replace(")", r"\)")):
            t.ask([req(i) for i in range(40)])
        time.sleep(0.3)
        assert fake.counts["requests"] <= 4 + 2, "no new request after the first that cannot succeed"


def test_every_request_is_counted_and_transient_failures_are_asked_again(tmp_path):
    faults = ["429", "500", "timeout", "429", "ok", "500"] + ["500"] * 6
    with FakeOpenAI(faults=faults, timeout_sleep=1.0) as fake:
        t = teacher_for(fake.base_url, cache=tmp_path / "c.jsonl", timeout=0.4, workers=1, max_retries=2)
        out = t.ask([req(i) for i in range(10)])
        # the client never retries by itself: the session table's calls are what the server received
        assert t.usage.total_calls == fake.counts["requests"]
        failed = out.count(None)
        assert failed == t.transient_failed >= 1 and t.usage.rows()[0]["failed"] == failed
        again = teacher_for(fake.base_url, cache=tmp_path / "c.jsonl")
        assert all(o is not None for o in again.ask([req(i) for i in range(10)]))
        assert again.usage.total_calls == failed and again.usage.total_hits == 10 - failed
    usage = run_usage(tmp_path / "c.jsonl")   # every attempt of both sessions, by reason
    reasons = usage.rows()[0]["reasons"]
    assert reasons["rate_limit"] == 2 and reasons["timeout"] == 1 and reasons["server_error"] == 8
    assert usage.total_calls == t.usage.total_calls + again.usage.total_calls


# ---------------------------------------------------------------- the budget, per run
PRICES = dict.fromkeys(MODELS.values(), (500.0, 500.0))   # USD per 1M tokens: a call costs about $0.1


def test_budget_covers_the_run_over_sessions_and_billed_failures_count(tmp_path):
    cache = tmp_path / "c.jsonl"
    with FakeOpenAI(faults=["malformed"] * 4, latency=0.01) as fake:
        t1 = teacher_for(fake.base_url, cache=cache, budget_usd=1.0, prices=PRICES, workers=8)
        t1.ask([req(i) for i in range(30)])
        assert t1.budget_exhausted and t1.spent_usd <= 1.0
        billed = sum(r["cost_usd"] for r in t1.log.outcomes)   # broken replies carried usage: they were paid for
        assert billed > 0 and run_usage(cache).total_cost == pytest.approx(t1.spent_usd)
        # a second session with the same budget continues the same account
        t2 = teacher_for(fake.base_url, cache=cache, budget_usd=1.0, prices=PRICES, workers=8)
        assert t2.spent_before == pytest.approx(t1.spent_usd)
        t2.ask([req(i) for i in range(30, 60)])
        assert t2.budget_exhausted and t1.usage.total_cost + t2.usage.total_cost <= 1.0 + 1e-12
        assert run_usage(cache).total_cost == pytest.approx(t2.spent_usd) and t2.spent_usd <= 1.0
        t3 = teacher_for(fake.base_url, cache=cache, budget_usd=3.0, prices=PRICES)   # a bigger budget goes on
        assert sum(o is not None for o in t3.ask([req(i) for i in range(30, 40)])) > 0


def test_eight_workers_spend_most_of_a_budget_that_allows_it():
    with FakeOpenAI(latency=0.05) as fake:
        t = teacher_for(fake.base_url, budget_usd=2.0, prices=PRICES, workers=8)
        out = t.ask([req(i) for i in range(60)])
        assert t.budget_exhausted and 0.5 * 2.0 < t.spent_usd <= 2.0, t.spent_usd
        one = max(r["cost_usd"] for r in t.log.outcomes) if t.log.outcomes else 0.15
        assert t.spent_usd > 2.0 - 2 * max(one, 0.15) and out.count(None) > 0


def seed_model_done(runs: Path, failures: int = 5) -> None:
    """Evaluations of iteration 0 (the seed SFT model) in run folder `r`, as a finished earlier session
    leaves them, so the command goes straight to the teacher's stages (no training)."""
    for split in ("validation", "test", "train"):
        records = [{"id": f"{split}-{i}", "input": f"my bill doubled this month {i}", "gold": "billing",
                    "response": "shipping" if i < failures else "billing", "parsed": "shipping" if i < failures else "billing",
                    "correct": i >= failures, "tags": ["jargon"]} for i in range(failures + 5)]
        path = runs / "r" / "sft" / "iter_0" / f"eval_{split}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_a_budget_stop_exits_3_and_says_what_did_not_fit(runs, capsys):
    seed_model_done(runs)
    with FakeOpenAI() as fake:
        rc = main(cli("--base-url", fake.base_url, "--model", "m", "--price", "m=1,60", "--budget", "0.005"))
        received = fake.counts["requests"]
    out, err = capsys.readouterr()
    assert rc == 3 and received == 1, (rc, received, err)   # only the pre-flight check fitted
    note = (r"the next request could cost up to \$0\.0\d{3} \(prompt and completion limit\), more than the "
            r"\$0\.004\d left of --budget 0\.005; raise --budget")   # the pre-flight check spent a little
    assert re.search(r"analysed 0 of 5 validation failures \(5 not asked: " + note + r"\)", out), out
    assert re.search(r"stopped: the teacher budget was reached during analyses.jsonl of pada iter_1: " + note, out), out
    assert error_lines(err)[-1] == ("pada-lite: stopped early: the teacher's budget is spent; raise --budget and "
                                    "resume with --run r")
    summary = json.loads((runs / "r" / "summary.json").read_text())
    assert {r["price"] for r in summary["teacher"]["rows"]} == {"1/60 per 1M"}   # priced with --price, so labelled


def test_a_run_resumes_at_another_url_and_other_settings_are_named_before_any_request(runs, capsys, monkeypatch):
    import pada_lite.loop.runner

    def interrupted(self):   # the work itself is not what this test is about
        raise KeyboardInterrupt
    monkeypatch.setattr(pada_lite.loop.runner.Loop, "run", interrupted)
    with FakeOpenAI() as first, FakeOpenAI() as restarted:
        assert main(cli("--base-url", first.base_url, "--model", "m")) == 130   # config.json written
        # the same model served at another port: the run goes on
        assert main(cli("--base-url", restarted.base_url, "--model", "m")) == 130
        received = restarted.counts["requests"]
        assert main(cli("--base-url", restarted.base_url, "--model", "other", "--samples", "10")) == 2
        assert restarted.counts["requests"] == received, "refused before the pre-flight: nothing paid"
    assert error_lines(capsys.readouterr().err)[-1] == (
        f"pada-lite: error: {runs / 'r' / 'config.json'} was written with other settings: loop (samples): 140 in "
        "config.json, 10 now; teacher model (analyst, generator, checker): 'm' in config.json, 'other' now; resume "
        "with the same options, or choose a new --run name")


# ---------------------------------------------------------------- calls the client left: billed, so counted
CHILD = """
import sys
from pada_lite.teacher.backends.openai_api import OpenAIBackend
from pada_lite.teacher.schemas import ErrorAnalysis, Request
from pada_lite.teacher.core import Teacher
url, cache = sys.argv[1:]
reqs = [Request("analyst", "analysis", [{"role": "user", "content": f"question {i}"}], ErrorAnalysis) for i in range(10)]
Teacher(OpenAIBackend(base_url=url, api_key="sk-x", timeout=60), dict.fromkeys(("analyst", "generator", "checker"), "m"),
        cache=cache, workers=4, progress=False, budget_usd=100.0, prices={"m": (500.0, 500.0)}).ask(reqs)
"""


def test_calls_in_flight_when_the_client_is_killed_are_counted_abandoned_at_their_worst_case(tmp_path):
    """kill -9 with 4 requests in flight: the server may answer and bill all 4 after the client left."""
    cache, prices = tmp_path / "c.jsonl", {"m": (500.0, 500.0)}
    reqs = [Request("analyst", "analysis", [{"role": "user", "content": f"question {i}"}], ErrorAnalysis) for i in range(10)]
    with FakeOpenAI(stall_after=3) as fake:   # 3 answered, then 4 workers wait on replies that never come
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)}
        proc = subprocess.Popen([sys.executable, "-c", CHILD, fake.base_url, str(cache)], env=env, cwd=tmp_path)
        deadline = time.time() + 30
        while fake.counts["requests"] < 7 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        received = fake.counts["requests"]
    assert received == 7
    usage = run_usage(cache)
    row = usage.rows()[0]
    # every request the server received is a call in the accounts; the 4 with no outcome at their worst case
    assert usage.total_calls == received and row["ok"] == 3 and row["reasons"] == {ABANDONED: 4}
    fresh = Teacher(OpenAIBackend(base_url="http://127.0.0.1:9/v1", api_key=KEY), dict.fromkeys(MODELS, "m"),
                    progress=False, prices=prices)
    worst = fresh.bound(reqs[0], "m")
    assert row["abandoned_usd"] >= 4 * worst and usage.total_cost == pytest.approx(
        sum(r["cost_usd"] for r in ReplyCache(cache).records.values()) + row["abandoned_usd"])
    assert "abandoned (may be billed) 4" in usage.table() and "worst case" in usage.table()
    # the budget of the next session starts from them, and nothing is counted twice when they are sent again
    with FakeOpenAI() as fake:
        t = Teacher(OpenAIBackend(base_url=fake.base_url, api_key=KEY), dict.fromkeys(MODELS, "m"), cache=cache,
                    budget_usd=100.0, prices=prices, progress=False)
        assert t.spent_before == pytest.approx(usage.total_cost)
        assert all(o is not None for o in t.ask(reqs)) and fake.counts["requests"] == 7
        after = run_usage(cache)
        assert after.total_calls == 14 and after.rows()[0]["ok"] == 10 and after.rows()[0]["reasons"] == {ABANDONED: 4}
        sent = len(t.log.sent)
        again = Teacher(OpenAIBackend(base_url=fake.base_url, api_key=KEY), dict.fromkeys(MODELS, "m"), cache=cache,
                        progress=False)
        again.ask(reqs)   # all from the cache: nothing sent, nothing logged as sent
        assert fake.counts["requests"] == 7 and len(CallLog(cache).sent) == sent == 14
        assert run_usage(cache).total_calls == 14


@pytest.fixture
def ctrl_c():
    """Ctrl-C raises KeyboardInterrupt in this process, however the suite was started: a shell started
    in the background with `&` hands its commands SIGINT ignored, and then Python raises nothing."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_calls_left_in_flight_by_ctrl_c_count_in_the_accounts_and_against_the_budget(tmp_path, ctrl_c):
    """The notebook case: Ctrl-C in `ask`, the process goes on, and the abandoned calls return later."""
    import _thread
    cache, prices = tmp_path / "c.jsonl", {"m": (500.0, 500.0)}
    reqs = [req(i) for i in range(10)]
    with FakeOpenAI(stall_after=3) as fake:
        t = Teacher(OpenAIBackend(base_url=fake.base_url, api_key=KEY, timeout=60), dict.fromkeys(MODELS, "m"),
                    cache=cache, workers=4, budget_usd=100.0, prices=prices, progress=False)

        def press_ctrl_c():
            while fake.counts["requests"] < 7:
                time.sleep(0.02)
            time.sleep(0.2)
            _thread.interrupt_main()
        threading.Thread(target=press_ctrl_c, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            t.ask(reqs)
        assert run_usage(cache).rows()[0]["reasons"] == {ABANDONED: 4}   # what a resumed run reads
    for th in threading.enumerate():   # the server has closed: the abandoned calls fail and return
        if th.name.startswith("pada-teacher"):
            th.join(10)
    row, paid = t.usage.rows()[0], run_usage(cache)
    assert row["calls"] == 7 == paid.total_calls and row["reasons"] == {ABANDONED: 4} == paid.rows()[0]["reasons"]
    assert t.spent_usd == pytest.approx(paid.total_cost) and row["abandoned_usd"] >= 4 * t.bound(reqs[0], "m")


# ---------------------------------------------------------------- Ctrl-C, in a real process
def _start_cli(url: str, runs: Path, *flags) -> subprocess.Popen:
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)   # keep an openai 2.x overlay first
    env = {**os.environ, "PYTHONPATH": path, "PADA_RUNS": str(runs), "PADA_API_KEY": KEY, "HF_HUB_OFFLINE": "1"}
    argv = [sys.executable, "-m", "pada_lite", *cli("--base-url", url, "--seed-size", "60", "--epochs", "1", *flags)]
    # the child gets SIGINT's default even when this suite was started with it ignored (a background `&`)
    return subprocess.Popen(argv, env=env, cwd=runs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _interrupt(proc: subprocess.Popen, fake: FakeOpenAI, after_requests: int) -> tuple[float, float, str]:
    deadline = time.time() + 120
    while fake.counts["requests"] < after_requests and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)   # requests in flight, waiting on the stalled server
    signalled = time.time()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return signalled, time.time() - signalled, err


@pytest.mark.slow
def test_ctrl_c_against_a_stalled_server_exits_at_once_and_sends_nothing_more(tmp_path):
    # the pre-flight (3 models) is answered, then every request stalls: Ctrl-C during the analysis
    with FakeOpenAI(stall_after=3) as fake:
        proc = _start_cli(fake.base_url, tmp_path, "--timeout", "60", "--workers", "4")
        signalled, took, err = _interrupt(proc, fake, after_requests=4)
        arrived_after = [r for r in fake.requests if r["time"] > signalled]
    assert proc.returncode == 130 and took < 5, (proc.returncode, took, err)
    assert error_lines(err)[-1] == "interrupted; resume with --run r" and "Traceback" not in err
    assert arrived_after == [], "no request after the interrupt"
    # the calls left in flight may be billed: the run's accounts hold every request the server received
    paid = run_usage(tmp_path / "r" / "teacher_cache.jsonl")
    assert paid.total_calls == fake.counts["requests"] and sum(r["reasons"].get(ABANDONED, 0) for r in paid.rows()) == 4
    assert (tmp_path / "r" / "sft" / "iter_0" / "eval_test.jsonl").exists(), "the seed model's work is kept"


@pytest.mark.slow
def test_ctrl_c_during_the_preflight_leaves_nothing(tmp_path):
    with FakeOpenAI(stall_after=0) as fake:
        proc = _start_cli(fake.base_url, tmp_path, "--timeout", "60")
        _, took, err = _interrupt(proc, fake, after_requests=1)
    assert proc.returncode == 130 and took < 5 and error_lines(err)[-1] == "interrupted; nothing was started"
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------- whole runs against misbehaving servers
@pytest.mark.slow
def test_reasoning_model_run_generates_samples_and_summary_round_trips(runs, capsys):
    with FakeOpenAI(reasoning=True, responder=helpdesk_responder) as fake:
        rc = main(cli("--base-url", fake.base_url, "--model", "o-fake", "--seed-size", "60", "--epochs", "2",
                      "--samples", "16", "--price", "o-fake=1,4", "--budget", "5"))
        bodies = [r["body"] for r in fake.requests]
    out = capsys.readouterr().out
    assert rc == 0, out
    summary = json.loads((runs / "r" / "summary.json").read_text())
    assert summary["methods"]["pada"][1]["accepted"] > 0 and summary["stopped"] is None
    assert all("max_tokens" not in b and "temperature" not in b for b in bodies[3:])
    usage = Usage.from_dict(summary["teacher"])   # the token counts survive the secret scrubber
    assert usage.total_calls == len(bodies) and usage.total_cost > 0
    assert all(isinstance(r["prompt_tokens"], int) and r["prompt_tokens"] > 0 for r in usage.rows())
    assert sum(r["reasoning_tokens"] for r in usage.rows()) > 0
    report = (runs / "r" / "report.md").read_text()
    assert "## Teacher requests" in report and "preflight" in report and "analysis" in report


@pytest.mark.slow
def test_a_key_rejected_mid_run_stops_it_and_keeps_what_was_done(runs, capsys):
    with FakeOpenAI(faults=["ok"] * 3 + ["401"]) as fake:
        url = fake.base_url
        rc = main(cli("--base-url", url, "--seed-size", "60", "--epochs", "1", "--workers", "1"))
        received = fake.counts["requests"]
    lines = error_lines(capsys.readouterr().err)
    assert rc == 1 and received == 4
    assert lines[-1].startswith(f"pada-lite: error: {url} rejected the API key (HTTP 401) during analysis")
    assert lines[-1].endswith("Everything finished is kept; fix this and resume with --run r")
    summary = json.loads((runs / "r" / "summary.json").read_text())
    assert "the teacher failed" in summary["stopped"] and (runs / "r" / "sft" / "iter_0" / "eval_test.jsonl").exists()
