"""Python's cyclic garbage collector, paused for the length of a bulk step.

A province's bulk step (a year's determination, a batch's ledger postings, a region's what-if, a
book's verification) builds hundreds of thousands of short-lived rows, tuples and frozen dataclasses.
Reference counting frees them; none forms a cycle worth collecting halfway through. The cyclic
collector still walks them every few hundred allocations, and the older generations, which the step's
survivors keep growing, ever more often: measured on a 20,000-institution region, a third of
``compute --region`` and of ``post_many``. So the step runs with it paused; once resumed, its next
collection frees whatever cycles the step left.

The pause is process-wide, so nested and concurrent steps (a threaded server) share one count: the
collector resumes when the last of them ends, and only if it was running when the first began.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # steps under way that paused the collector
_resume = False  # whether it was running before the first of them


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector paused (usable as a decorator too)."""
    global _pausing, _resume
    with _lock:
        if _pausing == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _resume:
                gc.enable()
