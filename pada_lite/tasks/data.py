"""Data: read examples from files and the hub, and load a task by name.

What it does:
- `load_examples`: a .jsonl, .json (an array), .csv or .tsv file (any of them gzipped: .jsonl.gz, ...)
  or a .parquet file -> `Example`s, checked row by row (a CSV's delimiter sniffed from its header;
  GSM8K's '#### N' answers split into gold and target; a number answer must be exactly one number,
  `spec.parse_number`: rows where it is not are refused together, or left out and counted with
  `bad_answers="drop"`). Parquet is read with pyarrow; without it, one line says how to convert the file.
- `load_task(name)`: a `Task` and its `Splits` for "bundled", "gsm8k", "sst2", "trec",
  "hub:<dataset_id>" or your own file ("file:<path>").
- `dataset_card`: a short markdown summary for notebooks.
- your own files' labels, settled over all the files before splitting: spellings that differ only
  in case or spacing are one label; class ids (0, 1, ...) are named in id order by `labels=`, or
  said to be ids; a label missing from train (or only in train) is flagged with what it costs.
  Each decision is one line in `splits.note`, which `Workflow.create` prints.
`read_jsonl` / `write_jsonl` (files.py) and `Splits` / `make_splits` (splits.py) can be imported
from here too.

Every bad input raises `DataError`; its message names the file, the line (1-based; in a Parquet
file the row, counted from 1) and the field, and says what to do, quoting at most a few dozen
characters of any value. Options are named as Python keywords (`input_field=`); the CLI rewrites
them into its flags. It deliberately does not tokenize, build prompts (see `tasks/spec.py`), clean
or deduplicate text, fold labels that differ in more than case or spacing, or guess its way past a
broken file: it stops and says where. A missing value (null, NaN) is refused, never filled in; a
list saved as text is refused as an answer, never split.
Only `_load_hub` reaches the network (via `datasets`), so tests can replace it.
"""
from __future__ import annotations

import ast
import csv
import gzip
import inspect
import io
import json
import math
import os
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pada_lite.tasks import bundled
from pada_lite.files import DataError, jsonl_rows, quote, read_jsonl, read_text, write_jsonl
from pada_lite.tasks.splits import SPLITS, Splits, _few, make_splits, parse_size, subsample, take
from pada_lite.tasks.spec import (Example, LabelTask, NumberTask, Task, TextTask, _canon, normalize_text, number_problem,
                                  parse_number, split_solution)

# what notebooks and scripts import from here; `read_jsonl`, `write_jsonl` and `DataError` live in
# files.py, `Splits`, `make_splits` and `parse_size` in splits.py
__all__ = ["DataError", "read_jsonl", "write_jsonl", "load_examples", "sniff_delimiter", "Splits", "make_splits",
           "parse_size", "load_task", "dataset_card", "SPLITS", "KNOWN_TASKS", "BUILT_IN", "FILE_TYPES",
           "SPREADSHEETS", "DELIMITERS"]
_ALIASES = {"dev": "validation", "valid": "validation", "val": "validation"}
KNOWN_TASKS = ("bundled", "gsm8k", "sst2", "trec", "hub:<dataset_id>",
               "file:<path> (or a path ending in .jsonl, .json, .csv, .tsv, any of them .gz, or .parquet)")
TEXT_TYPES = (".jsonl", ".json", ".csv", ".tsv")
# in the order a data folder's split files are looked for
FILE_TYPES = TEXT_TYPES + tuple(t + ".gz" for t in TEXT_TYPES) + (".parquet",)
# what spreadsheet programs save natively: one line saying how to export instead
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


# ---------------------------------------------------------------- where a record is, and its problems

@dataclass(frozen=True)
class Where:
    """Where a record sits in its file: its first line and, where several records share a line (a JSON
    array written on one line, as pandas and json.dump write it), its 1-based index in the array; or,
    in a file without lines (Parquet), its 1-based row: `Where(None, row=5)` reads 'row 5'."""
    line: int | None
    record: int | None = None
    row: int | None = None

    def __str__(self) -> str:
        if self.row:
            return f"row {self.row}"
        return f"record {self.record} (line {self.line})" if self.record else f"line {self.line}"

    @property
    def number(self) -> int:
        """What a generated id counts: the record's index where records share lines, a Parquet file's
        row, else the line."""
        return self.record or self.row or self.line

    @property
    def kind(self) -> str:
        """'line', 'record' or 'row': what a message asks to delete."""
        return "row" if self.row else "record" if self.record else "line"


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


# ---------------------------------------------------------------- files

def file_type(path) -> str:
    """The type a file's name ends in, as FILE_TYPES and SPREADSHEETS spell it: 'x.CSV.gz' ->
    '.csv.gz'; an unknown one as written ('.txt', '.txt.gz'; '' for none)."""
    name = Path(path).name.lower()
    if known := [t for t in FILE_TYPES + SPREADSHEETS if name.endswith(t) and len(name) > len(t)]:
        return max(known, key=len)
    suffixes = Path(name).suffixes
    return "".join(suffixes[-2:]) if suffixes[-1:] == [".gz"] else "".join(suffixes[-1:])


def _stem(path: Path) -> str:
    """The name without its type: 'train.jsonl.gz' -> 'train' (Path.stem would keep '.jsonl')."""
    return path.name[:len(path.name) - len(file_type(path))] or path.name


def sniff_delimiter(path: Path, text: str) -> str:
    """The delimiter of a CSV's header line: the one of , ; tab | that occurs most outside quotes.
    Excel writes ';' where the decimal mark is a comma (much of Europe); .tsv files use tabs."""
    head = next((line for line in text.split("\n") if line.strip()), "")
    head = re.sub(r'"[^"]*"', "", head)   # a quoted header may hold any character
    counts = {d: head.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ("\t" if file_type(path).startswith(".tsv") else ",")


def _csv_rows(path: Path, delimiter: str | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and (line number, row dict) for each non-blank record; `delimiter` None sniffs it."""
    text = read_text(path)
    if delimiter is None:
        delimiter = sniff_delimiter(path, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, start = None, [], 1
    try:
        for rec in reader:
            if any(c.strip() for c in rec):
                if header is None:
                    header = [h.strip() for h in rec]
                elif len(rec) != len(header):
                    name = DELIMITERS[delimiter]
                    raise DataError(f"{path}, line {start}: {len(rec)} values but the header has {len(header)} "
                                    f"columns ({', '.join(header)}), {name}-separated. Quote values that contain a "
                                    f"{name}, or name the separator (delimiter=).")
                else:
                    rows.append((start, dict(zip(header, rec))))
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataError(f"{path}, line {reader.line_num}: malformed CSV ({e}). Check the quotes on that line.") from None
    return header or [], rows


def _json_rows(path: Path) -> list[tuple[Where, dict]]:
    """(where, object) for each record of a JSON array file ([{...}, {...}], what
    pandas.to_json(orient="records") and json.dump write, often all on one line). Records are named by
    their line where each starts a line of its own, else by their index in the array. A .json file
    that is really JSON Lines (one object per line) is read as such."""
    text = read_text(path)
    body = text.lstrip()
    if not body.startswith("["):
        if body.startswith("{"):
            try:
                json.loads(body)
            except json.JSONDecodeError:   # several objects: JSON Lines under a .json name
                return [(Where(n), row) for n, row in jsonl_rows(path)]
            raise DataError(f"{path}: one JSON object, not a list of examples. Write a JSON array "
                            '[{"input": "...", "output": "..."}, ...] or one object per line (.jsonl).')
        if not body:
            return []
        raise DataError(f"{path}, line 1: not a JSON array of objects. Write [{{...}}, {{...}}] or one object per line (.jsonl).")
    dec, rows = json.JSONDecoder(), []
    i = len(text) - len(body) + 1
    line_at = lambda k: text.count("\n", 0, k) + 1
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i < len(text) and text[i] == "]" and not rows:
            break
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}, line {e.lineno}: malformed JSON ({e.msg} at column {e.colno}). "
                            "Check that line; the file must be one JSON array of objects.") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}, line {line_at(i)}: expected a JSON object {{...}} in the array, got "
                            f"{type(obj).__name__}.")
        rows.append((line_at(i), obj))
        i = end
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == "]":
            break
        raise DataError(f"{path}, line {line_at(i)}: malformed JSON (expected ',' or ']' after the object "
                        f"that starts on line {rows[-1][0]}). The file must be one JSON array of objects.")
    if text[i + 1:].strip():
        raise DataError(f"{path}, line {line_at(i + 1 + len(text[i + 1:]) - len(text[i + 1:].lstrip()))}: "
                        "text after the end of the JSON array. Delete it.")
    lines = [n for n, _ in rows]
    own_lines = len(set(lines)) == len(lines)   # indent=2 and friends: each record starts a line
    return [(Where(n) if own_lines else Where(n, k), obj) for k, (n, obj) in enumerate(rows, 1)]


def _parquet_rows(path: Path) -> tuple[list[str], list[tuple[Where, dict]]]:
    """(columns, (where, row) per row) of a Parquet file (pandas' and datasets' to_parquet), read with
    pyarrow into plain Python values: a null is None, a list cell a list. An integer column that
    datasets saved as a ClassLabel (its names are in the file's metadata) reads as the class names,
    its -1 (datasets' hidden label) as None; an index past the names stays a number. Without pyarrow it refuses, saying how to convert the
    file; it does not fall back to another Parquet reader."""
    if not path.is_file():
        read_text(path)   # the one 'file not found' message
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{path}: a Parquet file, and reading it needs pyarrow (pip install pyarrow). Or convert "
                        f"it where pandas reads it: pandas.read_parquet('{path.name}').to_json('{_stem(path)}.jsonl', "
                        "orient='records', lines=True), and pass the .jsonl file.") from None
    try:
        table = pq.read_table(path)
    except Exception as e:   # pyarrow's ArrowInvalid, OSError, ...: the file is not (complete) Parquet
        why = " ".join(str(e).split())
        raise DataError(f"{path}: not a readable Parquet file ({type(e).__name__}: {why[:120]}). Write it again "
                        "(pandas: df.to_parquet(path)), or save the data as .jsonl or .csv.") from None
    names = _class_names_of(table.schema)
    rows = table.to_pylist()
    for row in rows if names else ():
        for col, labels in names.items():
            v = row.get(col)
            if isinstance(v, int) and not isinstance(v, bool):
                row[col] = labels[v] if 0 <= v < len(labels) else None if v < 0 else v
    return table.column_names, [(Where(None, row=i), row) for i, row in enumerate(rows, 1)]


def _class_names_of(schema) -> dict[str, list[str]]:
    """{column: class names} for the ClassLabel columns datasets describes in a Parquet file's metadata."""
    try:
        features = json.loads((schema.metadata or {})[b"huggingface"])["info"]["features"]
        return {c: list(f["names"]) for c, f in features.items()
                if isinstance(f, dict) and f.get("_type") == "ClassLabel" and f.get("names")}
    except (KeyError, TypeError, ValueError, AttributeError):   # no or other metadata: the values as they are
        return {}


ANNOUNCE_LINES = 10_000   # a file with this many lines (Parquet: rows) or more says so before it is read


def _announce(path: Path, kind: str) -> None:
    """One line before a long read: the file, its size and its lines (Parquet: rows), when it has
    ANNOUNCE_LINES or more. Counting is one pass over the bytes (a Parquet file's footer); a file that
    cannot be counted is left to the reader to complain about."""
    try:
        size = path.stat().st_size
        if kind == ".parquet":
            import pyarrow.parquet as pq
            n, unit = pq.ParquetFile(path).metadata.num_rows, "rows"
        else:
            with (gzip.open if kind.endswith(".gz") else open)(path, "rb") as f:
                n, unit = sum(b.count(b"\n") for b in iter(lambda: f.read(1 << 20), b"")), "lines"
    except Exception:   # missing, unreadable, not gzip, no pyarrow: the reader's message says which
        return
    if n >= ANNOUNCE_LINES:
        mb = f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"
        print(f"reading {path} ({mb}{' compressed' if kind.endswith('.gz') else ''}, {n:,} {unit}) ...", flush=True)


_HINTS = {"input": "input_field= to the column that holds the input text",
          "output": "output_field= to the column that holds the answer",
          "target": "target_field= to the column that holds the training target, or leave it None"}


def _file_rows(path: Path, delimiter: str | None) -> tuple[list[str] | None, list[tuple[Where, dict]]]:
    """(the CSV header or Parquet columns, else None; (where, record) per example) for any supported
    file type, gzipped text included (files.read_text unpacks it)."""
    ext = file_type(path)
    if ext in SPREADSHEETS:
        raise DataError(f"{path}: a spreadsheet file; in your spreadsheet program use Save As / Download -> "
                        "'CSV UTF-8 (comma delimited)' and pass the .csv file.")
    if ext not in FILE_TYPES:
        raise DataError(f"{path}: unsupported file type '{ext or '(none)'}'. Use .jsonl (one JSON object per line), "
                        ".json (an array of objects), .csv/.tsv (UTF-8, with a header row), any of them gzipped "
                        "(.jsonl.gz, ...), or .parquet.")
    plain = ext.removesuffix(".gz")
    if delimiter is not None and plain not in (".csv", ".tsv"):
        raise DataError(f"{path}: delimiter={delimiter!r} applies only to .csv/.tsv files.")
    _announce(path, ext)
    if ext == ".parquet":
        return _parquet_rows(path)
    if plain in (".csv", ".tsv"):
        header, rows = _csv_rows(path, delimiter)
        return header, [(Where(n), row) for n, row in rows]
    return None, (_json_rows(path) if plain == ".json" else [(Where(n), row) for n, row in jsonl_rows(path)])


def load_examples(path, input_field="input", output_field="output", id_field="id", tags_field="tags",
                  target_field=None, task: Task | None = None, delimiter: str | None = None,
                  bad_answers: str = "refuse") -> list[Example]:
    """A .jsonl, .json (array), .csv or .tsv file -> Examples. Unknown columns go to `meta`; `task`
    checks each gold answer. A CSV's delimiter is sniffed from its header unless given. With a
    NumberTask, each answer must be exactly one number (`spec.parse_number`'s grammar): a plain one
    ('9 apples' means gold 9, trained on '#### 9') or a worked solution whose last '####' line holds
    it (GSM8K's format: gold N, trained on the whole solution). Rows whose answer is not one number
    are refused together (`bad_answers="refuse"`), or left out with one printed line that counts them
    (`bad_answers="drop"`)."""
    _bad_answers(bad_answers, isinstance(task, NumberTask))
    notes = []
    got = _load_examples(Path(path), input_field, output_field, id_field, tags_field, target_field, task, delimiter,
                         bad_answers, notes)
    for note in notes:
        print(note)
    return [ex for _, ex in got]


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
        tail = answer.rsplit(marker, 1)[1].split("\n", 1)[0].strip()
        final, solution = split_solution(answer, marker)
        if final is None:
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


# ---------------------------------------------------------------- hub datasets

def _load_hub(dataset_id: str, config: str | None = None):
    """The one place that reaches the Hugging Face hub: a DatasetDict (split name -> Dataset)."""
    try:
        from datasets import load_dataset
    except ImportError as e:
        raise DataError("hub datasets need the `datasets` package: pip install datasets") from e
    try:
        return load_dataset(dataset_id, config) if config else load_dataset(dataset_id)
    except Exception as e:  # offline, typo, gated, ...: say so in one place
        raise DataError(f"could not load '{dataset_id}' from the Hugging Face hub ({type(e).__name__}: {e}). Check the "
                        "name and your network; offline, use load_task('bundled') or 'file:<path>'.") from e


def _class_names(ds, col) -> list[str] | None:
    return list(getattr((getattr(ds, "features", None) or {}).get(col), "names", None) or []) or None


def _hub_rows(dd, dataset_id, make) -> dict[str, list[Example]]:
    """{train/validation/test: examples}; `make(row, i, split)` returns an Example or None (hidden label)."""
    out = {}
    for name in dd:
        split = _ALIASES.get(name, name)
        if split in SPLITS:
            out[split] = [ex for i, row in enumerate(dd[name]) if (ex := make(row, i, name)) is not None]
    if not out.get("train"):
        raise DataError(f"{dataset_id}: no labelled 'train' split (splits: {', '.join(dd)}). Use a dataset with one, "
                        "or save it to a file and use 'file:<path>'.")
    return out


def _hub_splits(got: dict, seed, seed_size, n_validation, n_test) -> Splits:
    """Hidden-label test sets give way to the official validation set; missing ones are carved from train."""
    rng = random.Random(seed)
    train, val, test = list(got["train"]), got.get("validation") or [], got.get("test") or []
    if not test:  # e.g. SST-2: test labels are hidden, so its validation set is the test set
        test, val = val, []
    if not test:
        test, train = _carve(train, n_test, rng, "n_test")
        n_test = None
    if not val:
        val, train = _carve(train, n_validation, rng, "n_validation")
        n_validation = None
    return subsample(Splits(train, val, test), seed, seed_size, n_validation, n_test)


def _carve(items: list, size, rng, name) -> tuple[list, list]:
    """(carved, rest): `size` (default 10%) of items, chosen with rng."""
    carved = take(items, size or 0.1, rng, name)
    keep = {id(ex) for ex in carved}
    return carved, [ex for ex in items if id(ex) not in keep]


def _gsm8k(*, seed, seed_size, n_validation, n_test) -> tuple[Task, Splits]:
    def make(row, i, split):
        final, target = split_solution(row["answer"])   # calculator annotations <<2*3=6>> dropped
        if final is None:
            raise DataError(f"openai/gsm8k, split '{split}', row {i}: field 'answer' has no '#### <number>' line.")
        return Example(f"gsm8k-{split}-{i}", row["question"].strip(), final, target=target)
    got = _hub_rows(_load_hub("openai/gsm8k", "main"), "openai/gsm8k", make)
    return NumberTask(), _hub_splits(got, seed, seed_size, n_validation, n_test)


def _make_task(answer_type, name, labels, description, examples) -> Task:
    if answer_type == "label":
        return LabelTask(name, labels or sorted({ex.output for ex in examples}), description)
    if answer_type == "number":
        return NumberTask(name=name, description=description or None)
    if answer_type == "text":
        return TextTask(name, description)
    raise DataError(f"answer_type={answer_type!r}: use 'label', 'number' or 'text'.")


def _hub(dataset_id, *, seed, seed_size, n_validation, n_test, input_field="text", output_field="label",
         labels=None, config=None, answer_type="label", description="", name=None) -> tuple[Task, Splits]:
    """Any hub dataset with a text column and an answer column; integer classes map to feature names."""
    dd = _load_hub(dataset_id, config)
    names = {s: _class_names(dd[s], output_field) or labels for s in dd}  # for integer class labels

    def make(row, i, split):
        for f in (input_field, output_field):
            if f not in row:
                raise DataError(f"{dataset_id}, split '{split}', row {i}: missing field '{f}' (fields present: "
                                f"{', '.join(row)}). Pass input_field= / output_field=.")
        x, y = row[input_field], row[output_field]
        if isinstance(y, int) and not isinstance(y, bool):
            if y < 0:
                return None  # hidden label (SST-2's test split)
            y = names[split][y] if names[split] and y < len(names[split]) else y
        for f, v in ((input_field, x), (output_field, y)):
            if v is None or not str(v).strip():
                raise DataError(f"{dataset_id}, split '{split}', row {i}: empty value in field '{f}'. "
                                "Clean the dataset or use another one.")
        return Example(f"{dataset_id.split('/')[-1]}-{split}-{i}", str(x).strip(), str(y).strip())
    got = _hub_rows(dd, dataset_id, make)
    labels = labels or (next(iter(names.values())) if answer_type == "label" else None)
    task = _make_task(answer_type, name or dataset_id.split("/")[-1], labels, description,
                      [ex for exs in got.values() for ex in exs])
    for split, exs in got.items():
        for ex in exs:
            if msg := task.validate_gold(ex):
                raise DataError(f"{dataset_id}, example {ex.id}: bad value in field '{output_field}': {msg}. "
                                "Pass labels= with every label the dataset uses.")
    return task, _hub_splits(got, seed, seed_size, n_validation, n_test)


# ---------------------------------------------------------------- your own files

def _split_files(p: Path) -> list[Path] | None:
    """train/validation/test files next to (or inside) p, when p is a folder or one of them: of p's
    own type, or in a folder of the first type in FILE_TYPES that has all three. A folder without
    them is a DataError naming the missing file(s) and the data files it holds; a file without its
    two siblings is no split file (None: it is split here). It does not mix types, nor read
    dev/val files as validation (it says to rename them)."""
    if not p.is_dir() and not (p.is_file() and _stem(p) in SPLITS):
        return None
    d = p if p.is_dir() else p.parent
    for ext in (FILE_TYPES if p.is_dir() else [p.name[len(_stem(p)):]]):
        files = [d / f"{s}{ext}" for s in SPLITS]
        if all(f.is_file() for f in files):
            return files
    if not p.is_dir():
        return None
    found = sorted(f.name for f in d.iterdir() if f.is_file() and file_type(f) in FILE_TYPES)
    shown = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
    ext = max(FILE_TYPES, key=lambda t: sum((d / f"{s}{t}").is_file() for s in SPLITS))   # the likeliest type
    missing = [s for s in SPLITS if not (d / f"{s}{ext}").is_file()]
    if len(missing) == len(SPLITS):
        raise DataError(f"{p}: a data folder needs train, validation and test files (.jsonl, .json, .csv, .tsv, any "
                        f"of them .gz, or .parquet); it holds {shown or 'no data files'}. Name them so, or pass one "
                        "file (file:<folder>/<name>) to have it split.")
    renames = [f"{a}{ext} to validation{ext}" for a, s in _ALIASES.items() if s == "validation" and "validation"
               in missing and (d / f"{a}{ext}").is_file()]
    names = " and ".join(f"{s}{ext}" for s in missing)
    raise DataError(f"{p}: a data folder needs train, validation and test files; {names} "
                    f"{'is' if len(missing) == 1 else 'are'} missing (found: {shown}). "
                    + (f"Rename {renames[0]}." if renames else
                       f"Add {'it' if len(missing) == 1 else 'them'}, or pass one file to have it split."))


def _file(path, *, seed, seed_size, n_validation, n_test, answer_type="label", labels=None, description="",
          input_field="input", output_field="output", id_field="id", tags_field="tags", target_field=None,
          name=None, delimiter=None, bad_answers="refuse") -> tuple[Task, Splits]:
    """Bring-your-own data: one file (split here, seeded) or a folder of train/validation/test files.
    `bad_answers` (number answers): "refuse" rows whose answer is not one number (the default), or
    "drop" them, saying how many in `Splits.note`. Label answers are settled over all the files
    before splitting (`_label_task`); what the loader decided for you (spellings folded, class ids,
    a label missing from a split) is in `splits.note`, one line each, which `Workflow.create` prints."""
    p = Path(path)
    if isinstance(labels, str):   # 'a,b,c', as --labels takes them
        labels = [x.strip() for x in labels.split(",") if x.strip()]
    if labels and answer_type != "label":
        raise DataError(f"labels= applies only to answer_type='label' (this task's answers are {answer_type}s); "
                        "drop it, or set answer_type='label'.")
    if labels:
        _distinct(labels)
    _bad_answers(bad_answers, answer_type == "number")
    name = name or (p.name if p.is_dir() else _stem(p) if _stem(p) not in SPLITS else p.parent.name)
    if name in BUILT_IN:   # a file named gsm8k.jsonl is not the built-in task: keep run folders apart
        name = f"{name}-file"
    # a task known up front checks every gold answer with its line number
    task = None if answer_type == "label" and not labels else _make_task(answer_type, name, labels, description, [])
    origin, got, notes = {}, [], []

    def load(f: Path) -> list[Example]:
        rows = _load_examples(f, input_field, output_field, id_field, tags_field, target_field, task, delimiter,
                              bad_answers, notes, class_ids=isinstance(task, LabelTask))
        origin.update({ex.id: f"{f}, {n}" for n, ex in rows})
        got.append((f, rows))
        return [ex for _, ex in rows]
    files = _split_files(p)
    parts = [load(f) for f in files] if files else [load(p)]
    if files:
        _across_files(got, input_field, id_field)
    if answer_type == "label":
        task = _label_task(name, labels, description, got, output_field, notes)
    if files:
        splits = subsample(Splits(*parts).check(str(files[0].parent)), seed, seed_size, n_validation, n_test)
        if p.is_file():
            notes.insert(0, f"{p.name} is one of three split files: also using "
                         f"{', '.join(f.name for f in files if f.name != p.name)} from {p.parent}")
    else:
        splits = make_splits(parts[0], seed, 0.2 if n_validation is None else n_validation,
                             0.2 if n_test is None else n_test, seed_size, where=str(p))
    splits.origin = origin
    if isinstance(task, LabelTask):
        notes += _label_gaps(task, splits, output_field, split_files=bool(files))
    splits.note = "\n".join(notes)
    return task, splits


def _across_files(got: list[tuple[Path, list]], input_field: str, id_field: str) -> None:
    """Split files: an example of validation or test that repeats one of an earlier file (the same id,
    or the same input, case and spacing ignored) is leakage. One DataError counts them all and
    names the first few; each file's own repeats were refused when it was read."""
    ids, texts, found = {}, {}, []
    for f, rows in got:
        for n, ex in rows:   # no file repeats itself here: an earlier one is a file before this one
            key = normalize_text(ex.input)
            if ex.id in ids:
                found.append((f, n, f"id {quote(ex.id)} (field '{id_field}')", ids[ex.id]))
            elif key in texts:
                found.append((f, n, f"the same '{input_field}'", texts[key]))
            ids.setdefault(ex.id, (f, n))
            texts.setdefault(key, (f, n))
    if not found:
        return
    (f, n, what, (f0, n0)), rest = found[0], found[1:]
    more = f"; {len(rest)} more: {_few([f'{g.name} {m}' for g, m, _, _ in rest])}" if rest else ""
    names = " and ".join(dict.fromkeys(g.name for g, _, _, _ in found))
    raise DataError(f"{f.parent}: {len(found)} example(s) of {names} repeat one of an earlier split file (leakage: "
                    f"the model would be scored on what it trained on). {f.name}, {n} has {what} as {f0.name}, "
                    f"{n0}{more}. Keep each example in one file: delete these later copies.")


# ---------------------------------------------------------------- labels of your own files

_ID = re.compile(r"0|[1-9][0-9]*")


def _is_id(value: str) -> bool:
    """A class id as Hugging Face exports write them: 0, 1, 2, ... (an int in JSON, digits in CSV)."""
    return bool(_ID.fullmatch(value))


def _some(pairs: list[str], k: int = 2) -> str:
    return "; ".join(pairs[:k]) + (f" (and {len(pairs) - k} more)" if len(pairs) > k else "")


def _distinct(labels: list[str]) -> None:
    """labels= that the task cannot tell apart (`LabelTask` compares answers ignoring case and
    punctuation) are refused: the prompt would list both and scoring would take one for the other."""
    seen = {}
    for label in labels:
        if (key := _canon(label)) in seen:
            raise DataError(f"labels= {quote(seen[key])} and {quote(label)} are the same label to the task (it compares "
                            "answers ignoring case and punctuation). Give each label once, differing in letters or digits.")
        seen[key] = label


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
    first = {ex.output: (f, n) for f, n, ex in reversed(rows)}
    seen = {}
    for label in found:
        if (key := _canon(label)) in seen:
            (f0, n0), (f1, n1) = first[seen[key]], first[label]
            raise DataError(f"{f1}, {n1}: field '{field}' has the label {quote(label)}, and {f0.name}, {n0} has "
                            f"{quote(seen[key])}: the same label to the task (it compares answers ignoring case and "
                            "punctuation). Write one of them throughout, or rename them to differ in letters or digits.")
        seen[key] = label
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


# ---------------------------------------------------------------- entry points

def _call(fn, label, *args, **kw):
    """Call a loader, turning an unknown keyword into a DataError that lists the accepted ones."""
    ok = [k for k, p in inspect.signature(fn).parameters.items() if p.kind is p.KEYWORD_ONLY]
    if bad := sorted(set(kw) - set(ok)):
        opts = [k for k in ok if k not in ("seed", "seed_size", "n_validation", "n_test")]
        raise DataError(f"load_task({label!r}): unknown option(s) {', '.join(bad)}. Options: {', '.join(opts) or 'none'}.")
    return fn(*args, **kw)


BUILT_IN = ("bundled", "gsm8k", "sst2", "trec")


def _bundled(*, seed, seed_size, n_validation, n_test, data_dir=None) -> tuple[Task, Splits]:
    return bundled.BundledTask(), subsample(bundled.load_splits(data_dir=data_dir), seed, seed_size, n_validation, n_test)


_SST2 = dict(input_field="sentence", output_field="label", labels=["negative", "positive"], name="sst2",
             description="Movie-review sentences labelled by sentiment: negative or positive.")
_TREC = dict(input_field="text", output_field="coarse_label", labels=["ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"],
             name="trec", description="Questions labelled by the kind of answer they seek: ABBR (abbreviation), "
             "ENTY (entity), DESC (description), HUM (person), LOC (location), NUM (number).")


def load_task(name: str, *, seed=0, seed_size=None, n_validation=None, n_test=None, data_dir=None,
              **kw) -> tuple[Task, Splits]:
    """A task and its splits by name (see KNOWN_TASKS); `seed_size`/`n_validation`/`n_test` are
    seeded sizes (a count, or a fraction). `data_dir` is where 'bundled' reads and what a relative
    file path starts from; hub tasks ignore it. Other keywords go to the loader (DataError lists them).
    A file or folder that exists is read as your own data whatever its name ends in (an unsupported
    type is then refused by name, not as an unknown task)."""
    common = dict(seed=seed, seed_size=seed_size, n_validation=n_validation, n_test=n_test)
    if name == "bundled":
        return _call(_bundled, name, data_dir=data_dir, **common, **kw)
    if name == "gsm8k":
        return _call(_gsm8k, name, **common, **kw)
    if name in ("sst2", "trec"):  # the hub loader with fixed fields; features' names win over these labels
        return _call(_hub, name, "stanfordnlp/sst2" if name == "sst2" else "CogComp/trec",
                     **{**(_SST2 if name == "sst2" else _TREC), **kw}, **common)
    if name.startswith("hub:"):
        return _call(_hub, name, name[4:], **common, **kw)
    exists = bool(name.strip()) and os.path.exists(Path(data_dir) / name if data_dir else name)
    if name.startswith("file:") or name.lower().endswith(FILE_TYPES + SPREADSHEETS) or exists:
        path = name[5:] if name.startswith("file:") else name
        return _call(_file, name, Path(data_dir) / path if data_dir else path, **common, **kw)
    raise DataError(f"unknown task {name!r}. Known: {', '.join(KNOWN_TASKS)}.")


def dataset_card(splits: Splits, title: str = "Dataset") -> str:
    """Markdown: examples per split and, when examples carry tags, tag counts per split."""
    sizes = splits.sizes()
    lines = [f"### {title}", "", "| split | examples |", "|---|---:|"]
    lines += [f"| {s} | {n} |" for s, n in sizes.items()] + [f"| **total** | {sum(sizes.values())} |"]
    counts = {s: Counter(t for ex in getattr(splits, s) for t in ex.tags) for s in SPLITS}
    if tags := sorted(set().union(*counts.values())):
        lines += ["", "| tag | " + " | ".join(SPLITS) + " |", "|---|" + "---:|" * len(SPLITS)]
        lines += [f"| {t} | " + " | ".join(str(counts[s][t]) for s in SPLITS) + " |" for t in tags]
    return "\n".join(lines) + "\n"
