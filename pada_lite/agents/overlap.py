"""Near-duplicates by ROUGE-L, and the leakage guard that keeps validation/test text out.

- `rouge_l(a, b)`: ROUGE-L F-measure over lowercased alphanumeric words: the tokenisation of
  Google's `rouge-score` (no stemming), which LLM2LLM's released code uses to drop generated
  samples with ROUGE-L > 0.95 against the data it already has.
- `NearDupIndex`: the best ROUGE-L match of a text among many, exact and fast. An LCS is a
  common multiset of words, so ROUGE-L F is bounded above by the unigram-overlap F: an inverted
  index over words finds the few texts whose bound reaches the threshold, and only those get an
  LCS (bit-parallel: one big-integer step per word).
- `LeakGuard`: built from validation+test inputs; flags a near-duplicate of a protected text or
  a shared run of `ngram` words, and redacts such runs from a prompt (a last line of defence).
  Pass the training inputs as `allow=`: what they already say is no leak.

It deliberately does not judge meaning: a paraphrase that shares no run of words with a
protected text passes (catching those is the quality checker's job; the guard stays exact and
cheap). No stemming, no embeddings; the standard library and numpy only.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
REDACTED = "[redacted]"
MIN_WHOLE = 4   # a protected text shorter than `ngram` words is protected whole if it has this many


def tokenize(text: str) -> list[str]:
    """Lowercased runs of [a-z0-9], exactly the words `rouge_score` scores (stemmer off)."""
    return _WORD.findall(text.lower())


def _token_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The words of `tokenize(text)` with their (start, end) character offsets in `text`."""
    low = text.lower()
    if len(low) == len(text):
        pos = range(len(text) + 1)
    else:
        # subtle: a few characters lowercase to two ("İ" -> "i̇"), so map offsets back by hand
        pos = [i for i, c in enumerate(text) for _ in c.lower()] + [len(text)]
    found = list(_WORD.finditer(low))
    return [m.group() for m in found], [(pos[m.start()], pos[m.end() - 1] + 1) for m in found]


def _masks(a: list[str]) -> dict[str, int]:
    """word -> bitset of its positions in `a` (bit i set when a[i] is that word)."""
    masks: dict[str, int] = {}
    for i, w in enumerate(a):
        masks[w] = masks.get(w, 0) | (1 << i)
    return masks


def _lcs(masks: dict[str, int], m: int, b: list[str]) -> int:
    """Length of the longest common subsequence of `a` (given as `_masks(a)`, m = len(a)) and `b`.

    Bit-parallel (Allison-Dix / Hyyrö): the zero bits of v count the LCS so far."""
    full = (1 << m) - 1
    v = full
    for w in b:
        u = v & masks.get(w, 0)
        if u:
            v = ((v + u) | (v - u)) & full
    return m - v.bit_count()


def rouge_l(a: str, b: str) -> float:
    """ROUGE-L F-measure of two texts (symmetric; 0.0 when either has no words)."""
    ta, tb = tokenize(a), tokenize(b)
    if not ta or not tb:
        return 0.0
    return 2.0 * _lcs(_masks(ta), len(ta), tb) / (len(ta) + len(tb))


def _check_threshold(threshold: float) -> float:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold={threshold!r}: a ROUGE-L threshold must be in (0, 1], e.g. 0.95 or 0.7")
    return float(threshold)


class NearDupIndex:
    """Texts indexed for 'what is the most similar one by ROUGE-L?'. Not for `add` from one
    thread while another calls `best`: share one index per thread, or add under a lock."""

    def __init__(self, texts: list[str] = (), threshold: float = 0.95):
        self.threshold = _check_threshold(threshold)
        self.texts: list[str] = []
        self._toks: list[list[str]] = []
        self._post: dict[str, tuple[list[int], list[int]]] = {}   # word -> (text ids, counts in each)
        self._arrays: dict = {}   # numpy copies of postings (and "" -> lengths), rebuilt after add()
        for t in texts:
            self.add(t)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str) -> int:
        """Index one more text; returns its index."""
        i = len(self.texts)
        toks = tokenize(text)
        self.texts.append(text)
        self._toks.append(toks)
        for w, c in Counter(toks).items():
            ids, counts = self._post.setdefault(w, ([], []))
            ids.append(i)
            counts.append(c)
            self._arrays.pop(w, None)
        self._arrays.pop("", None)
        return i

    def _array(self, w: str) -> tuple[np.ndarray, np.ndarray]:
        if w not in self._arrays:
            self._arrays[w] = (np.array(self._post[w][0]), np.array(self._post[w][1]))
        return self._arrays[w]

    def best(self, text: str, floor: float | None = None) -> tuple[float, int]:
        """(ROUGE-L, index) of the best indexed match scoring at least `floor` (default: the threshold),
        or (0.0, -1) when none does. `floor=0` gives the exact best overall. Ties go to the lowest index."""
        floor = self.threshold if floor is None else floor
        toks = tokenize(text)
        if not toks or not self.texts:
            return 0.0, -1
        m = len(toks)
        # 1. unigram overlap with every indexed text, word by word through the inverted index
        overlap = np.zeros(len(self.texts), dtype=np.int64)
        for w, c in Counter(toks).items():
            if w in self._post:
                ids, counts = self._array(w)
                overlap[ids] += np.minimum(counts, c)
        if "" not in self._arrays:
            self._arrays[""] = np.array([len(t) for t in self._toks])
        bound = 2.0 * overlap / (m + self._arrays[""])   # unigram F >= ROUGE-L F
        cand = np.nonzero((bound >= floor) & (overlap > 0))[0]
        # 2. exact LCS for candidates, best bound first, until no bound can beat the best so far
        best, best_i, masks = 0.0, -1, _masks(toks)
        for i in cand[np.argsort(-bound[cand], kind="stable")]:
            if bound[i] < best:
                break
            score = 2.0 * _lcs(masks, m, self._toks[i]) / (m + len(self._toks[i]))
            if score > best or (score == best and i < best_i):
                best, best_i = score, int(i)
        return (best, best_i) if best_i >= 0 and best >= floor else (0.0, -1)

    def is_dup(self, text: str) -> bool:
        """ROUGE-L >= threshold against some indexed text."""
        return self.best(text)[1] >= 0


class LeakGuard:
    """Guards validation/test texts: flags near-duplicates and shared word runs, redacts prompts.

    `allow` (optional): texts the generator may see anyway, i.e. the training inputs. A word run
    that also occurs in one is not protected, and a near-duplicate is a leak only when it is
    closer to a protected text than to every allowed one. This matters for templated data: in the
    bundled task most training messages share 8-word runs with test messages."""

    def __init__(self, texts: list[str], threshold: float = 0.7, ngram: int = 8, allow: list[str] = ()):
        if ngram < 1:
            raise ValueError(f"ngram={ngram!r}: the shared word run must be at least 1 word (default 8)")
        self.ngram = ngram
        self.index = NearDupIndex(texts, threshold)
        self.allowed = NearDupIndex(allow, threshold) if allow else None
        self._grams: set[tuple[str, ...]] = set()
        self._lengths = [ngram]
        for t in texts:
            toks = tokenize(t)
            if len(toks) >= ngram:
                self._grams.update(tuple(toks[i:i + ngram]) for i in range(len(toks) - ngram + 1))
            elif len(toks) >= MIN_WHOLE:
                # subtle: a short protected text has no `ngram`-word run, so it is protected whole
                self._grams.add(tuple(toks))
                self._lengths = sorted({*self._lengths, len(toks)})
        for t in allow:
            toks = tokenize(t)
            self._grams.difference_update(tuple(toks[a:b]) for a, b in self._hits(toks))

    def _hits(self, toks: list[str]):
        """(start, end) word ranges of `toks` that are a protected run."""
        for n in self._lengths:
            for i in range(len(toks) - n + 1):
                if tuple(toks[i:i + n]) in self._grams:
                    yield i, i + n

    def near_duplicate(self, text: str) -> bool:
        """ROUGE-L >= threshold against a protected text (and, with `allow`, closer to it than to any allowed)."""
        score, i = self.index.best(text)
        return i >= 0 and (self.allowed is None or self.allowed.best(text, floor=score)[1] < 0)

    def is_leak(self, text: str) -> bool:
        """A near-duplicate of a protected text, or sharing a protected word run with one."""
        return self.near_duplicate(text) or next(self._hits(tokenize(text)), None) is not None

    def redact(self, prompt: str) -> tuple[str, int]:
        """`prompt` with every span made of protected word runs replaced by "[redacted]"; (text, spans)."""
        toks, spans = _token_spans(prompt)
        covered = [False] * len(toks)
        for a, b in self._hits(toks):
            covered[a:b] = [True] * (b - a)
        out, last, n, i = [], 0, 0, 0
        while i < len(toks):
            if not covered[i]:
                i += 1
                continue
            j = i   # extend to the end of this run of covered words
            while j + 1 < len(toks) and covered[j + 1]:
                j += 1
            out += [prompt[last:spans[i][0]], REDACTED]
            last, n, i = spans[j][1], n + 1, j + 1
        return "".join(out) + prompt[last:], n
