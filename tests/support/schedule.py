"""Order the collected tests for pytest-xdist's worksteal schedule on N workers.

worksteal hands worker i a contiguous share of the list (len // N for the first, the rest to the
last: xdist's check_schedule) and lets an idle worker steal from the tail of a busy one's queue,
never a test that is running. With the tests in file order, the whole-stack tests (minutes each)
landed on one worker one after the other while the other worker ran out of work: the suite took
the sum of them. Here the costly units are spread over the lanes first, largest first, each to
the lane with the least cost so far (LPT), at the front of their lane; the cheap tests fill the
lanes up to their share, in collection order.

A unit is one test, or the tests of one group (they share per-worker work, such as a session
cache that runs a batch once per worker, and belong on one worker); its cost is the largest of
its tests'. Costs are measured seconds (`pytest.mark.cost`), rough is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One collected test: its cost in seconds (0: cheap) and its group ("" for none)."""

    cost: float = 0.0
    group: str = ""


def lane_sizes(count: int, workers: int) -> list[int]:
    """How many of COUNT tests worksteal hands each of WORKERS at the start."""
    sizes, left = [], count
    for index in range(workers):
        size = left // (workers - index)
        sizes.append(size)
        left -= size
    return sizes


def arrange(entries: Sequence[Entry], workers: int) -> list[int]:
    """A permutation of range(len(ENTRIES)) that spreads the costly units over WORKERS lanes.
    Returns the identity when there is nothing to spread or a lane cannot hold its units."""
    identity = list(range(len(entries)))
    if workers < 2 or not any(e.cost for e in entries):
        return identity
    units: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        units.setdefault(entry.group or f"#{index}", []).append(index)
    cost = {key: max(entries[i].cost for i in members) for key, members in units.items()}
    costly = sorted((key for key in units if cost[key] > 0), key=lambda k: -cost[k])

    lanes: list[list[int]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for key in costly:
        lane = loads.index(min(loads))
        lanes[lane].extend(units[key])
        loads[lane] += cost[key]
    sizes = lane_sizes(len(entries), workers)
    if any(len(lane) > size for lane, size in zip(lanes, sizes, strict=True)):
        return identity
    cheap = iter(i for key in units if cost[key] == 0 for i in units[key])
    for lane, size in zip(lanes, sizes, strict=True):
        lane.extend(next(cheap) for _ in range(size - len(lane)))
    return [index for lane in lanes for index in lane]
