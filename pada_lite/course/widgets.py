"""Two notebook widgets: a browser for failure patterns and a human review of generated data.

    pattern_browser(found.patterns, analyses, found.clustering)   # pick a cluster, read its members
    review_widget(candidates, run.path("review.jsonl"))           # accept / reject, one at a time
    kept = apply_review(candidates, Review(candidates, run.path("review.jsonl")))

The review's logic lives in `Review`, which tests drive without a browser; every decision is
written to disk at once (JSONL, atomically), so a kernel restart loses nothing.
Only widgets that ipywidgets 7.7 (Colab) and 8 both have are used.

It deliberately does not change candidates in place nor decide what to train on: `apply_review`
returns the kept ones and the notebook chooses what to do with them.
"""
from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

from pada_lite.files import read_jsonl, write_jsonl

DECISIONS = ("accept", "reject")


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _items(label: str, xs) -> str:
    xs = [xs] if isinstance(xs, str) else list(xs or [])
    return f"<b>{label}:</b> " + ("; ".join(_e(x) for x in xs) if xs else "<i>none</i>") + "<br>"


def pattern_html(p, by_id: dict) -> str:
    """One pattern as HTML: name, description, strategy, hidden tag and a table of members."""
    out = [f"<h4>#{p.cluster} · {_e(p.name)}</h4><p>{_e(p.description)}</p>"]
    if p.strategy:
        s = p.strategy
        out.append("<p>" + _items("strategy", s.get("strategy")) + _items("vary", s.get("vary"))
                   + _items("keep", s.get("keep")) + _items("pitfalls", s.get("pitfalls")) + "</p>")
    if p.majority_tag is not None:
        share = f" ({p.tag_share:.0%} of members)" if p.tag_share is not None else ""
        out.append(f"<p><b>hidden majority tag:</b> {_e(p.majority_tag)}{share}</p>")
    rows = []
    for mid in p.member_ids:
        a = by_id.get(mid)
        if a is None:  # subtle: a pattern may name an analysis the notebook did not pass in
            rows.append(f"<tr><td colspan=3><i>{_e(mid)}: no analysis given</i></td></tr>")
            continue
        rows.append(f"<tr><td>{_e(a.input)}</td><td>{_e(a.gold)} → {_e(a.response)}</td>"
                    f"<td>{_e(a.error_scenario)}</td></tr>")
    out.append("<table><tr><th>input</th><th>gold → response</th><th>error scenario</th></tr>"
               + "".join(rows) + "</table>")
    return "".join(out)


def pattern_browser(patterns, analyses, clustering=None):
    """A dropdown of clusters; below it the chosen pattern and its members."""
    import ipywidgets as W
    by_id = {a.id: a for a in analyses}
    head = ""
    if clustering is not None:
        head = f"<p>k = {clustering.k} clusters (embedder {_e(clustering.embedder_used)})</p>"
    options = [(f"#{p.cluster} · {p.size} members · {p.name}", i) for i, p in enumerate(patterns)]
    dd = W.Dropdown(options=options, description="pattern", layout=W.Layout(width="90%"))
    body = W.HTML()

    def show(change=None):
        body.value = head + (pattern_html(patterns[dd.value], by_id) if patterns and dd.value is not None
                             else "<i>no patterns</i>")

    dd.observe(show, names="value")
    show()
    return W.VBox([dd, body])


class Review:
    """A person's accept / reject decisions on candidates, saved to `path` after each one."""

    def __init__(self, candidates, path):
        self.candidates = list(candidates)
        self.path = Path(path)
        self.decisions: dict[str, dict] = {}
        ids = {c.id for c in self.candidates}
        for d in read_jsonl(self.path) if self.path.exists() else []:   # DataError names a bad line
            if d.get("id") in ids and d.get("decision") in DECISIONS:
                self.decisions[d["id"]] = d

    def decide(self, id: str, decision: str, note: str = "") -> None:
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
        if id not in {c.id for c in self.candidates}:
            raise KeyError(f"no candidate with id {id!r} in this review")
        self.decisions[id] = {"id": id, "decision": decision, "note": note}
        self._save()

    def _save(self) -> None:
        write_jsonl(self.path, self.decisions.values())   # atomic: a crash mid-write never leaves half a file

    def accepted_ids(self) -> list[str]:
        return [c.id for c in self.candidates if self.decisions.get(c.id, {}).get("decision") == "accept"]

    def summary(self) -> str:
        acc = len(self.accepted_ids())
        return (f"{len(self.decisions)} of {len(self.candidates)} reviewed: "
                f"{acc} accepted, {len(self.decisions) - acc} rejected")


def apply_review(candidates, review: Review) -> list:
    """The candidates a person kept: their decision overrides the checker's; unreviewed ones keep its status."""
    out = []
    for c in candidates:
        d = review.decisions.get(c.id, {}).get("decision")
        if d == "accept":
            out.append(c if c.status == "accepted" else replace(c, status="accepted", reason=None))
        elif d is None and c.status == "accepted":
            out.append(c)
    return out


def candidate_html(c) -> str:
    scores = ", ".join(f"{_e(k)}={_e(v)}" for k, v in (c.scores or {}).items()) or "<i>not scored</i>"
    return (f"<h4>{_e(c.id)} <small>({_e(c.source)}: {_e(c.origin)})</small></h4>"
            f"<p><b>input:</b><br><pre>{_e(c.input)}</pre></p><p><b>output:</b><br><pre>{_e(c.output)}</pre></p>"
            f"<p><b>checker:</b> {_e(c.status)}" + (f" ({_e(c.reason)})" if c.reason else "")
            + f"<br><b>scores:</b> {scores}</p>")


def review_widget(candidates, path):
    """One candidate at a time with Accept / Reject / Back / Next; decisions reload from `path`."""
    import ipywidgets as W
    review = Review(candidates, path)
    state = {"i": 0}
    body, progress = W.HTML(), W.HTML()
    buttons = {n: W.Button(description=n) for n in ("Accept", "Reject", "Back", "Next")}
    buttons["Accept"].button_style, buttons["Reject"].button_style = "success", "danger"

    def show():
        n = len(review.candidates)
        if not n:
            body.value, progress.value = "<i>no candidates to review</i>", ""
            return
        c = review.candidates[state["i"]]
        mine = review.decisions.get(c.id, {}).get("decision")
        body.value = (f"<p>candidate {state['i'] + 1} of {n}" + (f" · your decision: <b>{mine}</b>" if mine else "")
                      + "</p>" + candidate_html(c))
        progress.value = f"<p>{_e(review.summary())}</p>"

    def move(step):
        state["i"] = max(0, min(len(review.candidates) - 1, state["i"] + step))
        show()

    def decide(decision):
        if review.candidates:
            review.decide(review.candidates[state["i"]].id, decision)
            move(1)

    buttons["Accept"].on_click(lambda _: decide("accept"))
    buttons["Reject"].on_click(lambda _: decide("reject"))
    buttons["Back"].on_click(lambda _: move(-1))
    buttons["Next"].on_click(lambda _: move(1))
    show()
    box = W.VBox([progress, body, W.HBox(list(buttons.values()))])
    box.review = review   # subtle: lets a notebook (or a test) reach the decisions behind the widget
    return box
