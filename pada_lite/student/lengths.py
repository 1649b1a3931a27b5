"""Examples longer than the profile's `max_len`: one policy for training and evaluation alike.

An example's length is its prompt (the chat template with the task's system prompt and the input)
plus its answer and the end-of-turn token, in the student's tokens: what one training row holds.
`fit_splits` measures every example of every split once, before any model work, and then
- `refuse` (the default) stops with the file and line of the first example that does not fit,
  and how to fix it;
- `truncate` cuts each such input at its end until the row fits, and says how many it cut.
So nothing is ever allocated from an untruncated length, and training and evaluation see the same
text. It deliberately cuts only inputs: an answer too long to fit is refused under both policies.
"""
from __future__ import annotations

from dataclasses import replace

from pada_lite.files import DataError
from pada_lite.student.sft import prompt_text
from pada_lite.tasks.splits import SPLITS, Splits
from pada_lite.tasks.spec import Example, Task

POLICIES = ("refuse", "truncate")
RAISE_UP_TO = 4   # a refusal suggests a higher max_len only up to this many times the profile's


def check_policy(policy: str) -> None:
    """DataError unless `policy` is one of POLICIES."""
    if policy not in POLICIES:
        raise DataError(f"long_inputs={policy!r}: use one of {', '.join(POLICIES)}.")


def _token_counts(tok, texts: list[str]) -> list[int]:
    """How many tokens each text is, tokenizing each distinct text once (a label task's 50,000 answers
    are a handful of labels) and asking for the ids alone (no attention masks)."""
    distinct = list(dict.fromkeys(texts))
    ids = tok(distinct, add_special_tokens=False, return_attention_mask=False).input_ids
    count = {t: len(i) for t, i in zip(distinct, ids)}
    return [count[t] for t in texts]


def _lengths(task: Task, tok, examples: list[Example]) -> list[tuple[int, int]]:
    """(prompt tokens, answer tokens + end-of-turn) per example, batched through the tokenizer."""
    if not examples:
        return []
    prompts = _token_counts(tok, [prompt_text(task, tok, ex) for ex in examples])
    answers = _token_counts(tok, [task.target(ex) for ex in examples])
    return [(p, a + 1) for p, a in zip(prompts, answers)]


def cut_input(task: Task, tok, ex: Example, max_len: int) -> Example | None:
    """`ex` with its input cut at the end so the row fits `max_len`; None when even an empty input
    would not fit (the answer and the template alone are too long)."""
    room = max_len - sum(_lengths(task, tok, [replace(ex, input="")])[0])
    ids = tok(ex.input, add_special_tokens=False).input_ids
    keep = min(room, len(ids))
    while keep > 0:
        cut = replace(ex, input=tok.decode(ids[:keep]).strip())
        over = sum(_lengths(task, tok, [cut])[0]) - max_len
        if over <= 0 and cut.input:
            return cut
        keep -= max(1, over)   # subtle: re-tokenising a cut text can merge or split tokens at the seam
    return None


def fit_splits(task: Task, tok, splits: Splits, max_len: int, policy: str = "refuse",
               profile: str = "") -> tuple[Splits, int]:
    """(splits where every row fits `max_len`, how many inputs were cut). DataError for the first
    example that does not fit (under `truncate`, only one whose answer alone is too long), naming
    its file and line, how many are over, and the three ways out."""
    check_policy(policy)
    parts = {s: list(getattr(splits, s)) for s in SPLITS}
    over = [(s, i, p, a) for s in SPLITS for i, (p, a) in enumerate(_lengths(task, tok, parts[s])) if p + a > max_len]
    if not over:
        return splits, 0

    def refuse(s, i, p, a, why):
        longest = max(p + a for _, _, p, a in over)
        # a higher limit is worth offering for long-ish text, not for one runaway value
        raise_it = (f", or raise the limit (max_len={-(-longest // 32) * 32}; memory and time grow with it)"
                    if longest <= RAISE_UP_TO * max_len else "")
        raise DataError(f"{splits.where(parts[s][i])} ({s} split): {p + a:,} tokens (prompt {p:,}, answer {a:,}), "
                        f"over the {profile + ' ' if profile else ''}profile's limit of {max_len} (max_len); "
                        f"{len(over)} of {sum(map(len, parts.values()))} examples are over, the longest {longest:,}. "
                        f"{why}{raise_it}.")
    if policy == "refuse":
        s, i, p, a = over[0]
        refuse(s, i, p, a, "Shorten or delete them, or cut long inputs to fit (long_inputs='truncate')")
    for s, i, p, a in over:
        short = cut_input(task, tok, parts[s][i], max_len)
        if short is None:
            refuse(s, i, p, a, "Its answer alone does not fit, so cutting its input cannot help: shorten the answer "
                   "or delete the line")
        parts[s][i] = short
    return Splits(**parts, origin=splits.origin, note=splits.note), len(over)
