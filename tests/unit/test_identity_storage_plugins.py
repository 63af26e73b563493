"""Pure-Python parts of the identity and storage tiers: the filters' validation rules and policy
rendering, and the comparison and rule translation of estate.aws.s3_buckets."""

from __future__ import annotations

from typing import Any

import pytest
from support.source import load_plugin

identity = load_plugin("filter/identity.py")
storage = load_plugin("filter/storage.py")
s3_buckets = load_plugin("modules/s3_buckets.py")

CTX: dict[str, Any] = {
    "stack": "cubed",
    "region": "eu-west-1",
    "account_id": "123456789012",
    "bucket_prefix": "cubed-production",
    "buckets": ["models"],
    "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
    "admin_cidrs": ["203.0.113.0/28"],
    "roles": [],
    "policies": [],
    "groups": [],
}


def test_policy_document_scopes_names_to_arns() -> None:
    statements = [
        {"sid": "Models", "actions": ["s3:GetObject"], "buckets": ["models"], "mfa": True},
        {"actions": ["secretsmanager:GetSecretValue"], "secrets": ["db"], "admin_networks": True},
        {"actions": ["kms:Decrypt"], "stack_key": True},
        {"actions": ["sns:Publish"], "resources": ["arn:aws:sns:{region}:{account}:{stack}-*"]},
    ]
    doc = identity.iam_policy_document(statements, CTX)
    first, secret, key, topic = doc["Statement"]
    assert first["Sid"] == "Models"
    assert first["Resource"] == [
        "arn:aws:s3:::cubed-production-models",
        "arn:aws:s3:::cubed-production-models/*",
    ]
    assert first["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert secret["Resource"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cubed/db-*"
    assert secret["Condition"] == {"IpAddress": {"aws:SourceIp": ["203.0.113.0/28"]}}
    assert key["Resource"] == CTX["key_arn"]
    assert topic["Resource"] == "arn:aws:sns:eu-west-1:123456789012:cubed-*"


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ([{"name": "p", "statements": [{"actions": ["s3:GetObject"], "buckets": ["x"]}]}], "'x'"),
        ([{"name": "p", "statements": [{"actions": ["s3:*"], "resources": ["*"]}]}], "'*'"),
        ([{"name": "p", "statements": [{"actions": ["ec2:Describe*"]}]}], "name what"),
        ([{"name": "P_1", "statements": [{"actions": ["a:b"], "resources": ["*"]}]}], "lowercase"),
    ],
)
def test_identity_errors(policies: list[dict[str, Any]], message: str) -> None:
    errors = identity.identity_errors({**CTX, "policies": policies})
    assert any(message in e for e in errors), errors


def test_identity_accepts_deny_on_everything_and_profile_defaults() -> None:
    deny = {"effect": "Deny", "actions": ["*"], "resources": ["*"]}
    assert (
        identity.identity_errors({**CTX, "policies": [{"name": "p", "statements": [deny]}]}) == []
    )
    roles = [
        {"name": "web"},
        {"name": "fn", "services": ["lambda.amazonaws.com"]},
        {"name": "fn2", "services": ["lambda.amazonaws.com"], "instance_profile": True},
        {"name": "web2", "instance_profile": False},
    ]
    assert [r["name"] for r in identity.instance_profile_roles(roles)] == ["web", "fn2"]


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Upper-case", "under_score", "192.168.1.10", "xn--abc", "b-s3alias", "a.b.c"],
)
def test_bad_bucket_names(name: str) -> None:
    assert storage.bucket_name_errors(name, "where")


def test_good_bucket_name() -> None:
    assert storage.bucket_name_errors("mobile-production-media-us-west-2", "where") == []


def spec(**bucket: Any) -> dict[str, Any]:
    return {
        "prefix": "mobile-production",
        "region": "us-east-1",
        "standby_region": "us-west-2",
        "tags": {"stack": "mobile"},
        "buckets": [{"name": "media", **bucket}],
        "kms_key_arn": "arn:k1",
        "standby_kms_key_arn": "arn:k2",
        "replication_role_arn": "arn:role",
        "account_id": "123456789012",
        "log_expiration_days": 365,
    }


@pytest.mark.parametrize(
    ("lifecycle", "message"),
    [
        ([{"id": "a", "transitions": [{"days": 0}]}], "must be > 0"),
        ([{"id": "a", "transitions": [{"days": 90}], "expiration_days": 90}], "must come after"),
        (
            [{"id": "a", "transitions": [{"days": 10, "storage_class": "STANDARD_IA"}]}],
            "at least 30",
        ),
        ([{"id": "a"}, {"id": "a"}], "unique"),
    ],
)
def test_lifecycle_errors(lifecycle: list[dict[str, Any]], message: str) -> None:
    errors = storage.storage_errors(spec(lifecycle=lifecycle))
    assert any(message in e for e in errors), errors


def test_storage_plan_orders_and_scopes() -> None:
    plan = storage.storage_plan(spec(replicate=True))
    names = [b["name"] for b in plan]
    assert names == [
        "mobile-production-logs",
        "mobile-production-logs-us-west-2",
        "mobile-production-media-us-west-2",
        "mobile-production-media",
    ]
    logs, _, replica, media = plan
    assert logs["kms_key_arn"] == ""  # access logs need SSE-S3
    assert replica["kms_key_arn"] == "arn:k2" and replica["region"] == "us-west-2"
    assert media["kms_key_arn"] == "arn:k1"
    assert media["logging"]["target_bucket"] == "mobile-production-logs"
    rule = media["replication"]["rules"][0]
    assert rule["destination_bucket_arn"] == "arn:aws:s3:::mobile-production-media-us-west-2"
    assert media["policy"]["Statement"][0]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }


def test_contains_ignores_added_fields_but_not_missing_items() -> None:
    contains = s3_buckets.contains
    assert contains({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})
    assert not contains({"a": [1, 2]}, {"a": [1]})
    assert not contains(None, {"a": 1})
    assert contains([{"ID": "x", "Extra": 1}], [{"ID": "x"}])


def test_lifecycle_rules_translate_to_the_api() -> None:
    (rule,) = s3_buckets.lifecycle_rules(
        [
            {
                "id": "r",
                "transitions": [{"days": 90}],
                "expiration_days": 365,
                "noncurrent_transition_days": 30,
                "noncurrent_expiration_days": 60,
                "abort_incomplete_days": 7,
            }
        ]
    )
    assert rule == {
        "ID": "r",
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": 365},
        "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 60},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }


# --- s3_buckets: statements other tiers keep in the stack's bucket policies ------------------


def test_preserved_policy_keeps_matching_statements_the_module_does_not_write() -> None:
    import re

    tls = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "s3:*"}
    cdn = {"Sid": "CloudFrontReadweb", "Effect": "Allow", "Action": "s3:GetObject"}
    other = {"Sid": "AddedByHand", "Effect": "Allow", "Action": "s3:GetObject"}
    wanted = {"Version": "2012-10-17", "Statement": [tls]}
    current = {"Version": "2012-10-17", "Statement": [cdn, tls, other]}
    keep = [re.compile("^CloudFrontRead")]
    merged = s3_buckets.preserved_policy(current, wanted, keep)
    assert merged == {"Version": "2012-10-17", "Statement": [tls, cdn]}
    assert s3_buckets.preserved_policy(current, wanted, []) == wanted
    # A statement the module defines itself is the module's, whatever its Sid.
    own = {"Version": "2012-10-17", "Statement": [{**cdn, "Effect": "Deny"}]}
    assert s3_buckets.preserved_policy(current, own, keep) == own
    # With no policy of its own, the kept statements are the whole policy.
    assert s3_buckets.preserved_policy(current, {}, keep)["Statement"] == [cdn]
    assert s3_buckets.preserved_policy({}, {}, keep) == {}


def test_same_policy_ignores_statement_order_only() -> None:
    a, b = {"Sid": "A", "Effect": "Allow"}, {"Sid": "B", "Effect": "Deny"}
    assert s3_buckets.same_policy({"Statement": [a, b]}, {"Statement": [b, a]})
    assert not s3_buckets.same_policy({"Statement": [a]}, {"Statement": [a, b]})
    assert not s3_buckets.same_policy({"Version": "1", "Statement": [a]}, {"Statement": [a]})
    assert s3_buckets.same_policy({}, {})
