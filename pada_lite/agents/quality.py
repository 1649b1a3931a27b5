"""The Quality Control Agent: which generated samples may join the training data, and why not.

For each candidate, cheapest check first:
1. format: the answer must be in the task's format (a known label, a parseable number);
2. leakage guard (always on, in every method): near-duplicates of validation or test inputs;
3. near-duplicates of the training data (ROUGE-L at or above `dedup`);
4. the checker (a teacher model other than the generator) scores it: answer correct, fits the
   format, follows the strategy, not trivial;
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

REASONS = ("format", "leak", "near_dup_train", "dup_batch", "wrong_answer", "off_format", "off_strategy",
           "trivial", "checker_failed")


@dataclass(frozen=True)
class QCConfig:
    checker: bool = True           # ask the checker model for scores (and regenerate rejects)
    format_check: bool = True
    dedup: float | None = 0.8      # ROUGE-L threshold against training data; None: exact duplicates only
    max_regen: int = 2
    min_score: int = 3

    @classmethod
    def preset(cls, name: str) -> "QCConfig":
        """full: the PaDA agent; llm2llm: its released code's ROUGE-L > 0.95 filter only; none: QC off."""
        return {"full": cls(), "llm2llm": cls(checker=False, format_check=False, dedup=0.95, max_regen=0),
                "none": cls(checker=False, format_check=False, dedup=None, max_regen=0)}[name]


def _format_problem(task, c) -> bool:
    if not c.input.strip() or not c.output.strip():
        return True
    ex = c.example(task)
    return task.validate_gold(ex) is not None or task.parse(task.target(ex)) is None


def _verdict(score, min_score: int = 3) -> str | None:
    """The drop reason for a checked sample, or None to accept it (`QualityScore.drop_reason`)."""
    return "checker_failed" if score is None else score.drop_reason(min_score)


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
        scores = [None] * len(to_check)
        if cfg.checker and to_check:
            reqs = [prompts.quality(task, {"input": c.input, "output": c.output}, *strategies.get(c.origin, (None, None)),
                                    shown_block([by_id[i] for i in c.shown if i in by_id], task)) for c in to_check]
            scores = teacher.ask(reqs, desc=f"checking quality (round {rnd})")
        for c, s in zip(to_check, scores):
            c.scores = s.model_dump() if s is not None else None
            reason = _verdict(s, cfg.min_score) if cfg.checker else None
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
