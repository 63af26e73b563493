"""AKB's scheduled storage report (AKB's ecosystem note, "7. Automation": "Schedule jobs like
generating reports"), invoked daily by an EventBridge rule
(inventories/akb/group_vars/all/serverless.yml).

It counts the objects and bytes of each bucket of BUCKETS (comma-separated: the documents and
media buckets), by top-level folder and by storage class (the buckets move objects to Glacier),
and writes the report as JSON to REPORT_BUCKET under REPORT_PREFIX<date>.json. The bucket's
default encryption (SSE-KMS with the stack key) encrypts it; the function's role may list those
buckets and write there only.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any


def summarise(s3: Any, bucket: str) -> dict[str, Any]:
    """Objects and bytes of BUCKET, in total, by top-level folder and by storage class."""
    summary: dict[str, Any] = {"objects": 0, "bytes": 0, "folders": {}, "classes": {}}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            folder = item["Key"].split("/", 1)[0] if "/" in item["Key"] else ""
            size = int(item.get("Size", 0))
            summary["objects"] += 1
            summary["bytes"] += size
            entry = summary["folders"].setdefault(folder, {"objects": 0, "bytes": 0})
            entry["objects"] += 1
            entry["bytes"] += size
            storage_class = item.get("StorageClass", "STANDARD")
            summary["classes"][storage_class] = summary["classes"].get(storage_class, 0) + 1
    return summary


def report_day(event: dict[str, Any]) -> str:
    """The day the report is for: the scheduled event's time, else now (UTC)."""
    stamp = event.get("time")
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


def handler(event: dict[str, Any], context: Any = None, s3: Any = None) -> dict[str, Any]:
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    buckets = [b for b in os.environ["BUCKETS"].split(",") if b]
    day = report_day(event or {})
    report = {"day": day, "buckets": {bucket: summarise(s3, bucket) for bucket in buckets}}
    key = f"{os.environ.get('REPORT_PREFIX', 'reports/storage/')}{day}.json"
    s3.put_object(
        Bucket=os.environ["REPORT_BUCKET"],
        Key=key,
        Body=json.dumps(report, sort_keys=True).encode(),
        ContentType="application/json",
    )
    return {"report": key, "objects": sum(b["objects"] for b in report["buckets"].values())}
