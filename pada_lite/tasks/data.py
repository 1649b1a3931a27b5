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

import inspect
import os
import random
from collections import Counter
from pathlib import Path

from pada_lite.files import DataError, quote, read_jsonl, write_jsonl
from pada_lite.tasks import bundled
from pada_lite.tasks.labels import _distinct, _label_gaps, _label_task
from pada_lite.tasks.readers import DELIMITERS, FILE_TYPES, SPREADSHEETS, _stem, file_type, sniff_delimiter
from pada_lite.tasks.rows import _bad_answers, _load_examples
from pada_lite.tasks.splits import SPLITS, Splits, _few, make_splits, parse_size, subsample, take
from pada_lite.tasks.spec import Example, LabelTask, NumberTask, Task, TextTask, normalize_text, split_solution

# what notebooks and scripts import from here; `read_jsonl`, `write_jsonl` and `DataError` live in
# files.py, `Splits`, `make_splits` and `parse_size` in splits.py
__all__ = ["DataError", "read_jsonl", "write_jsonl", "load_examples", "sniff_delimiter", "Splits", "make_splits",
           "parse_size", "load_task", "dataset_card", "SPLITS", "KNOWN_TASKS", "BUILT_IN", "FILE_TYPES",
           "SPREADSHEETS", "DELIMITERS"]
_ALIASES = {"dev": "validation", "valid": "validation", "val": "validation"}
KNOWN_TASKS = ("bundled", "gsm8k", "sst2", "trec", "hub:<dataset_id>",
               "file:<path> (or a path ending in .jsonl, .json, .csv, .tsv, any of them .gz, or .parquet)")
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
