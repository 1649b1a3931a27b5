"""What teacher calls cost, and the usage table a run reports per stage and per role.

- `PRICES`: USD per 1M tokens (input, output) for a few well-known models; `price_of` looks a
  model up (a dated snapshot such as "gpt-4o-mini-2024-07-18" falls back to its family).
- `parse_price`: "MODEL=IN,OUT" (the command line's `--price`) -> (model, (in, out)).
- `upper_bound`: the most one call can cost, which the budget cap reserves *before* sending it:
  the prompt's tokens (estimated from its characters, at the tokens-per-character ratio seen
  in earlier replies) and the completion-token limit sent (hidden reasoning tokens included).
- `Usage`: counters per (role, stage): requests, cache hits, calls sent, answered, failed,
  skipped for budget, failures by reason, tokens (reasoning tokens among them) and cost. A call
  sent with no recorded outcome (the client left: Ctrl-C, a kill) counts as `ABANDONED`, at the
  worst case it reserved, as the server may have answered and billed it.
  `rows()` feeds pandas, `table()` prints, `to_dict()`/`from_dict()` save it into a run folder.

It deliberately does not decide anything (the teacher reserves, sends and counts) and does
not fetch prices: they change, so pass `prices={"model": (input, output)}` to override.
"""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field, fields

# USD per 1M tokens (input, output), standard tier, from https://openai.com/api/pricing/
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),          # reasoning models: hidden reasoning tokens are billed as output
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}
UNKNOWN, SIMULATED, REPLAYED = "price unknown", "simulated (free)", "replayed (free)"
ABANDONED = "abandoned (may be billed)"   # sent, and no outcome recorded: counted at its worst case


def price_of(model: str, prices: dict[str, tuple[float, float]] | None = None) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens, or None when the model has no known price."""
    table = {**PRICES, **(prices or {})}
    if model in table:
        return tuple(table[model])
    base = re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)   # dated snapshot -> its family
    return tuple(table[base]) if base in table else None


def price_label(price: tuple[float, float] | None, simulated: bool = False, replayed: bool = False) -> str:
    """How a usage row names its price: "0.15/0.6 per 1M", "price unknown", "simulated (free)" or
    "replayed (free)" (a reply read back from a recorded run: that run paid for it)."""
    if simulated or replayed:
        return SIMULATED if simulated else REPLAYED
    return UNKNOWN if price is None else f"{price[0]:g}/{price[1]:g} per 1M"


def cost(price: tuple[float, float] | None, prompt_tokens: int, completion_tokens: int) -> float:
    return 0.0 if price is None else (prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6


def parse_price(text: str) -> tuple[str, tuple[float, float]]:
    """'gpt-5-mini=0.25,2' -> ('gpt-5-mini', (0.25, 2.0)): USD per 1M input and output tokens."""
    model, sep, rest = text.partition("=")
    parts = rest.split(",")
    try:
        pair = tuple(float(x) for x in parts)
    except ValueError:
        pair = ()
    if not sep or not model.strip() or len(pair) != 2 or min(pair) < 0:
        raise ValueError(f"{text!r}: write MODEL=IN,OUT, USD per 1M input and output tokens (e.g. gpt-5-mini=0.25,2)")
    return model.strip(), pair


def prompt_chars(messages: list[dict], schema_chars: int = 0) -> int:
    return sum(len(str(m.get("content") or "")) for m in messages) + schema_chars


def upper_bound(price, chars: int, n_messages: int, token_cap: int, tokens_per_char: float = 0.0) -> float:
    """The most one call can cost: prompt tokens at the larger of 1/3 token per character and the
    ratio seen so far (plus 20%), a few tokens per message, and every completion token it may use."""
    per_char = max(1 / 3, 1.2 * tokens_per_char)
    return cost(price, int(chars * per_char) + 8 * n_messages + 8, token_cap)


@dataclass
class UsageRow:
    role: str
    stage: str
    model: str
    price: str = UNKNOWN          # "0.15/0.60 per 1M", "price unknown", "simulated (free)" or "replayed (free)"
    requests: int = 0             # asked by the agents
    hits: int = 0                 # answered from the cache (or a duplicate in the same batch): free
    calls: int = 0                # sent to the backend, retries included
    ok: int = 0                   # answered by a call
    failed: int = 0               # None after every attempt
    skipped: int = 0              # None because the budget was spent
    prompt_tokens: int = 0
    completion_tokens: int = 0    # hidden reasoning tokens included, as endpoints bill them
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    abandoned_usd: float = 0.0    # the worst case of abandoned calls, included in cost_usd
    reasons: dict = field(default_factory=dict)   # failed attempts (and skips) by reason


_COUNTS = [f.name for f in fields(UsageRow) if f.name not in ("role", "stage", "model", "price", "reasons")]


def _notes(r: dict) -> str:
    notes = [UNKNOWN] if UNKNOWN in r["price"] else []
    if r.get("reasoning_tokens"):
        notes.append(f"{r['reasoning_tokens']} reasoning tokens in tok out")
    if r["reasons"]:
        notes.append(", ".join(f"{k} {v}" for k, v in sorted(r["reasons"].items())))
    if r.get("abandoned_usd"):
        notes.append(f"cost includes ${r['abandoned_usd']:.4f}, the worst case of the abandoned calls")
    return "; ".join(notes)


class Usage:
    """Thread-safe counters per (role, stage)."""

    def __init__(self):
        self._rows: dict[tuple[str, str], UsageRow] = {}
        self._lock = threading.Lock()

    def add(self, role: str, stage: str, model: str, price: str = UNKNOWN, reason: str | None = None, **counts):
        with self._lock:
            row = self._rows.setdefault((role, stage), UsageRow(role, stage, model, price))
            for k, v in counts.items():
                setattr(row, k, getattr(row, k) + v)
            if reason:
                row.reasons[reason] = row.reasons.get(reason, 0) + 1

    def rows(self, by: str | None = None) -> list[dict]:
        """One dict per (role, stage); by="stage" or by="role" sums over the other."""
        with self._lock:
            rows = [asdict(r) for r in self._rows.values()]
        if by is None:
            return rows
        if by not in ("role", "stage"):
            raise ValueError(f"by={by!r}: use None, 'role' or 'stage'")
        out: dict[str, dict] = {}
        for r in rows:
            acc = out.setdefault(r[by], {by: r[by], "model": [], "price": [], "reasons": {}, **dict.fromkeys(_COUNTS, 0)})
            for k in _COUNTS:
                acc[k] += r[k]
            for k, v in r["reasons"].items():
                acc["reasons"][k] = acc["reasons"].get(k, 0) + v
            for k in ("model", "price"):
                if r[k] not in acc[k]:
                    acc[k].append(r[k])
        for acc in out.values():
            acc["model"], acc["price"] = ", ".join(acc["model"]), ", ".join(acc["price"])
        return list(out.values())

    @property
    def total_cost(self) -> float:
        return sum(r["cost_usd"] for r in self.rows())

    @property
    def total_calls(self) -> int:
        return sum(r["calls"] for r in self.rows())

    @property
    def total_hits(self) -> int:
        return sum(r["hits"] for r in self.rows())

    def table(self, by: str | None = None) -> str:
        """Plain text: one line per row and a total; 'price unknown' where cost could not be counted."""
        rows = self.rows(by)
        keys = ["role", "stage"] if by is None else [by]
        head = keys + ["model", "req", "hits", "calls", "ok", "failed", "skipped", "tok in", "tok out", "cost $", "notes"]
        body = [[r[k] for k in keys] + [r["model"], r["requests"], r["hits"], r["calls"], r["ok"], r["failed"],
                 r["skipped"], r["prompt_tokens"], r["completion_tokens"], f"{r['cost_usd']:.4f}", _notes(r)]
                for r in rows]
        tot = [sum(r[k] for r in rows) for k in ("requests", "hits", "calls", "ok", "failed", "skipped",
                                                 "prompt_tokens", "completion_tokens")]
        body.append(["total"] + [""] * (len(keys) - 1) + [""] + tot + [f"{self.total_cost:.4f}", ""])
        cells = [[str(c) for c in r] for r in body]
        w = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
        fmt = lambda r: "  ".join(c.ljust(w[i]) if i <= len(keys) or i == len(head) - 1 else c.rjust(w[i])  # noqa: E731
                                  for i, c in enumerate(r)).rstrip()
        return "\n".join([fmt(head), "-" * len(fmt(head))] + [fmt(r) for r in cells])

    def to_dict(self) -> dict:
        return {"rows": self.rows()}

    @classmethod
    def from_dict(cls, d: dict) -> "Usage":
        u = cls()
        names = {f.name for f in fields(UsageRow)}
        for r in d.get("rows", []):   # subtle: a summary from another version may lack or add fields
            row = UsageRow(**{k: v for k, v in r.items() if k in names})
            u._rows[(row.role, row.stage)] = row
        return u

    def __repr__(self) -> str:
        return f"Usage(calls={self.total_calls}, hits={self.total_hits}, cost_usd={self.total_cost:.4f})"
