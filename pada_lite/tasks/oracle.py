"""The simulated teacher's understanding of the bundled task: read a message back into its
department and hidden phenomenon, by matching it against the phrase banks that wrote it.

Every sentence template of both banks (A and B) becomes one case-insensitive regex: a slot
such as {amount} turns into a short lazy wildcard, the [keyword] marker into any word that is
the keyword or one slip away from it (a swap, a dropped or a doubled letter). The misleading
parts (a negation, a trailing aside, a preamble) are found first and cut out; the most
specific body template left gives the label, and its kind gives the phenomenon.

`judge` grades a generated sample with it: right, wrong, off format, or unreadable; notebooks 04
and 05 count samples with it, so the two count the same way.

It also reads the teacher's own notes: `read_phenomenon` recognises which phenomenon an
analysis, pattern or strategy speaks of, by the cue words the simulated teacher writes with.

It deliberately knows nothing about other tasks, and it does not guess: a message that no
template matches reads as None (the checker then says it cannot read it), and a note with no
cue, or cues of two phenomena in equal measure, reads as None too.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import NamedTuple

from pada_lite.tasks.bundled import BANKS, LABELS

SLOT = r".{1,40}?"                  # a filled slot: a name, an amount, "199 Victoria Avenue"...
BODY_PHENOMENON = {"jar": "jargon", "sym": "indirect"}   # "req" bodies: typo or a tail decides
# the words the simulated teacher uses for each phenomenon, and listens for in notes
CUES = {"direct": r"\bplain\b|straightforward|\broutine\b|textbook|ordinary",
        "preamble": r"preamble|backstory|small talk|pleasantr|anecdot|chit-?chat",
        "typo": r"misspel|spelling|\btypos?\b|mistyped",
        "jargon": r"jargon|acronym|technical term|insider|trade term|terminology",
        "negation": r"negat|\bdenial|\bdenied\b|\bdenies\b|disclaimer|rules? out|not about",
        "distractor": r"\baside\b|postscript|\bp\.s\.|side remark|tangent|afterthought",
        "indirect": r"symptom|indirect|never names?\b|\binfer(?:red)?\b|circumstances"}
_CUE_RE = {ph: re.compile(c, re.I) for ph, c in CUES.items()}


class Reading(NamedTuple):
    label: str
    phenomenon: str
    body: str                       # the body template as written in the bank
    keyword: str | None             # the [keyword] as it appears in the message (maybe misspelt)


def _regex(template: str) -> tuple[re.Pattern, int]:
    """A template -> (its regex, how many literal characters it pins down)."""
    # subtle: a message may drop its final full stop, so no template insists on one
    template = template.strip().rstrip(".")
    out, literal = [], 0
    for piece in re.split(r"(\{\w+\}|\[[^\]]+\])", template):
        if piece.startswith("{"):
            out.append(SLOT)
        elif piece.startswith("["):
            words = piece[1:-1].split(" ")
            out.append("(?P<kw>" + r"\s+".join(r"[a-z]+" for _ in words) + ")")
            literal += len(piece) - 2
        elif piece:
            out.append(re.escape(piece))
            literal += len(piece)
    return re.compile("".join(out), re.I), literal


def _one_slip(word: str, kw: str) -> bool:
    """True when `word` is `kw` with two neighbouring letters swapped, one dropped or one doubled."""
    if len(word) == len(kw):
        d = [i for i in range(len(kw)) if word[i] != kw[i]]
        return len(d) == 2 and d[1] == d[0] + 1 and word[d[0]] == kw[d[1]] and word[d[1]] == kw[d[0]]
    short, long_ = sorted((word, kw), key=len)
    return len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _marker(template: str) -> str:
    """The [keyword] of a template, lowercased ('' for keyword-free bodies)."""
    m = re.search(r"\[([^\]]+)\]", template)
    return m.group(1).lower() if m else ""


@lru_cache(maxsize=1)
def _compiled():
    """(bodies, tails): compiled once. bodies: (label, kind, template, regex, literal length)."""
    bodies, tails = [], {"neg": [], "ps": [], "pre": []}
    for bank in BANKS.values():
        for kind in tails:
            items = bank[kind] if kind != "ps" else [t for lab in LABELS for t in bank[lab]["ps"]]
            tails[kind] += [_regex(t.replace("{topic}", "{x}"))[0] for t in items]
        for lab in LABELS:
            for kind in ("req", "jar", "sym"):
                bodies += [(lab, kind, t, *_regex(t)) for t in bank[lab][kind]]
    # subtle: most specific first, so the first body that matches is the best one
    return sorted(bodies, key=lambda b: -b[4]), tails


def read(text: str) -> Reading | None:
    """The full reading of a message, or None when no body template matches."""
    if not text or not text.strip():
        return None
    bodies, tails = _compiled()
    # 1. find the misleading parts and cut them out, so their keywords cannot pose as a body
    found = {}
    for kind, regs in tails.items():
        for r in regs:
            m = r.search(text)
            if m:
                found[kind] = True
                text = text[:m.start()] + " | " + text[m.end():]
    # 2. the most specific body template that matches, its keyword written right or one slip off
    for lab, kind, template, r, _ in bodies:
        m = r.search(text)
        if not m:
            continue
        kw = m.group("kw") if kind == "req" else None
        said, meant = (kw or "").lower().split(), _marker(template).split()
        if len(said) != len(meant) or not all(a == b or _one_slip(a, b) for a, b in zip(said, meant)):
            continue
        break
    else:
        return None
    # 3. the phenomenon: the body's kind, else a slip, else the misleading part, else none
    if kind in BODY_PHENOMENON:
        ph = BODY_PHENOMENON[kind]
    elif kw.lower().split() != _marker(template).split():
        ph = "typo"
    else:
        ph = next((p for k, p in (("neg", "negation"), ("ps", "distractor"), ("pre", "preamble")) if k in found),
                  "direct")
    return Reading(lab, ph, template, kw)


def read_message(text: str) -> tuple[str, str] | None:
    """'Hi, my ruoter keeps restarting every 5 minutes' -> ('device', 'typo'); None when it reads as nothing."""
    r = read(text)
    return (r.label, r.phenomenon) if r else None


JUDGEMENTS = ("right", "wrong", "off format")   # and None: the oracle cannot read the message


def judge(text: str, answer: str) -> str | None:
    """A sample's answer against the department its message was written for: "right" (exactly that
    label), "wrong" (another label) or "off format" (not exactly one label: "Billing." or "billing or
    device", which a student trained on it would learn to write, and QC's format check drops, whatever
    department it names); None when the message reads as nothing."""
    reading = read_message(text)
    if reading is None:
        return None
    answer = (answer or "").strip()
    if answer not in LABELS:
        return "off format"
    return "right" if answer == reading[0] else "wrong"


def read_phenomenon(note: str) -> str | None:
    """The phenomenon a note (analysis, pattern, strategy) speaks of most, by its cue words; None if unclear."""
    hits = Counter({ph: len(r.findall(note or "")) for ph, r in _CUE_RE.items()})
    (top, k), *rest = hits.most_common()
    return top if k and (not rest or rest[0][1] < k) else None
