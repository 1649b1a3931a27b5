"""Reading a file into records: each record with where it sits (`Where`: its line, its index in a
one-line JSON array, or its Parquet row), for .jsonl, .json (an array), .csv and .tsv (any of them
gzipped) and .parquet. A CSV's delimiter is sniffed from its header; a file of 10,000 lines or more
says what it reads first. It deliberately does not look inside a record: `rows` checks each one.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pada_lite.files import DataError, jsonl_rows, read_text

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
    counted = [0, 1]   # (offset, its line): positions are asked in order, so each newline is counted once

    def line_at(k: int) -> int:
        counted[1] += text.count("\n", counted[0], k)
        counted[0] = k
        return counted[1]
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
    its -1 (datasets' hidden label) as None; an index past the names stays a number. Without pyarrow
    it refuses, saying how to convert the file; it does not fall back to another Parquet reader."""
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
