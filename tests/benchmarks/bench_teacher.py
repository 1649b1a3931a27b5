"""Teacher client throughput: one worker versus a thread pool, then a re-run served by the cache.

    python tests/benchmarks/bench_teacher.py [--n 64] [--latency 0.2] [--workers 8] [--repeats 1]

Runs `pada_lite.teacher.core.Teacher` with the real `OpenAIBackend` against the loopback fake
endpoint (`tests/fake_openai.py`, `--latency` seconds per call) on `n` requests spread over
the five reply schemas: `workers=1` versus `workers=W` (fresh in-memory caches, taking turns,
median of `--repeats`), then the same requests through a persistent cache file twice, with a
new `Teacher` for the second pass. Prints wall times, the ratio (target >= 6x at 8 workers)
and the calls sent and cost of the second pass (target 0).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from _common import median, print_environment, table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the fake endpoint
from fake_openai import FakeOpenAI  # noqa: E402

TARGET_SPEEDUP, TARGET_WORKERS = 6.0, 8
MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-nano"}


def environment() -> dict:
    import openai
    env = {"python": platform.python_version(), "openai": openai.__version__, "cpu_count": os.cpu_count()}
    if hasattr(os, "getloadavg"):
        env["loadavg_1m"] = round(os.getloadavg()[0], 2)   # > cores: other work is competing
    return env


def requests(n: int):
    from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, Pattern, QualityScore, Request, Strategy
    plan = [("analyst", "analysis", ErrorAnalysis), ("analyst", "patterns", Pattern),
            ("analyst", "strategies", Strategy), ("generator", "generation", NewSamples), ("checker", "qc", QualityScore)]
    out = []
    for i in range(n):
        role, stage, schema = plan[i % len(plan)]
        user = f"Request {i}. " + "A customer message about a bill, a router and a move to a new address. " * 8
        out.append(Request(role, stage, [{"role": "system", "content": "You help improve a small model."},
                                         {"role": "user", "content": user}], schema, max_tokens=512))
    return out


def run(fake, reqs, workers: int, cache=None) -> dict:
    from pada_lite.teacher.backends.openai_api import OpenAIBackend
    from pada_lite.teacher.core import Teacher
    t = Teacher(OpenAIBackend(base_url=fake.base_url, api_key="not-needed", timeout=30),
                MODELS, cache=cache, workers=workers, progress=False)
    t0 = time.perf_counter()
    out = t.ask(reqs)
    secs = time.perf_counter() - t0
    return {"workers": workers, "seconds": secs, "answered": sum(o is not None for o in out),
            "calls": t.usage.total_calls, "hits": t.usage.total_hits, "cost_usd": t.usage.total_cost}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=64, help="requests per run")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds the fake endpoint takes per call")
    ap.add_argument("--workers", type=int, default=TARGET_WORKERS, help="threads of the parallel mode")
    ap.add_argument("--repeats", type=int, default=1, help="timed repeats of each mode (median)")
    ap.add_argument("--out", default=None, help="write the results as JSON to this file")
    args = ap.parse_args()

    env = environment()
    print_environment(env)
    reqs = requests(args.n)
    results = {"env": env, "n": args.n, "latency": args.latency, "workers": args.workers, "repeats": args.repeats}
    with FakeOpenAI(latency=args.latency) as fake:
        run(fake, reqs[:2], 2)   # warm-up: imports, first connections
        single, multi = [], []
        for _ in range(args.repeats):   # alternate, so background load hits both modes alike
            single.append(run(fake, reqs, 1))
            multi.append(run(fake, reqs, args.workers))
        with tempfile.TemporaryDirectory() as d:
            first = run(fake, reqs, args.workers, cache=Path(d) / "teacher_cache.jsonl")
            second = run(fake, reqs, args.workers, cache=Path(d) / "teacher_cache.jsonl")
    s1, sw = median(r["seconds"] for r in single), median(r["seconds"] for r in multi)
    ratio = s1 / sw
    results.update(single=single, multi=multi, speedup=ratio, cache_first=first, cache_second=second)
    ideal = args.n * args.latency
    print()
    print(table(["mode", "workers", "calls", "answered", "sec (median)", "calls/s", "ideal sec"],
                [["one worker", 1, single[0]["calls"], single[0]["answered"], s1, args.n / s1, ideal],
                 ["thread pool", args.workers, multi[0]["calls"], multi[0]["answered"], sw, args.n / sw,
                  ideal / min(args.workers, args.n)]],
                title=f"== {args.n} calls, {args.latency:.3f} s each, {args.repeats} repeat(s) =="))
    print()
    print(table(["pass", "calls sent", "cache hits", "answered", "cost $", "sec"],
                [["first (empty cache)", first["calls"], first["hits"], first["answered"], f"{first['cost_usd']:.6f}",
                  first["seconds"]],
                 ["second (new Teacher)", second["calls"], second["hits"], second["answered"],
                  f"{second['cost_usd']:.6f}", second["seconds"]]],
                title="== the same requests again, through a cache file =="))
    speed_ok = ratio >= TARGET_SPEEDUP if args.workers == TARGET_WORKERS else None
    cache_ok = second["calls"] == 0 and second["cost_usd"] == 0 and second["answered"] == args.n
    results["target"] = {"speedup": TARGET_SPEEDUP, "speedup_verdict": {True: "PASS", False: "BELOW", None: "n/a"}[speed_ok],
                         "rerun_calls_cost_zero": "PASS" if cache_ok else "FAIL"}
    print(f"\nspeed-up {args.workers} workers / 1 worker: {ratio:.2f}x (target >= {TARGET_SPEEDUP:.0f}x at "
          f"{TARGET_WORKERS} workers) -> {results['target']['speedup_verdict']}")
    print(f"re-run: {second['calls']} calls sent, ${second['cost_usd']:.6f} (target 0) -> "
          f"{results['target']['rerun_calls_cost_zero']}")
    write_json(args.out, results)


if __name__ == "__main__":
    main()
