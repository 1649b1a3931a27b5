"""The teacher's worker threads: one batch of jobs, run on daemon threads, stopped within a second.

    run(jobs, work, workers=8, on_result=..., stop_early=lambda: bool(fatal), close=backend.close)

- `work(job, abort)` does one job on a worker thread; `on_result(job, result)` takes it back
  on the calling thread (so the caller's counts need no lock), in the order the jobs finish.
- `stop_early()` is polled every 0.1 s: once true (a request that cannot succeed), no more
  results are waited for and the batch is stopped.
- Ctrl-C (or any exception, raised by `work` or `on_result`) stops the batch and is raised:
  no job starts after it, jobs in flight get `grace` seconds to finish, then they are abandoned
  (daemon threads never keep the process alive) and `close()` closes the connections.
- Every batch has its own abort event, so threads abandoned by an earlier interrupt stay stopped.

It deliberately knows nothing of requests, replies, costs or retries: a job is whatever the
caller puts in `jobs`, and `work` decides what one is.
"""
from __future__ import annotations

import queue
import threading
import time

NAME = "pada-teacher"   # the threads' names start with it (tests look for leftover threads by name)


def run(jobs: list, work, workers: int, on_result, stop_early=lambda: False, close=None, grace: float = 1.0) -> None:
    """Run `work` on every job, `workers` at a time (see the module's docstring)."""
    abort, todo, results = threading.Event(), queue.Queue(), queue.Queue()
    for job in jobs:
        todo.put(job)

    def worker():
        while not abort.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                res = work(job, abort)
            except BaseException as e:   # a bug, or a stand-in backend raising KeyboardInterrupt
                abort.set()              # nothing more is sent; the calling thread raises it
                res = e
            results.put((job, res))

    threads = [threading.Thread(target=worker, daemon=True, name=f"{NAME}-{k}") for k in range(min(workers, len(jobs)))]
    for t in threads:
        t.start()
    try:
        for _ in range(len(jobs)):
            got = _next(results, threads, stop_early)
            if got is None:
                break
            job, res = got
            if isinstance(res, BaseException):
                raise res
            on_result(job, res)
    except BaseException:
        # subtle: on Ctrl-C nothing more is sent; calls in flight get a second to land in the
        # cache (they may be paid for), then they are abandoned and their connections closed
        _stop(abort, threads, close, grace)
        raise
    if stop_early():
        _stop(abort, threads, close, grace)


def _next(results: queue.Queue, threads: list, stop_early):
    """The next (job, result), or None when the batch stops early or every thread has ended."""
    while True:
        try:
            return results.get(timeout=0.1)
        except queue.Empty:
            if stop_early() or not any(t.is_alive() for t in threads) and results.empty():
                return None


def _stop(abort: threading.Event, threads: list, close, grace: float) -> None:
    abort.set()
    deadline = time.monotonic() + grace
    try:
        for t in threads:   # a second Ctrl-C cuts the wait short
            t.join(max(0.0, deadline - time.monotonic()))
    finally:
        if close is not None:
            close()
