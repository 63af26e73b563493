# Copyright: contributors to the aws-estates project
# SPDX-License-Identifier: MIT-0
"""Checks of a stack's data as a whole, run first in provision.yml's preflight (before any call).

``estate.aws.stack_data_errors(hostvars, host)``
    every error below for HOST's stack data (empty: valid). It reads the variables untemplated
    (``hostvars.raw_get``) for the template check, and only when that passes, templated.
``estate.aws.template_marker_errors(data)``
    stack data is data: a value of a stack variable (``stack_*``, ``aws_*``) that holds a Jinja
    template (``{{``, ``{%``, ``{#``) is refused, except references to another variable
    (``{{ stack_admin_cidrs }}``, ``{{ stack_bucket_prefix }}-models``); in a field that must be
    literal (names, CIDRs, AZs, regions, domains, zones, engines, instance types, tags: see
    LITERAL_KEYS, LITERAL_SUFFIXES) even a reference is allowed only as the whole value.
``estate.aws.name_form_errors(data)``
    a name the role would prefix again: an ARN (``arn:...``) in a name or a name reference, or a
    short name that already starts with the stack prefix (``<stack_name>-`` or the tier's own
    prefix) in the fields of PREFIXED. Refused, never rewritten.
``estate.aws.region_errors(data)``
    values AWS constrains per region, against the region data the collection carries
    (plugins/module_utils/regions/<region>.yml): the AZ letters in the network's region and the
    standby region, the compute tier's instance types, the databases' engine versions and
    instance classes in their region and the standby region. A region without data is refused.
    Malformed values are left to the tiers' own checks (these only judge well-formed ones).

Which variables are stack data: those ``hostvars.raw_get`` returns for the host (inventory
group_vars and host_vars, an inventory file's host variables, extra vars) named ``stack_*`` or
``aws_*``, except the shared defaults linked into every stack as ``group_vars/all/000_shared``
(repository code, like role defaults, which raw_get does not return). ansible-core 2.19 templates
inventory values when they are read, so the raw values are the only way to see a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePath
from typing import Any

from ansible.errors import AnsibleError
from ansible_collections.estate.aws.plugins.module_utils import regions

try:  # ansible-core 2.19 data tagging: where a value was loaded from
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - older ansible-core: every value counts as stack data
    Origin = None

SHARED_LINK = "000_shared"
STACK_VAR = re.compile(r"^(stack|aws)_")
MARKERS = ("{{", "{%", "{#")
REFERENCE = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
LITERAL_KEYS = frozenset(
    {
        "name",
        "az",
        "cidr",
        "cidr_ip",
        "cidr_ipv6",
        "static_routes",
        "customer_gateway_ip",
        "domain",
        "zone",
        "region",
        "engine",
        "engine_version",
        "family",
        "instance_type",
        "instance_class",
    }
)
LITERAL_SUFFIXES = (
    "_name",
    "_env",
    "_region",
    "_regions",
    "_cidr",
    "_cidrs",
    "_azs",
    "_tags",
    "_alias",
)
REFERENCE_EXAMPLE = "'{{ stack_admin_cidrs }}'"

# List variable -> the variable holding the prefix its role puts before each item's name.
PREFIXED: dict[str, str] = {
    "aws_network_subnets": "aws_network_name",
    "aws_identity_roles": "aws_identity_name",
    "aws_identity_policies": "aws_identity_name",
    "aws_identity_groups": "aws_identity_name",
    "aws_storage_buckets": "aws_storage_bucket_prefix",
    "aws_database_instances": "aws_database_name_prefix",
    "aws_database_parameter_groups": "aws_database_name_prefix",
    "aws_compute_groups": "aws_compute_name",
    "aws_compute_asgs": "aws_compute_name",
    "aws_serverless_tables": "aws_serverless_prefix",
    "aws_serverless_topics": "aws_serverless_prefix",
    "aws_serverless_user_pools": "aws_serverless_prefix",
    "aws_serverless_functions": "aws_serverless_prefix",
    "aws_serverless_apis": "aws_serverless_prefix",
    "aws_serverless_schedules": "aws_serverless_prefix",
    "aws_cdn_distributions": "aws_cdn_prefix",
    "aws_tenants_list": "aws_tenants_queue_prefix",
    "aws_monitoring_extra_alarms": "aws_monitoring_name",
}
# The prefix's value when the stack does not set its variable (the roles' defaults).
PREFIX_DEFAULTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_storage_bucket_prefix": lambda d: _text(d.get("stack_bucket_prefix")),
    "aws_tenants_queue_prefix": lambda d: f"{_text(d.get('stack_name'))}-tenant-",
}
# Keys whose value names a resource of the stack (never an ARN), at any depth of an aws_* list.
NAME_KEYS = frozenset(
    {
        "name",
        "instance_profile",
        "role",
        "function",
        "parameter_group",
        "security_group",
        "security_groups",
        "certificate",
        "user_pool",
        "bucket",
        "subnet",
        "subnets",
        "default_target_group",
    }
)
REGION_VARS = (
    "stack_name",
    "stack_region",
    "stack_standby_region",
    "stack_bucket_prefix",
    "aws_network_region",
    "aws_network_azs",
    "aws_compute_region",
    "aws_compute_groups",
    "aws_compute_asgs",
    "aws_database_region",
    "aws_database_instances",
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _origin(value: Any) -> str:
    """The file VALUE was loaded from ('' when unknown: extra vars, untaggable scalars)."""
    tag = Origin.get_tag(value) if Origin is not None else None
    return _text(getattr(tag, "path", None)) if tag else ""


def stack_vars(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stack data among a host's raw variables: stack_* and aws_*, without the shared
    defaults (loaded through the group_vars/all/000_shared link)."""
    return {
        name: value
        for name, value in raw.items()
        if STACK_VAR.match(name) and SHARED_LINK not in PurePath(_origin(value)).parts
    }


# --- templates in stack data -----------------------------------------------------------------


def _marker_error(where: str, text: str, literal: bool) -> str | None:
    if not any(m in text for m in MARKERS):
        return None
    if any(m in REFERENCE.sub("", text) for m in MARKERS):
        return (
            f"{where} {text!r} is a Jinja template: stack data is data, write the literal value"
            f" (the only template stack data may hold is a reference to another variable, such"
            f" as {REFERENCE_EXAMPLE})"
        )
    if literal and not REFERENCE.fullmatch(text):
        return (
            f"{where} {text!r} builds a literal field from a template: write the value itself"
            f" (a name, CIDR, AZ, region, domain, engine, type or tag may be one whole reference"
            f" such as {REFERENCE_EXAMPLE}, nothing more)"
        )
    return None


def _markers(where: str, value: Any, literal: bool) -> Iterator[str]:
    if isinstance(value, str):
        error = _marker_error(where, value, literal)
        if error:
            yield error
    elif isinstance(value, Mapping):
        tags = where.endswith("tags")
        for key, item in value.items():
            key_text = _text(key)
            error = _marker_error(f"{where}: the key", key_text, literal=True)
            if error:
                yield error
            inner = literal or tags or key_text in LITERAL_KEYS or key_text.endswith("tags")
            yield from _markers(f"{where}.{key_text}", item, inner)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _markers(f"{where}[{index}]", item, literal)


def template_marker_errors(data: Mapping[str, Any]) -> list[str]:
    """Jinja templates in stack data (DATA: variable -> untemplated value)."""
    errors: list[str] = []
    for name, value in data.items():
        errors.extend(_markers(name, value, name.endswith(LITERAL_SUFFIXES)))
    return errors


# --- name forms ------------------------------------------------------------------------------


def _arns(where: str, value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            at = f"{where}.{key}"
            if key not in NAME_KEYS:
                yield from _arns(at, item)
                continue
            named = enumerate(item) if isinstance(item, list) else [(None, item)]
            yield from (
                f"{at if index is None else f'{at}[{index}]'} {name!r} is an ARN: write the"
                " stack's short name of the resource, the role builds its full name and ARN"
                " itself"
                for index, name in named
                if isinstance(name, str) and name.startswith("arn:")
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _arns(f"{where}[{index}]", item)


def _prefixes(data: Mapping[str, Any], prefix_var: str) -> list[str]:
    """The prefixes a name of the list must not start with, longest first."""
    default = PREFIX_DEFAULTS.get(prefix_var, lambda d: _text(d.get("stack_name")))
    found = {_text(data.get(prefix_var)) or default(data), _text(data.get("stack_name"))}
    with_dash = {p if p.endswith("-") else f"{p}-" for p in found if p}
    return sorted(with_dash, key=len, reverse=True)


def name_form_errors(data: Mapping[str, Any]) -> list[str]:
    """Names in a form the role would prefix again (DATA: variable -> templated value)."""
    errors: list[str] = []
    for name, value in data.items():
        if name.startswith("aws_") and isinstance(value, list):
            errors.extend(_arns(name, value))
    for list_var, prefix_var in PREFIXED.items():
        items = data.get(list_var)
        if not isinstance(items, list):
            continue
        prefixes = _prefixes(data, prefix_var)
        for index, item in enumerate(items):
            short = _text(item.get("name")) if isinstance(item, Mapping) else ""
            prefix = next((p for p in prefixes if short.startswith(p) and short != p), None)
            if prefix and not short.startswith("arn:"):
                errors.append(
                    f"{list_var}[{index}].name {short!r} already starts with the stack prefix"
                    f" {prefix!r}: write {short[len(prefix) :]!r}, the role adds the prefix"
                )
    return errors


# --- region data -----------------------------------------------------------------------------


def _region(data: Mapping[str, Any], tier_var: str) -> tuple[str, str]:
    """(variable, region) of a tier: its own aws_<tier>_region when the stack sets it."""
    if data.get(tier_var):
        return tier_var, _text(data[tier_var])
    return "stack_region", _text(data.get("stack_region"))


def _regions(
    data: Mapping[str, Any], tier_var: str, standby: bool
) -> Iterator[tuple[str, regions.Region | None, str]]:
    """(variable, its region's data or None, region) for a tier's region and the standby."""
    found = [_region(data, tier_var)]
    if standby and data.get("stack_standby_region"):
        found.append(("stack_standby_region", _text(data["stack_standby_region"])))
    for var, name in found:
        if name:
            yield var, regions.load(name), name


def _az_errors(data: Mapping[str, Any], where: str, region: regions.Region) -> list[str]:
    azs = data.get("aws_network_azs")
    if not isinstance(azs, list):
        return []
    have = region.availability_zones
    return [
        f"aws_network_azs[{index}] {letter!r} is not an availability zone of {region.name}"
        f" ({where}), which has {', '.join(have)}: use those letters"
        for index, letter in enumerate(_text(a) for a in azs)
        if re.fullmatch(r"[a-z]", letter) and letter not in have
    ]


def _type_errors(data: Mapping[str, Any], region: regions.Region) -> list[str]:
    errors = []
    for list_var in ("aws_compute_groups", "aws_compute_asgs"):
        items = data.get(list_var)
        for index, item in enumerate(items if isinstance(items, list) else []):
            itype = _text(item.get("instance_type")) if isinstance(item, Mapping) else ""
            family, _, size = itype.partition(".")
            if family and size and "." not in size and itype not in region.instance_types:
                sizes = regions.by_family(region.instance_types).get(family)
                offered = f"{family} sizes there: {', '.join(sizes)}" if sizes else f"no {family}"
                errors.append(
                    f"{list_var}[{index}].instance_type {itype!r} is not offered in"
                    f" {region.name} ({offered}): choose a type the region offers (region data"
                    f" of {region.date}; tools/regions/refresh updates it)"
                )
    return errors


def _database_errors(data: Mapping[str, Any], where: str, region: regions.Region) -> list[str]:
    errors = []
    items = data.get("aws_database_instances")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping):
            continue
        engine = region.rds.get(_text(item.get("engine")))
        if engine is None:
            continue
        at, version = f"aws_database_instances[{index}]", _text(item.get("engine_version"))
        series = engine.series(version)
        if series and version not in series:
            errors.append(
                f"{at}.engine_version {item.get('engine')} {version!r} is not offered in"
                f" {region.name} ({where}): use one of {', '.join(series)}"
            )
        dbclass = _text(item.get("instance_class"))
        if dbclass.count(".") == 2 and dbclass not in engine.instance_classes:
            errors.append(
                f"{at}.instance_class {dbclass!r} is not offered for {item.get('engine')} in"
                f" {region.name} ({where}): choose a class the region offers (region data of"
                f" {region.date}; tools/regions/refresh updates it)"
            )
    return errors


def region_errors(data: Mapping[str, Any]) -> list[str]:
    """Values AWS constrains per region, against the region data (DATA: templated values)."""
    errors: list[str] = []
    missing: dict[str, str] = {}
    checks = (
        ("aws_network_region", True, _az_errors),
        ("aws_compute_region", False, lambda d, _w, r: _type_errors(d, r)),
        ("aws_database_region", True, _database_errors),
    )
    for tier_var, standby, check in checks:
        for var, region, name in _regions(data, tier_var, standby):
            if region is None:
                missing[var] = name
            else:
                errors.extend(check(data, var, region))
    errors.extend(
        f"{var} {name!r} has no region data in the estate.aws collection: add it with"
        f" tools/regions/refresh {name} (known: {', '.join(regions.known())})"
        for var, name in missing.items()
    )
    return errors


# --- all together ----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """VALUE as plain dicts, lists and scalars: every part templated now (lazy containers
    template an item when it is read)."""
    if isinstance(value, Mapping):
        return {_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def stack_data_errors(hostvars: Any, host: str) -> list[str]:
    """Every error of HOST's stack data: templates first (read raw), then, when there are none,
    name forms and region data (read templated)."""
    raw = stack_vars(hostvars.raw_get(host))
    errors = template_marker_errors(raw)
    if errors:
        return errors
    view = hostvars[host]
    data: dict[str, Any] = {}
    for name in {*raw, *REGION_VARS, *PREFIXED.values()}:
        if name in view:
            try:
                data[name] = _plain(view[name])
            except AnsibleError:
                continue  # a value that does not template: the tier's own check reports it
    return name_form_errors(data) + region_errors(data)


class FilterModule:
    """Stack-wide data checks of the preflight."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "stack_data_errors": stack_data_errors,
            "template_marker_errors": template_marker_errors,
            "name_form_errors": name_form_errors,
            "region_errors": region_errors,
        }
