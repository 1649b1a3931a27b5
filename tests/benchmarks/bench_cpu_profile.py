"""Where one fine-tune of the `cpu` profile (SmolLM2-135M) spends its time and its memory.

    python tests/benchmarks/bench_cpu_profile.py [--eval 160] [--steps 12] [--fresh-cache] [--threads N]

The phases of `pada-lite finetune --profile cpu`, each timed and with the process's peak
resident memory measured over that phase alone (Linux: the peak is reset between phases):
`convert` (only with `--fresh-cache`: the one-time GGUF -> safetensors conversion, in a
temporary cache), `load` (`Workflow.base()`), `evaluate` (`Workflow.evaluate` on the first
`--eval` test examples: greedy, batched by the profile's `eval_batch_size`), `train`
(`Workflow.finetune(max_steps=--steps, base=...)`: LoRA + the HF Trainer with the answer-only
loss), and `evaluate` again on the fine-tuned model. Prints seconds, seconds per example or per
step, the resident memory after the phase and its peak, then the projection to the full
figures (700 test examples, the seed set's steps for the profile's epochs).
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

from _common import add_common_args, environment, mem_now, mem_peak, mem_reset, print_environment, setup_threads, table, write_json


def phase(name: str, fn, rows: list, n: int | None = None, unit: str = ""):
    mem_reset()
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    rows.append({"phase": name, "seconds": secs, "per_unit": secs / n if n else None, "unit": unit,
                 **{k: v for k, v in mem_now().items()}, **mem_peak()})
    print(f"{name}: {secs:.1f} s, peak RSS {rows[-1].get('peak_rss_gib', float('nan')):.2f} GiB", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=int, default=160, help="test examples per evaluation (the split has 700)")
    ap.add_argument("--steps", type=int, default=12, help="training steps")
    ap.add_argument("--fresh-cache", action="store_true", help="convert the GGUF again, in a temporary cache")
    add_common_args(ap)
    args = ap.parse_args()
    threads = setup_threads(args.threads)
    if args.fresh_cache:
        os.environ["PADA_CACHE"] = tempfile.mkdtemp(prefix="pada-cache-")
    env = environment()
    print_environment(env)
    from pada_lite.student.smollm2 import converted_path
    from pada_lite.student.workflow import Workflow

    wf = Workflow.create("cpu", "bundled", progress=False)
    prof, rows = wf.profile, []
    if args.fresh_cache:
        phase("convert", converted_path, rows)
    examples = wf.splits.test[: args.eval]
    base = phase("load", wf.base, rows)
    phase("evaluate", lambda: wf.evaluate(*base, examples=examples), rows, len(examples), "example")
    with tempfile.TemporaryDirectory() as out:
        model, tok, tr = phase("train", lambda: wf.finetune(max_steps=args.steps, base=base, output_dir=out),
                               rows, args.steps, "step")
    after = phase("evaluate trained", lambda: wf.evaluate(model, tok, examples=examples), rows, len(examples), "example")
    print()
    print(table(["phase", "seconds", "per unit", "unit", "RSS after GiB", "peak RSS GiB"],
                [[r["phase"], r["seconds"], r["per_unit"] or "", r["unit"], r.get("rss_gib", ""), r.get("peak_rss_gib", "")]
                 for r in rows]))
    per_example = [r["per_unit"] for r in rows if r["unit"] == "example"]
    per_step = next(r["per_unit"] for r in rows if r["unit"] == "step")
    steps = math.ceil(len(wf.splits.train) / (prof.batch_size * prof.grad_accum)) * prof.epochs
    print(f"\nprojected: one evaluation of the 700 test examples {700 * per_example[-1]:.0f} s; "
          f"fine-tuning on the {len(wf.splits.train)} seed examples ({steps:.0f} steps) {steps * per_step:.0f} s; "
          f"accuracy of the trained model on these {len(examples)} examples {after.accuracy:.3f}")
    write_json(args.out, {"env": env, "threads": threads, "phases": rows, "losses": tr.losses})


if __name__ == "__main__":
    main()
