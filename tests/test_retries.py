"""The retry rules on their own: what the teacher does after an error and after a reply."""
from collections import Counter

import pytest

from pada_lite.teacher.replies import ReplyError
from pada_lite.teacher.retries import after_error, check_reply, give_up, retry_of
from pada_lite.teacher.schemas import ErrorAnalysis, Request
from pada_lite.teacher.base import Completion

R = Request("analyst", "analysis", [{"role": "user", "content": "q"}], ErrorAnalysis, max_tokens=64, seed=3)
GOOD = '{"error_scenario": "s", "root_cause": "c"}'


@pytest.mark.parametrize("reason,steps", [
    ("auth", ["fatal"]), ("context_full", ["fatal"]),
    ("rate_limit", ["wait", "wait", "fail"]),      # max_retries=2: two waits, then it has failed
    ("invalid_json", ["again", "again", "fail"]),  # max_attempts=3: three sends in all
    ("mystery", ["again", "again", "fail"]),       # an unknown reason counts as a bad reply
])
def test_after_error_steps(reason, steps):
    tries = Counter()
    assert [after_error(reason, tries, max_attempts=3, max_retries=2) for _ in steps] == steps


def test_retry_of_samples_with_a_new_seed_after_a_bad_reply():
    assert retry_of(R, 0) is R
    again = retry_of(R, 2)
    assert (again.temperature, again.seed, again.messages) == (0.5, 3 + 2 * 7919, R.messages)


@pytest.mark.parametrize("c,context,reason", [
    (Completion(GOOD, refusal="no"), None, "refusal"),
    (Completion("{", 90, 10, finish_reason="length"), 100, "context_full"),
    (Completion("{", 10, 10, finish_reason="length"), 100, "truncated"),
    (Completion("{", 10, 10, finish_reason="length"), None, "truncated"),
    (Completion("not json"), None, "invalid_json"),
])
def test_check_reply_names_a_bad_reply(c, context, reason):
    with pytest.raises(ReplyError) as e:
        check_reply(c, R, context)
    assert e.value.reason == reason


def test_check_reply_returns_the_validated_reply():
    assert check_reply(Completion(GOOD), R, None).root_cause == "c"


def test_give_up_after_max_attempts_or_at_once_when_the_context_is_full():
    tries = Counter()
    assert [give_up("schema", tries, 3) for _ in range(3)] == [False, False, True]
    assert give_up("context_full", Counter(), 3)
