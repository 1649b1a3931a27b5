"""Tests for pada_lite.tasks.bundled: the generated helpdesk task and its committed data."""
import json
import random
import re

import pytest

from pada_lite.tasks import bundled
from pada_lite.tasks import data
from pada_lite.tasks.bundled import (BANKS, KEYWORD_RE, LABELS, PHENOMENA, RARE_IN_SEED, BundledTask,
                               generate_example, generate_splits, load_splits, write_data)
from pada_lite.tasks.splits import Splits

DATA = bundled.default_data_dir()


@pytest.fixture(scope="module")
def splits():
    return generate_splits(0)


def keywords_in_order(text):
    """Department labels of the keywords found in `text`, left to right."""
    hits = sorted((m.start(), lab) for lab, r in KEYWORD_RE.items() for m in r.finditer(text))
    return [lab for _, lab in hits]


def last_keyword(text):
    found = keywords_in_order(text)
    return found[-1] if found else None


def words(text):
    return re.findall(r"[a-z0-9'%$.-]+", text.lower().replace("’", "'"))


def ngrams(ws, n=5):
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def bank_phrases(bank):
    """Every phrase string of a bank (greetings, templates, preambles, topics...)."""
    out = []
    for v in BANKS[bank].values():
        for items in (v.values() if isinstance(v, dict) else [v]):
            out += items
    return out


def template_ngrams(bank, n=5):
    """n-grams of a bank's template text between slots (keyword brackets are kept as words)."""
    grams = set()
    for p in bank_phrases(bank):
        for frag in re.split(r"\{\w+\}", p.replace("[", "").replace("]", "")):
            grams |= ngrams([w.strip(".,?!()") for w in words(frag)], n)
    return grams


# ---------------------------------------------------------------- splits

def test_deterministic(splits):
    assert [e.to_dict() for s in splits.values() for e in s] == \
           [e.to_dict() for s in generate_splits(0).values() for e in s]
    assert [e.input for e in generate_splits(1)["test"]] != [e.input for e in splits["test"]]


def test_sizes_and_phenomenon_counts(splits):
    assert {k: len(v) for k, v in splits.items()} == {"train": 300, "validation": 315, "test": 700}
    for split, per in (("validation", 45), ("test", 100)):
        assert bundled._counts(splits[split]) == dict.fromkeys(PHENOMENA, per)
    seed = bundled._counts(splits["train"])
    assert seed["direct"] > seed["preamble"] > seed["typo"] > max(seed[p] for p in RARE_IN_SEED)
    assert seed == bundled.SEED_MIX and all(seed[p] <= 12 for p in RARE_IN_SEED), seed
    # the structural phenomena (misleading cue last) are the rarest: about 1% of the seed set each
    assert seed["negation"] == seed["distractor"] == min(seed.values())


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_labels_balanced_within_phenomenon(splits, split):
    for ph in PHENOMENA:
        per_label = [sum(e.output == lab and e.tags == [ph] for e in splits[split]) for lab in LABELS]
        assert max(per_label) - min(per_label) <= 1, (ph, per_label)


def test_ids_gold_and_tags(splits):
    task = BundledTask()
    for split, exs in splits.items():
        assert [e.id for e in exs] == [f"hd-{split}-{i:04d}" for i in range(1, len(exs) + 1)]
        for e in exs:
            assert e.output in LABELS and task.validate_gold(e) is None
            assert len(e.tags) == 1 and e.tags[0] in PHENOMENA and e.meta == {"bank": "A"}
            assert len(e.input.split()) <= 62, e.input


def test_no_duplicate_inputs(splits):
    keys = [" ".join(e.input.lower().split()) for s in splits.values() for e in s]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("bank", ["A", "B"])
def test_tags_never_in_input(bank):
    rng = random.Random(3)
    for lab in LABELS:
        for ph in PHENOMENA:
            for _ in range(30):
                text = generate_example(rng, lab, ph, bank).input.lower()
                assert not any(re.search(rf"\b{p}\b", text) for p in PHENOMENA), text


# ---------------------------------------------------------------- the phenomena are what they claim

@pytest.mark.parametrize("bank", ["A", "B"])
def test_keyword_structure(bank):
    """direct/preamble: only own keywords; typo/jargon/indirect: none; negation/distractor: own first, another last."""
    rng = random.Random(7)
    for lab in LABELS:
        for ph in PHENOMENA:
            for _ in range(60):
                text = generate_example(rng, lab, ph, bank).input
                found = keywords_in_order(text)
                if ph in ("direct", "preamble"):
                    assert found and set(found) == {lab}, text
                elif ph in ("typo", "jargon", "indirect"):
                    assert not found, (found, text)
                else:
                    assert found[0] == lab and found[-1] != lab, (found, text)


def test_last_keyword_heuristic(splits):
    """'Last keyword wins' is right on direct, wrong on trailing cues; indirect has no keyword."""
    exs = splits["validation"] + splits["test"]

    def acc(ph):
        sub = [e for e in exs if e.tags == [ph]]
        return sum(last_keyword(e.input) == e.output for e in sub) / len(sub)
    assert acc("direct") > 0.95 and acc("preamble") > 0.95
    assert acc("negation") < 0.4 and acc("distractor") < 0.4
    assert all(not keywords_in_order(e.input) for e in exs if e.tags[0] in ("indirect", "jargon"))


# ---------------------------------------------------------------- the two phrasing banks

def test_banks_have_same_shape():
    assert BANKS["A"].keys() == BANKS["B"].keys()
    for lab in LABELS:
        assert BANKS["A"][lab].keys() == BANKS["B"][lab].keys()


def test_banks_disjoint():
    assert not set(bank_phrases("A")) & set(bank_phrases("B"))
    assert not template_ngrams("A") & template_ngrams("B")


def test_bank_b_templates_absent_from_eval(splits):
    b_grams = template_ngrams("B")
    for e in splits["validation"] + splits["test"]:
        hit = ngrams([w.strip(".,?!()") for w in words(e.input)]) & b_grams
        assert not hit, (hit, e.input)


def test_generate_example_api():
    ex = generate_example(random.Random(0), "moving", "indirect", bank="B", id="x-1")
    assert (ex.id, ex.output, ex.tags, ex.meta) == ("x-1", "moving", ["indirect"], {"bank": "B"})
    with pytest.raises(ValueError):
        generate_example(random.Random(0), "refunds", "direct")


def test_task_and_description():
    task = BundledTask()
    assert task.name == "helpdesk" and task.labels == LABELS and task.max_new_tokens == 6
    assert all(lab in task.system_prompt for lab in LABELS)
    assert bundled.COMPANY in bundled.DESCRIPTION and all(lab in bundled.DESCRIPTION for lab in LABELS)
    assert not re.search(r"\b(?:" + "|".join(PHENOMENA) + r"|tags?|phenomen\w*)\b", bundled.DESCRIPTION, re.I)
    assert task.parse("Billing.") == "billing"


# ---------------------------------------------------------------- committed files

def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_committed_files_match_generator(splits):
    for name, exs in splits.items():
        assert read_jsonl(DATA / f"{name}.jsonl") == [e.to_dict() for e in exs], \
            f"{DATA / name}.jsonl is stale: run `python -m pada_lite.tasks.bundled`"


def test_data_card_counts_match_files():
    card = (DATA / "README.md").read_text(encoding="utf-8")
    files = {n: read_jsonl(DATA / f"{n}.jsonl") for n in ("train", "validation", "test")}
    for ph in PHENOMENA:
        row = re.search(rf"^\| {ph} \| (\d+) \| (\d+) \| (\d+) \|$", card, re.M)
        assert row, f"no counts row for {ph} in the data card"
        assert [int(x) for x in row.groups()] == [sum(d["tags"] == [ph] for d in files[n]) for n in files]
    total = re.search(r"^\| \*\*total\*\* \| (\d+) \| (\d+) \| (\d+) \|$", card, re.M)
    assert [int(x) for x in total.groups()] == [len(v) for v in files.values()]


def test_load_splits(splits, tmp_path, monkeypatch):
    monkeypatch.delenv("PADA_DATA_DIR", raising=False)
    got = load_splits()
    assert isinstance(got, Splits) and Splits is data.Splits   # the one Splits, also importable from data
    assert [e.to_dict() for e in got.test] == [e.to_dict() for e in splits["test"]]
    # PADA_DATA_DIR may name the folder itself or its parent holding bundled/
    write_data(tmp_path / "bundled", seed=5)
    for env in (tmp_path, tmp_path / "bundled"):
        monkeypatch.setenv("PADA_DATA_DIR", str(env))
        assert [e.input for e in load_splits().train] == [e.input for e in generate_splits(5)["train"]]
    with pytest.raises(FileNotFoundError, match="python -m pada_lite.tasks.bundled"):
        load_splits(tmp_path / "nowhere")


def test_installed_kit_without_data_folder_gets_the_same_splits(splits, tmp_path, monkeypatch):
    """pip/Colab installs carry the package, not data/: the generator stands in, example for example."""
    import pada_lite.tasks.bundled as b
    monkeypatch.delenv("PADA_DATA_DIR", raising=False)
    monkeypatch.setattr(b, "default_data_dir", lambda: tmp_path / "site-packages" / "data" / "bundled")
    got = b.load_splits()
    for name, exs in splits.items():
        assert [e.to_dict() for e in getattr(got, name)] == read_jsonl(DATA / f"{name}.jsonl") == \
            [e.to_dict() for e in exs]
    # a folder the user names is never replaced by generated data
    with pytest.raises(FileNotFoundError):
        b.load_splits(tmp_path / "site-packages" / "data" / "bundled")
