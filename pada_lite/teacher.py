"""The teacher: sends the agents' `Request`s to a backend and returns validated replies.

`Teacher.ask(requests)` returns one item per request, in order: the pydantic reply, or None
when that request failed or was skipped because the budget is spent; `usage` says what
happened, per role and stage, and every HTTP request sent is one `call` in it.
- Before any work, `preflight()` proves each model answers and learns what it accepts
  (`preflight.py`); a teacher that cannot be used raises `TeacherUnusable` with one line.
- Cache: answered requests come from `teacher_cache.jsonl` (`cache.py`); a run killed mid-`ask`
  keeps every reply already paid for, and asking again sends only the rest. Each call to a real
  endpoint is written to the call log before it is sent, so a call whose outcome was never
  booked (Ctrl-C, kill -9) is counted `abandoned (may be billed)` at its worst case.
- Context: a reply cut where prompt + reply fill the server's known context, or a refusal that
  says the request does not fit, is `context_full`: never asked again at the same size, and the
  stage's line says how to give the server more context (`context_advice`).
- Retries: a bad reply (invalid JSON, wrong fields, refusal, truncation) is asked again up to
  `max_attempts` times, with some sampling (`retry_of`); a rate limit, server error, timeout or lost connection up to
  `max_retries` times, with backoff that honours `retry-after`. A refusal the backend can adapt
  to (an unsupported parameter or reply format) is sent again, adapted, at once.
- Failing loudly: a request that cannot succeed (a rejected key, an unknown model, a bad
  request) stops the batch at once with `TeacherFailed`; so does a batch where more than
  `max_failed_share` of the requests failed; below that a warning names the stage, the share
  and the reasons (with the endpoint's last message for each error). Requests that failed for
  a transient reason are counted in
  `transient_failed`, so the orchestrator can avoid saving their stage as complete.
- Budget: the cap covers the whole run (what the run folder shows was spent before counts);
  each call first reserves the most it can cost; a call that does not fit while others are in
  flight waits for them, and the budget is spent when one call alone no longer fits
  (`budget_note()` says by how much); abandoned calls count at their worst case.
- Calls run on daemon threads behind a progress bar. Ctrl-C returns within about a second: no
  request is sent after it, calls in flight get that second to land in the cache, then they
  are abandoned (and counted so) and the connections closed.

It deliberately does not build prompts (`prompts.py`), know any endpoint's wire format
(`openai_backend.py`) or invent replies (`sim.py`). `context` is no part of the cache key:
only the simulated backend reads it.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .budget import Budget
from .cache import CallLog, ReplyCache, cache_key, run_usage, schema_json
from .pricing import ABANDONED, Usage, cost, price_label, price_of, prompt_chars, upper_bound
from .replies import (FATAL, TRANSIENT, ReplyError, backoff, context_size, error_body, error_reason,  # noqa: F401
                      one_line, parse_reply)
from .schemas import ROLES, Request
from .teacher_types import Backend, Completion, TeacherError, TeacherFailed, TeacherUnusable, context_advice

# subtle: the shared types and errors live in teacher_types.py; they are named here too, so that
# `from pada_lite.teacher import TeacherFailed` (and the rest) keeps working
__all__ = ["Teacher", "make_teacher", "paid_usage", "Backend", "Completion", "TeacherError", "TeacherFailed",
           "TeacherUnusable", "context_advice", "Usage"]

KINDS = ("sim", "openai")
RETRY_TEMPERATURE = 0.5   # the least temperature of a request asked again after a bad reply
SHOWN = {"generation", "qc"}   # stages whose prompts show training examples (--shots) or ask for samples (--chunk)
DEFAULT_MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-mini"}


def retry_of(r: Request, bad: int) -> Request:
    """What is sent after `bad` bad replies: the request itself at first, then with some sampling
    and a new seed (a greedy server answers the same prompt with the same bad reply every time).
    The reply is still cached under the request's own key."""
    if not bad:
        return r
    return replace(r, temperature=max(r.temperature, RETRY_TEMPERATURE), seed=r.seed + 7919 * bad)


class Teacher:
    def __init__(self, backend: Backend, models: dict[str, str], cache: str | Path | None = None,
                 budget_usd: float | None = None, prices: dict[str, tuple[float, float]] | None = None,
                 workers: int = 8, max_attempts: int = 3, max_retries: int = 4, max_failed_share: float = 0.5,
                 progress: bool = True):
        missing = [r for r in ROLES if r not in (models or {})]
        if missing:
            raise ValueError(f"models: no model for role(s) {missing}; give one per role in {ROLES}")
        if workers < 1 or max_attempts < 1 or max_retries < 0:
            raise ValueError(f"workers={workers}, max_attempts={max_attempts}, max_retries={max_retries}: "
                             "workers and attempts must be at least 1, retries at least 0")
        if not 0 <= max_failed_share <= 1:
            raise ValueError(f"max_failed_share={max_failed_share}: give a share between 0 and 1")
        self.backend, self.models, self.prices = backend, dict(models), dict(prices or {})
        self.workers, self.progress = workers, progress
        self.max_attempts, self.max_retries, self.max_failed_share = max_attempts, max_retries, max_failed_share
        unpriced = sorted({m for m in self.models.values() if self._price(m) is None})
        if budget_usd is not None and unpriced:
            raise TeacherUnusable(f"a budget needs a price for every model, and {', '.join(unpriced)} "
                                  f"{'has' if len(unpriced) == 1 else 'have'} none: give it with "
                                  f"--price {unpriced[0]}=IN,OUT (USD per 1M input and output tokens; prices= in Python)")
        self.cache = ReplyCache(cache)
        self.log = CallLog(self.cache.path)
        if self.cache.skipped_lines + self.log.skipped_lines:
            print(f"teacher: skipped {self.cache.skipped_lines + self.log.skipped_lines} unreadable line(s) in "
                  f"{self.cache.path.parent} (cut by a killed run); those calls will be asked again", file=sys.stderr)
        self.usage, self.sent, self.transient_failed = Usage(), [], 0
        self.checked, self.preflight_lines = bool(backend.simulated), []
        # subtle: the cap covers the whole run, so spending starts from what earlier sessions paid
        self.budget = Budget(budget_usd, run_usage(self.cache.path).total_cost
                             if self.cache.path and budget_usd is not None else 0.0)
        self._lock = threading.Lock()   # the teacher's own shared state below, written by every worker
        self._tokens_per_char: dict[str, float] = {}
        self._said: set[str] = set()
        self._messages: dict[str, str] = {}   # endpoint error reason -> its last message
        self._context_asked: set[str] = set()

    def context(self, model: str, learn: bool = False) -> tuple[int | None, int]:
        """(the server's context per request, if known; its slots). `learn`: ask the server once per
        model when the pre-flight did not (--no-preflight), at the first reply cut short."""
        caps = self.backend.caps_for(model) if hasattr(self.backend, "caps_for") else None
        if caps is None:
            return None, 1
        with self._lock:
            ask = learn and caps.context is None and model not in self._context_asked
            self._context_asked |= {model} if ask else set()
        if ask and hasattr(self.backend, "learn_context"):
            self.backend.learn_context(model)
        return caps.context, caps.slots

    def _price(self, model: str):
        return (0.0, 0.0) if self.backend.simulated else price_of(model, self.prices)

    def price_label(self, model: str) -> str:
        return price_label(self._price(model), self.backend.simulated)

    def _row(self, r: Request) -> tuple[str, str, str, str]:
        model = self.models[r.role]
        return r.role, r.stage, model, self.price_label(model)

    @property
    def spent_usd(self) -> float:
        """Spent over the whole run: earlier sessions (when a budget is set) and this one."""
        return self.budget.spent

    @property
    def budget_usd(self) -> float | None:
        return self.budget.cap

    @property
    def spent_before(self) -> float:
        return self.budget.spent_before

    @property
    def budget_exhausted(self) -> bool:
        return self.budget.exhausted

    @property
    def budget_stop(self) -> tuple[float, float] | None:
        return self.budget.stop

    def budget_note(self) -> str | None:
        """Why the budget stopped the teacher, in one line that says what to do; None while it has not."""
        return self.budget.note()

    def describe(self) -> str:
        if self.backend.simulated:
            return self.backend.describe()
        return f"{self.backend.describe()}: " + ", ".join(f"{r}={self.models[r]}" for r in ROLES)

    def __repr__(self) -> str:
        return f"Teacher({self.describe()})"

    def say_once(self, text: str) -> None:
        """A line on stderr, once per teacher (a warning that would repeat for every request)."""
        if text not in self._said:
            self._said.add(text)
            print(f"teacher: {text}", file=sys.stderr)

    def preflight(self, quiet: bool = False, requests: list | None = None) -> list[str]:
        """Check every model before any work (once); raises `TeacherUnusable` with one line.
        `requests`: [(what, Request)], the largest a run will send: each must fit in the context
        the check learnt (compared on every call: a notebook checks first and runs later)."""
        from .preflight import check_context, preflight
        if not self.checked:
            self.preflight_lines, self.checked = preflight(self), True
            for line in self.preflight_lines if not quiet else ():
                print(f"teacher check: {line}")
        check_context(self, requests or [])
        return self.preflight_lines

    # ------------------------------------------------------------ budget
    def bound(self, r: Request, model: str) -> float:
        """The most this call can cost (0 without a price)."""
        price = self._price(model)
        if not price:
            return 0.0
        cap = self.backend.token_cap(r, model) if hasattr(self.backend, "token_cap") else r.max_tokens
        return upper_bound(price, prompt_chars(r.messages, len(schema_json(r.schema))), len(r.messages), cap,
                           self._tokens_per_char.get(model, 0.0))

    def record(self, row, c: Completion | None, spent: float, reason: str | None, ok: bool = False,
               final: bool = False, call: str | None = None) -> None:
        """Book the outcome of call `call` when it will not be in the cache (a failed attempt or a
        check) in the call log."""
        self.log.append({"call": call, "role": row[0], "stage": row[1], "model": row[2], "reason": reason, "ok": ok,
                         "final": final,
                         "prompt_tokens": c.prompt_tokens if c else 0, "completion_tokens": c.completion_tokens if c else 0,
                         "reasoning_tokens": c.reasoning_tokens if c else 0, "cost_usd": spent, "time": round(time.time(), 3)})

    def _book(self, row, r: Request, c: Completion, spent: float) -> None:
        """The tokens and cost of an answered call, and what it says about tokens per character."""
        self.usage.add(*row, prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens,
                       reasoning_tokens=c.reasoning_tokens, cost_usd=spent)
        chars, model = prompt_chars(r.messages, len(schema_json(r.schema))), row[2]
        if c.prompt_tokens and chars:
            with self._lock:
                self._tokens_per_char[model] = max(self._tokens_per_char.get(model, 0.0), c.prompt_tokens / chars)

    # ------------------------------------------------------------ one request
    def send(self, r: Request, model: str, abort: threading.Event):
        """One HTTP call, its cost reserved first, written to the call log before it is sent and
        its cost booked after: (completion, error, spent, call id), or None when the budget cannot
        cover it. The caller books its outcome under that id. A call that fails after an interrupt
        was abandoned: it is spent at its worst case, since the server may answer and bill it."""
        bound = self.bound(r, model)
        if not self.budget.reserve(bound, abort):
            return None
        self.usage.add(*self._row(r), calls=1)
        self.sent.append((model, r))
        call = self._log_sent(r, model, bound)
        c = err = None
        try:
            c = self.backend.complete(r, model)
        except Exception as e:   # endpoint trouble is counted, never raised here
            err = e
        finally:   # subtle: release the reservation and book the real cost in one step
            spent = (cost(self._price(model), c.prompt_tokens, c.completion_tokens) if c is not None
                     else bound if err is not None and abort.is_set() else 0.0)
            self.budget.settle(bound, spent)
        return c, err, spent, call

    def _log_sent(self, r: Request, model: str, worst: float) -> str | None:
        """The call log's `sent` record, flushed before the call goes out (a simulated call is never billed)."""
        if self.backend.simulated:
            return None
        call = uuid.uuid4().hex[:16]
        self.log.append({"sent": call, "role": r.role, "stage": r.stage, "model": model, "worst_usd": worst,
                         "time": round(time.time(), 3)})
        return call

    def _call(self, r: Request, key: str, abort: threading.Event, fatal: list) -> tuple[BaseModel | None, str | None]:
        """One request, asked until it is answered or has failed for good: (reply, None), or
        (None, the reason of its last failure); (None, None) when abandoned after an interrupt."""
        row, model, tries = self._row(r), self.models[r.role], Counter()
        while not abort.is_set():
            sent = self.send(retry_of(r, tries["bad"]), model, abort)
            if sent is None:
                self.usage.add(*row, reason="budget", skipped=1)
                return None, "budget"
            c, err, spent, call = sent
            if err is not None and abort.is_set():
                # abandoned after an interrupt: not a failure of the endpoint, but it may be billed; no
                # outcome is booked, so a later session reading the call log counts it the same way
                self.usage.add(*row, reason=ABANDONED, cost_usd=spent, abandoned_usd=spent)
                break
            if err is not None:
                failed = self._after_error(r, row, err, tries, fatal, abort, call)
            else:
                obj, failed = self._after_reply(r, row, key, c, spent, tries, call)
                if obj is not None:
                    return obj, None
            if failed is not None:
                return None, failed
        return None, None

    def _after_error(self, r, row, err, tries: Counter, fatal: list, abort: threading.Event, call=None) -> str | None:
        """None to send the request again, or the reason it failed for good."""
        model, reason = row[2], error_reason(err)
        status, _, msg = error_body(err)
        with self._lock:   # subtle: an auth error's message may echo part of the key: never keep it
            self._messages[reason] = "" if reason == "auth" else f"HTTP {status}: {one_line(msg, 120)}" if status else ""
        note = self.backend.adapt(model, err) if hasattr(self.backend, "adapt") and tries["adapted"] < 4 else None
        if note is not None:   # the endpoint said what it does not accept: send it again without that
            tries["adapted"] += 1
            self._count(row, "adapted", call=call)
            if note:
                self.say_once(f"{model} at {getattr(self.backend, 'base_url', '?')}: sending {note} from now on")
            return None
        if reason in FATAL:    # it would fail the same way again: stop the whole batch
            message = self.fatal_message(reason, err, r)   # subtle: outside the lock, it reads self.context
            with self._lock:
                fatal.append(message)
            abort.set()
            return self._fail(row, reason, call=call)
        kind = "transient" if reason in TRANSIENT else "bad"   # a bug or an unknown status counts as a bad reply
        tries[kind] += 1
        if tries[kind] > (self.max_retries if kind == "transient" else self.max_attempts - 1):
            return self._fail(row, reason, call=call)
        self._count(row, reason, call=call)
        if kind == "transient":
            abort.wait(backoff(tries[kind], err))   # subtle: an interrupt cuts the wait short
        else:
            self.say_once(f"{type(err).__name__} from the backend, retried: {one_line(err, 200)}")
        return None

    def _after_reply(self, r, row, key: str, c: Completion, spent: float, tries: Counter, call=None):
        """(the validated reply, None), (None, None) to ask again, or (None, why it failed for good)."""
        self._book(row, r, c, spent)
        try:
            if c.refusal:
                raise ReplyError("refusal", c.refusal)
            context = self.context(row[2], learn=c.finish_reason == "length")[0]
            if c.finish_reason == "length" and context and c.prompt_tokens + c.completion_tokens >= context:
                raise ReplyError("context_full", f"prompt and reply filled the server's {context} tokens")
            if c.finish_reason == "length":
                raise ReplyError("truncated", f"reply cut at max_tokens={r.max_tokens}")
            obj = parse_reply(c.text, r.schema)
        except ReplyError as e:
            tries["bad"] += 1
            # subtle: asked again the request would be as long, and fill the context again
            if tries["bad"] >= self.max_attempts or e.reason == "context_full":
                return None, self._fail(row, e.reason, c, spent, call)
            self._count(row, e.reason, c, spent, call)
            return None, None
        self.cache.put({"key": key, "call": call, "model": row[2], "role": r.role, "stage": r.stage,
                        "schema": r.schema.__name__, "reply": obj.model_dump(mode="json"),
                        "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                        "reasoning_tokens": c.reasoning_tokens, "cost_usd": spent})
        self.usage.add(*row, ok=1)
        return obj, None

    def _count(self, row, reason: str, c: Completion | None = None, spent: float = 0.0, call=None) -> None:
        """A failed attempt that will be tried again: counted, and booked in the call log."""
        self.usage.add(*row, reason=reason)
        self.record(row, c, spent, reason, call=call)

    def _fail(self, row, reason: str, c: Completion | None = None, spent: float = 0.0, call=None) -> str:
        """The last failed attempt of a request: counted, booked, and the request failed."""
        self.usage.add(*row, reason=reason, failed=1)
        self.record(row, c, spent, reason, final=True, call=call)
        return reason

    def fatal_message(self, reason: str, e: BaseException, r: Request) -> str:
        status, _, msg = error_body(e)
        url, model, flag = getattr(self.backend, "base_url", self.backend.describe()), self.models[r.role], f"--{r.role}-model"
        if reason == "auth":   # subtle: an auth error's message may echo part of the key: never show it
            return (f"{url} rejected the API key (HTTP {status}) during {r.stage}: set a valid key in PADA_API_KEY or "
                    "OPENAI_API_KEY")
        if reason == "not_found":
            return f"{url} has no model {model!r} (HTTP {status}: {one_line(msg, 160)}): check --model or {flag}"
        if reason == "context_full":
            known, slots = self.context(model)
            return (f"{url} refused a request to {model} during {r.stage} (HTTP {status}: {one_line(msg, 160)}): "
                    + context_advice(context_size(e) or known, slots, fewer=r.stage in SHOWN))
        return f"{url} refused a request to {model} during {r.stage} (HTTP {status}: {one_line(msg, 200)})"

    def _cached(self, r: Request, key: str) -> BaseModel | None:
        rec = self.cache.get(key)
        try:
            return r.schema.model_validate(rec["reply"]) if rec else None
        except ValidationError:
            return None

    # ------------------------------------------------------------ a batch
    def ask(self, requests: list[Request], desc: str | None = None) -> list[BaseModel | None]:
        """One validated reply (or None) per request, in order."""
        from tqdm.auto import tqdm

        out: list[BaseModel | None] = [None] * len(requests)
        todo: dict[str, list[int]] = {}   # key -> indices; duplicates in one batch are sent once
        for i, r in enumerate(requests):
            key = cache_key(self.models[r.role], r)
            self.usage.add(*self._row(r), requests=1)
            hit = None if key in todo else self._cached(r, key)
            if hit is not None:
                out[i] = hit
                self.usage.add(*self._row(r), hits=1)
            else:
                todo.setdefault(key, []).append(i)
        if not todo:
            return out
        bar = tqdm(total=len(requests), initial=len(requests) - sum(map(len, todo.values())),
                   desc=desc or "teacher", disable=not self.progress, leave=False)
        # subtle: one abort event per batch, so threads abandoned by an earlier interrupt stay stopped
        abort, fatal, failures, jobs, results = threading.Event(), [], Counter(), queue.Queue(), queue.Queue()
        for item in todo.items():
            jobs.put(item)

        def worker():
            while not abort.is_set():
                try:
                    key, idx = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    res = self._call(requests[idx[0]], key, abort, fatal)
                except BaseException as e:   # a bug, or a stand-in backend raising KeyboardInterrupt
                    abort.set()              # nothing more is sent; the caller raises it
                    res = e
                results.put((idx, res))

        threads = [threading.Thread(target=worker, daemon=True, name=f"pada-teacher-{k}")
                   for k in range(min(self.workers, len(todo)))]
        for t in threads:
            t.start()
        try:
            for _ in range(len(todo)):
                while True:
                    try:
                        idx, res = results.get(timeout=0.1)
                        break
                    except queue.Empty:
                        if fatal or not any(t.is_alive() for t in threads) and results.empty():
                            idx = None
                            break
                if idx is None:
                    break
                if isinstance(res, BaseException):
                    raise res
                (obj, reason) = res
                out[idx[0]] = obj
                if reason is not None and reason != "budget":
                    failures[reason] += len(idx)
                    self.transient_failed += len(idx) if reason in TRANSIENT else 0
                for j in idx[1:]:   # the same request again in this batch: a free copy
                    out[j] = obj.model_copy(deep=True) if obj is not None else None
                    self.usage.add(*self._row(requests[j]), **({"hits": 1} if obj is not None else {"failed": 1}))
                bar.update(len(idx))
        except BaseException:
            # subtle: on Ctrl-C nothing more is sent; calls in flight get a second to land in the
            # cache (they may be paid for), then they are abandoned and their connections closed
            self._stop(abort, threads)
            raise
        finally:
            bar.close()
        if fatal:
            self._stop(abort, threads)
            raise TeacherFailed(fatal[0])
        self._check_failures(requests, failures)
        return out

    def _stop(self, abort: threading.Event, threads: list, grace: float = 1.0) -> None:
        abort.set()
        deadline = time.monotonic() + grace
        try:
            for t in threads:   # a second Ctrl-C cuts the wait short
                t.join(max(0.0, deadline - time.monotonic()))
        finally:
            if hasattr(self.backend, "close"):
                self.backend.close()

    def _check_failures(self, requests: list[Request], failures: Counter) -> None:
        """Stop when more than max_failed_share of a batch failed; below that, say so."""
        n_failed = sum(failures.values())
        if not n_failed:
            return
        stages = ", ".join(dict.fromkeys(r.stage for r in requests))
        reasons = ", ".join(f"{k} {v}" + (f" ({self._messages[k]})" if self._messages.get(k) else "")
                            for k, v in failures.most_common(4))
        line = (f"{stages}: {n_failed} of {len(requests)} requests failed ({n_failed / len(requests):.0%}; {reasons})"
                f" at {self.backend.describe()}")
        if failures["context_full"]:
            context, slots = self.context(self.models[requests[0].role])
            line += f"; {context_advice(context, slots, fewer=bool(SHOWN & {r.stage for r in requests}))}"
        if n_failed > self.max_failed_share * len(requests):
            raise TeacherFailed(f"{line}; more than {self.max_failed_share:.0%} of a stage failed, so the run stops here")
        print(f"warning: teacher: {line}", file=sys.stderr)


def make_teacher(kind: str = "sim", *, models: str | dict | None = None, base_url: str | None = None,
                 api_key: str | None = None, cache: str | Path | None = None, budget_usd: float | None = None,
                 prices: dict | None = None, workers: int = 8, progress: bool = True, timeout: float = 60,
                 max_retries: int = 4, max_attempts: int = 3, max_failed_share: float = 0.5,
                 analyst_noise: float = 0.1, flaw_rate: float = 0.1, seed: int = 0) -> Teacher:
    """kind "sim": the simulated teacher (free, offline); "openai": any OpenAI-compatible endpoint.
    `models`: one model name for every role, or {role: model} over the defaults. `timeout`:
    seconds per request; `max_retries`: retries of a rate limit, server error or timeout."""
    if kind not in KINDS:
        raise ValueError(f"unknown teacher kind {kind!r}; use one of {KINDS}")
    if isinstance(models, str):
        models = dict.fromkeys(ROLES, models)
    unknown = sorted(set(models or {}) - set(ROLES))
    if unknown:
        raise ValueError(f"models: unknown role(s) {unknown}; the roles are {ROLES}")
    kw = dict(cache=cache, budget_usd=budget_usd, prices=prices, workers=workers, progress=progress,
              max_retries=max_retries, max_attempts=max_attempts, max_failed_share=max_failed_share)
    if kind == "sim":
        from .sim import SimBackend
        backend = SimBackend(analyst_noise, flaw_rate, seed)
        return Teacher(backend, {**backend.models, **(models or {})}, **kw)
    from .openai_backend import OpenAIBackend
    full = {**DEFAULT_MODELS, **(models or {})}
    if full["checker"] == full["generator"]:
        print(f"note: the checker and the generator are the same model ({full['checker']}): the checker then grades "
              "its own samples; give the checker a different model if you can")
    return Teacher(OpenAIBackend(base_url=base_url, api_key=api_key, timeout=timeout), full, **kw)


def paid_usage(cache: str | Path, price_label=None) -> Usage:
    """What a run has sent and paid for over all its sessions (`cache.run_usage`); give the teacher's
    `price_label` to name each row's price."""
    return run_usage(cache, price_label)
