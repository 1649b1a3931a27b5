"""The replay teacher: answers from a recorded run's reply cache, and from nothing else.

A run made with a real teacher leaves `teacher_cache.jsonl` in its folder: one line per answered
request, filed under the key of everything that shaped its reply (`cache.cache_key`). Given that
file (or the run folder), `ReplayBackend` answers a request with the reply recorded under its key,
with the recorded token counts, so a learner can replay a real-teacher run offline and for free,
without the model that wrote it.
- `models`: {role: model} read from the records; where a role has replies of several models, the
  most frequent one is replayed and `describe()` says so.
- `complete`: a request the file holds gets its recorded reply; any other raises `NotRecorded`,
  which the teacher reads as the fatal reason `not_recorded` (`replies.FATAL`): no retry can find
  a reply that was never recorded, so the batch stops at once with one line.
- `check_roles`: the pre-flight's part; a role the run asks and the file has no replies of stops
  the run before any work.

It deliberately does not write the file it replays (the replay teacher books its replies in its own
cache), contact any network, or answer a request it does not hold with a near one: a request that
differs in any way is another request, and replaying it would quietly make a different run.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pada_lite.teacher.base import Completion, TeacherUnusable
from pada_lite.teacher.cache import ReplyCache, cache_key
from pada_lite.teacher.schemas import ROLES

CACHE_NAME = "teacher_cache.jsonl"
NOT_RECORDED = "not-recorded"   # the model of a role the file has no replies of
LIVE = "--teacher openai --base-url URL"


class NotRecorded(LookupError):
    """A request the replayed file holds no reply for (the teacher's reason `not_recorded`)."""


def replies_file(path: str | Path) -> Path:
    """The reply cache `path` names: the file itself, or a run folder's teacher_cache.jsonl."""
    p = Path(path)
    return p / CACHE_NAME if p.is_dir() else p


def _load(path: str | Path) -> ReplyCache:
    """The recorded replies, read once; a missing or empty file raises `TeacherUnusable` with one line."""
    fix = f"give replies= the {CACHE_NAME} of a run made with a real teacher, or that run's folder"
    file = replies_file(path)
    if not file.is_file():
        where = f"no {CACHE_NAME} in the folder {path}" if Path(path).is_dir() else f"no file {path}"
        raise TeacherUnusable(f"nothing to replay: {where}; {fix}")
    records = ReplyCache(file)
    if not records.records:
        unreadable = f" ({records.skipped_lines} unreadable line(s))" if records.skipped_lines else ""
        raise TeacherUnusable(f"nothing to replay: {file} holds no recorded replies{unreadable}; {fix}")
    return records


def recorded_models(records) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """({role: its most frequent model}, {role: that model's replies}, a note per role with several models),
    in the order of `ROLES`."""
    per_role: dict[str, Counter] = {}
    for rec in records:
        if rec.get("role") in ROLES and rec.get("model"):
            per_role.setdefault(rec["role"], Counter())[rec["model"]] += 1
    models, counts, notes = {}, {}, []
    for role in sorted(per_role, key=ROLES.index):
        seen = per_role[role]
        (model, n), = seen.most_common(1)
        models[role], counts[role] = model, n
        if len(seen) > 1:
            notes.append(f"the {role}'s replies are of {len(seen)} models; replaying {model}'s "
                         f"({n} of {sum(seen.values())})")
    return models, counts, notes


class ReplayBackend:
    """A teacher backend that answers only from a recorded reply cache (see the module doc)."""

    name = "replay"
    simulated = False
    replayed = True   # the teacher neither prices nor bills its calls

    def __init__(self, path: str | Path):
        cache = _load(path)
        self.path, self.records = cache.path, cache.records
        self.models, self.counts, self.notes = recorded_models(self.records.values())

    def describe(self) -> str:
        models = ", ".join(dict.fromkeys(self.models.values())) or "unnamed models"
        return (f"replayed replies of {models} from {self.path.name} ({len(self.records)} replies)"
                + "".join(f"; {note}" for note in self.notes))

    def complete(self, request, model: str) -> Completion:
        """The reply recorded for `request` asked of `model`; `NotRecorded` when there is none."""
        rec = self.records.get(cache_key(model, request))
        if rec is None:
            raise NotRecorded(f"the replayed reference {self.path.name} holds no reply for this {request.stage} "
                              f"request of the {request.role} ({model})")
        return Completion(json.dumps(rec["reply"], ensure_ascii=False), rec.get("prompt_tokens", 0),
                          rec.get("completion_tokens", 0), reasoning_tokens=rec.get("reasoning_tokens", 0))

    def check_roles(self, roles) -> list[str]:
        """The pre-flight: one line per role asked; `TeacherUnusable` for a role with no recorded replies."""
        missing = [r for r in roles if r not in self.models]
        if missing:
            recorded = ", ".join(f"the {r}'s" for r in self.models) or "none"
            raise TeacherUnusable(f"{self.path} holds no replies of the {' or the '.join(missing)} (it holds "
                                  f"{recorded}), and this run asks the {' and the '.join(roles)}: replay a run made "
                                  f"with the same methods, or use a live teacher ({LIVE})")
        return [f"{self.models[r]} ({r}): {self.counts[r]} recorded replies in {self.path.name}, replayed offline"
                for r in roles]
