"""The training side: the label mask, the collator, and the answer-only loss against a reference."""
import pytest
import torch

from pada_lite.student.sft import LeftPadCollator, answer_only_loss, decode_labels, encode, prompt_text
from pada_lite.student.load import add_lora, load_student


@pytest.fixture(scope="module")
def student(toy, tiny_student):
    prof, src = tiny_student
    return load_student(prof, source=src)


def test_mask_is_exactly_the_prompt(toy, student):
    task, train, _, _ = toy
    _, tok = student
    for ex in train[:20]:
        row = encode(task, tok, ex)
        prompt_ids = tok(prompt_text(task, tok, ex), add_special_tokens=False).input_ids
        answer_ids = tok(ex.output, add_special_tokens=False).input_ids + [tok.eos_token_id]
        n = len(prompt_ids)
        assert row["input_ids"] == prompt_ids + answer_ids
        assert row["labels"][:n] == [-100] * n          # every prompt token masked
        assert row["labels"][n:] == answer_ids          # every answer token learned, end-of-turn included
        assert row["labels"][-1] == tok.eos_token_id


def test_prompt_never_contains_the_answer_or_tags(toy, student):
    task, train, _, _ = toy
    _, tok = student
    ex = train[0]
    text = prompt_text(task, tok, ex)
    assert ex.input in text and text.endswith("assistant<|end_header_id|>\n\n")
    assert ex.tags[0] not in text.split(ex.input)[1]  # nothing after the message leaks the tag


def test_decode_labels_shows_only_the_answer(toy, student):
    task, train, _, _ = toy
    _, tok = student
    row = encode(task, tok, train[0])
    shown = decode_labels(tok, row)
    n_masked = row["labels"].count(-100)
    assert shown == f"[{n_masked} prompt tokens masked]{train[0].output}<|eot_id|>"


def test_truncation_keeps_the_answer(toy, student):
    task, train, _, _ = toy
    _, tok = student
    row = encode(task, tok, train[0], max_len=12)
    assert row["truncated"] and len(row["input_ids"]) == 12
    assert row["labels"][-1] == tok.eos_token_id and tok.decode([t for t in row["labels"] if t != -100]).startswith(train[0].output)


def test_collator_pads_left_and_positions_start_at_zero():
    rows = [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8, 9], "labels": [-100, 9]}]
    b = LeftPadCollator(pad_id=0)(rows)
    assert b["input_ids"].tolist() == [[5, 6, 7], [0, 8, 9]]
    assert b["attention_mask"].tolist() == [[1, 1, 1], [0, 1, 1]]
    assert b["position_ids"].tolist() == [[0, 1, 2], [0, 0, 1]]
    assert b["labels"].tolist() == [[-100, 6, 7], [-100, -100, 9]]


def test_answer_only_loss_matches_full_causal_lm_loss(toy, student):
    """Reference check: logits only at answer positions give the same loss as the model's own."""
    task, train, _, _ = toy
    model, tok = student
    torch.manual_seed(0)
    rows = [encode(task, tok, ex) for ex in train[:8]]
    b = LeftPadCollator(tok.pad_token_id)(rows)
    with torch.no_grad():
        ours = answer_only_loss(model, b)
        ref = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"],
                    position_ids=b["position_ids"], labels=b["labels"]).loss
    assert torch.allclose(ours, ref, atol=1e-5), (ours.item(), ref.item())


def test_lora_trains_only_adapters_and_listed_modules(tiny_student):
    prof, src = tiny_student
    model, _ = load_student(prof, source=src)
    model = add_lora(model, prof)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or "modules_to_save" in n for n in names)
    targets = {n.split(".")[-4] for n in names if "lora_A" in n}
    assert targets == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_in_a_notebook_the_trainer_shows_its_bar_but_no_table_of_losses(student, tmp_path):
    """Notebook 02 plots the returned losses; the Trainer's notebook bar must not also print them as a table."""
    from transformers import Trainer, TrainingArguments
    from transformers.utils.notebook import NotebookProgressCallback

    from pada_lite.student.sft import _bar_without_table
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    trainer = Trainer(model=student[0], args=args, callbacks=[NotebookProgressCallback])   # as in a notebook
    _bar_without_table(trainer)
    bars = [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, NotebookProgressCallback)]
    assert len(bars) == 1 and type(bars[0]) is not NotebookProgressCallback

    trainer.state.max_steps = 2
    bar = bars[0]
    bar.on_train_begin(args, trainer.state, trainer.control)
    bar.on_log(args, trainer.state, trainer.control, logs={"loss": 1.0})
    bar.training_tracker.update(1, force_update=True)   # draws the bar's HTML (a text stand-in outside a notebook)
    assert "<progress" in bar.training_tracker.html_code and "<table" not in bar.training_tracker.html_code
