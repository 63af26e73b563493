"""Table-driven tests of the estate.aws.network_errors filter."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.playbook import REPO as ROOT
from support.source import load_plugin

Spec = dict[str, Any]
Mutation = Callable[[Spec], None]

network = load_plugin("filter/network.py")

# Cubed's network data (inventories/cubed/group_vars/all/network.yml), templates rendered.
VALID: Spec = {
    "vpc_cidr": "10.3.63.0/24",
    "azs": ["a", "b"],
    "nat_mode": "single",
    "region": "eu-west-2",
    "subnets": [
        {"name": "private-a", "tier": "private", "az": "a", "cidr": "10.3.63.0/27"},
        {"name": "private-b", "tier": "private", "az": "b", "cidr": "10.3.63.32/27"},
        {"name": "public-a", "tier": "public", "az": "a", "cidr": "10.3.63.64/27"},
        {"name": "public-b", "tier": "public", "az": "b", "cidr": "10.3.63.96/27"},
        {"name": "database-a", "tier": "database", "az": "a", "cidr": "10.3.63.128/27"},
        {"name": "database-b", "tier": "database", "az": "b", "cidr": "10.3.63.160/27"},
    ],
    "security_groups": [
        {
            "name": "VisScore Internal Web Servers",
            "description": "HTTP(S) to the internal web servers",
            "rules": [
                {"proto": "tcp", "ports": [80, 443], "group_name": "VisScore Load Balancers"},
                {
                    "proto": "tcp",
                    "ports": [80, 443],
                    "cidr_ip": ["10.3.63.0/24", "10.3.61.0/24", "10.3.62.0/24"],
                },
            ],
        },
        {
            "name": "VisScore Load Balancers",
            "description": "HTTPS onto the public load balancers",
            "rules": [{"proto": "tcp", "ports": [80, 443], "cidr_ip": "0.0.0.0/0"}],
        },
        {
            "name": "SSH LIVE Web Servers",
            "description": "SSH from the admin networks and CI only",
            "rules": [
                {"proto": "tcp", "ports": [22], "cidr_ip": ["198.51.100.0/24"]},
                {"proto": "tcp", "ports": [22], "group_name": "bitbucket-pipelines"},
            ],
        },
        {
            "name": "bitbucket-pipelines",
            "description": "Bitbucket Pipelines runners",
            "rules": [{"proto": "tcp", "ports": [22, 443], "cidr_ip": ["203.0.113.0/25"]}],
        },
        {
            "name": "VisScore DNS Server",
            "description": "DNS for the internal zones",
            "rules": [
                {"proto": "udp", "ports": [53], "cidr_ip": ["10.3.63.0/24"]},
                {"proto": "tcp", "ports": ["53"], "cidr_ip": ["10.3.63.0/24"]},
                {"proto": "icmp", "cidr_ip": "10.3.63.0/24"},
                {"proto": "all", "group_name": ["VisScore DNS Server"]},
            ],
        },
    ],
    "vpn": {
        "customer_gateway_ip": "192.0.2.10",
        "customer_gateway_bgp_asn": 65010,
        "amazon_side_asn": 64512,
        "static_routes": ["10.3.61.0/24", "10.3.62.0/24"],
        "propagate_to_tiers": ["private", "database"],
    },
}


def put(*path: Any) -> Mutation:
    """Mutation setting spec[path[0]][path[1]]... to the last argument."""
    *keys, last, value = path

    def mutate(spec: Spec) -> None:
        target: Any = spec
        for key in keys:
            target = target[key]
        target[last] = value

    return mutate


def drop(*path: Any) -> Mutation:
    """Mutation deleting spec[path[0]]...[path[-1]]."""
    *keys, last = path

    def mutate(spec: Spec) -> None:
        target: Any = spec
        for key in keys:
            target = target[key]
        del target[last]

    return mutate


def rule(group: int, index: int, **fields: Any) -> Mutation:
    return put("security_groups", group, "rules", index, fields)


def keep_subnets(*names: str) -> Mutation:
    def mutate(spec: Spec) -> None:
        spec["subnets"] = [s for s in spec["subnets"] if s["name"] in names]

    return mutate


SSH_WORLD = "opens SSH to the world — restrict cidr_ip to stack_admin_cidrs"

INVALID: list[tuple[str, Mutation, str]] = [
    (
        "vpc-host-bits",
        put("vpc_cidr", "10.3.63.1/24"),
        "aws_network_vpc_cidr: 10.3.63.1/24 has host bits set, did you mean 10.3.63.0/24",
    ),
    (
        "vpc-prefix-too-big",
        put("vpc_cidr", "10.0.0.0/12"),
        "aws_network_vpc_cidr: 10.0.0.0/12 has prefix /12",
    ),
    (
        "vpc-prefix-too-small",
        put("vpc_cidr", "10.3.63.0/29"),
        "has prefix /29 but AWS allows /16 to /28",
    ),
    (
        "vpc-garbage",
        put("vpc_cidr", "10.3.63.0"),
        "aws_network_vpc_cidr: '10.3.63.0' is not a valid IPv4 CIDR",
    ),
    ("vpc-missing", drop("vpc_cidr"), "aws_network_vpc_cidr is missing"),
    ("azs-one", put("azs", ["a"]), "aws_network_azs has 1 AZ(s) — list at least 2"),
    ("azs-duplicate", put("azs", ["a", "b", "a"]), "aws_network_azs[2]: AZ 'a' is listed twice"),
    (
        "azs-full-name",
        put("azs", ["eu-west-2a", "b"]),
        "aws_network_azs[0]: 'eu-west-2a' is not a single",
    ),
    ("subnets-empty", put("subnets", []), "aws_network_subnets is empty"),
    (
        "subnet-duplicate-name",
        put("subnets", 1, "name", "private-a"),
        "aws_network_subnets[1] (private-a): duplicate subnet name (also aws_network_subnets[0]",
    ),
    ("subnet-az", put("subnets", 5, "az", "c"), "(database-b): az 'c' is not in aws_network_azs"),
    (
        "subnet-outside-vpc",
        put("subnets", 1, "cidr", "10.9.0.0/24"),
        "aws_network_subnets[1] (private-b): cidr 10.9.0.0/24 is outside aws_network_vpc_cidr "
        "10.3.63.0/24 — choose a range inside the VPC CIDR",
    ),
    (
        "subnet-overlap",
        put("subnets", 1, "cidr", "10.3.63.16/28"),
        "aws_network_subnets[1] (private-b): cidr 10.3.63.16/28 overlaps aws_network_subnets[0] "
        "(private-a) cidr 10.3.63.0/27",
    ),
    ("subnet-host-bits", put("subnets", 0, "cidr", "10.3.63.17/27"), "did you mean 10.3.63.0/27"),
    (
        "subnet-prefix",
        put("subnets", 0, "cidr", "10.3.63.0/29"),
        "(private-a): cidr: 10.3.63.0/29 has prefix /29",
    ),
    ("tier-one-az", put("subnets", 5, "az", "a"), "tier 'database' spans only 1 AZ (a)"),
    (
        "nat-without-public",
        keep_subnets("private-a", "private-b"),
        "no public subnet, but aws_network_nat_mode is single",
    ),
    (
        "per-az-missing-public",
        lambda s: (put("nat_mode", "per_az")(s), put("subnets", 3, "az", "a")(s)),
        "AZ 'b' has a private subnet but no public subnet, and aws_network_nat_mode is per_az",
    ),
    (
        "sg-duplicate-name",
        put("security_groups", 3, "name", "SSH LIVE Web Servers"),
        "aws_network_security_groups[3] (SSH LIVE Web Servers): duplicate security group name",
    ),
    (
        "sg-no-description",
        drop("security_groups", 1, "description"),
        "(VisScore Load Balancers): description is missing",
    ),
    (
        "rule-proto",
        rule(1, 0, proto="tcpp", ports=[443], cidr_ip="0.0.0.0/0"),
        "aws_network_security_groups[1] (VisScore Load Balancers).rules[0]: proto 'tcpp' is not",
    ),
    (
        "rule-no-ports",
        rule(1, 0, proto="tcp", cidr_ip="0.0.0.0/0"),
        "rules[0]: ports missing for proto tcp",
    ),
    (
        "rule-bad-port",
        rule(1, 0, proto="tcp", ports=[443, 70000], cidr_ip="0.0.0.0/0"),
        "port '70000' is not",
    ),
    (
        "rule-bad-range",
        rule(1, 0, proto="tcp", ports=["90-80"], cidr_ip="0.0.0.0/0"),
        "port '90-80' is not",
    ),
    (
        "rule-two-sources",
        rule(
            1, 0, proto="tcp", ports=[443], cidr_ip="10.0.0.0/8", group_name="bitbucket-pipelines"
        ),
        "sources given: 2 (cidr_ip, group_name) — give exactly one of cidr_ip, cidr_ipv6, "
        "group_name",
    ),
    ("rule-no-source", rule(1, 0, proto="tcp", ports=[443]), "sources given: none"),
    (
        "rule-unknown-group",
        put("security_groups", 2, "rules", 1, "group_name", "bitbucket"),
        "unknown security group 'bitbucket' referenced by aws_network_security_groups[2] "
        "(SSH LIVE Web Servers).rules[1] — define it in aws_network_security_groups or fix the "
        "name",
    ),
    (
        "rule-bad-cidr",
        put("security_groups", 0, "rules", 1, "cidr_ip", ["10.3.63.0/24", "10.3.61/24"]),
        "rules[1].cidr_ip[1]: '10.3.61/24' is not a valid IPv4 CIDR",
    ),
    (
        "rule-bad-ipv6",
        rule(1, 0, proto="tcp", ports=[443], cidr_ipv6="10.0.0.0/8"),
        "is not a valid IPv6 CIDR",
    ),
    (
        "ssh-world",
        put("security_groups", 2, "rules", 0, "cidr_ip", ["198.51.100.0/24", "0.0.0.0/0"]),
        "aws_network_security_groups[2] (SSH LIVE Web Servers).rules[0] " + SSH_WORLD,
    ),
    ("ssh-world-range", rule(1, 0, proto="tcp", ports=["20-25"], cidr_ip="0.0.0.0/0"), SSH_WORLD),
    ("ssh-world-all", rule(1, 0, proto="-1", cidr_ip="0.0.0.0/0"), SSH_WORLD),
    (
        "rdp-world-ipv6",
        rule(1, 0, proto="tcp", ports=[3389], cidr_ipv6="::/0"),
        "opens RDP to the world",
    ),
    (
        "vpn-gateway-ip",
        put("vpn", "customer_gateway_ip", "192.0.2.300"),
        "aws_network_vpn.customer_gateway_ip: '192.0.2.300'",
    ),
    (
        "vpn-asn",
        put("vpn", "customer_gateway_bgp_asn", 0),
        "aws_network_vpn.customer_gateway_bgp_asn: '0' is not",
    ),
    ("vpn-routes-empty", put("vpn", "static_routes", []), "aws_network_vpn.static_routes is empty"),
    (
        "vpn-route-overlap",
        put("vpn", "static_routes", ["10.3.61.0/24", "10.3.63.0/25"]),
        "aws_network_vpn.static_routes[1]: VPN static route 10.3.63.0/25 overlaps "
        "aws_network_vpc_cidr",
    ),
    (
        "vpn-bad-route",
        put("vpn", "static_routes", ["10.3.61.0/33"]),
        "aws_network_vpn.static_routes[0]: '10.3.61.0/33'",
    ),
    (
        "vpn-tier",
        put("vpn", "propagate_to_tiers", ["private", "dmz"]),
        "propagate_to_tiers[1]: tier 'dmz' has no subnets",
    ),
    ("region", put("region", "europe"), "stack_region: 'europe' is not an AWS region name"),
]

ALSO_VALID: list[tuple[str, Mutation]] = [
    ("no-vpn-empty", put("vpn", {})),
    ("no-vpn-none", put("vpn", None)),
    ("no-vpn-key", drop("vpn")),
    (
        "nat-none-without-public",
        lambda s: (
            put("nat_mode", "none")(s),
            keep_subnets("private-a", "private-b", "database-a", "database-b")(s),
        ),
    ),
    ("per-az-complete", put("nat_mode", "per_az")),
    ("no-region-key", drop("region")),
    ("ssh-range-from-admin", rule(2, 0, proto="tcp", ports=["1-1024"], cidr_ip="198.51.100.0/24")),
    ("https-world-ipv6", rule(1, 0, proto="tcp", ports=[443], cidr_ipv6="::/0")),
    ("proto-number", rule(1, 0, proto=6, ports=["443"], cidr_ip="0.0.0.0/0")),
    ("asn-as-string", put("vpn", "customer_gateway_bgp_asn", "65010")),
]


def variant(mutate: Mutation) -> Spec:
    spec = copy.deepcopy(VALID)
    mutate(spec)
    return spec


def test_valid_spec_has_no_errors() -> None:
    assert network.network_errors(copy.deepcopy(VALID)) == []


@pytest.mark.parametrize(("mutate",), [pytest.param(m, id=i) for i, m in ALSO_VALID])
def test_valid_variants(mutate: Mutation) -> None:
    assert network.network_errors(variant(mutate)) == []


@pytest.mark.parametrize(("mutate", "fragment"), [pytest.param(m, f, id=i) for i, m, f in INVALID])
def test_invalid_variant_reports_its_error(mutate: Mutation, fragment: str) -> None:
    errors = network.network_errors(variant(mutate))
    assert any(fragment in error for error in errors), "\n".join(errors)


def test_every_message_names_a_variable() -> None:
    prefixes = ("aws_network_", "unknown security group", "stack_region")
    for _id, mutate, _fragment in INVALID:
        for error in network.network_errors(variant(mutate)):
            assert error.startswith(prefixes), error


def test_filter_plugin_is_registered() -> None:
    assert network.FilterModule().filters()["network_errors"] is network.network_errors


def test_filter_through_ansible(tmp_path: Path) -> None:
    """Through Ansible's templating (lazy, tagged values) the filter gives the same answers."""
    spec = variant(put("subnets", 1, "cidr", "10.9.0.0/24"))
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps({"spec": spec}))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i", "localhost,", "-c", "local",
            "-e", f"@{vars_file}",
            "-e", f"ansible_python_interpreter={sys.executable}",
            str(_playbook(tmp_path)),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    task = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert task["ansible_facts"]["errors"] == network.network_errors(spec)
    assert len(task["ansible_facts"]["errors"]) == 1


def _playbook(tmp_path: Path) -> Path:
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.set_fact:\n"
        '        errors: "{{ spec | estate.aws.network_errors }}"\n'
    )
    return playbook
