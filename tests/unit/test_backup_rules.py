"""The backup module's pure rules: which backups retention prunes, and label sanitising."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from support.source import load_plugin

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> ModuleType:
    return load_plugin("module_utils/backups.py")


def backup(ident: str, days_old: int, label: str, source: str = "vol-1") -> dict[str, Any]:
    created = NOW - timedelta(days=days_old)
    return {"kind": "snapshot", "id": ident, "source": source, "label": label, "created": created}


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [b["id"] for b in items]


def test_retention_prunes_only_older_than_the_window(rules: ModuleType) -> None:
    items = [backup("new", 0, "d0"), backup("week", 7, "d7"), backup("old", 20, "d20")]
    assert ids(rules.backups_to_prune(items, NOW, 14, 0, "d0")) == ["old"]
    assert ids(rules.backups_to_prune(items, NOW, 0, 0, "d0")) == []


def test_keep_last_counts_per_source(rules: ModuleType) -> None:
    items = [
        backup("a0", 0, "d0"),
        backup("a1", 1, "d1"),
        backup("a2", 2, "d2"),
        backup("b2", 2, "d2", source="vol-2"),
    ]
    assert ids(rules.backups_to_prune(items, NOW, 0, 2, "d0")) == ["a2"]


def test_the_current_label_is_never_pruned(rules: ModuleType) -> None:
    items = [backup("today", 30, "today"), backup("other", 30, "other")]
    assert ids(rules.backups_to_prune(items, NOW, 1, 0, "today")) == ["other"]


@pytest.mark.parametrize(
    ("label", "safe"),
    [("2026-03-01", "2026-03-01"), ("Weekly_Run 7", "weekly-run-7"), ("--a..b--", "a-b")],
)
def test_safe_label(rules: ModuleType, label: str, safe: str) -> None:
    assert rules.safe_label(label) == safe
