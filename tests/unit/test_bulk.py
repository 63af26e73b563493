"""module_utils/bulk.py: the thread pool the bulk modules share collects every failure instead of
letting a worker thread end the module."""

from __future__ import annotations

from support.source import load_plugin

bulk = load_plugin("module_utils/bulk.py")


def test_run_parallel_collects_failures() -> None:
    def half(n: int) -> int:
        if n % 2:
            raise ValueError(n)
        return n // 2

    results, failures = bulk.run_parallel(half, [2, 3, 4, 5], 4)
    assert results == [1, None, 2, None]
    assert [(item, str(e)) for item, e in failures] == [(3, "3"), (5, "5")]
    assert bulk.run_parallel(half, [], 4) == ([], [])


def test_change_lists_leave_out_empty_kinds() -> None:
    assert bulk.change_lists(["a"], [], ["b", "c"]) == {"created": ["a"], "deleted": ["b", "c"]}
    assert bulk.change_lists([], [], []) == {}
