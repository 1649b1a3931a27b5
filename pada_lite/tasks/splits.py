"""Splits: train, validation and test, kept disjoint, and how to make them.

- `Splits`: three lists of `Example`s, checked (`check`: no empty split, no repeated id, no id in
  two splits), saved as three .jsonl files and loaded back (`save` / `load`).
- `make_splits`: a seeded shuffle of one list into disjoint splits, optionally keeping only a small
  "seed" training set (the low-data regime of LLM2LLM).
- `subsample`: seeded subsets of splits that already exist (a hub dataset's, your three files).
- `parse_size`: a split size as people write it: a fraction, a percentage or a count.

It deliberately does not read your data files or know any task (see `data.py`, `bundled.py`): it
only cuts, checks, saves and loads lists of examples. Every problem is a `DataError` that says what to do.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from pada_lite.files import DataError, jsonl_rows, quote, write_jsonl
from pada_lite.tasks.spec import Example

SPLITS = ("train", "validation", "test")


def _few(items, k=5) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:k]) + (f" (and {len(items) - k} more)" if len(items) > k else "")


def _empty_msg(split: str) -> str:
    return (f"split '{split}' is empty: every split needs examples. Add some, or re-split with "
            "make_splits(examples, validation=..., test=...).")


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)
    # where the examples came from, for messages: {id: "file, line N"} and a line for the user
    origin: dict = field(default_factory=dict, repr=False, compare=False)
    note: str = field(default="", repr=False, compare=False)

    def where(self, ex: Example) -> str:
        """'file, line N' for an example read from a file, else 'example <id>'."""
        return self.origin.get(ex.id) or f"example {quote(ex.id)}"

    def sizes(self) -> dict[str, int]:
        return {s: len(getattr(self, s)) for s in SPLITS}

    def check(self, where: str = "") -> "Splits":
        """Raise DataError for an empty split, a repeated id, or ids shared between splits (leakage)."""
        at = f"{where}: " if where else ""
        ids = {s: [ex.id for ex in getattr(self, s)] for s in SPLITS}
        for s in SPLITS:
            if not ids[s]:
                raise DataError(at + _empty_msg(s))
            if dup := [i for i, c in Counter(ids[s]).items() if c > 1]:
                raise DataError(f"{at}split '{s}' repeats ids: {_few(dup)}. Give each example a unique id.")
        for a, b in combinations(SPLITS, 2):
            if shared := sorted(set(ids[a]) & set(ids[b])):
                raise DataError(f"{at}{len(shared)} id(s) shared between splits '{a}' and '{b}' (leakage: the model "
                                f"would be scored on what it saw): {_few(shared)}. Keep each example in one split only.")
        return self

    def save(self, directory) -> Path:
        d = Path(directory)
        for s in SPLITS:
            write_jsonl(d / f"{s}.jsonl", getattr(self, s))
        return d

    @classmethod
    def load(cls, directory) -> "Splits":
        d, parts = Path(directory), {}
        for s in SPLITS:
            p, exs = d / f"{s}.jsonl", []
            if not p.is_file():
                raise DataError(f"{p}: file not found. A splits folder holds train.jsonl, validation.jsonl and "
                                "test.jsonl; write them with Splits.save(folder).")
            for n, row in jsonl_rows(p):
                try:
                    exs.append(Example.from_dict(row))
                except KeyError as e:
                    raise DataError(f"{p}, line {n}: missing field '{e.args[0]}' (fields present: {', '.join(row)}). "
                                    "Files written by Splits.save have id, input and output.") from None
            if not exs:
                raise DataError(f"{p}: " + _empty_msg(s))
            parts[s] = exs
        return cls(**parts).check(str(d))


def parse_size(text):
    """'0.2' -> 0.2, '20%' -> 0.2, '200' -> 200: a split size as people write it; ValueError otherwise."""
    if not isinstance(text, str):
        return text
    t = text.strip()
    try:
        if t.endswith("%"):
            v = float(t[:-1]) / 100
            if not 0 < v < 1:
                raise ValueError
            return v
        v = float(t)
    except ValueError:
        raise ValueError(f"{text!r}: give a fraction (0.2), a percentage (20%) or a whole count (200)") from None
    return int(v) if v >= 1 and v == int(v) else v


def _count(size, n: int, name: str) -> int:
    """A fraction (0 < x < 1) of n, a percentage ('20%'), or a count (a whole number >= 1)."""
    try:
        size = parse_size(size)
    except ValueError as e:
        raise DataError(f"{name}={e}.") from None
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0 or (size >= 1 and size != int(size)):
        raise DataError(f"{name}={size!r}: give a fraction between 0 and 1 (e.g. 0.2), a percentage (20%) or a "
                        "whole count >= 1.")
    return round(size * n) if size < 1 else int(size)


def take(items: list, size, rng: random.Random, name: str) -> list:
    """`size` of `items` (a fraction, a percentage or a count), chosen with rng; `name` is the option's."""
    k = _count(size, len(items), name)
    if not 1 <= k <= len(items):
        raise DataError(f"{name}={size!r} asks for {k} of {len(items)} examples. Use a size between 1 and {len(items)}.")
    return rng.sample(items, k)


def make_splits(examples, seed=0, validation=0.2, test=0.2, seed_size=None, where: str = "make_splits") -> Splits:
    """Seeded shuffle into disjoint splits; `seed_size` keeps only that many training examples."""
    examples = list(examples)
    n = len(examples)
    n_val, n_test = _count(validation, n, "validation"), _count(test, n, "test")
    if n_val < 1 or n_test < 1 or n_val + n_test >= n:
        raise DataError(f"{where}: {n} examples with validation={validation!r}, test={test!r} leaves "
                        f"{max(n - n_val - n_test, 0)} for training, {n_val} for validation and {n_test} for test; every "
                        "split needs at least one example. Use smaller sizes or more examples.")
    # one RNG drives the shuffle and the seed-set choice, so the seed fixes everything
    rng = random.Random(seed)
    order = examples[:]
    rng.shuffle(order)
    test_, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    if seed_size is not None:
        train = take(train, seed_size, rng, "seed_size")
    return Splits(train, val, test_).check()


def subsample(sp: Splits, seed, seed_size=None, n_validation=None, n_test=None) -> Splits:
    """Seeded subsets of given splits: each size that is not None keeps only that much of its split."""
    rng = random.Random(seed)
    pick = lambda xs, k, name: xs if k is None else take(xs, k, rng, name)
    return Splits(pick(sp.train, seed_size, "seed_size"), pick(sp.validation, n_validation, "n_validation"),
                  pick(sp.test, n_test, "n_test")).check()
