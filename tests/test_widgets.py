"""The notebook widgets, driven without a browser: dropdown values, button clicks, the review file."""
import json

import pytest

pytest.importorskip("ipywidgets")

from pada_lite.agents.analysis import Analysis, FailurePattern  # noqa: E402
from pada_lite.agents.synthesis import Candidate  # noqa: E402
from pada_lite.course.widgets import Review, apply_review, pattern_browser, review_widget  # noqa: E402


def _analyses():
    return [Analysis("a0", "what is 2+2?", "4", "5", "adds one too many", "off by one", ["arith"]),
            Analysis("a1", "<script>alert(1)</script>", "billing", "sales", "reads a tag as sales", "markup", []),
            Analysis("a2", "refund please", "billing", "outage", "misses the refund cue", "keyword", ["refund"])]


def _patterns():
    return [FailurePattern(0, 2, ["a0", "a2"], "Arithmetic slips", "small sums go wrong",
                           {"strategy": "write sums", "vary": ["numbers"], "keep": ["format"], "pitfalls": ["<b>"]},
                           "arith", 0.5),
            FailurePattern(1, 1, ["a1"], "Markup <confusion>", "inputs with HTML tags")]


def _candidates():
    return [Candidate("c0", "in <0>", "out 0", "pattern", "Arithmetic slips", status="accepted",
                      scores={"correct": 5}),
            Candidate("c1", "<script>x</script>", "out 1", "similar", "train-3", status="rejected", reason="wrong"),
            Candidate("c2", "in 2", "out 2", "pattern", "Markup", status="accepted"),
            Candidate("c3", "in 3", "out 3", "pattern", "Markup", status="new")]


def test_pattern_browser_shows_selected_cluster_and_escapes():
    box = pattern_browser(_patterns(), _analyses())
    dd, body = box.children
    assert [label for label, _ in dd.options][0] == "#0 · 2 members · Arithmetic slips"
    html0 = body.value
    assert "Arithmetic slips" in html0 and "what is 2+2?" in html0 and "refund please" in html0
    assert "write sums" in html0 and "&lt;b&gt;" in html0 and "arith" in html0 and "50%" in html0
    assert "4 → 5" in html0
    assert "<script>" not in html0
    dd.value = 1
    html1 = body.value
    assert "Markup &lt;confusion&gt;" in html1 and "&lt;script&gt;alert(1)&lt;/script&gt;" in html1
    assert "<script>" not in html1 and "Arithmetic slips" not in html1
    assert "hidden majority tag" not in html1    # pattern 1 has none


def test_review_persists_and_reloads(tmp_path):
    path = tmp_path / "sub" / "review.jsonl"
    r = Review(_candidates(), path)
    r.decide("c0", "reject", note="too easy")
    r.decide("c1", "accept")
    assert r.summary() == "2 of 4 reviewed: 1 accepted, 1 rejected"
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert {(d["id"], d["decision"]) for d in rows} == {("c0", "reject"), ("c1", "accept")}
    assert rows[0]["note"] == "too easy" and not (tmp_path / "sub" / "review.jsonl.tmp").exists()
    r.decide("c0", "accept")                     # a changed mind replaces the first decision
    again = Review(_candidates(), path)
    assert again.decisions.keys() == {"c0", "c1"} and again.accepted_ids() == ["c0", "c1"]


def test_review_rejects_bad_input(tmp_path):
    r = Review(_candidates(), tmp_path / "r.jsonl")
    with pytest.raises(ValueError, match="decision"):
        r.decide("c0", "maybe")
    with pytest.raises(KeyError, match="c9"):
        r.decide("c9", "accept")
    (tmp_path / "bad.jsonl").write_text('{"id": "c0", "decision": "accept"}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl, line 2: malformed JSON"):
        Review(_candidates(), tmp_path / "bad.jsonl")


def test_apply_review_human_overrides_checker(tmp_path):
    cands = _candidates()
    r = Review(cands, tmp_path / "r.jsonl")
    r.decide("c0", "reject")    # checker accepted, human rejects -> out
    r.decide("c1", "accept")    # checker rejected, human accepts -> in
    kept = apply_review(cands, r)
    assert [c.id for c in kept] == ["c1", "c2"]   # c2 unreviewed keeps "accepted"; c3 "new" stays out
    assert kept[0].status == "accepted" and kept[0].reason is None
    assert cands[1].status == "rejected"          # the originals are not changed


def test_review_widget_buttons_save_and_survive_rebuild(tmp_path):
    path = tmp_path / "review.jsonl"
    box = review_widget(_candidates(), path)
    progress, body, buttons = box.children
    accept, reject, back, nxt = buttons.children
    assert "c0" in body.value and "0 of 4 reviewed" in progress.value and "correct=5" in body.value
    accept.click()                                # decides c0 and moves on to c1
    assert "c1" in body.value and "&lt;script&gt;x&lt;/script&gt;" in body.value and "<script>" not in body.value
    assert "rejected (wrong)" in body.value
    reject.click()
    assert "2 of 4 reviewed: 1 accepted, 1 rejected" in progress.value
    back.click()
    assert "c1" in body.value and "your decision: <b>reject</b>" in body.value
    nxt.click(); nxt.click(); nxt.click()         # stops at the last candidate
    assert "c3" in body.value
    rebuilt = review_widget(_candidates(), path)  # as after a kernel restart
    assert "2 of 4 reviewed: 1 accepted, 1 rejected" in rebuilt.children[0].value
    assert rebuilt.review.accepted_ids() == ["c0"]


def test_widgets_handle_empty_inputs(tmp_path):
    assert "no patterns" in pattern_browser([], []).children[1].value
    box = review_widget([], tmp_path / "r.jsonl")
    box.children[2].children[0].click()
    assert "no candidates" in box.children[1].value
