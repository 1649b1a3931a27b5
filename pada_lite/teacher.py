"""The teacher: sends the agents' `Request`s to a backend and returns validated replies.

`Teacher.ask(requests)` returns one item per request, in order: the pydantic reply, or None
when that request failed after `max_attempts` or was skipped because the budget is spent. It
never raises for teacher problems; `usage` says what happened, per role and stage.
- Cache: an append-only JSONL file keyed by sha256 of (model, messages, schema, temperature,
  max_tokens, seed), one line per answered call, flushed at once: a run killed mid-`ask`
  keeps every reply already paid for, and asking again sends only the rest.
- Replies are parsed tolerantly (code fences, prose around the JSON, a bare list) and
  validated; a bad reply, refusal, truncation or endpoint error is counted and retried
  (except a bad request, a rejected key or an unknown model: those would fail again).
- Calls run on a thread pool (no processes: they hang in notebooks) behind a progress bar;
  Ctrl-C stops the batch at once and keeps what is already cached.
- Budget: every call reserves a conservative cost estimate before it is sent, so the cap
  holds strictly with any number of workers.

It deliberately does not build prompts (`prompts.py`), know any endpoint's wire format
(`openai_backend.py`) or invent replies (`sim.py`). `context` is no part of the cache key:
only the simulated backend reads it.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from .pricing import SIMULATED, UNKNOWN, Usage, cost, estimate_cost, price_of
from .schemas import ROLES, Request

KINDS = ("sim", "openai")
DEFAULT_MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-mini"}
# endpoint errors by class name (most specific first in the MRO); no openai import needed here
ERRORS = {"RateLimitError": "rate_limit", "APITimeoutError": "timeout", "APIConnectionError": "connection",
          "InternalServerError": "server_error", "BadRequestError": "bad_request",
          "UnprocessableEntityError": "bad_request", "AuthenticationError": "auth",
          "PermissionDeniedError": "auth", "NotFoundError": "not_found", "APIStatusError": "api_error"}
NO_RETRY = {"bad_request", "auth", "not_found"}   # the same call would fail the same way


@dataclass
class Completion:
    """What a backend returns for one call."""
    text: str                       # raw reply text (JSON expected)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"     # "length" means truncated
    refusal: str | None = None


class Backend(Protocol):
    name: str                       # "openai" | "sim"
    simulated: bool                 # True only for the simulated teacher

    def complete(self, request: Request, model: str) -> Completion: ...

    def describe(self) -> str: ...  # one line, never containing a key


class ReplyError(ValueError):
    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def parse_reply(text: str, schema: type[BaseModel]) -> BaseModel:
    """Tolerant parse then validation; raises ReplyError("invalid_json" | "schema")."""
    text = re.sub(r"^\s*```[\w-]*\s*|\s*```\s*$", "", text or "")
    candidates = [text]
    for open_, close in ("{}", "[]"):   # the outermost object, then the outermost list
        i, j = text.find(open_), text.rfind(close)
        if 0 <= i < j:
            candidates.append(text[i:j + 1])
    for c in candidates:
        try:
            obj = json.loads(c)
            break
        except ValueError:
            continue
    else:
        raise ReplyError("invalid_json", f"no JSON object in {text[:80]!r}")
    fields = list(schema.model_fields)
    if isinstance(obj, list) and len(fields) == 1:   # a bare list for NewSamples -> {"samples": [...]}
        obj = {fields[0]: obj}
    try:
        return schema.model_validate(obj)
    except ValidationError as e:
        raise ReplyError("schema", f"{schema.__name__}: {e.error_count()} errors") from None


@lru_cache(maxsize=None)
def schema_json(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema(), sort_keys=True)


def cache_key(model: str, r: Request) -> str:
    """sha256 of everything that shapes the reply; `context`, `role` and `stage` are not part of it."""
    blob = json.dumps([model, r.messages, r.schema.__name__, schema_json(r.schema), r.temperature,
                       r.max_tokens, r.seed], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReplyCache:
    """key -> record; a JSONL file when `path` is given (a folder gets teacher_cache.jsonl)."""

    def __init__(self, path: str | Path | None = None):
        self.path, self.records, self.skipped_lines = None, {}, 0
        self._lock, self._needs_newline = threading.Lock(), False
        if path is None:
            return
        self.path = Path(path) / "teacher_cache.jsonl" if Path(path).is_dir() else Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            # subtle: a kill can cut a line, even inside a UTF-8 character
            raw = self.path.read_bytes().decode("utf-8", errors="replace")
            for line in filter(str.strip, raw.splitlines()):
                try:
                    rec = json.loads(line)
                    self.records[rec["key"]] = rec
                except (ValueError, KeyError, TypeError):
                    self.skipped_lines += 1   # a truncated last line from a killed run
            self._needs_newline = bool(raw) and not raw.endswith("\n")

    def get(self, key: str) -> dict | None:
        return self.records.get(key)

    def put(self, rec: dict) -> None:
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self._lock:
            self.records[rec["key"]] = rec
            if self.path is not None:
                with open(self.path, "a", encoding="utf-8") as f:
                    # subtle: a killed run may have left half a line; never glue a record onto it
                    f.write(("\n" if self._needs_newline else "") + line)
                    f.flush()
                self._needs_newline = False


def error_reason(e: BaseException) -> str:
    for cls in type(e).__mro__:
        if cls.__name__ in ERRORS:
            return ERRORS[cls.__name__]
    return f"error:{type(e).__name__}"


class Teacher:
    def __init__(self, backend: Backend, models: dict[str, str], cache: str | Path | None = None,
                 budget_usd: float | None = None, prices: dict[str, tuple[float, float]] | None = None,
                 workers: int = 8, max_attempts: int = 3, progress: bool = True):
        missing = [r for r in ROLES if r not in (models or {})]
        if missing:
            raise ValueError(f"models: no model for role(s) {missing}; give one per role in {ROLES}")
        if workers < 1 or max_attempts < 1:
            raise ValueError(f"workers={workers}, max_attempts={max_attempts}: both must be at least 1")
        self.backend, self.models = backend, dict(models)
        self.cache, self.budget_usd, self.prices = ReplyCache(cache), budget_usd, dict(prices or {})
        self.workers, self.max_attempts, self.progress = workers, max_attempts, progress
        self.usage, self.budget_exhausted, self.sent = Usage(), False, []
        self._lock, self._spent, self._reserved, self._warned = threading.Lock(), 0.0, 0.0, set()
        self._abort = threading.Event()   # set by an interrupt: queued calls are not sent
        unpriced = sorted({m for m in self.models.values() if self._price(m) is None})
        if budget_usd is not None and unpriced:
            warnings.warn(f"budget_usd cannot see the cost of {unpriced} (no known price): they are counted "
                          "as free; pass prices={'model': (input, output)} in USD per 1M tokens", stacklevel=2)

    def _price(self, model: str):
        return (0.0, 0.0) if self.backend.simulated else price_of(model, self.prices)

    def _row(self, r: Request) -> tuple[str, str, str, str]:
        model, p = self.models[r.role], self._price(self.models[r.role])
        label = SIMULATED if self.backend.simulated else UNKNOWN if p is None else f"{p[0]:g}/{p[1]:g} per 1M"
        return r.role, r.stage, model, label

    @property
    def spent_usd(self) -> float:
        return self._spent

    def describe(self) -> str:
        if self.backend.simulated:
            return self.backend.describe()
        return f"{self.backend.describe()}: " + ", ".join(f"{r}={self.models[r]}" for r in ROLES)

    def __repr__(self) -> str:
        return f"Teacher({self.describe()})"

    def _warn_once(self, reason: str, e: Exception) -> None:
        with self._lock:
            if reason in self._warned:
                return
            self._warned.add(reason)
        # subtle: an auth error's message may echo part of the key: never show it
        detail = "check the API key" if reason == "auth" else str(e)[:300]
        retry = "not retried" if reason in NO_RETRY else "retried"
        warnings.warn(f"teacher backend: {type(e).__name__} ({reason}), {retry}: {detail}", stacklevel=3)

    def _call(self, r: Request, key: str) -> BaseModel | None:
        """One request: at most max_attempts calls, each reserving its estimated cost first."""
        row, model = self._row(r), self.models[r.role]
        price = self._price(model)
        est = estimate_cost(price, r.messages, len(schema_json(r.schema)), r.max_tokens)
        for _ in range(self.max_attempts):
            if self._abort.is_set():
                return None
            with self._lock:
                if self.budget_usd is not None and self._spent + self._reserved + est > self.budget_usd:
                    self.budget_exhausted = True
                    self.usage.add(*row, reason="budget", skipped=1)
                    return None
                self._reserved += est
                self.sent.append((model, r))
            self.usage.add(*row, calls=1)
            c, err = None, None
            try:
                c = self.backend.complete(r, model)
            except Exception as e:   # endpoint trouble is counted, never raised
                err = e
            except BaseException:    # Ctrl-C (or exit) inside a call: stop the whole batch
                self._abort.set()
                raise
            finally:   # subtle: release the reservation and book the real cost in one step
                spent = cost(price, c.prompt_tokens, c.completion_tokens) if c is not None else 0.0
                with self._lock:
                    self._reserved -= est
                    self._spent += spent
            if err is not None:
                reason = error_reason(err)
                self.usage.add(*row, reason=reason)
                if reason in NO_RETRY or reason.startswith("error:"):   # a config problem or a bug: say so
                    self._warn_once(reason, err)
                if reason in NO_RETRY:
                    break
                continue
            self.usage.add(*row, prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens, cost_usd=spent)
            try:
                if c.refusal:
                    raise ReplyError("refusal", c.refusal)
                if c.finish_reason == "length":
                    raise ReplyError("truncated", f"reply cut at max_tokens={r.max_tokens}")
                obj = parse_reply(c.text, r.schema)
            except ReplyError as e:
                self.usage.add(*row, reason=e.reason)
                continue
            self.cache.put({"key": key, "model": model, "role": r.role, "stage": r.stage,
                            "schema": r.schema.__name__, "reply": obj.model_dump(mode="json"),
                            "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                            "cost_usd": spent})
            self.usage.add(*row, ok=1)
            return obj
        self.usage.add(*row, failed=1)
        return None

    def _cached(self, r: Request, key: str) -> BaseModel | None:
        rec = self.cache.get(key)
        try:
            return r.schema.model_validate(rec["reply"]) if rec else None
        except ValidationError:
            return None

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
        bar = tqdm(total=len(requests), initial=len(requests) - sum(map(len, todo.values())),
                   desc=desc or "teacher", disable=not self.progress, leave=False)
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(todo))))
        self._abort.clear()
        try:
            futures = {pool.submit(self._call, requests[idx[0]], key): idx for key, idx in todo.items()}
            for fut in as_completed(futures):
                idx = futures[fut]
                obj = out[idx[0]] = fut.result()
                for j in idx[1:]:   # the same request again in this batch: a free copy
                    out[j] = obj.model_copy(deep=True) if obj is not None else None
                    self.usage.add(*self._row(requests[j]), **({"hits": 1} if obj is not None else {"failed": 1}))
                bar.update(len(idx))
        except BaseException:
            # subtle: on Ctrl-C return at once; calls not started are cancelled, calls in flight
            # finish in the background and still land in the cache
            self._abort.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            bar.close()
        pool.shutdown()
        return out


def make_teacher(kind: str = "sim", *, models: str | dict | None = None, base_url: str | None = None,
                 api_key: str | None = None, cache: str | Path | None = None, budget_usd: float | None = None,
                 prices: dict | None = None, workers: int = 8, progress: bool = True,
                 analyst_noise: float = 0.1, flaw_rate: float = 0.1, seed: int = 0) -> Teacher:
    """kind "sim": the simulated teacher (free, offline); "openai": any OpenAI-compatible endpoint.
    `models`: one model name for every role, or {role: model} over the defaults."""
    if kind not in KINDS:
        raise ValueError(f"unknown teacher kind {kind!r}; use one of {KINDS}")
    if isinstance(models, str):
        models = dict.fromkeys(ROLES, models)
    unknown = sorted(set(models or {}) - set(ROLES))
    if unknown:
        raise ValueError(f"models: unknown role(s) {unknown}; the roles are {ROLES}")
    if kind == "sim":
        from .sim import SimBackend
        backend = SimBackend(analyst_noise, flaw_rate, seed)
        return Teacher(backend, {**backend.models, **(models or {})}, cache=cache, budget_usd=budget_usd,
                       prices=prices, workers=workers, progress=progress)
    from .openai_backend import OpenAIBackend
    full = {**DEFAULT_MODELS, **(models or {})}
    if full["checker"] == full["generator"]:
        warnings.warn(f"the checker and the generator are the same model ({full['checker']}): the checker then "
                      "grades its own samples; give models={'checker': ...} a different one if you can", stacklevel=2)
    return Teacher(OpenAIBackend(base_url=base_url, api_key=api_key), full, cache=cache, budget_usd=budget_usd,
                   prices=prices, workers=workers, progress=progress)


def paid_usage(cache: str | Path) -> Usage:
    """What a run has paid for over all its sessions: one cached record is one answered call.
    (A session's own `Teacher.usage` also counts hits and failures, but only for that session.)"""
    usage = Usage()
    for rec in ReplyCache(cache).records.values():
        usage.add(rec["role"], rec["stage"], rec["model"], requests=1, calls=1, ok=1, prompt_tokens=rec["prompt_tokens"],
                  completion_tokens=rec["completion_tokens"], cost_usd=rec["cost_usd"])
    return usage
