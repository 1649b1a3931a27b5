"""Profiles: one code path, three scales (`colab`, `cpu`, `tiny`).

A `Profile` names the student, how it is loaded (4-bit or not), the LoRA shape and the
training/evaluation hyper-parameters. `get_profile(name)` returns one; `PADA_PROFILE`
chooses it when no name is given (`colab` where a CUDA GPU is present, else `tiny`).
Any field can be overridden: `get_profile("tiny", epochs=3)`.

It deliberately holds no logic: loading lives in `student/load.py`, training in `sft.py`.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace

LLAMA_1B = "meta-llama/Llama-3.2-1B-Instruct"
# an ungated copy of the same weights, for people without a Meta licence token yet
LLAMA_1B_MIRROR = "unsloth/Llama-3.2-1B-Instruct"


@dataclass(frozen=True)
class Profile:
    name: str
    student: str                    # "tiny", "smollm2", or a hub id / local folder
    load_in_4bit: bool = False      # nf4 + double quantization through bitsandbytes
    # LoRA on every linear projection of the transformer blocks
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_modules_to_save: tuple[str, ...] = ()
    # training
    epochs: float = 3
    # at least this many optimizer steps, however small the training set (0: epochs decide alone);
    # an `epochs` override turns it off, so asking for E epochs gives exactly E
    min_steps: int = 0
    lr: float = 2e-4
    batch_size: int = 8
    grad_accum: int = 1
    max_len: int = 512
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    gradient_checkpointing: bool = False
    # evaluation
    eval_batch_size: int = 16
    # the other stages (used by the agents)
    embedder: str = "all-MiniLM-L6-v2"
    teacher: str = "sim"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


PROFILES = {
    "colab": Profile(
        name="colab", student=LLAMA_1B, load_in_4bit=True, lora_r=16, lora_alpha=32, lora_dropout=0.05,
        epochs=3, lr=2e-4, batch_size=8, grad_accum=2, max_len=512, gradient_checkpointing=True,
        eval_batch_size=32, embedder="all-mpnet-base-v2", teacher="openai"),
    # subtle: micro-batches of 8 (16 per step, as before) and no LoRA dropout: one step of 16 on 2
    # cores took 12.9 s at a peak of 7.7 GB resident; now 9.3 s at 3.5 GB (a laptop often has 8 GB).
    # Dropout cost that much because PEFT copies each layer's input once per adapted projection.
    "cpu": Profile(
        name="cpu", student="smollm2", load_in_4bit=False, lora_r=16, lora_alpha=32, lora_dropout=0.0,
        epochs=3, lr=1e-3, batch_size=8, grad_accum=2, max_len=256, eval_batch_size=16,
        embedder="all-MiniLM-L6-v2", teacher="sim"),
    # a randomly initialised student: LoRA alone cannot teach frozen random embeddings a
    # vocabulary, so the tiny profile also trains the embeddings and the output head.
    # subtle: 10 epochs are 100 steps on the 300-example seed set; on 150 examples they were 50, and
    # the loss stopped at 0.39-0.55 (test 0.67-0.86 over 3 seeds) where 100 steps reach 0.02 (0.75-0.89),
    # so a small seed set gets the same 100 steps: an undertrained baseline flatters any augmentation
    # subtle: at lr 3e-3, about 1 in 6 runs on seed + ~400 generated samples stalled at a loss
    # near 0.4 (validation 0.59); 2e-3 converged on the same data (validation 0.94)
    "tiny": Profile(
        name="tiny", student="tiny", load_in_4bit=False, lora_r=32, lora_alpha=64, lora_dropout=0.0,
        lora_modules_to_save=("embed_tokens", "lm_head"), epochs=10, min_steps=100, lr=2e-3, batch_size=32,
        max_len=192, warmup_ratio=0.05, eval_batch_size=64, embedder="tfidf", teacher="sim"),
}


def default_profile_name() -> str:
    name = os.environ.get("PADA_PROFILE", "").strip().lower()
    if name:
        return name
    try:
        import torch
        return "colab" if torch.cuda.is_available() else "tiny"
    except ImportError:
        return "tiny"


def get_profile(name: str | None = None, **overrides) -> Profile:
    name = (name or default_profile_name()).lower()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r} (from PADA_PROFILE or the --profile flag); "
                         f"choose one of: {', '.join(PROFILES)}")
    unknown = set(overrides) - set(Profile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown profile field(s) {sorted(unknown)}; known: {sorted(Profile.__dataclass_fields__)}")
    if "epochs" in overrides:
        overrides.setdefault("min_steps", 0)
    return replace(PROFILES[name], **overrides)
