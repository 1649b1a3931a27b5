"""The pre-flight check: before any training or teacher stage, prove the teacher can be used.

For every distinct model a teacher's roles use, a cheap real request (`{"ok": true}`, a few
tokens) proves that the URL answers, the key is accepted and the model exists, and learns what
the endpoint accepts: strict json_schema replies, JSON mode or plain text; `max_tokens` or
`max_completion_tokens`; a temperature and a seed, or neither. Each refusal that says what it
refused is adapted to and the check sent again, so a well-behaved endpoint costs one request
per model and a reasoning model or a picky local server a few more. A 5xx to a reply format
is tried once more, then that format is given up (llama-cpp-python's own server answers a
json_schema response format with HTTP 500). A reply that is not the JSON asked for (a server
that ignores the format) steps the format down too; when no format gives JSON, the teacher
cannot be used. The check also learns the server's context, where the server says it
(`OpenAIBackend.learn_context`), and its tokens per character; `check_context` then compares it
with the largest requests a run will send, so a run that cannot fit stops before it starts.

A replayed teacher (`backends/replay.py`) is asked nothing: its check is that the recorded file
holds replies of every role the run asks.

A teacher that cannot be used raises `TeacherUnusable` with one line naming the URL and the
model and saying what to do. Every check is counted in the teacher's usage (stage
"preflight") and booked in the run's call log, so the budget sees it.

It deliberately does not retry for long: a dead URL or a stalled server must fail in seconds.
"""
from __future__ import annotations

import threading
import time

from pydantic import BaseModel, Field

from pada_lite.teacher.backends.openai_api import LEVELS
from pada_lite.teacher.pricing import prompt_chars
from pada_lite.teacher.replies import ReplyError, context_size, error_body, error_reason, one_line, parse_reply, retry_after
from pada_lite.teacher.schemas import ROLES, Request
from pada_lite.teacher.base import SHOWN, TeacherUnusable, context_advice, key_rejected

MAX_CALLS = 12   # per model: adaptations and format steps included
PER_MESSAGE = 4  # tokens a chat template adds per message (and once more for the reply's start)


class Check(BaseModel):
    ok: bool = Field(description="always true")


def check_request(role: str) -> Request:
    return Request(role, "preflight", [{"role": "system", "content": "You are checking that an endpoint works."},
                                       {"role": "user", "content": 'Reply with the JSON object {"ok": true} and nothing else.'}],
                   Check, temperature=0.0, max_tokens=16, seed=0)


def preflight(teacher, requests: list | None = None) -> list[str]:
    """One line per model on what it accepts; raises TeacherUnusable for a teacher that cannot be used.
    `requests`: [(what, Request)] a run will send; a replayed teacher is checked for their roles only
    (all roles without them), since there is no endpoint to ask, only its records to read."""
    backend = teacher.backend
    if hasattr(backend, "check_roles"):
        return backend.check_roles([r for r in ROLES if not requests or any(q.role == r for _, q in requests)])
    if backend.simulated or not hasattr(backend, "adapt"):
        return []
    lines = []
    for model in dict.fromkeys(teacher.models[r] for r in ROLES):
        roles = [r for r in ROLES if teacher.models[r] == model]
        lines.append(check_model(teacher, model, roles))
    return lines


def _unusable(teacher, model: str, roles: list[str], reason: str, e: BaseException) -> TeacherUnusable:
    backend = teacher.backend
    url, (status, _, msg) = backend.base_url, error_body(e)
    flags = "--model" if len(roles) == len(ROLES) else " or ".join(["--model"] + [f"--{r}-model" for r in roles])
    if reason == "connection":
        cause = e.__cause__ or e.__context__
        what = "connection refused" if "refused" in f"{cause} {e}".lower() else one_line(cause or e, 120)
        return TeacherUnusable(f"cannot reach the teacher at {url} ({what}): is the server running and is --base-url right?")
    if reason == "timeout":
        return TeacherUnusable(f"{url} accepted the connection but sent no reply for {model} within {backend.timeout:g} s: "
                               "is the server stalled or still loading the model? (--timeout sets the wait)")
    if reason == "auth":
        return TeacherUnusable(key_rejected(url, status, f"for {model}"))
    if reason == "not_found":
        return TeacherUnusable(f"{url} has no model {model!r} (HTTP {status}: {one_line(msg, 120)}): check {flags}")
    if reason == "context_full":
        return TeacherUnusable(f"{url} refused even the check of {model} (HTTP {status}: {one_line(msg, 120)}): "
                               + context_advice(context_size(e), backend.caps_for(model).slots))
    if reason in ("rate_limit", "server_error"):
        return TeacherUnusable(f"{url} kept failing the check for {model} (HTTP {status}: {one_line(msg, 120)}): "
                               "try again later, or skip the check with --no-preflight")
    return TeacherUnusable(f"{url} refused a request to {model} (HTTP {status}: {one_line(msg, 160)}); "
                           "the kit could not adapt to it")


def check_model(teacher, model: str, roles: list[str]) -> str:
    backend, r = teacher.backend, check_request(roles[0])
    row, abort = teacher.row(r), threading.Event()
    t0, notes, tries = time.perf_counter(), [], {}
    teacher.usage.add(*row, requests=1)
    for _ in range(MAX_CALLS):
        sent = teacher.send(r, model, abort)
        if sent is None:
            raise TeacherUnusable(f"the budget is spent: not even the check of {model} fits in it; raise --budget")
        c, err, spent, call = sent
        level = backend.caps_for(model).level
        if err is not None:
            reason = error_reason(err)
            teacher.usage.add(*row, reason=reason)
            teacher.books.record(row, None, 0.0, reason, call=call)
            key = (reason, level)
            tries[key] = tries.get(key, 0) + 1
            note = backend.adapt(model, err)   # a refusal that says what it refused
            if note is None and reason == "connection" and tries[key] <= 2:   # a server may be a moment from listening
                time.sleep(0.5 * tries[key])
                continue
            if note is None and reason in ("rate_limit", "server_error") and tries[key] <= 1:
                time.sleep(min(retry_after(err) or 1.0, 5.0))
                continue
            if note is None and reason not in ("connection", "timeout", "rate_limit", "auth", "not_found", "context_full"):
                note = backend.adapt(model, err, probing=True)   # anything else refused: try the next reply format
            if note is None:
                raise _unusable(teacher, model, roles, reason, err)
            notes += [note] if note else []
            continue
        teacher.books.book(row, r, c, spent)
        try:
            if c.finish_reason == "length" and not c.text.strip():
                raise LookupError   # all spent on hidden reasoning: the format cannot be judged, and is kept
            if c.refusal:
                raise ReplyError("refusal", c.refusal)
            parse_reply(c.text, Check)
        except LookupError:
            teacher.books.record(row, c, spent, None, ok=True, call=call)
            break
        except ReplyError as e:
            teacher.books.record(row, c, spent, e.reason, call=call)
            if level + 1 < len(LEVELS):   # the server may ignore the format: a lower one puts the schema in the prompt
                backend.set_level(model, level + 1)
                continue
            raise TeacherUnusable(f"{backend.base_url} answered the check of {model} with {one_line(c.text, 60)!r}, not "
                                  f"the JSON asked for, in every reply format ({', '.join(LEVELS)}): use a server or "
                                  "model that writes JSON (llama.cpp's llama-server, Ollama, or vLLM with structured "
                                  "outputs), or a larger instruct model")
        teacher.books.record(row, c, spent, None, ok=True, call=call)
        _measure(backend, model, r, c)
        break
    else:
        raise TeacherUnusable(f"{backend.base_url}: the check of {model} did not settle in {MAX_CALLS} requests; "
                              "skip it with --no-preflight")
    teacher.usage.add(*row, ok=1)
    if hasattr(backend, "learn_context"):
        backend.learn_context(model)
    caps = backend.caps_for(model)
    return (f"{model} ({', '.join(roles)}) answered at {backend.base_url} in {time.perf_counter() - t0:.1f} s; "
            f"sending {caps.describe()}" + (f" ({'; '.join(notes)})" if notes else ""))


def _measure(backend, model: str, r: Request, c) -> None:
    """The server's tokens per character, from the check's prompt (the template's tokens taken out)."""
    chars = backend.sent_chars(r, model) if hasattr(backend, "sent_chars") else 0
    tokens = c.prompt_tokens - PER_MESSAGE * (len(r.messages) + 1)
    if chars and tokens > 0:
        backend.caps_for(model).tokens_per_char = tokens / chars


def needed_tokens(teacher, r: Request) -> int:
    """About the most tokens of context `r` can fill: its prompt as sent, at the measured tokens per
    character (else 1 per 3), and every completion token it may ask for."""
    backend, model = teacher.backend, teacher.models[r.role]
    chars = backend.sent_chars(r, model) if hasattr(backend, "sent_chars") else prompt_chars(r.messages)
    per_char = backend.caps_for(model).tokens_per_char if hasattr(backend, "caps_for") else 0.0
    cap = backend.token_cap(r, model) if hasattr(backend, "token_cap") else r.max_tokens
    return int(chars * (per_char or 1 / 3)) + PER_MESSAGE * (len(r.messages) + 1) + cap


def check_context(teacher, requests: list[tuple[str, Request]]) -> None:
    """Raise TeacherUnusable when the largest of `requests` ([(what, Request)]) cannot fit in the context
    a model's server said it has; a server that did not say is not checked."""
    for model in dict.fromkeys(teacher.models[r] for r in ROLES):
        context, slots = teacher.context(model)
        mine = [(needed_tokens(teacher, r), what, r) for what, r in requests if context and teacher.models[r.role] == model]
        if not mine:
            continue
        need, what, r = max(mine, key=lambda m: m[0])
        if need > context:
            advice = context_advice(context, slots, need, what, fewer=r.stage in SHOWN)
            raise TeacherUnusable(f"{teacher.backend.base_url} ({model}): {advice}")
