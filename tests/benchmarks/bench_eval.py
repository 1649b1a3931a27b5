"""Evaluation throughput: batched versus one-at-a-time greedy generation on the bundled task.

    python tests/benchmarks/bench_eval.py --profile cpu --n 64 --batch 16 [--max-new-tokens 6 32] [--repeats 3]

Runs `pada_lite.student.evaluate.generate` on the same validation prompts with batch_size=B and with
batch_size=1 (alternately, `--repeats` times, median taken), on the untrained base student
(zero-shot: fine for throughput). Reports samples/s, generated tokens/s (tokens up to and
including the first end-of-turn token per row), the speed-up, and how often the two modes
agree on the raw response and on the parsed answer.
"""
from __future__ import annotations

import argparse
from contextlib import contextmanager

from _common import (add_common_args, bundled_workflow, median, table, timed,
                     write_json)

TARGET_SPEEDUP = 4.0   # cpu profile (SmolLM2-135M), batch 16, the task's max_new_tokens
TARGET_BATCH = 16


@contextmanager
def count_generated(model, eos_id: int):
    """Wraps `model.generate` to count the real new tokens of every row (up to and including eos)."""
    counts = {"tokens": 0, "calls": 0, "steps": 0}
    orig = model.generate

    def generate(*args, **kw):
        out = orig(*args, **kw)
        new = out[:, kw["input_ids"].shape[1]:]
        is_eos = new == eos_id
        n = (is_eos.int().argmax(1) + 1).where(is_eos.any(1), new.new_full((new.shape[0],), new.shape[1]))
        counts["tokens"] += int(n.sum())
        counts["calls"] += 1
        counts["steps"] += new.shape[1]
        return out

    model.generate = generate
    try:
        yield counts
    finally:
        del model.generate   # back to the class's method


def run_mode(model, tok, prompts, max_new: int, batch: int) -> dict:
    from pada_lite.student.evaluate import generate

    with count_generated(model, tok.eos_token_id) as c:
        secs, out = timed(generate, model, tok, prompts, max_new, batch_size=batch, progress=False)
    return {"seconds": secs, "responses": out, **c}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="tiny", choices=["tiny", "cpu"])
    ap.add_argument("--n", type=int, default=64, help="validation examples (prompts)")
    ap.add_argument("--batch", type=int, default=16, help="batch size of the batched mode")
    ap.add_argument("--max-new-tokens", type=int, nargs="+", default=None,
                    help="one or more values (default: the task's own, 6)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats of each mode (median)")
    add_common_args(ap)
    args = ap.parse_args()

    threads, env, wf = bundled_workflow(args.profile, args.threads)
    from pada_lite.student.sft import prompt_text

    examples = wf.splits.validation[: args.n]
    load_s, (model, tok) = timed(wf.base)
    task = wf.task
    prompts = [prompt_text(task, tok, ex) for ex in examples]
    n_prompt = [len(tok(p, add_special_tokens=False).input_ids) for p in prompts]
    print(f"profile={args.profile} student={wf.profile.student} params={sum(p.numel() for p in model.parameters()):,} "
          f"dtype={next(model.parameters()).dtype} device={next(model.parameters()).device} load={load_s:.1f}s")
    print(f"{len(prompts)} validation prompts, prompt tokens min/median/max = "
          f"{min(n_prompt)}/{int(median(n_prompt))}/{max(n_prompt)}; torch threads = {threads}")

    settings = args.max_new_tokens or [task.max_new_tokens]
    results = {"env": env, "profile": args.profile, "n": len(prompts), "batch": args.batch,
               "repeats": args.repeats, "load_seconds": load_s, "runs": []}
    rows, ratio_rows = [], []
    for max_new in settings:
        # warm-up: one batch of each mode (first calls allocate and pick kernels)
        run_mode(model, tok, prompts[: args.batch], max_new, args.batch)
        run_mode(model, tok, prompts[:1], max_new, 1)
        batched, single = [], []
        for _ in range(args.repeats):   # alternate, so background load hits both modes alike
            batched.append(run_mode(model, tok, prompts, max_new, args.batch))
            single.append(run_mode(model, tok, prompts, max_new, 1))
        run = {"max_new_tokens": max_new}
        for name, reps, b in (("batched", batched, args.batch), ("one-at-a-time", single, 1)):
            s = median(r["seconds"] for r in reps)
            toks = reps[0]["tokens"]
            run[name] = {"batch_size": b, "seconds_median": s, "seconds_all": [r["seconds"] for r in reps],
                         "samples_per_s": len(prompts) / s, "gen_tokens": toks, "gen_tokens_per_s": toks / s,
                         "decode_steps": reps[0]["steps"],
                         "accuracy": sum(task.is_correct(task.parse(x), ex.output)
                                         for x, ex in zip(reps[0]["responses"], examples)) / len(examples)}
            rows.append([name, max_new, b, s, len(prompts) / s, toks / s, toks / len(prompts),
                         reps[0]["steps"], run[name]["accuracy"]])
        a, o = batched[0]["responses"], single[0]["responses"]
        run["agree_raw"] = sum(x == y for x, y in zip(a, o)) / len(a)
        run["agree_parsed"] = sum(task.parse(x) == task.parse(y) for x, y in zip(a, o)) / len(a)
        run["stable_across_repeats"] = all(r["responses"] == a for r in batched) and \
            all(r["responses"] == o for r in single)
        run["speedup_samples"] = run["batched"]["samples_per_s"] / run["one-at-a-time"]["samples_per_s"]
        run["speedup_tokens"] = run["batched"]["gen_tokens_per_s"] / run["one-at-a-time"]["gen_tokens_per_s"]
        run["disagreements"] = [{"id": ex.id, "batched": x, "single": y}
                                for ex, x, y in zip(examples, a, o) if x != y][:5]
        results["runs"].append(run)
        ratio_rows.append([max_new, run["speedup_samples"], run["speedup_tokens"],
                           f"{100 * run['agree_parsed']:.1f}%", f"{100 * run['agree_raw']:.1f}%",
                           "yes" if run["stable_across_repeats"] else "NO"])

    print()
    print(table(["mode", "max_new", "batch", "sec (median)", "samples/s", "gen tok/s", "tok/sample",
                 "decode steps", "acc (0-shot)"], rows, title=f"== throughput, {args.repeats} repeats =="))
    print()
    print(table(["max_new", "speed-up samples/s", "speed-up tok/s", "agree parsed", "agree raw", "repeatable"],
                ratio_rows, title=f"== batched (batch {args.batch}) / one-at-a-time =="))
    for run in results["runs"]:
        for d in run["disagreements"][:3]:
            print(f"  differs (max_new {run['max_new_tokens']}) {d['id']}: batched={d['batched']!r} single={d['single']!r}")

    if args.profile == "cpu":
        main_run = next((r for r in results["runs"] if r["max_new_tokens"] == task.max_new_tokens), None)
        if main_run is None or args.batch != TARGET_BATCH:
            verdict = f"n/a (the target is measured at batch {TARGET_BATCH}, max_new_tokens {task.max_new_tokens})"
        else:
            verdict = "PASS" if main_run["speedup_samples"] >= TARGET_SPEEDUP else "BELOW"
        results["target"] = {"speedup": TARGET_SPEEDUP, "batch": TARGET_BATCH, "verdict": verdict}
        print(f"\ntarget (cpu profile, batch {TARGET_BATCH}, max_new_tokens {task.max_new_tokens}): "
              f"speed-up >= {TARGET_SPEEDUP:.1f}x -> {verdict}")
    write_json(args.out, results)


if __name__ == "__main__":
    main()
