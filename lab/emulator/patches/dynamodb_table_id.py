"""DescribeTable answers with the table's TableId and its SSE key's ARN, as AWS does.

moto behaviour: a table's description has no ``TableId`` (``community.aws.dynamodb_table`` fails
on every run with ``KeyError: 'table_id'``), and ``SSEDescription.KMSMasterKeyArn`` is whatever
``KMSMasterKeyId`` the request named (an alias name or a raw key id comes back as given).

AWS: every table has a ``TableId`` (a UUID fixed at creation, also in CreateTable's and
DeleteTable's answers), and ``KMSMasterKeyArn`` is the ARN of the key, however it was named.

Fix: each table gets a UUID at creation, reported as ``TableId`` in every description; the SSE
key identifier is resolved to its key's ARN through moto's KMS backend (left as given when no
such key exists).
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.dynamodb.models.table import Table

_MARK = "_estate_dynamodb_table_id_patched"


def _key_arn(table: Table, key_id: str) -> str:
    from moto.kms.models import kms_backends

    try:
        return str(kms_backends[table.account_id][table.region_name].describe_key(key_id).arn)
    except Exception:  # no such key: AWS would have refused it, keep what moto stored
        return key_id


def apply() -> None:
    if getattr(Table, _MARK, False):
        return
    original = Table.describe

    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key)
        if not getattr(self, "estate_table_id", None):
            self.estate_table_id = str(uuid.uuid4())
        description = result[base_key]
        description["TableId"] = self.estate_table_id
        sse = description.get("SSEDescription")
        if sse and sse.get("KMSMasterKeyArn"):
            sse["KMSMasterKeyArn"] = _key_arn(self, sse["KMSMasterKeyArn"])
        return result

    Table.describe = describe  # type: ignore[method-assign]
    setattr(Table, _MARK, True)
