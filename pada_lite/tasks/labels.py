"""The labels of your own files: spellings that differ only in case or spacing folded into one,
class ids (0..n-1, as a Hugging Face export writes them) named by `labels=`, and a notice for a label
that never reaches train (or is never measured). Each notice is one line. It deliberately does not
fold labels that differ in punctuation (they are refused as indistinguishable) or look at hub datasets.
"""
from __future__ import annotations

import re
from collections import Counter

from pada_lite.files import DataError, quote
from pada_lite.tasks.splits import SPLITS, Splits, _few
from pada_lite.tasks.spec import LabelTask, _canon, normalize_text

_ID = re.compile(r"0|[1-9][0-9]*")


def _is_id(value: str) -> bool:
    """A class id as Hugging Face exports write them: 0, 1, 2, ... (an int in JSON, digits in CSV)."""
    return bool(_ID.fullmatch(value))


def _some(pairs: list[str], k: int = 2) -> str:
    return "; ".join(pairs[:k]) + (f" (and {len(pairs) - k} more)" if len(pairs) > k else "")


def _clash(labels: list[str]) -> tuple[str, str] | None:
    """The first two labels the task cannot tell apart (`LabelTask` compares answers ignoring case and
    punctuation), or None: the prompt would list both and scoring would take one for the other."""
    seen = {}
    for label in labels:
        if (key := _canon(label)) in seen:
            return seen[key], label
        seen[key] = label
    return None


def _distinct(labels: list[str]) -> None:
    """labels= that the task cannot tell apart are refused (`_clash`)."""
    if pair := _clash(labels):
        raise DataError(f"labels= {quote(pair[0])} and {quote(pair[1])} are the same label to the task (it compares "
                        "answers ignoring case and punctuation). Give each label once, differing in letters or digits.")


def _label_task(name, labels, description, got, field, notes: list[str]) -> LabelTask:
    """The LabelTask of your files, with every gold answer rewritten (in place: these are the
    loader's own Examples) to the label's one spelling. Appends a line to `notes` for what it decided.

    - labels= given: each gold becomes the given spelling (case and punctuation ignored); if every
      gold is a class id (0, 1, ...) and no given label is one, id i is the i-th name.
    - none given: golds that differ only in case or spacing are one label, spelled as most often in
      the files (ties: the first seen); labels sorted ignoring case. Golds that are all class ids stay
      numbers (sorted as numbers), with a line saying how to name them.

    It deliberately does not fold labels that differ otherwise ('billing' vs 'bill'), guess names for
    class ids, or read a dataset's own id -> name table (a Hugging Face export does not keep it)."""
    rows = [(f, n, ex) for f, pairs in got for n, ex in pairs]
    golds = [ex.output for _, _, ex in rows]
    ids = all(map(_is_id, golds))
    if labels:
        task = LabelTask(name, labels, description)
        if ids and not any(map(_is_id, labels)):    # class ids named in id order ('0' -> labels[0])
            for _, _, ex in rows:
                ex.output = labels[int(ex.output)]
            shown = [f"{i} -> {quote(label)}" for i, label in enumerate(labels)]
            shown = shown if len(shown) <= 4 else shown[:3] + ["...", shown[-1]]
            notes.append(f"labels: class ids in field '{field}' named in id order by labels=: {', '.join(shown)}; "
                         "answers and prompts use the names.")
            return task
        if odd := next(((f, n, ex) for f, n, ex in rows if _canon(ex.output) not in task._canon), None):
            f, n, ex = odd   # a class id the row check let through, among rows that name their label
            named = next((f2, n2, e) for f2, n2, e in rows if not _is_id(e.output))
            raise DataError(f"{f}, {n}: bad value in field '{field}': class id {quote(ex.output)} while other rows "
                            f"name their label ({quote(named[2].output)} on {named[0].name}, {named[1]}). Use the "
                            "names throughout, or class ids throughout (named in id order by labels=).")
        mapped = {}
        for _, _, ex in rows:
            label = task._canon[_canon(ex.output)]
            if label != ex.output:
                mapped.setdefault(label, {})[ex.output] = None   # an ordered set of spellings
                ex.output = label
        if mapped:
            spellings = sum(len(v) for v in mapped.values())
            notes.append(f"labels: {spellings} other spelling(s) in field '{field}' mapped onto {len(mapped)} of the "
                         "labels= (case and punctuation ignored): "
                         + _some([f"{', '.join(map(quote, v))} -> {quote(k)}" for k, v in mapped.items()]) + ".")
        return task
    if ids:
        numbers = sorted({int(g) for g in golds})
        top, missing = numbers[-1], _absent(numbers)
        notes.append(f"labels: every answer in field '{field}' is a number from 0 to {top}{missing}, like the class "
                     "ids of a Hugging Face export: the student learns to answer with the number. To use names, give "
                     f"one per id in id order: labels='name0,name1,...,name{top}'.")
        return LabelTask(name, [str(i) for i in numbers], description)
    counts = {}   # folded key -> Counter of spellings, in the order first seen
    for g in golds:
        counts.setdefault(normalize_text(g), Counter())[g] += 1
    spelling = {key: max(c, key=c.get) for key, c in counts.items()}   # max keeps the first of a tie
    for _, _, ex in rows:
        ex.output = spelling[normalize_text(ex.output)]
    found = sorted(spelling.values(), key=lambda label: (label.casefold(), label))
    if pair := _clash(found):
        first = {ex.output: (f, n) for f, n, ex in reversed(rows)}
        (f0, n0), (f1, n1) = first[pair[0]], first[pair[1]]
        raise DataError(f"{f1}, {n1}: field '{field}' has the label {quote(pair[1])}, and {f0.name}, {n0} has "
                        f"{quote(pair[0])}: the same label to the task (it compares answers ignoring case and "
                        "punctuation). Write one of them throughout, or rename them to differ in letters or digits.")
    if folded := [(spelling[k], c) for k, c in counts.items() if len(c) > 1]:
        n_spell = sum(len(c) for _, c in folded)
        notes.append(f"labels: {n_spell} spellings in field '{field}' that differ only in case or spacing were folded "
                     f"into {len(folded)} label{'s' if len(folded) > 1 else ''}, each spelled as most often: "
                     + _some([f"{', '.join(quote(s) for s in c if s != label)} -> {quote(label)}" for label, c in folded])
                     + ". Pass labels= to choose the spelling.")
    return LabelTask(name, found, description)


def _absent(numbers: list[int]) -> str:
    """' (3 never appears)': the ids below the largest that no answer has."""
    gaps = sorted(set(range(numbers[-1] + 1)) - set(numbers))
    return f" ({_few(gaps, 3)} never appear{'s' if len(gaps) == 1 else ''})" if gaps else ""


def _label_gaps(task: LabelTask, splits: Splits, field: str, split_files: bool) -> list[str]:
    """Up to two lines: the labels never in train (the student cannot learn them: what that caps
    test accuracy at), and the labels only in train (never measured). A label in train and test but
    not validation is deliberately not flagged: it is learned and scored, only not selected on."""
    counts = {s: Counter(ex.output for ex in getattr(splits, s)) for s in SPLITS}

    def listed(labels):   # 'sales' (10 in test; none in train or validation)
        shown = [f"{quote(label)} ({', '.join(f'{counts[s][label]} in {s}' for s in SPLITS if counts[s][label])}; "
                 f"none in {' or '.join(s for s in SPLITS if not counts[s][label])})" for label in labels[:3]]
        return " and ".join(shown + ([f"{len(labels) - 3} more"] if len(labels) > 3 else []))
    unseen = [l for l in task.labels if not counts["train"][l] and (counts["validation"][l] or counts["test"][l])]
    unmeasured = [l for l in task.labels if counts["train"][l] and not counts["validation"][l] and not counts["test"][l]]

    def fix(labels, into):
        its, it = ("its", "it") if len(labels) == 1 else ("their", "them")
        return (f"Move some of {its} examples into the {into}, or drop {it}." if split_files else
                f"Add examples of {it}, or drop {it} (another seed= redraws the splits).")
    lines = []
    if unseen:
        cost = []
        for s in ("test", "validation"):
            k, n = sum(counts[s][l] for l in unseen), len(getattr(splits, s))
            if k:
                cost.append(f"at most {(n - k) / n:.3f} accuracy on {s} ({k} of {n} examples out of reach)")
        one = len(unseen) == 1
        lines.append(f"labels: {listed(unseen)} in field '{field}' {'is' if one else 'are'} never in train, so the "
                     f"student cannot learn {'it' if one else 'them'}: expect {' and '.join(cost)}. "
                     + fix(unseen, "train file"))
    if unmeasured:
        one = len(unmeasured) == 1
        lines.append(f"labels: {listed(unmeasured)} in field '{field}' {'is' if one else 'are'} only in train, so how "
                     f"well the student learns {'it' if one else 'them'} is never measured. "
                     f"{fix(unmeasured, 'validation and test files')}")
    return lines
