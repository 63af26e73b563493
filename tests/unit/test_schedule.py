"""tests/support/schedule.py: the costly tests start on different xdist workers."""

from __future__ import annotations

from support.schedule import Entry, arrange, lane_sizes


def lanes(order: list[int], workers: int) -> list[list[int]]:
    sizes, out, at = lane_sizes(len(order), workers), [], 0
    for size in sizes:
        out.append(order[at : at + size])
        at += size
    return out


def test_lane_sizes_follow_xdist_worksteal() -> None:
    assert lane_sizes(7, 2) == [3, 4]
    assert lane_sizes(9, 3) == [3, 3, 3]
    assert lane_sizes(1, 2) == [0, 1]


def test_costliest_tests_open_different_lanes_and_groups_stay_together() -> None:
    entries = [Entry() for _ in range(10)]
    entries[7] = Entry(1100)  # the longest, collected late
    entries[8] = Entry(500)
    entries[1] = entries[2] = entries[3] = Entry(290, "batch")
    entries[5] = Entry(100)
    order = arrange(entries, 2)
    assert sorted(order) == list(range(10))
    first, second = lanes(order, 2)
    assert first[0] == 7 and second[0] == 8
    # The group (290) and the 100 s test join the lighter lane; cheap tests fill up in order.
    assert second[:5] == [8, 1, 2, 3, 5]
    assert first == [7, 0, 4, 6, 9]


def test_nothing_to_spread_keeps_the_collection_order() -> None:
    assert arrange([Entry()] * 4, 2) == [0, 1, 2, 3]
    assert arrange([Entry(10), Entry()], 0) == [0, 1]


def test_a_group_larger_than_its_lane_keeps_the_collection_order() -> None:
    entries = [Entry(5, "big")] * 4 + [Entry()]
    assert arrange(entries, 2) == [0, 1, 2, 3, 4]
