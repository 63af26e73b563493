"""Table-driven tests of the estate.aws.database_errors / db_parameter_group_family /
db_instance_outputs filters (no emulator, no Ansible)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.source import load_plugin

DATABASE = load_plugin("filter/database.py")

GOOD: dict[str, Any] = {
    "env": "production",
    "production_envs": ["production"],
    "subnet_tier": "database",
    "subnets": [
        {"name": "database-a", "tier": "database", "az": "a", "cidr": "10.0.1.0/24"},
        {"name": "database-b", "tier": "database", "az": "b", "cidr": "10.0.2.0/24"},
    ],
    "security_groups": [{"name": "db"}],
    "backup_retention_days": 7,
    "backup_window": "16:00-16:30",
    "maintenance_window": "sun:17:00-sun:17:30",
    "parameter_groups": [
        {"name": "pg16", "family": "postgres16", "parameters": {"rds.force_ssl": "1"}}
    ],
    "instances": [
        {
            "name": "app",
            "engine": "postgres",
            "engine_version": "16.4",
            "instance_class": "db.t4g.medium",
            "allocated_storage": 50,
            "max_allocated_storage": 200,
            "db_name": "app",
            "master_username": "appadmin",
            "security_groups": ["db"],
            "parameter_group": "pg16",
        }
    ],
}


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(GOOD)
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


def test_good_spec_has_no_error() -> None:
    assert DATABASE.database_errors(GOOD) == []


def test_no_instance_needs_no_database_subnets() -> None:
    assert DATABASE.database_errors({**GOOD, "instances": [], "subnets": []}) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("instances", 0, "engine_version"), "8.0.40", "is not a version of postgres"),
        (("parameter_groups", 0, "family"), "postgres15", "needs 'postgres16'"),
        (("parameter_groups", 0, "parameters"), {}, "must set rds.force_ssl"),
        (("instances", 0, "parameter_group"), "nope", "parameter_group 'nope' is not defined"),
        (("instances", 0, "backup_retention_days"), 36, "must be 0 to 35"),
        (("instances", 0, "backup_retention_days"), 0, "production databases keep"),
        (("instances", 0, "deletion_protection"), False, "are deletion-protected"),
        (("instances", 0, "publicly_accessible"), True, "never public"),
        (("instances", 0, "security_groups"), ["web"], "unknown security group 'web'"),
        (("instances", 0, "security_groups"), [], "at least one"),
        (("subnet_tier",), "private", "a DB subnet group needs two"),
        (("instances", 0, "instance_class"), "t3.micro", "db.<family>.<size>"),
        (("instances", 0, "allocated_storage"), 10, "20 to 65536"),
        (("instances", 0, "max_allocated_storage"), 30, "at least allocated_storage"),
        (("instances", 0, "master_username"), "rdsadmin", "master_username 'rdsadmin'"),
        (("instances", 0, "db_name"), "1app", "db_name '1app'"),
        (("instances", 0, "name"), "App_1", "name 'App_1'"),
        (("instances", 0, "backup_window"), "25:00-25:30", "hh:mm-hh:mm"),
        (("instances", 0, "maintenance_window"), "sunday:17:00", "ddd:hh:mm-ddd:hh:mm"),
    ],
)
def test_each_problem_is_named(path: tuple[Any, ...], value: Any, message: str) -> None:
    errors = DATABASE.database_errors(changed(path, value))
    assert any(message in e for e in errors), errors


def test_retention_zero_is_fine_outside_production() -> None:
    spec = changed(("instances", 0, "backup_retention_days"), 0)
    assert DATABASE.database_errors({**spec, "env": "lab"}) == []


def test_duplicates() -> None:
    spec = copy.deepcopy(GOOD)
    spec["instances"].append(copy.deepcopy(spec["instances"][0]))
    spec["parameter_groups"].append(copy.deepcopy(spec["parameter_groups"][0]))
    errors = DATABASE.database_errors(spec)
    assert any("duplicate instance name 'app'" in e for e in errors)
    assert any("duplicate parameter group name 'pg16'" in e for e in errors)


@pytest.mark.parametrize(
    ("engine", "version", "family"),
    [
        ("mysql", "8.0.40", "mysql8.0"),
        ("mysql", "5.7.44", "mysql5.7"),
        ("mariadb", "10.11.9", "mariadb10.11"),
        ("postgres", "16.4", "postgres16"),
        ("mysql", "15.4", ""),
        ("postgres", "8.0.40", ""),
        ("oracle", "19.0", ""),
    ],
)
def test_family(engine: str, version: str, family: str) -> None:
    assert DATABASE.db_parameter_group_family(engine, version) == family


def test_outputs_never_carry_the_secret() -> None:
    instances = [
        {
            "item": {"name": "app"},
            "db_instance_identifier": "s-app",
            "db_instance_arn": "arn:db",
            "endpoint": {"address": "s-app.example", "port": 5432},
            # pragma: allowlist nextline secret - test data
            "master_user_password": "hunter2hunter2",
        }
    ]
    secrets = [{"item": {"item": {"name": "app"}}, "secret": {"arn": "arn:secret"}}]
    assert DATABASE.db_instance_outputs(instances, secrets) == {
        "app": {
            "identifier": "s-app",
            "endpoint": "s-app.example",
            "port": 5432,
            "arn": "arn:db",
            # pragma: allowlist nextline secret - test data, an ARN stand-in
            "secret_arn": "arn:secret",
        }
    }
