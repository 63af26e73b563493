"""UpdateTable changes SSE and re-enables streams, TagResource replaces a key's value, as on AWS.

moto behaviour:
- UpdateTable ignores ``SSESpecification``: a table's encryption key can never be changed (the
  call succeeds and the old key stays).
- UpdateTable refuses to enable a stream on a table whose stream was enabled once and then
  disabled (``ResourceInUseException: Cannot enable stream``): moto looks at the last stream
  label, which stays after the stream is disabled, so a view type can never be changed.
- TagResource appends the given tags to the table's list: a key tagged again is listed twice
  (old and new value) by ListTagsOfResource and the tagging API.

AWS: UpdateTable with ``SSESpecification`` (``Enabled``, ``SSEType: KMS``, ``KMSMasterKeyId``)
switches the table to that key (``Enabled: false`` back to the AWS owned key); a stream can be
enabled again once it is disabled (a new stream, new label and ARN); TagResource sets each key's
value, a key appearing once.

Fix: the three behaviours above, in moto's DynamoDB handler and backend.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import StreamAlreadyEnabledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

_MARK = "_estate_dynamodb_table_updates_patched"


def _set_sse(table: Table, spec: dict[str, Any]) -> None:
    if spec.get("Enabled", True) is not False and spec.get("SSEType", "KMS") == "KMS":
        new = {"Enabled": True, "SSEType": "KMS"}
        key = spec.get("KMSMasterKeyId") or table._get_default_encryption_key(
            table.account_id, table.region_name
        )
        table.sse_specification = {**new, "KMSMasterKeyId": key}
    else:
        table.sse_specification = None


def apply() -> None:
    if getattr(DynamoHandler, _MARK, False):
        return
    update_table = DynamoHandler.update_table

    def patched_update_table(self: DynamoHandler) -> Any:
        spec = self.body.get("SSESpecification")
        if spec:
            _set_sse(self.dynamodb_backend.get_table(self.body["TableName"]), spec)
        return update_table(self)

    def update_table_streams(
        self: DynamoDBBackend, table: Table, stream_specification: dict[str, Any]
    ) -> None:
        enabling = stream_specification.get("StreamEnabled") or stream_specification.get(
            "StreamViewType"
        )
        if enabling and (table.stream_specification or {}).get("StreamEnabled"):
            raise StreamAlreadyEnabledException
        table.set_stream_specification(stream_specification)

    def tag_resource(self: DynamoDBBackend, arn: str, tags: dict[str, str]) -> None:
        for table in self.tables.values():
            if table.table_arn == arn:
                kept = [t for t in table.tags if t["Key"] not in tags]
                table.tags = kept + [{"Key": k, "Value": v} for k, v in tags.items()]

    DynamoHandler.update_table = patched_update_table  # type: ignore[method-assign]
    DynamoDBBackend.update_table_streams = update_table_streams  # type: ignore[method-assign]
    DynamoDBBackend.tag_resource = tag_resource  # type: ignore[method-assign]
    setattr(DynamoHandler, _MARK, True)
