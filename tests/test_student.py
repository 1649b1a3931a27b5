"""Loading students: profiles, special tokens, the 4-bit path on CPU, adapters, learning, determinism."""
import pytest
import torch

from pada_lite.student.evaluate import evaluate
from pada_lite.student.profiles import get_profile
from pada_lite.student.sft import finetune
from pada_lite.student.load import add_lora, load_adapter, load_student, save_adapter, trainable_parameters


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("PADA_PROFILE", "cpu")
    assert get_profile().name == "cpu"
    monkeypatch.delenv("PADA_PROFILE")
    assert get_profile().name == ("colab" if torch.cuda.is_available() else "tiny")
    monkeypatch.setenv("PADA_PROFILE", "gpu-please")
    with pytest.raises(ValueError, match="unknown profile 'gpu-please'.*colab, cpu, tiny"):
        get_profile()
    with pytest.raises(ValueError, match="unknown profile field"):
        get_profile("tiny", learning_rate=1)


def test_colab_profile_is_qlora():
    p = get_profile("colab")
    assert p.load_in_4bit and p.student.endswith("Llama-3.2-1B-Instruct") and p.lora_r == 16


def test_pad_is_not_eos_and_generation_is_greedy(tiny_student):
    prof, src = tiny_student
    model, tok = load_student(prof, source=src)
    assert tok.pad_token_id != tok.eos_token_id
    assert tok.eos_token == "<|eot_id|>"
    assert model.generation_config.eos_token_id == tok.eos_token_id
    assert model.generation_config.do_sample is False


def test_4bit_path_on_cpu_has_bnb_layers_and_only_lora_trains(tiny_student):
    bnb = pytest.importorskip("bitsandbytes")
    prof, src = tiny_student
    prof = get_profile("tiny", load_in_4bit=True, lora_modules_to_save=())
    model, _ = load_student(prof, source=src)
    linear4 = [n for n, m in model.named_modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(linear4) == 7 * model.config.num_hidden_layers
    w = model.model.layers[0].self_attn.q_proj.weight
    assert w.quant_state.quant_type == "nf4" and w.quant_state.nested  # double quantization
    model = add_lora(model, prof)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    n_train, n_all = trainable_parameters(model)
    assert 0 < n_train < n_all


def test_finetune_learns_and_adapter_round_trips(toy, tiny_student, tmp_path):
    """A real learning assertion: the untrained tiny student knows nothing; after fine-tuning it routes."""
    task, train, test, corpus = toy
    prof, src = tiny_student
    model, tok = load_student(prof, source=src)
    before = evaluate(model, tok, task, test, batch_size=32, progress=False)
    model = add_lora(model, prof)
    result = finetune(model, tok, task, train, prof, progress=False, output_dir=str(tmp_path / "t"))
    after = evaluate(model, tok, task, test, batch_size=32, progress=False)
    assert before.accuracy < 0.4
    assert after.accuracy >= 0.9, after.accuracy
    assert result.losses[-1] < result.losses[0] / 5
    # the saved adapter reproduces the same answers
    save_adapter(model, tok, tmp_path / "adapter")
    reloaded, tok2 = load_adapter(prof, tmp_path / "adapter", texts=corpus)
    again = evaluate(reloaded, tok2, task, test, batch_size=32, progress=False)
    assert [r.response for r in again.records] == [r.response for r in after.records]


def test_evaluation_is_deterministic_and_batch_independent(toy, tiny_student):
    task, _, test, _ = toy
    prof, src = tiny_student
    torch.manual_seed(123)
    model, tok = load_student(prof, source=src)
    a = evaluate(model, tok, task, test, batch_size=16, progress=False)
    b = evaluate(model, tok, task, test, batch_size=16, progress=False)
    c = evaluate(model, tok, task, test[:20], batch_size=1, progress=False)
    assert [r.to_dict() for r in a.records] == [r.to_dict() for r in b.records]
    assert [r.response for r in c.records] == [r.response for r in a.records[:20]]
    assert all(r.id == ex.id and r.tags == ex.tags for r, ex in zip(a.records, test))


def test_shared_prefix_cache_changes_nothing_but_the_time(toy, tiny_student, tmp_path):
    """Prompts share the template and system prompt: computed once, the answers must not change."""
    from pada_lite.student.evaluate import generate, shared_prefix
    from pada_lite.student.sft import prompt_text
    task, train, test, _ = toy
    prof, src = tiny_student
    model, tok = load_student(prof, source=src)
    model = add_lora(model, prof, seed=0)
    finetune(model, tok, task, train, prof, progress=False, max_steps=30, output_dir=str(tmp_path / "t"))
    prompts = [prompt_text(task, tok, ex) for ex in test]
    enc = [tok(p, add_special_tokens=False).input_ids for p in prompts]
    n = shared_prefix(enc)
    assert n >= 8 and all(e[:n] == enc[0][:n] for e in enc)
    for temperature in (0.0, 0.7):   # greedy, and sampled as LLM2LLM does (seeded)
        plain = generate(model, tok, prompts, 8, batch_size=7, progress=False, temperature=temperature, share_prefix=False)
        shared = generate(model, tok, prompts, 8, batch_size=7, progress=False, temperature=temperature)
        assert shared == plain and len(set(plain)) > 1
    assert shared_prefix([[1, 2, 3], [1, 2, 4]], least=1) == 2 and shared_prefix([[1, 2], [1, 2]], least=1) == 1
    assert shared_prefix([[5, 2, 3], [1, 2, 3]], least=1) == 0 and shared_prefix([[1] * 20, [1] * 20]) == 19


def test_training_is_seeded(toy, tiny_student, tmp_path):
    task, train, _, _ = toy
    prof, src = tiny_student
    losses = []
    for i in range(2):
        model, tok = load_student(prof, source=src)
        model = add_lora(model, prof, seed=7)
        r = finetune(model, tok, task, train, prof, seed=7, progress=False, max_steps=4, output_dir=str(tmp_path / str(i)))
        losses.append(r.losses)
    assert losses[0] == losses[1]


def test_gradient_accumulation_does_not_scale_the_loss(toy, tiny_student, tmp_path):
    """Two micro-batches of 8 accumulated must log the same loss scale as one batch of 16."""
    task, train, _, _ = toy
    prof, src = tiny_student
    first = {}
    for bs, ga in ((16, 1), (8, 2)):
        p = get_profile("tiny", batch_size=bs, grad_accum=ga, lr=1e-9)
        model, tok = load_student(p, source=src)
        model = add_lora(model, p, seed=3)
        r = finetune(model, tok, task, train[:64], p, seed=3, progress=False, max_steps=1, output_dir=str(tmp_path / str(ga)))
        first[ga] = r.losses[0]
    assert first[2] == pytest.approx(first[1], rel=0.15), first


def test_small_training_sets_get_the_profiles_minimum_steps(toy, tiny_student, tmp_path):
    """tiny: 10 epochs of 8 examples would be 10 steps; min_steps makes them 12 here (100 by default).
    Asking for epochs explicitly turns the minimum off; an explicit max_steps always wins."""
    task, train, _, _ = toy
    _, src = tiny_student
    assert get_profile("tiny").min_steps == 100 and get_profile("tiny", epochs=2).min_steps == 0
    assert get_profile("colab").min_steps == 0
    steps = {}
    for key, p, max_steps in (("min", get_profile("tiny", min_steps=12, batch_size=8), None),
                              ("epochs", get_profile("tiny", epochs=10, batch_size=8), None),
                              ("max", get_profile("tiny", min_steps=12, batch_size=8), 3)):
        model, tok = load_student(p, source=src)
        model = add_lora(model, p, seed=3)
        steps[key] = finetune(model, tok, task, train[:8], p, progress=False, max_steps=max_steps,
                              output_dir=str(tmp_path / key)).steps
    assert steps == {"min": 12, "epochs": 10, "max": 3}


def test_the_optional_bitsandbytes_kernel_notice_is_dropped_and_nothing_else(caplog):
    import logging

    import pada_lite.student.load  # noqa: F401  (installs the filter)
    log = logging.getLogger("bitsandbytes.backends.cpu.ops")
    with caplog.at_level(logging.WARNING, logger=log.name):
        log.warning("Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure ...", "offline")
        log.warning("something else went wrong")
    assert [r.getMessage() for r in caplog.records] == ["something else went wrong"]


def test_the_kernels_packages_offline_trust_notice_is_dropped_and_nothing_else(caplog):
    import logging

    import pada_lite.student.load  # noqa: F401  (installs the filter)
    log = logging.getLogger("kernels._internals.hf_hub")
    with caplog.at_level(logging.WARNING, logger=log.name):
        log.warning("Skipping publisher trust check for %r because Hugging Face Hub is in offline mode.",
                    "kernels-community/quantization-bitsandbytes")
        log.warning("Skipping publisher trust check for 'someone-else/kernel' because Hugging Face Hub is offline.")
    assert [r.getMessage() for r in caplog.records] == [
        "Skipping publisher trust check for 'someone-else/kernel' because Hugging Face Hub is offline."]
