"""Files: the kit's one place for reading and writing them.

- `read_text`: a UTF-8 text file (Excel's byte-order mark tolerated; a name ending in .gz is
  decompressed first); `DataError` names the bad byte's line.
- `read_jsonl` / `write_jsonl`: one JSON object per line, UTF-8; `jsonl_rows` keeps the line numbers.
- `atomic_write_text` / `atomic_write_bytes`: write a file beside its final name, then swap it in.
- `publish_folder`: the same for a folder (a converted or freshly built model).
- `cache_root`: where built models are cached, `$PADA_CACHE` or `~/.cache/pada_lite`.
- `quote`: a value as an error message shows it, cut short.

Every write is atomic: a killed run never leaves half a file (or folder) that looks finished.
It deliberately does not know what the rows mean (see `data.py`, `splits.py`), and it is not
the append-only teacher logs (`cache.py`), which must survive a kill between two lines.
"""
from __future__ import annotations

import codecs
import gzip
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path


class DataError(ValueError):
    """Bad input data. The message says where (file, line, field) and what to do."""


def quote(value, limit: int = 60) -> str:
    """A value as an error message quotes it: repr'd, and cut to `limit` characters with its full
    length said, so a 5 MB value never becomes a 5 MB message."""
    text = str(value)
    if len(text) <= limit:
        return repr(text) if isinstance(value, str) else repr(value)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def cache_root() -> Path:
    """`$PADA_CACHE` if set (`~` expanded), else `~/.cache/pada_lite`."""
    env = os.environ.get("PADA_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "pada_lite"


# ---------------------------------------------------------------- reading

def read_text(path) -> str:
    """The text of a UTF-8 file, gunzipped first when its name ends in .gz (what gzip, pandas'
    compression='gzip' and datasets' compression='gzip' write); DataError for a missing file, a
    broken .gz or bytes that are not UTF-8. It does not guess other encodings or compressions."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found. Check the path (relative paths start from {Path.cwd()}).")
    data = path.read_bytes()
    gz = path.name.lower().endswith(".gz")
    if gz:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:   # not gzip at all, or cut short
            raise DataError(f"{path}: not a complete gzip file ({e}). Compress it again (gzip -k FILE), or pass "
                            "the uncompressed file.") from None
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # tolerate Excel's BOM
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = e.start + skip
        line = data[:at].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not valid UTF-8 (byte 0x{data[at]:02x} at byte offset {at}"
                        f"{' of the uncompressed text' if gz else ''}). Re-save the file as UTF-8 (spreadsheets: "
                        "'CSV UTF-8').") from None


def jsonl_rows(path) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line; DataError names the first bad line."""
    path, rows = Path(path), []
    for n, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}, line {n}: malformed JSON ({e.msg} at column {e.colno}). Each line must be one "
                            'complete JSON object, e.g. {"input": "...", "output": "..."}.') from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}, line {n}: expected a JSON object {{...}}, got {type(obj).__name__}. "
                            "Put exactly one object per line.")
        rows.append((n, obj))
    return rows


def read_jsonl(path) -> list[dict]:
    """All objects in a .jsonl file (blank lines skipped); DataError names the bad line."""
    return [row for _, row in jsonl_rows(path)]


# ---------------------------------------------------------------- writing

def atomic_write_bytes(path, data: bytes) -> Path:
    """Write `data` to `path` (parent folders made): into `<name>.tmp` beside it, then swapped in."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a killed run never leaves half a file that looks finished
    return path


def atomic_write_text(path, text: str) -> Path:
    """`atomic_write_bytes` for text, as UTF-8 with '\\n' line ends on every platform."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_jsonl(path, rows) -> Path:
    """Write dicts (or objects with `to_dict()`) one per line as UTF-8, atomically; creates parent folders."""
    lines = (json.dumps(r.to_dict() if hasattr(r, "to_dict") else r, ensure_ascii=False) + "\n" for r in rows)
    return atomic_write_text(path, "".join(lines))


def publish_folder(final: Path, fill, prefix: str, complete=Path.exists) -> Path:
    """Build a folder atomically: `fill(tmp)` writes into a fresh folder beside `final`, which is then
    renamed to `final`. If another process got there first, its folder is kept and ours discarded;
    `complete(final)` says whether what is there will do (else the rename's error is raised)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=prefix))
    try:
        fill(tmp)
        try:
            os.rename(tmp, final)  # atomic; fails if `final` now exists and is non-empty
        except OSError:
            if not complete(final):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # no-op after a successful rename
    return final
