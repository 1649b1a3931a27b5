"""`pada-lite` on the command line (also `python -m pada_lite`).

    pada-lite demo                       # offline: fine-tune the tiny student on the bundled task
    pada-lite finetune --profile cpu     # fine-tune and save the adapter into a run folder
    pada-lite evaluate --adapter runs/NAME/adapter --split test

Every command writes into `runs/<name>/`: the resolved config, evaluation records (JSONL)
and a summary. It deliberately holds no method logic: it calls `Workflow`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=None, help="colab | cpu | tiny (default: $PADA_PROFILE, else colab with a GPU, tiny without)")
    p.add_argument("--task", default="bundled", help="bundled | gsm8k | sst2 | trec | hub:<id> | a .jsonl/.csv file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seed-size", type=int, default=None, help="keep only this many training examples (low-data regime)")
    p.add_argument("--run", default=None, help="run folder name under runs/ (default: a timestamp)")
    p.add_argument("--epochs", type=float, default=None, help="override the profile's epochs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _setup(args):
    from .runs import Run
    from .workflow import Workflow

    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    wf = Workflow.create(args.profile, args.task, seed=args.seed, seed_size=args.seed_size,
                         progress=not args.quiet, profile_overrides=overrides)
    run = Run(args.run or f"{args.command}-{wf.profile.name}-{wf.task.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    run.save_config(command=args.command, profile=wf.profile.to_dict(), task=wf.task.to_config(),
                    seed=args.seed, seed_size=args.seed_size, sizes=wf.splits.sizes())
    print(f"profile {wf.profile.name} | student {wf.profile.student} | task {wf.task.name} "
          f"| train/validation/test {wf.splits.sizes()} | run folder {run.dir}")
    return wf, run


def _train_and_report(wf, run, split: str) -> dict:
    from .evaluate import accuracy_table
    from .student import gpu_memory, trainable_parameters

    t0 = time.perf_counter()
    base = wf.base()
    before = wf.evaluate(*base, split=split)
    before.save(run.path(f"eval_before_{split}.jsonl"))
    print(gpu_memory())
    model, tok, tr = wf.finetune(adapter_dir=run.path("adapter"), output_dir=str(run.path("trainer")), base=base)
    trainable, total = trainable_parameters(model)
    print(f"trained {tr.steps} steps in {tr.seconds:.1f} s ({tr.seconds_per_step:.3f} s/step); "
          f"{trainable:,} of {total:,} parameters trainable; loss {tr.losses[0]:.3f} -> {tr.losses[-1]:.3f}"
          if tr.losses else f"trained {tr.steps} steps in {tr.seconds:.1f} s")
    print(gpu_memory())
    after = wf.evaluate(model, tok, split=split)
    after.save(run.path(f"eval_after_{split}.jsonl"))
    print(f"\naccuracy on {split} ({wf.task.name}, {wf.profile.name} profile), before and after fine-tuning:")
    print(accuracy_table({"before": before, "after": after}))
    summary = {"split": split, "before": {"overall": before.accuracy, "by_tag": before.by_tag()},
               "after": {"overall": after.accuracy, "by_tag": after.by_tag()},
               "train": {"steps": tr.steps, "seconds": tr.seconds, "losses": tr.losses},
               "wall_seconds": time.perf_counter() - t0}
    run.write_json(summary, "summary.json")
    print(f"\nrecords, adapter and summary.json in {run.dir}")
    return summary


def cmd_demo(args) -> int:
    wf, run = _setup(args)
    _train_and_report(wf, run, "test")
    return 0


def cmd_finetune(args) -> int:
    wf, run = _setup(args)
    _train_and_report(wf, run, args.split)
    return 0


def cmd_evaluate(args) -> int:
    from .student import load_adapter

    wf, run = _setup(args)
    if args.adapter:
        model, tok = load_adapter(wf.profile, args.adapter, texts=wf.corpus())
    else:
        model, tok = wf.base()
    res = wf.evaluate(model, tok, split=args.split)
    out = res.save(run.path(f"eval_{args.split}.jsonl"))
    print(f"{args.split} accuracy {res.accuracy:.3f} on {len(res.records)} samples")
    for tag, acc in res.by_tag().items():
        print(f"  {tag:<14} {acc:.3f}")
    run.write_json({"split": args.split, "overall": res.accuracy, "by_tag": res.by_tag(),
                    "adapter": args.adapter}, "summary.json")
    print(f"records in {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="pada-lite", description="Evaluation-driven data augmentation for small LMs, as a teaching kit.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="the main job, offline: fine-tune and compare before/after on the test split")
    _common(p)
    p.set_defaults(fn=cmd_demo)
    p = sub.add_parser("finetune", help="fine-tune the student (LoRA) and save the adapter in the run folder")
    _common(p)
    p.add_argument("--split", default="validation", choices=["validation", "test"], help="split to report on")
    p.set_defaults(fn=cmd_finetune)
    p = sub.add_parser("evaluate", help="evaluate the base student or a saved adapter")
    _common(p)
    p.add_argument("--adapter", default=None, help="a saved adapter folder (runs/NAME/adapter)")
    p.add_argument("--split", default="validation", choices=["train", "validation", "test"])
    p.set_defaults(fn=cmd_evaluate)
    return ap


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    from .data import DataError
    try:
        return args.fn(args)
    except (DataError, FileNotFoundError) as e:
        # bad input: say what and where, without a traceback; everything already written stays
        print(f"pada-lite: error: {e}", file=sys.stderr)
        return 2

if __name__ == "__main__":
    sys.exit(main())
