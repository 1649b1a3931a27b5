"""The Pattern Analysis Agent: from validation failures to failure patterns with strategies.

    analyses = analyse(teacher, task, result.failures)            # one teacher call per failure
    found = find_patterns(teacher, task, analyses, embedder="tfidf")   # = cluster_analyses + name_patterns
    found.patterns                                                # named patterns, biggest first
    draft_strategies(teacher, task, found.patterns)               # one strategy per pattern

1. sample-level error analysis: the analyst reads query, response, gold and result and
   quotes the words that misled the student and the signal it missed (checked here to occur in
   the input; a reply whose quote does not is asked again once, then the quote is dropped),
   names a CheckList capability, and writes an `error_scenario` and a `root_cause`;
2. clustering: the analyses are embedded and grouped by k-means, K at the elbow (`cluster.py`);
3. pattern categorization: per cluster the analyst names the shared pattern from a
   sub-sample of its members (bounding the prompt);
4. strategy drafting: per pattern, a plan for counterfactual training examples.
When the failures carry hidden tags (the bundled task), the clusters are scored against
them: purity and adjusted Rand index.

It deliberately does not generate data (see `agents/synthesis.py`) nor decide when to stop.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from pada_lite.agents import prompts
import numpy as np

from pada_lite.agents.cluster import Clustering, Embedding, _normalise, adjusted_rand, cluster_rows, embed, purity


@dataclass
class Analysis:
    id: str
    input: str
    gold: str
    response: str
    error_scenario: str
    root_cause: str
    tags: list[str] = field(default_factory=list)    # hidden: for scoring the clusters only
    misleading: str = ""                              # words of the input that misled the student (checked)
    missed: str = ""                                  # words of the input that show the gold answer (checked)
    capability: str = ""                              # a CheckList capability, or "other: ..."
    requoted: int = 0                                 # quotes asked again (1) or dropped after that (2)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def text(self) -> str:
        """What gets embedded: the analyst's words, never the raw input."""
        return f"{self.error_scenario} {self.root_cause}"


@dataclass
class FailurePattern:
    cluster: int
    size: int
    member_ids: list[str]
    name: str
    description: str
    strategy: dict | None = None                      # a `schemas.Strategy` as a dict, once drafted
    majority_tag: str | None = None                   # bundled task only: the hidden phenomenon most members share
    tag_share: float | None = None
    cue: str = ""                                     # the kind of cue, in the teacher's words (no quotes)
    capability: str = ""                              # the CheckList capability most members name
    quotes: list[str] = field(default_factory=list)   # its members' quoted words: redacted from generation prompts
    golds: list[str] = field(default_factory=list)    # its members' gold answers (labels), for `by_label` generation

    def about(self) -> dict:
        """What the strategy and generation prompts may see of it: never the quotes."""
        return {"name": self.name, "description": self.description, "cue": self.cue, "capability": self.capability}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PatternReport:
    clustering: Clustering
    patterns: list[FailurePattern]
    purity: float | None = None                       # against the hidden tags, when there are tags
    ari: float | None = None

    def summary(self) -> dict:
        c = self.clustering
        return {"k": c.k, "ks": list(c.ks), "inertias": [float(x) for x in c.inertias], "embedder": c.embedder_used,
                "sizes": [p.size for p in self.patterns], "purity": self.purity, "ari": self.ari,
                "labels": [int(x) for x in c.labels]}


def _norm(text: str) -> str:
    """Lower-case words, spacing and punctuation around them dropped ("hey." -> "hey"; "3:15pm" stays)."""
    return " ".join(filter(None, (w.strip(".:/'-") for w in re.findall(r"[\w$%@#./:'-]+", text.lower()))))


def quote_in(quote: str, text: str) -> bool:
    """`quote` occurs in `text`, ignoring case, spacing, punctuation at its edges and quotation marks."""
    q = _norm(quote.strip().strip("\"'`.,;:!?()[]{}<>…"))
    return not q or f" {q} " in f" {_norm(text)} " or (len(q) > 3 and q in _norm(text))


def bad_quotes(reply, text: str) -> dict[str, str]:
    """{field: quote} for each quote of an `EvidenceAnalysis` reply that is not in `text`."""
    return {f: getattr(reply, f) for f in ("misleading", "missed") if not quote_in(getattr(reply, f, ""), text)}


def analyse(teacher, task, failures, desc: str = "analysing failures") -> list[Analysis]:
    """One analysis per failure; a failure whose analysis the teacher could not give is skipped
    (the teacher counts it). A quote that is not in the input is asked for again once; still not
    there, it is dropped (the analysis keeps its other fields)."""
    reqs = [prompts.analysis(task, r) for r in failures]
    replies = teacher.ask(reqs, desc=desc)
    bad = {i: b for i, a in enumerate(replies) if a is not None and (b := bad_quotes(a, failures[i].input))}
    redo = teacher.ask([prompts.requote(reqs[i], replies[i].model_dump_json(), b) for i, b in bad.items()],
                       desc="asking again for quotes") if bad else []
    for i, a in zip(list(bad), redo):
        if a is not None:
            replies[i] = a
    out = []
    for i, (r, a) in enumerate(zip(failures, replies)):
        if a is None:
            continue
        still = bad_quotes(a, r.input) if i in bad else {}
        quotes = {f: "" if f in still else getattr(a, f).strip() for f in ("misleading", "missed")}
        out.append(Analysis(r.id, r.input, r.gold, r.response, a.error_scenario, a.root_cause, list(r.tags),
                            capability=a.capability.strip(), requoted=(i in bad) + bool(still), **quotes))
    return out


def vocabulary_of(texts) -> frozenset[str]:
    """The words of `texts` (the training inputs): what the student has seen."""
    return frozenset(w for t in texts for w in re.findall(r"[a-z0-9']+", t.lower()))


def find_patterns(teacher, task, analyses: list[Analysis], embedder: str = "tfidf", k_max: int = 8,
                  max_members: int = 12, seed: int = 0, vocabulary: frozenset = frozenset()) -> PatternReport:
    """Cluster the analyses and name one pattern per cluster (biggest cluster first); `vocabulary`:
    the training inputs' words (`vocabulary_of`), for the evidence features."""
    clustering = cluster_analyses(analyses, embedder, k_max, seed, vocabulary=vocabulary)
    return name_patterns(teacher, task, analyses, clustering, max_members, seed)


NEGATIONS = {"not", "no", "never", "nothing", "neither", "nor", "without", "none", "nobody", "nowhere"}


def _where(quote: str, text: str) -> float:
    """Where `quote` starts in `text`, 0 (its start) to 1 (its end); -1 when there is no quote."""
    q = _norm(quote)
    i = f" {_norm(text)} ".find(f" {q} ") if q else -1
    return i / max(len(_norm(text)), 1) if i >= 0 else -1.0


def _sentence(quote: str, text: str) -> str:
    q = _norm(quote)
    return next((p for p in re.split(r"(?<=[.!?])\s+", text) if q and q in _norm(p)), "")


def evidence_features(a: Analysis, vocabulary: set[str] | frozenset = frozenset()) -> list[float]:
    """What the quotes say about the input's structure, computed here, for any task: where the
    misleading words and the missed signal sit, whether the misleading words come after the signal,
    whether their sentence holds a negation, whether either quote is empty, and the share of the
    missed signal's words never seen in training (`vocabulary`: the training inputs' words)."""
    pm, ps = _where(a.misleading, a.input), _where(a.missed, a.input)
    said = re.findall(r"[a-z']+", _sentence(a.misleading, a.input).lower())
    signal = re.findall(r"[a-z0-9']+", a.missed.lower())
    unseen = sum(w not in vocabulary for w in signal) / len(signal) if signal and vocabulary else 0.0
    return [pm, ps, float(pm > ps >= 0), float(any(w in NEGATIONS or w.endswith("n't") for w in said)),
            float(not a.misleading), float(not a.missed), unseen]


REPRESENTATIONS = ("analysis", "evidence", "analysis+evidence")


def represent(analyses: list[Analysis], how: str = "analysis+evidence", embedder: str = "tfidf",
              vocabulary: set[str] | frozenset = frozenset()):
    """The rows k-means clusters: the analysts' words embedded ("analysis"), the evidence features
    standardised ("evidence"), or both side by side, each block of unit length ("analysis+evidence",
    the default: measured on a real 1.5B teacher, see the README). Never the raw input."""
    if how not in REPRESENTATIONS:
        raise ValueError(f"represent={how!r}: use one of {REPRESENTATIONS}")
    text = embed([a.text for a in analyses], embedder)
    if how == "analysis" or not analyses:
        return text
    F = np.asarray([evidence_features(a, vocabulary) for a in analyses], dtype=np.float64)
    F = _normalise((F - F.mean(0)) / np.where(F.std(0) > 0, F.std(0), 1.0))
    X = F if how == "evidence" else np.hstack([np.asarray(text), F])
    out = np.ascontiguousarray(X).view(Embedding)
    out.embedder_used = text.embedder_used
    return out


def cluster_analyses(analyses: list[Analysis], embedder: str = "tfidf", k_max: int = 8, seed: int = 0,
                     how: str = "analysis+evidence", vocabulary: set[str] | frozenset = frozenset()) -> Clustering:
    """Represent the analyses (`represent`: the analysts' words and what their quotes show, never
    the raw inputs) and group them by k-means, K at the elbow."""
    return cluster_rows(represent(analyses, how, embedder, vocabulary), k_max=k_max, seed=seed)


def name_patterns(teacher, task, analyses: list[Analysis], clustering: Clustering, max_members: int = 12,
                  seed: int = 0) -> PatternReport:
    """One named pattern per cluster (biggest first), from a sub-sample of its members' analyses;
    scored against the hidden tags when every failure has one."""
    rng = random.Random(seed)
    order = sorted(range(clustering.k), key=lambda c: -len(clustering.members(c)))
    shown = {}
    for c in order:
        members = clustering.members(c)
        # subtle: sub-sample big clusters so the prompt stays bounded whatever the error count
        pick = sorted(rng.sample(members, min(max_members, len(members))))
        shown[c] = [{k: getattr(analyses[i], k) for k in ("error_scenario", "root_cause", "capability", "misleading",
                                                           "missed")} for i in pick]
    replies = teacher.ask([prompts.pattern(task, shown[c]) for c in order], desc="naming patterns")
    patterns = []
    for c, rep in zip(order, replies):
        if rep is None:
            continue
        members = clustering.members(c)
        tags = [analyses[i].tags[0] for i in members if analyses[i].tags]
        # subtle: ties go to the tag met first, as in cluster.cluster_table (max over a set of strings is not reproducible)
        top = Counter(tags).most_common(1)[0][0] if tags else None
        caps = Counter(analyses[i].capability.split(":")[0].strip().lower() for i in members if analyses[i].capability)
        quotes = sorted({q for i in members for q in (analyses[i].misleading, analyses[i].missed) if q})
        patterns.append(FailurePattern(c, len(members), [analyses[i].id for i in members], rep.name, rep.description,
                                       majority_tag=top, tag_share=tags.count(top) / len(tags) if tags else None,
                                       cue=rep.cue, capability=caps.most_common(1)[0][0] if caps else "",
                                       quotes=quotes, golds=[analyses[i].gold for i in members]))
    tags = [a.tags[0] if a.tags else None for a in analyses]
    scored = bool(analyses) and all(tags)
    return PatternReport(clustering, patterns,
                         purity(clustering.labels, tags) if scored else None,
                         adjusted_rand(clustering.labels, tags) if scored else None)


def draft_strategies(teacher, task, patterns: list[FailurePattern]) -> list[FailurePattern]:
    """Fill `strategy` on each pattern; patterns the teacher gave no strategy for are dropped."""
    replies = teacher.ask([prompts.strategy(task, p.about()) for p in patterns],
                          desc="drafting strategies")
    out = []
    for p, s in zip(patterns, replies):
        if s is not None:
            p.strategy = s.model_dump()
            out.append(p)
    return out
