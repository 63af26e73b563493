"""DB instances on gp3 storage report their baseline IOPS and storage throughput.

moto behaviour: an instance created with ``StorageType: gp3`` and no ``Iops`` /
``StorageThroughput`` describes neither. ``amazon.aws.rds_instance`` reads
``instance["StorageThroughput"]`` for a gp3 instance when it compares the data with the existing
instance, so every run after the creation fails with ``KeyError: 'StorageThroughput'``.

AWS: a gp3 DB instance always has IOPS and throughput; without explicit values it gets the
baseline, 3,000 IOPS and 125 MiB/s below 400 GiB (MySQL, MariaDB, PostgreSQL; 20 GiB for SQL
Server), 12,000 IOPS and 500 MiB/s from 400 GiB.

Fix: after moto builds a DB instance (create, restore, replica), a gp3 instance without values
gets that baseline. Explicit values are kept.
"""

from __future__ import annotations

from typing import Any

from moto.rds.models import DBInstance

_MARK = "_estate_rds_gp3_baseline_patched"
LARGE_GIB = 400


def baseline(allocated_storage: Any) -> tuple[int, int]:
    """(IOPS, MiB/s) of a gp3 volume of ALLOCATED_STORAGE GiB without explicit values."""
    try:
        large = int(allocated_storage or 0) >= LARGE_GIB
    except (TypeError, ValueError):
        large = False
    return (12000, 500) if large else (3000, 125)


def apply() -> None:
    if getattr(DBInstance, _MARK, False):
        return
    original = DBInstance.__init__

    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if getattr(self, "storage_type", None) == "gp3":
            iops, throughput = baseline(getattr(self, "allocated_storage", 0))
            if not self.iops:
                self.iops = iops
            if not self.storage_throughput:
                self.storage_throughput = throughput

    DBInstance.__init__ = __init__  # type: ignore[method-assign]
    setattr(DBInstance, _MARK, True)
