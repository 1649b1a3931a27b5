"""The teacher: sends the agents' `Request`s to a backend and returns validated replies.

`Teacher.ask(requests)` returns one item per request, in order: the pydantic reply, or None
when that request failed or was skipped because the budget is spent; `usage` says what
happened, per role and stage, and every HTTP request sent is one `call` in it.
- Before any work, `preflight()` proves each model answers and learns what it accepts
  (`preflight.py`); a teacher that cannot be used raises `TeacherUnusable` with one line.
- Cache: answered requests come from `teacher_cache.jsonl`; a run killed mid-`ask` keeps every
  reply already paid for, and asking again sends only the rest. Each call to a real endpoint is
  written to the call log before it is sent, so a call whose outcome was never booked (Ctrl-C,
  kill -9) is counted `abandoned (may be billed)` at its worst case. What is written where:
  `booking.py` (the books) over `cache.py` (the files).
- Retries (`retries.py`): a bad reply is asked again with some sampling, a transient error after
  a backoff, a refusal the backend can adapt to at once, adapted; a reply that filled the
  server's context (`context_full`) never at the same size. A request that cannot succeed (a
  rejected key, an unknown model, a bad request) stops the batch with `TeacherFailed`; so does a
  batch where more than `max_failed_share` of the requests failed; below that a warning names
  the stage, the share and the reasons. Requests that failed for a transient reason are counted
  in `transient_failed`, so the orchestrator can avoid saving their stage as complete.
- Budget (`budget.py`): the cap covers the whole run; each call first reserves the most it can
  cost (`bound`), and the budget is spent when one call alone no longer fits (`budget_note()`).
- Calls run on daemon threads (`pool.py`) behind a progress bar. Ctrl-C returns within about a
  second: no request is sent after it, calls in flight get that second to land in the cache,
  then they are abandoned (and counted so) and the connections closed.

It deliberately does not build prompts (`prompts.py`), know any endpoint's wire format
(`backends/openai_api.py`), invent replies (`backends/simulated.py`) or replay a recorded run's
(`backends/replay.py`). `context` is no part of the cache key: only the simulated backend reads it.
The types it shares with its backends are `teacher/base.py`.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from pada_lite import progress
from pada_lite.teacher import pool
from pada_lite.teacher.booking import Books
from pada_lite.teacher.budget import Budget
from pada_lite.teacher.cache import ReplyCache, cache_key, run_usage, schema_json
from pada_lite.teacher.pricing import Usage, cost, price_label, price_of, prompt_chars, upper_bound
from pada_lite.teacher.preflight import check_context, preflight
from pada_lite.teacher.replies import TRANSIENT, ReplyError, backoff, error_reason, one_line, parse_reply
from pada_lite.teacher.retries import after_error, check_reply, failure_line, fatal_message, give_up, retry_of
from pada_lite.teacher.schemas import ROLES, Request
from pada_lite.teacher.base import Backend, Completion, TeacherError, TeacherFailed, TeacherUnusable, context_advice

# subtle: these names were all defined or imported here before the teacher was split; they are
# named here so that `from pada_lite.teacher.core import TeacherFailed` (and the rest) keeps working
__all__ = ["Teacher", "make_teacher", "paid_usage", "Backend", "Completion", "TeacherError", "TeacherFailed",
           "TeacherUnusable", "context_advice", "Usage", "ReplyCache", "ReplyError", "parse_reply", "retry_of"]

KINDS = ("sim", "openai", "replay")
DEFAULT_MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-mini"}


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
        # subtle: a replayed reply was paid for by the run that recorded it; replaying it is free
        self.replayed = bool(getattr(backend, "replayed", False))
        self.max_attempts, self.max_retries, self.max_failed_share = max_attempts, max_retries, max_failed_share
        unpriced = sorted({m for m in self.models.values() if self._price(m) is None})
        if budget_usd is not None and unpriced:
            raise TeacherUnusable(f"a budget needs a price for every model, and {', '.join(unpriced)} "
                                  f"{'has' if len(unpriced) == 1 else 'have'} none: give it with "
                                  f"--price {unpriced[0]}=IN,OUT (USD per 1M input and output tokens; prices= in Python)")
        self.books = Books(cache, billed=not (backend.simulated or self.replayed))
        self.usage, self.cache, self.log = self.books.usage, self.books.cache, self.books.log
        if self.cache.skipped_lines + self.log.skipped_lines:
            print(f"teacher: skipped {self.cache.skipped_lines + self.log.skipped_lines} unreadable line(s) in "
                  f"{self.cache.path.parent} (cut by a killed run); those calls will be asked again", file=sys.stderr)
        self.sent, self.transient_failed = [], 0
        self.checked, self.preflight_lines = bool(backend.simulated), []
        # subtle: the cap covers the whole run, so spending starts from what earlier sessions paid
        self.budget = Budget(budget_usd, run_usage(self.cache.path).total_cost
                             if self.cache.path and budget_usd is not None else 0.0)
        self._lock = threading.Lock()   # for what every worker writes here: _context_asked, a batch's fatal list
        self._said: set[str] = set()
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
        return (0.0, 0.0) if self.backend.simulated or self.replayed else price_of(model, self.prices)

    def price_label(self, model: str) -> str:
        return price_label(self._price(model), self.backend.simulated, self.replayed)

    def row(self, r: Request) -> tuple[str, str, str, str]:
        """(role, stage, model, price label): where `r` is counted in the usage and the call log."""
        model = self.models[r.role]
        return r.role, r.stage, model, self.price_label(model)

    # the budget's figures, read from the teacher by the loop and the tests (`budget.Budget`)
    spent_usd = property(lambda self: self.budget.spent, doc="Spent over the whole run: earlier sessions "
                         "(when a budget is set) and this one.")
    budget_usd = property(lambda self: self.budget.cap)
    spent_before = property(lambda self: self.budget.spent_before)
    budget_exhausted = property(lambda self: self.budget.exhausted)
    budget_stop = property(lambda self: self.budget.stop)   # (the call that did not fit, what was left)

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
        if not self.checked:
            self.preflight_lines, self.checked = preflight(self, requests or []), True
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
                           self.books.tokens_per_char.get(model, 0.0))

    # ------------------------------------------------------------ one request
    def send(self, r: Request, model: str, abort: threading.Event):
        """One HTTP call, its cost reserved first, written to the call log before it is sent and
        its cost booked after: (completion, error, spent, call id), or None when the budget cannot
        cover it. The caller books its outcome under that id. A call that fails after an interrupt
        was abandoned: it is spent at its worst case, since the server may answer and bill it."""
        bound = self.bound(r, model)
        if not self.budget.reserve(bound, abort):
            return None
        self.usage.add(*self.row(r), calls=1)
        self.sent.append((model, r))
        call = self.books.sent(r, model, bound)
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

    def _call(self, r: Request, key: str, abort: threading.Event, fatal: list) -> tuple[BaseModel | None, str | None]:
        """One request, asked until it is answered or has failed for good: (reply, None), or
        (None, the reason of its last failure); (None, None) when abandoned after an interrupt."""
        row, model, tries = self.row(r), self.models[r.role], Counter()
        while not abort.is_set():
            sent = self.send(retry_of(r, tries["bad"]), model, abort)
            if sent is None:
                self.usage.add(*row, reason="budget", skipped=1)
                return None, "budget"
            c, err, spent, call = sent
            if err is not None and abort.is_set():
                self.books.abandoned(row, spent)   # after an interrupt: not the endpoint's failure
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
        self.books.heard(reason, err)
        note = self.backend.adapt(model, err) if hasattr(self.backend, "adapt") and tries["adapted"] < 4 else None
        if note is not None:   # the endpoint said what it does not accept: send it again without that
            tries["adapted"] += 1
            self.books.retried(row, "adapted", call=call)
            if note:
                self.say_once(f"{model} at {getattr(self.backend, 'base_url', '?')}: sending {note} from now on")
            return None
        step = after_error(reason, tries, self.max_attempts, self.max_retries)
        if step == "fatal":    # it would fail the same way again: stop the whole batch
            message = self.fatal_message(reason, err, r)   # subtle: outside the lock, it reads self.context
            with self._lock:
                fatal.append(message)
            abort.set()
        if step in ("fatal", "fail"):
            return self.books.failed(row, reason, call=call)
        self.books.retried(row, reason, call=call)
        if step == "wait":
            abort.wait(backoff(tries["transient"], err))   # subtle: an interrupt cuts the wait short
        else:
            self.say_once(f"{type(err).__name__} from the backend, retried: {one_line(err, 200)}")
        return None

    def _after_reply(self, r, row, key: str, c: Completion, spent: float, tries: Counter, call=None):
        """(the validated reply, None), (None, None) to ask again, or (None, why it failed for good)."""
        self.books.book(row, r, c, spent)
        try:
            context = None if c.refusal else self.context(row[2], learn=c.finish_reason == "length")[0]
            obj = check_reply(c, r, context)
        except ReplyError as e:
            if give_up(e.reason, tries, self.max_attempts):
                return None, self.books.failed(row, e.reason, c, spent, call)
            self.books.retried(row, e.reason, c, spent, call)
            return None, None
        self.books.answered(row, r, key, obj, c, spent, call)
        return obj, None

    def fatal_message(self, reason: str, e: BaseException, r: Request) -> str:
        """The line a batch stops with when a request cannot succeed (`retries.fatal_message`)."""
        url, model = getattr(self.backend, "base_url", self.backend.describe()), self.models[r.role]
        return fatal_message(reason, e, r, url, model, self.context(model))

    # ------------------------------------------------------------ a batch
    def ask(self, requests: list[Request], desc: str | None = None) -> list[BaseModel | None]:
        """One validated reply (or None) per request, in order."""
        out: list[BaseModel | None] = [None] * len(requests)
        todo = self._from_cache(requests, out)
        if todo:
            failures = self._send_all(requests, todo, out, desc)
            self._check_failures(requests, failures)
        return out

    def _from_cache(self, requests: list[Request], out: list) -> dict[str, list[int]]:
        """Fill `out` with the cached replies; the rest to send: key -> indices (duplicates in one
        batch are sent once)."""
        todo: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            key = cache_key(self.models[r.role], r)
            self.usage.add(*self.row(r), requests=1)
            hit = None if key in todo else self.books.cached(r, key)
            if hit is not None:
                out[i] = hit
                self.usage.add(*self.row(r), hits=1)
            else:
                todo.setdefault(key, []).append(i)
        return todo

    def _send_all(self, requests: list[Request], todo: dict[str, list[int]], out: list, desc: str | None) -> Counter:
        """Ask every request of `todo` on `workers` threads (`pool.py`) behind a progress bar, filling
        `out`: the failures by reason. Raises `TeacherFailed` for a request that cannot succeed."""
        cached = len(requests) - sum(map(len, todo.values()))
        bar = progress.bar(total=len(requests), initial=cached, desc=desc or "teacher", disable=not self.progress)
        if cached:
            bar.set_postfix_str(f"{cached} from the cache", refresh=False)
        fatal, failures = [], Counter()

        def landed(job, res):
            self._land(requests, job[1], *res, out, failures)
            bar.update(len(job[1]))

        try:
            pool.run(list(todo.items()), lambda job, abort: self._call(requests[job[1][0]], job[0], abort, fatal),
                     self.workers, landed, stop_early=lambda: bool(fatal), close=getattr(self.backend, "close", None))
        finally:
            bar.close()
        if fatal:
            raise TeacherFailed(fatal[0])
        return failures

    def _land(self, requests: list[Request], idx: list[int], obj, reason: str | None, out: list,
              failures: Counter) -> None:
        """One request's outcome, into `out` at every index that asked it, and into `failures`."""
        out[idx[0]] = obj
        if reason is not None and reason != "budget":
            failures[reason] += len(idx)
            self.transient_failed += len(idx) if reason in TRANSIENT else 0
        for j in idx[1:]:   # the same request again in this batch: a free copy
            out[j] = obj.model_copy(deep=True) if obj is not None else None
            self.usage.add(*self.row(requests[j]), **({"hits": 1} if obj is not None else {"failed": 1}))

    def _check_failures(self, requests: list[Request], failures: Counter) -> None:
        """Stop when more than max_failed_share of a batch failed; below that, say so."""
        n_failed = sum(failures.values())
        if not n_failed:
            return
        line = failure_line(requests, failures, self.books.messages, self.backend.describe(),
                            self.context(self.models[requests[0].role]))
        if n_failed > self.max_failed_share * len(requests):
            raise TeacherFailed(f"{line}; more than {self.max_failed_share:.0%} of a stage failed, so the run stops here")
        print(f"warning: teacher: {line}", file=sys.stderr)


def make_teacher(kind: str = "sim", *, models: str | dict | None = None, base_url: str | None = None,
                 api_key: str | None = None, cache: str | Path | None = None, budget_usd: float | None = None,
                 prices: dict | None = None, workers: int = 8, progress: bool = True, timeout: float = 60,
                 max_retries: int = 4, max_attempts: int = 3, max_failed_share: float = 0.5,
                 analyst_noise: float = 0.1, flaw_rate: float = 0.1, seed: int = 0,
                 replies: str | Path | None = None) -> Teacher:
    """kind "sim": the simulated teacher (free, offline); "openai": any OpenAI-compatible endpoint;
    "replay": the replies a recorded run holds (`replies`: its teacher_cache.jsonl or its folder),
    offline, and nothing else. `models`: one model name for every role, or {role: model} over the
    defaults (replay: read from the file). `timeout`: seconds per request; `max_retries`: retries of
    a rate limit, server error or timeout."""
    if kind not in KINDS:
        raise ValueError(f"unknown teacher kind {kind!r}; use one of {KINDS}")
    if isinstance(models, str):
        models = dict.fromkeys(ROLES, models)
    unknown = sorted(set(models or {}) - set(ROLES))
    if unknown:
        raise ValueError(f"models: unknown role(s) {unknown}; the roles are {ROLES}")
    kw = dict(cache=cache, budget_usd=budget_usd, prices=prices, workers=workers, progress=progress,
              max_retries=max_retries, max_attempts=max_attempts, max_failed_share=max_failed_share)
    if kind == "replay":
        return _replay_teacher(replies, models, kw)
    if kind == "sim":
        from pada_lite.teacher.backends.simulated import SimBackend
        backend = SimBackend(analyst_noise, flaw_rate, seed)
        return Teacher(backend, {**backend.models, **(models or {})}, **kw)
    from pada_lite.teacher.backends.openai_api import OpenAIBackend
    full = {**DEFAULT_MODELS, **(models or {})}
    if full["checker"] == full["generator"]:
        print(f"note: the checker and the generator are the same model ({full['checker']}): the checker then grades "
              "its own samples; give the checker a different model if you can")
    return Teacher(OpenAIBackend(base_url=base_url, api_key=api_key, timeout=timeout), full, **kw)


def _replay_teacher(replies, models: dict | None, kw: dict) -> Teacher:
    """A teacher over `ReplayBackend(replies)`: its models are the recorded ones (a role with none
    gets `NOT_RECORDED`, which the pre-flight refuses if the run asks that role), and its own cache
    is never the file it replays."""
    from pada_lite.teacher.backends.replay import NOT_RECORDED, ReplayBackend, replies_file
    if replies is None:
        raise ValueError("the replay teacher needs replies=: the teacher_cache.jsonl of a recorded run, or its folder")
    backend = ReplayBackend(replies)
    clash = [f"{r}={m!r} (recorded: {backend.models[r]!r})" for r, m in (models or {}).items()
             if r in backend.models and m != backend.models[r]]
    if clash:
        raise ValueError(f"models: {', '.join(clash)}: the replay teacher replays the models {backend.path.name} "
                         "recorded; leave models= out")
    if kw["cache"] is not None and replies_file(kw["cache"]).resolve() == backend.path.resolve():
        raise TeacherUnusable(f"the replay teacher's own cache would be {backend.path}, the very file it replays: "
                              "give the replay a run folder of its own (--run NAME; cache= in Python)")
    return Teacher(backend, {**dict.fromkeys(ROLES, NOT_RECORDED), **(models or {}), **backend.models}, **kw)


def paid_usage(cache: str | Path, price_label=None) -> Usage:
    """What a run has sent and paid for over all its sessions (`cache.run_usage`); give the teacher's
    `price_label` to name each row's price."""
    return run_usage(cache, price_label)
