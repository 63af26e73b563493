"""Read-back checks of the stack's KMS keys (roles/aws_kms), called by test_lifecycle.py."""

from __future__ import annotations

import json
from typing import Any

from conftest import Emulator
from support.stack import stack_vars

KMS_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "aws_kms_alias",
    "aws_kms_replica_regions",
    "aws_kms_cloudfront_enabled",
)


def stack_keys(emulator: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    """Region -> metadata of the key the stack's alias names there (absent: no such alias)."""
    data = stack_vars(stack, KMS_VARS)
    alias = f"alias/{data['aws_kms_alias'] or data['stack_name']}"
    keys = {}
    for region in [data["stack_region"], *(data["aws_kms_replica_regions"] or [])]:
        kms = emulator.client("kms", region)
        targets = [
            a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias
        ]
        if targets:
            keys[region] = kms.describe_key(KeyId=targets[0])["KeyMetadata"]
    return keys


def check_kms(emulator: Emulator, stack: str) -> None:
    """The stack key in every region: enabled, rotating, tagged, usable by CloudWatch Logs only
    for this account's log groups of its region."""
    data = stack_vars(stack, KMS_VARS)
    keys = stack_keys(emulator, stack)
    assert sorted(keys) == sorted([data["stack_region"], *(data["aws_kms_replica_regions"] or [])])
    for region, key in keys.items():
        kms = emulator.client("kms", region)
        assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
        tags = {
            t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
        }
        assert data["stack_tags"].items() <= tags.items()
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        logs = [
            s for s in policy["Statement"] if s["Principal"].get("Service", "").startswith("logs.")
        ]
        assert logs[0]["Principal"]["Service"] == f"logs.{region}.amazonaws.com"
        context = logs[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert context.startswith(f"arn:aws:logs:{region}:")
        services = {s["Sid"]: s for s in policy["Statement"] if "Service" in s["Principal"]}
        account = key["Arn"].split(":")[4]
        alarms = services["CloudWatchAlarmsPublishToEncryptedTopics"]
        assert alarms["Principal"]["Service"] == "cloudwatch.amazonaws.com"
        assert alarms["Condition"]["StringEquals"]["aws:SourceAccount"] == account
        cdn = services.get("CloudFrontReadsEncryptedOrigins")
        assert bool(cdn) == bool(data["aws_kms_cloudfront_enabled"]), f"{stack}: CloudFront grant"
        if cdn:
            assert cdn["Action"] == ["kms:Decrypt"]
            assert cdn["Condition"]["ArnLike"]["aws:SourceArn"] == (
                f"arn:aws:cloudfront::{account}:distribution/*"
            )
