"""The `tiny` student: a Llama-architecture model small enough to train on a CPU in seconds.

`build_tiny(texts)` trains a byte-level BPE tokenizer on the task's own text, gives it a
Llama-3-style chat template (`<|start_header_id|>role<|end_header_id|>` ... `<|eot_id|>`),
builds a randomly initialised `LlamaForCausalLM` around it, and saves both to a cache
folder keyed by a hash of the text and the shape. Loading is then plain `from_pretrained`,
exactly like a hub model, so the rest of the kit has one code path for every profile.

It deliberately does not pretrain anything: the tiny student knows nothing until the
kit fine-tunes it, which is why its "before" accuracy is near zero.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pada_lite.files import cache_root, publish_folder

SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
           "<|eot_id|>", "<|pad|>"]

# Llama 3's template, minus the date lines: each turn is header, blank line, content, <|eot_id|>
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

DEFAULT_SHAPE = dict(hidden_size=128, intermediate_size=384, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, vocab_size=1000,
                     max_position_embeddings=512)


def _train_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    # byte-level BPE: every string is encodable, nothing is ever <unk>
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
        pad_token="<|pad|>", chat_template=CHAT_TEMPLATE, model_max_length=DEFAULT_SHAPE["max_position_embeddings"])


def build_tiny(texts: list[str], shape: dict | None = None, seed: int = 0, cache: Path | None = None) -> Path:
    """Return the folder of a tiny model + tokenizer for this corpus, building it once."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    shape = {**DEFAULT_SHAPE, **(shape or {})}
    key = hashlib.sha256(json.dumps([sorted(set(texts)), shape, seed]).encode()).hexdigest()[:12]
    out = Path(cache or cache_root()) / f"tiny-{key}"
    if (out / "config.json").exists():
        return out

    # the chat scaffolding is text too: teach the tokenizer the role names and the blank line
    scaffold = ["system\n\n", "user\n\n", "assistant\n\n"] * 50
    tok = _train_tokenizer(list(texts) + scaffold, shape["vocab_size"])
    config = LlamaConfig(
        **{k: v for k, v in shape.items() if k != "vocab_size"}, vocab_size=len(tok),
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False, rope_theta=10000.0)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                               pad_token_id=tok.pad_token_id, do_sample=False)
    # write beside the final folder, then rename: an interrupted build never leaves half a cache
    def save(folder: Path) -> None:
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
    return publish_folder(out, save, prefix=".tmp-tiny-")   # another process won the race: keep theirs
