"""GetBucketReplication: return each rule's DeleteMarkerReplication, Filter and
SourceSelectionCriteria as they were put.

moto behaviour: PutBucketReplication stores the whole configuration, but GetBucketReplication
answers every rule with ``DeleteMarkerReplication: {Status: Disabled}`` and ``Filter: {Prefix:
""}`` whatever was put, and leaves out ``SourceSelectionCriteria`` (needed to replicate SSE-KMS
objects). A reconciler that reads the configuration back sees a difference on every run.

AWS: GetBucketReplication returns the rules as they were put (with those three elements).

Fix: the response handler builds each rule from the stored rule: the put values of those three
elements, moto's former defaults (``Disabled``, empty prefix) when they were not put.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

_MARK = "_estate_s3_replication_rule_fields_patched"


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = {
        "ID": rule["ID"],
        "Priority": rule["Priority"],
        "Status": rule["Status"],
        "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
        "Filter": rule.get("Filter") or {"Prefix": ""},
        "Destination": rule["Destination"],
    }
    if out["Filter"].get("Prefix") is None and set(out["Filter"]) == {"Prefix"}:
        out["Filter"] = {"Prefix": ""}
    if rule.get("SourceSelectionCriteria"):
        out["SourceSelectionCriteria"] = rule["SourceSelectionCriteria"]
    return out


def apply() -> None:
    if getattr(S3Response, _MARK, False):
        return

    def get_bucket_replication(self: S3Response) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [_rule(rule) for rule in replication["Rule"]]
        return self.serialized(
            ActionResult(
                {"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}
            )
        )

    S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]
    setattr(S3Response, _MARK, True)
