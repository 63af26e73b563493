# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the storage tier.

``estate.aws.storage_errors``: validate a stack's bucket data before touching AWS (bucket names
against S3's naming rules, lifecycle days, replication prerequisites). Returns a list of errors,
each naming the variable and the fix (empty when the data is valid).

``estate.aws.storage_plan``: turn the same data into the bucket list that
``estate.aws.s3_buckets`` reconciles: log bucket(s) first, then replica buckets in the standby
region, then the stack's buckets with their TLS-only policy, access logging and replication.

Both take one dict::

    {prefix, region, standby_region, tags, buckets, kms_key_arn, standby_kms_key_arn,
     replication_role_arn, account_id, log_expiration_days}

Only the stdlib is used.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

BUCKETS = "aws_storage_buckets"
PREFIX = "aws_storage_bucket_prefix"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PURPOSE_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# AWS: objects must stay this long before a transition to these classes.
MIN_DAYS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}


def bucket_name_errors(name: str, where: str) -> list[str]:
    """S3's rules for general purpose bucket names (dots are refused too: they break TLS on
    virtual-hosted URLs)."""
    errors = []
    fix = f"fix {where} (lowercase letters, digits and '-', 3 to 63 characters)"
    if not NAME_RE.match(name):
        errors.append(
            f"bucket name '{name}' breaks S3's naming rules (3-63 characters, lowercase letters, "
            f"digits, '-', starting and ending with a letter or digit, no '_'): {fix}"
        )
    if "." in name or ".." in name:
        errors.append(f"bucket name '{name}' contains '.': {fix}")
    try:
        ipaddress.ip_address(name)
        errors.append(f"bucket name '{name}' looks like an IP address: {fix}")
    except ValueError:
        pass
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            errors.append(f"bucket name '{name}' starts with the reserved '{prefix}': {fix}")
    for suffix in ("-s3alias", "--ol-s3", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            errors.append(f"bucket name '{name}' ends with the reserved '{suffix}': {fix}")
    return errors


def _names(spec: Mapping[str, Any]) -> dict[str, str]:
    return {str(b["name"]): f"{spec['prefix']}-{b['name']}" for b in spec.get("buckets") or []}


def storage_errors(spec: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    prefix = str(spec.get("prefix") or "")
    standby = str(spec.get("standby_region") or "")
    seen: set[str] = set()
    buckets = list(spec.get("buckets") or [])
    errors += bucket_name_errors(f"{prefix}-logs", PREFIX)
    for i, bucket in enumerate(buckets):
        where = f"{BUCKETS}[{i}]"
        purpose = str(bucket.get("name", ""))
        if purpose in seen:
            errors.append(
                f"{where}.name: duplicate bucket '{purpose}': give each bucket its own name"
            )
        seen.add(purpose)
        if purpose == "logs":
            errors.append(
                f"{where}.name: 'logs' is the stack's access-log bucket, made by the role: "
                "rename it"
            )
        if not PURPOSE_RE.match(purpose):
            errors.append(
                f"{where}.name '{purpose}' must be lowercase letters, digits and '-' "
                f"(it becomes part of the bucket name {prefix}-{purpose})"
            )
        errors += bucket_name_errors(f"{prefix}-{purpose}", f"{where}.name or {PREFIX}")
        if bucket.get("replicate"):
            if not standby or standby == spec.get("region"):
                errors.append(
                    f"{where}.replicate needs a standby region other than the stack's: set "
                    "aws_storage_standby_region (stack_standby_region)"
                )
            if not bucket.get("versioning", True):
                errors.append(f"{where}.replicate needs versioning: set {where}.versioning true")
            errors += bucket_name_errors(
                f"{prefix}-{purpose}-{standby}", f"{where}.name or {PREFIX} (replica name)"
            )
        ids: set[str] = set()
        for j, rule in enumerate(bucket.get("lifecycle") or []):
            errors += _rule_errors(rule, f"{where}.lifecycle[{j}]", ids)
    return errors


def _rule_errors(rule: Mapping[str, Any], where: str, ids: set[str]) -> list[str]:
    errors = []
    rule_id = str(rule.get("id", ""))
    if not rule_id or rule_id in ids:
        errors.append(f"{where}.id: every lifecycle rule needs an id unique within its bucket")
    ids.add(rule_id)
    last = 0
    for k, transition in enumerate(rule.get("transitions") or []):
        days = int(transition.get("days", 0))
        cls = str(transition.get("storage_class", "GLACIER"))
        if days <= 0:
            errors.append(f"{where}.transitions[{k}].days must be > 0 (got {days})")
        if days < MIN_DAYS.get(cls, 0):
            errors.append(
                f"{where}.transitions[{k}].days: {cls} needs at least {MIN_DAYS[cls]} days "
                f"(got {days})"
            )
        if days <= last and k > 0:
            errors.append(
                f"{where}.transitions[{k}].days must grow from one transition to the next"
            )
        last = max(last, days)
    expiry = rule.get("expiration_days")
    if expiry is not None:
        if int(expiry) <= 0:
            errors.append(f"{where}.expiration_days must be > 0 (got {expiry})")
        elif int(expiry) <= last:
            errors.append(
                f"{where}.expiration_days ({expiry}) must come after the last transition "
                f"({last} days): raise expiration_days or lower the transition days"
            )
    for key in (
        "noncurrent_transition_days",
        "noncurrent_expiration_days",
        "abort_incomplete_days",
    ):
        if key in rule and rule[key] is not None and int(rule[key]) <= 0:
            errors.append(f"{where}.{key} must be > 0 (got {rule[key]})")
    if (
        rule.get("noncurrent_transition_days")
        and rule.get("noncurrent_expiration_days")
        and int(rule["noncurrent_expiration_days"]) <= int(rule["noncurrent_transition_days"])
    ):
        errors.append(
            f"{where}.noncurrent_expiration_days must come after noncurrent_transition_days"
        )
    return errors


def _tls_only(arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _log_bucket(spec: Mapping[str, Any], name: str, region: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{name}"
    days = int(spec.get("log_expiration_days") or 0)
    return {
        "name": name,
        "region": region,
        "tags": {**spec["tags"], "Name": name, "purpose": "logs", "data-bearing": "false"},
        "versioning": True,
        # AWS delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS.
        "kms_key_arn": "",
        "policy": {
            "Version": "2012-10-17",
            "Statement": [
                _tls_only(arn),
                {
                    "Sid": "S3ServerAccessLogsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": ["s3:PutObject"],
                    "Resource": f"{arn}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": str(spec["account_id"])}},
                },
            ],
        },
        "lifecycle": (
            [
                {
                    "id": "expire-access-logs",
                    "expiration_days": days,
                    "noncurrent_expiration_days": 1,
                    "abort_incomplete_days": 7,
                }
            ]
            if days
            else []
        ),
    }


def storage_plan(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    region = str(spec["region"])
    standby = str(spec.get("standby_region") or "")
    prefix = str(spec["prefix"])
    buckets = list(spec.get("buckets") or [])
    replicated = [b for b in buckets if b.get("replicate")]
    log_name = f"{prefix}-logs"
    plan = [_log_bucket(spec, log_name, region)]
    standby_log = f"{prefix}-logs-{standby}"
    if replicated:
        plan.append(_log_bucket(spec, standby_log, standby))
    for bucket in replicated:
        name = f"{prefix}-{bucket['name']}-{standby}"
        arn = f"arn:aws:s3:::{name}"
        plan.append(
            {
                "name": name,
                "region": standby,
                "tags": {
                    **spec["tags"],
                    "Name": name,
                    "purpose": f"{bucket['name']}-replica",
                    "data-bearing": str(bool(bucket.get("data_bearing", True))).lower(),
                },
                "versioning": True,
                "kms_key_arn": str(spec.get("standby_kms_key_arn") or ""),
                "policy": {"Version": "2012-10-17", "Statement": [_tls_only(arn)]},
                "lifecycle": bucket.get("lifecycle") or [],
                "logging": {
                    "target_bucket": standby_log,
                    "target_prefix": f"{bucket['name']}-replica/",
                },
            }
        )
    for bucket in buckets:
        name = f"{prefix}-{bucket['name']}"
        arn = f"arn:aws:s3:::{name}"
        entry: dict[str, Any] = {
            "name": name,
            "region": region,
            "tags": {
                **spec["tags"],
                "Name": name,
                "purpose": str(bucket["name"]),
                "data-bearing": str(bool(bucket.get("data_bearing", True))).lower(),
            },
            "versioning": bool(bucket.get("versioning", True)),
            "kms_key_arn": str(spec.get("kms_key_arn") or ""),
            "policy": {"Version": "2012-10-17", "Statement": [_tls_only(arn)]},
            "lifecycle": bucket.get("lifecycle") or [],
            "logging": {"target_bucket": log_name, "target_prefix": f"{bucket['name']}/"},
        }
        if bucket.get("replicate") and spec.get("replication_role_arn"):
            entry["replication"] = {
                "role_arn": spec["replication_role_arn"],
                "rules": [
                    {
                        "id": f"to-{standby}",
                        "destination_bucket_arn": f"arn:aws:s3:::{name}-{standby}",
                        "replica_kms_key_arn": str(spec.get("standby_kms_key_arn") or ""),
                    }
                ],
            }
        plan.append(entry)
    return plan


def storage_names(spec: Mapping[str, Any]) -> dict[str, str]:
    """Purpose -> bucket name (what the identity tier scopes its policies to)."""
    return _names(spec)


def bucket_output(name: str) -> dict[str, str]:
    """{name, arn} of a bucket (the storage outputs)."""
    return {"name": str(name), "arn": f"arn:aws:s3:::{name}"}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "storage_errors": storage_errors,
            "storage_plan": storage_plan,
            "storage_names": storage_names,
            "bucket_output": bucket_output,
        }
