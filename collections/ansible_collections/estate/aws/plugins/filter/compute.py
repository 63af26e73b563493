# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filter ``estate.aws.compute_errors``: validate a stack's compute data before touching AWS.

Usage in a role::

    {{ {'groups': aws_compute_groups, 'asgs': aws_compute_asgs,
        'subnets': [subnet names the network defines],
        'security_groups': [group names the network defines],
        'public_key': aws_compute_public_key, 'key_generate': aws_compute_key_generate,
        'hop_limit': aws_compute_imds_hop_limit,
        'instance_profiles': [purposes with a profile]} | estate.aws.compute_errors }}

It returns a list of human-readable errors (empty when the data is valid). Each error names the
variable path (``aws_compute_groups[<name>].count``) and says how to fix it. Stdlib only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.values import as_int, as_list, text

GROUPS = "aws_compute_groups"
ASGS = "aws_compute_asgs"
# family + generation + options "." size: t3.micro, m6gd.large, c7i-flex.xlarge, u-6tb1.56xlarge
INSTANCE_TYPE_RE = re.compile(
    r"^[a-z][a-z0-9-]*\.[0-9]*(nano|micro|small|medium|large|xlarge|metal[a-z0-9-]*)$"
)
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DEVICE_RE = re.compile(r"^/dev/(sd[b-z]|xvd[b-z])$")


def _common(
    where: str,
    item: dict[str, Any],
    subnets: set[str],
    groups: set[str],
) -> list[str]:
    """Rules shared by plain instance groups and Auto Scaling groups."""
    errors = []
    itype = text(item.get("instance_type"))
    if not INSTANCE_TYPE_RE.match(itype):
        errors.append(
            f"{where}.instance_type '{itype}' is not an EC2 instance type: write family and "
            "size separated by a dot, e.g. t3.micro or m6i.large"
        )
    role = text(item.get("role"))
    if not ROLE_RE.match(role):
        errors.append(
            f"{where}.role '{role}' must be lower-case letters, digits or '_' (the dynamic "
            "inventory groups hosts as role_<role>: web, app, docs, dns, trainer, uat, admin)"
        )
    for name in as_list(item.get("security_groups")):
        if text(name) not in groups:
            errors.append(
                f"{where}.security_groups names '{name}', which aws_network_security_groups "
                f"does not define: use one of {sorted(groups)}"
            )
    if not as_list(item.get("security_groups")):
        errors.append(f"{where}.security_groups is empty: name at least one network group")
    size = item.get("root_volume_size")
    if size is not None and ((as_int(size) or 0) < 8 or (as_int(size) or 0) > 16384):
        errors.append(f"{where}.root_volume_size must be 8 to 16384 GiB (got {size})")
    profile = text(item.get("instance_profile"))
    if profile and not re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", profile):
        errors.append(
            f"{where}.instance_profile '{profile}' must be the purpose of an identity-tier "
            "role (letters, digits, +=,.@_-)"
        )
    del subnets
    return errors


def check_group(item: dict[str, Any], subnets: set[str], groups: set[str]) -> list[str]:
    where = f"{GROUPS}[{text(item.get('name'))}]"
    errors = _common(where, item, subnets, groups)
    count = as_int(item.get("count"))
    if count is None or count < 0:
        errors.append(
            f"{where}.count must be a whole number of instances, 0 or more (got "
            f"{item.get('count')!r}); 0 removes the group's instances"
        )
    subnet = text(item.get("subnet"))
    if subnet not in subnets:
        errors.append(
            f"{where}.subnet '{subnet}' is not a subnet of aws_network_subnets: use one of "
            f"{sorted(subnets)}"
        )
    if item.get("elastic_ip") and count is not None and count > 1:
        errors.append(f"{where}.elastic_ip needs count 1 (got {count}): one address, one host")
    private_ip = text(item.get("private_ip"))
    if private_ip:
        try:
            ipaddress.IPv4Address(private_ip)
        except ValueError:
            errors.append(f"{where}.private_ip '{private_ip}' is not an IPv4 address")
        if count is not None and count > 1:
            errors.append(f"{where}.private_ip needs count 0 or 1 (got {count})")
    for index, volume in enumerate(as_list(item.get("data_volumes"))):
        vwhere = f"{where}.data_volumes[{index}]"
        if not DEVICE_RE.match(text(volume.get("device_name"))):
            errors.append(f"{vwhere}.device_name must be /dev/sdb../dev/sdz or /dev/xvdb..")
        vsize = as_int(volume.get("size"))
        if vsize is None or vsize < 1 or vsize > 16384:
            errors.append(f"{vwhere}.size must be 1 to 16384 GiB (got {volume.get('size')!r})")
    return errors


def check_asg(item: dict[str, Any], subnets: set[str], groups: set[str]) -> list[str]:
    where = f"{ASGS}[{text(item.get('name'))}]"
    errors = _common(where, item, subnets, groups)
    low, high = as_int(item.get("min_size")), as_int(item.get("max_size"))
    desired = as_int(item.get("desired_capacity", item.get("min_size")))
    if low is None or high is None or desired is None or low < 0 or high < 1:
        errors.append(
            f"{where}: min_size (>= 0), max_size (>= 1) and desired_capacity must be whole numbers"
        )
    elif low > high:
        errors.append(f"{where}.min_size {low} is above max_size {high}: lower min_size")
    elif not low <= desired <= high:
        errors.append(
            f"{where}.desired_capacity {desired} is outside min_size..max_size "
            f"({low}..{high}): set it within the range"
        )
    names = as_list(item.get("subnets"))
    if not names:
        errors.append(f"{where}.subnets is empty: list the subnets to spread over")
    for name in names:
        if text(name) not in subnets:
            errors.append(
                f"{where}.subnets names '{name}', which aws_network_subnets does not define: "
                f"use some of {sorted(subnets)}"
            )
    target = item.get("target_cpu")
    if target is not None and not 1 <= (as_int(target) or 0) <= 100:
        errors.append(f"{where}.target_cpu must be a CPU percentage, 1 to 100 (got {target})")
    return errors


def _duplicates(names: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    dupes = set()
    for name in names:
        if name in seen:
            dupes.add(name)
        seen.add(name)
    return dupes


def _profile_errors(items: list[tuple[str, dict[str, Any]]], profiles: Any) -> list[str]:
    """Each instance_profile must be a purpose with an identity-tier profile (None: unchecked)."""
    if profiles is None:
        return []
    known = {text(p) for p in as_list(profiles)}
    errors = []
    for var, item in items:
        profile = text(item.get("instance_profile"))
        if profile and profile not in known:
            errors.append(
                f"{var}[{text(item.get('name'))}].instance_profile '{profile}' is not a role of "
                f"aws_identity_roles with an instance profile: use one of {sorted(known)}"
            )
    return errors


def compute_errors(spec: dict[str, Any]) -> list[str]:
    subnets = {text(s) for s in as_list(spec.get("subnets"))}
    groups = {text(g) for g in as_list(spec.get("security_groups"))}
    errors: list[str] = []
    items = [(GROUPS, g) for g in as_list(spec.get("groups"))]
    items += [(ASGS, a) for a in as_list(spec.get("asgs"))]
    for var, item in items:
        name = text(item.get("name"))
        if not NAME_RE.match(name):
            errors.append(
                f"{var}: name '{name}' must be lower-case letters, digits or '-' "
                "(at most 31, starting with a letter)"
            )
    for name in sorted(_duplicates(text(i.get("name")) for _, i in items)):
        errors.append(
            f"{GROUPS}/{ASGS}: duplicate name '{name}': every group needs its own name "
            "(instances are found again by it)"
        )
    for var, item in items:
        check = check_group if var == GROUPS else check_asg
        errors.extend(check(item, subnets, groups))
    errors.extend(_profile_errors(items, spec.get("instance_profiles")))
    hop = as_int(spec.get("hop_limit"))
    if hop not in (1, 2):
        errors.append(
            "aws_compute_imds_hop_limit must be 1 or 2 (2 only for containers on the "
            f"instance), got {spec.get('hop_limit')!r}"
        )
    if items and not text(spec.get("public_key")) and not spec.get("key_generate"):
        errors.append(
            "aws_compute_public_key is empty and aws_compute_key_generate is off: give the "
            "administrators' SSH public key (ssh-ed25519 ...) or enable key generation (labs)"
        )
    return errors


def compute_instances(groups: Any, prefix: str) -> list[dict[str, Any]]:
    """The instances the groups ask for: each group's fields plus ``instance_name``
    (``<prefix>-<group>-<n>``, n = 1..count) and ``group`` (the group's name)."""
    wanted = []
    for group in as_list(groups):
        for index in range(1, (as_int(group.get("count")) or 0) + 1):
            name = text(group.get("name"))
            wanted.append(
                {**group, "group": name, "instance_name": f"{text(prefix)}-{name}-{index}"}
            )
    return wanted


def instances_by_group(instances: Any, key: str = "instance_id") -> dict[str, list[Any]]:
    """{compute-group tag: [KEY of its instances]}, ordered by the instances' Name tags
    (KEY: instance_id, private_ip_address, ...)."""
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for instance in as_list(instances):
        tags = instance.get("tags") or {}
        group = text(tags.get("compute-group"))
        if group:
            grouped.setdefault(group, []).append((text(tags.get("Name")), instance.get(key)))
    return {
        group: [value for _, value in sorted(items, key=lambda i: (len(i[0]), i[0]))]
        for group, items in grouped.items()
    }


def ebs_mapping(volume: dict[str, Any], kms_key_arn: str) -> dict[str, Any]:
    """A data volume of the data as a block device mapping, encrypted with the stack key."""
    return {
        "device_name": text(volume.get("device_name")),
        "ebs": {
            "volume_size": as_int(volume.get("size")),
            "volume_type": text(volume.get("type") or "gp3"),
            "encrypted": True,
            "kms_key_id": text(kms_key_arn),
            "delete_on_termination": True,
        },
    }


def asg_tag(item: dict[str, Any]) -> dict[str, Any]:
    """A {key, value} item as an amazon.aws.autoscaling_group tag, propagated at launch."""
    return {text(item.get("key")): text(item.get("value")), "propagate_at_launch": True}


def asg_shape(group: dict[str, Any]) -> dict[str, Any]:
    """The fields of an autoscaling_group_info result the data sets (for a --check comparison)."""
    subnets = text(group.get("vpc_zone_identifier"))
    return {
        "min_size": as_int(group.get("min_size")),
        "max_size": as_int(group.get("max_size")),
        "desired_capacity": as_int(group.get("desired_capacity")),
        "launch_template": text((group.get("launch_template") or {}).get("launch_template_name")),
        "subnets": sorted(s for s in subnets.split(",") if s),
    }


def kept_tags(instances: Iterable[dict[str, Any]], prefixes: Iterable[str]) -> dict[str, Any]:
    """{Name tag: {key: value}} of the tags whose key starts with one of ``prefixes``: tags that
    something else (the local lab's backing-host address) keeps on an instance, which the tier's
    own tagging (purge_tags) must carry over instead of removing."""
    wanted = tuple(text(p) for p in prefixes if text(p))
    kept: dict[str, Any] = {}
    for instance in instances:
        tags = instance.get("tags") or {}
        name = text(tags.get("Name"))
        found = {k: v for k, v in tags.items() if wanted and text(k).startswith(wanted)}
        if name and found:
            kept[name] = found
    return kept


class FilterModule:
    """Compute data validation and planning filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "compute_errors": compute_errors,
            "compute_instances": compute_instances,
            "instances_by_group": instances_by_group,
            "ebs_mapping": ebs_mapping,
            "asg_tag": asg_tag,
            "asg_shape": asg_shape,
            "kept_tags": kept_tags,
        }
