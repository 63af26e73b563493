# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the tenants tier.

``estate.aws.tenant_errors``: validate a stack's tenants file before touching AWS (names and
domains valid and unique, queue settings inside SQS's limits, queue names within 80 characters).
Returns a list of errors, each naming the field and the fix (empty when the data is valid). The
rules live in module_utils/tenants.py, shared with the estate.aws.tenants module.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.tenants import tenant_errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tenant_errors": tenant_errors}
