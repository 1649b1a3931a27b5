"""Evidence in analyses, clusters formed on it, the blind checker, and prompts that carry nothing
of the bundled task: the parts that let a small real teacher help (issue: a real teacher that helps)."""
import json
import re

import pytest
import test_agents

from pada_lite.agents import prompts
from pada_lite.agents.analysis import (Analysis, analyse, cluster_analyses, evidence_features, find_patterns,
                                       quote_in, represent, vocabulary_of)
from pada_lite.agents.quality import QCConfig, agrees, quality_control
from pada_lite.agents.synthesis import Candidate, redact_quotes
from pada_lite.student.evaluate import EvalRecord
from pada_lite.tasks import bundled, oracle
from pada_lite.tasks.bundled import BundledTask, load_splits
from pada_lite.tasks.spec import LabelTask, NumberTask
from pada_lite.teacher.core import Completion, Teacher, make_teacher
from pada_lite.teacher.schemas import CHECKLIST, BlindAnswer

TASK = BundledTask()


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def failures(splits, per=10):
    """The agent tests' failures (`test_agents.failures`): 10 per hard phenomenon by default."""
    return test_agents.failures(splits, per=per)


# ---------------------------------------------------------------- quotes, checked in code
@pytest.mark.parametrize("quote,ok", [("", True), ("the ONT", True), ("the  ont ", True), ('"the ONT."', True),
                                      ("LED on the ONT went amber", True), ("router", False),
                                      ("I would hate it", False), ("ONT went red", False)])
def test_a_quote_must_occur_in_the_input(quote, ok):
    assert quote_in(quote, "Hi, the ethernet LED on the ONT went amber on May 2.") is ok


class Misquoter:
    """An analyst that invents its quotes on the first ask, and copies them right when told (or never)."""
    name, simulated = "misquoter", False
    models = dict.fromkeys(("analyst", "generator", "checker"), "m")

    def __init__(self, learns=True):
        self.learns, self.asked = learns, []

    def complete(self, request, model):
        self.asked.append(request)
        text = request.context["input"]
        told = len(request.messages) > 2
        words = text.split()
        good = {"misleading": " ".join(words[-3:]), "missed": " ".join(words[:3])}
        quotes = good if (told and self.learns) else {"misleading": "words never written", "missed": words[0]}
        reply = {**quotes, "error_scenario": "a message", "root_cause": "a cause", "capability": "negation"}
        return Completion(json.dumps(reply), 10, 10)

    def describe(self):
        return "misquoter"


@pytest.mark.parametrize("learns", [True, False])
def test_a_made_up_quote_is_asked_again_once_then_dropped(splits, learns):
    backend = Misquoter(learns)
    fails = failures(splits, per=2)
    out = analyse(Teacher(backend, backend.models, progress=False), TASK, fails)
    assert len(out) == len(fails) and len(backend.asked) == 2 * len(fails)   # each asked again, once
    again = backend.asked[len(fails)]
    assert again.messages[-2]["role"] == "assistant" and "words never written" in again.messages[-1]["content"]
    for a in out:
        assert quote_in(a.misleading, a.input) and quote_in(a.missed, a.input)
        assert (a.misleading != "", a.requoted) == ((True, 1) if learns else (False, 2))
        assert a.missed   # the valid quote of a failed retry is kept


def test_the_simulated_analyst_quotes_the_input(splits):
    out = analyse(make_teacher("sim", progress=False), TASK, failures(splits))
    assert all(quote_in(a.misleading, a.input) and quote_in(a.missed, a.input) and a.requoted == 0 for a in out)
    assert all(a.capability in CHECKLIST for a in out)
    assert sum(bool(a.misleading) for a in out) >= 15


def test_evidence_features_read_the_quotes_not_the_task():
    a = Analysis("1", "Please fix my bill. This is not about the router.", "billing", "device", "s", "c",
                 misleading="not about the router", missed="fix my bill")
    pm, ps, after, neg, no_mis, no_missed, unseen = evidence_features(a, vocabulary_of(["please fix my bill"]))
    assert ps < pm and after == 1.0 and neg == 1.0 and no_mis == no_missed == 0.0 and unseen == 0.0
    b = Analysis("2", "My ONT blinks.", "device", "billing", "s", "c", missed="ONT")
    assert evidence_features(b, vocabulary_of(["my router blinks"]))[-1] == 1.0          # a word never trained on
    assert evidence_features(b)[:2] == [-1.0, pytest.approx(3 / len("my ont blinks"))] and evidence_features(b)[-1] == 0
    with pytest.raises(ValueError, match="represent="):
        represent([a, b], how="raw")


def test_clusters_on_evidence_keep_the_simulated_teachers_quality(splits):
    """The representation that helps a real teacher must not cost the simulated one its clusters."""
    analyses = analyse(make_teacher("sim", analyst_noise=0.1, progress=False), TASK, failures(splits))
    tags = [a.tags[0] for a in analyses]
    seen = vocabulary_of(e.input for e in splits.train)
    from pada_lite.agents.cluster import adjusted_rand
    text = adjusted_rand(cluster_analyses(analyses, how="analysis", seed=0).labels, tags)
    both = adjusted_rand(cluster_analyses(analyses, how="analysis+evidence", seed=0, vocabulary=seen).labels, tags)
    assert both >= text - 0.05 and both > 0.5, (text, both)


# ---------------------------------------------------------------- quotes never reach the generator
def test_redact_quotes_whole_words_any_case():
    text, n = redact_quotes("The ONT is fine; my ontology is not. the  ont again", ["the ONT", "zzz"])
    assert n == 2 and "ontology" in text and "ONT is" not in text


# ---------------------------------------------------------------- the blind checker
def cand(inp, out, i=0):
    return Candidate(f"c{i}", inp, out, "pattern", "p")


@pytest.mark.parametrize("task,answer,output,ok", [
    (TASK, "Billing", "billing", True), (TASK, "billing.", "billing", True), (TASK, "device", "billing", False),
    (TASK, "I cannot tell", "billing", False),
    (NumberTask(), "72", "Half of 144 is 72.\n#### 72", True), (NumberTask(), "$72.00", "#### 72", True),
    (NumberTask(), "71", "#### 72", False)])
def test_the_checker_agrees_only_with_the_samples_own_answer(task, answer, output, ok):
    assert agrees(task, answer, cand("q", output)) is ok


class Answerer:
    """A checker that answers every input with one fixed label, and records what it was shown."""
    name, simulated = "answerer", False
    models = dict.fromkeys(("analyst", "generator", "checker"), "m")

    def __init__(self, label):
        self.label, self.shown = label, []

    def complete(self, request, model):
        self.shown.append(" ".join(m["content"] for m in request.messages))
        assert request.schema is BlindAnswer
        return Completion(json.dumps({"answer": self.label}), 10, 2)

    def describe(self):
        return "answerer"


def test_blind_qc_keeps_what_the_checker_answers_alike_and_never_shows_the_answer(splits):
    backend = Answerer("billing")
    cands = [cand("my invoice doubled this month, why?", "billing", 1), cand("the fibre box is dead", "outage", 2),
             cand("how do I pay my invoice late?", "Billing", 3)]
    accepted, judged, drops = quality_control(Teacher(backend, backend.models, progress=False), TASK, cands,
                                              splits.train, None, QCConfig())
    assert [c.id for c in accepted] == ["c1"] and drops == {"wrong_answer": 1, "format": 1}
    assert judged[1].scores == {"answer": "billing", "agrees": False}
    # blind: what the checker is shown does not depend on the sample's own answer
    assert len(backend.shown) == 2
    one, other = ({"input": "the fibre box is dead", "output": out} for out in ("outage", "sales"))
    assert prompts.blind_check(TASK, one).messages == prompts.blind_check(TASK, other).messages
    with pytest.raises(ValueError, match="check="):
        QCConfig(check="vote")


def test_grading_stays_available(splits):
    teacher = make_teacher("sim", progress=False)
    accepted, judged, drops = quality_control(teacher, TASK, [cand("my invoice doubled this month, why?", "billing")],
                                              splits.train, None, QCConfig(check="grade"))
    assert set(judged[0].scores) >= {"answer_correct", "follows_strategy"}


# ---------------------------------------------------------------- no prompt carries the bundled task
SENTIMENT = LabelTask("reviews", ["praise", "complaint"], "Whether a product review praises or complains.")


def every_prompt(task) -> list:
    rec = EvalRecord("r1", "The screen cracked on day two, but support replaced it fast.", "praise",
                     "complaint", "complaint", False, ["hidden-tag"])
    a = {"error_scenario": "s", "root_cause": "c", "capability": "temporal", "misleading": "cracked",
         "missed": "replaced it fast"}
    pat = {"name": "n", "description": "d", "cue": "a turn of events", "capability": "temporal"}
    strat = {"strategy": "s", "vary": ["v"], "keep": ["k"], "pitfalls": ["p"]}
    ex = [{"input": "Great value.", "output": "praise"}]
    req = prompts.analysis(task, rec)
    return [req, prompts.requote(req, "{}", {"missed": "x"}), prompts.pattern(task, [a]), prompts.strategy(task, pat),
            prompts.generation(task, pat, strat, ex, 3, 0), prompts.llm2llm(task, ex[0]),
            prompts.quality(task, {"input": "i", "output": "praise"}, pat, strat, ex),
            prompts.blind_check(task, {"input": "i", "output": "praise"})]


def test_no_prompt_carries_anything_written_from_the_bundled_task():
    """The prompts are the method, for any task: none holds the bundled task's labels, company,
    phenomena, the oracle's cue words or a phrase of its banks. CheckList's capabilities are
    quoted as their authors publish them (their words may coincide with a cue word: "typos")."""
    text = " ".join(m["content"] for r in every_prompt(SENTIMENT) for m in r.messages)
    # the analyst's worked example is a product review ("negative" there is a star rating's word)
    text = text.replace(prompts._EVIDENCE_EXAMPLE, " ")
    for key, published in CHECKLIST.items():
        text = re.sub(rf"\b{key}\b", " ", text.replace(published.split(": ", 1)[-1], " "))
    low = text.lower()
    words = set(re.findall(r"[a-z]+", low))
    assert not words & set(bundled.LABELS) and bundled.COMPANY.lower() not in low
    assert not words & set(bundled.PHENOMENA)
    leaked = {ph: m.group(0) for ph, rx in oracle._CUE_RE.items() if (m := rx.search(text))}
    assert not leaked, leaked
    bank_runs = set()
    for bank in bundled.BANKS.values():
        for v in bank.values():
            for line in (v if isinstance(v, list) else [x for vv in v.values() for x in vv]):
                toks = re.findall(r"[a-z]+", line.lower())
                bank_runs.update(" ".join(toks[i:i + 5]) for i in range(len(toks) - 4))
    flat = " ".join(re.findall(r"[a-z]+", low))
    assert not [r for r in bank_runs if r in flat]
    assert "hidden-tag" not in text


def test_the_checklist_taxonomy_is_cited_and_complete():
    import inspect

    from pada_lite.teacher import schemas
    assert list(CHECKLIST) == ["vocabulary", "taxonomy", "robustness", "ner", "fairness", "temporal", "negation",
                               "coreference", "srl", "logic"]
    assert "Ribeiro" in inspect.getsource(schemas) and "ACL 2020" in inspect.getsource(schemas)
    assert "Ribeiro et al., 2020" in every_prompt(SENTIMENT)[0].messages[1]["content"]


def test_a_quote_the_task_or_training_also_holds_is_not_redacted(splits):
    from pada_lite.agents.synthesis import private_quotes
    held = [e.input for e in splits.validation if e.tags == ["jargon"]][0]
    secret = " ".join(held.split()[-5:])
    public = ["cancellation", "customer no.", " ".join(splits.train[0].input.split()[:4])]
    kept = private_quotes([secret, *public], TASK, splits.train)
    assert public[0] not in kept and public[1] not in kept and public[2] not in kept
    assert kept == [secret] or any(secret.lower() in e.input.lower() for e in splits.train)


def test_by_label_splits_each_patterns_samples_over_its_failures_gold_labels(splits):
    """With by_label, each generator request names the answer its examples must have, and a pattern's
    budget follows the gold labels of its failures (the simulated writer then labels accordingly)."""
    from pada_lite.agents.analysis import draft_strategies
    from pada_lite.agents.synthesis import pattern_samples
    teacher = make_teacher("sim", analyst_noise=0.0, flaw_rate=0.0, progress=False)
    pats = draft_strategies(teacher, TASK, find_patterns(teacher, TASK, analyse(teacher, TASK, failures(splits)),
                                                         seed=0).patterns)
    assert all(len(p.golds) == p.size for p in pats)
    out = pattern_samples(teacher, TASK, pats, splits.train, total=40, chunk=4, by_label=True)
    assert len(out) == 40
    for p in pats:
        mine = [c.output for c in out if c.origin == p.name]
        assert mine and set(mine) <= set(p.golds), (p.name, set(mine), set(p.golds))
    strat = pats[0].strategy
    named = prompts.generation(TASK, pats[0].about(), strat, [], 4, 0, answer="billing").messages[1]["content"]
    plain = prompts.generation(TASK, pats[0].about(), strat, [], 4, 0).messages[1]["content"]
    assert "Every example's answer is exactly: billing." in named and "Every example's answer" not in plain
