"""The student's half of the loop as three calls a notebook or the CLI can make.

    wf = Workflow.create(profile="tiny", task="bundled")
    before = wf.evaluate(split="test")            # the untrained (or zero-shot) student
    model, tok, result = wf.finetune()            # fresh base + LoRA, trained on wf.splits.train
    after = wf.evaluate(model, tok, split="test")

`finetune` always starts from the base model (LLM2LLM found retraining from base beats
continuing), so augmented data is passed as `extra=` and joins the seed set.
It deliberately does not know about teachers or agents: those arrive with the method.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pada_lite.tasks.data import Splits, load_task
from pada_lite.tasks.readers import ANNOUNCE_LINES
from pada_lite.student.evaluate import EvalResult, evaluate
from pada_lite.student.lengths import check_policy, fit_splits
from pada_lite.student.profiles import Profile, get_profile
from pada_lite.student.sft import TrainResult, finetune
from pada_lite.student.load import add_lora, load_student, load_tokenizer, save_adapter
from pada_lite.tasks.spec import Example, Task


@dataclass
class Workflow:
    profile: Profile
    task: Task
    splits: Splits
    seed: int = 0
    progress: bool = True
    long_inputs: str = "refuse"     # examples over the profile's max_len: "refuse" or "truncate" (lengths.py)
    _base: tuple | None = field(default=None, repr=False)
    _fitted: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, profile: str | Profile | None = None, task: str = "bundled", seed: int = 0,
               seed_size: int | None = None, progress: bool = True, profile_overrides: dict | None = None,
               long_inputs: str = "refuse", say=print, **task_kw) -> "Workflow":
        """`say` shows the loader's notices (`splits.note`: one line each, such as labels folded or a
        label missing from a split); the CLI passes one that writes options as its flags."""
        prof = profile if isinstance(profile, Profile) else get_profile(profile, **(profile_overrides or {}))
        t, splits = load_task(task, seed=seed, seed_size=seed_size, **task_kw)
        check_policy(long_inputs)   # before any work, not first at the first model load
        for line in filter(None, splits.note.split("\n")):
            say(line)
        return cls(prof, t, splits, seed, progress, long_inputs)

    def fit_lengths(self) -> int:
        """Measure every example against the profile's max_len once, before any model work, with the
        student's own tokenizer; refuse (DataError, file and line) or cut inputs by `long_inputs`.
        Returns how many inputs were cut (0 when nothing was over, or already fitted)."""
        if self._fitted:
            return 0
        if (n := sum(self.splits.sizes().values())) >= ANNOUNCE_LINES:   # seconds of silence otherwise
            print(f"measuring {n:,} examples in the student's tokens (the {self.profile.name} profile's max_len is "
                  f"{self.profile.max_len}) ...", flush=True)
        tok = load_tokenizer(self.profile, texts=self.corpus())
        self.splits, cut = fit_splits(self.task, tok, self.splits, self.profile.max_len, self.long_inputs,
                                      self.profile.name)
        self._fitted = True
        if cut:
            print(f"long inputs: cut {cut} input(s) at their end to fit the {self.profile.name} profile's max_len of "
                  f"{self.profile.max_len} tokens, for training and evaluation alike")
        return cut

    def corpus(self) -> list[str]:
        """Text the tiny student's tokenizer learns from: the training inputs and answers, the
        prompt scaffolding and the task's labels. Never validation or test text."""
        texts = [ex.input for ex in self.splits.train] + [self.task.target(ex) for ex in self.splits.train]
        texts += [self.task.system_prompt, self.task.instruction] + list(getattr(self.task, "labels", []))
        return [t for t in texts if t]

    def base(self):
        """A fresh copy of the base student (model, tokenizer), never touched by training."""
        self.fit_lengths()
        return load_student(self.profile, texts=self.corpus())

    def finetune(self, extra: list[Example] | None = None, adapter_dir=None, max_steps: int | None = None,
                 output_dir: str = "runs/_trainer", base: tuple | None = None):
        """`base`: an untrained (model, tokenizer) from `self.base()` to train in place, saving a reload."""
        model, tok = base or self.base()
        model = add_lora(model, self.profile, seed=self.seed)
        data = list(self.splits.train) + list(extra or [])
        result: TrainResult = finetune(model, tok, self.task, data, self.profile, seed=self.seed,
                                       progress=self.progress, max_steps=max_steps, output_dir=output_dir)
        if adapter_dir:
            save_adapter(model, tok, adapter_dir)
        return model, tok, result

    def evaluate(self, model=None, tok=None, split: str = "validation",
                 examples: list[Example] | None = None, temperature: float = 0.0) -> EvalResult:
        """Greedy by default; `temperature > 0` samples (seeded), as LLM2LLM does on the seed set."""
        self.fit_lengths()
        if model is None:
            model, tok = self.base()
        data = examples if examples is not None else getattr(self.splits, split)
        return evaluate(model, tok, self.task, data, batch_size=self.profile.eval_batch_size,
                        progress=self.progress, desc=f"evaluating {split}", temperature=temperature, seed=self.seed,
                        max_len=self.profile.max_len)
