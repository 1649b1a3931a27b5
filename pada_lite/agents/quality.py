"""The Quality Control Agent: which generated samples may join the training data, and why not.

For each candidate, cheapest check first:
1. format: the answer must be in the task's format (a known label, a parseable number);
2. leakage guard (always on, in every method): near-duplicates of validation or test inputs;
3. near-duplicates of the training data (ROUGE-L at or above `dedup`);
4. the checker (a teacher model, best another than the generator's): on a task with labels or
   number answers it answers the input itself, *blind* (the intended answer is not shown), and the
   sample is kept when the two agree (`check="blind"`, the default: a small model that cannot judge
   "is this answer right?" can often answer the input). With `check="grade"`, or on a free-text
   task, it scores the sample instead: answer correct, fits the format, follows the strategy, not
   trivial. Format and near-copies are checked in code either way (1 and 3);
5. duplicates within the accepted batch.
With the checker on, every rejected sample is sent back to be written again, at most
`max_regen` rounds (a sample the checker could not judge is not: the teacher failed, not it).
Every drop is counted by reason, and every candidate is kept with its verdict.

It deliberately does not write samples (see `agents/synthesis.py`); `regenerate` is a callback.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pada_lite.agents import prompts
from pada_lite.agents.synthesis import shown_block
from pada_lite.agents.overlap import NearDupIndex
from pada_lite.tasks.spec import parse_number

REASONS = ("format", "leak", "near_dup_train", "dup_batch", "wrong_answer", "off_format", "off_strategy",
           "trivial", "checker_failed")


@dataclass(frozen=True)
class QCConfig:
    checker: bool = True           # ask the checker model for scores (and regenerate rejects)
    format_check: bool = True
    dedup: float | None = 0.8      # ROUGE-L threshold against training data; None: exact duplicates only
    max_regen: int = 2
    min_score: int = 3
    check: str = "blind"           # "blind": the checker answers, agreement keeps; "grade": it scores

    def __post_init__(self):
        if self.check not in ("blind", "grade"):
            raise ValueError(f"QCConfig(check={self.check!r}): use 'blind' (the checker answers the input itself) "
                             "or 'grade' (it scores the sample)")

    @classmethod
    def preset(cls, name: str) -> "QCConfig":
        """full: the PaDA agent; llm2llm: its released code's ROUGE-L > 0.95 filter only; none: QC off."""
        return {"full": cls(), "llm2llm": cls(checker=False, format_check=False, dedup=0.95, max_regen=0),
                "none": cls(checker=False, format_check=False, dedup=None, max_regen=0)}[name]


def _format_problem(task, c) -> bool:
    if not c.input.strip() or not c.output.strip():
        return True
    if getattr(task, "labels", None) and c.output.strip() not in task.labels:
        return True   # exactly one label as the task spells it: "Billing." or "billing or device" is off format
    ex = c.example(task)
    return task.validate_gold(ex) is not None or task.parse(task.target(ex)) is None


def _verdict(score, min_score: int = 3) -> str | None:
    """The drop reason for a checked sample, or None to accept it (`QualityScore.drop_reason`)."""
    return "checker_failed" if score is None else score.drop_reason(min_score)


def blind(task, cfg: QCConfig) -> bool:
    """Whether the checker answers blind: asked for, and the task has an answer to compare."""
    return cfg.check == "blind" and task.answer_type in ("label", "number")


def agrees(task, answer: str, c) -> bool:
    """The checker's blind `answer` is the sample's own (a label, or the same number)."""
    gold = c.example(task).output
    if task.answer_type == "number":
        return task.is_correct(parse_number(answer) or task.parse(answer), gold)
    return task.is_correct(task.parse(answer), gold)


def _ask_checker(teacher, task, cfg: QCConfig, to_check, strategies: dict, by_id: dict, rnd: int):
    """Per candidate: (scores dict or None, the drop reason or None)."""
    if blind(task, cfg):
        replies = teacher.ask([prompts.blind_check(task, {"input": c.input, "output": c.output}) for c in to_check],
                              desc=f"checking blind (round {rnd})")
        return [(None, "checker_failed") if a is None else
                ({"answer": a.answer, "agrees": (ok := agrees(task, a.answer, c))}, None if ok else "wrong_answer")
                for c, a in zip(to_check, replies)]
    reqs = [prompts.quality(task, {"input": c.input, "output": c.output}, *strategies.get(c.origin, (None, None)),
                            shown_block([by_id[i] for i in c.shown if i in by_id], task)) for c in to_check]
    scores = teacher.ask(reqs, desc=f"checking quality (round {rnd})")
    return [(s.model_dump() if s is not None else None, _verdict(s, cfg.min_score)) for s in scores]


def quality_control(teacher, task, candidates, train, guard, cfg: QCConfig = QCConfig(),
                    strategies: dict | None = None, regenerate=None):
    """-> (accepted, judged, drops). `train`: the training examples; `strategies`: pattern name ->
    (pattern dict, strategy dict); `regenerate(rejected, round)` returns fresh candidates."""
    strategies, by_id = strategies or {}, {e.id: e for e in train}
    train_index = NearDupIndex([e.input for e in train], cfg.dedup if cfg.dedup is not None else 1.0)
    accepted_index = NearDupIndex([], cfg.dedup if cfg.dedup is not None else 1.0)
    accepted, judged, drops = [], [], Counter()
    batch, rnd = list(candidates), 0
    while batch:
        to_check, rejected = [], []   # rejected: sent back to be written again (with the checker on)
        for c in batch:
            judged.append(c)
            reason = ("format" if cfg.format_check and _format_problem(task, c) else
                      "leak" if guard is not None and guard.is_leak(c.input) else
                      "near_dup_train" if train_index.is_dup(c.input) else None)
            if reason:
                c.status, c.reason = "rejected", reason
                drops[reason] += 1
                rejected.append(c)
            else:
                to_check.append(c)
        verdicts = [(None, None)] * len(to_check)
        if cfg.checker and to_check:
            verdicts = _ask_checker(teacher, task, cfg, to_check, strategies, by_id, rnd)
        for c, (scores, reason) in zip(to_check, verdicts):
            c.scores = scores
            if reason is None and accepted_index.is_dup(c.input):
                reason = "dup_batch"
            if reason:
                c.status, c.reason = "rejected", reason
                drops[reason] += 1
                if reason != "checker_failed":
                    rejected.append(c)
            else:
                c.status = "accepted"
                accepted.append(c)
                accepted_index.add(c.input)
        rnd += 1
        batch = regenerate(rejected, rnd) if (regenerate and rejected and cfg.checker and rnd <= cfg.max_regen) else []
    return accepted, judged, drops
