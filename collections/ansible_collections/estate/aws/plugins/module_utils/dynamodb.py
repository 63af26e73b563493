# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of ``estate.aws.dynamodb_tables``: validation of the wanted tables, the wanted
and current settings of a table in one flat shape (what the diff shows), the CreateTable request,
the key schema check, and the ordered update calls that turn what exists into what is wanted.
Only the stdlib is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# DynamoDB: 3-255 characters of [A-Za-z0-9_.-]; attribute names 1-255 characters.
TABLE_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,255}$")
ATTRIBUTE_MAX = 255
KEY_TYPES = ("S", "N", "B")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEWS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
# Provisioned capacity units accepted here (AWS's default account quota is 40,000 per table).
CAPACITY_RANGE = (1, 40000)
TABLE_FIELDS = (
    "name",
    "hash_key",
    "range_key",
    "billing_mode",
    "read_capacity",
    "write_capacity",
    "point_in_time_recovery",
    "ttl_attribute",
    "deletion_protection",
    "stream",
)
TABLE_DEFAULTS: dict[str, Any] = {
    "range_key": None,
    "billing_mode": "PAY_PER_REQUEST",
    "read_capacity": None,
    "write_capacity": None,
    "point_in_time_recovery": True,
    "ttl_attribute": None,
    "deletion_protection": False,
    "stream": None,
}
# The settings that cannot change in place.
KEY_FIELDS = ("hash_key", "range_key")
TTL_ON = ("ENABLED", "ENABLING")


def _bool_errors(where: str, table: Mapping[str, Any]) -> list[str]:
    return [
        f"{where}.{field} must be true or false, not {table[field]!r}"
        for field in ("point_in_time_recovery", "deletion_protection")
        if field in table and not isinstance(table[field], bool)
    ]


def _key_errors(where: str, field: str, key: Any) -> list[str]:
    if not isinstance(key, Mapping):
        return [f"{where}.{field} must be a mapping {{name, type}}, not {key!r}"]
    errors = []
    unknown = sorted(set(key) - {"name", "type"})
    if unknown:
        errors.append(f"{where}.{field}: unknown field(s) {', '.join(unknown)} (name, type)")
    name = key.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= ATTRIBUTE_MAX:
        errors.append(f"{where}.{field}.name must be an attribute name of 1-255 characters")
    if key.get("type") not in KEY_TYPES:
        errors.append(
            f"{where}.{field}.type {key.get('type')!r} must be one of {', '.join(KEY_TYPES)}"
        )
    return errors


def _capacity_errors(where: str, table: Mapping[str, Any]) -> list[str]:
    mode = table.get("billing_mode", TABLE_DEFAULTS["billing_mode"])
    errors = []
    for field in ("read_capacity", "write_capacity"):
        value = table.get(field)
        if mode == "PAY_PER_REQUEST":
            if value is not None:
                errors.append(
                    f"{where}.{field} is only for billing_mode PROVISIONED (this table is"
                    " PAY_PER_REQUEST): remove it or set billing_mode: PROVISIONED"
                )
            continue
        low, high = CAPACITY_RANGE
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append(
                f"{where}.{field} {value!r} must be an integer from {low} to {high}"
                " (billing_mode PROVISIONED needs both capacities)"
            )
    return errors


def table_errors(tables: Any, kms_key: str | None = None) -> list[str]:
    """Every error in a list of wanted tables, each naming the table and the field."""
    if not isinstance(tables, list):
        return [f"tables must be a list of tables, not {tables!r}"]
    errors: list[str] = []
    if tables and not kms_key:
        errors.append("kms_key is required when tables are given (every table is SSE-KMS)")
    seen: set[str] = set()
    for index, table in enumerate(tables):
        where = f"tables[{index}]"
        if not isinstance(table, Mapping):
            errors.append(f"{where} must be a mapping with a name and a hash_key, not {table!r}")
            continue
        name = table.get("name")
        if not isinstance(name, str) or not TABLE_NAME_RE.match(name):
            errors.append(
                f"{where}.name {name!r} must be 3-255 characters of letters, digits, _ . and -"
            )
            continue
        where = f"tables[{index}] ({name})"
        if name in seen:
            errors.append(f"{where}.name is used twice: table names must be unique")
        seen.add(name)
        unknown = sorted(set(table) - set(TABLE_FIELDS))
        if unknown:
            errors.append(
                f"{where}: unknown field(s) {', '.join(unknown)} ({', '.join(TABLE_FIELDS)})"
            )
        if "hash_key" not in table:
            errors.append(f"{where}.hash_key is required ({{name, type}})")
        else:
            errors.extend(_key_errors(where, "hash_key", table["hash_key"]))
        if table.get("range_key") is not None:
            errors.extend(_key_errors(where, "range_key", table["range_key"]))
            hash_name = (table.get("hash_key") or {}).get("name")
            if isinstance(table["range_key"], Mapping) and table["range_key"].get("name") == (
                hash_name
            ):
                errors.append(f"{where}.range_key.name must differ from hash_key.name")
        mode = table.get("billing_mode", TABLE_DEFAULTS["billing_mode"])
        if mode not in BILLING_MODES:
            errors.append(
                f"{where}.billing_mode {mode!r} must be one of {', '.join(BILLING_MODES)}"
            )
        else:
            errors.extend(_capacity_errors(where, table))
        errors.extend(_bool_errors(where, table))
        ttl = table.get("ttl_attribute")
        if ttl is not None and (not isinstance(ttl, str) or not 1 <= len(ttl) <= ATTRIBUTE_MAX):
            errors.append(f"{where}.ttl_attribute must be an attribute name of 1-255 characters")
        stream = table.get("stream")
        if stream is not None and stream not in STREAM_VIEWS:
            errors.append(
                f"{where}.stream {stream!r} must be one of {', '.join(STREAM_VIEWS)} (or omitted)"
            )
    return errors


def normalise(table: Mapping[str, Any]) -> dict[str, Any]:
    """A valid wanted table with every default filled in."""
    merged = {**TABLE_DEFAULTS, **{k: v for k, v in table.items() if v is not None}}
    if merged["billing_mode"] == "PAY_PER_REQUEST":
        merged["read_capacity"] = merged["write_capacity"] = None
    return merged


def _key_label(key: Mapping[str, Any] | None) -> str | None:
    return f"{key['name']} ({key['type']})" if key else None


def wanted_settings(table: Mapping[str, Any], kms_arn: str) -> dict[str, Any]:
    """The flat settings of a normalised wanted table (the diff's 'after')."""
    return {
        "hash_key": _key_label(table["hash_key"]),
        "range_key": _key_label(table["range_key"]),
        "billing_mode": table["billing_mode"],
        "read_capacity": table["read_capacity"],
        "write_capacity": table["write_capacity"],
        "sse_kms_key": kms_arn,
        "stream": table["stream"],
        "point_in_time_recovery": table["point_in_time_recovery"],
        "ttl_attribute": table["ttl_attribute"],
        "deletion_protection": table["deletion_protection"],
    }


def current_settings(
    description: Mapping[str, Any], backups: Mapping[str, Any], ttl: Mapping[str, Any]
) -> dict[str, Any]:
    """The flat settings of an existing table, from DescribeTable's ``Table``,
    DescribeContinuousBackups' ``ContinuousBackupsDescription`` and DescribeTimeToLive's
    ``TimeToLiveDescription``."""
    types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
    keys: dict[str, str | None] = {"HASH": None, "RANGE": None}
    for element in description["KeySchema"]:
        name = element["AttributeName"]
        keys[element["KeyType"]] = f"{name} ({types.get(name, '?')})"
    # Tables created as PROVISIONED before billing modes existed have no BillingModeSummary.
    mode = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    throughput = description.get("ProvisionedThroughput", {})
    provisioned = mode == "PROVISIONED"
    sse = description.get("SSEDescription") or {}
    sse_on = sse.get("SSEType") == "KMS" and sse.get("Status") in ("ENABLED", "UPDATING")
    spec = description.get("StreamSpecification") or {}
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    return {
        "hash_key": keys["HASH"],
        "range_key": keys["RANGE"],
        "billing_mode": mode,
        "read_capacity": throughput.get("ReadCapacityUnits") if provisioned else None,
        "write_capacity": throughput.get("WriteCapacityUnits") if provisioned else None,
        "sse_kms_key": sse.get("KMSMasterKeyArn") if sse_on else None,
        "stream": spec.get("StreamViewType") if spec.get("StreamEnabled") else None,
        "point_in_time_recovery": pitr == "ENABLED",
        "ttl_attribute": ttl.get("AttributeName")
        if ttl.get("TimeToLiveStatus") in TTL_ON
        else None,
        "deletion_protection": bool(description.get("DeletionProtectionEnabled", False)),
    }


def key_schema_errors(
    name: str, wanted: Mapping[str, Any], current: Mapping[str, Any]
) -> list[str]:
    """Key schema differences, which DynamoDB cannot apply in place: the run must fail."""
    return [
        f"tables ({name}).{field}: the table's {field} is {current[field] or 'none'} but"
        f" {wanted[field] or 'none'} is wanted. A key schema cannot change in place: keep"
        f" {current[field] or 'no ' + field}, or create a table under a new name and move the data"
        for field in KEY_FIELDS
        if wanted[field] != current[field]
    ]


def changed_fields(wanted: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    return [field for field in wanted if wanted[field] != current.get(field)]


def create_request(
    table: Mapping[str, Any], kms_arn: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    """CreateTable's arguments for a normalised wanted table. Point-in-time recovery and TTL
    are separate calls, once the table is ACTIVE (see after_create_calls)."""
    keys = [("HASH", table["hash_key"])]
    if table["range_key"]:
        keys.append(("RANGE", table["range_key"]))
    request: dict[str, Any] = {
        "TableName": table["name"],
        "KeySchema": [{"AttributeName": k["name"], "KeyType": kind} for kind, k in keys],
        "AttributeDefinitions": [
            {"AttributeName": k["name"], "AttributeType": k["type"]} for _, k in keys
        ],
        "BillingMode": table["billing_mode"],
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_arn},
        "DeletionProtectionEnabled": table["deletion_protection"],
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
    }
    if table["billing_mode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = {
            "ReadCapacityUnits": table["read_capacity"],
            "WriteCapacityUnits": table["write_capacity"],
        }
    if table["stream"]:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table["stream"]}
    return request


def _pitr(enabled: bool) -> tuple[str, dict[str, Any]]:
    return (
        "update_continuous_backups",
        {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": enabled}},
    )


def _ttl(attribute: str, enabled: bool) -> tuple[str, dict[str, Any]]:
    return (
        "update_time_to_live",
        {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}},
    )


def after_create_calls(table: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The calls (client method, arguments without TableName) that finish a new table."""
    calls = []
    if table["point_in_time_recovery"]:
        calls.append(_pitr(True))
    if table["ttl_attribute"]:
        calls.append(_ttl(table["ttl_attribute"], True))
    return calls


def update_calls(
    wanted: Mapping[str, Any], current: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """The ordered calls (client method, arguments without TableName) that turn CURRENT into
    WANTED (both flat settings, key schema equal). DynamoDB takes one kind of change per
    UpdateTable and the table must be ACTIVE again before the next one: the caller waits between
    two update_table calls. A stream's view type or a TTL attribute changes by disabling the old
    one first."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if any(wanted[f] != current[f] for f in ("billing_mode", "read_capacity", "write_capacity")):
        billing: dict[str, Any] = {"BillingMode": wanted["billing_mode"]}
        if wanted["billing_mode"] == "PROVISIONED":
            billing["ProvisionedThroughput"] = {
                "ReadCapacityUnits": wanted["read_capacity"],
                "WriteCapacityUnits": wanted["write_capacity"],
            }
        calls.append(("update_table", billing))
    if wanted["sse_kms_key"] != current["sse_kms_key"]:
        sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": wanted["sse_kms_key"]}
        calls.append(("update_table", {"SSESpecification": sse}))
    if wanted["stream"] != current["stream"]:
        if current["stream"]:
            calls.append(("update_table", {"StreamSpecification": {"StreamEnabled": False}}))
        if wanted["stream"]:
            spec = {"StreamEnabled": True, "StreamViewType": wanted["stream"]}
            calls.append(("update_table", {"StreamSpecification": spec}))
    if wanted["deletion_protection"] != current["deletion_protection"]:
        calls.append(("update_table", {"DeletionProtectionEnabled": wanted["deletion_protection"]}))
    if wanted["point_in_time_recovery"] != current["point_in_time_recovery"]:
        calls.append(_pitr(wanted["point_in_time_recovery"]))
    if wanted["ttl_attribute"] != current["ttl_attribute"]:
        if current["ttl_attribute"]:
            calls.append(_ttl(current["ttl_attribute"], False))
        if wanted["ttl_attribute"]:
            calls.append(_ttl(wanted["ttl_attribute"], True))
    return calls
