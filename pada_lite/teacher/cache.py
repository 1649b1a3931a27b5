"""What a run's teacher calls returned and cost, on disk, so that nothing is paid for twice.

- `ReplyCache`: `teacher_cache.jsonl`, one line per answered request, keyed by `cache_key`
  (sha256 of model, messages, schema, temperature, max_tokens and seed: what shapes a reply,
  not how the parameters were spelt on the wire), appended and flushed at once.
- `CallLog`: `teacher_calls.jsonl` beside it. Before a call to a real endpoint is sent, a
  `sent` record (its id and the most it can cost); after it, one outcome record: an answered
  call is its line in the cache, any other (a failed attempt, with its reason and the tokens
  the endpoint billed when it answered, or a pre-flight check) a line here; both carry the id.
- `run_usage(cache)`: the calls, tokens and cost of a run over all its sessions, read back from
  both files; the budget cap and the report use it. A call sent with no outcome (the client
  left: Ctrl-C, kill -9) is counted `abandoned (may be billed)`, at its worst case.

A kill can cut the last line of either file, even inside a UTF-8 character: such a line is
skipped (and counted), and the next record starts on a new line. Neither file ever holds a key.
It deliberately does not decide what to send or retry (see `teacher/core.py` and `retries.py`); `booking.py`
writes the records.
"""
from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path

from pada_lite.teacher.pricing import ABANDONED, UNKNOWN, Usage

LOG_NAME = "teacher_calls.jsonl"


@lru_cache(maxsize=None)
def schema_json(schema) -> str:
    return json.dumps(schema.model_json_schema(), sort_keys=True)


def cache_key(model: str, r) -> str:
    """sha256 of everything that shapes the reply; `context`, `role` and `stage` are not part of it."""
    blob = json.dumps([model, r.messages, r.schema.__name__, schema_json(r.schema), r.temperature,
                       r.max_tokens, r.seed], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JsonlFile:
    """An append-only JSONL file, read whole at start; the folder is made on the first write."""
    keep = True   # keep appended records in `rows`

    def __init__(self, path: Path | None):
        self.path, self.rows, self.skipped_lines = path, [], 0
        self._lock, self._needs_newline = threading.Lock(), False
        if path is not None and path.exists():
            raw = path.read_bytes().decode("utf-8", errors="replace")
            for line in filter(str.strip, raw.splitlines()):
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        raise TypeError
                    self.rows.append(rec)
                except (ValueError, TypeError):
                    self.skipped_lines += 1   # a truncated last line from a killed run
            self._needs_newline = bool(raw) and not raw.endswith("\n")

    def append(self, rec: dict) -> None:
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self._lock:
            if self.keep:
                self.rows.append(rec)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    # subtle: a killed run may have left half a line; never glue a record onto it
                    f.write(("\n" if self._needs_newline else "") + line)
                    f.flush()
                self._needs_newline = False


def _file(path: str | Path | None, default: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    return p / default if p.is_dir() else p


class ReplyCache(JsonlFile):
    """key -> record; a JSONL file when `path` is given (a folder gets teacher_cache.jsonl)."""
    keep = False   # the records dict is the index

    def __init__(self, path: str | Path | None = None):
        super().__init__(_file(path, "teacher_cache.jsonl"))
        self.records = {}
        for rec in self.rows:
            if "key" in rec:
                self.records[rec["key"]] = rec
            else:
                self.skipped_lines += 1
        self.rows = []

    def get(self, key: str) -> dict | None:
        return self.records.get(key)

    def put(self, rec: dict) -> None:
        with self._lock:
            self.records[rec["key"]] = rec
        self.append(rec)


class CallLog(JsonlFile):
    """`sent` records (a call about to be sent), and the outcomes of calls that are not in the reply
    cache: failed attempts and pre-flight checks."""

    def __init__(self, cache_path: Path | None):
        super().__init__(cache_path.with_name(LOG_NAME) if cache_path is not None else None)

    @property
    def outcomes(self) -> list[dict]:
        return [rec for rec in self.rows if "sent" not in rec]

    @property
    def sent(self) -> list[dict]:
        return [rec for rec in self.rows if "sent" in rec]


def run_usage(cache: str | Path, price_label=None) -> Usage:
    """What a run has sent and paid for over all its sessions: one cached record is one answered
    call, the call log adds failed attempts (billed when the endpoint answered) and checks, and a
    call sent with no outcome in either file is abandoned, at the worst case it reserved.
    `price_label(model)` names each row's price (the teacher's; "price unknown" without it)."""
    usage, label = Usage(), price_label or (lambda model: UNKNOWN)
    replies = ReplyCache(cache)
    for rec in replies.records.values():
        usage.add(rec["role"], rec["stage"], rec["model"], label(rec["model"]), requests=1, calls=1, ok=1,
                  prompt_tokens=rec["prompt_tokens"], completion_tokens=rec["completion_tokens"],
                  reasoning_tokens=rec.get("reasoning_tokens", 0), cost_usd=rec["cost_usd"])
    if replies.path is None:
        return usage
    log = CallLog(replies.path)
    for rec in log.outcomes:
        model = rec.get("model", "?")
        usage.add(rec.get("role", "?"), rec.get("stage", "?"), model, label(model), reason=rec.get("reason"),
                  calls=1, ok=int(bool(rec.get("ok"))), failed=int(bool(rec.get("final"))),
                  prompt_tokens=rec.get("prompt_tokens", 0), completion_tokens=rec.get("completion_tokens", 0),
                  reasoning_tokens=rec.get("reasoning_tokens", 0), cost_usd=rec.get("cost_usd", 0.0))
    done = {rec.get("call") for rec in [*replies.records.values(), *log.outcomes]}
    for rec in log.sent:
        if rec["sent"] not in done:   # the client left before it could book what came back
            worst = rec.get("worst_usd", 0.0)
            usage.add(rec.get("role", "?"), rec.get("stage", "?"), rec.get("model", "?"), label(rec.get("model", "?")),
                      reason=ABANDONED, calls=1, cost_usd=worst, abandoned_usd=worst)
    return usage
