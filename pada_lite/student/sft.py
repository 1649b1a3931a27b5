"""Supervised fine-tuning with the loss on the assistant's answer only.

- `encode(task, tok, ex)`: prompt ids from the tokenizer's own chat template, then the
  answer ids and the end-of-turn token. Labels are -100 on every prompt token, so the
  model learns the answer *and* to stop, never to parrot the question.
- `decode_labels(...)`: shows what the loss sees, to prove the mask on screen.
- `finetune(model, tok, task, examples, profile)`: plain `transformers.Trainer`, seeded,
  with progress bars, length-grouped batches, and logits computed only where there are
  labels (answers sit at the right end of left-padded rows, so `logits_to_keep` suffices).
  In a notebook the bar comes without the Trainer's table of logged losses: the losses are
  returned, for a plot.

It deliberately does not use TRL (its defaults break on CPU and its Llama 3 masking is
version-fragile) nor evaluate anything (see `evaluate.py`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from pada_lite.student.profiles import Profile
from pada_lite.tasks.spec import Example, Task

# subtle: Llama 3.2's template prints today's date into the system turn; pin it so the same
# example gives the same tokens every day (other templates ignore the variable)
TEMPLATE_KW = {"date_string": "26 Jul 2024"}


def prompt_text(task: Task, tok, ex: Example) -> str:
    return tok.apply_chat_template(task.messages(ex), tokenize=False, add_generation_prompt=True, **TEMPLATE_KW)


def encode(task: Task, tok, ex: Example, max_len: int = 512) -> dict:
    prompt = tok(prompt_text(task, tok, ex), add_special_tokens=False).input_ids
    answer = tok(task.target(ex), add_special_tokens=False).input_ids + [tok.eos_token_id]
    if len(answer) >= max_len:
        answer = answer[: max_len // 2 - 1] + [tok.eos_token_id]
    # keep the answer whole; if the row is too long, keep the end of the prompt
    truncated = len(prompt) + len(answer) > max_len
    if truncated:
        prompt = prompt[-(max_len - len(answer)):]
    return {"input_ids": prompt + answer, "labels": [-100] * len(prompt) + answer,
            "length": len(prompt) + len(answer), "truncated": truncated}


def decode_labels(tok, row: dict) -> str:
    """The row as text with every masked (-100) token shown as a grey '·' run: what the loss sees."""
    parts, masked = [], []
    for tid, lab in zip(row["input_ids"], row["labels"]):
        if lab == -100:
            masked.append(tid)
            continue
        if masked:
            parts.append(f"[{len(masked)} prompt tokens masked]")
            masked = []
        parts.append(tok.decode([tid]))
    if masked:
        parts.append(f"[{len(masked)} prompt tokens masked]")
    return "".join(parts)


@dataclass
class LeftPadCollator:
    """Pads on the left, so every answer ends at the right edge, and sets position ids from the mask."""
    pad_id: int

    def __call__(self, rows: list[dict]) -> dict:
        n = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), n), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), n), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), n), dtype=torch.long)
        for i, r in enumerate(rows):
            k = len(r["input_ids"])
            ids[i, n - k:] = torch.tensor(r["input_ids"])
            labels[i, n - k:] = torch.tensor(r["labels"])
            mask[i, n - k:] = 1
        # subtle: with left padding the first real token must still sit at position 0,
        # exactly as it does during generation
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        return {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "labels": labels}


def answer_only_loss(model, batch: dict) -> torch.Tensor:
    """Causal LM loss computing logits only for the last positions, where the answers are."""
    labels = batch["labels"]
    n = labels.shape[1]
    has = (labels != -100).any(0).nonzero()
    first = int(has[0]) if len(has) else n - 1
    keep = n - first + 1  # +1: the token before the first answer token predicts it
    keep = min(keep, n)
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                position_ids=batch["position_ids"], logits_to_keep=keep)
    logits = out.logits[:, :-1, :].float()
    target = labels[:, n - keep + 1:]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)


@dataclass
class TrainResult:
    seconds: float
    steps: int
    losses: list[float] = field(default_factory=list)
    truncated: int = 0

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / max(self.steps, 1)


def _trainer_class():
    from transformers import Trainer

    class AnswerOnlyTrainer(Trainer):
        # subtle: our loss is a per-micro-batch mean; say so, or with gradient accumulation the
        # Trainer assumes it was already scaled and the loss and gradients come out k times too big
        loss_is_scaled_for_ga = False

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss = answer_only_loss(model, inputs)
            return (loss, None) if return_outputs else loss

    return AnswerOnlyTrainer


def _bar_without_table(trainer) -> None:
    """In a notebook, keep the Trainer's progress bar but drop the table it writes a row of each time the loss is logged."""
    from transformers.utils.notebook import NotebookProgressCallback

    class BarOnly(NotebookProgressCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            super().on_train_begin(args, state, control, **kwargs)
            self.training_tracker.inner_table = None   # no table under the bar, not even its header

        def on_log(self, args, state, control, logs=None, **kwargs):
            pass   # the losses are in state.log_history, which finetune returns

    if any(isinstance(cb, NotebookProgressCallback) for cb in trainer.callback_handler.callbacks):
        trainer.remove_callback(NotebookProgressCallback)
        trainer.add_callback(BarOnly)


def finetune(model, tok, task: Task, examples: list[Example], profile: Profile, seed: int = 0,
             output_dir: str = "runs/_trainer", progress: bool = True, max_steps: int | None = None) -> TrainResult:
    """Fine-tune `model` (a peft model) in place on `examples`; returns timing and the loss curve."""
    from transformers import TrainingArguments, set_seed

    set_seed(seed)
    rows = [encode(task, tok, ex, profile.max_len) for ex in examples]
    if not rows:
        raise ValueError("nothing to train on: the training split is empty")
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    steps_per_epoch = math.ceil(len(rows) / (profile.batch_size * profile.grad_accum))
    if max_steps is None and steps_per_epoch * profile.epochs < profile.min_steps:
        max_steps = profile.min_steps    # a small training set still gets the profile's minimum
    total_steps = max_steps or math.ceil(steps_per_epoch * profile.epochs)
    args = TrainingArguments(
        output_dir=output_dir, num_train_epochs=profile.epochs, max_steps=max_steps or -1,
        per_device_train_batch_size=profile.batch_size, gradient_accumulation_steps=profile.grad_accum,
        learning_rate=profile.lr, lr_scheduler_type="cosine", warmup_steps=math.ceil(profile.warmup_ratio * total_steps),
        weight_decay=profile.weight_decay, optim="adamw_torch", seed=seed, data_seed=seed,
        bf16=bf16, fp16=cuda and not bf16, use_cpu=not cuda,
        train_sampling_strategy="group_by_length", logging_steps=max(1, min(steps_per_epoch // 2, total_steps)),
        save_strategy="no", report_to="none", remove_unused_columns=False, disable_tqdm=not progress,
        dataloader_num_workers=0)
    trainer = _trainer_class()(model=model, args=args, train_dataset=rows,
                               data_collator=LeftPadCollator(tok.pad_token_id))
    if not progress:  # quiet means quiet: no per-step log dicts either (the losses are returned)
        from transformers import PrinterCallback
        trainer.remove_callback(PrinterCallback)
    _bar_without_table(trainer)
    model.train()
    t0 = time.perf_counter()
    out = trainer.train()
    seconds = time.perf_counter() - t0
    model.eval()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return TrainResult(seconds=seconds, steps=out.global_step, losses=losses,
                       truncated=sum(r["truncated"] for r in rows))
