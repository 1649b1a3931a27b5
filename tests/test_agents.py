"""The PaDA agents with the simulated teacher, without a student: analysis -> patterns ->
strategies -> generation -> quality control, and the leakage guard on generator prompts."""
import re

import pytest

from pada_lite.agents import prompts
from pada_lite.agents.analysis import analyse, draft_strategies, find_patterns
from pada_lite.tasks.bundled import BundledTask, load_splits
from pada_lite.student.evaluate import EvalRecord
from pada_lite.agents.synthesis import Candidate, pattern_samples, llm2llm_samples, split_budget
from pada_lite.tasks.oracle import read_message
from pada_lite.agents.quality import QCConfig, quality_control
from pada_lite.agents.overlap import LeakGuard
from pada_lite.teacher.core import Completion, Teacher, make_teacher

TASK = BundledTask()
HARD = ["jargon", "negation", "indirect", "distractor"]


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def failures(splits, phenomena=HARD, per=12):
    """Validation examples of `phenomena`, answered wrongly (the next label along)."""
    out = []
    for ph in phenomena:
        for ex in [e for e in splits.validation if e.tags == [ph]][:per]:
            wrong = TASK.labels[(TASK.labels.index(ex.output) + 1) % len(TASK.labels)]
            out.append(EvalRecord(ex.id, ex.input, ex.output, wrong, wrong, False, list(ex.tags)))
    return out


def guard_for(splits):
    s = splits
    return LeakGuard([e.input for e in s.validation + s.test], allow=[e.input for e in s.train])


@pytest.mark.parametrize("total,sizes,want", [(10, [5, 3, 2], [5, 3, 2]), (7, [1, 1, 1], [3, 2, 2]),
                                              (0, [4, 2], [0, 0]), (5, [], []), (3, [10, 0], [3, 0])])
def test_split_budget(total, sizes, want):
    got = split_budget(total, sizes)
    assert sorted(got, reverse=True) == sorted(want, reverse=True) and sum(got) == sum(want)


def test_patterns_recover_the_hidden_phenomena(splits):
    teacher = make_teacher("sim", analyst_noise=0.0, progress=False)
    analyses = analyse(teacher, TASK, failures(splits))
    assert len(analyses) == 48 and all(a.error_scenario and a.root_cause for a in analyses)
    found = find_patterns(teacher, TASK, analyses, embedder="tfidf", seed=0)
    assert found.purity > 0.9 and found.ari > 0.8, found.summary()
    assert {p.majority_tag for p in found.patterns} == set(HARD)
    pats = draft_strategies(teacher, TASK, found.patterns)
    assert all(p.strategy and p.strategy["strategy"] for p in pats)
    # the analyst's words never quote the message they analyse
    assert not any(a.input.lower() in a.text.lower() for a in analyses)


def test_noisy_analyst_lowers_purity(splits):
    clean = find_patterns(*(lambda t: (t, TASK, analyse(t, TASK, failures(splits))))(
        make_teacher("sim", analyst_noise=0.0, progress=False)), seed=0)
    noisy = find_patterns(*(lambda t: (t, TASK, analyse(t, TASK, failures(splits))))(
        make_teacher("sim", analyst_noise=0.6, progress=False)), seed=0)
    assert noisy.purity < clean.purity


def test_generation_follows_patterns_and_the_budget(splits):
    teacher = make_teacher("sim", analyst_noise=0.0, flaw_rate=0.0, progress=False)
    found = find_patterns(teacher, TASK, analyse(teacher, TASK, failures(splits)), seed=0)
    pats = draft_strategies(teacher, TASK, found.patterns)
    cands = pattern_samples(teacher, TASK, pats, splits.train, total=40, chunk=8, guard=guard_for(splits))
    assert len(cands) == 40 and len({c.id for c in cands}) == 40
    by_pattern = {p.name: p.majority_tag for p in pats}
    read = [read_message(c.input) for c in cands]
    assert all(r is not None and r[1] == by_pattern[c.origin] and r[0] == c.output for r, c in zip(read, cands))
    assert all(len(c.shown) == 4 for c in cands)


def test_quality_control_catches_flaws_and_regenerates(splits):
    teacher = make_teacher("sim", analyst_noise=0.0, flaw_rate=0.4, progress=False)
    pats = draft_strategies(teacher, TASK, find_patterns(teacher, TASK, analyse(teacher, TASK, failures(splits)), seed=0).patterns)
    strategies = {p.name: ({"name": p.name, "description": p.description}, p.strategy) for p in pats}
    cands = pattern_samples(teacher, TASK, pats, splits.train, total=60, guard=guard_for(splits))
    rounds = []

    def regenerate(rejected, rnd):
        rounds.append(rnd)
        counts = [sum(c.origin == p.name for c in rejected) for p in pats]
        return pattern_samples(teacher, TASK, pats, splits.train, counts=counts, rnd=rnd, guard=guard_for(splits))

    accepted, judged, drops = quality_control(teacher, TASK, cands, splits.train, guard_for(splits), QCConfig(),
                                              strategies=strategies, regenerate=regenerate)
    assert rounds == [1, 2], "regeneration is bounded by max_regen"
    assert drops["wrong_answer"] > 0 and drops["format"] > 0 and drops["trivial"] + drops["near_dup_train"] > 0
    # every accepted sample is right by the oracle, and none is a format problem
    assert all(read_message(c.input) is not None and read_message(c.input)[0] == c.output for c in accepted)
    assert len(judged) == len(accepted) + sum(drops.values())
    assert len(accepted) > 50, "regeneration refills most of what QC rejected"
    # QC off: flawed samples get through
    off, _, off_drops = quality_control(teacher, TASK, [Candidate(**c.to_dict()) for c in cands], splits.train,
                                        guard_for(splits), QCConfig.preset("none"))
    assert any(read_message(c.input) is None or read_message(c.input)[0] != c.output for c in off)


@pytest.mark.parametrize("preset", ["full", "llm2llm", "none"])
def test_leakage_guard_drops_test_copies_in_every_method(splits, preset):
    teacher = make_teacher("sim", progress=False)
    ex = splits.test[3]
    leak = Candidate("c1", ex.input + " thanks", ex.output, "similar", "x")
    fresh = Candidate("c2", "The router you shipped has a dead LAN port, can you send another?", "device", "similar", "y")
    accepted, _, drops = quality_control(teacher, TASK, [leak, fresh], splits.train, guard_for(splits),
                                         QCConfig.preset(preset))
    assert drops["leak"] == 1 and [c.id for c in accepted] == ["c2"]


class QuotingAnalyst:
    """A careless LLM analyst: it quotes the failed message in its analysis."""
    name, simulated = "quoting", False

    def __init__(self):
        from pada_lite.teacher.backends.simulated import SimBackend
        self.sim = SimBackend(analyst_noise=0.0, flaw_rate=0.0)
        self.models = self.sim.models

    def complete(self, request, model):
        c = self.sim.complete(request, model)
        if request.stage == "analysis":
            import json
            obj = json.loads(c.text)
            obj["error_scenario"] = f"The message \"{request.context['input']}\" was misrouted. " + obj["error_scenario"]
            c = Completion(json.dumps(obj), c.prompt_tokens, c.completion_tokens)
        elif request.stage == "patterns":
            import json
            obj = json.loads(c.text)
            obj["description"] += " For example: " + request.context["analyses"][0]["error_scenario"]
            c = Completion(json.dumps(obj), c.prompt_tokens, c.completion_tokens)
        return c

    def describe(self):
        return "quoting analyst"


def _grams(examples, n=8):
    grams = set()
    for e in examples:
        w = re.findall(r"\w+", e.input.lower())
        grams |= {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    return grams


def _held_out_grams(splits, n=8):
    """8-word runs of validation/test inputs that no training input has (the splits share
    phrasing, and training examples are shown to the generator on purpose)."""
    return _grams(splits.validation + splits.test, n) - _grams(splits.train, n)


def _leaks(text, grams, n=8):
    w = re.findall(r"\w+", text.lower())
    return sum(tuple(w[i:i + n]) in grams for i in range(len(w) - n + 1))


@pytest.mark.parametrize("guarded", [True, False])
def test_no_validation_text_reaches_a_generator_prompt(splits, guarded):
    """Every prompt sent to the generator is inspected. Without the guard a quoting analyst
    leaks validation text into it (so this check can fail); with the guard nothing gets through."""
    backend = QuotingAnalyst()
    teacher = Teacher(backend, backend.models, progress=False)
    fails = failures(splits)
    found = find_patterns(teacher, TASK, analyse(teacher, TASK, fails), seed=0)
    assert any(_leaks(p.description, _held_out_grams(splits)) for p in found.patterns), "the analyst did quote"
    pats = draft_strategies(teacher, TASK, found.patterns)
    guard = guard_for(splits) if guarded else None
    pattern_samples(teacher, TASK, pats, splits.train, total=16, guard=guard)
    llm2llm_samples(teacher, TASK, splits.train[:5], guard=guard)
    gen = [r for model, r in teacher.sent if r.role == "generator"]
    assert len(gen) >= 5
    grams = _held_out_grams(splits)
    leaked = sum(_leaks(m["content"], grams) for r in gen for m in r.messages)
    whole = sum(e.input.lower() in m["content"].lower() for r in gen for m in r.messages for e in fails)
    if guarded:
        assert leaked == 0 and whole == 0
    else:   # the analyst's quotes are redacted even without the guard, but its other words leak
        assert leaked > 0


class EchoingNamer(QuotingAnalyst):
    """An analyst that repeats every quote of its cluster in the pattern and the strategy it writes."""

    def complete(self, request, model):
        c = self.sim.complete(request, model)
        if request.stage in ("patterns", "strategies"):
            import json
            obj = json.loads(c.text)
            said = request.context.get("analyses") or []
            quotes = [a[k] for a in said for k in ("misleading", "missed") if a.get(k)]
            key = "description" if request.stage == "patterns" else "strategy"
            obj[key] += " Watch for: " + "; ".join(quotes or ["(none)"])
            c = Completion(json.dumps(obj), c.prompt_tokens, c.completion_tokens)
        return c


def test_no_quoted_evidence_reaches_a_generator_prompt(splits):
    """The analysts' quotes serve clustering and naming only: every one is redacted from every
    generator prompt, even when the pattern's description repeats it."""
    backend = EchoingNamer()
    teacher = Teacher(backend, backend.models, progress=False)
    found = find_patterns(teacher, TASK, analyse(teacher, TASK, failures(splits)), seed=0)
    pats = draft_strategies(teacher, TASK, found.patterns)
    from pada_lite.agents.synthesis import private_quotes
    quotes = set(private_quotes([q for p in pats for q in p.quotes], TASK, splits.train))
    assert len(quotes) >= 5 and any(q.lower() in p.description.lower() for p in pats for q in p.quotes)
    pattern_samples(teacher, TASK, pats, splits.train, total=16)   # no leak guard at all: the quotes alone
    gen = " ".join(" ".join(m["content"].lower().split()) for model, r in teacher.sent if r.role == "generator"
                   for m in r.messages)
    assert gen and not [q for q in quotes if " ".join(q.lower().split()) in gen]


def test_prompts_never_show_hidden_tags(splits):
    """A failure's hidden tags change nothing an endpoint receives (they ride in `context` only)."""
    import dataclasses
    rec = failures(splits, ["negation"], per=1)[0]
    other = dataclasses.replace(rec, tags=["distractor"])
    assert prompts.analysis(TASK, rec).messages == prompts.analysis(TASK, other).messages
    for req in [prompts.analysis(TASK, rec), prompts.llm2llm(TASK, {"input": rec.input, "output": rec.gold})]:
        text = " ".join(m["content"] for m in req.messages)
        assert "tags" not in text and "phenomen" not in text.lower()
