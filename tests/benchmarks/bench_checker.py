"""The quality checker against a person's reading: today's grading prompt next to the blind one.

    python tests/benchmarks/bench_checker.py --base-url http://127.0.0.1:PORT/v1 --model NAME
    python tests/benchmarks/bench_checker.py --replies PATH/teacher_cache.jsonl     # replay, offline

`checker_labels.jsonl` (beside this script) holds samples a real teacher (Qwen2.5-Coder-1.5B-Instruct
Q4_K_M) wrote in one PaDA iteration on the bundled task, each with the department a person gave it
by reading (`read`). The rule used: read the message as a helpdesk agent would, against the task's
department list (`bundled.DEPARTMENTS`), and give the department that owns its main request; where
two departments fit about equally (a router that is down and a fibre network problem) or none does,
`read` is "?" (ambiguous). A sample is *right* when `read` equals its `output`, *wrong* when it
differs, and ambiguous samples are counted apart. Samples whose output is not a label (the kit's
format check drops them before any checker) are left out.

A second set, *flipped*, takes every right sample and gives it another label (the next in the task's
list): real messages with a wrong answer, as a careless writer would make them. Both checkers are
asked about every sample of both sets:
- grade: the prompt the kit used before (`prompts.quality`: answer_correct, fits_format,
  follows_strategy, not_trivial), accepted by `QualityScore.accepted()`;
- blind: the checker answers the input itself (`prompts.blind_check`); accepted when it agrees.
Prints the share of right samples and of wrong ones each accepts (targets: at least 70% of right,
at most 20% of wrong), and the ambiguous ones.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from _common import add_common_args, table, write_json

LABELS_FILE = Path(__file__).with_name("checker_labels.jsonl")


def load(path: Path = LABELS_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def kinds(rows: list[dict], labels: list[str]) -> list[tuple[str, dict]]:
    """(kind, sample) for every sample a checker would see: right, wrong, ambiguous, and flipped."""
    out = []
    for r in rows:
        if r["output"] not in labels:
            continue   # the format check drops it before any checker
        kind = "ambiguous" if r["read"] == "?" else "right" if r["read"] == r["output"] else "wrong"
        out.append((kind, r))
        if kind == "right":
            other = labels[(labels.index(r["output"]) + 1) % len(labels)]
            out.append(("flipped", {**r, "id": r["id"] + "-flipped", "output": other}))
    return out


def ask_both(teacher, task, samples: list[dict]) -> tuple[list, list]:
    from pada_lite.agents import prompts
    grade = teacher.ask([prompts.quality(task, {"input": s["input"], "output": s["output"]}, s.get("pattern"),
                                         s.get("strategy"), []) for s in samples], desc="grading")
    blind = teacher.ask([prompts.blind_check(task, {"input": s["input"], "output": s["output"]}) for s in samples],
                        desc="answering blind")
    return grade, blind


def score(task, seen: list[tuple[str, dict]], grade: list, blind: list) -> dict:
    from pada_lite.agents.quality import agrees
    from pada_lite.agents.synthesis import Candidate
    out = {}
    for kind in ("right", "wrong", "flipped", "ambiguous"):
        idx = [i for i, (k, _) in enumerate(seen) if k == kind]
        g = [grade[i] for i in idx if grade[i] is not None]
        b = [(blind[i], seen[i][1]) for i in idx if blind[i] is not None]
        out[kind] = {"n": len(idx),
                     "grade_accepts": sum(s.accepted() for s in g), "grade_answered": len(g),
                     "grade_says_correct": sum(s.answer_correct for s in g),
                     "blind_accepts": sum(agrees(task, a.answer, Candidate("x", s["input"], s["output"], "p", "p"))
                                          for a, s in b), "blind_answered": len(b)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-url", default=None, help="an OpenAI-compatible server (llama-server, Ollama, ...)")
    ap.add_argument("--model", default="teacher")
    ap.add_argument("--replies", default=None, help="replay a recorded run of this benchmark instead")
    ap.add_argument("--cache", default=None, help="where the teacher files its replies (a folder)")
    ap.add_argument("--workers", type=int, default=4)
    add_common_args(ap)
    args = ap.parse_args()
    from pada_lite.tasks.bundled import BundledTask
    from pada_lite.teacher.core import make_teacher
    task = BundledTask()
    if args.replies:
        teacher = make_teacher("replay", replies=args.replies, cache=args.cache, progress=False)
    else:
        teacher = make_teacher("openai", models=args.model, base_url=args.base_url, api_key="none", cache=args.cache,
                               progress=False, timeout=900, workers=args.workers, max_failed_share=1.0)
    seen = kinds(load(), task.labels)
    print(f"{len(seen)} samples: {dict(Counter(k for k, _ in seen))} ({teacher.describe()})")
    grade, blind = ask_both(teacher, task, [s for _, s in seen])
    res = score(task, seen, grade, blind)
    pct = lambda a, n: f"{a}/{n} ({a / n:.0%})" if n else "-"
    print(table(["samples", "n", "grade accepts", "grade: answer correct", "blind accepts"],
                [[k, r["n"], pct(r["grade_accepts"], r["grade_answered"]), pct(r["grade_says_correct"], r["grade_answered"]),
                  pct(r["blind_accepts"], r["blind_answered"])] for k, r in res.items()]))
    wrong = {k: res["wrong"][k] + res["flipped"][k] for k in res["wrong"]}
    print(f"wrong and flipped together: grade accepts {pct(wrong['grade_accepts'], wrong['grade_answered'])}, "
          f"blind accepts {pct(wrong['blind_accepts'], wrong['blind_answered'])} (target: at most 20%); right: grade "
          f"{pct(res['right']['grade_accepts'], res['right']['grade_answered'])}, blind "
          f"{pct(res['right']['blind_accepts'], res['right']['blind_answered'])} (target: at least 70%)")
    write_json(args.out, {"teacher": teacher.describe(), "results": res})


if __name__ == "__main__":
    main()
