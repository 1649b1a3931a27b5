"""Evaluation: batched greedy generation, one record per sample, accuracy overall and per tag.

- `generate(model, tok, prompts, ...)`: left-padded batches sorted by length (little
  padding, stable results), greedy, stopping at the tokenizer's end-of-turn token; the
  prefix every prompt shares (template and system prompt) is computed once and its
  key/value cache reused by every batch.
- `evaluate(model, tok, task, examples)` -> `EvalResult`: an `EvalRecord` per example
  (id, input, gold, raw response, parsed answer, correct, tags) and the accuracies.
- records round-trip through JSONL so a person can read them and later stages reuse them.

Evaluation is greedy and deterministic run to run, so two runs differ only because the
students differ. The one exception is `temperature > 0`, used only to look for *training*
errors the LLM2LLM way (its released code samples the seed set at temperature 0.7): sampling
is seeded, so it too repeats exactly on the same machine.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from pada_lite.files import read_jsonl, write_jsonl
from pada_lite.progress import bar as progress_bar
from pada_lite.student.sft import prompt_text
from pada_lite.tasks.spec import Example, Task


@dataclass
class EvalRecord:
    id: str
    input: str
    gold: str
    response: str
    parsed: str | None
    correct: bool
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EvalResult:
    records: list[EvalRecord]

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.records) / max(len(self.records), 1)

    def by_tag(self) -> dict[str, float]:
        hits, total = defaultdict(int), defaultdict(int)
        for r in self.records:
            for t in r.tags:
                hits[t] += r.correct
                total[t] += 1
        return {t: hits[t] / total[t] for t in sorted(total)}

    def counts_by_tag(self) -> dict[str, int]:
        total = defaultdict(int)
        for r in self.records:
            for t in r.tags:
                total[t] += 1
        return dict(sorted(total.items()))

    @property
    def failures(self) -> list[EvalRecord]:
        return [r for r in self.records if not r.correct]

    def save(self, path: str | Path) -> Path:
        return write_jsonl(path, self.records)

    @classmethod
    def load(cls, path: str | Path) -> "EvalResult":
        return cls([EvalRecord(**row) for row in read_jsonl(path)])


def shared_prefix(enc: list[list[int]], least: int = 8) -> int:
    """How many leading tokens every prompt shares (each keeps at least one of its own); 0 if under `least`."""
    n = min(len(e) for e in enc) - 1
    for e in enc[1:]:
        n = next((i for i in range(n) if e[i] != enc[0][i]), n)
    return n if n >= least else 0


def _prefix_cache(model, ids: list[int], dev):
    """The key/value cache of `ids` (batch 1), and the keyword `generate` takes it by in this transformers."""
    out = model(input_ids=torch.tensor([ids], device=dev), use_cache=True)
    name = "cache" if "cache" in out else "past_key_values"   # transformers 5.2x renamed it
    return out[name], name


@torch.no_grad()
def generate(model, tok, prompts: list[str], max_new_tokens: int, batch_size: int = 16,
             progress: bool = True, desc: str = "generating", temperature: float = 0.0,
             seed: int = 0, share_prefix: bool = True, max_len: int | None = None) -> list[str]:
    """Completions of already-templated prompts, in the order given: greedy, or sampled
    (seeded) when `temperature > 0`. With `share_prefix`, the tokens every prompt starts with
    (the template and the task's system prompt: about half of each prompt) are run through the
    model once, and every batch starts from their cache."""
    dev = next(model.parameters()).device
    tok.padding_side = "left"
    enc = [tok(p, add_special_tokens=False).input_ids for p in prompts]
    if max_len is not None and (worst := max(map(len, enc), default=0)) > max_len:
        # never allocate from an untruncated length: the caller fits examples first (lengths.fit_splits)
        raise ValueError(f"a prompt of {worst:,} tokens is over max_len={max_len}; fit the examples first "
                         "(Workflow does, by its long_inputs policy)")
    # longest first: the first batch shows the worst-case memory at once, and similar
    # lengths share a batch so little compute goes to padding
    order = sorted(range(len(enc)), key=lambda i: -len(enc[i]))
    out: list[str] = [""] * len(enc)
    was_training = model.training
    model.eval()
    sample = dict(do_sample=True, temperature=temperature, top_p=1.0, top_k=0) if temperature > 0 else dict(do_sample=False)
    if temperature > 0:
        torch.manual_seed(seed)
    n = shared_prefix(enc) if share_prefix and len(enc) > 1 else 0
    prefix, cache_kw = _prefix_cache(model, enc[0][:n], dev) if n else (None, None)
    bar = progress_bar(total=len(order), desc=desc, disable=not progress, unit=" prompts")
    for s in range(0, len(order), batch_size):
        idx = order[s: s + batch_size]
        if n:
            # subtle: [shared prefix][padding][own tokens]: the mask hides the padding in the middle, and
            # positions (from the mask) run on from the prefix, exactly as in a left-padded row
            width = max(len(enc[i]) for i in idx) - n
            rows = [enc[i][:n] + [tok.pad_token_id] * (width - len(enc[i]) + n) + enc[i][n:] for i in idx]
            mask = [[1] * n + [0] * (width - len(enc[i]) + n) + [1] * (len(enc[i]) - n) for i in idx]
            cache = copy.deepcopy(prefix)
            cache.batch_repeat_interleave(len(idx))
            batch = {"input_ids": torch.tensor(rows, device=dev), "attention_mask": torch.tensor(mask, device=dev),
                     cache_kw: cache}
        else:
            batch = tok.pad({"input_ids": [enc[i] for i in idx]}, return_tensors="pt").to(dev)
        gen = model.generate(**batch, max_new_tokens=max_new_tokens, **sample,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        new = gen[:, batch["input_ids"].shape[1]:]
        for i, row in zip(idx, new):
            out[i] = tok.decode(row, skip_special_tokens=True).strip()
        bar.update(len(idx))
    bar.close()
    if was_training:
        model.train()
    return out


def evaluate(model, tok, task: Task, examples: list[Example], batch_size: int = 16,
             progress: bool = True, desc: str = "evaluating", temperature: float = 0.0,
             seed: int = 0, max_len: int | None = None) -> EvalResult:
    """`max_len`: refuse (ValueError) a prompt longer than this many tokens instead of allocating for it."""
    prompts = [prompt_text(task, tok, ex) for ex in examples]
    responses = generate(model, tok, prompts, task.max_new_tokens, batch_size, progress, desc, temperature, seed,
                         max_len=max_len)
    records = []
    for ex, resp in zip(examples, responses):
        parsed = task.parse(resp)
        records.append(EvalRecord(id=ex.id, input=ex.input, gold=ex.output, response=resp, parsed=parsed,
                                  correct=task.is_correct(parsed, ex.output), tags=list(ex.tags)))
    return EvalResult(records)


def accuracy_table(results: dict[str, EvalResult]) -> str:
    """A plain-text table: one column per result (e.g. before/after), one row per tag."""
    names = list(results)
    tags = sorted({t for r in results.values() for t in r.by_tag()})
    counts = next(iter(results.values())).counts_by_tag() if results else {}
    w = max([len("overall")] + [len(t) for t in tags]) + 2
    head = "".ljust(w) + "".join(n.rjust(12) for n in names) + "       n"
    lines = [head, "-" * len(head)]
    lines.append("overall".ljust(w) + "".join(f"{results[n].accuracy:12.3f}" for n in names)
                 + f"{len(next(iter(results.values())).records):8d}")
    for t in tags:
        lines.append(t.ljust(w) + "".join(f"{results[n].by_tag().get(t, float('nan')):12.3f}" for n in names)
                     + f"{counts.get(t, 0):8d}")
    return "\n".join(lines)
