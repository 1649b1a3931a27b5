"""The simulated teacher: a scripted stand-in for a teacher LLM that understands only the
bundled helpdesk task. It answers the same typed requests as the LLM backend, one JSON reply
per `Request`, so the agents cannot tell the two apart.

What each stage reads (from `request.context`) and writes:
- analysis: the failure's hidden phenomenon (or, with probability `analyst_noise`, a wrong
  one) -> an `EvidenceAnalysis` in its own words, several paraphrases per phenomenon, with
  quotes cut from the input where that phenomenon puts them (`_quotes`) and its CheckList
  capability (`CAPABILITY`);
- patterns / strategies: only the *text* of the analyses / the pattern -> a named pattern /
  a counterfactual strategy, recognised through the teacher's own vocabulary (`oracle.CUES`);
- generation / similar / untargeted: the phenomenon read from pattern + strategy text (for
  similar, from the message via the oracle; untargeted: any phenomenon, any department) -> new messages from phrase bank B, each flawed with
  probability `flaw_rate` (wrong label, broken format, near-copy of a shown example);
- qc: the oracle's reading of the sample -> a `QualityScore`, or, asked blind, the oracle's
  label as its `BlindAnswer`. It reads the answer key: a real checker can be wrong, this one not.

Replies are seeded by the request itself, so the same request always gets the same reply.
It deliberately does not cache, retry or count cost (see `teacher/core.py`), and it understands no
other task: for anything else its replies are generic, or it says it cannot read the message.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter

from pada_lite.tasks.bundled import CITIES, LABELS, MONTHS, NAMES, PETS, PHENOMENA, STREETS, generate_example
from pada_lite.tasks.oracle import read, read_message, read_phenomenon
from pada_lite.teacher.schemas import (STAGES, BlindAnswer, EvidenceAnalysis, NewSample, NewSamples, Pattern, QualityScore,
                                      Request, Strategy)
from pada_lite.teacher.base import Completion

FLAWS = ("wrong", "format", "copy")
# the slot values a near-copy may swap, each for another of its list
_VALUES = {v.lower(): vs for vs in (MONTHS, NAMES, CITIES, PETS, STREETS) for v in vs}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def overlap(a: str, b: str) -> float:
    """Word-level overlap: shared distinct words over the larger message's distinct words."""
    wa, wb = words(a), words(b)
    return len(wa & wb) / max(len(wa), len(wb), 1)


def near_copy(rng: random.Random, text: str) -> str:
    """`text` with one or two words changed (two in longer messages), still > 0.8 overlapping.

    Like a lazy writer, it changes the filled-in details (a number, a month, a name) so that the
    copy still reads as the same request; where it cannot, it adds a word at the end."""
    toks, want = text.split(" "), read_message(text)
    slots = [i for i, t in enumerate(toks) if re.search(r"\d", t) or t.strip(".,?!:;()").lower() in _VALUES]
    for _ in range(5 if slots else 0):
        out = list(toks)
        for i in rng.sample(slots, min(2 if len(toks) >= 15 else 1, len(slots))):
            w = out[i]
            core = w.strip(".,?!:;()")
            if core.lower() in _VALUES:
                new = rng.choice([v for v in _VALUES[core.lower()] if v.lower() != core.lower()])
                out[i] = w.replace(core, new.lower() if core.islower() else new)
            else:   # subtle: change one digit, so "$12.50" stays an amount and "3:15pm" a time
                j = next(k for k, ch in enumerate(w) if ch.isdigit())
                out[i] = w[:j] + str((int(w[j]) + rng.randint(1, 8)) % 10) + w[j + 1:]
        copy = " ".join(out)
        # a digit may belong to the template ("2FA", "100%"): then the copy no longer reads the same
        if copy != text and overlap(copy, text) > 0.8 and read_message(copy) == want:
            return copy
    return text + " " + rng.choice(["Thanks.", "Cheers.", "Ta."])


class TaskNotUnderstood(ValueError):
    """The simulated teacher was given a task it cannot read: a run would only waste time."""


def check_task(task, inputs: list[str], sample: int = 50, need: float = 0.8) -> None:
    """Raise `TaskNotUnderstood` unless `task` is helpdesk routing the simulated teacher can read:
    labels among the bundled departments, and at least `need` of the first `sample` inputs read."""
    labels = list(getattr(task, "labels", None) or [])
    fix = ("Use an LLM teacher: `--teacher openai` with an API key in OPENAI_API_KEY (any OpenAI-compatible "
           "server via --base-url), or in a notebook set PADA_TEACHER=openai and a key.")
    if not labels or not set(labels) <= set(LABELS):
        raise TaskNotUnderstood(f"the simulated teacher understands only the bundled helpdesk task (labels "
                                f"{', '.join(LABELS)}); task {task.name!r} has "
                                f"{'labels ' + ', '.join(labels[:8]) if labels else 'no fixed labels'}. {fix}")
    shown = [t for t in inputs[:sample] if t]
    readable = sum(read(t) is not None for t in shown)
    if shown and readable < need * len(shown):
        raise TaskNotUnderstood(f"the simulated teacher can read only {readable} of the first {len(shown)} messages "
                                f"of task {task.name!r} as helpdesk messages; it would analyse and judge them blindly. "
                                f"{fix}")


def _need(ctx: dict, key: str, stage: str):
    if key not in ctx:
        raise KeyError(f"the simulated teacher's {stage!r} stage needs context[{key!r}]; the agent building the "
                       f"request (see prompts.py) must put it there")
    return ctx[key]


class SimBackend:
    """A teacher backend that simulates an LLM on the bundled task (see the module doc)."""

    name = "sim"
    simulated = True
    models = {"analyst": "sim-analyst", "generator": "sim-generator", "checker": "sim-checker"}

    def __init__(self, analyst_noise: float = 0.1, flaw_rate: float = 0.1, seed: int = 0):
        for knob, v in (("analyst_noise", analyst_noise), ("flaw_rate", flaw_rate)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"simulated teacher: {knob}={v} is not a probability; use a value in [0, 1]")
        self.analyst_noise, self.flaw_rate, self.seed = float(analyst_noise), float(flaw_rate), int(seed)

    def describe(self) -> str:
        return f"simulated teacher (analyst noise {self.analyst_noise:g}, flaw rate {self.flaw_rate:g})"

    def complete(self, request: Request, model: str):
        """One reply: a JSON string that validates against `request.schema`."""
        handler = {"analysis": self._analysis, "patterns": self._patterns, "strategies": self._strategies,
                   "generation": self._generation, "similar": self._similar,
                   "untargeted": self._untargeted, "qc": self._qc}.get(request.stage)
        if handler is None:
            raise ValueError(f"the simulated teacher has no stage {request.stage!r}; it answers {STAGES}")
        # the same request always gets the same reply; any change in it gives another draw
        key = json.dumps([self.seed, model, request.messages, request.seed], sort_keys=True, default=str)
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        reply = handler(rng, request.context or {})
        text = request.schema.model_validate(reply.model_dump()).model_dump_json()
        prompt = sum(len(str(m.get("content", ""))) for m in request.messages)
        return Completion(text=text, prompt_tokens=prompt // 4, completion_tokens=len(text) // 4)

    # ------------------------------------------------------------ pattern analysis agent
    def _analysis(self, rng, ctx) -> EvidenceAnalysis:
        # the hidden tag stands for an LLM that understands the failure; untagged, the oracle reads it
        text = str(_need(ctx, "input", "analysis"))
        tags = [t for t in ctx.get("tags") or [] if t in PHENOMENA]
        seen = None if tags else read_message(text)
        ph = tags[0] if tags else seen[1] if seen else None
        if ph is None:
            return EvidenceAnalysis(misleading="", missed="", capability="other: unclear",
                                    **{k: rng.choice(v) for k, v in GENERIC["analysis"].items()})
        if rng.random() < self.analyst_noise:   # a wrong diagnosis
            ph = rng.choice([p for p in PHENOMENA if p != ph])
        scenarios, causes = ANALYSES[ph]
        # subtle: no remark on what the student answered: shared by every phenomenon, it blurs the clusters
        return EvidenceAnalysis(**_quotes(text, ph), capability=CAPABILITY[ph], error_scenario=rng.choice(scenarios),
                                root_cause=rng.choice(causes))

    def _patterns(self, rng, ctx) -> Pattern:
        analyses = _need(ctx, "analyses", "patterns")
        found = [read_phenomenon(f"{a.get('error_scenario', '')} {a.get('root_cause', '')}") for a in analyses]
        votes = Counter(p for p in found if p)
        if not votes:
            return Pattern(name=rng.choice(GENERIC["names"]), description=rng.choice(GENERIC["descriptions"]))
        ph, k = votes.most_common(1)[0]
        names, descriptions = PATTERNS[ph]
        return Pattern(name=rng.choice(names), description=rng.choice(descriptions).format(k=k, n=len(analyses)))

    def _strategies(self, rng, ctx) -> Strategy:
        pat = _need(ctx, "pattern", "strategies")
        ph = read_phenomenon(f"{pat.get('name', '')}. {pat.get('description', '')}")
        text, vary, keep, pitfalls = STRATEGIES[ph or "generic"]
        return Strategy(strategy=rng.choice(text), vary=rng.sample(vary, min(3, len(vary))), keep=list(keep),
                        pitfalls=rng.sample(pitfalls, len(pitfalls)))

    # ------------------------------------------------------------ data generation agent
    def _write(self, rng, n: int, label: str | None, ph: str | None, shown: list[dict]) -> NewSamples:
        """`n` bank-B messages (label/phenomenon random where None), each flawed at `flaw_rate`."""
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"simulated teacher: context['n'] must be a count >= 0, got {n!r}")
        out = []
        for _ in range(n):
            lab, p = label or rng.choice(LABELS), ph or rng.choice(PHENOMENA)
            ex = generate_example(rng, lab, p, bank="B")
            text, answer = ex.input, ex.output
            if rng.random() < self.flaw_rate:
                kind = rng.choice(FLAWS)
                other = rng.choice([x for x in LABELS if x != lab])
                if kind == "copy" and shown:
                    src = rng.choice(shown)
                    text, answer = near_copy(rng, src["input"]), src["output"]
                elif kind == "format":
                    answer = rng.choice([f"{lab} or {other}", f"Department: {lab.title()}", f"{lab.title()}.",
                                         f"route to {lab}", f"{lab}, maybe {other}"])
                else:   # "wrong", and "copy" with nothing shown to copy
                    answer = other
            out.append(NewSample(input=text, output=answer))
        return NewSamples(samples=out)

    def _generation(self, rng, ctx) -> NewSamples:
        pat, strat = _need(ctx, "pattern", "generation") or {}, _need(ctx, "strategy", "generation") or {}
        ph = read_phenomenon(" ".join([pat.get("name", ""), pat.get("description", ""), strat.get("strategy", ""),
                                       *strat.get("vary", []), *strat.get("keep", []), *strat.get("pitfalls", [])]))
        label = ctx.get("answer") if ctx.get("answer") in LABELS else None
        return self._write(rng, _need(ctx, "n", "generation"), label, ph, list(ctx.get("examples") or []))

    def _untargeted(self, rng, ctx) -> NewSamples:
        """Any department, any phenomenon: what a writer with no pattern to follow produces."""
        return self._write(rng, _need(ctx, "n", "untargeted"), None, None, list(ctx.get("examples") or []))

    def _similar(self, rng, ctx) -> NewSamples:
        text, gold = _need(ctx, "input", "similar"), str(_need(ctx, "gold", "similar")).strip().lower()
        seen = read(text)
        label = gold if gold in LABELS else seen.label if seen else None
        shown = list(ctx.get("examples") or []) + [{"input": text, "output": gold}]
        return self._write(rng, ctx.get("n", 1), label, seen.phenomenon if seen else None, shown)

    # ------------------------------------------------------------ quality control agent
    def _qc(self, rng, ctx) -> QualityScore | BlindAnswer:
        sample = _need(ctx, "sample", "qc")
        text, output = str(sample.get("input", "")), str(sample.get("output", ""))
        seen, answer = read(text), output.strip().lower()
        if ctx.get("blind"):   # the oracle's own answer: the answer key, never wrong
            return BlindAnswer(answer=seen.label if seen else "I cannot tell")
        strat = ctx.get("strategy")
        wanted = read_phenomenon(" ".join([strat.get("strategy", ""), *strat.get("vary", []), *strat.get("keep", []),
                                           *strat.get("pitfalls", [])])) if strat else None
        copied = any(overlap(text, e["input"]) > 0.8 for e in ctx.get("examples") or [])
        score = QualityScore(
            answer_correct=bool(seen) and seen.label == answer, fits_format=output in LABELS,
            follows_strategy=4 if wanted is None else 5 if seen and seen.phenomenon == wanted else 2,
            not_trivial=1 if copied else 2 if len(text.split()) < 5 else 5)
        # the reason names the main problem, worst first
        score.reason = (
            "I cannot tell which department this message is meant for." if not seen else
            f"The output {output!r} is not exactly one department name in lowercase." if not score.fits_format else
            f"The message belongs to {seen.label}, not {answer}." if not score.answer_correct else
            "The input is a near-copy of a training example that was shown." if copied else
            f"The message does not show the {wanted} pattern the strategy asks for." if score.follows_strategy < 3 else
            "The message is too short to teach anything." if score.not_trivial < 3 else "No problem found.")
        return score


def _quotes(text: str, ph: str) -> dict:
    """Where each phenomenon puts the misleading words and the missed signal: the closing
    sentence misleads after a denial or an aside, the opening one after a preamble; the request
    is the signal. At most six words of each, cut from the message itself."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+", text.strip()) if p.strip()] or [text]
    first, last = " ".join(parts[0].split()[:6]), " ".join(parts[-1].split()[:6])
    request = " ".join(max(parts, key=len).split()[:6])
    if ph in ("negation", "distractor") and len(parts) > 1:
        return {"misleading": last, "missed": first}
    if ph == "preamble" and len(parts) > 1:
        return {"misleading": first, "missed": last}
    return {"misleading": "", "missed": request}


# the simulated analyst's choice among CheckList's capabilities (schemas.CHECKLIST), per phenomenon
CAPABILITY = {"direct": "vocabulary", "preamble": "robustness", "typo": "robustness", "jargon": "vocabulary",
              "negation": "negation", "distractor": "robustness", "indirect": "taxonomy"}

# ---------------------------------------------------------------- the teacher's own words
# Per phenomenon, "|"-separated paraphrases. Every one carries cue words of its phenomenon
# (oracle.CUES) and none of another's, and no department name: analyses of one phenomenon
# must cluster together whatever the department. tests/test_sim.py reads each one back.
ANALYSES = {  # phenomenon: (error scenarios, root causes)
    "direct": ("A plain, simple request stated clearly and directly, with nothing unusual in it, was still misrouted.|"
               "The message is an easy, routine request: short, clear and direct, the kind of case that should be trivial.|"
               "A straightforward, clearly worded request with no tricks at all, yet the answer was wrong.",
               "Even easy, plain cases are not learned reliably; the model is under-trained on simple direct requests.|"
               "A routine failure on a simple case: the basic mapping is still shaky for straightforward messages.|"
               "There is nothing tricky here; the model simply has not learned this plain, common kind of request well enough."),
    "preamble": ("The customer opens with a long personal preamble, family news and pleasantries, and reaches the actual request only at the end.|"
                 "A chatty backstory about the sender's week comes first; the real request is buried after several sentences of small talk.|"
                 "Several sentences of small talk and anecdote precede the request, which is short and comes last.",
                 "The irrelevant backstory dilutes the signal, and the model loses track of the request that follows the preamble.|"
                 "Distracted by the anecdote and pleasantries, the model keys on words from the small talk instead of the request.|"
                 "The model has seen few messages with a long preamble, so the chit-chat pushes the real request out of focus."),
    "typo": ("The key word of the request is misspelled, so the usual spelling never appears in the message.|"
             "A typo in the one word that signals what the customer wants: it is spelled wrong.|"
             "Apart from one misspelling the request is fine: its main word is mistyped by a letter.",
             "The model relies on the exact spelling of the keyword and does not recognise the misspelled form.|"
             "Keyword matching breaks on the typo: the model never learned that a slightly wrong spelling means the same thing.|"
             "Its vocabulary treats the mistyped word as unknown, so the misspelling removes the only strong cue."),
    "jargon": ("The customer writes in technical jargon and acronyms instead of the everyday word for the problem.|"
               "The need is expressed in insider terminology, trade terms and acronyms a layperson would not use.|"
               "No common keyword appears; the message relies on industry jargon and technical terms.",
               "The model does not know what the jargon or acronym refers to, so it has no keyword to go on.|"
               "Technical terminology is rare in the training data, so the model cannot map the trade terms to a department.|"
               "Without the everyday keyword the model guesses; it never learned what these acronyms and technical terms imply."),
    "negation": ("The message ends with a disclaimer saying it is not about some other topic, and the model followed that denied topic.|"
                 "The actual request is followed by a closing denial, an explicit 'this is not about that' sentence.|"
                 "A final sentence rules out a different topic by negation, and the denied topic is what the model answered.",
                 "The model reacts to the negated topic and ignores the negation, routing to what the customer explicitly denied.|"
                 "It does not process the denial: the topic named after 'not about' wins even though the customer excluded it.|"
                 "Negation is not understood; the disclaimer's denied topic overrides the real request."),
    "distractor": ("After the real request the customer adds an unrelated aside, a postscript about something else entirely.|"
                   "The message closes with a side remark on an unrelated subject, an off-topic aside tacked on after the request.|"
                   "An afterthought at the end, a P.S. about something unrelated, follows the actual request.",
                   "The model is pulled by the unrelated aside at the end and answers for the side remark instead of the request.|"
                   "It cannot tell an off-topic postscript from the request, so the trailing aside decides the answer.|"
                   "The off-topic afterthought at the end dominates; the model rarely saw an unrelated aside after a request in training."),
    "indirect": ("The customer never names the need; they only describe the symptoms of what is happening to them.|"
                 "The request is indirect: it describes the circumstances and their symptoms rather than saying what is wanted.|"
                 "The message only reports symptoms and circumstances, leaving the actual need to be inferred.",
                 "The model cannot infer the need from described symptoms; it only knows explicit requests.|"
                 "The model has learned explicit wordings, not situations; an indirect description of symptoms gives it nothing to match.|"
                 "It has not learned what these symptoms and circumstances imply, so the indirect phrasing leads to a guess."),
}
PATTERNS = {  # phenomenon: (names, descriptions); {k} of {n} analyses share it
    "direct": ("Plain keyword requests misrouted|Routine direct requests answered wrongly",
               "Straightforward requests that name their need with the ordinary keyword still fail ({k} of {n} analyses): the mapping from plain keywords to departments is under-learned.|"
               "Routine, textbook requests with an obvious keyword are misrouted ({k} of {n}); the model has not learned some plain phrasings."),
    "preamble": ("Request buried after a personal preamble|Small talk before the request",
                 "Messages open with a backstory or pleasantries and state the request only at the end; the small talk distracts the model ({k} of {n} analyses).|"
                 "A preamble of anecdote and chit-chat comes before a short request, and the model loses the request ({k} of {n})."),
    "typo": ("Misspelled department keyword|Typos in the key word",
             "The word that signals the department is misspelled, and the model does not recognise the typo as the keyword ({k} of {n} analyses).|"
             "A misspelling of the one strong keyword leaves the model without its cue ({k} of {n})."),
    "jargon": ("Technical jargon instead of keywords|Insider terminology and acronyms",
               "Customers use technical terms, acronyms and trade jargon the model cannot map to a department ({k} of {n} analyses).|"
               "The need is stated in insider terminology rather than everyday words, so no known keyword appears ({k} of {n})."),
    "negation": ("Negated keyword at the end|Closing disclaimer names another topic",
                 "Messages end with a disclaimer saying they are not about another topic; the model follows the denied keyword ({k} of {n} analyses).|"
                 "A final negation rules out a topic whose keyword then wins, as if the denial were a request ({k} of {n})."),
    "distractor": ("Trailing aside with a misleading keyword|Postscript about another subject",
                   "After the request comes an unrelated aside or postscript naming another department's keyword, and the model follows it ({k} of {n} analyses).|"
                   "A side remark at the end pulls the answer toward the department of the tangent ({k} of {n})."),
    "indirect": ("Need described by symptoms only|Indirect requests without a keyword",
                 "Customers describe symptoms and circumstances without naming the need, and the model cannot infer the department ({k} of {n} analyses).|"
                 "Indirect messages with no keyword at all: the model has to infer the department from symptoms and fails ({k} of {n})."),
}
STRATEGIES = {  # phenomenon: (strategies, vary, keep, pitfalls)
    "direct": ("Write more plain, straightforward requests that name their need with the ordinary keyword, for every department. Vary the sentence around the keyword so the model learns the keyword, not one sentence.|"
               "Add routine, textbook requests with one ordinary keyword each, spread evenly over the departments, in fresh wordings.",
               "the department|the sentence around the keyword|greetings and sign-offs|names, dates and amounts",
               "one plain request per message|the ordinary keyword of the department",
               "do not add a second topic|do not reuse the sentences of the examples"),
    "preamble": ("Write messages that open with one or two sentences of personal backstory or pleasantries before a short request. The preamble has nothing to do with any department; the request comes last.|"
                 "Put small talk and anecdote first and a clear request at the end, so the model learns to look past the preamble.",
                 "the topic of the small talk: family, weather, work, pets|the length of the preamble|the department of the request",
                 "the request after the preamble, clearly stated|the backstory unrelated to any department",
                 "the small talk must not mention any department's keyword|the preamble must not ask a second question"),
    "typo": ("Write requests whose department keyword is misspelled the way people really type: a swapped, dropped or doubled letter. The rest of the message is spelled correctly, so the misspelling is the only difficulty.|"
             "Teach the model that a typo in the keyword means the same department: one mistyped keyword per message, everything else normal.",
             "which letter the typo changes|the department|the sentence around the misspelled word",
             "exactly one misspelled keyword|everything else spelled correctly",
             "do not misspell the word beyond recognition|do not let the typo turn into another department's keyword"),
    "jargon": ("Write requests that use technical jargon, acronyms or trade terms instead of the everyday keyword. Someone in the industry should still know the department.|"
               "Teach the insider terminology: each message states its need with an acronym or technical term and no everyday keyword.",
               "the technical term or acronym|the department|how much context surrounds the jargon",
               "no everyday department keyword in the message|insider terminology that points to one department",
               "do not explain the jargon with the everyday keyword|avoid acronyms that could mean two departments"),
    "negation": ("Write a clear request followed by a closing disclaimer saying the message is not about another department's topic. The denied topic comes last; the answer is the department of the real request.|"
                 "Pair each request with a final negation that rules out another department, so the model learns that a denied keyword is not the answer.",
                 "the department that is denied|the wording of the disclaimer|the real request",
                 "the negation at the very end|the answer: the real request's department, never the denied one",
                 "do not label the sample with the denied topic|the disclaimer must clearly negate, not ask"),
    "distractor": ("Write a clear request followed by an unrelated aside or postscript that mentions another department's keyword in passing. The side remark comes last; the answer is the department of the request.|"
                   "End each request with a tangent, a P.S. about something else naming another department's keyword, so the model learns to ignore the afterthought.",
                   "the subject of the aside|the department its keyword belongs to|the real request",
                   "the aside at the very end|the answer: the department of the request, not of the side remark",
                   "the postscript must not be a second request|do not label the sample with the aside's department"),
    "indirect": ("Write requests that never name the need: the customer describes symptoms or circumstances, and the department has to be inferred. No department keyword may appear.|"
                 "Describe situations instead of needs: indirect messages whose symptoms point to exactly one department, with no keyword.",
                 "the symptom or situation described|the department|the customer's tone",
                 "no department keyword anywhere|symptoms that point to exactly one department",
                 "do not slip in the keyword|avoid symptoms that fit two departments"),
    "generic": ("Write varied, realistic customer messages for every department, mixing lengths and phrasings.",
                "the department|the length of the message|the wording", "one clear request per message",
                "do not reuse the sentences of the examples"),
}
GENERIC = {"analysis": {"error_scenario": "The message was routed to the wrong department for no reason I can pin down.|"
                                          "A customer message was misrouted; its intent is unclear to me.",
                        "root_cause": "The model may simply be uncertain on messages like this one.|"
                                      "The model probably lacks training data that resembles this message."},
           "names": "Assorted misrouted messages|Mixed routing errors",
           "descriptions": "The failures share no single cause I can name; the messages vary in form.|"
                           "These messages are misrouted for different reasons, with no common thread."}
ANALYSES = {ph: tuple(s.split("|") for s in v) for ph, v in ANALYSES.items()}
PATTERNS = {ph: tuple(s.split("|") for s in v) for ph, v in PATTERNS.items()}
STRATEGIES = {ph: tuple(s.split("|") for s in v) for ph, v in STRATEGIES.items()}
GENERIC = {"analysis": {k: v.split("|") for k, v in GENERIC["analysis"].items()},
           "names": GENERIC["names"].split("|"), "descriptions": GENERIC["descriptions"].split("|")}
