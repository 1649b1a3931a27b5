"""Near-duplicate checks: `NearDupIndex` (inverted-index pre-filter + bit-parallel LCS) versus brute force.

    python tests/benchmarks/bench_dedup.py [--n-index 1300] [--n-new 300] [--join 1 2] [--repeats 3]

Indexes `n-index` texts made from the bundled inputs (`--join 2`: two consecutive messages per
text, about 36 words, the scale of generated samples with a preamble) and checks `n-new` new
texts against them: bank-"B" messages (the simulated teacher's phrasing, like generated data)
with one in ten a perturbed copy of an indexed text. Times, per threshold (0.95 as LLM2LLM,
0.7 as the leakage guard): building the index, `is_dup` for every new text, the same while
`add`ing each kept text (a batch deduplicated against itself), and `rouge_l` against every
indexed text (brute force, on the first `--brute` new texts, scaled to all of them); checks
the two agree. Then `LeakGuard` over validation+test, without and with `allow=` the training
inputs: build, `is_leak` x n-new, training inputs flagged, and the spans `redact` removes from a
prompt quoting 20 test messages and from one quoting 20 training messages. One thread, numpy.
"""
from __future__ import annotations

import argparse
import random
import time

from _common import add_common_args, environment, median, print_environment, table, write_json


def corpus(join: int, n_index: int, n_new: int, seed: int = 0) -> tuple[list[str], list[str]]:
    from pada_lite.tasks.bundled import LABELS, PHENOMENA, generate_example, load_splits
    splits = load_splits()
    base = [e.input for s in ("train", "validation", "test") for e in getattr(splits, s)]
    rng = random.Random(seed)
    indexed = [" ".join(base[(i * join + j) % len(base)] for j in range(join)) for i in range(n_index)]
    new = []
    for i in range(n_new):
        if i % 10 == 0:   # a near-copy: one word changed
            ws = rng.choice(indexed).split()
            ws[rng.randrange(len(ws))] = "please"
            new.append(" ".join(ws))
        else:
            new.append(" ".join(generate_example(rng, rng.choice(LABELS), rng.choice(PHENOMENA), "B").input
                                for _ in range(join)))
    return indexed, new


def secs(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-index", type=int, default=1300)
    ap.add_argument("--n-new", type=int, default=300)
    ap.add_argument("--join", type=int, nargs="+", default=[1, 2], help="bundled messages per text")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.95, 0.7])
    ap.add_argument("--brute", type=int, default=30, help="new texts checked by brute force")
    ap.add_argument("--repeats", type=int, default=3)
    add_common_args(ap)
    args = ap.parse_args()
    from pada_lite.agents.overlap import LeakGuard, NearDupIndex, rouge_l, tokenize
    env = environment()
    print_environment(env)

    rows, results = [], {"env": env, "args": vars(args), "dedup": [], "leak_guard": {}}
    for join in args.join:
        indexed, new = corpus(join, args.n_index, args.n_new)
        words = sorted(len(tokenize(t)) for t in indexed)[len(indexed) // 2]
        for th in args.thresholds:
            t_build, index = secs(lambda: NearDupIndex(indexed, th), args.repeats)
            t_check, dups = secs(lambda: [index.is_dup(t) for t in new], args.repeats)

            def check_and_add():
                ix, kept = NearDupIndex(indexed, th), 0
                for t in new:
                    if not ix.is_dup(t):
                        ix.add(t)
                        kept += 1
                return kept
            t_add, kept = secs(check_and_add, args.repeats)
            t0 = time.perf_counter()
            brute = [max(rouge_l(t, x) for x in indexed) >= th for t in new[:args.brute]]
            t_brute = (time.perf_counter() - t0) * len(new) / max(1, args.brute)
            agree = brute == dups[:args.brute]
            r = {"join": join, "median_words": words, "threshold": th, "build_s": t_build, "check_s": t_check,
                 "check_add_s": t_add, "brute_s_est": t_brute, "speedup": t_brute / t_check, "dups": sum(dups),
                 "kept_after_add": kept, "agrees_with_brute": agree}
            results["dedup"].append(r)
            rows.append([join, words, th, t_build, t_check, t_add, t_brute, r["speedup"], sum(dups), kept, agree])
    print(table(["join", "words", "thresh", "build s", f"check x{args.n_new} s", "check+add s", "brute s (est)",
                 "speed-up", "dups", "kept", "agree"], rows,
                f"{args.n_new} new texts against {args.n_index} indexed (median of {args.repeats})"))

    # the leakage guard over the real protected sets, without and with the training inputs allowed
    from pada_lite.tasks.bundled import load_splits
    splits = load_splits()
    protected = [e.input for s in ("validation", "test") for e in getattr(splits, s)]
    train = [e.input for e in splits.train]
    _, new = corpus(1, args.n_index, args.n_new)
    quote = "\n".join(f"Example {i}: {{}} (the model answered wrongly)" for i in range(20))
    rows = []
    for allow in ("none", "train"):
        t_build, guard = secs(lambda: LeakGuard(protected, allow=train if allow == "train" else ()), args.repeats)
        t_leak, leaks = secs(lambda: [guard.is_leak(t) for t in new], args.repeats)
        t_red, (_, n_test) = secs(lambda: guard.redact(quote.format(*protected[:20])), args.repeats)
        n_train = guard.redact(quote.format(*train[:20]))[1]
        r = {"allow": allow, "build_s": t_build, "is_leak_s": t_leak, "leaks": sum(leaks),
             "train_flagged": sum(guard.is_leak(t) for t in train), "redact_s": t_red,
             "spans_in_test_prompt": n_test, "spans_in_train_prompt": n_train}
        results["leak_guard"][allow] = r
        rows.append(list(r.values()))
    print(table(["allow", "build s", f"is_leak x{args.n_new} s", "leaks", f"train flagged /{len(train)}", "redact s",
                 "spans: 20 test quoted", "20 train quoted"], rows,
                f"\nLeakGuard({len(protected)} validation + test inputs, threshold 0.7, ngram 8)"))
    write_json(args.out, results)


if __name__ == "__main__":
    main()
