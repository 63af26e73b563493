"""Pure-Python parts of estate.aws.dynamodb_tables (module_utils/dynamodb.py): validation of the
wanted tables, the flat settings of a wanted and an existing table, the key schema check, the
CreateTable request and the ordered update calls. No AWS."""

from __future__ import annotations

from typing import Any

import pytest
from support.source import load_plugin

ddb = load_plugin("module_utils/dynamodb.py")
ownership = load_plugin("module_utils/ownership.py")

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1111"
ORDERS = {
    "name": "mobile-production-orders",
    "hash_key": {"name": "pk", "type": "S"},
    "range_key": {"name": "sk", "type": "N"},
    "ttl_attribute": "expires_at",
    "stream": "NEW_AND_OLD_IMAGES",
}
COUNTERS = {
    "name": "mobile-production-counters",
    "hash_key": {"name": "id", "type": "S"},
    "billing_mode": "PROVISIONED",
    "read_capacity": 2,
    "write_capacity": 3,
    "point_in_time_recovery": False,
    "deletion_protection": True,
}


def test_good_tables_have_no_errors() -> None:
    assert ddb.table_errors([ORDERS, COUNTERS], "alias/mobile") == []
    assert ddb.table_errors([], None) == []


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        ({"name": "x"}, "tables must be a list"),
        ([ORDERS], "kms_key is required"),
        ([{"name": "ab", "hash_key": {"name": "a", "type": "S"}}], "tables[0].name 'ab' must be"),
        ([{"name": "bad name!"}], "3-255 characters"),
        ([ORDERS, ORDERS], "(mobile-production-orders).name is used twice"),
        ([{"name": "t-one"}], "tables[0] (t-one).hash_key is required"),
        ([{"name": "t-one", "hash_key": {"name": "a", "type": "X"}}], ".hash_key.type 'X' must"),
        ([{"name": "t-one", "hash_key": "pk"}], ".hash_key must be a mapping"),
        ([{"name": "t-one", "hash_key": {"name": "a", "type": "S", "x": 1}}], "unknown field(s) x"),
        (
            [{"name": "t-one", "hash_key": {"name": "a", "type": "S"}, "range_key": {"type": "S"}}],
            ".range_key.name must be",
        ),
        (
            [
                {
                    "name": "t-one",
                    "hash_key": {"name": "a", "type": "S"},
                    "range_key": {"name": "a", "type": "S"},
                }
            ],
            "range_key.name must differ",
        ),
        ([{**COUNTERS, "billing_mode": "ON_DEMAND"}], ".billing_mode 'ON_DEMAND' must be one of"),
        ([{**COUNTERS, "read_capacity": 0}], ".read_capacity 0 must be an integer from 1"),
        ([{**COUNTERS, "write_capacity": None}], ".write_capacity None must be an integer"),
        ([{**ORDERS, "read_capacity": 5}], ".read_capacity is only for billing_mode PROVISIONED"),
        ([{**ORDERS, "point_in_time_recovery": "yes"}], ".point_in_time_recovery must be true"),
        ([{**ORDERS, "stream": "ALL"}], ".stream 'ALL' must be one of NEW_IMAGE"),
        ([{**ORDERS, "ttl_attribute": ""}], ".ttl_attribute must be an attribute name"),
        ([{**ORDERS, "colour": "red"}], "(mobile-production-orders): unknown field(s) colour"),
    ],
)
def test_table_errors_name_the_table_and_field(tables: Any, expected: str) -> None:
    kms = None if expected.startswith("kms_key") else "alias/k"
    errors = ddb.table_errors(tables, kms)
    assert any(expected in e for e in errors), errors


def describe(**over: Any) -> dict[str, Any]:
    """A DescribeTable answer for ORDERS as created, with OVER on top."""
    table = {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "DeletionProtectionEnabled": False,
    }
    table.update(over)
    return table


PITR_ON = {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}}
TTL_ON = {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_a_converged_table_needs_no_call() -> None:
    wanted = ddb.wanted_settings(ddb.normalise(ORDERS), KEY)
    current = ddb.current_settings(describe(), PITR_ON, TTL_ON)
    assert current == wanted
    assert ddb.key_schema_errors(ORDERS["name"], wanted, current) == []
    assert ddb.changed_fields(wanted, current) == []
    assert ddb.update_calls(wanted, current) == []


def test_update_calls_one_change_at_a_time_in_order() -> None:
    wanted = ddb.wanted_settings(ddb.normalise({**ORDERS, "stream": "KEYS_ONLY"}), KEY)
    current = ddb.current_settings(
        describe(
            BillingModeSummary={"BillingMode": "PROVISIONED"},
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            SSEDescription={"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "other"},
            DeletionProtectionEnabled=True,
        ),
        {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}},
        {"TimeToLiveStatus": "ENABLED", "AttributeName": "old_ttl"},
    )
    assert set(ddb.changed_fields(wanted, current)) == {
        "billing_mode",
        "read_capacity",
        "write_capacity",
        "sse_kms_key",
        "stream",
        "deletion_protection",
        "point_in_time_recovery",
        "ttl_attribute",
    }
    assert ddb.update_calls(wanted, current) == [
        ("update_table", {"BillingMode": "PAY_PER_REQUEST"}),
        (
            "update_table",
            {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}},
        ),
        ("update_table", {"StreamSpecification": {"StreamEnabled": False}}),
        (
            "update_table",
            {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}},
        ),
        ("update_table", {"DeletionProtectionEnabled": False}),
        (
            "update_continuous_backups",
            {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
        ),
        (
            "update_time_to_live",
            {"TimeToLiveSpecification": {"Enabled": False, "AttributeName": "old_ttl"}},
        ),
        (
            "update_time_to_live",
            {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires_at"}},
        ),
    ]


def test_provisioned_capacity_change_and_stream_removal() -> None:
    counters = ddb.normalise(COUNTERS)
    wanted = ddb.wanted_settings({**counters, "read_capacity": 10}, KEY)
    current = ddb.current_settings(
        {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            # Tables created as PROVISIONED long ago have no BillingModeSummary.
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
            "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY},
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            "DeletionProtectionEnabled": True,
        },
        {},
        {"TimeToLiveStatus": "DISABLED"},
    )
    calls = ddb.update_calls(wanted, current)
    assert calls == [
        (
            "update_table",
            {
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 3},
            },
        ),
        ("update_table", {"StreamSpecification": {"StreamEnabled": False}}),
    ]


def test_on_demand_ignores_capacity_and_sse_off_counts_as_no_key() -> None:
    current = ddb.current_settings(
        describe(
            ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 9},
            SSEDescription={"Status": "DISABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY},
        ),
        PITR_ON,
        {"TimeToLiveStatus": "ENABLING", "AttributeName": "expires_at"},
    )
    assert current["read_capacity"] is None and current["sse_kms_key"] is None
    assert current["ttl_attribute"] == "expires_at"


def test_key_schema_changes_are_errors_naming_the_table_and_field() -> None:
    current = ddb.current_settings(describe(), PITR_ON, TTL_ON)
    wanted = ddb.wanted_settings(
        ddb.normalise({**ORDERS, "range_key": {"name": "sk", "type": "S"}}), KEY
    )
    errors = ddb.key_schema_errors(ORDERS["name"], wanted, current)
    assert len(errors) == 1
    assert errors[0].startswith("tables (mobile-production-orders).range_key:")
    assert "sk (N)" in errors[0] and "sk (S)" in errors[0] and "cannot change in place" in errors[0]
    no_range = ddb.wanted_settings(ddb.normalise({**ORDERS, "range_key": None}), KEY)
    assert "but none is wanted" in ddb.key_schema_errors("t", no_range, current)[0]


def test_create_request_and_the_calls_after_it() -> None:
    tags = {"stack": "mobile", "tier": "serverless"}
    request = ddb.create_request(ddb.normalise(ORDERS), KEY, tags)
    assert request["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert request["AttributeDefinitions"][1] == {"AttributeName": "sk", "AttributeType": "N"}
    assert request["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in request
    assert request["SSESpecification"] == {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}
    assert request["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert request["Tags"] == [
        {"Key": "stack", "Value": "mobile"},
        {"Key": "tier", "Value": "serverless"},
    ]
    assert [c[0] for c in ddb.after_create_calls(ddb.normalise(ORDERS))] == [
        "update_continuous_backups",
        "update_time_to_live",
    ]
    counters = ddb.create_request(ddb.normalise(COUNTERS), KEY, tags)
    assert counters["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    assert counters["DeletionProtectionEnabled"] is True and "StreamSpecification" not in counters
    assert ddb.after_create_calls(ddb.normalise(COUNTERS)) == []


def test_tags_and_ownership() -> None:
    owner = {"stack": "mobile", "managed-by": "ansible", "tier": "serverless"}
    assert ownership.owned_by({**owner, "env": "x"}, owner)
    assert not ownership.owned_by({"stack": "mobile", "tier": "serverless"}, owner)
    assert ownership.tag_changes(
        {"stack": "mobile", "extra": "kept"}, {"stack": "mobile", "env": "p"}
    ) == {"env": "p"}
