"""The budget on its own: reserve before a call, settle after it, wait for calls in flight, stop."""
import threading
import time

import pytest

from pada_lite.teacher.budget import Budget


def reserve_in_thread(budget, amount, abort):
    """Start a reservation on another thread; returns (thread, result list) to join and read."""
    out = []
    t = threading.Thread(target=lambda: out.append(budget.reserve(amount, abort)), daemon=True)
    t.start()
    return t, out


def test_reserve_and_settle_add_up():
    b, go = Budget(1.0, spent_before=0.25), threading.Event()
    assert b.reserve(0.5, go) and b.reserve(0.25, go)   # 0.25 + 0.5 + 0.25: exactly the cap fits
    assert (b.reserved, b.in_flight, b.spent) == (0.75, 2, 0.25)
    b.settle(0.5, 0.375)   # the call held 0.5 and cost 0.375
    assert (b.reserved, b.in_flight, b.spent) == (0.25, 1, 0.625)
    b.settle(0.25, 0.25)
    assert (b.reserved, b.in_flight, b.spent) == (0.0, 0, 0.875)
    assert not b.exhausted and b.note() is None


def test_a_call_that_does_not_fit_waits_for_the_calls_in_flight_then_goes():
    b, go = Budget(1.0), threading.Event()
    assert b.reserve(0.6, go)
    t, out = reserve_in_thread(b, 0.6, go)
    time.sleep(0.3)
    assert t.is_alive() and out == []   # 0.6 + 0.6 > 1.0 while the first call is in flight: it waits
    b.settle(0.6, 0.1)                  # the first call cost less than it held
    t.join(2)
    assert out == [True] and b.in_flight == 1 and b.spent == 0.1 and not b.exhausted


def test_exhausted_when_one_call_alone_does_not_fit_and_it_stays_so():
    b, go = Budget(1.0), threading.Event()
    assert not b.reserve(2.0, go)   # nothing in flight to wait for
    assert b.exhausted and b.stop == (2.0, 1.0)
    assert not b.reserve(0.01, go)  # a spent budget sends nothing more, even what would fit
    assert b.stop == (2.0, 1.0) and b.in_flight == 0


def test_an_abort_while_waiting_stops_the_wait():
    b, go, abort = Budget(1.0), threading.Event(), threading.Event()
    assert b.reserve(0.6, go)
    t, out = reserve_in_thread(b, 0.6, abort)
    time.sleep(0.1)
    abort.set()
    t.join(2)
    assert out == [False] and b.exhausted and b.stop == (0.6, pytest.approx(0.4))


def test_no_cap_always_fits_and_still_adds_up():
    b, go = Budget(None), threading.Event()
    assert all(b.reserve(1e9, go) for _ in range(5))
    b.settle(1e9, 0.5)
    b.settle(1e9, 0.25)
    assert b.spent == 0.75 and b.in_flight == 0 and b.reserved == 0.0 and not b.exhausted and b.note() is None


@pytest.mark.parametrize("cap,before,worst,left", [(2.0, 1.5, 0.75, "0.5000"), (2.0, 2.5, 0.001, "0.0000")])
def test_the_stop_note_says_what_did_not_fit_in_what_was_left(cap, before, worst, left):
    b = Budget(cap, spent_before=before)
    assert not b.reserve(worst, threading.Event())
    assert b.note() == (f"the next request could cost up to ${worst:.4f} (prompt and completion limit), more than the "
                        f"${left} left of --budget 2; raise --budget")


def test_float_residue_is_reset_when_nothing_is_in_flight():
    b, go = Budget(1.0), threading.Event()
    assert b.reserve(0.1, go) and b.reserve(0.2, go)
    b.settle(0.1, 0.0)
    b.settle(0.2, 0.0)
    assert 0.1 + 0.2 - 0.1 - 0.2 != 0.0 and b.reserved == 0.0   # the sum alone would leave a residue


def test_the_spent_before_counts_against_the_cap():
    b, go = Budget(1.0, spent_before=0.9), threading.Event()
    assert not b.reserve(0.2, go) and b.exhausted and b.stop == (0.2, pytest.approx(0.1))
