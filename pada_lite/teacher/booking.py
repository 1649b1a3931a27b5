"""The teacher's books: what every call was, what it returned and what it cost, in memory and on disk.

`Books` keeps, for one teacher:
- `usage`: requests, calls, outcomes, tokens and cost per role and stage (`pricing.Usage`);
- `cache`: the reply cache, where an answered request is put under its key (`cache.ReplyCache`);
- `log`: the call log, with a `sent` record before a call to a real endpoint goes out and an
  outcome record for a call that will not be in the cache (`cache.CallLog`);
- `tokens_per_char`: per model, the most prompt tokens per character an answered call showed, so
  the next call's worst case is not guessed too low;
- `messages`: per failure reason, the endpoint's last message (for the line that sums up a batch).

A `row` is (role, stage, model, price label): the teacher's `row(request)` makes it.
The records written here are the run's on-disk format (`cache.run_usage` reads them back).
It deliberately does not decide anything (what to retry is `retries.py`, what fits the budget
`budget.py`); every method is called after the decision, to write it down.
"""
from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from pydantic import BaseModel, ValidationError

from pada_lite.teacher.cache import CallLog, ReplyCache, schema_json
from pada_lite.teacher.pricing import ABANDONED, Usage, prompt_chars
from pada_lite.teacher.replies import error_body, one_line
from pada_lite.teacher.schemas import Request
from pada_lite.teacher.base import Completion


class Books:
    def __init__(self, cache: str | Path | None, billed: bool):
        self.cache = ReplyCache(cache)
        self.log = CallLog(self.cache.path)
        self.usage, self.billed = Usage(), billed   # billed: calls reach a real endpoint (not simulated, not replayed)
        self.tokens_per_char: dict[str, float] = {}
        self.messages: dict[str, str] = {}   # endpoint error reason -> its last message
        self._lock = threading.Lock()

    def cached(self, r: Request, key: str) -> BaseModel | None:
        """The cached reply to `r`, if there is one that still validates."""
        rec = self.cache.get(key)
        try:
            return r.schema.model_validate(rec["reply"]) if rec else None
        except ValidationError:
            return None

    def sent(self, r: Request, model: str, worst: float) -> str | None:
        """The call log's `sent` record, flushed before the call goes out: the call's id (a simulated or
        replayed call is never billed, and gets none)."""
        if not self.billed:
            return None
        call = uuid.uuid4().hex[:16]
        self.log.append({"sent": call, "role": r.role, "stage": r.stage, "model": model, "worst_usd": worst,
                         "time": round(time.time(), 3)})
        return call

    def record(self, row, c: Completion | None, spent: float, reason: str | None, ok: bool = False,
               final: bool = False, call: str | None = None) -> None:
        """Book the outcome of call `call` when it will not be in the cache (a failed attempt or a
        check) in the call log."""
        self.log.append({"call": call, "role": row[0], "stage": row[1], "model": row[2], "reason": reason, "ok": ok,
                         "final": final,
                         "prompt_tokens": c.prompt_tokens if c else 0, "completion_tokens": c.completion_tokens if c else 0,
                         "reasoning_tokens": c.reasoning_tokens if c else 0, "cost_usd": spent, "time": round(time.time(), 3)})

    def book(self, row, r: Request, c: Completion, spent: float) -> None:
        """The tokens and cost of an answered call, and what it says about tokens per character."""
        self.usage.add(*row, prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens,
                       reasoning_tokens=c.reasoning_tokens, cost_usd=spent)
        chars, model = prompt_chars(r.messages, len(schema_json(r.schema))), row[2]
        if c.prompt_tokens and chars:
            with self._lock:
                self.tokens_per_char[model] = max(self.tokens_per_char.get(model, 0.0), c.prompt_tokens / chars)

    def answered(self, row, r: Request, key: str, obj: BaseModel, c: Completion, spent: float, call=None) -> None:
        """A valid reply: into the cache under the request's own key, and counted."""
        self.cache.put({"key": key, "call": call, "model": row[2], "role": r.role, "stage": r.stage,
                        "schema": r.schema.__name__, "reply": obj.model_dump(mode="json"),
                        "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                        "reasoning_tokens": c.reasoning_tokens, "cost_usd": spent})
        self.usage.add(*row, ok=1)

    def retried(self, row, reason: str, c: Completion | None = None, spent: float = 0.0, call=None) -> None:
        """A failed attempt that will be tried again: counted, and booked in the call log."""
        self.usage.add(*row, reason=reason)
        self.record(row, c, spent, reason, call=call)

    def failed(self, row, reason: str, c: Completion | None = None, spent: float = 0.0, call=None) -> str:
        """The last failed attempt of a request: counted, booked, and the request failed."""
        self.usage.add(*row, reason=reason, failed=1)
        self.record(row, c, spent, reason, final=True, call=call)
        return reason

    def abandoned(self, row, spent: float) -> None:
        """A call abandoned after an interrupt: not a failure of the endpoint, but it may be billed; no
        outcome is booked, so a later session reading the call log counts it the same way."""
        self.usage.add(*row, reason=ABANDONED, cost_usd=spent, abandoned_usd=spent)

    def heard(self, reason: str, err: BaseException) -> None:
        """Keep the endpoint's message for a failure reason, for the batch's summary line."""
        status, _, msg = error_body(err)
        with self._lock:   # subtle: an auth error's message may echo part of the key: never keep it
            self.messages[reason] = "" if reason == "auth" else f"HTTP {status}: {one_line(msg, 120)}" if status else ""
