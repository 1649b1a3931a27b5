"""The orchestrator: SFT, LLM2LLM and PaDA (and its ablations) side by side, in one run folder.

    loop = Loop(workflow, teacher, Run("demo"), LoopConfig(methods=("sft", "llm2llm", "pada")))
    summary = loop.run()          # resumes where an interrupted run stopped

Iteration 0 fine-tunes the student on the seed set (that *is* SFT) and is shared by every
method. Iteration i of an augmenting method reads the failures of its model i-1, asks the
teacher for new samples, and retrains from the base model on seed + everything accepted so
far (iterations 1..i). Each iteration's folder `runs/<name>/<method>/iter_<i>/` holds the
stage artifacts that made its data and the evaluations of the model trained on it.

Before any training, `run()` checks the teacher (`Teacher.preflight`): a dead URL, a rejected
key, an unknown model, a server that writes no JSON, or one whose context cannot hold the run's
largest requests (`largest_requests`) stops it in seconds. Every stage writes its artifact once it is
complete; a re-run loads it instead of computing it, and teacher calls already answered come
from the cache, so nothing is paid twice. A stage where some requests failed for a transient
reason (rate limit, timeout, server error, lost connection) is used but not saved as complete,
nor is anything of its method after it: a re-run asks those requests again. When the teacher's
budget runs out the run stops cleanly, keeps what it has, and says what did not fit
(`budget_spent` tells a caller, the command line's exit code); when the teacher fails
(`TeacherFailed`), the summary says so and the error goes on to the caller.
Each method is reported at the iteration where its *validation* accuracy was best (a later
iteration can overfit the generated data); the test split only measures, it never selects.
"""
from __future__ import annotations

import gc
import math
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from types import SimpleNamespace

from . import analysis as pa
from . import prompts, report
from .data import read_jsonl, write_jsonl
from .evaluate import EvalResult
from .generation import Candidate, pattern_samples, shown_block, similar_samples
from .quality import QCConfig, quality_control
from .similarity import LeakGuard
from .teacher import TeacherFailed, paid_usage

# what each method does per iteration: use validation patterns? training errors? which QC?
METHODS = {
    "sft": dict(patterns=False, similar=False, qc=None),
    "llm2llm": dict(patterns=False, similar=True, qc="llm2llm"),
    "pada": dict(patterns=True, similar=True, qc="full"),
    "pada-val-only": dict(patterns=True, similar=False, qc="full"),
    "pada-train-only": dict(patterns=False, similar=True, qc="full"),
    "pada-no-qc": dict(patterns=True, similar=True, qc="none"),
}


class BudgetSpent(RuntimeError):
    pass


@dataclass(frozen=True)
class LoopConfig:
    methods: tuple[str, ...] = ("sft", "llm2llm", "pada")
    iterations: int = 3
    samples: int = 140              # pattern-guided samples per iteration (split by cluster size)
    per_error: int = 1              # samples per wrong training example (LLM2LLM: 1)
    parity: bool = False            # every augmenting method gets `samples` accepted samples per iteration
    train_temperature: float = 0.7  # LLM2LLM's released code samples the seed set to find training errors
    shots: int = 4                  # training examples shown to the generator per request
    chunk: int = 8                  # samples asked for per generator request
    k_max: int = 8
    max_members: int = 12           # analyses shown per pattern-naming prompt
    embedder: str | None = None     # None: the profile's
    dedup: float = 0.8
    leak_threshold: float = 0.7
    max_regen: int = 2
    patience: int | None = None     # stop a method after this many iterations without a validation gain

    def __post_init__(self):
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ValueError(f"unknown method(s) {bad}; choose from {list(METHODS)}")

    def to_dict(self) -> dict:
        return asdict(self)


def largest_requests(workflow, config: LoopConfig) -> list[tuple[str, object]]:
    """[(what, Request)]: the longest request of each kind the run's methods will send, built by the
    prompt builders from the longest examples, with a teacher's usual wording where a prompt quotes
    what the teacher wrote earlier. The pre-flight compares them with the server's context."""
    task, splits, used = workflow.task, workflow.splits, [METHODS[m] for m in config.methods]

    def words(n: int) -> str:   # a stand-in for what a teacher writes, n characters long
        return ("word " * n)[:n]
    longest = sorted(splits.train, key=lambda e: len(e.input) + len(task.target(e)), reverse=True)
    shown = shown_block(longest[: config.shots], task)
    pat = {"name": words(60), "description": words(300)}
    strat = {"strategy": words(400), **{k: [words(80)] * 3 for k in ("vary", "keep", "pitfalls")}}
    out = []
    if any(m["patterns"] for m in used) and splits.validation:
        val = max(splits.validation, key=lambda e: len(e.input))
        failure = SimpleNamespace(input=val.input, response=words(4 * task.max_new_tokens), gold=val.output,
                                  parsed=words(20), tags=[])
        analysis = {"error_scenario": words(160), "root_cause": words(120)}
        out += [("analysis prompts", prompts.analysis(task, failure)),
                (f"pattern prompts with {config.max_members} analyses",
                 prompts.pattern(task, [analysis] * config.max_members)),
                ("strategy prompts", prompts.strategy(task, pat)),
                (f"generation prompts with {len(shown)} examples",
                 prompts.generation(task, pat, strat, shown, min(config.chunk, config.samples), 0))]
    one = shown_block(longest[:1], task)   # the longest training example (shown or not: shots may be 0)
    if any(m["similar"] for m in used) and one:
        out.append(("similar-sample prompts", prompts.similar(task, one[0], config.per_error)))
    if any(m["qc"] == "full" for m in used) and one:
        out.append((f"quality checks with {len(shown)} examples", prompts.quality(task, one[0], pat, strat, shown)))
    return out


def _row(i: int, evals: dict) -> dict:
    row = {"iteration": i}
    for split, res in evals.items():
        row[split] = res.accuracy
        row[f"{split}_by_tag"] = res.by_tag()
    return row


def model_dir(method: str, i: int) -> tuple[str, str]:
    """The run subfolder holding the model of `method`'s iteration i (0: the shared seed SFT model)."""
    return ("sft", "iter_0") if i == 0 else (method, f"iter_{i}")


class Loop:
    """`progress=True` shows one bar per method and iteration over its stages (give the workflow and
    the teacher `progress=False` for that alone, as the notebooks do)."""

    def __init__(self, workflow, teacher, run, config: LoopConfig = LoopConfig(), progress: bool = False,
                 preflight: bool = True):
        self.wf, self.teacher, self.out, self.cfg, self.progress = workflow, teacher, run, config, progress
        self.preflight = preflight
        self._bar = None
        workflow.fit_lengths()   # long examples refused or cut before anything reads the splits
        s = workflow.splits
        if getattr(getattr(teacher, "backend", None), "simulated", False):   # before any work is done
            from .sim import check_task
            check_task(workflow.task, [e.input for e in s.train])
        # subtle: the splits share phrasing, so text that also occurs in training is not protected
        # (training examples may be shown to the generator); only what is closer to validation/test is
        self.guard = LeakGuard([e.input for e in s.validation] + [e.input for e in s.test], threshold=config.leak_threshold,
                               allow=[e.input for e in s.train])
        self.embedder = config.embedder or workflow.profile.embedder
        self.history: dict[str, list[dict]] = {}
        self.stopped: str | None = None
        self.budget_spent = False           # stopped early because the teacher's budget was spent
        self.unsaved: dict[str, str] = {}   # method -> why its later artifacts are not saved as complete

    # ------------------------------------------------------------ one bar per method and iteration
    @contextmanager
    def _stages(self, method: str, i: int):
        m = METHODS[method]
        total = 2 if i == 0 else 2 + 2 + 2 * m["patterns"]   # (analyses, patterns) generated, accepted, train, evaluate
        if not self.progress:
            yield
            return
        from tqdm.std import tqdm   # text, not a widget: a saved notebook shows the finished bar
        self._bar = tqdm(total=total, desc=f"{method} iteration {i}", leave=True, file=sys.stdout,
                         bar_format="{desc}: {n}/{total} stages |{bar:20}| [{elapsed}]{postfix}")
        try:
            yield
            self._bar.set_postfix_str("done")
            self._bar.update(self._bar.total - self._bar.n)
        finally:
            self._bar.close()
            self._bar = None

    def _say(self, line: str) -> None:
        """A line of the loop's story; above the bar while one is drawn."""
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
        else:
            print(line)

    def _tick(self, stage: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(stage, refresh=False)
            self._bar.update(1)

    # ------------------------------------------------------------ the student's side
    def _train_and_evaluate(self, method: str, i: int, extra: list) -> dict[str, EvalResult]:
        """Evaluations of the model trained on seed + `extra`, loaded from disk when already done."""
        folder, save = model_dir(method, i), method not in self.unsaved
        # the seed set is evaluated only where its errors spawn data: never after the last iteration
        last = i == self.cfg.iterations
        splits = ["validation", "test"] + (["train"] if i == 0 or (METHODS[method]["similar"] and not last) else [])
        if save and all(self.out.has(*folder, f"eval_{s}.jsonl") for s in splits):
            self._tick("trained (saved)")
            self._tick("evaluated (saved)")
            return {s: EvalResult.load(self.out.dir.joinpath(*folder, f"eval_{s}.jsonl")) for s in splits}
        if i > 0 and not extra:
            # nothing accepted yet: retraining from base on the seed set alone repeats iteration 0 exactly
            self._say(f"[{method} iteration {i}] no accepted samples so far: the model is the seed SFT model")
            evals = {s: self._evals0[s] for s in splits}   # already in memory: no reload
            self._tick("the seed model")
            self._tick("its evaluations")
            for s, res in evals.items() if save else ():
                res.save(self.out.path(*folder, f"eval_{s}.jsonl"))
            return evals
        self._say(f"[{method} iteration {i}] fine-tuning on {len(self.wf.splits.train)} seed + {len(extra)} generated samples")
        model, tok, tr = self.wf.finetune(extra=extra, output_dir=str(self.out.path(*folder, "trainer")))
        self.out.write_json({"steps": tr.steps, "seconds": tr.seconds, "losses": tr.losses, "examples":
                             len(self.wf.splits.train) + len(extra)}, *folder, "train.json")
        self._tick("trained")
        evals = {s: self.wf.evaluate(model, tok, split=s) for s in ("validation", "test")}
        if "train" in splits:
            # subtle: only the seed set, sampled as LLM2LLM does; generated samples never spawn more
            evals["train"] = self.wf.evaluate(model, tok, split="train", temperature=self.cfg.train_temperature)
        for s, res in evals.items() if save else ():  # all eval files present = the iteration is done
            res.save(self.out.path(*folder, f"eval_{s}.jsonl"))
        self._tick("evaluated")
        del model, tok
        gc.collect()
        return evals

    # ------------------------------------------------------------ the agents' side
    def _stage(self, parts: tuple, compute, cls):
        """Load the stage's JSONL artifact, or compute it and save it once the stage is complete."""
        method, name = parts[0], parts[-1].split(".")[0]
        if method not in self.unsaved and self.out.has(*parts):
            self._tick(f"{name} (saved)")
            return [cls(**r) for r in read_jsonl(self.out.dir.joinpath(*parts))]
        transient = self.teacher.transient_failed
        rows = compute()
        if self.teacher.budget_exhausted:  # an incomplete stage is not saved: a re-run redoes it from the cache
            raise BudgetSpent(f"the teacher budget was reached during {parts[-1]} of {parts[0]} {parts[1]}: "
                              f"{self.teacher.budget_note()}")
        if self.teacher.transient_failed > transient and method not in self.unsaved:
            n = self.teacher.transient_failed - transient
            self.unsaved[method] = (f"{parts[1]}: {n} teacher request(s) failed for a transient reason in "
                                    f"{parts[-1].split('.')[0]}; from there on nothing of {method} is saved as complete, "
                                    "so a re-run asks them again")
            self._say(f"[{method} {parts[1].replace('_', ' ')}] {self.unsaved[method]}")
        if method not in self.unsaved:
            write_jsonl(self.out.path(*parts), rows)
        self._tick(name)
        return rows

    def _augment(self, method: str, i: int, prev: dict[str, EvalResult]) -> list[Candidate]:
        """Data for iteration i of `method`, from the failures of its model i-1."""
        m, task, train, cfg = METHODS[method], self.wf.task, self.wf.splits.train, self.cfg
        d, seed, stats, pats = (method, f"iter_{i}"), self.wf.seed * 100 + i, {}, []
        if m["patterns"]:
            def analyses():
                failures = prev["validation"].failures
                out = pa.analyse(self.teacher, task, failures)
                why = f"not asked: {self.teacher.budget_note()}" if self.teacher.budget_exhausted else "teacher failures"
                lost = f" ({len(failures) - len(out)} {why})" if len(out) < len(failures) else ""
                self._say(f"[{method} iteration {i}] analysed {len(out)} of {len(failures)} validation failures{lost}")
                return out

            def patterns():
                done = self._stage((*d, "analyses.jsonl"), analyses, pa.Analysis)
                found = pa.find_patterns(self.teacher, task, done, self.embedder, cfg.k_max, cfg.max_members, seed)
                self.out.write_json({**found.summary(), "ids": [a.id for a in done]}, *d, "clusters.json")
                used = pa.draft_strategies(self.teacher, task, found.patterns)
                k = found.clustering.k
                self._say(f"[{method} iteration {i}] {k} cluster{'s' * (k != 1)}; {len(used)} pattern{'s' * (len(used) != 1)} "
                      "with a strategy used for generation")
                return used
            pats = self._stage((*d, "patterns.jsonl"), patterns, pa.FailurePattern)
        strategies = {p.name: ({"name": p.name, "description": p.description}, p.strategy) for p in pats}
        wrong = {r.id for r in prev["train"].failures} if m["similar"] else set()
        errors = [e for e in train if e.id in wrong]
        # budget parity: every augmenting method aims at `samples` accepted samples per iteration
        per_error = math.ceil(cfg.samples / len(errors)) if cfg.parity and errors and not m["patterns"] else cfg.per_error
        n_patterns = max(cfg.samples - len(errors) * per_error, 0) if cfg.parity else cfg.samples
        kw = dict(seed=seed, guard=self.guard, stats=stats)

        def draft(counts=None, redo=errors, rnd=0):
            out = []
            if pats and (counts is None or any(counts)):
                out += pattern_samples(self.teacher, task, pats, train, total=n_patterns, counts=counts, shots=cfg.shots,
                                       chunk=cfg.chunk, rnd=rnd, prefix=f"{method}-it{i}-p", **kw)
            if redo:
                out += similar_samples(self.teacher, task, redo, per_error, rnd=rnd, prefix=f"{method}-it{i}-s", **kw)
            return out

        def regenerate(rejected, rnd):
            counts = [sum(c.source == "pattern" and c.origin == p.name for c in rejected) for p in pats]
            redo = [e for e in errors if any(c.source == "similar" and c.origin == e.id for c in rejected)]
            return draft(counts, redo, rnd)

        cands = self._stage((*d, "generated.jsonl"), draft, Candidate)

        def judge():
            preset = QCConfig.preset(m["qc"])
            qc = QCConfig(preset.checker, preset.format_check, cfg.dedup if m["qc"] == "full" else preset.dedup,
                          cfg.max_regen if preset.checker else 0, preset.min_score)
            accepted, judged, drops = quality_control(self.teacher, task, [Candidate(**c.to_dict()) for c in cands], train,
                                                      self.guard, qc, strategies=strategies, regenerate=regenerate)
            accepted = accepted[: cfg.samples] if cfg.parity else accepted
            write_jsonl(self.out.path(*d, "judged.jsonl"), judged)
            self.out.write_json({"candidates": len(judged), "accepted": len(accepted), "drops": dict(drops),
                                 "train_errors": len(errors), "val_failures": len(prev["validation"].failures),
                                 "patterns": len(pats), "redacted_prompt_spans": stats.get("redacted", 0),
                                 "qc": asdict(qc)}, *d, "qc.json")
            dropped = ", ".join(f"{k} {v}" for k, v in sorted(drops.items(), key=lambda kv: -kv[1]))
            self._say(f"[{method} iteration {i}] {len(judged)} generated, {len(accepted)} accepted" +
                  (f" (dropped: {dropped})" if dropped else ""))
            return accepted

        return self._stage((*d, "accepted.jsonl"), judge, Candidate)

    # ------------------------------------------------------------ the loop
    def run(self) -> dict:
        t0 = time.perf_counter()
        if self.preflight and self.cfg.iterations > 0 and any(m != "sft" for m in self.cfg.methods):
            # before any training: a teacher that cannot be used, or whose server's context is too small, stops here
            self.teacher.preflight(requests=largest_requests(self.wf, self.cfg))
        with self._stages("sft", 0):
            evals0 = self._evals0 = self._train_and_evaluate("sft", 0, [])
        for method in self.cfg.methods:
            self.history[method] = [_row(0, evals0)]
        active = [m for m in self.cfg.methods if m != "sft"]
        prev = {m: evals0 for m in active}
        augmented: dict[str, list] = {m: [] for m in active}
        try:
            for i in range(1, self.cfg.iterations + 1):
                for method in list(active):
                    with self._stages(method, i):
                        new = self._augment(method, i, prev[method])
                        augmented[method] += new
                        evals = self._train_and_evaluate(method, i, [c.example(self.wf.task) for c in augmented[method]])
                    qc = self.out.read_json(method, f"iter_{i}", "qc.json")
                    row = {**_row(i, evals), **{k: qc[k] for k in ("candidates", "accepted", "drops", "train_errors", "val_failures")},
                           "augmented_total": len(augmented[method])}
                    if self.out.has(method, f"iter_{i}", "clusters.json"):
                        c = self.out.read_json(method, f"iter_{i}", "clusters.json")
                        row["patterns"] = {**{k: c[k] for k in ("k", "sizes", "purity", "ari", "embedder")},
                                           "used": qc.get("patterns", 0)}
                    self.history[method].append(row)
                    prev[method] = evals
                    self._write_summary(time.perf_counter() - t0)
                    if self._plateau(method):
                        self._say(f"[{method}] validation accuracy has not improved for {self.cfg.patience} iterations: stopping it")
                        active.remove(method)
        except BudgetSpent as e:
            self.budget_spent = True
            self.stopped = f"{e}, and re-run to resume; everything finished before it is kept in {self.out.dir}"
            self._say(f"stopped: {self.stopped}")
        except TeacherFailed as e:   # keep the summary of what is done, then let the caller say what failed
            self.stopped = f"the teacher failed: {e}"
            self._finish(t0)
            raise
        return self._finish(t0)

    def _finish(self, t0: float) -> dict:
        for m in self.cfg.methods:  # SFT never changes: its later iterations repeat iteration 0
            if METHODS[m]["qc"] is None:
                self.history[m] = [dict(self.history[m][0], iteration=i) for i in range(self.cfg.iterations + 1)]
        return self._write_summary(time.perf_counter() - t0)

    def _plateau(self, method: str) -> bool:
        p, h = self.cfg.patience, [r["validation"] for r in self.history[method]]
        return p is not None and len(h) > p and max(h[-p:]) <= max(h[:-p])

    def _write_summary(self, seconds: float) -> dict:
        cache = self.teacher.cache.path
        # model selection on validation, never test: each method is reported at its best iteration
        selected = {m: r["iteration"] for m, r in report.selected({"methods": self.history}).items()}
        summary = {"methods": self.history, "selected": selected, "teacher_session": self.teacher.usage.to_dict(),
                   # every call this run has paid for, over all its sessions (resumes included)
                   "teacher": (paid_usage(cache, self.teacher.price_label) if cache else self.teacher.usage).to_dict(),
                   "teacher_name": self.teacher.describe(),
                   "stopped": self.stopped, "unsaved": dict(self.unsaved), "wall_seconds": seconds, "config": self.cfg.to_dict(),
                   "profile": self.wf.profile.name, "task": self.wf.task.name, "seed": self.wf.seed}
        self.out.write_json(summary, "summary.json")
        return summary

