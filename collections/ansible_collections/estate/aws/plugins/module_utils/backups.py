# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""estate.aws.stack_backups' pure rules: its tags, which backups retention prunes, and label
sanitising. Stdlib only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

TAG = "estate-backup:"
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def parse_stamp(value: str) -> datetime:
    return datetime.strptime(value, STAMP).replace(tzinfo=UTC)


def safe_label(label: str) -> str:
    """LABEL as it may appear in an RDS snapshot identifier (letters, digits, single hyphens)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", label.lower())).strip("-")


def backups_to_prune(
    backups: list[dict[str, Any]],
    now: datetime,
    retention_days: int,
    keep_last: int,
    label: str,
) -> list[dict[str, Any]]:
    """The backups to delete: per (kind, source), those older than RETENTION_DAYS and those beyond
    the newest KEEP_LAST (0 disables either rule). The current LABEL's are never pruned."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for backup in backups:
        groups.setdefault((backup["kind"], backup["source"]), []).append(backup)
    doomed = []
    for items in groups.values():
        items.sort(key=lambda b: b["created"], reverse=True)
        for index, backup in enumerate(items):
            if backup["label"] == label:
                continue
            too_old = retention_days > 0 and backup["created"] < now - timedelta(retention_days)
            too_many = keep_last > 0 and index >= keep_last
            if too_old or too_many:
                doomed.append(backup)
    return sorted(doomed, key=lambda b: (b["kind"], b["id"]))
