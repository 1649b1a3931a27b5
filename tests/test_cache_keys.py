"""The teacher cache's keys, pinned: a paid run resumes only while they stay the same.

The three requests below (one per role) are literal, so an edit to a prompt builder does not move
them; an edit to `cache.cache_key`, to what the teacher keys a request by, or to a reply schema
does, and then every cached reply of every earlier run would be asked (and paid for) again.
"""
import json

import pytest
from fake_openai import SAMPLES

from pada_lite.teacher.cache import cache_key
from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, QualityScore, Request
from pada_lite.teacher.core import Completion, Teacher

SYSTEM = {"role": "system", "content": "You are a careful teacher."}
MODELS = {"analyst": "gpt-4.1-mini", "generator": "gpt-4o-mini", "checker": "gpt-4.1-mini"}
KNOWN = [   # (request, its key as computed when the keys were pinned)
    (Request("analyst", "analysis", [SYSTEM, {"role": "user", "content": "Why is 12 + 7 = 18 wrong?"}],
             ErrorAnalysis, temperature=0.0, max_tokens=400, seed=0),
     "69286bc2d5c0bf33e59182b802ba3b17fad3a91f11da995f6dc1b06dbbf27cae"),
    (Request("generator", "generation", [SYSTEM, {"role": "user", "content": "Write 3 new samples — café, naïve."}],
             NewSamples, temperature=0.7, max_tokens=1200, seed=42),
     "236168ac79073d6db97d328a6ad36b687291ed15c974c5b35ffb0c7dfb623369"),
    (Request("checker", "qc", [SYSTEM, {"role": "user", "content": "Grade this sample: Q: 2 + 2? A: 4"}],
             QualityScore, temperature=0.0, max_tokens=300, seed=7),
     "4d5b5a8b1e0254035772d77387c4bed721a9d857c1a716efc94d795ccd85964a"),
]


class Canned:
    """A backend that answers every request with a valid reply and counts its calls."""
    name, simulated = "canned", False

    def __init__(self):
        self.calls = 0

    def complete(self, request, model):
        self.calls += 1
        return Completion(json.dumps(SAMPLES[request.schema.__name__]), 10, 5)

    def describe(self):
        return "canned backend"


@pytest.mark.parametrize("r,key", KNOWN, ids=[r.stage for r, _ in KNOWN])
def test_cache_key_of_a_known_request_is_pinned(r, key):
    assert cache_key(MODELS[r.role], r) == key


def test_the_teacher_files_replies_under_the_pinned_keys_and_a_new_session_resumes(tmp_path):
    requests = [r for r, _ in KNOWN]
    first = Teacher(Canned(), MODELS, cache=tmp_path, progress=False)
    assert all(o is not None for o in first.ask(requests))
    lines = (tmp_path / "teacher_cache.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == sorted(key for _, key in KNOWN)
    again = Canned()
    assert all(o is not None for o in Teacher(again, MODELS, cache=tmp_path, progress=False).ask(requests))
    assert again.calls == 0   # every reply came from the cache: nothing paid for twice
