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
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import NamedTuple
from types import SimpleNamespace

from pada_lite.agents import analysis as pa
from pada_lite import progress
from pada_lite.agents import prompts
from pada_lite.loop import report
from pada_lite.files import read_jsonl, write_jsonl
from pada_lite.student.evaluate import EvalResult
from pada_lite.agents.synthesis import Candidate, llm2llm_samples, pattern_samples, shown_block, untargeted_samples
from pada_lite.agents.quality import QCConfig, quality_control
from pada_lite.agents.overlap import LeakGuard
from pada_lite.teacher.core import TeacherFailed, paid_usage

# what each method does per iteration: use validation patterns? training errors? which QC?
METHODS = {
    "sft": dict(patterns=False, similar=False, qc=None),
    "llm2llm": dict(patterns=False, similar=True, qc="llm2llm"),
    "pada": dict(patterns=True, similar=True, qc="full"),
    "pada-val-only": dict(patterns=True, similar=False, qc="full"),
    "pada-train-only": dict(patterns=False, similar=True, qc="full"),
    "pada-no-qc": dict(patterns=True, similar=True, qc="none"),
    # the control for targeting: as many accepted samples as PaDA gets (when PaDA runs too), written
    # like random training examples by the same generator and QC, with no error or pattern behind them
    "untargeted": dict(patterns=False, similar=False, qc="full", untargeted=True),
}


def step_seed(workflow_seed: int, i: int) -> int:
    """The seed of iteration i's draws (k-means, the teacher's requests): the notebooks use it to make
    what the loop makes."""
    return workflow_seed * 100 + i


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
    by_label: bool = False          # split each pattern's samples over its failures' gold labels

    def __post_init__(self):
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ValueError(f"unknown method(s) {bad}; choose from {list(METHODS)}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def uses_teacher(self) -> bool:
        """Whether a run asks the teacher anything: some method augments, for at least one iteration."""
        return self.iterations > 0 and any(m != "sft" for m in self.methods)


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
        out.append(("similar-sample prompts", prompts.llm2llm(task, one[0], config.per_error)))
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


class Step(NamedTuple):
    """Iteration i of a method: where its artifacts go, and how its lines begin."""
    method: str
    i: int

    @property
    def folder(self) -> tuple[str, str]:
        return self.method, f"iter_{self.i}"

    def __str__(self) -> str:
        return f"[{self.method} iteration {self.i}]"


@dataclass
class Plan:
    """What one iteration of a method asks the generator for, and what QC sends back to it."""
    it: Step
    patterns: list                  # failure patterns with strategies (empty without validation patterns)
    errors: list                    # training examples the previous model got wrong (empty without them)
    n_patterns: int                 # pattern-guided samples, split by cluster size
    per_error: int                  # samples like each training error
    seed: int
    n_untargeted: int = 0           # the control's samples, like random training examples
    stats: dict = field(default_factory=dict)   # e.g. validation spans redacted from prompts


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
        if config.uses_teacher and getattr(getattr(teacher, "backend", None), "simulated", False):   # before any work
            from pada_lite.teacher.backends.simulated import check_task
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
        self._transient_before = 0          # the teacher's transient failures when the stage being computed began

    # ------------------------------------------------------------ one bar per method and iteration
    @contextmanager
    def _stages(self, method: str, i: int):
        m = METHODS[method]
        total = 2 if i == 0 else 2 + 2 + 2 * m["patterns"]   # (analyses, patterns) generated, accepted, train, evaluate
        if not self.progress:
            yield
            return
        if progress.mode() == "line":   # a notebook: one line per stage, as it ends
            self._bar, self._stage_t0 = progress.Line(total=total, desc=f"[{method} iteration {i}]"), time.perf_counter()
            try:
                yield
            finally:
                self._bar = None
            return
        from tqdm.std import tqdm   # a terminal: one live bar per method and iteration
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
        if isinstance(self._bar, progress.Line):
            now = time.perf_counter()
            self._bar.update(1)
            print(f"{self._bar.desc} {self._bar.n}/{self._bar.total} {stage} ({now - self._stage_t0:.0f} s)", flush=True)
            self._stage_t0 = now
        elif self._bar is not None:
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

    # ------------------------------------------------------------ saving a stage
    def saved(self, it: Step, name: str, cls) -> list | None:
        """A stage's artifact read back from the run folder, or None when it must be computed."""
        if it.method not in self.unsaved and self.out.has(*it.folder, name):
            self._tick(f"{name.split('.')[0]} (saved)")
            return [cls(**r) for r in read_jsonl(self.out.dir.joinpath(*it.folder, name))]
        # subtle: the stage is computed next; what fails from here on is the stage's own doing
        self._transient_before = self.teacher.transient_failed
        return None

    def save(self, it: Step, name: str, rows: list) -> list:
        """Write a stage's artifact once it is complete. A stage cut by the budget is not saved (a re-run
        redoes it from the cache); one where requests failed for a transient reason is used but not
        saved, nor is anything of its method after it, so a re-run asks those requests again."""
        (method, where), stage = it.folder, name.split(".")[0]
        if self.teacher.budget_exhausted:
            raise BudgetSpent(f"the teacher budget was reached during {name} of {method} {where}: "
                              f"{self.teacher.budget_note()}")
        failed = self.teacher.transient_failed - self._transient_before
        if failed and method not in self.unsaved:
            self.unsaved[method] = (f"{where}: {failed} teacher request(s) failed for a transient reason in {stage}; "
                                    f"from there on nothing of {method} is saved as complete, so a re-run asks them again")
            self._say(f"[{method} {where.replace('_', ' ')}] {self.unsaved[method]}")
        if method not in self.unsaved:
            write_jsonl(self.out.path(*it.folder, name), rows)
        self._tick(stage)
        return rows

    # ------------------------------------------------------------ one PaDA iteration, in the paper's order
    def _augment(self, method: str, i: int, prev: dict[str, EvalResult]) -> list[Candidate]:
        """Data for iteration i of `method`, from the failures of its model i-1; each stage is read back
        from the run folder when an earlier session saved it."""
        it, m = Step(method, i), METHODS[method]
        patterns = []
        if m["patterns"]:
            # 1. sample-level error analysis: one analysis per validation failure
            analyses = self.saved(it, "analyses.jsonl", pa.Analysis)
            if analyses is None:
                analyses = self.save(it, "analyses.jsonl", self.analyse(it, prev["validation"].failures))
            # 2-4. cluster the analyses, name one pattern per cluster, draft one strategy per pattern
            patterns = self.saved(it, "patterns.jsonl", pa.FailurePattern)
            if patterns is None:
                patterns = self.save(it, "patterns.jsonl", self.find_patterns(it, analyses))
        # the seed examples the model i-1 got wrong (LLM2LLM's signal)
        errors = self.training_errors(method, prev)
        plan = self.plan(it, patterns, errors)
        # 5. data generation: samples per pattern, and samples like each training error
        candidates = self.saved(it, "generated.jsonl", Candidate)
        if candidates is None:
            candidates = self.save(it, "generated.jsonl", self.generate(plan))
        # 6. quality control: what may join the training data (rejects are written again)
        accepted = self.saved(it, "accepted.jsonl", Candidate)
        if accepted is None:
            accepted = self.save(it, "accepted.jsonl", self.check(plan, candidates, prev))
        return accepted

    def analyse(self, it: Step, failures: list) -> list[pa.Analysis]:
        analyses = pa.analyse(self.teacher, self.wf.task, failures)
        why = f"not asked: {self.teacher.budget_note()}" if self.teacher.budget_exhausted else "teacher failures"
        lost = f" ({len(failures) - len(analyses)} {why})" if len(analyses) < len(failures) else ""
        self._say(f"{it} analysed {len(analyses)} of {len(failures)} validation failures{lost}")
        return analyses

    def find_patterns(self, it: Step, analyses: list[pa.Analysis]) -> list[pa.FailurePattern]:
        task, cfg, seed = self.wf.task, self.cfg, self.seed_of(it)
        seen = pa.vocabulary_of(e.input for e in self.wf.splits.train)
        clustering = pa.cluster_analyses(analyses, self.embedder, cfg.k_max, seed, vocabulary=seen)   # 2. k-means, elbow
        found = pa.name_patterns(self.teacher, task, analyses, clustering, cfg.max_members, seed)   # 3. name each
        self.out.write_json({**found.summary(), "ids": [a.id for a in analyses]}, *it.folder, "clusters.json")
        patterns = pa.draft_strategies(self.teacher, task, found.patterns)               # 4. a strategy each
        k = clustering.k
        self._say(f"{it} {k} cluster{'s' * (k != 1)}; {len(patterns)} "
                  f"pattern{'s' * (len(patterns) != 1)} with a strategy used for generation")
        return patterns

    def training_errors(self, method: str, prev: dict[str, EvalResult]) -> list:
        if not METHODS[method]["similar"]:
            return []
        wrong = {r.id for r in prev["train"].failures}
        return [e for e in self.wf.splits.train if e.id in wrong]

    def seed_of(self, it: Step) -> int:
        return step_seed(self.wf.seed, it.i)

    def plan(self, it: Step, patterns: list, errors: list) -> "Plan":
        """How many samples iteration `it` asks for: per pattern (by cluster size) and per training error."""
        cfg, uses_patterns = self.cfg, METHODS[it.method]["patterns"]
        # budget parity: every augmenting method aims at `samples` accepted samples per iteration
        per_error = (math.ceil(cfg.samples / len(errors)) if cfg.parity and errors and not uses_patterns
                     else cfg.per_error)
        n_patterns = max(cfg.samples - len(errors) * per_error, 0) if cfg.parity else cfg.samples
        if METHODS[it.method].get("untargeted"):
            return Plan(it, [], [], 0, 0, self.seed_of(it), n_untargeted=cfg.samples)
        return Plan(it, patterns, errors, n_patterns, per_error, self.seed_of(it))

    def generate(self, plan: "Plan", counts: list[int] | None = None, redo: list | None = None,
                 rnd: int = 0, untargeted: int | None = None) -> list[Candidate]:
        """The plan's samples (round 0), or only `counts` per pattern, one batch per `redo` error and
        `untargeted` control samples."""
        task, cfg, redo = self.wf.task, self.cfg, plan.errors if redo is None else redo
        kw = dict(seed=plan.seed, guard=self.guard, stats=plan.stats, rnd=rnd)
        prefix = f"{plan.it.method}-it{plan.it.i}"
        out = []
        n = plan.n_untargeted if untargeted is None else untargeted
        if n:
            out += untargeted_samples(self.teacher, task, self.wf.splits.train, n, shots=cfg.shots, chunk=cfg.chunk,
                                      prefix=f"{prefix}-u", **kw)
        if plan.patterns and (counts is None or any(counts)):
            out += pattern_samples(self.teacher, task, plan.patterns, self.wf.splits.train, total=plan.n_patterns,
                                   counts=counts, shots=cfg.shots, chunk=cfg.chunk, prefix=f"{prefix}-p",
                                   by_label=cfg.by_label, **kw)
        if redo:
            out += llm2llm_samples(self.teacher, task, redo, plan.per_error, prefix=f"{prefix}-s", **kw)
        return out

    def regenerate(self, plan: "Plan", rejected: list[Candidate], rnd: int) -> list[Candidate]:
        """Fresh samples for the ones QC sent back: as many per pattern, and for the same training errors."""
        counts = [sum(c.source == "pattern" and c.origin == p.name for c in rejected) for p in plan.patterns]
        redo = [e for e in plan.errors if any(c.source == "similar" and c.origin == e.id for c in rejected)]
        return self.generate(plan, counts, redo, rnd, untargeted=sum(c.source == "untargeted" for c in rejected))

    def qc_config(self, method: str) -> QCConfig:
        """The method's QC preset, with this loop's near-duplicate threshold and regeneration rounds."""
        preset = QCConfig.preset(METHODS[method]["qc"])
        return replace(preset, dedup=self.cfg.dedup if METHODS[method]["qc"] == "full" else preset.dedup,
                       max_regen=self.cfg.max_regen if preset.checker else 0)

    def check(self, plan: "Plan", candidates: list[Candidate], prev: dict[str, EvalResult]) -> list[Candidate]:
        """QC of the candidates (a fresh copy: the saved ones stay as generated); writes every verdict."""
        it, cfg, qc = plan.it, self.cfg, self.qc_config(plan.it.method)
        strategies = {p.name: ({"name": p.name, "description": p.description}, p.strategy) for p in plan.patterns}
        accepted, judged, drops = quality_control(
            self.teacher, self.wf.task, [Candidate(**c.to_dict()) for c in candidates], self.wf.splits.train,
            self.guard, qc, strategies=strategies, regenerate=partial(self.regenerate, plan))
        accepted = accepted[: cfg.samples] if cfg.parity else accepted
        if METHODS[it.method].get("untargeted") and self.out.has("pada", f"iter_{it.i}", "qc.json"):
            # the control gets PaDA's budget of accepted samples, no more: a gain must come from targeting
            accepted = accepted[: self.out.read_json("pada", f"iter_{it.i}", "qc.json")["accepted"]]
        write_jsonl(self.out.path(*it.folder, "judged.jsonl"), judged)
        self.out.write_json({"candidates": len(judged), "accepted": len(accepted), "drops": dict(drops),
                             "train_errors": len(plan.errors), "val_failures": len(prev["validation"].failures),
                             "patterns": len(plan.patterns), "redacted_prompt_spans": plan.stats.get("redacted", 0),
                             "qc": asdict(qc)}, *it.folder, "qc.json")
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(drops.items(), key=lambda kv: -kv[1]))
        self._say(f"{it} {len(judged)} generated, {len(accepted)} accepted" +
                  (f" (dropped: {dropped})" if dropped else ""))
        return accepted

    def iteration_row(self, method: str, i: int, evals: dict, augmented_total: int) -> dict:
        """The summary's row for iteration i: accuracies, and what its data stages recorded."""
        # subtle: read from the run folder, the record whether this session or an earlier one made them
        qc = self.out.read_json(method, f"iter_{i}", "qc.json")
        row = {**_row(i, evals), **{k: qc[k] for k in ("candidates", "accepted", "drops", "train_errors", "val_failures")},
               "augmented_total": augmented_total}
        if self.out.has(method, f"iter_{i}", "clusters.json"):
            c = self.out.read_json(method, f"iter_{i}", "clusters.json")
            row["patterns"] = {**{k: c[k] for k in ("k", "sizes", "purity", "ari", "embedder")}, "used": qc.get("patterns", 0)}
        return row

    # ------------------------------------------------------------ the loop
    def run(self) -> dict:
        t0 = time.perf_counter()
        if self.preflight and self.cfg.uses_teacher:
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
                    self.history[method].append(self.iteration_row(method, i, evals, len(augmented[method])))
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

