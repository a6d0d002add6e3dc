"""The offline run keeps the collector off the long-lived heap only for its own duration."""

from __future__ import annotations

import gc

from services.correlator.offline import long_lived_heap_frozen


def test_the_heap_is_frozen_within_the_run_and_handed_back_after() -> None:
    assert gc.get_freeze_count() == 0
    with long_lived_heap_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_objects_another_part_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with long_lived_heap_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
