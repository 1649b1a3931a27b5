"""The Data Generation Agent: new training samples, pattern-guided or like a training error.

- `pattern_samples`: for each failure pattern, `n` samples from its pattern + strategy + the
  task description + a few *training* examples; the budget is split by cluster size.
- `llm2llm_samples`: LLM2LLM-style, samples like each training example the student got wrong
  (the teacher sees the question and its gold answer, not the wrong answer).
Every generator prompt passes the leakage guard's `redact` before it is sent, so no
validation or test text can reach the generator even if an analyst quoted one; the words the
analyst quoted as evidence (every pattern's `quotes`) are redacted too, wherever they appear,
unless the task's description or a training input holds them as well (`private_quotes`).

It deliberately does not judge the samples: `quality.py` does.
"""
from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field

from pada_lite.agents import prompts
from pada_lite.agents.overlap import REDACTED
from pada_lite.tasks.spec import Example


@dataclass
class Candidate:
    id: str
    input: str
    output: str
    source: str                         # "pattern" | "similar"
    origin: str                         # the pattern's name, or the training example's id
    round: int = 0                      # 0 = first draft, 1.. = regenerated after a QC rejection
    status: str = "new"                 # new | accepted | rejected
    reason: str | None = None           # why it was rejected
    scores: dict | None = None          # the checker's QualityScore, when it was checked
    shown: list[str] = field(default_factory=list)   # ids of the training examples its writer saw

    def to_dict(self) -> dict:
        return asdict(self)

    def example(self, task) -> Example:
        """A training example; for number tasks the output is the full solution and its
        final number the gold answer."""
        if task.answer_type == "number":
            return Example(self.id, self.input, task.parse(self.output) or self.output, target=self.output,
                           meta={"source": self.source, "origin": self.origin})
        out = self.output.strip()
        if task.answer_type == "label" and task.validate_gold(Example(self.id, self.input, out)) is None:
            out = task.parse(out)  # "Billing" -> "billing": train on the canonical label
        return Example(self.id, self.input, out, meta={"source": self.source, "origin": self.origin})


def split_budget(total: int, sizes: list[int]) -> list[int]:
    """`total` samples in proportion to `sizes` (largest remainder), summing exactly to total."""
    if not sizes or total <= 0:
        return [0] * len(sizes)
    raw = [total * s / sum(sizes) for s in sizes]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[: total - sum(out)]:
        out[i] += 1
    return out


def _shots(train: list[Example], k: int, rng: random.Random) -> list[Example]:
    return rng.sample(train, min(k, len(train)))


def shown_block(examples: list[Example], task) -> list[dict]:
    """Training examples as a prompt shows them."""
    return [{"input": e.input, "output": task.target(e)} for e in examples]


def redact_quotes(text: str, quotes) -> tuple[str, int]:
    """`text` with every quote (any case and spacing, whole words) replaced by "[redacted]"; (text, count)."""
    n = 0
    for q in sorted({q.strip() for q in quotes if re.search(r"\w", q or "")}, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in q.split())
        text, k = re.subn(r"(?<!\w)" + body + r"(?!\w)", REDACTED, text, flags=re.I)
        n += k
    return text, n


def private_quotes(quotes, task, train: list[Example]) -> list[str]:
    """The quotes to redact from generator prompts: every pattern's, from every prompt, but those the
    task's own description or a training input also holds (as the leak guard allows training text:
    redacting "cancellation" or "hey there" would strip a label or a shown example, not a secret)."""
    from pada_lite.agents.analysis import _norm
    from pada_lite.agents.prompts import _task_block
    public = [f" {_norm(t)} " for t in [_task_block(task), *(e.input for e in train)]]
    normed = {q: f" {_norm(q)} " for q in quotes}
    return sorted(q for q, n in normed.items() if n.strip() and not any(n in t for t in public))


def _guarded(req, guard, counter: dict, quotes=()):
    for m in req.messages:
        n = 0
        if guard is not None:
            m["content"], n = guard.redact(m["content"])
        m["content"], k = redact_quotes(m["content"], quotes)
        counter["redacted"] = counter.get("redacted", 0) + n + k
    return req


def _collect(replies, plan, prefix: str, rnd: int) -> list[Candidate]:
    out = []
    for (source, origin, n, shown), rep in zip(plan, replies):
        for s in (rep.samples[:n] if rep is not None else []):  # subtle: a teacher may write more than asked
            out.append(Candidate(f"{prefix}-{len(out) + 1:04d}", s.input.strip(), s.output.strip(), source, origin, rnd,
                                 shown=shown))
    return out


def pattern_samples(teacher, task, patterns, train: list[Example], total: int | None = None,
                    counts: list[int] | None = None, shots: int = 4, chunk: int = 8, seed: int = 0,
                    rnd: int = 0, guard=None, prefix: str = "gen", stats: dict | None = None,
                    by_label: bool = False) -> list[Candidate]:
    """Samples for each pattern: `counts[i]` for pattern i, or `total` split by cluster size.
    `by_label` (label tasks): each pattern's samples are split over the gold labels of its failures,
    and each request names the answer its examples must have."""
    counts = counts if counts is not None else split_budget(total or 0, [p.size for p in patterns])
    rng, stats = random.Random(f"{seed}-{rnd}"), stats if stats is not None else {}
    quotes = private_quotes([q for p in patterns for q in p.quotes], task, train)
    reqs, plan = [], []
    for p, n in zip(patterns, counts):
        pat = p.about()
        for answer, m in _by_answer(task, p, n, by_label):
            for j in range(0, m, chunk):  # ask in chunks: long replies get truncated
                k, few = min(chunk, m - j), _shots(train, shots, rng)
                reqs.append(_guarded(prompts.generation(task, pat, p.strategy, shown_block(few, task), k,
                                                        seed=seed * 1000 + rnd * 100 + j // chunk, answer=answer),
                                     guard, stats, quotes))
                plan.append(("pattern", p.name, k, [e.id for e in few]))
    return _collect(teacher.ask(reqs, desc="generating (patterns)"), plan, f"{prefix}-r{rnd}", rnd)


def untargeted_samples(teacher, task, train: list[Example], total: int, shots: int = 4, chunk: int = 8,
                       seed: int = 0, rnd: int = 0, guard=None, prefix: str = "unt",
                       stats: dict | None = None) -> list[Candidate]:
    """The control: `total` samples like random training examples, with no error or pattern behind
    them; the same generator, shots and chunks as `pattern_samples`."""
    rng, stats = random.Random(f"untargeted-{seed}-{rnd}"), stats if stats is not None else {}
    reqs, plan = [], []
    for j in range(0, total, chunk):
        k, few = min(chunk, total - j), _shots(train, shots, rng)
        reqs.append(_guarded(prompts.untargeted(task, shown_block(few, task), k, seed=seed * 1000 + rnd * 100 + j // chunk),
                             guard, stats))
        plan.append(("untargeted", "untargeted", k, [e.id for e in few]))
    return _collect(teacher.ask(reqs, desc="generating (untargeted)"), plan, f"{prefix}-r{rnd}", rnd)


def _by_answer(task, p, n: int, by_label: bool) -> list[tuple[str | None, int]]:
    """[(answer, count)]: `n` split over the pattern's gold labels by their share, or [(None, n)]."""
    golds = [g for g in p.golds if g in (getattr(task, "labels", None) or [])]
    if not (by_label and golds and n):
        return [(None, n)]
    labels = sorted(set(golds), key=lambda g: (-golds.count(g), g))
    return [(g, m) for g, m in zip(labels, split_budget(n, [golds.count(g) for g in labels])) if m]


def llm2llm_samples(teacher, task, errors: list[Example], per_error: int = 1, seed: int = 0, rnd: int = 0,
                    guard=None, prefix: str = "sim", stats: dict | None = None) -> list[Candidate]:
    """`per_error` samples like each wrongly answered training example."""
    stats = stats if stats is not None else {}
    reqs = [_guarded(prompts.llm2llm(task, {"input": e.input, "output": task.target(e)}, per_error,
                                     seed=seed * 1000 + rnd), guard, stats) for e in errors]
    plan = [("similar", e.id, per_error, [e.id]) for e in errors]  # the checker sees what the writer saw
    return _collect(teacher.ask(reqs, desc="generating (like training errors)"), plan, f"{prefix}-r{rnd}", rnd)
