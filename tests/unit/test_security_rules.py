"""The security predicates of tests/provision/checks_security.py on resource descriptions shaped
like boto3's answers: each rule passes a compliant resource and fails a bad one, naming it (so the
policy tests over the provisioned stacks could fail). No emulator."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from support.playbook import REPO

# The provisioning checks import each other by module name (as pytest's rootdir-relative
# imports give them when tests/provision is collected); make that true for this file alone too.
sys.path.insert(0, str(REPO / "tests" / "provision"))
import checks_security as rules

KEY = {
    "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "Arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}
ACCEPTED = rules.accepted_key_ids(KEY, "cubed")
OTHER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/ffffffff-0000-0000-0000-000000000000"


def group(*rules_: dict[str, Any]) -> dict[str, Any]:
    return {"GroupName": "web", "GroupId": "sg-0123", "IpPermissions": list(rules_)}


def tcp(low: int, high: int, cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    ranges = (
        {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    )
    return {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, **ranges}


@pytest.mark.parametrize(
    ("description", "exposed"),
    [
        (group(tcp(443, 443), tcp(80, 80)), None),
        (group(tcp(22, 22, "203.0.113.0/24")), None),
        (
            group(
                {
                    "IpProtocol": "icmp",
                    "FromPort": -1,
                    "ToPort": -1,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ),
            None,
        ),
        (group(tcp(22, 22)), "[22]"),
        (group(tcp(3389, 3389, "::/0")), "[3389]"),
        (group(tcp(3000, 6000)), "[3389, 3306, 5432]"),
        (group(tcp(27017, 27017), tcp(6379, 6379)), "[27017]"),
        (group({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}), "[22, 3389"),
        (
            group(
                {
                    "IpProtocol": "udp",
                    "FromPort": 1433,
                    "ToPort": 1521,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ),
            "[1433, 1521]",
        ),
    ],
)
def test_world_open_ports(description: dict[str, Any], exposed: str | None) -> None:
    found = rules.world_open_ports(description)
    if exposed is None:
        assert found == []
    else:
        assert found and "web (sg-0123)" in found[0] and exposed in found[0], found


@pytest.mark.parametrize(
    ("metadata", "bad"),
    [
        ({"HttpTokens": "required", "HttpEndpoint": "enabled"}, False),
        ({"HttpTokens": "optional"}, True),
        ({}, True),
        (None, True),
    ],
)
def test_imdsv2(metadata: dict[str, Any] | None, bad: bool) -> None:
    found = rules.imdsv1_allowed("instance cubed-web-1 (i-1)", metadata)
    assert bool(found) is bad
    assert all("cubed-web-1" in f for f in found)


def test_accepted_keys_are_the_stack_key_only() -> None:
    assert ACCEPTED == {
        KEY["KeyId"],
        KEY["Arn"],
        "alias/cubed",
        "arn:aws:kms:eu-west-1:123456789012:alias/cubed",
    }
    for other in (OTHER_KEY, "alias/aws/s3", "alias/mobile", "", None):
        assert rules.not_stack_key("SQS queue q", other, ACCEPTED), other
    for mine in ACCEPTED:
        assert rules.not_stack_key("SQS queue q", mine, ACCEPTED) == []


@pytest.mark.parametrize(
    ("volume", "bad"),
    [
        ({"VolumeId": "vol-1", "Encrypted": True, "KmsKeyId": KEY["Arn"]}, False),
        ({"VolumeId": "vol-1", "Encrypted": False}, True),
        ({"VolumeId": "vol-1", "Encrypted": True, "KmsKeyId": OTHER_KEY}, True),
    ],
)
def test_volume_encryption(volume: dict[str, Any], bad: bool) -> None:
    found = rules.unencrypted_volume(volume, ACCEPTED)
    assert bool(found) is bad and all("vol-1" in f for f in found)


@pytest.mark.parametrize(
    ("db", "bad"),
    [
        (
            {"DBInstanceIdentifier": "akb-wp", "StorageEncrypted": True, "KmsKeyId": KEY["Arn"]},
            False,
        ),
        ({"DBInstanceIdentifier": "akb-wp", "StorageEncrypted": False}, True),
        ({"DBInstanceIdentifier": "akb-wp", "StorageEncrypted": True, "KmsKeyId": OTHER_KEY}, True),
    ],
)
def test_db_encryption(db: dict[str, Any], bad: bool) -> None:
    found = rules.unencrypted_db(db, ACCEPTED)
    assert bool(found) is bad and all("akb-wp" in f for f in found)


def sse(algorithm: str, key: str | None = None) -> dict[str, Any]:
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}


@pytest.mark.parametrize(
    ("encryption", "log_target", "bad"),
    [
        (sse("aws:kms", KEY["Arn"]), False, False),
        (sse("aws:kms", "alias/cubed"), False, False),
        (sse("AES256"), True, False),
        (sse("AES256"), False, True),
        (sse("aws:kms", OTHER_KEY), False, True),
        (sse("aws:kms", OTHER_KEY), True, True),
        (sse("aws:kms"), False, True),
        (None, False, True),
        ({"Rules": []}, True, True),
    ],
)
def test_bucket_encryption(encryption: dict[str, Any] | None, log_target: bool, bad: bool) -> None:
    found = rules.unencrypted_bucket("cubed-data", encryption, ACCEPTED, log_target)
    assert bool(found) is bad and all("cubed-data" in f for f in found)


def test_public_access_block() -> None:
    assert rules.public_bucket("cubed-data", dict.fromkeys(rules.BLOCK_ALL, True)) == []
    for flag in rules.BLOCK_ALL:
        found = rules.public_bucket(
            "cubed-data", {**dict.fromkeys(rules.BLOCK_ALL, True), flag: False}
        )
        assert len(found) == 1 and "cubed-data" in found[0] and flag in found[0]
    assert rules.public_bucket("cubed-data", None)


@pytest.mark.parametrize(
    ("statement", "bad"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["*"]}, True),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::cubed-data/*"}, False),
        ({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}, False),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
    ],
)
def test_wildcard_grants(statement: dict[str, Any], bad: bool) -> None:
    document = {"Version": "2012-10-17", "Statement": statement}
    found = rules.wildcard_grants("cubed-admin", document)
    assert bool(found) is bad and all("cubed-admin" in f for f in found)
    assert rules.wildcard_grants("cubed-admin", json.dumps(document)) == found


def test_secret_values_and_leaks() -> None:
    # pragma: allowlist nextline secret - a made-up secret for the rule
    secret = '{"username": "admin", "password": "s3cr3t-Pa55word-xyz", "host": "db", "port": 5432}'
    assert rules.secret_values(secret) == ["s3cr3t-Pa55word-xyz"]
    assert rules.secret_values("plain-token-value") == ["plain-token-value"]
    values = rules.secret_values(secret)
    clean = "TASK [aws_database : x]\nok: [localhost] => (item=admin@db:5432)"
    assert rules.leaked_secrets("akb/database/wp", values, [clean]) == []
    leaked = rules.leaked_secrets("akb/database/wp", values, [clean, clean + values[0]])
    assert leaked == ["secret akb/database/wp: printed in the output of run 2"]
    assert rules.leaked_secrets("x", ["short"], [clean]), "a short value proves nothing"
