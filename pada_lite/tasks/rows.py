"""Checking each record of a file into an `Example`: required fields present, plain and not
empty (no NaN, no list saved as text), number answers exactly one number, ids and inputs not
repeated, tags well formed, the gold answer one the task accepts. Every row is checked; the problems
are reported together (`Problems`): the first row's in full, how many more rows have each kind and where.
It deliberately does not fix a row, except `bad_answers="drop"`, which leaves out rows whose number
answer is not one number and says how many.
"""
from __future__ import annotations

import ast
import json
import math
from pathlib import Path

from pada_lite.files import DataError, quote
from pada_lite.tasks.labels import _is_id
from pada_lite.tasks.readers import Where, _file_rows, _stem, file_type
from pada_lite.tasks.spec import (Example, LabelTask, NumberTask, TextTask, _after_marker, normalize_text,
                                  number_problem, parse_number, split_solution)

class Problems:
    """Row-level problems of one file, gathered over the whole file so that one error gives the
    first row's message, how many more rows have the same problem and where, and the other kinds."""

    def __init__(self, path: Path):
        self.path, self.found = path, {}   # kind -> [(Where, message, fix)], in the order first seen

    def add(self, kind: str, where: Where, message: str, fix: str = "") -> None:
        """`fix`, what to do, comes after the count of rows, so it reads as advice for all of them."""
        self.found.setdefault(kind, []).append((where, message, fix))

    def check(self) -> None:
        if not self.found:
            return
        (kind, items), *others = self.found.items()
        where, message, fix = items[0]
        more = ""
        if len(items) > 1:
            shown = ", ".join(str(w) for w, _, _ in items[1:6]) + (" and more" if len(items) > 6 else "")
            more = f" {len(items) - 1} more row(s) have the same problem: {shown}."
        also = "; ".join(f"{len(v)} row(s) with {k} (first: {v[0][0]})" for k, v in others)
        raise DataError(f"{self.path}, {where}: {message}{more}" + (f" {fix}" if fix else "")
                        + (f" Also {also}." if also else ""))


_HINTS = {"input": "input_field= to the column that holds the input text",
          "output": "output_field= to the column that holds the answer",
          "target": "target_field= to the column that holds the training target, or leave it None"}


def _load_examples(path: Path, input_field, output_field, id_field, tags_field, target_field, task,
                   delimiter, bad_answers="refuse", notes=None, class_ids: bool = False) -> list[tuple[Where, Example]]:
    """(where, Example) per example: `load_examples`, keeping where each one came from. Every row is
    checked; the problems found are reported together (`Problems`), the first row's in full. With
    `bad_answers="drop"`, rows whose answer is not one number are left out and `notes` gets a line
    saying how many and where (unless every row is such: that is refused). `class_ids`: a
    LabelTask's gold may be a class id its labels name (`_file` names it later)."""
    needed = {input_field: "input", output_field: "output", **({target_field: "target"} if target_field else {})}
    header, rows = _file_rows(path, delimiter)
    at = str(path) if file_type(path) == ".parquet" else f"{path}, line 1"
    for f, role in needed.items():  # a missing column is the header's fault: line 1 (Parquet: its columns)
        if header and f not in header:
            raise DataError(f"{at}: missing field '{f}' (fields present: {', '.join(header)}). "
                            f"Set {_HINTS[role]}.")
    if not rows:
        raise DataError(f"{path}: no examples (the file is empty, blank or only a header). Add one example per line.")
    used = {input_field, output_field, id_field, tags_field, target_field}
    out, seen, texts, problems = [], {}, {}, Problems(path)
    for n, row in rows:
        ex = _example(path, n, row, needed, output_field, id_field, tags_field, task, used, seen, texts, problems,
                      class_ids)
        if ex is not None:
            out.append((n, ex))
    if bad_answers == "drop" and (note := _dropped(path, problems, out, len(rows), output_field)):
        notes.append(note)
    problems.check()
    return out


def _example(path, n: Where, row: dict, needed, output_field, id_field, tags_field, task, used, seen, texts,
             problems: Problems, class_ids: bool = False) -> Example | None:
    """One row as an Example, or None after adding what is wrong with it to `problems`."""
    # 1. required fields: present, plain values, not empty
    vals = {}
    for f, role in needed.items():
        if f not in row:
            problems.add("a missing field", n, f"missing field '{f}' (fields present: {', '.join(row) or 'none'}). "
                         f"Set {_HINTS[role]}.")
            return None
        v = row[f]
        if isinstance(v, (dict, list, bytes)):
            problems.add("a field that is not text", n, f"field '{f}' holds a {type(v).__name__}, not text. "
                         "Make it a string.")
            return None
        if isinstance(v, float) and math.isnan(v):   # Python's json writes float('nan') as a bare NaN
            problems.add("a NaN value", n, f"field '{f}' holds NaN, a missing value. Fill it in or delete the "
                         f"{n.kind}.")
            return None
        if isinstance(v, float) and math.isinf(v):   # ... and float('inf') as Infinity
            problems.add("an Infinity value", n, f"field '{f}' holds {'-' if v < 0 else ''}Infinity, not a value "
                         f"to learn. Fix it or delete the {n.kind}.")
            return None
        if role != "target" and (v is None or not str(v).strip()):
            problems.add("an empty value", n, f"empty value in field '{f}'. Fill it in or delete the {n.kind}.")
            return None
        vals[role] = None if v is None else str(v).strip()
    # a list column saved as text ("['account']", pandas' to_csv) is no label or number; a text
    # task's answer may well be a list written out, so it is left alone
    if not isinstance(task, TextTask) and _list_literal(vals["output"]) is not None:
        problems.add("a list saved as text", n, f"field '{output_field}' holds {quote(vals['output'])}, which looks "
                     f"like a list saved as text. Give one answer per {n.kind} (pandas: "
                     f"df.explode('{output_field}') before saving), or set answer_type='text' if the list is the "
                     "answer.")
        return None
    # 2. a number answer: exactly one number (`parse_number`), plain ('9 apples': gold 9, trained on
    # '#### 9') or after the last '####' on its line (GSM8K: gold 72, the whole solution the target)
    if isinstance(task, NumberTask):
        if (msg := _number_answer(vals, task, output_field)) is not None:
            problems.add(NOT_ONE_NUMBER, n, msg)
            return None
    # 3. id: given, or generated from the file name and the line (or record) number
    raw = row.get(id_field)
    raw = None if isinstance(raw, float) and not math.isfinite(raw) else raw   # a NaN id is no id
    eid = str(raw or "").strip() or f"{_stem(path)}-{n.number}"
    if eid in seen:
        problems.add("a duplicate id", n, f"duplicate id {quote(eid)} in field '{id_field}' (also on {seen[eid]}).",
                     f"Ids must be unique: rename one of each pair, or drop the '{id_field}' field to number the rows.")
        return None
    seen[eid] = n
    key = normalize_text(vals["input"])
    if key in texts:
        first, answer = texts[key]
        same = normalize_text(answer) == normalize_text(vals["output"])   # 'Billing', 'billing': the same answer
        problems.add("a repeated input" if same else "a repeated input with another answer", n,
                     f"the same '{_field_of(needed, 'input')}' as {first}, with "
                     + ("the same answer." if same else f"another answer ({quote(answer)} there)."),
                     "A repeated input (case and spacing ignored) can land in training and test at once (leakage): "
                     "delete one of the lines of each repeat, keeping " + ("the first." if same else "the right answer."))
        return None
    texts[key] = (n, vals["output"])
    # 4. tags: a list, or 'a;b' text (CSV), or a list saved as text ("['a', 'b']", pandas' to_csv)
    tags = row.get(tags_field) or []
    if isinstance(tags, str):
        tags = items if (items := _list_literal(tags)) is not None else tags.split(";")
    if not isinstance(tags, list):
        problems.add("bad tags", n, f"field '{tags_field}' must be a list or 'a;b' text, got {quote(tags)}.")
        return None
    meta = {k: v for k, v in row.items() if k not in used}
    ex = Example(eid, vals["input"], vals["output"], [str(t).strip() for t in tags if str(t).strip()],
                 vals.get("target"), meta)
    # 5. the task's own check of the gold answer; a class id (0, 1, ...) for labels= that are names is
    # named after reading, when every row has one (`_label_task`)
    if task is not None and (msg := task.validate_gold(ex)):
        if class_ids and _is_id(ex.output) and not any(map(_is_id, task.labels)):
            if int(ex.output) < len(task.labels):
                return ex
            problems.add("a class id with no name", n, f"bad value in field '{output_field}': class id {ex.output}, "
                         f"but labels= names only ids 0 to {len(task.labels) - 1} ({len(task.labels)} labels).",
                         "Give one name per class id, in id order (id 0 first).")
            return None
        fix = (f"Allowed labels: {', '.join(task.labels)}. Fix the value or add it to labels=."
               if isinstance(task, LabelTask) else "Fix the value.")
        problems.add("a bad gold answer", n, f"bad value in field '{output_field}': {msg}. {fix}")
        return None
    return ex


NOT_ONE_NUMBER = "an answer that is not one number"   # the rows bad_answers='drop' leaves out
BAD_ANSWERS = ("refuse", "drop")
_DROP = "or leave such rows out with bad_answers='drop'"


def _number_answer(vals: dict, task: NumberTask, field: str) -> str | None:
    """Set `vals`' output to the one number its answer holds (and its target to a worked solution's
    text), or return what is wrong with it."""
    answer, marker = vals["output"], task.marker
    if marker in answer:
        final, solution = split_solution(answer, marker)
        if final is None:
            tail = _after_marker(answer, marker)
            if (why := number_problem(tail)) == "no number in it":
                return (f"field '{field}' has '{marker}' but no number after it ({quote(answer[-60:])} at its end). "
                        f"End the answer with '{marker} <number>', {_DROP}.")
            return (f"field '{field}' has '{marker}' but {quote(tail)} after it is not one number: {why}. Write one "
                    f"number after '{marker}' (unit words after it are fine: '{marker} 9 apples'), {_DROP}.")
        vals["target"] = vals.get("target") or solution
    elif (final := parse_number(answer)) is None:
        return f"bad value in field '{field}': {task.answer_problem(answer)}; {_DROP}."
    vals["output"] = final
    return None


def _dropped(path: Path, problems: Problems, examples: list, rows: int, field: str) -> str:
    """Take the rows whose answer is not one number out of `problems`: the line that says so, or ''."""
    items = problems.found.get(NOT_ONE_NUMBER, [])
    if len(items) == rows:
        raise DataError(f"{path}: no row's answer is one number ({rows} row(s), the first {items[0][0]}), so leaving "
                        f"them out (bad_answers='drop') leaves nothing. Check that field '{field}' holds the answers "
                        "(output_field=) and that they are numbers.")
    if not items or not examples:   # the other rows have problems of their own: refuse, naming them all
        return ""
    del problems.found[NOT_ONE_NUMBER]
    shown = ", ".join(str(w) for w, *_ in items[:5]) + (", ..." if len(items) > 5 else "")
    return (f"{path}: left out {len(items)} of {len(items) + len(examples)} rows, as asked: their answer is not one "
            f"number ({shown})")


def _bad_answers(bad_answers: str, number: bool = True) -> None:
    if bad_answers not in BAD_ANSWERS:
        raise DataError(f"bad_answers={bad_answers!r}: use 'refuse' (stop and say which rows, the default) or 'drop' "
                        "(leave those rows out and say how many).")
    if bad_answers != "refuse" and not number:
        raise DataError("bad_answers= applies only to answer_type='number' (rows whose answer is not one number); "
                        "drop it, or set answer_type='number'.")


def _field_of(needed: dict, role: str) -> str:
    return next(f for f, r in needed.items() if r == role)


def _list_literal(text: str) -> list | None:
    """The list a text spells when the whole of it is a Python or JSON list literal ("['account']",
    '["a", "b"]', what pandas' to_csv and json.dumps write for a list), else None."""
    t = text.strip()
    if not (t.startswith("[") and t.endswith("]")):
        return None
    for parse in (ast.literal_eval, json.loads):
        try:
            v = parse(t)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return v if isinstance(v, list) else None
    return None
