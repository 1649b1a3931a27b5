"""`pada-lite` on the command line (also `python -m pada_lite`).

    pada-lite demo                       # offline: SFT vs LLM2LLM vs PaDA, tiny student, simulated teacher
    pada-lite run --methods sft,pada,pada-no-qc --iterations 3 --run NAME   # any methods; resumes NAME
    pada-lite demo --teacher openai --model gpt-4o-mini --base-url http://localhost:8000/v1
    pada-lite finetune --profile cpu     # fine-tune and save the adapter into a run folder
    pada-lite evaluate --adapter runs/NAME/adapter --split test

Every command writes into `runs/<name>/`: the resolved config, evaluation records (JSONL)
and a summary. It deliberately holds no method logic: it calls `Workflow`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
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
    f = p.add_argument_group("your own .jsonl/.csv file (--task my_data.csv)")
    f.add_argument("--input-field", default=None, help="the column holding the model's input (default: input)")
    f.add_argument("--output-field", default=None, help="the column holding the answer (default: output)")
    f.add_argument("--answer-type", default=None, choices=["label", "number", "text"], help="default: label")
    f.add_argument("--labels", default=None, help="comma-separated allowed labels (default: those in the file)")
    f.add_argument("--description", default=None, help="one or two sentences on the task, for the teacher")
    f.add_argument("--n-validation", type=_size, default=None, help="validation split: a fraction (0.2) or a count")
    f.add_argument("--n-test", type=_size, default=None, help="test split: a fraction (0.2) or a count")


def _size(text: str):
    """'0.3' -> 0.3, '200' -> 200: the loaders take a fraction or a whole count."""
    v = float(text)
    return int(v) if v >= 1 and v == int(v) else v


_FILE_OPTIONS = ("input_field", "output_field", "answer_type", "labels", "description", "n_validation", "n_test")


def _workflow(args):
    """The Workflow the command line asks for; file options go to the file loader (a clear
    DataError names the options a built-in task accepts)."""
    from .workflow import Workflow

    overrides = {"epochs": args.epochs} if args.epochs is not None else {}
    task_kw = {k: getattr(args, k) for k in _FILE_OPTIONS if getattr(args, k, None) is not None}
    if "labels" in task_kw:
        task_kw["labels"] = [x.strip() for x in task_kw["labels"].split(",") if x.strip()]
    return Workflow.create(args.profile, args.task, seed=args.seed, seed_size=args.seed_size,
                           progress=not args.quiet, profile_overrides=overrides, **task_kw)


def _setup(args):
    from .runs import Run

    wf = _workflow(args)
    args.run = args.run or f"{args.command}-{wf.profile.name}-{wf.task.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    run = Run(args.run)
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


def _teacher_args(p: argparse.ArgumentParser, methods: str) -> None:
    p.add_argument("--methods", default=methods, help="comma-separated: sft, llm2llm, pada, pada-val-only, pada-train-only, pada-no-qc")
    p.add_argument("--iterations", type=int, default=3, help="augmentation iterations after the seed fine-tune")
    p.add_argument("--samples", type=int, default=140, help="pattern-guided samples per iteration")
    p.add_argument("--parity", action="store_true", help="the same number of accepted samples for every augmenting method")
    p.add_argument("--patience", type=int, default=None, help="stop a method after this many iterations without a validation gain")
    p.add_argument("--teacher", default=None, choices=["sim", "openai"], help="default: the profile's (sim offline, openai on colab)")
    p.add_argument("--model", default=None, help="one model for every teacher role (openai)")
    for role in ("analyst", "generator", "checker"):
        p.add_argument(f"--{role}-model", default=None, help=f"the {role}'s model (openai)")
    p.add_argument("--base-url", default=None, help="any OpenAI-compatible endpoint (default: OpenAI); the key comes from "
                   "PADA_API_KEY / OPENAI_API_KEY, Colab secrets, or a prompt")
    p.add_argument("--budget", type=float, default=None, help="teacher budget in USD for the whole run, over all its "
                   "sessions: the run stops cleanly before a call could pass it")
    p.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT", type=_price,
                   help="USD per 1M input and output tokens for a model without a built-in price (repeatable)")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for one teacher reply (default 60)")
    p.add_argument("--max-retries", type=int, default=4, help="retries of a rate limit, server error, timeout or lost "
                   "connection per request, with backoff (default 4)")
    p.add_argument("--max-failed-share", type=float, default=0.5, help="stop the run when more than this share of a "
                   "stage's teacher requests fail (default 0.5)")
    p.add_argument("--no-preflight", action="store_true", help="skip the check that each teacher model answers before "
                   "any training")
    p.add_argument("--workers", type=int, default=8, help="concurrent teacher calls")
    p.add_argument("--analyst-noise", type=float, default=0.1, help="simulated teacher: share of wrong analyses")
    p.add_argument("--flaw-rate", type=float, default=0.1, help="simulated teacher: share of flawed generated samples")


def _price(text: str):
    from .pricing import parse_price
    try:
        return parse_price(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _check_resume(run, config: dict) -> None:
    """A run folder resumes only with the settings that made it."""
    if not run.has("config.json"):
        return
    old = run.read_json("config.json")
    diff = [k for k in config if k in old and old[k] != json.loads(json.dumps(config[k], default=str))]
    if diff:
        raise RunMismatch(f"{run.dir / 'config.json'} was written with other settings ({', '.join(diff)} differ); "
                          "resume with the same options, or choose a new --run name")


class RunMismatch(ValueError):
    pass


def cmd_loop(args) -> int:
    from .loop import Loop, LoopConfig
    from .report import comparison_table, write_report
    from .runs import Run, runs_root
    from .teacher import Usage, make_teacher

    wf = _workflow(args)
    cfg = LoopConfig(methods=tuple(m.strip() for m in args.methods.split(",") if m.strip()), iterations=args.iterations,
                     samples=args.samples, parity=args.parity, patience=args.patience)
    kind = args.teacher or wf.profile.teacher
    roles = ("analyst", "generator", "checker")
    models = {**(dict.fromkeys(roles, args.model) if args.model else {}),
              **{r: getattr(args, f"{r}_model") for r in roles if getattr(args, f"{r}_model")}}
    args.run = args.run or f"{args.command}-{wf.profile.name}-{wf.task.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    # subtle: the teacher is made and checked before the run folder exists, so a teacher that
    # cannot be used leaves nothing behind (its cache and call log are written on first use)
    teacher = make_teacher(kind, models=models or None, base_url=args.base_url,
                           cache=runs_root() / args.run / "teacher_cache.jsonl", budget_usd=args.budget,
                           prices=dict(args.price), workers=args.workers, progress=not args.quiet, timeout=args.timeout,
                           max_retries=args.max_retries, max_failed_share=args.max_failed_share,
                           analyst_noise=args.analyst_noise, flaw_rate=args.flaw_rate, seed=args.seed)
    print(f"profile {wf.profile.name} | student {wf.profile.student} | task {wf.task.name} | "
          f"train/validation/test {wf.splits.sizes()}\nteacher: {teacher.describe()}")
    if not args.no_preflight and cfg.iterations > 0 and set(cfg.methods) != {"sft"}:
        folder, existed = runs_root() / args.run, (runs_root() / args.run).exists()
        try:
            teacher.preflight()
        except BaseException:   # a failed check leaves no half-made run folder (its call log is all it could hold)
            if not existed and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            raise
    run = Run(args.run)
    config = dict(command="run", profile=wf.profile.to_dict(), task=wf.task.to_config(), seed=args.seed,
                  seed_size=args.seed_size, sizes=wf.splits.sizes(), loop=cfg.to_dict(), teacher=teacher.describe(),
                  teacher_models=teacher.models)
    _check_resume(run, config)
    run.save_config(**config)
    print(f"run folder {run.dir} (re-run with --run {run.name} to resume)")
    t0 = time.perf_counter()
    summary = Loop(wf, teacher, run, cfg, preflight=not args.no_preflight).run()
    print(f"\ntest accuracy ({wf.task.name}, {wf.profile.name} profile, {teacher.describe()}):")
    print(comparison_table(summary))
    print(f"\nteacher calls and cost in this session:\n{teacher.usage.table()}")
    paid = Usage.from_dict(summary["teacher"])
    print(f"sent and paid over all sessions of this run: {paid.total_calls} calls, ${paid.total_cost:.4f}")
    report = write_report(run)
    print(f"\n{time.perf_counter() - t0:.0f} s; report in {report}")
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
    p = sub.add_parser("demo", help="the main job: SFT vs LLM2LLM vs PaDA on the bundled task (offline by default)")
    _common(p)
    _teacher_args(p, "sft,llm2llm,pada")
    p.set_defaults(fn=cmd_loop)
    p = sub.add_parser("run", help="any methods and ablations, any task; --run NAME resumes an interrupted run")
    _common(p)
    _teacher_args(p, "sft,llm2llm,pada,pada-val-only,pada-train-only,pada-no-qc")
    p.set_defaults(fn=cmd_loop)
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
    if getattr(args, "quiet", False):
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()  # the "Loading weights" bars
        hf_logging.set_verbosity_error()
    from .data import DataError
    from .runs import runs_root
    from .sim import TaskNotUnderstood
    from .teacher import TeacherFailed, TeacherUnusable
    try:
        return args.fn(args)
    except (DataError, FileNotFoundError, RunMismatch, TaskNotUnderstood, TeacherUnusable) as e:
        # bad input: say what and where, without a traceback; everything already written stays
        print(f"pada-lite: error: {e}", file=sys.stderr)
        return 2
    except TeacherFailed as e:
        print(f"pada-lite: error: {e}. Everything finished is kept; fix this and resume with --run {args.run}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        started = getattr(args, "run", None) and (runs_root() / args.run).exists()
        what = (f"resume with --run {args.run}" if args.fn is cmd_loop else f"what was finished is in {runs_root() / args.run}")
        print("\ninterrupted; " + (what if started else "nothing was started"), file=sys.stderr)
        return 130

def entry() -> None:
    """The console script (and `python -m pada_lite`): `main()`, then its exit code."""
    rc = main()
    if rc == 130:
        # subtle: after Ctrl-C, tearing the interpreter down (torch loaded, connections abandoned
        # mid-read) takes over a second; every file the kit writes is already closed, so leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":
    entry()
