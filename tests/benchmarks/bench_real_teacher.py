"""One PaDA iteration with a real LLM teacher next to the simulated one, on the same student.

    python tests/benchmarks/bench_real_teacher.py --gguf PATH/model.gguf [--samples 40] [--profile tiny]

Starts llama.cpp's `llama-server` (from `.ci/build-llama-server`) on 127.0.0.1 with the GGUF,
then runs `Loop(methods=("sft", "pada"), iterations=1)` twice on the bundled task: with the
simulated teacher and with the real model behind the kit's `openai` teacher (every role: one
model; its check and reply format as the pre-flight finds them). The seed model (iteration 0) is
trained once and shared. Prints, per teacher: seconds and requests per stage (asked, answered,
failed, calls, tokens, generated tokens per second), the patterns found (purity and ARI against
the hidden phenomena) with their strategies, the generated samples and what QC accepted, what the
oracle reads in the generated messages (the department, or nothing it can read), and test
accuracy before and after. Every artifact stays in the two run folders under `--runs`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from _common import environment, print_environment, setup_threads, table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the server fixture
from llama_server import LlamaServer, server_binary  # noqa: E402


def timed_teacher(teacher) -> dict:
    """Wrap `teacher.ask` to add up wall seconds per stage."""
    seconds, ask = defaultdict(float), teacher.ask

    def timed(requests, desc=None):
        t0 = time.perf_counter()
        try:
            return ask(requests, desc)
        finally:
            if requests:
                seconds[requests[0].stage] += time.perf_counter() - t0
    teacher.ask = timed
    return seconds


def run_one(name: str, teacher, wf, args, iter0: Path | None):
    from pada_lite.loop.runner import Loop, LoopConfig
    from pada_lite.loop.runs import Run
    run = Run(f"real-teacher-{name}", root=args.runs)
    if iter0 is not None and not run.has("sft", "iter_0"):
        shutil.copytree(iter0, run.dir / "sft" / "iter_0")
    seconds = timed_teacher(teacher)
    t0 = time.perf_counter()
    summary = Loop(wf, teacher, run, LoopConfig(methods=("sft", "pada"), iterations=1, samples=args.samples,
                                                chunk=args.chunk, max_regen=args.max_regen)).run()
    return run, summary, seconds, time.perf_counter() - t0


def describe(name: str, run, summary, seconds, wall, teacher) -> dict:
    from pada_lite.tasks.data import read_jsonl
    from pada_lite.tasks.oracle import read_message
    d = run.dir / "pada" / "iter_1"
    rows = {r["stage"]: r for r in teacher.usage.rows(by="stage")}
    stages = [[s, round(seconds.get(s, 0.0), 1), r["requests"], r["ok"] + r["hits"], r["failed"], r["calls"],
               r["prompt_tokens"], r["completion_tokens"],
               round(r["completion_tokens"] / seconds[s], 1) if seconds.get(s) else "",
               ", ".join(f"{k} {v}" for k, v in r["reasons"].items())] for s, r in rows.items()]
    print(f"\n== {name}: {teacher.describe()} ({wall:.0f} s for the PaDA iteration and its retraining) ==")
    print(table(["stage", "seconds", "asked", "answered", "failed", "calls", "tok in", "tok out", "out tok/s", "reasons"],
                stages))
    patterns = read_jsonl(d / "patterns.jsonl") if (d / "patterns.jsonl").exists() else []
    clusters = json.loads((d / "clusters.json").read_text()) if (d / "clusters.json").exists() else {}
    print(f"\n{clusters.get('k', 0)} clusters (purity {clusters.get('purity')}, ARI {clusters.get('ari')}); "
          f"{len(patterns)} patterns with a strategy:")
    for p in patterns:
        print(f"- [{p['size']} failures, mostly {p['majority_tag']} {p['tag_share'] or 0:.0%}] {p['name']}: {p['description'][:160]}")
        print(f"    strategy: {(p['strategy'] or {}).get('strategy', '')[:200]}")
    judged = read_jsonl(d / "judged.jsonl") if (d / "judged.jsonl").exists() else []
    oracle = Counter()
    for c in judged:
        r = read_message(c["input"])
        oracle["unreadable" if r is None else "agrees" if r[0] == c["output"].strip().lower() else "disagrees"] += 1
    accepted = [c for c in judged if c["status"] == "accepted"]
    acc_oracle = Counter("unreadable" if (r := read_message(c["input"])) is None else
                         "agrees" if r[0] == c["output"].strip().lower() else "disagrees" for c in accepted)
    drops = Counter(c["reason"] for c in judged if c["status"] == "rejected")
    print(f"\n{len(judged)} generated, {len(accepted)} accepted; dropped: {dict(drops)}")
    print(f"oracle on every generated message: {dict(oracle)}; on the accepted: {dict(acc_oracle)}")
    for c in judged[:6]:
        print(f"  [{c['status']}{'' if c['status'] == 'accepted' else ': ' + str(c['reason'])}] {c['output']!r} <- {c['input'][:110]!r}")
    m = summary["methods"]
    print(f"\ntest accuracy: SFT {m['sft'][0]['test']:.3f} -> PaDA {m['pada'][-1]['test']:.3f}")
    return {"teacher": teacher.describe(), "stages": stages, "clusters": {k: clusters.get(k) for k in ("k", "purity", "ari")},
            "patterns": [{k: p[k] for k in ("name", "description", "size", "majority_tag", "tag_share", "strategy")}
                         for p in patterns],
            "generated": len(judged), "accepted": len(accepted), "drops": dict(drops), "oracle": dict(oracle),
            "oracle_accepted": dict(acc_oracle), "sft_test": m["sft"][0]["test"], "pada_test": m["pada"][-1]["test"],
            "wall_seconds": wall, "samples": [{k: c[k] for k in ("input", "output", "status", "reason")} for c in judged[:20]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", required=True, help="an instruct model's GGUF file")
    ap.add_argument("--alias", default="teacher", help="the model name the server answers to")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--samples", type=int, default=40, help="pattern-guided samples in the iteration")
    ap.add_argument("--chunk", type=int, default=4, help="samples asked for per generation request")
    ap.add_argument("--max-regen", type=int, default=1)
    ap.add_argument("--server-threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--runs", default="runs/benchmarks")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    setup_threads(args.threads)
    env = environment()
    print_environment(env)
    from pada_lite.teacher.core import make_teacher
    from pada_lite.student.workflow import Workflow

    wf = Workflow.create(args.profile, "bundled", progress=False)
    results = {}
    sim = make_teacher("sim", progress=False)
    run, summary, seconds, wall = run_one("sim", sim, wf, args, None)
    results["sim"] = describe("simulated teacher", run, summary, seconds, wall, sim)
    print(f"\nserver: {server_binary()} serving {args.gguf}", flush=True)
    with LlamaServer(gguf=args.gguf, alias=args.alias, threads=args.server_threads, slots=1, lifetime=4 * 3600) as server:
        llm = make_teacher("openai", models=server.model, base_url=server.base_url, progress=False,
                           timeout=args.timeout, max_failed_share=1.0)
        llm_run, summary, seconds, wall = run_one("llm", llm, wf, args, run.dir / "sft" / "iter_0")
        results["llm"] = describe(f"real LLM ({Path(args.gguf).name})", llm_run, summary, seconds, wall, llm)
    write_json(args.out, {"env": env, "gguf": str(args.gguf), **results})


if __name__ == "__main__":
    main()
