"""Storage tier read-back: every bucket of a stack (log bucket and replicas included) with its
encryption, public access block, ownership, TLS-only policy, versioning, lifecycle, access
logging and replication, against the stack data."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from conftest import Emulator
from support.stack import stack_vars

STORAGE_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "stack_bucket_prefix",
    "aws_storage_buckets",
    "stack_standby_region",
)
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def stack_buckets(emulator: Emulator, stack: str, region: str) -> dict[str, dict[str, str]]:
    """Bucket name -> tags of every bucket tagged stack=<stack> (one listing, tags per bucket)."""
    s3 = emulator.client("s3", region)
    found = {}
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            tag_set = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except ClientError:
            continue
        tags = {t["Key"]: t["Value"] for t in tag_set}
        if tags.get("stack") == stack:
            found[bucket["Name"]] = tags
    return found


def check_bucket(
    s3: Any, name: str, key_arn: str | None, lifecycle: list[dict[str, Any]], log_bucket: str | None
) -> None:
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == BLOCK_ALL
    ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
    (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    default = rule["ApplyServerSideEncryptionByDefault"]
    if key_arn:
        assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"] == key_arn, name
        assert rule["BucketKeyEnabled"] is True, name
    else:
        assert default["SSEAlgorithm"] == "AES256", name
    assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled", name
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    tls = [s for s in policy["Statement"] if s.get("Sid") == "DenyInsecureTransport"]
    assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Principal"] == "*", name
    assert tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, name
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow" and s["Principal"] == "*"]
    if lifecycle:
        rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]}
        assert set(rules) == {r["id"] for r in lifecycle}, name
        for spec in lifecycle:
            rule = rules[spec["id"]]
            assert rule["Status"] == "Enabled"
            transitions = [(t["Days"], t["StorageClass"]) for t in rule.get("Transitions", [])]
            assert transitions == [
                (t["days"], t.get("storage_class", "GLACIER")) for t in spec.get("transitions", [])
            ], name
            if spec.get("expiration_days"):
                assert rule["Expiration"]["Days"] == spec["expiration_days"]
            if spec.get("noncurrent_expiration_days"):
                assert (
                    rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                    == spec["noncurrent_expiration_days"]
                )
            if spec.get("noncurrent_transition_days"):
                (moved,) = rule["NoncurrentVersionTransitions"]
                assert moved["NoncurrentDays"] == spec["noncurrent_transition_days"]
                assert moved["StorageClass"] == spec.get("noncurrent_storage_class", "GLACIER")
    logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if log_bucket:
        assert logging and logging["TargetBucket"] == log_bucket, name
    else:
        assert not logging, f"{name} logs to itself"


def check_storage(emulator: Emulator, stack: str) -> None:
    data = stack_vars(stack, STORAGE_VARS)
    region, prefix = data["stack_region"], data["stack_bucket_prefix"]
    standby = data["stack_standby_region"] or ""
    specs = data["aws_storage_buckets"] or []
    replicated = [b for b in specs if b.get("replicate")]
    kms = emulator.client("kms", region)
    key_arn = kms.describe_key(KeyId=f"alias/{stack}")["KeyMetadata"]["Arn"]
    s3 = emulator.client("s3", region)

    found = stack_buckets(emulator, stack, region)
    wanted = {f"{prefix}-logs"} | {f"{prefix}-{b['name']}" for b in specs}
    if replicated:
        wanted |= {f"{prefix}-logs-{standby}"}
        wanted |= {f"{prefix}-{b['name']}-{standby}" for b in replicated}
    assert set(found) == wanted, f"buckets {sorted(found)} != {sorted(wanted)}"
    for name, tags in found.items():
        assert data["stack_tags"].items() <= tags.items(), f"{name} lacks the stack's tags"

    log_bucket = f"{prefix}-logs"
    check_bucket(s3, log_bucket, None, [], None)
    log_policy = json.loads(s3.get_bucket_policy(Bucket=log_bucket)["Policy"])
    delivery = [
        s
        for s in log_policy["Statement"]
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert delivery and "aws:SourceAccount" in delivery[0]["Condition"]["StringEquals"]
    for spec in specs:
        name = f"{prefix}-{spec['name']}"
        check_bucket(s3, name, key_arn, spec.get("lifecycle") or [], log_bucket)
        assert found[name]["data-bearing"] == str(spec.get("data_bearing", True)).lower()
        try:
            replication = s3.get_bucket_replication(Bucket=name)["ReplicationConfiguration"]
        except ClientError:
            replication = None
        if not spec.get("replicate"):
            assert replication is None, f"{name} must not replicate"
            continue
        standby_s3 = emulator.client("s3", standby)
        standby_key = emulator.client("kms", standby).describe_key(KeyId=f"alias/{stack}")[
            "KeyMetadata"
        ]["Arn"]
        (rule,) = replication["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{name}-{standby}"
        assert rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"] == standby_key
        assert rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"]["Status"] == "Enabled"
        role_name = replication["Role"].rsplit("/", 1)[-1]
        check_replication_role(
            emulator, region, role_name, prefix, [b["name"] for b in replicated], standby
        )
        replica = f"{name}-{standby}"
        location = standby_s3.get_bucket_location(Bucket=replica)["LocationConstraint"]
        assert location == standby
        check_bucket(
            standby_s3,
            replica,
            standby_key,
            spec.get("lifecycle") or [],
            f"{prefix}-logs-{standby}",
        )


def check_replication_role(
    emulator: Emulator, region: str, role_name: str, prefix: str, purposes: list[str], standby: str
) -> None:
    iam = emulator.client("iam", region)
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="replicate")["PolicyDocument"]
    for statement in policy["Statement"]:
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        assert "*" not in resources, statement
    writes = next(s for s in policy["Statement"] if s["Sid"] == "WriteReplicas")
    assert sorted(writes["Resource"]) == sorted(
        f"arn:aws:s3:::{prefix}-{p}-{standby}/*" for p in purposes
    )


def storage_left(emulator: Emulator, stack: str) -> dict[str, set[str]]:
    region = stack_vars(stack, STORAGE_VARS)["stack_region"]
    return {"s3_bucket": set(stack_buckets(emulator, stack, region))}
