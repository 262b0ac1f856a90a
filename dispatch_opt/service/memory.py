"""Long-lived boards and the garbage collector: what is alive after a version is hidden from it."""

from __future__ import annotations

import gc

SWEEP_EVERY = 200  # board versions between two full garbage collections


def settle(count: int) -> None:
    """Move what is alive now (the boards' scenarios and plans: a large board is a million Python
    objects) out of the garbage collector's sight, so that the collections a request's own
    short-lived objects trigger do not traverse it again each time: measured, a quarter of a
    slot offer's time on the bundled large. Objects still die when no longer used; once every
    `SWEEP_EVERY` versions a full collection finds any cycles among the old."""
    if count % SWEEP_EVERY == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
