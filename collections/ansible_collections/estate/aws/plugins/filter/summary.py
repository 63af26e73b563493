# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The lines of the deploy summary (playbooks/smoke.yml), on AWS and in the lab.

``estate.aws.summary_line``::

    {{ addresses | dict2items | map('estate.aws.summary_line', 'host') | list }}

Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def summary_line(item: dict[str, Any], kind: Any) -> str:
    """One line of the deploy summary: ``kind  name  address`` (a lab database: its container's
    address and the endpoint it answers for)."""
    value = item.get("value")
    if isinstance(value, dict):
        value = f"{_text(value.get('address')) or '-'} ({_text(value.get('endpoint'))})"
    return f"{_text(kind):<14} {_text(item.get('key')):<32} {_text(value) or '-'}"


class FilterModule:
    """Deploy summary filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"summary_line": summary_line}
