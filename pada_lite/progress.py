"""Progress for the kit's long steps: a live bar in a terminal, one line per step in a notebook.

A notebook's saved or rendered copy keeps a progress widget without its state, so it shows "0%"
forever, and a text bar leaves one output chunk per refresh. So inside a Jupyter kernel (Colab
included) each step prints one line when it ends ("evaluating validation: 315 in 14 s") and
nothing while it runs. `PADA_PROGRESS=bar` keeps live bars there too; `line` forces the lines in
a terminal.
"""
from __future__ import annotations

import os
import sys
import time


def mode() -> str:
    """'bar' or 'line': PADA_PROGRESS when set, else 'line' inside a Jupyter kernel."""
    want = os.environ.get("PADA_PROGRESS", "").strip().lower()
    if want in ("bar", "line"):
        return want
    return "line" if "ipykernel" in sys.modules else "bar"


class Line:
    """A bar's interface (update, set_postfix_str, write, close) that prints one line on close."""

    def __init__(self, total: int | None = None, desc: str | None = None, initial: int = 0, disable: bool = False,
                 file=None, unit: str = ""):
        self.total, self.desc, self.n, self.disable = total, desc or "working", initial, disable
        self.file, self.unit, self.postfix, self._t0, self._closed = file or sys.stdout, unit, "", time.perf_counter(), False

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def write(self, line: str, file=None) -> None:
        print(line, file=file or self.file)

    def close(self) -> None:
        if self._closed or self.disable:
            self._closed = True
            return
        self._closed = True
        done = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        tail = f" ({self.postfix})" if self.postfix else ""
        print(f"{self.desc}: {done}{self.unit} in {time.perf_counter() - self._t0:.0f} s{tail}", file=self.file, flush=True)


def bar(iterable=None, *, total: int | None = None, desc: str | None = None, initial: int = 0,
        disable: bool = False, leave: bool = False, unit: str = "", **tqdm_kw):
    """`tqdm.auto.tqdm` in a terminal; in a notebook, the same calls and one line at the end.
    Over an `iterable`, yields its items (counted, and the line printed when it is exhausted)."""
    if mode() == "bar":
        from tqdm.auto import tqdm
        return tqdm(iterable, total=total, desc=desc, initial=initial, disable=disable, leave=leave, **tqdm_kw)
    if iterable is None:
        return Line(total=total, desc=desc, initial=initial, disable=disable, unit=unit)
    return _counted(iterable, Line(total=total if total is not None else _len(iterable), desc=desc, initial=initial,
                                   disable=disable, unit=unit))


def _len(iterable) -> int | None:
    try:
        return len(iterable)
    except TypeError:
        return None


def _counted(iterable, line: Line):
    try:
        for item in iterable:
            yield item
            line.update(1)
    finally:
        line.close()
