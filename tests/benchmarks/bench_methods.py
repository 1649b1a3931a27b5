"""SFT vs LLM2LLM vs PaDA vs the untargeted control over several seeds: test accuracy mean and spread, overall and per phenomenon.

    python tests/benchmarks/bench_methods.py --seeds 0 1 2 --iterations 3
    python tests/benchmarks/bench_methods.py --seeds 0 1 2 --analyst-noise 0.3 --flaw-rate 0.2

Each seed is one full `pada_lite.loop.runner.Loop` run (tiny profile, bundled task, simulated
teacher) in its own run folder under --runs; a folder that already finished is read back, so
an interrupted benchmark resumes. The seed changes the student's initialisation and data
order and the simulated teacher's draws; the bundled data are the same.
"""
from __future__ import annotations

import argparse
import statistics
import time

from _common import add_common_args, environment, print_environment, setup_threads, write_json


def run_seed(seed: int, args) -> dict:
    from pada_lite.loop.runner import Loop, LoopConfig
    from pada_lite.loop.runs import Run
    from pada_lite.teacher.core import make_teacher
    from pada_lite.student.workflow import Workflow

    wf = Workflow.create(args.profile, "bundled", seed=seed, progress=False)
    run = Run(f"bench-{args.profile}-s{seed}-n{args.analyst_noise}-f{args.flaw_rate}-it{args.iterations}", root=args.runs)
    if run.has("summary.json") and run.read_json("summary.json").get("done"):
        return run.read_json("summary.json")
    teacher = make_teacher("sim", cache=run.path("teacher_cache.jsonl"), progress=False, seed=seed,
                           analyst_noise=args.analyst_noise, flaw_rate=args.flaw_rate)
    cfg = LoopConfig(methods=tuple(args.methods), iterations=args.iterations, samples=args.samples)
    t0 = time.perf_counter()
    summary = Loop(wf, teacher, run, cfg).run()
    summary["done"], summary["bench_seconds"] = True, time.perf_counter() - t0
    run.write_json(summary, "summary.json")
    return summary


def stats(values: list[float]) -> str:
    m = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{m:.3f} ± {sd:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--methods", nargs="+", default=["sft", "llm2llm", "pada", "untargeted"])
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--samples", type=int, default=140)
    ap.add_argument("--analyst-noise", type=float, default=0.1)
    ap.add_argument("--flaw-rate", type=float, default=0.1)
    ap.add_argument("--runs", default="runs/benchmarks")
    add_common_args(ap)
    args = ap.parse_args()
    setup_threads(args.threads)
    env = environment()
    print_environment(env)
    out = {"env": env, "args": vars(args), "seeds": {}}
    for seed in args.seeds:
        s = run_seed(seed, args)
        out["seeds"][seed] = s
        print(f"seed {seed} (last iteration): " + ", ".join(f"{m} {rows[-1]['test']:.3f}" for m, rows in s["methods"].items())
              + f" ({s.get('bench_seconds', s['wall_seconds']):.0f} s)", flush=True)
    from pada_lite.loop.report import selected
    last = {m: [out["seeds"][s]["methods"][m][-1] for s in args.seeds] for m in args.methods}
    finals = {m: [selected(out["seeds"][s])[m] for s in args.seeds] for m in args.methods}
    print(f"\ntest accuracy at the last iteration, mean ± sd: " +
          ", ".join(f"{m} {stats([r['test'] for r in last[m]])}" for m in args.methods))
    tags = sorted(finals[args.methods[0]][0]["test_by_tag"])
    w = 14
    print(f"\ntest accuracy at each method's best-validation iteration (of {args.iterations}), mean ± sd over seeds {args.seeds} "
          f"(analyst noise {args.analyst_noise}, flaw rate {args.flaw_rate})")
    print("".ljust(w) + "".join(m.rjust(18) for m in args.methods))
    print("overall".ljust(w) + "".join(stats([r["test"] for r in finals[m]]).rjust(18) for m in args.methods))
    for t in tags:
        print(t.ljust(w) + "".join(stats([r["test_by_tag"][t] for r in finals[m]]).rjust(18) for m in args.methods))
    print("\nper seed, test accuracy by iteration:")
    for seed in args.seeds:
        for m in args.methods:
            rows = out["seeds"][seed]["methods"][m]
            extra = "".join(f"  it{r['iteration']}: {r.get('train_errors', 0)} training errors, {r.get('accepted', 0)} accepted"
                            for r in rows[1:] if "accepted" in r) if m != "sft" else ""
            print(f"  seed {seed} {m:<8} " + " ".join(f"{r['test']:.3f}" for r in rows) + extra)
    base = [r["test"] for r in finals["sft"]] if "sft" in finals else None
    if base and "pada" in finals:
        gains = {m: [a["test"] - b["test"] for a, b in zip(finals["pada"], finals[m])] for m in args.methods if m != "pada"}
        for m, g in gains.items():
            spread = statistics.stdev([r["test"] for r in finals[m]]) if len(args.seeds) > 1 else 0.0
            print(f"PaDA minus {m}: {stats(g)} (paired by seed); {m}'s seed-to-seed sd {spread:.3f}")
    if args.out:
        write_json(args.out, out)


if __name__ == "__main__":
    main()
