"""Bad stack definitions (network, key, identity, storage, databases, compute, load balancing,
DNS) are rejected before any AWS call, each with its own message.

Each case overrides one part of Cubed's definition with extra vars, runs provision.yml and
asserts: the run fails, the output names the problem, and the emulator holds exactly what it
held before (nothing created, nothing lost).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.aws_state import everything
from support.playbook import run_playbook
from support.stack import stack_vars

pytestmark = pytest.mark.slow

GOOD_SUBNETS = [
    {"name": "private-a", "tier": "private", "az": "a", "cidr": "10.3.63.0/27"},
    {"name": "private-b", "tier": "private", "az": "b", "cidr": "10.3.63.32/27"},
    {"name": "public-a", "tier": "public", "az": "a", "cidr": "10.3.63.64/27"},
    {"name": "public-b", "tier": "public", "az": "b", "cidr": "10.3.63.96/27"},
]
SG = {"name": "web", "description": "web servers", "rules": []}
GROUP = {
    "name": "docs",
    "role": "docs",
    "count": 1,
    "instance_type": "t3.micro",
    "subnet": "private-b",
    "security_groups": ["VisScore Docs Server"],
}
ASG = {
    "name": "web",
    "role": "web",
    "instance_type": "t3.micro",
    "subnets": ["private-a", "private-b"],
    "security_groups": ["VisScore Internal Web Servers"],
    "min_size": 1,
    "max_size": 3,
}


def with_subnet(**changes: Any) -> list[dict[str, Any]]:
    return [*GOOD_SUBNETS[:-1], {**GOOD_SUBNETS[-1], **changes}]


def with_group(**changes: Any) -> dict[str, Any]:
    return {"aws_compute_groups": [{**GROUP, **changes}]}


def with_asg(**changes: Any) -> dict[str, Any]:
    return {"aws_compute_asgs": [{**ASG, **changes}]}


def with_rule(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**SG, "rules": [rule]}]


# A valid database on Cubed's test network (Cubed itself has none): database subnets in two AZs,
# a database security group, a TLS-only MySQL 8.0 parameter group. Each case changes one thing.
DB_SUBNETS = [
    *GOOD_SUBNETS,
    {"name": "database-a", "tier": "database", "az": "a", "cidr": "10.3.63.128/27"},
    {"name": "database-b", "tier": "database", "az": "b", "cidr": "10.3.63.160/27"},
]
DB_GROUP = {
    "name": "mysql80",
    "family": "mysql8.0",
    "parameters": {"require_secure_transport": "1"},
}
DB = {
    "name": "main",
    "engine": "mysql",
    "engine_version": "8.0.40",
    "instance_class": "db.t3.micro",
    "allocated_storage": 20,
    "db_name": "app",
    "master_username": "appadmin",
    "security_groups": ["web"],
    "parameter_group": "mysql80",
}


def with_database(
    group: dict[str, Any] | None = None, subnets: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    return {
        "aws_network_subnets": DB_SUBNETS if subnets is None else subnets,
        "aws_network_security_groups": [SG],
        "aws_database_parameter_groups": [group or DB_GROUP],
        "aws_database_instances": [{**DB, **changes}],
    }


# Load-balancing cases: Cubed's UAT balancer and its IP target group.
LB_ALB = {
    "name": "uat-load-balancer",
    "security_group": "VisScore Load Balancers",
    "certificate": "withcubed",
    "default_target_group": "uat-web",
}
LB_IP_GROUP = {
    "name": "uat-web",
    "target_type": "ip",
    "port": 80,
    "targets": [{"ip": "10.3.63.17"}],
}


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "overlapping subnets": (
        {"aws_network_subnets": with_subnet(cidr="10.3.63.16/28")},
        "overlaps",
    ),
    "subnet outside the VPC": (
        {"aws_network_subnets": with_subnet(cidr="10.9.0.0/27")},
        "is outside aws_network_vpc_cidr",
    ),
    "unknown security group reference": (
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": [80], "group_name": "nope"}
            )
        },
        "unknown security group 'nope'",
    ),
    "SSH open to the world": (
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": [22], "cidr_ip": "0.0.0.0/0"}
            )
        },
        "SSH",
    ),
    "RDP open to the world through a port range": (
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": ["3000-4000"], "cidr_ip": "0.0.0.0/0"}
            )
        },
        "RDP",
    ),
    "malformed VPC CIDR": (
        {"aws_network_vpc_cidr": "10.3.63.0/33"},
        "aws_network_vpc_cidr",
    ),
    "VPC CIDR with host bits": (
        {"aws_network_vpc_cidr": "10.3.63.1/24"},
        "host bits",
    ),
    "missing required field": (
        {
            "aws_network_subnets": [
                *GOOD_SUBNETS[:-1],
                {"name": "public-b", "tier": "public", "az": "b"},
            ]
        },
        "cidr",
    ),
    "VPN route overlapping the VPC": (
        {
            "aws_network_vpn": {
                "customer_gateway_ip": "192.0.2.10",
                "static_routes": ["10.3.63.0/25"],
            }
        },
        "overlaps aws_network_vpc_cidr",
    ),
    "duplicate subnet names": (
        {"aws_network_subnets": with_subnet(name="public-a")},
        "duplicate subnet name",
    ),
    "duplicate security group names": (
        {"aws_network_security_groups": [SG, SG]},
        "duplicate",
    ),
    "subnet in an AZ not listed": (
        {"aws_network_subnets": with_subnet(az="c")},
        "aws_network_azs",
    ),
    "unknown tier": (
        {"aws_network_subnets": with_subnet(tier="dmz")},
        "tier",
    ),
    "single availability zone": (
        {"aws_network_azs": ["a"]},
        "aws_network_azs",
    ),
    "DB engine/version mismatch": (
        with_database(engine_version="15.4"),
        "aws_database_instances[0].engine_version '15.4' is not a version of mysql",
    ),
    "DB parameter group family not matching the engine version": (
        with_database(engine="postgres", engine_version="16.4"),
        "needs 'postgres16'",
    ),
    "DB parameter group not forcing TLS": (
        with_database(group={**DB_GROUP, "parameters": {}}),
        "must set require_secure_transport",
    ),
    "DB backup retention out of range": (
        with_database(backup_retention_days=36),
        "backup_retention_days (or aws_database_backup_retention_days) must be 0 to 35",
    ),
    "DB deletion protection off in production": (
        with_database(deletion_protection=False),
        "production databases are deletion-protected",
    ),
    "DB in a security group the network does not define": (
        with_database(security_groups=["nope"]),
        "aws_database_instances[0].security_groups: unknown security group 'nope'",
    ),
    "DB subnet tier the network does not define": (
        with_database(subnets=GOOD_SUBNETS),
        "aws_database_subnet_tier 'database'",
    ),
    "instance type without a size": (
        with_group(instance_type="t3large"),
        "aws_compute_groups[docs].instance_type 't3large' is not an EC2 instance type",
    ),
    "instance type that is a word": (
        with_asg(instance_type="huge"),
        "aws_compute_asgs[web].instance_type 'huge'",
    ),
    "negative instance count": (
        with_group(count=-1),
        "aws_compute_groups[docs].count must be a whole number of instances, 0 or more",
    ),
    "instance in a subnet the network does not define": (
        with_group(subnet="private-z"),
        "aws_compute_groups[docs].subnet 'private-z' is not a subnet of aws_network_subnets",
    ),
    "security group the network does not define": (
        with_group(security_groups=["VisScore Docs Server", "nope"]),
        "aws_compute_groups[docs].security_groups names 'nope'",
    ),
    "scaling min above max": (
        with_asg(min_size=4, max_size=2),
        "aws_compute_asgs[web].min_size 4 is above max_size 2",
    ),
    "scaling desired outside min..max": (
        with_asg(desired_capacity=5),
        "aws_compute_asgs[web].desired_capacity 5 is outside min_size..max_size (1..3)",
    ),
    "Auto Scaling group in a subnet the network does not define": (
        with_asg(subnets=["private-a", "database-z"]),
        "aws_compute_asgs[web].subnets names 'database-z'",
    ),
    "instance profile the identity tier does not define": (
        with_group(instance_profile="nope"),
        "aws_compute_groups[docs].instance_profile 'nope' is not a role of aws_identity_roles",
    ),
    "Elastic IP on a group of several instances": (
        with_group(count=2, elastic_ip=True),
        "elastic_ip needs count 1",
    ),
    "bucket name breaking S3's naming rules": (
        {"aws_storage_buckets": [{"name": "models"}, {"name": "Model_Archive"}]},
        "aws_storage_buckets[1].name",
    ),
    "IAM statement naming a bucket the stack does not define": (
        {
            "aws_identity_policies": [
                {
                    "name": "read-models",
                    "statements": [{"actions": ["s3:GetObject"], "buckets": ["nope"]}],
                }
            ]
        },
        "names 'nope', which aws_storage_buckets does not define",
    ),
    "IAM data action on every resource": (
        {
            "aws_identity_policies": [
                {
                    "name": "read-models",
                    "statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}],
                }
            ]
        },
        "is '*' for data actions",
    ),
    "lifecycle transition after zero days": (
        {
            "aws_storage_buckets": [
                {"name": "models", "lifecycle": [{"id": "a", "transitions": [{"days": 0}]}]}
            ]
        },
        "transitions[0].days must be > 0",
    ),
    "lifecycle expiry before the transition": (
        {
            "aws_storage_buckets": [
                {
                    "name": "models",
                    "lifecycle": [
                        {"id": "a", "transitions": [{"days": 90}], "expiration_days": 30}
                    ],
                }
            ]
        },
        "must come after the last transition",
    ),
    "replicated bucket without a standby region": (
        {"aws_storage_buckets": [{"name": "models", "replicate": True}]},
        "needs a standby region",
    ),
    "HTTPS listener without a certificate": (
        {
            "aws_loadbalancing_albs": [{k: v for k, v in LB_ALB.items() if k != "certificate"}],
        },
        "HTTPS listener without a certificate",
    ),
    "IP target outside the VPC and the VPN routes": (
        {
            "aws_loadbalancing_target_groups": [
                {**LB_IP_GROUP, "targets": [{"ip": "10.9.61.1"}]},
                {
                    "name": "positive-dcs",
                    "target_type": "ip",
                    "port": 80,
                    "targets": [{"ip": "10.3.61.1"}],
                },
                {
                    "name": "positive-prod-dash",
                    "target_type": "ip",
                    "port": 80,
                    "targets": [{"ip": "10.3.62.1"}],
                },
            ],
        },
        "10.9.61.1 is neither in the VPC",
    ),
    "DNS record in a zone the stack does not define": (
        {
            "aws_dns_records": [
                {"zone": "example.org", "name": "www", "type": "A", "values": ["192.0.2.1"]}
            ],
        },
        "is not a zone of the stack",
    ),
    "invalid DNS record type": (
        {
            "aws_dns_records": [
                {"zone": "withcubed.com", "name": "www", "type": "AA", "values": ["192.0.2.1"]}
            ],
        },
        "invalid record type 'AA'",
    ),
    "invalid DNS record name": (
        {
            "aws_dns_records": [
                {"zone": "withcubed.com", "name": "bad name!", "type": "A", "values": ["192.0.2.1"]}
            ],
        },
        "is not a valid record name",
    ),
    "KMS alias in the reserved aws/ namespace": (
        {"aws_kms_alias": "aws/ebs"},
        "aws_kms_alias",
    ),
    "tenant name with upper-case letters": (
        {"aws_tenants_list": [{"name": "Client-A", "queue": True}]},
        "aws_tenants_list[0].name 'Client-A' must be 1-40 lower-case",
    ),
    "two tenants with one sending domain": (
        {
            "aws_tenants_list": [
                {"name": "a", "domain": "mail.withcubed.com"},
                {"name": "b", "domain": "mail.withcubed.com"},
            ]
        },
        "(b).domain mail.withcubed.com is already the domain of a",
    ),
}


def case_vars(overrides: dict[str, Any]) -> dict[str, Any]:
    """Cubed's definition on GOOD_SUBNETS (no database tier: its VPN propagates to the private
    tier only) with OVERRIDES; an aws_network_vpn override is merged into Cubed's VPN, whose
    static routes are where the partner IP targets of the load-balancing tier live."""
    vpn = {**stack_vars("cubed")["aws_network_vpn"], "propagate_to_tiers": ["private"]}
    return {
        "aws_network_subnets": GOOD_SUBNETS,
        **overrides,
        "aws_network_vpn": {**vpn, **overrides.get("aws_network_vpn", {})},
    }


@pytest.mark.parametrize("case", list(CASES))
def test_bad_definition_is_rejected_before_any_call(
    emulator: Emulator, tmp_path: Path, case: str
) -> None:
    overrides, message = CASES[case]
    varsfile = tmp_path / "bad.json"
    varsfile.write_text(json.dumps(case_vars(overrides)))
    regions = ["eu-west-1", "us-east-1"]
    before = everything(emulator, regions)

    run = run_playbook(
        "provision.yml", "cubed", "-e", f"@{varsfile}", "-e", f"stack_outputs_dir={tmp_path}"
    )

    assert run.rc != 0, f"{case}: accepted\n{run.output[-3000:]}"
    assert message in run.output, f"{case}: expected {message!r} in\n{run.output[-3000:]}"
    assert "Preflight" in run.output.split("fatal:")[0].rsplit("PLAY [", 1)[-1], (
        "failed outside the preflight play"
    )
    assert everything(emulator, regions) == before, f"{case}: the emulator changed"


def test_good_definition_passes_preflight(emulator: Emulator, tmp_path: Path) -> None:
    """The baseline of the cases above passes every tier's preflight: only their one change
    makes them fail. (The preflight play is tagged `always`: the tag below skips the rest.)"""
    varsfile = tmp_path / "good.json"
    varsfile.write_text(json.dumps(case_vars({})))
    regions = ["eu-west-1", "us-east-1"]
    before = everything(emulator, regions)
    run = run_playbook(
        "provision.yml",
        "cubed",
        "-e",
        f"@{varsfile}",
        "--tags",
        "aws_network:validate",
        "-e",
        f"stack_outputs_dir={tmp_path}",
    )
    assert run.rc == 0, run.output[-3000:]
    assert "Validate the DNS tier" in run.output, "the preflight stopped early"
    assert everything(emulator, regions) == before
