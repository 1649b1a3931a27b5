"""What a teacher's reply or an endpoint's error means, and how long to wait before asking again.

- `parse_reply(text, schema)`: a tolerant parse (code fences, prose around the JSON, a bare
  list) then pydantic validation; a bad reply raises `ReplyError` with its reason.
- `error_reason(e)`: an endpoint error as one word: `FATAL` ones (a bad request, a rejected
  key, an unknown model, a request a replayed run never recorded) would fail the same way again; `TRANSIENT` ones (rate limit, server
  error, timeout, lost connection) may pass later.
- `error_body(e)`: the HTTP status, the parameter the server blames and its message.
- `context_size(e)`: the server's context in tokens, where its refusal quotes it (llama.cpp's
  "exceeds the available context size (1024 tokens)", OpenAI's and vLLM's "maximum context
  length is 2048 tokens"); such a refusal is the reason `context_full`.
- `backoff(attempt, e)`: what the endpoint asked for (`retry-after-ms`, `retry-after`), else
  exponential with jitter.

It deliberately does not send, retry or count anything (see `teacher/core.py`) and needs no
`openai` import: errors are recognised by class name and attributes.
"""
from __future__ import annotations

import json
import random
import re

from pydantic import BaseModel, ValidationError

# endpoint errors by class name (most specific first in the MRO); no openai import needed here
ERRORS = {"RateLimitError": "rate_limit", "APITimeoutError": "timeout", "APIConnectionError": "connection",
          "InternalServerError": "server_error", "BadRequestError": "bad_request",
          "UnprocessableEntityError": "bad_request", "AuthenticationError": "auth",
          "PermissionDeniedError": "auth", "NotFoundError": "not_found", "APIStatusError": "api_error",
          "ErrorReply": "server_error",   # HTTP 200 with an error object as its body (backends/openai_api.py)
          "NotRecorded": "not_recorded"}  # a request the replayed reply cache does not hold (backends/replay.py)
FATAL = {"bad_request", "auth", "not_found", "context_full", "not_recorded"}   # the same call would fail the same way
TRANSIENT = {"rate_limit", "server_error", "timeout", "connection"}  # it may pass later


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


def error_reason(e: BaseException) -> str:
    body = getattr(e, "body", None)
    err = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("code") == "model_not_found":   # some servers send it as a 400
        return "not_found"
    for cls in type(e).__mro__:
        if cls.__name__ in ERRORS:
            reason = ERRORS[cls.__name__]
            status = getattr(e, "status_code", None)
            if reason == "api_error" and isinstance(status, int):   # a status the client has no class for
                reason = "server_error" if status >= 500 else "bad_request" if status in (400, 413, 422) else reason
            return "context_full" if reason == "bad_request" and _about_context(e) else reason
    return f"error:{type(e).__name__}"


def _about_context(e: BaseException) -> bool:
    """A refusal that says the prompt and reply do not fit in the server's context."""
    body = getattr(e, "body", None)
    err = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("type") == "exceed_context_size_error":   # llama.cpp
        return True
    low = error_body(e)[2].lower()
    return "context" in low and any(w in low for w in ("exceed", "maximum", "larger than", "too long", "too large"))


def context_size(e: BaseException) -> int | None:
    """The context (tokens) a refusal about it quotes: llama.cpp's `n_ctx` field, else its message."""
    body = getattr(e, "body", None)
    err = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(err, dict) and isinstance(err.get("n_ctx"), int) and err["n_ctx"] > 0:
        return err["n_ctx"]
    m = re.search(r"context (?:size|length|window)\D{0,12}?(\d+)", error_body(e)[2], re.I) if _about_context(e) else None
    return int(m.group(1)) if m else None


def retry_after(e: BaseException) -> float | None:
    """Seconds the endpoint asked to wait (`retry-after-ms` or `retry-after` in seconds), if any."""
    headers = getattr(getattr(e, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return float(headers.get(name)) * scale
        except (TypeError, ValueError):
            continue
    return None


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def backoff(attempt: int, e: BaseException | None = None, base: float = 0.5, cap: float = 20.0) -> float:
    """Seconds before retry number `attempt` (1, 2, ...): what the endpoint asked (at most a
    minute), else exponential with jitter."""
    asked = retry_after(e) if e is not None else None
    if asked is not None and asked >= 0:
        return min(asked, 60.0)
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def error_body(e: BaseException) -> tuple[int | None, str | None, str]:
    """(HTTP status, the parameter the server blames, its message in one line) of an endpoint error."""
    status, body = getattr(e, "status_code", None), getattr(e, "body", None)
    err = body.get("error", body) if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    msg = err.get("message") or (body if isinstance(body, str) else None) or str(e)
    return status, err.get("param"), " ".join(str(msg).split())
