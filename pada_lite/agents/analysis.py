"""The Pattern Analysis Agent: from validation failures to failure patterns with strategies.

    analyses = analyse(teacher, task, result.failures)            # one teacher call per failure
    found = find_patterns(teacher, task, analyses, embedder="tfidf")   # = cluster_analyses + name_patterns
    found.patterns                                                # named patterns, biggest first
    draft_strategies(teacher, task, found.patterns)               # one strategy per pattern

1. sample-level error analysis: the analyst reads query, response, gold and result and
   writes an `error_scenario` and a `root_cause`;
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
from dataclasses import asdict, dataclass, field

from pada_lite.agents import prompts
from pada_lite.agents.cluster import Clustering, adjusted_rand, cluster, purity


@dataclass
class Analysis:
    id: str
    input: str
    gold: str
    response: str
    error_scenario: str
    root_cause: str
    tags: list[str] = field(default_factory=list)    # hidden: for scoring the clusters only

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


def analyse(teacher, task, failures, desc: str = "analysing failures") -> list[Analysis]:
    """One analysis per failure; a failure whose analysis the teacher could not give is skipped
    (the teacher counts it)."""
    replies = teacher.ask([prompts.analysis(task, r) for r in failures], desc=desc)
    return [Analysis(r.id, r.input, r.gold, r.response, a.error_scenario, a.root_cause, list(r.tags))
            for r, a in zip(failures, replies) if a is not None]


def find_patterns(teacher, task, analyses: list[Analysis], embedder: str = "tfidf", k_max: int = 8,
                  max_members: int = 12, seed: int = 0) -> PatternReport:
    """Cluster the analyses and name one pattern per cluster (biggest cluster first)."""
    clustering = cluster_analyses(analyses, embedder, k_max, seed)
    return name_patterns(teacher, task, analyses, clustering, max_members, seed)


def cluster_analyses(analyses: list[Analysis], embedder: str = "tfidf", k_max: int = 8, seed: int = 0) -> Clustering:
    """Embed the analysts' words (never the raw inputs) and group them by k-means, K at the elbow."""
    return cluster([a.text for a in analyses], embedder=embedder, k_max=k_max, seed=seed)


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
        shown[c] = [{"error_scenario": analyses[i].error_scenario, "root_cause": analyses[i].root_cause} for i in pick]
    replies = teacher.ask([prompts.pattern(task, shown[c]) for c in order], desc="naming patterns")
    patterns = []
    for c, rep in zip(order, replies):
        if rep is None:
            continue
        members = clustering.members(c)
        tags = [analyses[i].tags[0] for i in members if analyses[i].tags]
        top = max(set(tags), key=tags.count) if tags else None
        patterns.append(FailurePattern(c, len(members), [analyses[i].id for i in members], rep.name, rep.description,
                                       majority_tag=top, tag_share=tags.count(top) / len(tags) if tags else None))
    tags = [a.tags[0] if a.tags else None for a in analyses]
    scored = bool(analyses) and all(tags)
    return PatternReport(clustering, patterns,
                         purity(clustering.labels, tags) if scored else None,
                         adjusted_rand(clustering.labels, tags) if scored else None)


def draft_strategies(teacher, task, patterns: list[FailurePattern]) -> list[FailurePattern]:
    """Fill `strategy` on each pattern; patterns the teacher gave no strategy for are dropped."""
    replies = teacher.ask([prompts.strategy(task, {"name": p.name, "description": p.description}) for p in patterns],
                          desc="drafting strategies")
    out = []
    for p, s in zip(patterns, replies):
        if s is not None:
            p.strategy = s.model_dump()
            out.append(p)
    return out
