# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filter ``estate.aws.network_errors``: validate a stack's network data before touching AWS.

Usage in a role::

    {{ {'vpc_cidr': aws_network_vpc_cidr, 'azs': aws_network_azs,
        'nat_mode': aws_network_nat_mode, 'subnets': aws_network_subnets,
        'security_groups': aws_network_security_groups, 'vpn': aws_network_vpn,
        'region': stack_region} | estate.aws.network_errors }}

It returns a list of human-readable errors (empty when the data is valid). Each error names the
exact variable path (indexes are 0-based, as in Jinja) and says how to fix it. Only the stdlib is
used, so the filter runs anywhere Ansible does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.values import (
    as_int,
    as_list,
    text,
)

VPC = "aws_network_vpc_cidr"
AZS = "aws_network_azs"
NAT = "aws_network_nat_mode"
SUBNETS = "aws_network_subnets"
SGS = "aws_network_security_groups"
VPN = "aws_network_vpn"
REGION = "stack_region"

TIERS = ("public", "private", "database")
MIN_PREFIX = 16
MAX_PREFIX = 28
PROTO_NAMES = ("tcp", "udp", "icmp", "all", "-1")
PORTLESS_PROTOS = ("all", "-1", "icmp", "1", "58")
SOURCES = ("cidr_ip", "cidr_ipv6", "group_name")
WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# Administrative services that must never face the internet: name, port, protocols carrying it.
ADMIN_SERVICES = (("SSH", 22, ("tcp", "6")), ("RDP", 3389, ("tcp", "6", "udp", "17")))
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_cidr(value: Any, where: str, version: int = 4) -> tuple[Network | None, list[str]]:
    """Parse a CIDR of an IP version; return (network, errors)."""
    cidr = text(value).strip()
    example = "10.0.0.0/24" if version == 4 else "2001:db8::/56"
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != version or "/" not in cidr:
        return None, [
            f"{where}: {cidr!r} is not a valid IPv{version} CIDR — write it as "
            f"address/prefix, e.g. {example}"
        ]
    if str(net) != cidr:
        return None, [f"{where}: {cidr} has host bits set, did you mean {net}"]
    return net, []


def _prefix_errors(net: Network, where: str, what: str) -> list[str]:
    if MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
        return []
    return [
        f"{where}: {net} has prefix /{net.prefixlen} but AWS allows /{MIN_PREFIX} to "
        f"/{MAX_PREFIX} for a {what} — choose a prefix between /{MIN_PREFIX} and /{MAX_PREFIX}"
    ]


# --- VPC, AZs, NAT mode, region -------------------------------------------------------------


def check_vpc_cidr(value: Any) -> tuple[Network | None, list[str]]:
    """The VPC CIDR: a valid IPv4 network with a prefix AWS accepts."""
    if value in (None, ""):
        return None, [f"{VPC} is missing — set it to the VPC's IPv4 CIDR, e.g. 10.3.63.0/24"]
    net, errors = _parse_cidr(value, VPC)
    if net is None:
        return None, errors
    errors = _prefix_errors(net, VPC, "VPC")
    return (None if errors else net), errors


def check_azs(value: Any) -> list[str]:
    """At least two unique AZ letters."""
    value = as_list(value)
    errors: list[str] = []
    if len(value) < 2:
        errors.append(
            f"{AZS} has {len(value)} AZ(s) — list at least 2 (e.g. [a, b]): "
            "subnets, RDS and load balancers need two AZs"
        )
    seen: set[str] = set()
    for index, raw in enumerate(value):
        az = text(raw)
        if not re.fullmatch(r"[a-z]", az):
            errors.append(
                f"{AZS}[{index}]: {az!r} is not a single lowercase AZ letter — write only the "
                "letter (e.g. a); the region comes from stack_region"
            )
        elif az in seen:
            errors.append(f"{AZS}[{index}]: AZ {az!r} is listed twice — list each AZ once")
        seen.add(az)
    return errors


def check_region(value: Any) -> list[str]:
    region = text(value)
    if REGION_RE.fullmatch(region):
        return []
    return [f"{REGION}: {region!r} is not an AWS region name — set it like eu-west-2"]


# --- Subnets ----------------------------------------------------------------------------------


def _subnet_label(index: int, subnet: Mapping[str, Any]) -> str:
    name = text(subnet.get("name"))
    return f"{SUBNETS}[{index}] ({name})" if name else f"{SUBNETS}[{index}]"


def _subnet_attrs(index: int, subnet: Mapping[str, Any], azs: list[str]) -> list[str]:
    where = _subnet_label(index, subnet)
    errors: list[str] = []
    az = text(subnet["az"])
    if az not in azs:
        errors.append(
            f"{where}: az {az!r} is not in {AZS} {azs} — add it to {AZS} or use one of those"
        )
    return errors


def _subnet_cidr(
    index: int, subnet: Mapping[str, Any], vpc: Network | None
) -> tuple[Network | None, list[str]]:
    where = f"{_subnet_label(index, subnet)}: cidr"
    net, errors = _parse_cidr(subnet["cidr"], where)
    if net is None:
        return None, errors
    errors = _prefix_errors(net, where, "subnet")
    if vpc is not None and not net.subnet_of(vpc):
        errors.append(
            f"{_subnet_label(index, subnet)}: cidr {net} is outside {VPC} {vpc} — choose a range "
            "inside the VPC CIDR"
        )
    return net, errors


def _overlap_errors(nets: list[tuple[str, Network]]) -> list[str]:
    return [
        f"{label_b}: cidr {net_b} overlaps {label_a} cidr {net_a} — give each subnet its own range"
        for pos, (label_a, net_a) in enumerate(nets)
        for label_b, net_b in nets[pos + 1 :]
        if net_a.overlaps(net_b)
    ]


def _duplicate_names(
    items: list[Mapping[str, Any]], label: Callable[[int, Any], str], what: str
) -> list[str]:
    errors: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        name = text(item.get("name"))
        if not name:
            continue
        if name in first:
            errors.append(
                f"{label(index, item)}: duplicate {what} name (also "
                f"{label(first[name], items[first[name]])}) — give each {what} a unique name"
            )
        first.setdefault(name, index)
    return errors


def _tier_azs(subnets: list[Mapping[str, Any]]) -> dict[str, set[str]]:
    spans: dict[str, set[str]] = {}
    for subnet in subnets:
        spans.setdefault(text(subnet["tier"]), set()).add(text(subnet["az"]))
    return spans


def _layout_errors(spans: dict[str, set[str]], nat_mode: str) -> list[str]:
    errors = [
        f"{SUBNETS}: tier {tier!r} spans only {len(azs)} AZ ({', '.join(sorted(azs))}) — add a "
        f"{tier} subnet in a second AZ (RDS and load balancers need two AZs)"
        for tier, azs in sorted(spans.items())
        if tier in TIERS and len(azs) < 2
    ]
    if nat_mode in ("single", "per_az") and "public" not in spans:
        errors.append(
            f"{SUBNETS}: no public subnet, but {NAT} is {nat_mode} — add public subnets for the "
            f"NAT gateway(s) or set {NAT}: none"
        )
    if nat_mode == "per_az":
        errors.extend(
            f"{SUBNETS}: AZ {az!r} has a private subnet but no public subnet, and {NAT} is per_az"
            f" — add a public subnet in AZ {az} or set {NAT}: single"
            for az in sorted(spans.get("private", set()) - spans.get("public", set()))
        )
    return errors


def check_subnets(value: Any, azs: list[str], vpc: Network | None, nat_mode: str) -> list[str]:
    """Subnet fields, names, tiers, AZs, CIDRs and the tier/AZ layout."""
    if not value:
        return [
            f"{SUBNETS} is empty — define subnets per tier (public, private, database) in 2 AZs"
        ]
    errors = _duplicate_names(list(value), _subnet_label, "subnet")
    complete: list[Mapping[str, Any]] = []
    nets: list[tuple[str, Network]] = []
    for index, subnet in enumerate(value):
        complete.append(subnet)
        errors.extend(_subnet_attrs(index, subnet, azs))
        net, cidr_errors = _subnet_cidr(index, subnet, vpc)
        errors.extend(cidr_errors)
        if net is not None:
            nets.append((_subnet_label(index, subnet), net))
    errors.extend(_overlap_errors(nets))
    errors.extend(_layout_errors(_tier_azs(complete), nat_mode))
    return errors


# --- Security groups --------------------------------------------------------------------------


def _group_label(index: int, group: Mapping[str, Any]) -> str:
    name = text(group.get("name"))
    return f"{SGS}[{index}] ({name})" if name else f"{SGS}[{index}]"


def _proto(rule: Mapping[str, Any]) -> str:
    return text(rule.get("proto")).strip().lower()


def _proto_errors(proto: str, where: str) -> list[str]:
    number = as_int(proto)
    if proto in PROTO_NAMES or (number is not None and 0 <= number <= 255):
        return []
    return [
        f"{where}: proto {proto!r} is not tcp, udp, icmp, all, -1 or a protocol number 0-255 — "
        "fix the proto"
    ]


def _port_range(port: Any) -> tuple[int, int] | None:
    """(from, to) of a port or a 'from-to' string; None when invalid."""
    single = as_int(port)
    if single is not None:
        return (single, single) if 0 <= single <= 65535 else None
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text(port))
    if not match:
        return None
    low, high = int(match.group(1)), int(match.group(2))
    return (low, high) if low <= high <= 65535 else None


def _port_errors(rule: Mapping[str, Any], proto: str, where: str) -> list[str]:
    ports = as_list(rule.get("ports"))
    if not ports:
        if proto in PORTLESS_PROTOS:
            return []
        return [
            f"{where}: ports missing for proto {proto} — list them, e.g. [443] or ['8000-8010']"
        ]
    return [
        f"{where}: port {text(port)!r} is not an integer 0-65535 or a 'from-to' range — fix ports"
        for port in ports
        if _port_range(port) is None
    ]


def _source_errors(
    rule: Mapping[str, Any], where: str, group_names: set[str]
) -> tuple[list[Network], list[str]]:
    """Exactly one source; return (parsed CIDR sources, errors)."""
    given = [key for key in SOURCES if rule.get(key) not in (None, "", [])]
    if len(given) != 1:
        found = f"{len(given)} ({', '.join(given)})" if given else "none"
        return [], [
            f"{where}: sources given: {found} — give exactly one of cidr_ip, cidr_ipv6, "
            "group_name (split the rule in two if it needs several)"
        ]
    key = given[0]
    values = as_list(rule[key])
    if key == "group_name":
        return [], [
            f"unknown security group {text(name)!r} referenced by {where} — define it in {SGS} "
            "or fix the name"
            for name in values
            if text(name) not in group_names
        ]
    nets: list[Network] = []
    errors: list[str] = []
    for pos, value in enumerate(values):
        net, cidr_errors = _parse_cidr(value, f"{where}.{key}[{pos}]", 4 if key == "cidr_ip" else 6)
        errors.extend(cidr_errors)
        if net is not None:
            nets.append(net)
    return nets, errors


def _covers(rule: Mapping[str, Any], proto: str, port: int, protos: Iterable[str]) -> bool:
    """Whether a rule opens a port of a service."""
    if proto in ("all", "-1"):
        return True
    if proto not in protos:
        return False
    ranges = [_port_range(item) for item in as_list(rule.get("ports"))]
    return any(span is not None and span[0] <= port <= span[1] for span in ranges)


def _world_errors(
    rule: Mapping[str, Any], proto: str, nets: list[Network], where: str
) -> list[str]:
    if not any(net in WORLD for net in nets):
        return []
    return [
        f"{where} opens {service} to the world — restrict cidr_ip to stack_admin_cidrs"
        for service, port, protos in ADMIN_SERVICES
        if _covers(rule, proto, port, protos)
    ]


def _rule_errors(rule: Mapping[str, Any], where: str, group_names: set[str]) -> list[str]:
    proto = _proto(rule)
    errors = _proto_errors(proto, where)
    errors.extend(_port_errors(rule, proto, where))
    nets, source_errors = _source_errors(rule, where, group_names)
    errors.extend(source_errors)
    errors.extend(_world_errors(rule, proto, nets, where))
    return errors


def _group_errors(index: int, group: Mapping[str, Any], group_names: set[str]) -> list[str]:
    where = _group_label(index, group)
    errors: list[str] = []
    if not text(group.get("description")).strip():
        errors.append(
            f"{where}: description is missing — AWS requires one, say what the group allows"
        )
    for pos, rule in enumerate(as_list(group.get("rules"))):
        errors.extend(_rule_errors(rule, f"{where}.rules[{pos}]", group_names))
    return errors


def check_security_groups(value: Any) -> list[str]:
    """Unique names, descriptions, and every rule's proto, ports, source and exposure."""
    groups = as_list(value)
    names = {text(g.get("name")) for g in groups if g.get("name")}
    errors = _duplicate_names(groups, _group_label, "security group")
    for index, group in enumerate(groups):
        errors.extend(_group_errors(index, group, names))
    return errors


# --- VPN --------------------------------------------------------------------------------------


def _gateway_ip_errors(value: Any) -> list[str]:
    try:
        ipaddress.IPv4Address(text(value).strip())
    except ValueError:
        return [
            f"{VPN}.customer_gateway_ip: {text(value)!r} is not a valid IPv4 address — give the "
            "public IPv4 address of the partner's VPN device"
        ]
    return []


def _asn_errors(value: Any) -> list[str]:
    asn = as_int(value)
    if asn is not None and 1 <= asn <= 4294967294:
        return []
    return [
        f"{VPN}.customer_gateway_bgp_asn: {text(value)!r} is not an integer between 1 and "
        "4294967294 — use the partner device's BGP ASN (65000 if it has none)"
    ]


def _route_errors(value: Any, vpc: Network | None) -> list[str]:
    if not value:
        return [
            f"{VPN}.static_routes is empty — list the partner networks (CIDRs) reached over the VPN"
        ]
    errors: list[str] = []
    for pos, route in enumerate(value):
        net, cidr_errors = _parse_cidr(route, f"{VPN}.static_routes[{pos}]")
        errors.extend(cidr_errors)
        if net is not None and vpc is not None and net.overlaps(vpc):
            errors.append(
                f"{VPN}.static_routes[{pos}]: VPN static route {net} overlaps {VPC} {vpc} — route "
                "only the partner's networks, not the VPC's own range"
            )
    return errors


def _propagation_errors(value: Any, tiers: set[str]) -> list[str]:
    return [
        f"{VPN}.propagate_to_tiers[{pos}]: tier {text(tier)!r} has no subnets in {SUBNETS} — "
        f"use one of {', '.join(sorted(tiers)) or 'the defined tiers'}"
        for pos, tier in enumerate(as_list(value))
        if text(tier) not in tiers
    ]


def check_vpn(value: Any, vpc: Network | None, tiers: set[str]) -> list[str]:
    """The optional site-to-site VPN; an empty mapping or None means no VPN."""
    if not value:
        return []
    return [
        *_gateway_ip_errors(value.get("customer_gateway_ip")),
        *_asn_errors(value.get("customer_gateway_bgp_asn")),
        *_route_errors(value.get("static_routes"), vpc),
        *_propagation_errors(value.get("propagate_to_tiers"), tiers),
    ]


# --- Entry point ------------------------------------------------------------------------------


def _defined_tiers(subnets: Any) -> set[str]:
    return {text(s.get("tier")) for s in as_list(subnets) if s.get("tier")}


def network_errors(spec: Mapping[str, Any]) -> list[str]:
    """All errors of a network spec (empty list = valid)."""
    vpc, errors = check_vpc_cidr(spec.get("vpc_cidr"))
    azs = [text(az) for az in as_list(spec.get("azs"))]
    nat_mode = text(spec.get("nat_mode"))
    errors.extend(check_azs(spec.get("azs")))
    errors.extend(check_subnets(spec.get("subnets"), azs, vpc, nat_mode))
    errors.extend(check_security_groups(spec.get("security_groups")))
    errors.extend(check_vpn(spec.get("vpn"), vpc, _defined_tiers(spec.get("subnets"))))
    if "region" in spec:
        errors.extend(check_region(spec.get("region")))
    return errors


def vpc_resolver(cidr: Any) -> str:
    """The Amazon-provided DNS resolver of a VPC: its CIDR's base address plus two."""
    network = ipaddress.ip_network(str(cidr), strict=False)
    return str(network.network_address + 2)


class FilterModule:
    """Network data validation filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"network_errors": network_errors, "vpc_resolver": vpc_resolver}
