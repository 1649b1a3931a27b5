"""`pada-lite` on the command line (also `python -m pada_lite`).

    pada-lite demo                       # offline: SFT vs LLM2LLM vs PaDA vs untargeted, tiny student, simulated teacher
    pada-lite run --methods sft,pada,pada-no-qc --iterations 3 --run NAME   # any methods; resumes NAME
    pada-lite demo --teacher openai --model gpt-4o-mini --base-url http://localhost:8000/v1
    pada-lite demo --teacher replay --replies runs/NAME   # that run's teacher replies again, offline
    pada-lite finetune --profile cpu     # fine-tune and save the adapter into a run folder
    pada-lite evaluate --adapter runs/NAME/adapter --split test

Every command writes into `runs/<name>/`: the resolved config, evaluation records (JSONL)
and a summary. Exit codes: 0 done, 1 the teacher failed mid-run, 2 a mistake in the input or
options (one line, nothing paid), 3 stopped early because the teacher's budget was spent,
130 interrupted. It deliberately holds no method logic: it calls `Workflow`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from pada_lite.files import quote

EXIT_BUDGET = 3   # a run stopped early because the teacher's budget was spent (1: teacher failed, 2: bad input)


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit code 2, no traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # argparse's own complaints, as one line like every other
        raise UsageError(f"{message} (see {self.prog} --help)")


def _number(kind, low=None, high=None, low_open=False, what=""):
    """An argparse type: `kind` (int/float) within [low, high] (low excluded when low_open)."""
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
                                             f"{' ' + what if what else ''}") from None
        if (low is not None and (v <= low if low_open else v < low)) or (high is not None and v > high):
            rng = (f"above {low}" if low_open else f"at least {low}") if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: give a value {rng}{' ' + what if what else ''}")
        return v
    return parse


def _size(text: str):
    """'0.3' -> 0.3, '20%' -> 0.2, '200' -> 200: a fraction, a percentage or a whole count."""
    from pada_lite.tasks.data import parse_size
    try:
        v = parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if v <= 0 or (v >= 1 and v != int(v)):
        raise argparse.ArgumentTypeError(f"{text!r}: every split needs examples; give a fraction (0.2), a percentage "
                                         "(20%) or a whole count (200)")
    return v


def _run_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise argparse.ArgumentTypeError(f"{text!r}: a run name is one folder name under runs/: letters, digits, "
                                         "'.', '_' and '-'")
    return text


def _delimiter(text: str) -> str:
    from pada_lite.tasks.data import DELIMITERS
    names = {**{v: k for k, v in DELIMITERS.items()}, **{k: k for k in DELIMITERS}, "\\t": "\t", "tab": "\t"}
    if text not in names:
        raise argparse.ArgumentTypeError(f"{text!r}: use one of , ; tab | (or comma, semicolon, pipe)")
    return names[text]


def _common(p: argparse.ArgumentParser, training: bool = True) -> None:
    p.add_argument("--profile", default=None, help="colab | cpu | tiny (default: $PADA_PROFILE, else colab with a GPU, tiny without)")
    p.add_argument("--task", default="bundled", help="bundled | gsm8k | sst2 | trec | hub:<id> | a .jsonl/.json/"
                   ".csv/.tsv file (or any of them .gz), a .parquet file, or a folder of train/validation/test files")
    p.add_argument("--seed", type=_number(int), default=0)
    p.add_argument("--seed-size", type=_number(int, 1), default=None,
                   help="keep only this many training examples (low-data regime)")
    p.add_argument("--run", type=_run_name, default=None, help="run folder name under runs/ (default: a timestamp)")
    p.add_argument("--epochs", type=_number(float, 0, low_open=True), default=None,
                   help="override the profile's epochs" if training else argparse.SUPPRESS)
    p.add_argument("--max-len", type=_number(int, 32), default=None, help="override the profile's max_len: the "
                   "tokens of prompt and answer one example may hold (colab 512, cpu 256, tiny 192)")
    p.add_argument("--long-inputs", default="refuse", choices=["refuse", "truncate"],
                   help="an example longer than the profile's max_len tokens: refuse it, naming its file and line "
                   "(default), or cut its input at the end to fit, with a count on screen (training and evaluation alike)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    f = p.add_argument_group("your own .jsonl/.json/.csv/.tsv(.gz) or .parquet file (--task my_data.csv)")
    f.add_argument("--input-field", default=None, help="the column holding the model's input (default: input)")
    f.add_argument("--output-field", default=None, help="the column holding the answer (default: output)")
    f.add_argument("--answer-type", default=None, choices=["label", "number", "text"],
                   help="default: label. number: the answer is one number (unit words after it are fine: '9 apples'), "
                   "or a worked solution ending in '#### N' (GSM8K's format): then N is the gold answer and the whole "
                   "solution is what the student trains on")
    f.add_argument("--bad-answers", default=None, choices=["refuse", "drop"],
                   help="number answers: a row whose answer is not exactly one number ('9:5', '3/4', '7; 8; 9'): "
                   "refuse the file, naming the rows (default), or leave such rows out, with a count on screen")
    f.add_argument("--labels", default=None, help="comma-separated allowed labels (default: those in the file; "
                   "label answers only)")
    f.add_argument("--description", default=None, help="one or two sentences on the task, for the teacher")
    f.add_argument("--delimiter", type=_delimiter, default=None, help="a CSV's separator: , ; tab | "
                   "(default: read from its header line; Excel writes ; in much of Europe)")
    p.add_argument("--n-validation", type=_size, default=None,
                   help="validation split: a fraction (0.2), a percentage (20%%) or a count")
    p.add_argument("--n-test", type=_size, default=None, help="test split: a fraction (0.2), a percentage (20%%) or a count")


_FILE_OPTIONS = ("input_field", "output_field", "answer_type", "labels", "description", "delimiter", "bad_answers")
_SIZES = ("n_validation", "n_test")
# how an option is written in Python (the loaders' messages) -> on this command line
_FLAGS = {"input_field": "--input-field", "output_field": "--output-field", "answer_type": "--answer-type",
          "labels": "--labels", "description": "--description", "delimiter": "--delimiter",
          "n_validation": "--n-validation", "n_test": "--n-test", "validation": "--n-validation",
          "test": "--n-test", "seed_size": "--seed-size", "long_inputs": "--long-inputs", "max_len": "--max-len",
          "shots": "--shots", "chunk": "--chunk", "bad_answers": "--bad-answers", "seed": "--seed",
          "replies": "--replies"}


def in_flags(message: str) -> str:
    """A loader's message in the flags the user typed: `input_field=` -> `--input-field`,
    `validation=0.5` -> `--n-validation 0.5`, `long_inputs='truncate'` -> `--long-inputs truncate`."""
    message = message.replace(", or pass api_key=...", "")

    def flag(m):
        quoted = m.group(2) if m.group(2) is not None else m.group(3)
        value = quoted if quoted is not None else m.group(4).rstrip(".")
        rest = "" if quoted is not None else m.group(4)[len(value):]
        return _FLAGS[m.group(1)] + (f" {value}" if value else "") + rest
    return re.sub(r"\b(" + "|".join(_FLAGS) + r")=(?:'([^']*)'|\"([^\"]*)\"|([^\s,;:]*))", flag, message)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check(args, profile) -> None:
    """Refuse what cannot apply, naming what would (before anything is loaded or paid for)."""
    from pada_lite.tasks.data import BUILT_IN, FILE_TYPES, SPREADSHEETS
    from pada_lite.student.profiles import PROFILES
    given = [k for k in _FILE_OPTIONS if getattr(args, k, None) is not None]
    task = args.task
    own = (task.startswith("file:") or task.lower().endswith(FILE_TYPES + SPREADSHEETS)
           or (os.path.exists(task) and task not in BUILT_IN))
    if task.startswith("hub:"):   # a hub dataset takes the same fields, but is no CSV
        given = [k for k in given if k == "delimiter"]
        own = False
    if given and not own:
        raise UsageError(f"{', '.join(map(_option, given))} appl{'ies' if len(given) == 1 else 'y'} only to your own "
                         f"file (--task my_data.csv); the {task!r} task defines its own fields and answers")
    if args.labels is not None and (args.answer_type or "label") != "label":
        raise UsageError(f"--labels applies only to label answers (--answer-type label); these answers are "
                         f"{args.answer_type}s: drop --labels")
    if args.bad_answers is not None and args.answer_type != "number":
        raise UsageError(f"--bad-answers applies only to number answers (--answer-type number); these answers are "
                         f"{args.answer_type or 'label'}s: drop --bad-answers")
    if args.labels is not None and len([x for x in args.labels.split(",") if x.strip()]) < 2:
        raise UsageError(f"--labels {args.labels!r}: give at least two labels, comma-separated (billing,shipping)")
    if args.description is not None and not args.description.strip():
        raise UsageError("--description is empty: give one or two sentences on the task, or leave it out")
    if args.command == "evaluate" and args.epochs is not None:
        raise UsageError("--epochs applies to training (finetune, run, demo), not evaluate")
    if args.command == "evaluate" and args.adapter and not os.path.isfile(os.path.join(args.adapter, "adapter_config.json")):
        raise UsageError(f"--adapter {args.adapter}: no adapter there (adapter_config.json missing); give the folder "
                         "a finetune or run saved, e.g. runs/NAME/adapter")
    if profile not in PROFILES:
        raise UsageError(f"{'--profile' if args.profile else 'PADA_PROFILE'} {profile!r}: use one of {', '.join(PROFILES)}")
    if args.fn is not cmd_loop:
        return
    from pada_lite.loop.runner import METHODS
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if bad := [m for m in methods if m not in METHODS] or ([] if methods else ["(none)"]):
        raise UsageError(f"--methods: unknown method(s) {', '.join(bad)}; choose from {', '.join(METHODS)}")
    kind = args.teacher or PROFILES[profile].teacher
    only = {"sim": ["analyst_noise", "flaw_rate"],
            "openai": ["model", "analyst_model", "generator_model", "checker_model", "base_url", "budget", "timeout",
                       "max_retries"] + (["price"] if args.price else []),
            "replay": ["replies"]}
    for other, names in only.items():
        if other != kind and (wrong := [n for n in names if getattr(args, n) not in (None, [])]):
            raise UsageError(f"{', '.join(map(_option, wrong))} appl{'ies' if len(wrong) == 1 else 'y'} only to "
                             f"--teacher {other}; this run's teacher is {kind}")
    if kind == "replay" and args.replies is None:
        raise UsageError("--teacher replay needs --replies PATH: the teacher_cache.jsonl of a recorded run, or its "
                         "run folder")
    if kind == "replay" and not os.path.exists(args.replies):
        raise UsageError(f"--replies {args.replies}: no such file or folder; give the teacher_cache.jsonl of a "
                         "recorded run, or its run folder")
    if args.base_url is not None and not re.match(r"https?://[^\s/]+", args.base_url):
        raise UsageError(f"--base-url {args.base_url!r}: give the endpoint's URL, e.g. http://127.0.0.1:8080/v1")


def _workflow(args):
    """The Workflow the command line asks for, its examples measured against the profile's max_len
    (refused or cut, --long-inputs) before anything else is loaded or paid for."""
    from pada_lite.student.profiles import default_profile_name
    from pada_lite.student.workflow import Workflow

    profile = (args.profile or default_profile_name()).lower()
    _check(args, profile)
    overrides = {k: getattr(args, k) for k in ("epochs", "max_len") if getattr(args, k) is not None}
    task_kw = {k: getattr(args, k) for k in _FILE_OPTIONS + _SIZES if getattr(args, k, None) is not None}
    if "labels" in task_kw:
        task_kw["labels"] = [x.strip() for x in task_kw["labels"].split(",") if x.strip()]
    task = f"file:{args.task}" if os.path.isdir(args.task) else args.task   # a folder of split files
    wf = Workflow.create(profile, task, seed=args.seed, seed_size=args.seed_size, progress=not args.quiet,
                         profile_overrides=overrides, long_inputs=args.long_inputs,
                         say=lambda line: print(in_flags(line)), **task_kw)
    wf.fit_lengths()
    return wf


def _name_run(args, wf) -> str:
    """--run, else `<command>-<profile>-<task>-<date>-<time>` made safe as one folder name that --run
    accepts (a task named after 'my data.csv' gives '...-my-data-...'); kept in `args.run` for the exit
    messages."""
    from pada_lite.loop.runs import safe_name
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.run = args.run or safe_name(f"{args.command}-{wf.profile.name}-{wf.task.name}-{stamp}")
    return args.run


def _setup(args):
    from pada_lite.loop.runs import Run

    wf = _workflow(args)
    run = Run(_name_run(args, wf))
    run.save_config(command=args.command, profile=wf.profile.to_dict(), task=wf.task.to_config(),
                    seed=args.seed, seed_size=args.seed_size, sizes=wf.splits.sizes())
    print(f"profile {wf.profile.name} | student {wf.profile.student} | task {wf.task.name} "
          f"| train/validation/test {wf.splits.sizes()} | run folder {run.dir}")
    return wf, run


def _train_and_report(wf, run, split: str) -> dict:
    from pada_lite.student.evaluate import accuracy_table
    from pada_lite.student.load import gpu_memory, trainable_parameters

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
    p.add_argument("--methods", default=methods, help="comma-separated: sft, llm2llm, pada, pada-val-only, pada-train-only, pada-no-qc, untargeted "
                                                  "(the control: PaDA's budget of samples like random training examples)")
    p.add_argument("--iterations", type=_number(int, 0), default=3, help="augmentation iterations after the seed fine-tune")
    p.add_argument("--samples", type=_number(int, 1), default=140, help="pattern-guided samples per iteration")
    p.add_argument("--shots", type=_number(int, 0), default=4, help="training examples shown to the generator per "
                   "request (default 4)")
    p.add_argument("--chunk", type=_number(int, 1), default=8, help="samples asked for per generator request (default 8)")
    p.add_argument("--parity", action="store_true", help="the same number of accepted samples for every augmenting method")
    p.add_argument("--patience", type=_number(int, 1), default=None,
                   help="stop a method after this many iterations without a validation gain")
    p.add_argument("--teacher", default=None, choices=["sim", "openai", "replay"],
                   help="default: the profile's (sim offline, openai on colab); replay: a recorded run's replies (--replies)")
    p.add_argument("--replies", default=None, metavar="PATH", help="the teacher_cache.jsonl of a recorded run, or its "
                   "run folder: its replies are replayed offline, and a request it does not hold stops the run (replay)")
    p.add_argument("--model", default=None, help="one model for every teacher role (openai)")
    for role in ("analyst", "generator", "checker"):
        p.add_argument(f"--{role}-model", default=None, help=f"the {role}'s model (openai)")
    p.add_argument("--base-url", default=None, help="any OpenAI-compatible endpoint (default: OpenAI); the key comes from "
                   "PADA_API_KEY / OPENAI_API_KEY, Colab secrets, or a prompt")
    p.add_argument("--budget", type=_number(float, 0, low_open=True, what="USD"), default=None,
                   help="teacher budget in USD for the whole run, over all its sessions: the run stops cleanly before "
                   "a call could pass it (openai)")
    p.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT", type=_price,
                   help="USD per 1M input and output tokens for a model without a built-in price (repeatable; openai)")
    p.add_argument("--timeout", type=_number(float, 0, low_open=True, what="seconds"), default=None,
                   help="seconds to wait for one teacher reply (default 60; openai)")
    p.add_argument("--max-retries", type=_number(int, 0), default=None, help="retries of a rate limit, server error, "
                   "timeout or lost connection per request, with backoff (default 4; openai)")
    p.add_argument("--max-failed-share", type=_number(float, 0, 1), default=0.5, help="stop the run when more than "
                   "this share of a stage's teacher requests fail (default 0.5)")
    p.add_argument("--no-preflight", action="store_true", help="skip the check that each teacher model answers before "
                   "any training")
    p.add_argument("--workers", type=_number(int, 1), default=8, help="concurrent teacher calls")
    p.add_argument("--analyst-noise", type=_number(float, 0, 1), default=None,
                   help="simulated teacher: share of wrong analyses (default 0.1; sim)")
    p.add_argument("--flaw-rate", type=_number(float, 0, 1), default=None,
                   help="simulated teacher: share of flawed generated samples (default 0.1; sim)")


def _price(text: str):
    from pada_lite.teacher.pricing import parse_price
    try:
        return parse_price(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# config.json keys a resumed run may change: the teacher's description names its URL, and the same
# models served at another URL (a local server restarted on another port) give the same replies
_MAY_CHANGE = {"teacher"}
_SETTING_NAMES = {"teacher_models": "teacher model", "teacher_settings": "teacher", "seed_size": "seed size"}


def _differences(old, now, path: tuple = ()) -> list[tuple[tuple, object, object]]:
    """(path, value in config.json, value now) of every setting both have and that differs."""
    if isinstance(old, dict) and isinstance(now, dict):
        return [d for k in now if k in old for d in _differences(old[k], now[k], (*path, k))]
    return [] if old == now else [(path, old, now)]


def _check_resume(folder: Path, config: dict) -> None:
    """A run folder resumes only with the settings that made it; each one that differs is named with
    both values. Checked before any teacher request, so a refusal costs nothing."""
    path = folder / "config.json"
    if not path.exists():
        return
    old, now = json.loads(path.read_text(encoding="utf-8")), json.loads(json.dumps(config, default=str))
    found = _differences({k: v for k, v in old.items() if k not in _MAY_CHANGE}, now)
    groups: dict[tuple, list[str]] = {}   # settings that changed the same way (--model: every role) on one line
    for p, was, is_ in found:
        groups.setdefault((p[:-1], json.dumps(was), json.dumps(is_)), []).append(p[-1])
    lines = []
    for (parent, was, is_), leaves in groups.items():
        name = " ".join(_SETTING_NAMES.get(k, k.replace("_", " ")) for k in parent) or None
        name = f"{name} ({', '.join(leaves)})" if name else _SETTING_NAMES.get(leaves[0], leaves[0].replace("_", " "))
        lines.append(f"{name}: {quote(json.loads(was))} in config.json, {quote(json.loads(is_))} now")
    if lines:
        raise RunMismatch(f"{path} was written with other settings: {'; '.join(lines)}; resume with the same options, "
                          "or choose a new --run name")


class RunMismatch(ValueError):
    pass


def cmd_loop(args) -> int:
    from pada_lite.loop.runner import Loop, LoopConfig, largest_requests
    from pada_lite.teacher.pricing import ABANDONED
    from pada_lite.loop.report import comparison_table, write_report
    from pada_lite.loop.runs import Run, runs_root
    from pada_lite.teacher.core import Usage, make_teacher

    wf = _workflow(args)
    cfg = LoopConfig(methods=tuple(m.strip() for m in args.methods.split(",") if m.strip()), iterations=args.iterations,
                     samples=args.samples, parity=args.parity, patience=args.patience, shots=args.shots,
                     chunk=args.chunk)
    kind = args.teacher or wf.profile.teacher
    roles = ("analyst", "generator", "checker")
    models = {**(dict.fromkeys(roles, args.model) if args.model else {}),
              **{r: getattr(args, f"{r}_model") for r in roles if getattr(args, f"{r}_model")}}
    _name_run(args, wf)
    # subtle: the teacher is made and checked before the run folder exists, so a teacher that
    # cannot be used leaves nothing behind (its cache and call log are written on first use)
    teacher = make_teacher(kind, models=models or None, base_url=args.base_url,
                           cache=runs_root() / args.run / "teacher_cache.jsonl", budget_usd=args.budget,
                           prices=dict(args.price), workers=args.workers, progress=not args.quiet,
                           timeout=60 if args.timeout is None else args.timeout,
                           max_retries=4 if args.max_retries is None else args.max_retries,
                           max_failed_share=args.max_failed_share,
                           analyst_noise=0.1 if args.analyst_noise is None else args.analyst_noise,
                           flaw_rate=0.1 if args.flaw_rate is None else args.flaw_rate, seed=args.seed,
                           replies=args.replies)
    print(f"profile {wf.profile.name} | student {wf.profile.student} | task {wf.task.name} | "
          f"train/validation/test {wf.splits.sizes()}\nteacher: {teacher.describe()}")
    sim = dict(analyst_noise=teacher.backend.analyst_noise, flaw_rate=teacher.backend.flaw_rate) if kind == "sim" else {}
    config = dict(command="run", profile=wf.profile.to_dict(), task=wf.task.to_config(), seed=args.seed,
                  seed_size=args.seed_size, sizes=wf.splits.sizes(), loop=cfg.to_dict(), teacher=teacher.describe(),
                  teacher_models=teacher.models, teacher_settings=dict(kind=kind, **sim))
    _check_resume(runs_root() / args.run, config)   # before the pre-flight: a refusal pays for nothing
    folder, existed = runs_root() / args.run, (runs_root() / args.run).exists()
    try:   # a task the simulated teacher cannot read, or a failed check, leaves no half-made run folder
        run = Run(args.run)
        loop = Loop(wf, teacher, run, cfg, preflight=False)   # the check is made here, before config.json
        if not args.no_preflight and cfg.uses_teacher:
            teacher.preflight(requests=largest_requests(wf, cfg))
    except BaseException:
        if not existed and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    run.save_config(**config)
    print(f"run folder {run.dir} (re-run with --run {run.name} to resume)")
    t0 = time.perf_counter()
    summary = loop.run()
    print(f"\ntest accuracy ({wf.task.name}, {wf.profile.name} profile, {teacher.describe()}):")
    print(comparison_table(summary))
    print(f"\nteacher calls and cost in this session:\n{teacher.usage.table()}")
    paid = Usage.from_dict(summary["teacher"])
    abandoned = sum(r["reasons"].get(ABANDONED, 0) for r in paid.rows())
    if abandoned:   # calls an earlier session left in flight are in no session's table
        print(f"\nteacher calls and cost over all sessions of this run:\n{paid.table()}")
    print(f"sent and paid over all sessions of this run: {paid.total_calls} calls, ${paid.total_cost:.4f}" +
          (f"; {abandoned} of them {ABANDONED}, counted at their worst case "
           f"(${sum(r['abandoned_usd'] for r in paid.rows()):.4f})" if abandoned else ""))
    report = write_report(run)
    print(f"\n{time.perf_counter() - t0:.0f} s; report in {report}")
    if loop.budget_spent:   # scripts must be able to tell a run cut short from a finished one
        print(f"pada-lite: stopped early: the teacher's budget is spent; raise --budget and resume with --run {run.name}",
              file=sys.stderr)
        return EXIT_BUDGET
    return 0


def cmd_finetune(args) -> int:
    wf, run = _setup(args)
    _train_and_report(wf, run, args.split)
    return 0


def cmd_evaluate(args) -> int:
    from pada_lite.student.load import load_adapter

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
    ap = _Parser(prog="pada-lite", description="Evaluation-driven data augmentation for small LMs, as a teaching kit.")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="the main job: SFT vs LLM2LLM vs PaDA vs the untargeted control on the bundled task "
                                    "(offline by default)")
    _common(p)
    _teacher_args(p, "sft,llm2llm,pada,untargeted")
    p.set_defaults(fn=cmd_loop, iterations=2)   # as notebook 06 runs it in class
    p = sub.add_parser("run", help="any methods and ablations, any task; --run NAME resumes an interrupted run")
    _common(p)
    _teacher_args(p, "sft,llm2llm,pada,pada-val-only,pada-train-only,pada-no-qc,untargeted")
    p.set_defaults(fn=cmd_loop)
    p = sub.add_parser("finetune", help="fine-tune the student (LoRA) and save the adapter in the run folder")
    _common(p)
    p.add_argument("--split", default="validation", choices=["validation", "test"], help="split to report on")
    p.set_defaults(fn=cmd_finetune)
    p = sub.add_parser("evaluate", help="evaluate the base student or a saved adapter")
    _common(p, training=False)
    p.add_argument("--adapter", default=None, help="a saved adapter folder (runs/NAME/adapter)")
    p.add_argument("--split", default="validation", choices=["train", "validation", "test"])
    p.set_defaults(fn=cmd_evaluate)
    return ap


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        print(f"pada-lite: error: {e}", file=sys.stderr)
        return 2
    if getattr(args, "quiet", False):
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()  # the "Loading weights" bars
        hf_logging.set_verbosity_error()
    from pada_lite.tasks.data import DataError
    from pada_lite.loop.runs import runs_root
    from pada_lite.teacher.backends.simulated import TaskNotUnderstood
    from pada_lite.teacher.core import TeacherFailed, TeacherUnusable
    try:
        return args.fn(args)
    except (UsageError, DataError, FileNotFoundError, RunMismatch, TaskNotUnderstood, TeacherUnusable) as e:
        # bad input: say what and where in one line, in the user's flags, without a traceback;
        # everything already written stays
        print(f"pada-lite: error: {in_flags(str(e))}", file=sys.stderr)
        return 2
    except TeacherFailed as e:
        print(f"pada-lite: error: {in_flags(str(e))}. Everything finished is kept; fix this and resume with --run {args.run}",
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
