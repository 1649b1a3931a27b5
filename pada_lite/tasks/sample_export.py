"""A raw ticket export, as a helpdesk's own system would write it: the stand-in for *your* data
in the bring-your-own-task notebook (07), so that notebook runs offline with a real result.

    info = write_ticket_export("runs/x/northwind_export.csv")
    info["clean"]     # what a correct clean-up leaves: {"rows": 700, "labels": {"billing": 100, ...}}

The file is what real exports are like, and what `pada_lite.tasks.data` refuses to guess past:
- columns `ticket_id, created, channel, message, team`: only two of them are the task;
- the team is a display name ("Billing"), not the label the student should answer;
- some tickets have no message (attachments only): an empty field;
- some customers sent the same message twice: a duplicate that would leak across splits;
- stray spaces around messages.

Messages come from phrase bank A at a skewed, realistic mix of phenomena, with no tags: your
own data has no hidden answer key. The seed differs from the bundled splits' seed.
"""
from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

from pada_lite.tasks.bundled import LABELS, PHENOMENA, generate_example
from pada_lite.tasks.spec import normalize_text

EXPORT_MIX = {"direct": 0.30, "preamble": 0.20, "typo": 0.15, "jargon": 0.10, "indirect": 0.10,
              "negation": 0.075, "distractor": 0.075}
CHANNELS = ["email", "chat", "web form", "app"]
COLUMNS = ["ticket_id", "created", "channel", "message", "team"]


def write_ticket_export(path, n: int = 700, blanks: int = 6, resent: int = 9, seed: int = 2024) -> dict:
    """Write the raw CSV to `path`; return its counts and what a correct clean-up keeps."""
    assert set(EXPORT_MIX) == set(PHENOMENA)
    rng = random.Random(seed)
    plan = [ph for ph, share in EXPORT_MIX.items() for _ in range(round(share * n))][:n]
    plan += rng.choices(PHENOMENA, k=n - len(plan))
    rng.shuffle(plan)
    seen, tickets = set(), []
    for ph in plan:
        label = rng.choice(LABELS)
        for _ in range(1000):   # every message new
            text = generate_example(rng, label, ph, "A").input
            if normalize_text(text) not in seen:
                break
        seen.add(normalize_text(text))
        tickets.append((text, label))
    rows = [{"message": t, "team": lab} for t, lab in tickets]
    for t, lab in rng.sample(tickets, resent):     # the same message sent twice
        rows.insert(rng.randrange(len(rows) + 1), {"message": t, "team": lab})
    for _ in range(blanks):                        # attachment-only tickets
        rows.insert(rng.randrange(len(rows) + 1), {"message": "", "team": rng.choice(LABELS)})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for k, r in enumerate(rows):
            pad = rng.choice(["", "", "", " ", "  "])
            w.writerow({"ticket_id": f"NW-{40000 + 7 * k}", "created": f"2026-{1 + k * 12 // len(rows):02d}-"
                        f"{1 + rng.randrange(28):02d}", "channel": rng.choice(CHANNELS),
                        "message": pad + r["message"] + pad[::-1] if r["message"] else "",
                        "team": r["team"].title()})
    return {"path": str(path), "rows": len(rows), "blank": blanks, "resent": resent,
            "clean": {"rows": n, "labels": dict(sorted(Counter(lab for _, lab in tickets).items()))}}


def clean_export(raw):
    """The reference clean-up of the export (a pandas DataFrame of its columns): id, input, output
    and channel; empty messages and repeated ones (ignoring case and spacing) dropped, the first kept.
    Notebook 07 falls back to it while the learner's own `clean()` is unfinished."""
    import pandas as pd
    df = pd.DataFrame({"id": raw["ticket_id"], "input": raw["message"].str.strip(),
                       "output": raw["team"].str.strip().str.lower(), "channel": raw["channel"]})
    df = df[df["input"] != ""]
    return df[~df["input"].map(normalize_text).duplicated()].reset_index(drop=True)
