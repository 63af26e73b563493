"""Read-back checks of the database tier (roles/aws_database), called from the lifecycle tests
in test_lifecycle.py. Nothing here connects to an endpoint the emulator returns: endpoints are only
compared as strings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from conftest import Emulator
from support.aws_state import ec2_resources, tags_of
from support.stack import stack_vars

DB_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "aws_kms_alias",
    "aws_database_env",
    "aws_database_production_envs",
    "aws_database_name_prefix",
    "aws_database_instances",
    "aws_database_parameter_groups",
    "aws_database_subnet_tier",
    "aws_database_backup_retention_days",
    "aws_database_backup_window",
    "aws_database_maintenance_window",
    "aws_database_multi_az_by_env",
    "aws_database_storage_type",
    "aws_database_password_length",
)
TLS_PARAMETER = {"mysql": "require_secure_transport", "postgres": "rds.force_ssl"}
ROLE_DEFAULTS = Path(__file__).resolve().parents[2] / "roles/aws_database/defaults/main.yml"


def database_data(stack: str) -> dict[str, Any]:
    """The stack's database variables; those only the role's defaults set (the inventory does not
    see them) come from roles/aws_database/defaults/main.yml, its templated ones resolved here."""
    data = dict(stack_vars(stack, (*DB_VARS, "stack_env")))
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text())
    templated = {
        "aws_database_env": data["stack_env"],
        "aws_database_name_prefix": data["stack_name"],
        "aws_kms_alias": data["stack_name"],
    }
    for name in DB_VARS:
        if data.get(name) is None:
            data[name] = templated.get(name, defaults.get(name))
    return data


def _stack_key_arn(emulator: Emulator, region: str, alias: str) -> str:
    arn: str = emulator.client("kms", region).describe_key(KeyId=f"alias/{alias}")["KeyMetadata"][
        "Arn"
    ]
    return arn


def _carries(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    return wanted.items() <= tags.items()


def _secret(emulator: Emulator, region: str, name: str) -> dict[str, Any]:
    value = emulator.client("secretsmanager", region).get_secret_value(SecretId=name)
    secret: dict[str, Any] = json.loads(value["SecretString"])
    return secret


def check_database(emulator: Emulator, stack: str) -> None:
    """Every DB instance, subnet group, parameter group and master secret of the stack, read back
    and compared with its data (encryption with the stack key, backups, Multi-AZ, deletion
    protection, no public access, TLS forced, placement in the database subnets and groups)."""
    data = database_data(stack)
    region, tags = data["stack_region"], data["stack_tags"]
    prefix = data["aws_database_name_prefix"]
    rds = emulator.client("rds", region)
    mine = [
        i
        for i in rds.describe_db_instances()["DBInstances"]
        if _carries(tags_of(i), {"stack": stack})
    ]
    wanted = data["aws_database_instances"] or []
    assert sorted(i["DBInstanceIdentifier"] for i in mine) == sorted(
        f"{prefix}-{w['name']}" for w in wanted
    ), f"{stack}: DB instances {[i['DBInstanceIdentifier'] for i in mine]} vs data {wanted}"
    if not wanted:
        return
    key_arn = _stack_key_arn(emulator, region, data["aws_kms_alias"])
    production = data["aws_database_env"] in data["aws_database_production_envs"]
    vpc = ec2_resources(emulator, region, "vpc", {"tag:stack": stack})[0]["VpcId"]
    tier = data["aws_database_subnet_tier"]
    tier_subnets = {
        s["SubnetId"]
        for s in ec2_resources(emulator, region, "subnet", {"vpc-id": vpc, "tag:tier": tier})
    }
    group_ids = {
        g["GroupName"]: g["GroupId"]
        for g in ec2_resources(emulator, region, "security_group", {"vpc-id": vpc})
    }
    [subnet_group] = rds.describe_db_subnet_groups(DBSubnetGroupName=f"{prefix}-{tier}")[
        "DBSubnetGroups"
    ]
    assert subnet_group["VpcId"] == vpc
    assert {s["SubnetIdentifier"] for s in subnet_group["Subnets"]} == tier_subnets
    assert _carries(
        tags_of(rds.list_tags_for_resource(ResourceName=subnet_group["DBSubnetGroupArn"])), tags
    )
    groups = {g["name"]: g for g in data["aws_database_parameter_groups"] or []}
    by_id = {i["DBInstanceIdentifier"]: i for i in mine}
    for spec in wanted:
        db = by_id[f"{prefix}-{spec['name']}"]
        where = db["DBInstanceIdentifier"]
        assert _carries(tags_of(db), tags), f"{where} lacks the stack's tags"
        assert (db["Engine"], db["EngineVersion"], db["DBInstanceClass"]) == (
            spec["engine"],
            spec["engine_version"],
            spec["instance_class"],
        )
        assert db["StorageEncrypted"] is True and db["KmsKeyId"] == key_arn, where
        assert db["PubliclyAccessible"] is False, where
        assert db["BackupRetentionPeriod"] == spec.get(
            "backup_retention_days", data["aws_database_backup_retention_days"]
        )
        assert db["PreferredBackupWindow"] == spec.get(
            "backup_window", data["aws_database_backup_window"]
        )
        assert db["PreferredMaintenanceWindow"] == spec.get(
            "maintenance_window", data["aws_database_maintenance_window"]
        )
        multi_az = spec.get(
            "multi_az", data["aws_database_multi_az_by_env"].get(data["aws_database_env"], False)
        )
        assert db["MultiAZ"] is multi_az, where
        assert db["DeletionProtection"] is spec.get("deletion_protection", production), where
        if production:
            assert db["DeletionProtection"] is True and db["BackupRetentionPeriod"] >= 1
        assert db["CopyTagsToSnapshot"] is True
        assert db["DBSubnetGroup"]["DBSubnetGroupName"] == subnet_group["DBSubnetGroupName"]
        assert {g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]} == {
            group_ids[name] for name in spec["security_groups"]
        }
        [param_group] = db["DBParameterGroups"]
        assert param_group["DBParameterGroupName"] == f"{prefix}-{spec['parameter_group']}"
        check_parameter_group(
            rds, param_group["DBParameterGroupName"], groups[spec["parameter_group"]], tags
        )
        check_secret(emulator, region, f"{prefix}/database/{spec['name']}", db, spec, key_arn, tags)
        assert (
            len(_secret(emulator, region, f"{prefix}/database/{spec['name']}")["password"])
            == (data["aws_database_password_length"])
        )


def check_parameter_group(rds: Any, name: str, spec: dict[str, Any], tags: dict[str, str]) -> None:
    [group] = rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
    assert group["DBParameterGroupFamily"] == spec["family"]
    assert _carries(
        tags_of(rds.list_tags_for_resource(ResourceName=group["DBParameterGroupArn"])), tags
    )
    user = rds.describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]
    values = {p["ParameterName"]: p["ParameterValue"] for p in user}
    assert values == {k: str(v) for k, v in spec["parameters"].items()}
    engine = "postgres" if spec["family"].startswith("postgres") else "mysql"
    assert values[TLS_PARAMETER[engine]] == "1", f"{name} does not force TLS"


def check_secret(
    emulator: Emulator,
    region: str,
    name: str,
    db: dict[str, Any],
    spec: dict[str, Any],
    key_arn: str,
    tags: dict[str, str],
) -> None:
    described = emulator.client("secretsmanager", region).describe_secret(SecretId=name)
    assert described["KmsKeyId"] == key_arn, f"{name} not encrypted with the stack key"
    assert _carries(tags_of(described), tags)
    secret = _secret(emulator, region, name)
    assert set(secret) >= {"username", "password", "engine", "host", "port", "dbname"}
    assert (secret["username"], secret["engine"], secret["dbname"]) == (
        spec["master_username"],
        spec["engine"],
        spec["db_name"],
    )
    assert (secret["host"], secret["port"]) == (db["Endpoint"]["Address"], db["Endpoint"]["Port"])


def database_leftovers(emulator: Emulator, region: str, stack: str) -> dict[str, set[str]]:
    """The stack's live DB instances, subnet groups, parameter groups and secrets (by tags)."""
    rds = emulator.client("rds", region)
    found = {
        "db_instance": {
            i["DBInstanceIdentifier"]
            for i in rds.describe_db_instances()["DBInstances"]
            if tags_of(i).get("stack") == stack
        },
        "db_subnet_group": {
            g["DBSubnetGroupName"]
            for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
            if tags_of(rds.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"])).get("stack")
            == stack
        },
        "db_parameter_group": {
            g["DBParameterGroupName"]
            for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
            if tags_of(rds.list_tags_for_resource(ResourceName=g["DBParameterGroupArn"])).get(
                "stack"
            )
            == stack
        },
        "secret": {
            s["Name"]
            for s in emulator.client("secretsmanager", region).list_secrets()["SecretList"]
            if tags_of(s).get("stack") == stack and "DeletedDate" not in s
        },
    }
    return {kind: names for kind, names in found.items() if names}


def final_snapshots(emulator: Emulator, stack: str) -> set[str]:
    """DB instance identifiers of the stack that have a final snapshot."""
    data = database_data(stack)
    rds = emulator.client("rds", data["stack_region"])
    return {
        s["DBInstanceIdentifier"]
        for s in rds.describe_db_snapshots()["DBSnapshots"]
        if "-final-" in s["DBSnapshotIdentifier"]
        and s["DBInstanceIdentifier"].startswith(f"{data['aws_database_name_prefix']}-")
    }


def expected_final_snapshots(stack: str) -> set[str]:
    data = database_data(stack)
    return {
        f"{data['aws_database_name_prefix']}-{spec['name']}"
        for spec in data["aws_database_instances"] or []
    }
