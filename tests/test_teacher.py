"""The teacher client: retries and counts, schema fallback, cache, interrupts, budget, key hygiene.

Endpoint tests run the real `OpenAIBackend` against the loopback fake in `fake_openai.py`,
with short client timeouts; the client never retries by itself, so every fault reaches the teacher
and every request the server receives is one call in the teacher's usage.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from fake_openai import SAMPLES, fake_openai  # noqa: F401  (a fixture)

from pada_lite.teacher.backends.openai_api import OpenAIBackend, resolve_api_key, strict_schema
from pada_lite.teacher.pricing import PRICES, Usage, price_of
from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, Pattern, QualityScore, Request, Strategy
from pada_lite.teacher.core import (Completion, ReplyCache, ReplyError, Teacher, TeacherFailed, TeacherUnusable, make_teacher,
                               parse_reply)

KEY = "sk-test-SECRET-4f9a1c7e2b"
MODELS = {"analyst": "fake-a", "generator": "fake-g", "checker": "fake-c"}
STAGE = {ErrorAnalysis: ("analyst", "analysis"), Pattern: ("analyst", "patterns"), Strategy: ("analyst", "strategies"),
         NewSamples: ("generator", "generation"), QualityScore: ("checker", "qc")}
REASON = {"429": "rate_limit", "500": "server_error", "timeout": "timeout", "malformed": "invalid_json",
          "refusal": "refusal", "truncated": "truncated", "bad_schema": "schema",
          "error_200": "server_error"}   # HTTP 200 with an error object as its body (some proxies and gateways)


def req(i, schema=ErrorAnalysis, seed=0, max_tokens=256, text=""):
    role, stage = STAGE[schema]
    return Request(role, stage, [{"role": "system", "content": "You analyse failures."},
                                 {"role": "user", "content": f"question {i} {text}"}], schema,
                   max_tokens=max_tokens, seed=seed)


def teacher_for(fake, tmp_path=None, workers=4, max_attempts=3, **kw):
    backend = OpenAIBackend(base_url=fake.base_url, api_key=KEY, timeout=0.3)
    cache = tmp_path / "cache.jsonl" if tmp_path is not None else None
    return Teacher(backend, MODELS, cache=cache, workers=workers, max_attempts=max_attempts, progress=False, **kw)


class StandIn:
    """A backend without HTTP: valid replies, optional delay, `exc` (KeyboardInterrupt) raised on the k-th call."""
    name, simulated = "stand-in", False

    def __init__(self, delay=0.0, interrupt_at=None, tokens=(10, 5), exc=KeyboardInterrupt):
        self.delay, self.interrupt_at, self.tokens, self.exc = delay, interrupt_at, tokens, exc
        self.calls, self.active, self._lock = 0, 0, threading.Lock()

    def complete(self, request, model):
        with self._lock:
            self.calls += 1
            if self.calls == self.interrupt_at:
                raise self.exc("stand-in failure")
            self.active += 1
        try:
            time.sleep(self.delay)
            pt, ct = self.tokens(request) if callable(self.tokens) else self.tokens
            return Completion(json.dumps(SAMPLES[request.schema.__name__]), pt, ct)
        finally:
            with self._lock:
                self.active -= 1

    def describe(self):
        return "stand-in backend"


# ---------------------------------------------------------------- tolerant parser
@pytest.mark.parametrize("text,schema,expect", [
    ('{"error_scenario": "a", "root_cause": "b"}', ErrorAnalysis, {"error_scenario": "a"}),
    ('```json\n{"error_scenario": "a", "root_cause": "b"}\n```', ErrorAnalysis, {"root_cause": "b"}),
    ('```\n{"name": "n", "description": "d"}\n```', Pattern, {"name": "n"}),
    ('Sure! Here it is: {"name": "n {x}", "description": "d"} Hope this helps.', Pattern, {"name": "n {x}"}),
    ('[{"input": "i", "output": "o"}]', NewSamples, {"samples": [{"input": "i", "output": "o"}]}),
    ('```json\n[{"input": "i", "output": "o"}]\n```', NewSamples, {"samples": [{"input": "i", "output": "o"}]}),
    ('[note] {"samples": []}', NewSamples, {"samples": []}),
    ('{"strategy": "s"}', Strategy, {"strategy": "s", "vary": []}),
    ('not json at all', ErrorAnalysis, "invalid_json"),
    ('', ErrorAnalysis, "invalid_json"),
    ('{"error_scenario": "a", "root_cause": ', ErrorAnalysis, "invalid_json"),
    ('{"name": "n"}', Pattern, "schema"),
    ('[1, 2]', ErrorAnalysis, "schema"),
    ('{"answer_correct": true, "fits_format": true, "follows_strategy": 9, "not_trivial": 3}', QualityScore, "schema"),
])
def test_parse_reply(text, schema, expect):
    if isinstance(expect, str):
        with pytest.raises(ReplyError) as e:
            parse_reply(text, schema)
        assert e.value.reason == expect
    else:
        got = parse_reply(text, schema).model_dump()
        assert {k: got[k] for k in expect} == expect


def test_strict_schema_has_no_defaults_and_requires_every_field():
    rf = strict_schema(QualityScore)
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "QualityScore" and rf["json_schema"]["strict"]
    s = rf["json_schema"]["schema"]
    assert s["additionalProperties"] is False and set(s["required"]) == set(QualityScore.model_fields)
    assert "default" not in json.dumps(strict_schema(Strategy))


# ---------------------------------------------------------------- faults, retries, fallback
@pytest.mark.parametrize("fault", sorted(REASON))
def test_each_fault_is_retried_and_counted(fake_openai, fault):
    fake_openai.faults, fake_openai.timeout_sleep = [fault], 0.6
    t = teacher_for(fake_openai)
    out = t.ask([req(0)])
    assert isinstance(out[0], ErrorAnalysis)
    row = t.usage.rows()[0]
    assert row["reasons"] == {REASON[fault]: 1} and row["calls"] == 2 and row["ok"] == 1 and row["failed"] == 0
    assert fake_openai.counts[fault] == 1


def test_an_error_object_in_an_http_200_body_is_a_server_error_and_its_message_is_shown(fake_openai):
    fake_openai.faults = ["error_200"] * 2
    t = teacher_for(fake_openai, max_retries=1)
    with pytest.raises(TeacherFailed, match=r"analysis: 1 of 1 requests failed \(100%; server_error 1 \(HTTP 200: "
                                            r"upstream model overloaded\)\)"):
        t.ask([req(0)])
    row = t.usage.rows()[0]
    assert row["calls"] == 2 == fake_openai.counts["requests"] and row["reasons"] == {"server_error": 2}


def test_mixed_faults_batch_completes(fake_openai):
    faults = ["429", "malformed", "500", "refusal", "truncated", "bad_schema", "ok", "429"]
    fake_openai.faults = list(faults)
    t = teacher_for(fake_openai, workers=4, max_attempts=len(faults), max_retries=len(faults))   # none runs out
    reqs = [req(i, s) for i, s in enumerate([ErrorAnalysis, Pattern, Strategy, NewSamples, QualityScore] * 2)]
    out = t.ask(reqs)
    assert all(isinstance(o, r.schema) for o, r in zip(out, reqs))
    assert sum(sum(r["reasons"].values()) for r in t.usage.rows()) == len(faults) - 1   # "ok" is no failure
    assert t.usage.total_calls == len(reqs) + len(faults) - 1 == fake_openai.counts["requests"]


def test_request_failing_every_attempt_is_none_and_counted(fake_openai):
    fake_openai.responder = lambda body: ({"wrong": 1} if "poison" in json.dumps(body["messages"])
                                          else dict(SAMPLES["ErrorAnalysis"]))
    t = teacher_for(fake_openai, max_attempts=3)
    out = t.ask([req(0), req(1, text="poison"), req(2)])
    assert out[1] is None and isinstance(out[0], ErrorAnalysis) and isinstance(out[2], ErrorAnalysis)
    row = t.usage.rows()[0]
    assert row["failed"] == 1 and row["ok"] == 2 and row["reasons"] == {"schema": 3} and row["calls"] == 5


@pytest.mark.parametrize("status", [400, 422, 500])
def test_schema_fallback_to_json_mode_is_remembered(fake_openai, capsys, status):
    # 500: llama-cpp-python's own server answers a json_schema response format that way
    fake_openai.supports_schema, fake_openai.format_status = False, status
    t = teacher_for(fake_openai, workers=1)
    out = t.ask([req(i, s) for i, s in enumerate([ErrorAnalysis, NewSamples, QualityScore])])
    assert all(o is not None for o in out) and t.backend.caps_for("fake-a").level == 1
    assert "json_object" in capsys.readouterr().err
    assert fake_openai.counts["rejected_format"] == 3   # once per model: caps are kept per model
    later = fake_openai.requests[-1]["body"]
    assert later["response_format"] == {"type": "json_object"}
    assert "QualityScore" in later["messages"][0]["content"] and "JSON schema" in later["messages"][0]["content"]
    # a format step-down is one more call, counted: the usage table says what the server received
    assert t.usage.total_calls == fake_openai.counts["requests"] == 6
    assert t.usage.rows()[0]["reasons"] == {"adapted": 1}


def test_fallback_to_plain_text(fake_openai):
    fake_openai.supports_schema = fake_openai.supports_json_mode = False
    t = teacher_for(fake_openai, workers=1)
    out = t.ask([req(0, Strategy), req(1, Pattern)])
    assert all(o is not None for o in out) and t.backend.caps_for("fake-a").level == 2
    assert fake_openai.counts["rejected_format"] == 2 and "response_format" not in fake_openai.requests[-1]["body"]


def test_every_level_states_the_reply_fields(fake_openai):
    t = teacher_for(fake_openai, workers=1)
    t.ask([req(0)])
    system = fake_openai.requests[-1]["body"]["messages"][0]["content"]
    assert "response_format" in fake_openai.requests[-1]["body"] and "JSON schema" not in system
    for name, field in ErrorAnalysis.model_fields.items():
        assert f"`{name}` (string): {field.description}" in system
    from pada_lite.teacher.backends.openai_api import field_lines
    lines = field_lines(NewSamples)
    assert lines[0].startswith("- `samples` (a list of objects): the new examples")
    assert lines[1].startswith("  - `input` (string): the new input") and lines[2].startswith("  - `output` (string)")


def test_other_bad_request_stops_the_batch_at_once(fake_openai):
    fake_openai.faults = ["400"]
    t = teacher_for(fake_openai, workers=1)
    with pytest.raises(TeacherFailed, match=r"refused a request to fake-a during analysis \(HTTP 400: invalid 'messages'"):
        t.ask([req(i) for i in range(5)])
    assert fake_openai.counts["requests"] == 1 and t.usage.rows()[0]["reasons"] == {"bad_request": 1}


def test_backend_bug_is_counted_warned_and_retried(capsys):
    t = Teacher(StandIn(interrupt_at=1, exc=TypeError), MODELS, workers=1, progress=False)
    out = t.ask([req(0), req(1)])
    assert "TypeError from the backend, retried: stand-in failure" in capsys.readouterr().err
    assert all(o is not None for o in out) and t.usage.rows()[0]["reasons"] == {"error:TypeError": 1}


# ---------------------------------------------------------------- cache and interrupts
def test_cache_second_ask_sends_nothing(fake_openai, tmp_path):
    reqs = [req(i, s) for i, s in enumerate([ErrorAnalysis, Pattern, Strategy, NewSamples, QualityScore] * 2)]
    t1 = teacher_for(fake_openai, tmp_path, prices={"fake-a": (1.0, 2.0)})
    first = t1.ask(reqs)
    assert fake_openai.counts["requests"] == 10 and t1.usage.total_cost > 0
    t2 = teacher_for(fake_openai, tmp_path, prices={"fake-a": (1.0, 2.0)})
    again = t2.ask(reqs)
    assert again == first and fake_openai.counts["requests"] == 10
    assert t2.usage.total_calls == 0 and t2.usage.total_cost == 0 and t2.usage.total_hits == 10 and t2.sent == []
    # context is not part of the key; the seed is
    reqs[0].context = {"tags": ["jargon"]}
    t2.ask([reqs[0], req(0, seed=1)])
    assert [r.seed for _, r in t2.sent] == [1]
    lines = (tmp_path / "cache.jsonl").read_text().splitlines()
    assert ReplyCache(tmp_path).path == tmp_path / "teacher_cache.jsonl"   # a folder gets the default name
    assert len(lines) == 11 and {"key", "model", "role", "stage", "reply", "cost_usd"} <= set(json.loads(lines[0]))


def test_duplicates_in_one_batch_are_sent_once():
    t = Teacher(StandIn(), MODELS, workers=4, progress=False)
    out = t.ask([req(0), req(1), req(0), req(0)])
    assert len(t.sent) == 2 and out[0] == out[2] == out[3] and out[0] is not out[2]
    assert t.usage.rows()[0]["hits"] == 2


@pytest.mark.parametrize("workers", [1, 4])
def test_interrupted_ask_then_repeated_sends_only_the_rest(tmp_path, workers):
    reqs = [req(i) for i in range(12)]
    backend = StandIn(delay=0.01, interrupt_at=6)
    t = Teacher(backend, MODELS, cache=tmp_path / "c.jsonl", workers=workers, progress=False)
    with pytest.raises(KeyboardInterrupt):
        t.ask(reqs)
    for th in threading.enumerate():   # calls already in flight finish in the background
        if th.name.startswith("pada-teacher"):
            th.join(5)
    answered = len((tmp_path / "c.jsonl").read_text().splitlines())
    assert 5 <= answered < 12 and (workers > 1 or answered == 5)
    t2 = Teacher(StandIn(), MODELS, cache=tmp_path / "c.jsonl", workers=workers, progress=False)
    out = t2.ask(reqs)
    assert all(o is not None for o in out) and len(t2.sent) == 12 - answered
    assert t2.usage.total_hits == answered


CHILD = """
import json, sys, time
from pada_lite.teacher.core import Completion, Teacher
from pada_lite.teacher.schemas import ErrorAnalysis, Request
class Slow:
    name, simulated = "slow", False
    def complete(self, request, model):
        time.sleep(0.05)
        return Completion(json.dumps({"error_scenario": "s", "root_cause": "c"}), 10, 5)
    def describe(self):
        return "slow"
reqs = [Request("analyst", "analysis", [{"role": "user", "content": f"q {i}"}], ErrorAnalysis) for i in range(60)]
Teacher(Slow(), {"analyst": "a", "generator": "g", "checker": "c"}, cache=sys.argv[1], workers=2, progress=False).ask(reqs)
"""


def test_killed_process_keeps_answered_calls_and_a_truncated_line_is_tolerated(tmp_path, capsys):
    cache = tmp_path / "c.jsonl"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), str(cache)], env=env, cwd=tmp_path)
    deadline = time.time() + 20
    while time.time() < deadline and (not cache.exists() or len(cache.read_text().splitlines()) < 6):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = [ln for ln in cache.read_text().splitlines() if ln.strip()]
    assert 6 <= len(kept) < 60, "the child finished before it could be killed"
    with open(cache, "a") as f:
        f.write('{"key": "half a line')   # as if killed in the middle of a write
    reqs = [Request("analyst", "analysis", [{"role": "user", "content": f"q {i}"}], ErrorAnalysis) for i in range(60)]
    capsys.readouterr()
    t = Teacher(StandIn(), {"analyst": "a", "generator": "g", "checker": "c"}, cache=cache, progress=False)
    assert t.cache.skipped_lines == 1
    t.ask(reqs[:3])
    err = capsys.readouterr().err   # said once, when the cache is read, not for every request
    assert err.count("skipped 1 unreadable line(s)") == 1 and "asked again" in err
    assert all(o is not None for o in t.ask(reqs)) and len(t.sent) == 60 - len(kept)
    t3 = Teacher(StandIn(), {"analyst": "a", "generator": "g", "checker": "c"}, cache=cache, progress=False)
    t3.ask(reqs)
    assert t3.sent == [] and t3.cache.skipped_lines == 1 and len(t3.cache.records) == 60


# ---------------------------------------------------------------- budget and prices
def test_budget_cap_holds_strictly_with_8_workers():
    # every call costs exactly the first call's reserved bound, so without reservations 8 workers would overshoot
    price = (1000.0, 1000.0)
    prices = dict.fromkeys(MODELS.values(), price)
    probe = Teacher(StandIn(), MODELS, budget_usd=1.0, prices=prices, progress=False)
    r0 = req(10, max_tokens=50)
    est = probe.bound(r0, "fake-a")

    def exact(request):
        chars = sum(len(m["content"]) for m in request.messages) + len(json.dumps(ErrorAnalysis.model_json_schema(),
                                                                                   sort_keys=True))
        return int(chars / 3) + 8 * len(request.messages) + 8, request.max_tokens

    t = Teacher(StandIn(delay=0.02, tokens=exact), MODELS, budget_usd=10.5 * est, prices=prices, workers=8, progress=False)
    out = t.ask([req(i, max_tokens=50) for i in range(10, 50)])   # the same prompt length as r0
    row = t.usage.rows()[0]
    assert t.spent_usd <= t.budget_usd and t.usage.total_cost <= t.budget_usd and t.budget_exhausted
    # a call that does not fit while others are in flight waits for them: the budget is used to the last call
    assert row["ok"] == 10 and row["skipped"] == 30 == row["reasons"]["budget"] and out.count(None) == 30


def test_budget_cap_against_the_endpoint(fake_openai):
    fake_openai.latency = 0.02
    t = teacher_for(fake_openai, workers=8, budget_usd=0.05,
                    prices=dict.fromkeys(MODELS.values(), (100.0, 100.0)))
    out = t.ask([req(i) for i in range(40)])
    assert 0 < out.count(None) < 40 and t.budget_exhausted and t.usage.total_cost <= 0.05
    assert t.usage.rows()[0]["reasons"]["budget"] == out.count(None)


def test_a_budget_stop_says_what_did_not_fit_in_what_was_left():
    prices = dict.fromkeys(MODELS.values(), (1.0, 60.0))
    t = Teacher(StandIn(), MODELS, budget_usd=0.005, prices=prices, progress=False)
    worst = t.bound(req(0), "fake-a")
    assert worst > 0.005   # one call's prompt and completion limit is more than the whole budget
    assert t.budget_note() is None and t.ask([req(i) for i in range(3)]) == [None] * 3
    assert t.budget_note() == (f"the next request could cost up to ${worst:.4f} (prompt and completion limit), more "
                               "than the $0.0050 left of --budget 0.005; raise --budget")


def test_price_override_unknown_model_and_simulated(fake_openai):
    assert price_of("gpt-4o-mini") == PRICES["gpt-4o-mini"] == price_of("gpt-4o-mini-2024-07-18")
    assert price_of("nobody-knows") is None and price_of("gpt-4o", {"gpt-4o": (1, 1)}) == (1, 1)
    with pytest.raises(TeacherUnusable, match="fake-c, fake-g have none: give it with --price fake-c=IN,OUT"):
        teacher_for(fake_openai, prices={"fake-a": (1.0, 2.0)}, budget_usd=10.0)
    t = teacher_for(fake_openai, prices={"fake-a": (1.0, 2.0)})   # without a budget, an unknown price is only unknown
    t.ask([req(0), req(1, NewSamples)])
    a, g = t.usage.rows()
    assert a["cost_usd"] > 0
    assert a["cost_usd"] == pytest.approx((a["prompt_tokens"] * 1.0 + a["completion_tokens"] * 2.0) / 1e6)
    assert g["cost_usd"] == 0 and g["price"] == "price unknown" and "price unknown" in t.usage.table()
    sim = StandIn()
    sim.simulated = True
    ts = Teacher(sim, {"analyst": "gpt-4o", "generator": "gpt-4o", "checker": "gpt-4o"}, progress=False)
    ts.ask([req(0)])
    assert ts.usage.total_cost == 0 and ts.usage.rows()[0]["price"] == "simulated (free)"


def test_the_run_wide_accounts_name_the_price_given(fake_openai, tmp_path):
    """summary.json's "teacher" rows come from `paid_usage`: a --price given price labels them too."""
    from pada_lite.teacher.core import paid_usage
    t = teacher_for(fake_openai, tmp_path, prices={"fake-a": (0.15, 0.6)})
    t.ask([req(0), req(1, NewSamples)])
    rows = {r["model"]: r for r in paid_usage(tmp_path / "cache.jsonl", t.price_label).rows()}
    assert rows["fake-a"]["price"] == "0.15/0.6 per 1M" and rows["fake-a"]["cost_usd"] > 0
    assert rows["fake-g"]["price"] == "price unknown"
    assert {r["model"]: r["price"] for r in t.usage.rows()} == {m: r["price"] for m, r in rows.items()}


def test_usage_round_trip_and_groupings(fake_openai):
    t = teacher_for(fake_openai)
    t.ask([req(0), req(1, Pattern), req(2, NewSamples), req(3, QualityScore)])
    u = Usage.from_dict(json.loads(json.dumps(t.usage.to_dict())))
    assert u.rows() == t.usage.rows() and u.table() == t.usage.table()
    assert {r["role"]: r["requests"] for r in u.rows(by="role")} == {"analyst": 2, "generator": 1, "checker": 1}
    assert [r["stage"] for r in u.rows(by="stage")] == ["analysis", "patterns", "generation", "qc"]
    with pytest.raises(ValueError, match="by="):
        u.rows(by="model")


# ---------------------------------------------------------------- the key
def test_api_key_sent_in_header_but_written_nowhere(fake_openai, tmp_path, capsys):
    fake_openai.faults = ["ok", "401"]
    t = teacher_for(fake_openai, tmp_path, workers=1)
    t.ask([req(0)])
    with pytest.raises(TeacherFailed) as failed:
        t.ask([req(1), req(2)])
    assert t.usage.rows()[0]["reasons"] == {"auth": 1} and fake_openai.counts["requests"] == 2   # not retried
    assert all(r["headers"].get("authorization") == f"Bearer {KEY}" for r in fake_openai.requests)
    (tmp_path / "usage.json").write_text(json.dumps(t.usage.to_dict()))
    texts = [repr(t), t.describe(), repr(t.backend), t.backend.describe(), t.usage.table(), repr(t.usage),
             str(t.usage.to_dict()), str(failed.value), *capsys.readouterr()]
    assert "rejected the API key" in str(failed.value) and not any(KEY in s or KEY[-4:] in s for s in texts)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not any(KEY.encode() in p.read_bytes() for p in files)


def test_resolve_api_key(monkeypatch):
    for name in ("PADA_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", None)   # not on Colab
    assert resolve_api_key(prompt=False) is None
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai")
    monkeypatch.setenv("PADA_API_KEY", " from-pada ")
    assert resolve_api_key() == "from-pada"
    monkeypatch.delenv("PADA_API_KEY")
    monkeypatch.delenv("OPENAI_API_KEY")
    colab = type(sys)("google.colab")
    colab.userdata = type("U", (), {"get": staticmethod(lambda name: {"OPENAI_API_KEY": "from-colab"}[name])})
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert resolve_api_key() == "from-colab" and resolve_api_key(colab_secret="MISSING", prompt=False) is None
    import pada_lite.teacher.backends.openai_api as ob
    monkeypatch.setattr(ob, "_interactive", lambda: True)
    monkeypatch.setattr(ob.getpass, "getpass", lambda prompt: "typed")
    assert resolve_api_key(colab_secret=None) == "typed" and resolve_api_key(colab_secret=None, prompt=False) is None


# ---------------------------------------------------------------- make_teacher
def test_make_teacher_choices_and_errors(fake_openai, monkeypatch, capsys):
    with pytest.raises(ValueError, match="'sim', 'openai'"):
        make_teacher("gpt")
    with pytest.raises(ValueError, match="unknown role"):
        make_teacher("openai", models={"writer": "x"}, base_url=fake_openai.base_url)
    with pytest.raises(ValueError, match="no model for role"):
        Teacher(StandIn(), {"analyst": "a"})
    for name in ("PADA_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", None)
    import pada_lite.teacher.backends.openai_api as ob
    monkeypatch.setattr(ob, "_interactive", lambda: False)
    with pytest.raises(TeacherUnusable, match="PADA_API_KEY"):
        make_teacher("openai", base_url="https://api.example.com/v1")
    t = make_teacher("openai", base_url=fake_openai.base_url, progress=False)   # a local server needs no key
    assert t.models == {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-mini"}
    assert t.describe() == (f"openai endpoint {fake_openai.base_url}: analyst=gpt-4.1-mini, "
                            "generator=gpt-4o-mini, checker=gpt-4.1-mini")
    t.ask([req(0)])
    assert fake_openai.requests[-1]["headers"]["authorization"] == "Bearer not-needed"
    capsys.readouterr()
    t = make_teacher("openai", models="llama3", base_url=fake_openai.base_url, api_key=KEY)
    assert set(t.models.values()) == {"llama3"} and "same model" in capsys.readouterr().out
    t = make_teacher("openai", models={"checker": "gpt-4o"}, base_url=fake_openai.base_url, api_key=KEY)
    assert t.models["checker"] == "gpt-4o" and t.models["generator"] == "gpt-4o-mini"


def test_scrub_hides_secret_fields_only():
    from pada_lite.loop.runs import scrub
    got = scrub({"api_key": "k", "OPENAI_API_KEY": "k", "hf_token": "t", "token": "t", "password": "p",
                 "authorization": "Bearer k", "nested": [{"access_token": "t", "prompt_tokens": 12}],
                 "prompt_tokens": 10, "completion_tokens": 5, "reasoning_tokens": 2, "max_tokens": 256,
                 "tokenizer": "tiny", "tokens": 3})
    assert {k for k, v in got.items() if v == "<hidden>"} == {"api_key", "OPENAI_API_KEY", "hf_token", "token",
                                                               "password", "authorization"}
    assert got["nested"] == [{"access_token": "<hidden>", "prompt_tokens": 12}] and got["max_tokens"] == 256
    u = Usage()
    u.add("analyst", "analysis", "m", prompt_tokens=10, completion_tokens=5, reasoning_tokens=2)
    assert Usage.from_dict(scrub(u.to_dict())).rows() == u.rows()
    assert Usage.from_dict({"rows": [{"role": "a", "stage": "qc", "model": "m", "from_a_newer_kit": 1}]}).rows()[0]["calls"] == 0


def test_a_bad_reply_is_asked_again_with_sampling_and_cached_under_the_request(fake_openai, tmp_path):
    fake_openai.faults = ["malformed", "truncated"]
    t = teacher_for(fake_openai, tmp_path, workers=1)
    assert isinstance(t.ask([req(0)])[0], ErrorAnalysis)
    sent = [(r["body"]["temperature"], r["body"]["seed"]) for r in fake_openai.requests]
    # a greedy server gives the same bad reply to the same request: the retries sample, with new seeds
    assert sent[0] == (0.0, 0) and sent[1][0] == sent[2][0] == 0.5 and len({s for _, s in sent}) == 3
    again = teacher_for(fake_openai, tmp_path)
    assert isinstance(again.ask([req(0)])[0], ErrorAnalysis) and again.usage.total_calls == 0
