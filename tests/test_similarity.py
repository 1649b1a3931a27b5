"""Tests for pada_lite.agents.overlap: ROUGE-L against the reference, the exact pre-filter, the leakage guard."""
import json
import random

import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rs_tokenize

from pada_lite.tasks.bundled import default_data_dir
from pada_lite.agents.overlap import REDACTED, LeakGuard, NearDupIndex, _lcs, _masks, rouge_l, tokenize


@pytest.fixture(scope="module")
def bundled_inputs():
    texts = []
    for split in ("train", "validation", "test"):
        with open(default_data_dir() / f"{split}.jsonl", encoding="utf-8") as f:
            texts += [json.loads(line)["input"] for line in f if line.strip()]
    assert len(texts) > 1000
    return texts


def perturb(rng, text):
    """A near-copy: a few words dropped, swapped or changed."""
    ws = text.split()
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(ws))
        op = rng.choice(["drop", "swap", "change"])
        if op == "drop" and len(ws) > 1:
            del ws[i]
        elif op == "swap":
            j = rng.randrange(len(ws))
            ws[i], ws[j] = ws[j], ws[i]
        else:
            ws[i] = rng.choice(["router", "bill", "please", "the", "Moving!", "x2"])
    return " ".join(ws)


def lcs_dp(a, b):
    """The textbook O(len(a) * len(b)) dynamic programme."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


# ---------------------------------------------------------------- ROUGE-L versus rouge-score

def test_rouge_l_matches_reference_on_bundled_pairs(bundled_inputs):
    rng = random.Random(0)
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    pairs = [tuple(rng.sample(bundled_inputs, 2)) for _ in range(150)]
    pairs += [(t, perturb(rng, t)) for t in rng.sample(bundled_inputs, 60)]   # high scores too
    worst, high = 0.0, 0
    for a, b in pairs:
        ours, ref = rouge_l(a, b), scorer.score(a, b)["rougeL"].fmeasure
        worst, high = max(worst, abs(ours - ref)), high + (ref > 0.8)
        assert rouge_l(b, a) == ours
    print(f"\n{len(pairs)} pairs, max |ours - rouge_score| = {worst:.2e}, {high} pairs above 0.8")
    assert worst < 1e-9 and high >= 30


@pytest.mark.parametrize("text", ["Hello, World! It's 5pm.", "İstanbul café naïve straße", "ＦＵＬＬ width",
                                  "K-9 (Kelvin)", "", "  \n\t", "a_b-c d.e", "ÀÉÎ mixed ÅSCII"])
def test_tokenize_matches_reference(text):
    assert tokenize(text) == rs_tokenize.tokenize(text, None)


@pytest.mark.parametrize("a,b,expected", [
    ("", "anything", 0.0), ("...", "!!!", 0.0), ("same words here", "Same, words; here!", 1.0),
    ("a b c d", "a c", 2 * 2 / 6), ("a b a b", "b a b a", 2 * 3 / 8), ("x y z", "p q", 0.0)])
def test_rouge_l_hand_values(a, b, expected):
    assert rouge_l(a, b) == pytest.approx(expected)


@pytest.mark.parametrize("m,n,alphabet", [(0, 5, 3), (1, 1, 1), (7, 9, 2), (40, 33, 4), (70, 90, 3), (150, 120, 6)])
def test_bit_parallel_lcs_matches_dynamic_programme(m, n, alphabet):
    rng = random.Random(m * 1000 + n)
    for _ in range(20):
        a = [str(rng.randrange(alphabet)) for _ in range(m)]
        b = [str(rng.randrange(alphabet)) for _ in range(n)]
        assert _lcs(_masks(a), len(a), b) == lcs_dp(a, b)


# ---------------------------------------------------------------- NearDupIndex

@pytest.mark.parametrize("floor", [0.0, 0.5, 0.7, 0.95])
def test_index_best_equals_brute_force(bundled_inputs, floor):
    rng = random.Random(1)
    indexed = bundled_inputs[:400]
    index = NearDupIndex(indexed, threshold=0.95)
    queries = rng.sample(bundled_inputs[400:], 25) + [perturb(rng, t) for t in rng.sample(indexed, 25)]
    for q in queries:
        scores = [rouge_l(q, t) for t in indexed]
        top = max(scores)
        expected = (top, scores.index(top)) if top >= floor and top > 0 else (0.0, -1)
        assert index.best(q, floor=floor) == pytest.approx(expected)


def test_index_dedups_a_batch_against_itself():
    index = NearDupIndex(["my router keeps restarting every night"], threshold=0.9)
    batch = ["My router keeps restarting every night!", "please refund the double charge on my bill",
             "Please refund the double charge on my bill.", "the whole street is offline since monday"]
    kept = []
    for t in batch:
        if not index.is_dup(t):
            kept.append(t)
            index.add(t)
    assert kept == [batch[1], batch[3]] and len(index) == 3
    assert index.best("the whole street is offline since Monday") == (1.0, 2)


def test_index_ties_go_to_the_lowest_index_and_empty_cases():
    index = NearDupIndex(["b c d", "a b c", "a b c"], threshold=0.5)
    assert index.best("a b c") == (1.0, 1)
    assert index.best("!!!") == (0.0, -1) and not index.is_dup("")
    assert NearDupIndex([], 0.9).best("anything") == (0.0, -1)
    assert index.best("q r s", floor=0.0) == (0.0, -1)     # nothing in common at all


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_index_rejects_bad_thresholds(threshold):
    with pytest.raises(ValueError, match="threshold"):
        NearDupIndex(["a"], threshold)


# ---------------------------------------------------------------- LeakGuard

PROTECTED = ["Hi team, my router keeps restarting every seven minutes since the storm, please help",
             "why is my October bill higher than usual",          # 8 words
             "cancel my contract now",                              # 4 words: protected whole
             "hi thanks"]                                           # 2 words: too short to protect


def test_leak_guard_flags_near_duplicates_and_shared_runs():
    guard = LeakGuard(PROTECTED, threshold=0.7, ngram=8)
    assert guard.is_leak("hi team my router keeps restarting every 7 minutes since the storm please help")
    assert guard.is_leak("Hello! Quick one: why is my October bill higher than usual? I moved house.")  # 8-gram
    assert not guard.is_leak("Hello! Quick one: why is my October bill higher than normal? I moved house.")
    assert guard.is_leak("Please cancel my contract now, I am leaving.")                                  # short, whole
    assert not guard.is_leak("hi thanks for the help with my modem yesterday, it is working again")
    assert not guard.is_leak("")


def test_leak_guard_redacts_every_protected_span():
    guard = LeakGuard(PROTECTED, ngram=8)
    prompt = ("Example failure: \"My router keeps restarting every seven minutes since the storm.\" "
              "Another: WHY is my October bill higher than usual?? Write new samples. hi thanks")
    out, n = guard.redact(prompt)
    assert n == 2 and out.count(REDACTED) == 2
    assert out == (f"Example failure: \"{REDACTED}.\" Another: {REDACTED}?? Write new samples. hi thanks")
    assert not any(guard.is_leak(part) for part in out.split(REDACTED))
    assert guard.redact("nothing protected here at all") == ("nothing protected here at all", 0)


def test_leak_guard_redacts_overlapping_runs_as_one_span_and_keeps_offsets_with_unicode():
    guard = LeakGuard(["one two three four five six seven eight nine ten"], ngram=4)
    out, n = guard.redact("İİ zero one two three four five six seven eight nine ten eleven")
    assert (out, n) == (f"İİ zero {REDACTED} eleven", 1)
    out, n = guard.redact("one two three four | x | seven eight nine ten")
    assert (out, n) == (f"{REDACTED} | x | {REDACTED}", 2)


def test_leak_guard_rejects_bad_ngram():
    with pytest.raises(ValueError, match="ngram"):
        LeakGuard(["a b c"], ngram=0)


def test_leak_guard_allow_exempts_what_training_data_already_says():
    test_text = "I run a small bakery from home and the mornings are chaos, my modem keeps dropping out"
    train_text = "I run a small bakery from home and the mornings are chaos, can I get a copy of the invoice"
    strict, lenient = LeakGuard([test_text]), LeakGuard([test_text], allow=[train_text])
    quoting_train = f"Training example: {train_text}"
    assert strict.is_leak(quoting_train) and strict.redact(quoting_train)[1] == 1
    assert not lenient.is_leak(quoting_train) and lenient.redact(quoting_train) == (quoting_train, 0)
    # runs reaching into the test-only words are still protected (from "from" on), and so is a near-copy
    assert lenient.redact(f"see: {test_text}") == (f"see: I run a small bakery {REDACTED}", 1)
    assert lenient.is_leak(test_text.replace("modem", "router"))
    # near-duplicates: a leak only when closer to the protected text than to every allowed one
    test_text = "my router keeps restarting every few minutes since the storm last night please help"
    train_text = "my router keeps restarting every few minutes since the update last week please help"
    strict, lenient = LeakGuard([test_text]), LeakGuard([test_text], allow=[train_text])
    near_train = train_text.replace("update", "upgrade")
    assert rouge_l(near_train, test_text) >= 0.7 and rouge_l(near_train, train_text) > rouge_l(near_train, test_text)
    assert strict.near_duplicate(near_train) and not lenient.near_duplicate(near_train)
    near_test = test_text.replace("storm", "thunder")
    assert lenient.near_duplicate(near_test) and lenient.is_leak(near_test)
