"""Pausing the cyclic garbage collector around bulk work on a large register.

Reading, parsing and checking a register of 500,000 rows makes millions of objects that stay
alive (cells, records, findings) and hold no reference cycles. The collector can free none of
them, yet it walks them again and again while they pile up: a third of the check's time at that
size. Pausing it changes no result: objects are still freed by reference counting as usual, and
the collector resumes (and finds anything cyclic) when the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Everything alive on entry (a checked register, its findings) is left out of the collector's walks
    until the block ends: the steps after the check make objects of their own, and each collection
    would otherwise walk millions of records again (seconds a cycle at the Sheets limit)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
