"""What the teacher does after each call: take the reply, ask again, wait and ask again, or give up.

After an endpoint error the backend could not adapt to (`after_error`):
- `fatal`: it would fail the same way again (a rejected key, an unknown model, a bad request, a
  request a replayed run never recorded): the whole batch stops, with `fatal_message`;
- `wait`: transient (rate limit, server error, timeout, lost connection): back off (honouring
  `retry-after`) and send it again, up to `max_retries` times;
- `again`: anything else counts as a bad reply, sent again up to `max_attempts` times in all;
- `fail`: the request has used its tries and failed for good.
After a reply (`check_reply`): a refusal, a reply cut short, or one that does not validate is a
bad reply (`ReplyError`); it is asked again with some sampling (`retry_of`), except a reply that
filled the server's context (`context_full`), which would fill it again (`give_up`).
After a batch, `failure_line` sums up the requests that failed, for the warning or the stop.

It deliberately keeps no state and sends nothing: the caller holds the counts (`tries`), books
every outcome (`booking.py`) and does the waiting, so each rule here can be read on its own.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from pydantic import BaseModel

from pada_lite.teacher.replies import FATAL, TRANSIENT, ReplyError, context_size, error_body, one_line, parse_reply
from pada_lite.teacher.schemas import Request
from pada_lite.teacher.base import SHOWN, Completion, context_advice, key_rejected

RETRY_TEMPERATURE = 0.5   # the least temperature of a request asked again after a bad reply


def retry_of(r: Request, bad: int) -> Request:
    """What is sent after `bad` bad replies: the request itself at first, then with some sampling
    and a new seed (a greedy server answers the same prompt with the same bad reply every time).
    The reply is still cached under the request's own key."""
    if not bad:
        return r
    return replace(r, temperature=max(r.temperature, RETRY_TEMPERATURE), seed=r.seed + 7919 * bad)


def after_error(reason: str, tries: Counter, max_attempts: int, max_retries: int) -> str:
    """"fatal", "fail", "wait" or "again" (see the module's docstring); counts the try in `tries`."""
    if reason in FATAL:
        return "fatal"
    kind = "transient" if reason in TRANSIENT else "bad"   # a bug or an unknown status counts as a bad reply
    tries[kind] += 1
    if tries[kind] > (max_retries if kind == "transient" else max_attempts - 1):
        return "fail"
    return "wait" if kind == "transient" else "again"


def check_reply(c: Completion, r: Request, context: int | None) -> BaseModel:
    """The validated reply, or `ReplyError` saying why it is a bad one. `context`: the server's
    context in tokens, where known (a reply cut where it is full is `context_full`)."""
    if c.refusal:
        raise ReplyError("refusal", c.refusal)
    if c.finish_reason == "length" and context and c.prompt_tokens + c.completion_tokens >= context:
        raise ReplyError("context_full", f"prompt and reply filled the server's {context} tokens")
    if c.finish_reason == "length":
        raise ReplyError("truncated", f"reply cut at max_tokens={r.max_tokens}")
    return parse_reply(c.text, r.schema)


def give_up(reason: str, tries: Counter, max_attempts: int) -> bool:
    """After a bad reply (counted in `tries`): True when the request has failed for good."""
    tries["bad"] += 1
    # subtle: asked again the request would be as long, and fill the context again
    return tries["bad"] >= max_attempts or reason == "context_full"


def fatal_message(reason: str, e: BaseException, r: Request, url: str, model: str,
                  context: tuple[int | None, int]) -> str:
    """The one line a batch stops with. `context`: (the server's context if known, its slots)."""
    status, _, msg = error_body(e)
    if reason == "not_recorded":
        return not_recorded(e)
    if reason == "auth":
        return key_rejected(url, status, f"during {r.stage}")
    if reason == "not_found":
        return f"{url} has no model {model!r} (HTTP {status}: {one_line(msg, 160)}): check --model or --{r.role}-model"
    if reason == "context_full":
        known, slots = context
        return (f"{url} refused a request to {model} during {r.stage} (HTTP {status}: {one_line(msg, 160)}): "
                + context_advice(context_size(e) or known, slots, fewer=r.stage in SHOWN))
    return f"{url} refused a request to {model} during {r.stage} (HTTP {status}: {one_line(msg, 200)})"


def not_recorded(e: BaseException) -> str:
    """The line a replayed run stops with at a request its reply cache does not hold (`e` names the
    file, the stage and the role): why it can happen, and the two ways on."""
    return (f"not_recorded: {one_line(e, 200)}: the prompts, the data, the seed or the settings differ from the "
            "recorded run; run with the recorded run's settings, or use a live teacher (--teacher openai --base-url URL)")


def failure_line(requests: list[Request], failures: Counter, messages: dict[str, str], where: str,
                 context: tuple[int | None, int]) -> str:
    """One line on the requests of a batch that failed: the stage, the share, the reasons (with the
    endpoint's last message for each), and what to do when the server's context was full."""
    n_failed = sum(failures.values())
    stages = ", ".join(dict.fromkeys(r.stage for r in requests))
    reasons = ", ".join(f"{k} {v}" + (f" ({messages[k]})" if messages.get(k) else "")
                        for k, v in failures.most_common(4))
    line = (f"{stages}: {n_failed} of {len(requests)} requests failed ({n_failed / len(requests):.0%}; {reasons})"
            f" at {where}")
    if failures["context_full"]:
        line += f"; {context_advice(*context, fewer=bool(SHOWN & {r.stage for r in requests}))}"
    return line
