# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters ``estate.aws.database_errors`` and ``estate.aws.db_parameter_group_family``.

``database_errors`` validates a stack's database data before any AWS call::

    {{ {'env': stack_env, 'instances': aws_database_instances,
        'parameter_groups': aws_database_parameter_groups,
        'subnet_tier': aws_database_subnet_tier, 'subnets': aws_network_subnets,
        'security_groups': aws_network_security_groups,
        'production_envs': aws_database_production_envs} | estate.aws.database_errors }}

It returns a list of human-readable errors (empty when the data is valid); each names the exact
variable path (0-based indexes, as in Jinja) and says how to fix it. Only the stdlib is used.

``db_parameter_group_family`` turns an engine and a version into the parameter group family
RDS expects (``mysql``, ``8.0.40`` -> ``mysql8.0``; ``postgres``, ``16.4`` -> ``postgres16``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.values import (
    as_bool,
    as_int,
    as_list,
    text,
)

INSTANCES = "aws_database_instances"
GROUPS = "aws_database_parameter_groups"
TIER = "aws_database_subnet_tier"

# Engine -> (version pattern, family of a version match, parameter that forces TLS, its value).
ENGINES: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], str], str, str]] = {
    "mysql": (
        re.compile(r"^(5\.7|8\.0|8\.4)\.\d+$"),
        lambda m: f"mysql{m.group(1)}",
        "require_secure_transport",
        "1",
    ),
    "mariadb": (
        re.compile(r"^(10\.\d+|11\.\d+)\.\d+$"),
        lambda m: f"mariadb{m.group(1)}",
        "require_secure_transport",
        "1",
    ),
    "postgres": (
        re.compile(r"^(1[1-7])\.\d+$"),
        lambda m: f"postgres{m.group(1)}",
        "rds.force_ssl",
        "1",
    ),
}
VERSION_EXAMPLES = {"mysql": "8.0.40", "mariadb": "10.11.9", "postgres": "16.4"}
TRUE_VALUES = {"1", "on", "true"}
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DB_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
USER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
RESERVED_USERS = {"rdsadmin", "rdsrepladmin", "rds_superuser", "mysql.sys", "root"}
CLASS_RE = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
BACKUP_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
MAINT_WINDOW_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
MAX_RETENTION = 35


def db_parameter_group_family(engine: Any, version: Any) -> str:
    """The parameter group family of ENGINE at VERSION, or '' when they do not match."""
    known = ENGINES.get(text(engine))
    if not known:
        return ""
    match = known[0].match(text(version))
    return known[1](match) if match else ""


def _group_errors(
    groups: list[Mapping[str, Any]],
) -> tuple[list[str], dict[str, Mapping[str, Any]]]:
    errors: list[str] = []
    by_name: dict[str, Mapping[str, Any]] = {}
    for index, group in enumerate(groups):
        where = f"{GROUPS}[{index}]"
        name = text(group.get("name"))
        if not IDENTIFIER_RE.match(name) or len(name) > 255:
            errors.append(
                f"{where}.name '{name}' must be lower-case letters, digits and single hyphens, "
                "starting with a letter"
            )
        if name in by_name:
            errors.append(f"{where}.name: duplicate parameter group name '{name}'")
        by_name[name] = group
        family = text(group.get("family"))
        if not any(family.startswith(engine) for engine in ENGINES):
            errors.append(
                f"{where}.family '{family}' is not a family of {sorted(ENGINES)} "
                "(e.g. mysql8.0, postgres16)"
            )
    return errors, by_name


def _instance_errors(
    index: int,
    instance: Mapping[str, Any],
    spec: Mapping[str, Any],
    groups: Mapping[str, Mapping[str, Any]],
    sg_names: set[str],
) -> list[str]:
    where = f"{INSTANCES}[{index}]"
    errors: list[str] = []
    name = text(instance.get("name"))
    if not IDENTIFIER_RE.match(name) or len(name) > 40:
        errors.append(
            f"{where}.name '{name}' must be 1-40 lower-case letters, digits and single hyphens, "
            "starting with a letter (it becomes '<stack>-<name>')"
        )
    engine = text(instance.get("engine"))
    version = text(instance.get("engine_version"))
    family = db_parameter_group_family(engine, version)
    if engine in ENGINES and not family:
        errors.append(
            f"{where}.engine_version '{version}' is not a version of {engine}: "
            f"use one like '{VERSION_EXAMPLES[engine]}'"
        )
    if not CLASS_RE.match(text(instance.get("instance_class"))):
        errors.append(
            f"{where}.instance_class '{text(instance.get('instance_class'))}' must look like "
            "db.<family>.<size> (e.g. db.t3.micro)"
        )
    storage = as_int(instance.get("allocated_storage", 20))
    if storage is None or not 20 <= storage <= 65536:
        errors.append(f"{where}.allocated_storage must be 20 to 65536 GiB")
    ceiling = instance.get("max_allocated_storage")
    if ceiling is not None and (as_int(ceiling) is None or (storage or 0) > (as_int(ceiling) or 0)):
        errors.append(
            f"{where}.max_allocated_storage must be at least allocated_storage ({storage})"
        )
    if not DB_NAME_RE.match(text(instance.get("db_name"))):
        errors.append(
            f"{where}.db_name '{text(instance.get('db_name'))}' must start with a letter and hold "
            "letters, digits and underscores (at most 63)"
        )
    user = text(instance.get("master_username"))
    if not USER_RE.match(user) or user.lower() in RESERVED_USERS:
        errors.append(
            f"{where}.master_username '{user}' must be 1-16 letters, digits or underscores, "
            f"starting with a letter, and not one of {sorted(RESERVED_USERS)}"
        )
    retention = as_int(instance.get("backup_retention_days", spec.get("backup_retention_days")))
    production = text(spec.get("env")) in [text(e) for e in spec.get("production_envs", [])]
    if retention is None or not 0 <= retention <= MAX_RETENTION:
        errors.append(
            f"{where}.backup_retention_days (or aws_database_backup_retention_days) must be "
            f"0 to {MAX_RETENTION}, got {retention}"
        )
    elif production and retention < 1:
        errors.append(
            f"{where}.backup_retention_days is 0 in {spec.get('env')}: production databases keep "
            "automated backups, set 1 to 35"
        )
    protected = instance.get("deletion_protection")
    if production and protected is not None and not as_bool(protected):
        errors.append(
            f"{where}.deletion_protection is false in {spec.get('env')}: production databases "
            "are deletion-protected, remove the key or set it to true"
        )
    if as_bool(instance.get("publicly_accessible", False)):
        errors.append(f"{where}.publicly_accessible must be false: databases are never public")
    window = text(instance.get("backup_window", spec.get("backup_window")))
    if not BACKUP_WINDOW_RE.match(window):
        errors.append(f"{where}.backup_window '{window}' must be hh:mm-hh:mm (UTC)")
    window = text(instance.get("maintenance_window", spec.get("maintenance_window")))
    if not MAINT_WINDOW_RE.match(window):
        errors.append(f"{where}.maintenance_window '{window}' must be ddd:hh:mm-ddd:hh:mm (UTC)")
    sgs = as_list(instance.get("security_groups"))
    if not sgs:
        errors.append(
            f"{where}.security_groups must name at least one aws_network_security_groups entry"
        )
    for sg in sgs:
        if text(sg) not in sg_names:
            errors.append(
                f"{where}.security_groups: unknown security group '{sg}': define it in "
                f"aws_network_security_groups (known: {sorted(sg_names)})"
            )
    errors += _parameter_group_ref_errors(where, instance, engine, family, groups)
    return errors


def _parameter_group_ref_errors(
    where: str,
    instance: Mapping[str, Any],
    engine: str,
    family: str,
    groups: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    ref = text(instance.get("parameter_group"))
    group = groups.get(ref)
    if group is None:
        return [
            f"{where}.parameter_group '{ref}' is not defined in {GROUPS} (known: {sorted(groups)})"
        ]
    errors = []
    if family and text(group.get("family")) != family:
        errors.append(
            f"{where}.parameter_group '{ref}' has family '{group.get('family')}' but "
            f"{engine} {instance.get('engine_version')} needs '{family}': fix the group's family "
            "or the instance's engine_version"
        )
    known = ENGINES.get(engine)
    if known:
        parameters = group.get("parameters") or {}
        value = text(parameters.get(known[2])).lower()
        if value not in TRUE_VALUES:
            errors.append(f"{GROUPS} '{ref}' must set {known[2]}: '{known[3]}' (TLS-only clients)")
    return errors


def _subnet_errors(spec: Mapping[str, Any]) -> list[str]:
    tier = text(spec.get("subnet_tier"))
    subnets = as_list(spec.get("subnets"))
    azs = {text(s.get("az")) for s in subnets if text(s.get("tier")) == tier}
    if len(azs) < 2:
        return [
            f"{TIER} '{tier}': the network defines subnets of that tier in {len(azs)} "
            "availability zone(s); a DB subnet group needs two: add them to aws_network_subnets "
            "or name another tier"
        ]
    return []


def database_errors(spec: Mapping[str, Any]) -> list[str]:
    """Every problem of a stack's database data (empty list: valid)."""
    instances = as_list(spec.get("instances"))
    errors, groups = _group_errors(as_list(spec.get("parameter_groups")))
    if not instances:
        return errors
    sg_names = {text(g.get("name")) for g in as_list(spec.get("security_groups"))}
    errors += _subnet_errors(spec)
    names: set[str] = set()
    for index, instance in enumerate(instances):
        errors += _instance_errors(index, instance, spec, groups, sg_names)
        name = text(instance.get("name"))
        if name in names:
            errors.append(f"{INSTANCES}[{index}].name: duplicate instance name '{name}'")
        names.add(name)
    return errors


def db_instance_outputs(
    instance_results: list[Mapping[str, Any]], secret_results: list[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """{name: {identifier, endpoint, port, arn, secret_arn}} from the registered loop results of
    amazon.aws.rds_instance and community.aws.secretsmanager_secret (never the secret itself)."""
    secrets = {
        text((r.get("item") or {}).get("item", {}).get("name")): (r.get("secret") or {}).get(
            "arn", ""
        )
        for r in secret_results or []
    }
    outputs: dict[str, dict[str, Any]] = {}
    for result in instance_results or []:
        name = text((result.get("item") or {}).get("name"))
        endpoint = result.get("endpoint") or {}
        outputs[name] = {
            "identifier": text(result.get("db_instance_identifier")),
            "endpoint": text(endpoint.get("address")),
            "port": endpoint.get("port", ""),
            "arn": text(result.get("db_instance_arn")),
            "secret_arn": secrets.get(name, ""),
        }
    return outputs


class FilterModule:
    """Database data validation filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "database_errors": database_errors,
            "db_parameter_group_family": db_parameter_group_family,
            "db_instance_outputs": db_instance_outputs,
        }
