# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters ``estate.aws.loadbalancing_errors`` and ``estate.aws.dns_errors``: validate a stack's
load-balancing and DNS data before touching AWS.

Each returns a list of human-readable errors (empty when the data is valid); every error names
the variable path (0-based indexes, as in Jinja) and says how to fix it. Stdlib only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
LABEL = re.compile(r"^(\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)$")
DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$"
)


def _duplicates(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups = []
    for name in names:
        if name in seen and name not in dups:
            dups.append(name)
        seen.add(name)
    return dups


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def loadbalancing_errors(spec: Mapping[str, Any]) -> list[str]:
    """spec: {certificates, target_groups, albs, classic, vpc_cidr, ip_target_networks,
    security_groups (names of the network tier's groups; None: not checked)}."""
    errors: list[str] = []
    certs = [c.get("name", "") for c in spec.get("certificates") or []]
    groups = spec.get("target_groups") or []
    group_names = [g.get("name", "") for g in groups]
    albs = spec.get("albs") or []
    classic = spec.get("classic") or []
    sgs = spec.get("security_groups")
    for var, names in (
        ("aws_loadbalancing_certificates", certs),
        ("aws_loadbalancing_target_groups", group_names),
        ("aws_loadbalancing_albs", [a.get("name", "") for a in albs]),
        ("aws_loadbalancing_classic", [c.get("name", "") for c in classic]),
    ):
        for dup in _duplicates(names):
            errors.append(f"{var}: duplicate name '{dup}': give each entry its own name")
    for var, items in (
        ("aws_loadbalancing_target_groups", groups),
        ("aws_loadbalancing_albs", albs),
        ("aws_loadbalancing_classic", classic),
    ):
        for i, item in enumerate(items):
            if not LB_NAME.match(str(item.get("name", ""))):
                errors.append(
                    f"{var}[{i}].name '{item.get('name')}' must be 1-32 letters, digits or '-', "
                    "not starting or ending with '-'"
                )
    for i, cert in enumerate(spec.get("certificates") or []):
        for name in [cert.get("domain", ""), *(cert.get("alternative_names") or [])]:
            if not DOMAIN.match(str(name).removeprefix("*.").lower()):
                errors.append(
                    f"aws_loadbalancing_certificates[{i}]: '{name}' is not a valid domain name"
                )

    vpc = _network(str(spec.get("vpc_cidr") or ""))
    allowed = [n for n in (_network(str(c)) for c in spec.get("ip_target_networks") or []) if n]
    for i, group in enumerate(groups):
        where = f"aws_loadbalancing_target_groups[{i}] ({group.get('name')})"
        kind = group.get("target_type", "instance")
        if kind == "instance" and group.get("targets"):
            errors.append(
                f"{where}: an instance group takes instance_role, not targets: "
                "set target_type: ip for address targets"
            )
        for j, target in enumerate(group.get("targets") or []):
            try:
                address = ipaddress.ip_address(str(target.get("ip", "")))
            except ValueError:
                errors.append(f"{where}.targets[{j}]: '{target.get('ip')}' is not an IP address")
                continue
            inside = vpc is not None and address in vpc
            if not inside and not any(address in net for net in allowed):
                errors.append(
                    f"{where}.targets[{j}]: {address} is neither in the VPC "
                    f"({spec.get('vpc_cidr')}) nor in a VPN static route "
                    f"({', '.join(map(str, allowed)) or 'none'}): fix the address or add its "
                    "network to aws_network_vpn.static_routes"
                )

    def check_ref(where: str, kind: str, value: Any, known: list[str], var: str) -> None:
        if value not in known:
            errors.append(
                f"{where}: unknown {kind} '{value}': use one of {known or '[]'} (defined in {var})"
            )

    for i, alb in enumerate(albs):
        where = f"aws_loadbalancing_albs[{i}] ({alb.get('name')})"
        if alb.get("https", True) and not alb.get("certificate"):
            errors.append(
                f"{where}: HTTPS listener without a certificate: set certificate to a name of "
                "aws_loadbalancing_certificates (or https: false)"
            )
        if alb.get("certificate"):
            check_ref(
                where, "certificate", alb["certificate"], certs, "aws_loadbalancing_certificates"
            )
        refs = [alb.get("default_target_group")]
        refs += [r.get("target_group") for r in alb.get("rules") or []]
        for ref in refs:
            check_ref(where, "target group", ref, group_names, "aws_loadbalancing_target_groups")
        if alb.get("rules") and not alb.get("https", True):
            errors.append(f"{where}: host rules live on the HTTPS listener: set https: true")
        if sgs is not None:
            check_ref(
                where,
                "security group",
                alb.get("security_group"),
                list(sgs),
                "aws_network_security_groups",
            )
    for i, elb in enumerate(classic):
        where = f"aws_loadbalancing_classic[{i}] ({elb.get('name')})"
        if not elb.get("certificate"):
            errors.append(
                f"{where}: HTTPS listener without a certificate: set certificate to a name of "
                "aws_loadbalancing_certificates"
            )
        else:
            check_ref(
                where, "certificate", elb["certificate"], certs, "aws_loadbalancing_certificates"
            )
        if sgs is not None:
            check_ref(
                where,
                "security group",
                elb.get("security_group"),
                list(sgs),
                "aws_network_security_groups",
            )
    return errors


def dns_errors(spec: Mapping[str, Any]) -> list[str]:
    """spec: {zones, records, albs, classic (names the load-balancing tier defines)}."""
    errors: list[str] = []
    zones = spec.get("zones") or []
    zone_names = [str(z.get("name", "")).rstrip(".").lower() for z in zones]
    for dup in _duplicates(zone_names):
        errors.append(f"aws_dns_zones: duplicate zone '{dup}': define each zone once")
    for i, name in enumerate(zone_names):
        if not DOMAIN.match(name):
            errors.append(f"aws_dns_zones[{i}].name '{name}' is not a valid domain name")
    albs, classic = list(spec.get("albs") or []), list(spec.get("classic") or [])
    keys: list[str] = []
    for i, rec in enumerate(spec.get("records") or []):
        where = f"aws_dns_records[{i}] ({rec.get('name')} in {rec.get('zone')})"
        zone = str(rec.get("zone", "")).rstrip(".").lower()
        if zone not in zone_names:
            errors.append(
                f"{where}: zone '{rec.get('zone')}' is not a zone of the stack: add it to "
                f"aws_dns_zones or use one of {zone_names}"
            )
        name = str(rec.get("name", ""))
        labels = [] if name in ("", "@") else name.lower().split(".")
        if not all(LABEL.match(label) for label in labels):
            errors.append(
                f"{where}: '{name}' is not a valid record name (labels of letters, digits, "
                "'-' or '_', relative to the zone; '@' for the apex)"
            )
        rtype = str(rec.get("type", "A")).upper()
        if rtype == "CNAME" and not labels:
            errors.append(f"{where}: a CNAME cannot sit at the zone apex: use an alias A record")
        sources = [k for k in ("values", "alias", "from") if rec.get(k)]
        if len(sources) != 1:
            errors.append(f"{where}: give exactly one of values, alias or from")
        alias = rec.get("alias") or {}
        if alias.get("alb") and alias["alb"] not in albs:
            errors.append(
                f"{where}: unknown load balancer '{alias['alb']}': use one of {albs} "
                "(aws_loadbalancing_albs)"
            )
        if alias.get("classic") and alias["classic"] not in classic:
            errors.append(
                f"{where}: unknown classic ELB '{alias['classic']}': use one of {classic} "
                "(aws_loadbalancing_classic)"
            )
        if alias and rtype not in ("A", "AAAA"):
            errors.append(f"{where}: an alias record must be of type A or AAAA")
        failover = str(rec.get("failover", "")).upper()
        if failover not in ("", "PRIMARY", "SECONDARY"):
            errors.append(f"{where}: failover must be PRIMARY or SECONDARY")
        if failover == "PRIMARY" and not rec.get("health_check"):
            errors.append(f"{where}: a PRIMARY failover record needs a health_check")
        record_key = f"{'.'.join(labels)}|{zone}|{rtype}|{failover}"
        if record_key in keys:
            errors.append(f"{where}: defined twice: define each record once")
        keys.append(record_key)
    return errors


def _walk(outputs: Mapping[str, Any], path: str) -> Any:
    value: Any = outputs
    for part in str(path).split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _fqdn(name: str, zone: str) -> str:
    zone = zone.rstrip(".").lower()
    return zone if name in ("", "@") else f"{name.lower()}.{zone}"


def dns_record_sets(
    records: Iterable[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    health_check_ids: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The records whose values resolve, in estate.aws.route53_records' form (with 'zone').

    OUTPUTS holds the other tiers' output facts by name (aws_loadbalancing_outputs,
    aws_database_outputs, aws_compute_outputs, ...); a record whose alias or `from` path does not
    resolve (its tier has not run, or gave no such key) is left out.
    """
    resolved = []
    lb = outputs.get("aws_loadbalancing_outputs") or {}
    for rec in records:
        zone = str(rec["zone"]).rstrip(".").lower()
        out: dict[str, Any] = {
            "zone": zone,
            "name": _fqdn(str(rec.get("name", "")), zone),
            "type": str(rec.get("type", "A")).upper(),
        }
        alias = rec.get("alias") or {}
        if alias:
            kind, target = (
                ("albs", alias["alb"]) if alias.get("alb") else ("classic", alias.get("classic"))
            )
            found = (lb.get(kind) or {}).get(target) or {}
            if not found.get("dns_name") or not found.get("zone_id"):
                continue
            out["alias"] = {
                "dns_name": found["dns_name"],
                "zone_id": found["zone_id"],
                "evaluate": bool(alias.get("evaluate", False)),
            }
        else:
            values = rec.get("values") or _walk(outputs, rec.get("from", ""))
            if not values:
                continue
            out["values"] = [values] if isinstance(values, str) else list(values)
            out["ttl"] = int(rec.get("ttl", 300))
        if rec.get("failover"):
            out["failover"] = str(rec["failover"]).upper()
            out["set_identifier"] = rec.get("set_identifier") or out["failover"].lower()
            hc_id = (health_check_ids or {}).get(f"{out['name']}|{out['set_identifier']}")
            if rec.get("health_check"):
                if not hc_id:
                    continue
                out["health_check_id"] = hc_id
        resolved.append(out)
    return resolved


def dns_unresolved(records: Iterable[Mapping[str, Any]], outputs: Mapping[str, Any]) -> list[str]:
    """'<zone> <name>: <path>' of each record whose alias or `from` does not resolve in OUTPUTS."""
    lb = outputs.get("aws_loadbalancing_outputs") or {}
    missing = []
    for rec in records:
        where = f"{rec.get('zone')} {rec.get('name', '')}"
        alias = rec.get("alias") or {}
        if alias:
            kind = "albs" if alias.get("alb") else "classic"
            target = alias.get("alb") or alias.get("classic")
            if not ((lb.get(kind) or {}).get(target) or {}).get("dns_name"):
                missing.append(f"{where}: aws_loadbalancing_outputs.{kind}.{target}")
        elif rec.get("from") and not _walk(outputs, str(rec["from"])):
            missing.append(f"{where}: {rec['from']}")
    return missing


def dns_health_checks(
    records: Iterable[Mapping[str, Any]], outputs: Mapping[str, Any], stack: str
) -> list[dict[str, Any]]:
    """One health check per record with a health_check, aimed at what the record points to."""
    checks = []
    for rec in dns_record_sets(
        [{**r, "health_check": None} for r in records if r.get("health_check")], outputs
    ):
        spec = next(
            r
            for r in records
            if r.get("health_check")
            and _fqdn(str(r.get("name", "")), str(r["zone"])) == rec["name"]
            and str(r.get("failover", "")).upper() == rec.get("failover", "")
        )["health_check"]
        target = rec["alias"]["dns_name"] if "alias" in rec else rec["values"][0]
        checks.append(
            {
                "key": f"{rec['name']}|{rec.get('set_identifier', '')}",
                "name": f"{stack}-{rec['name']}-{rec.get('set_identifier', '')}".rstrip("-"),
                "fqdn": target.rstrip("."),
                "type": spec.get("type", "HTTPS"),
                "port": int(spec.get("port", 443)),
                "path": spec.get("path", "/"),
            }
        )
    return checks


def ip_in(address: str, cidr: str) -> bool:
    """True when ADDRESS lies inside CIDR."""
    network = _network(str(cidr))
    try:
        return network is not None and ipaddress.ip_address(str(address)) in network
    except ValueError:
        return False


def target_group_targets(
    group: Mapping[str, Any], vpc_cidr: str, instances: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The targets of a target group for elb_target_group: IP targets (AvailabilityZone "all"
    outside the VPC, as AWS requires) or the running instances whose `role` tag is the group's
    instance_role (sorted, so the list is stable)."""
    port = int(group["port"])
    if group.get("target_type", "instance") == "ip":
        targets = []
        for target in group.get("targets") or []:
            entry: dict[str, Any] = {
                "Id": str(target["ip"]),
                "Port": int(target.get("port") or port),
            }
            if not ip_in(target["ip"], vpc_cidr):
                entry["AvailabilityZone"] = "all"
            targets.append(entry)
        return targets
    role = group.get("instance_role") or ""
    ids = sorted(i["instance_id"] for i in instances if (i.get("tags") or {}).get("role") == role)
    return [{"Id": instance_id, "Port": port} for instance_id in ids]


def alb_rules(rules: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Host-header listener rules for elb_application_lb, priorities in data order."""
    return [
        {
            "Priority": str(index),
            "Conditions": [{"Field": "host-header", "Values": list(rule["hosts"])}],
            "Actions": [{"Type": "forward", "TargetGroupName": rule["target_group"]}],
        }
        for index, rule in enumerate(rules, start=1)
    ]


def balancer_outputs(balancers: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """name -> {arn, dns_name, zone_id} from module results or info answers (ALB or classic)."""
    out = {}
    for lb in balancers:
        name = lb.get("load_balancer_name") or lb.get("name")
        if not name or not lb.get("dns_name"):
            continue
        entry = {
            "dns_name": lb["dns_name"],
            "zone_id": lb.get("canonical_hosted_zone_id")
            or lb.get("canonical_hosted_zone_name_id")
            or lb.get("hosted_zone_id")
            or "",
        }
        if lb.get("load_balancer_arn"):
            entry["arn"] = lb["load_balancer_arn"]
        out[name] = entry
    return out


def tagged_resources(tag_sets: Iterable[Mapping[str, Any]], wanted: Mapping[str, str]) -> list[str]:
    """ResourceId of every Route53 ResourceTagSet whose tags include all of WANTED."""
    ids = []
    for tag_set in tag_sets:
        tags = {t["Key"]: t["Value"] for t in tag_set.get("Tags") or []}
        if wanted and all(tags.get(k) == v for k, v in wanted.items()):
            ids.append(str(tag_set["ResourceId"]))
    return ids


class FilterModule:
    """Load-balancing and DNS data validation filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "loadbalancing_errors": loadbalancing_errors,
            "dns_errors": dns_errors,
            "dns_record_sets": dns_record_sets,
            "dns_health_checks": dns_health_checks,
            "dns_unresolved": dns_unresolved,
            "ip_in": ip_in,
            "target_group_targets": target_group_targets,
            "alb_rules": alb_rules,
            "balancer_outputs": balancer_outputs,
            "tagged_resources": tagged_resources,
        }
