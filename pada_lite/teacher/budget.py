"""The teacher's budget: a cap in USD over the whole run, shared by the calls in flight.

    budget = Budget(cap=2.0, spent_before=0.5)   # 0.5 was paid by an earlier session of the run
    if budget.reserve(worst_case, abort):        # before a call: hold the most it can cost
        ...                                      # send it
        budget.settle(worst_case, real_cost)     # after it: give the hold back, book what it cost

- A call that does not fit while others are in flight waits for them to settle (they hold the
  rest); once one call alone no longer fits, the budget is `exhausted` and stays so, and `note()`
  says what did not fit in what was left.
- No cap: every call fits, and `spent` still adds up.
- Thread-safe: one `threading.Condition` guards every figure.

It deliberately does not know prices, tokens or requests (the teacher works out each call's worst
case with `pricing.upper_bound`), nor read what earlier sessions spent (`cache.run_usage` does).
"""
from __future__ import annotations

import threading


class Budget:
    def __init__(self, cap: float | None, spent_before: float = 0.0):
        self.cap, self.spent_before = cap, spent_before
        self.spent, self.reserved, self.in_flight = spent_before, 0.0, 0
        self.exhausted = False
        self.stop: tuple[float, float] | None = None   # (the call that did not fit, what was left)
        self._cond = threading.Condition()

    def reserve(self, amount: float, abort: threading.Event) -> bool:
        """Hold `amount` for a call about to be sent: True when it fits; False when the budget is
        spent (or an abort came while waiting for the calls in flight)."""
        with self._cond:
            while True:
                if self.cap is None:
                    return True
                if not self.exhausted and self.spent + self.reserved + amount <= self.cap:
                    self.reserved += amount
                    self.in_flight += 1
                    return True
                if self.exhausted or not self.in_flight or abort.is_set():
                    if not self.exhausted:
                        self.stop = (amount, self.cap - self.spent - self.reserved)
                    self.exhausted = True
                    return False
                self._cond.wait(0.2)   # calls in flight hold the rest: wait for them to settle

    def settle(self, amount: float, spent: float) -> None:
        """A call reserved with `amount` is over and cost `spent`."""
        with self._cond:
            if self.cap is not None:
                self.in_flight -= 1
                # subtle: with nothing in flight, reset the sum, so float residue never blocks a call
                self.reserved = self.reserved - amount if self.in_flight else 0.0
            self.spent += spent
            self._cond.notify_all()

    def note(self) -> str | None:
        """Why the budget stopped the teacher, in one line that says what to do; None while it has not."""
        if self.stop is None:
            return None
        worst, left = self.stop
        return (f"the next request could cost up to ${worst:.4f} (prompt and completion limit), more than the "
                f"${max(left, 0.0):.4f} left of --budget {self.cap:g}; raise --budget")
