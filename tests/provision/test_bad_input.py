"""The bad input catalogue: every invalid stack definition the repo rejects, one row each.

A row is (id, stack, overrides, message): OVERRIDES change one part of the stack's definition
(on top of the stack's baseline, see stack_definition), and the preflight of provision.yml must
reject it with a failure whose message contains MESSAGE (" … " in it stands for any text), and
leave the emulator exactly as it was.

Speed: provision.yml's first play (the preflight, tagged `always`) validates every tier without
any AWS call, and any failure there ends the playbook. The rows of one stack are therefore run as
the hosts of one ansible-playbook process: that play, copied from provision.yml with only its
`hosts` changed, over an inventory of one host per row (the row's overrides as host variables,
which outrank the stack's group_vars) plus one host holding the unchanged baseline, which must
pass. The emulator's whole state is read before and after that run. One row is also run through
provision.yml itself (test_provision_stops_at_the_preflight), end to end.

tests/unit/test_bad_input_coverage.py checks that the rows cover every failure message of the
aws_* roles' validate tasks.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from conftest import Emulator
from support.aws_state import everything
from support.playbook import REPO, ansible_env, run_playbook
from support.stack import stack_vars

# One preflight batch per stack and worker (Catalogue): all rows on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.cost(290, group="bad-input")]

REGIONS = ["eu-west-1", "us-east-1"]


class Case(NamedTuple):
    id: str
    stack: str
    overrides: dict[str, Any]
    message: str


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


CASES: list[Case] = [
    Case(
        "overlapping subnets",
        "cubed",
        {"aws_network_subnets": with_subnet(cidr="10.3.63.16/28")},
        "overlaps",
    ),
    Case(
        "subnet outside the VPC",
        "cubed",
        {"aws_network_subnets": with_subnet(cidr="10.9.0.0/27")},
        "Invalid network definition: … is outside aws_network_vpc_cidr",
    ),
    Case(
        "unknown security group reference",
        "cubed",
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": [80], "group_name": "nope"}
            )
        },
        "unknown security group 'nope'",
    ),
    Case(
        "SSH open to the world",
        "cubed",
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": [22], "cidr_ip": "0.0.0.0/0"}
            )
        },
        "SSH",
    ),
    Case(
        "RDP open to the world through a port range",
        "cubed",
        {
            "aws_network_security_groups": with_rule(
                {"proto": "tcp", "ports": ["3000-4000"], "cidr_ip": "0.0.0.0/0"}
            )
        },
        "RDP",
    ),
    Case(
        "malformed VPC CIDR",
        "cubed",
        {"aws_network_vpc_cidr": "10.3.63.0/33"},
        "aws_network_vpc_cidr",
    ),
    Case(
        "VPC CIDR with host bits",
        "cubed",
        {"aws_network_vpc_cidr": "10.3.63.1/24"},
        "host bits",
    ),
    Case(
        "missing required field",
        "cubed",
        {
            "aws_network_subnets": [
                *GOOD_SUBNETS[:-1],
                {"name": "public-b", "tier": "public", "az": "b"},
            ]
        },
        "cidr",
    ),
    Case(
        "VPN route overlapping the VPC",
        "cubed",
        {
            "aws_network_vpn": {
                "customer_gateway_ip": "192.0.2.10",
                "static_routes": ["10.3.63.0/25"],
            }
        },
        "overlaps aws_network_vpc_cidr",
    ),
    Case(
        "duplicate subnet names",
        "cubed",
        {"aws_network_subnets": with_subnet(name="public-a")},
        "duplicate subnet name",
    ),
    Case(
        "duplicate security group names",
        "cubed",
        {"aws_network_security_groups": [SG, SG]},
        "duplicate",
    ),
    Case(
        "subnet in an AZ not listed",
        "cubed",
        {"aws_network_subnets": with_subnet(az="c")},
        "aws_network_azs",
    ),
    Case(
        "unknown tier",
        "cubed",
        {"aws_network_subnets": with_subnet(tier="dmz")},
        "tier",
    ),
    Case(
        "single availability zone",
        "cubed",
        {"aws_network_azs": ["a"]},
        "aws_network_azs",
    ),
    Case(
        "DB engine/version mismatch",
        "cubed",
        with_database(engine_version="15.4"),
        "Invalid database definition: … aws_database_instances[0].engine_version '15.4' is not a"
        " version of mysql",
    ),
    Case(
        "DB parameter group family not matching the engine version",
        "cubed",
        with_database(engine="postgres", engine_version="16.4"),
        "needs 'postgres16'",
    ),
    Case(
        "DB parameter group not forcing TLS",
        "cubed",
        with_database(group={**DB_GROUP, "parameters": {}}),
        "must set require_secure_transport",
    ),
    Case(
        "DB backup retention out of range",
        "cubed",
        with_database(backup_retention_days=36),
        "backup_retention_days (or aws_database_backup_retention_days) must be 0 to 35",
    ),
    Case(
        "DB deletion protection off in production",
        "cubed",
        with_database(deletion_protection=False),
        "production databases are deletion-protected",
    ),
    Case(
        "DB in a security group the network does not define",
        "cubed",
        with_database(security_groups=["nope"]),
        "aws_database_instances[0].security_groups: unknown security group 'nope'",
    ),
    Case(
        "DB subnet tier the network does not define",
        "cubed",
        with_database(subnets=GOOD_SUBNETS),
        "aws_database_subnet_tier 'database'",
    ),
    Case(
        "instance type without a size",
        "cubed",
        with_group(instance_type="t3large"),
        "Invalid compute definition: … aws_compute_groups[docs].instance_type 't3large' is not"
        " an EC2 instance type",
    ),
    Case(
        "instance type that is a word",
        "cubed",
        with_asg(instance_type="huge"),
        "aws_compute_asgs[web].instance_type 'huge'",
    ),
    Case(
        "negative instance count",
        "cubed",
        with_group(count=-1),
        "aws_compute_groups[docs].count must be a whole number of instances, 0 or more",
    ),
    Case(
        "instance in a subnet the network does not define",
        "cubed",
        with_group(subnet="private-z"),
        "aws_compute_groups[docs].subnet 'private-z' is not a subnet of aws_network_subnets",
    ),
    Case(
        "security group the network does not define",
        "cubed",
        with_group(security_groups=["VisScore Docs Server", "nope"]),
        "aws_compute_groups[docs].security_groups names 'nope'",
    ),
    Case(
        "scaling min above max",
        "cubed",
        with_asg(min_size=4, max_size=2),
        "aws_compute_asgs[web].min_size 4 is above max_size 2",
    ),
    Case(
        "scaling desired outside min..max",
        "cubed",
        with_asg(desired_capacity=5),
        "aws_compute_asgs[web].desired_capacity 5 is outside min_size..max_size (1..3)",
    ),
    Case(
        "Auto Scaling group in a subnet the network does not define",
        "cubed",
        with_asg(subnets=["private-a", "database-z"]),
        "aws_compute_asgs[web].subnets names 'database-z'",
    ),
    Case(
        "instance profile the identity tier does not define",
        "cubed",
        with_group(instance_profile="nope"),
        "aws_compute_groups[docs].instance_profile 'nope' is not a role of aws_identity_roles",
    ),
    Case(
        "Elastic IP on a group of several instances",
        "cubed",
        with_group(count=2, elastic_ip=True),
        "elastic_ip needs count 1",
    ),
    Case(
        "bucket name breaking S3's naming rules",
        "cubed",
        {"aws_storage_buckets": [{"name": "models"}, {"name": "Model_Archive"}]},
        "aws_storage_buckets[1].name",
    ),
    Case(
        "IAM statement naming a bucket the stack does not define",
        "cubed",
        {
            "aws_identity_policies": [
                {
                    "name": "read-models",
                    "statements": [{"actions": ["s3:GetObject"], "buckets": ["nope"]}],
                }
            ]
        },
        "Invalid identity definition: … names 'nope', which aws_storage_buckets does not define",
    ),
    Case(
        "IAM data action on every resource",
        "cubed",
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
    Case(
        "lifecycle transition after zero days",
        "cubed",
        {
            "aws_storage_buckets": [
                {"name": "models", "lifecycle": [{"id": "a", "transitions": [{"days": 0}]}]}
            ]
        },
        "Invalid storage definition: … transitions[0].days must be > 0",
    ),
    Case(
        "lifecycle expiry before the transition",
        "cubed",
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
    Case(
        "replicated bucket without a standby region",
        "cubed",
        {"aws_storage_buckets": [{"name": "models", "replicate": True}]},
        "needs a standby region",
    ),
    Case(
        "HTTPS listener without a certificate",
        "cubed",
        {
            "aws_loadbalancing_albs": [{k: v for k, v in LB_ALB.items() if k != "certificate"}],
        },
        "Invalid load-balancing definition: … HTTPS listener without a certificate",
    ),
    Case(
        "IP target outside the VPC and the VPN routes",
        "cubed",
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
    Case(
        "DNS record in a zone the stack does not define",
        "cubed",
        {
            "aws_dns_records": [
                {"zone": "example.org", "name": "www", "type": "A", "values": ["192.0.2.1"]}
            ],
        },
        "Invalid DNS definition: … is not a zone of the stack",
    ),
    Case(
        "invalid DNS record type",
        "cubed",
        {
            "aws_dns_records": [
                {"zone": "withcubed.com", "name": "www", "type": "AA", "values": ["192.0.2.1"]}
            ],
        },
        "value of type must be one of: A, AAAA, CNAME, MX, TXT, SRV, CAA, NS, PTR, SPF, got: AA"
        " found in aws_dns_records",
    ),
    Case(
        "invalid DNS record name",
        "cubed",
        {
            "aws_dns_records": [
                {"zone": "withcubed.com", "name": "bad name!", "type": "A", "values": ["192.0.2.1"]}
            ],
        },
        "is not a valid record name",
    ),
    Case(
        "KMS alias in the reserved aws/ namespace",
        "cubed",
        {"aws_kms_alias": "aws/ebs"},
        "Invalid KMS key definition: aws_kms_alias must be letters, digits, '/', '_' or '-' without"
        " the 'alias/' prefix and not in the reserved 'aws/' namespace (got 'aws/ebs')",
    ),
    Case(
        "tenant name with upper-case letters",
        "cubed",
        {"aws_tenants_list": [{"name": "Client-A", "queue": True}]},
        "Invalid tenants: … aws_tenants_list[0].name 'Client-A' must be 1-40 lower-case",
    ),
    Case(
        "two tenants with one sending domain",
        "cubed",
        {
            "aws_tenants_list": [
                {"name": "a", "domain": "mail.withcubed.com"},
                {"name": "b", "domain": "mail.withcubed.com"},
            ]
        },
        "(b).domain mail.withcubed.com is already the domain of a",
    ),
]


# Rows moved here from the tier tests, and rows for messages no test triggered before.
EXTRA_ALARM = {
    "name": "disk-docs",
    "namespace": "CWAgent",
    "metric": "disk_used_percent",
    "dimensions": {"InstanceId": "i-0a1b2c3d4e5f60001", "path": "/"},
    "threshold": 90,
    "evaluation_periods": 2,
    "datapoints_to_alarm": 2,
    "statistic": "Maximum",
}
TAGGED_TIERS = (
    "network",
    "identity",
    "storage",
    "compute",
    "loadbalancing",
    "serverless",
    "cdn",
    "dns",
    "tenants",
    "monitoring",
)
CASES += [
    Case(
        "tenant name with an underscore",
        "cubed",
        {"aws_tenants_list": [{"name": "ok", "queue": True}, {"name": "bad_name", "queue": True}]},
        "aws_tenants_list[1].name 'bad_name' must be 1-40 lower-case",
    ),
    Case(
        "alarm threshold above 100 percent",
        "cubed",
        {"aws_monitoring_thresholds": {"cpu_percent": 120}},
        "aws_monitoring_thresholds.cpu_percent 120 is a percentage: at most 100",
    ),
    Case(
        "unknown alarm threshold",
        "cubed",
        {"aws_monitoring_thresholds": {"disk": 1}},
        "aws_monitoring_thresholds.disk. Supported parameters include: ",
    ),
    Case(
        "extra alarm period CloudWatch refuses",
        "cubed",
        {"aws_monitoring_extra_alarms": [{**EXTRA_ALARM, "period": 45}]},
        "aws_monitoring_extra_alarms[0] (disk-docs).period 45 must be 10, 20, 30 or a multiple"
        " of 60 seconds",
    ),
    Case(
        "extra alarm comparison CloudWatch does not know",
        "cubed",
        {"aws_monitoring_extra_alarms": [{**EXTRA_ALARM, "comparison": "Above"}]},
        "value of comparison must be one of: GreaterThanOrEqualToThreshold, GreaterThanThreshold,"
        " LessThanThreshold, LessThanOrEqualToThreshold, got: Above found in"
        " aws_monitoring_extra_alarms",
    ),
    Case(
        "log group retention CloudWatch Logs refuses",
        "cubed",
        {"aws_monitoring_log_groups": [{"name": "/estate/cubed/app", "retention_days": 31}]},
        "aws_monitoring_log_groups[0] (/estate/cubed/app).retention_days 31 is not a"
        " retention CloudWatch Logs accepts",
    ),
    Case(
        "monitoring key given as an alias",
        "cubed",
        {"aws_monitoring_kms_key": "alias/cubed"},
        "Invalid monitoring data: … aws_monitoring_kms_key 'alias/cubed' must be the ARN of the"
        " stack's KMS key",
    ),
    Case(
        "API route to a function the stack does not define",
        "mobile",
        {
            "aws_serverless_apis": [
                {"name": "app", "routes": [{"path": "/x", "method": "GET", "function": "nope"}]}
            ]
        },
        "Invalid serverless tier: … routes[0].function 'nope' is not in aws_serverless_functions",
    ),
    Case(
        "schedule with an expression EventBridge does not take",
        "mobile",
        {
            "aws_serverless_schedules": [
                {"name": "nightly", "function": "api", "expression": "daily"}
            ]
        },
        "Invalid serverless tier: … aws_serverless_schedules[0].expression 'daily': use"
        " rate(N minutes|hours|days) or cron(",
    ),
    Case(
        "CDN origin in a bucket the stack does not define",
        "mobile",
        {
            "aws_cdn_distributions": [
                {
                    "name": "content",
                    "origins": [{"id": "static", "bucket": "nope"}],
                    "default_origin": "static",
                }
            ]
        },
        "Invalid CDN tier: aws_cdn_distributions[0].origins[0].bucket 'nope' is not a bucket of"
        " aws_storage_buckets",
    ),
    Case(
        "KMS deletion window under 7 days",
        "cubed",
        {"aws_kms_deletion_window_days": 3},
        "aws_kms_deletion_window_days must be 7 to 30 (got 3)",
    ),
    Case(
        "KMS replica in the key's own region",
        "cubed",
        {"aws_kms_replica_regions": ["eu-west-1"]},
        "aws_kms_replica_regions must not repeat aws_kms_region",
    ),
    Case(
        "KMS key without the stack's tags",
        "cubed",
        {"aws_kms_tags": {"env": "test"}},
        "aws_kms_tags needs non-empty 'stack' and 'managed-by'",
    ),
    Case(
        "KMS deletion window that is not a number",
        "cubed",
        {"aws_kms_deletion_window_days": "soon"},
        "aws_kms_deletion_window_days",
    ),
    Case(
        "database password shorter than 16",
        "cubed",
        {"aws_database_password_length": 8},
        "Invalid database settings: aws_database_tags needs non-empty 'stack' and 'managed-by' (set"
        " stack_name in the stack's group_vars); aws_database_password_length must be 16 to 41"
        " (got 8)",
    ),
    Case(
        "database secret recovery window over 30 days",
        "cubed",
        {"aws_database_secret_recovery_days": 31},
        "aws_database_secret_recovery_days must be 7 to 30 (got 31)",
    ),
    Case(
        "database without the stack's tags",
        "cubed",
        {"aws_database_tags": {"env": "test"}},
        "Invalid database settings: aws_database_tags needs non-empty 'stack' and 'managed-by'",
    ),
    Case(
        "tenants list that is not a list",
        "cubed",
        {"aws_tenants_list": "acme"},
        "aws_tenants_list",
    ),
    *(
        Case(
            f"{tier} tier without the stack's tags",
            "cubed",
            {f"aws_{tier}_tags": {"env": "test"}},
            f"aws_{tier}_tags must hold non-empty 'stack' and 'managed-by' tags (set stack_name in"
            " the stack's group_vars)",
        )
        for tier in TAGGED_TIERS
    ),
]


# Region data, name forms, templates in data (estate.aws.stack_data_errors, the first preflight
# task: plugins/filter/stack_data.py).
STACK_DATA = "Invalid stack data: "
CASES += [
    Case(
        "availability zone the region lacks",
        "cubed",
        {"aws_network_azs": ["a", "b", "d"]},
        STACK_DATA + "aws_network_azs[2] 'd' is not an availability zone of eu-west-1"
        " (stack_region), which has a, b, c: use those letters",
    ),
    Case(
        "availability zone the standby region lacks",
        "mobile",
        {"aws_network_azs": ["a", "b", "c", "e"]},
        "aws_network_azs[3] 'e' is not an availability zone of us-west-2 (stack_standby_region)",
    ),
    Case(
        "instance type the region does not offer",
        "cubed",
        with_asg(instance_type="trn1.32xlarge"),
        "aws_compute_asgs[0].instance_type 'trn1.32xlarge' is not offered in eu-west-1 (no trn1):"
        " choose a type the region offers",
    ),
    Case(
        "instance size the region does not offer",
        "cubed",
        with_group(instance_type="t3.4xlarge"),
        "aws_compute_groups[0].instance_type 't3.4xlarge' is not offered in eu-west-1 (t3 sizes"
        " there: nano, micro, small, medium, large, xlarge, 2xlarge)",
    ),
    Case(
        "DB engine version the region does not offer",
        "cubed",
        with_database(engine_version="8.0.11"),
        "aws_database_instances[0].engine_version mysql '8.0.11' is not offered in eu-west-1"
        " (stack_region): use one of 8.0.36",
    ),
    Case(
        "DB instance class the region does not offer for the engine",
        "cubed",
        with_database(instance_class="db.t2.micro"),
        "aws_database_instances[0].instance_class 'db.t2.micro' is not offered for mysql in"
        " eu-west-1 (stack_region)",
    ),
    Case(
        "region without region data",
        "cubed",
        {"stack_region": "sa-east-1"},
        "stack_region 'sa-east-1' has no region data in the estate.aws collection: add it with"
        " tools/regions/refresh sa-east-1",
    ),
    Case(
        "ARN-style name",
        "cubed",
        {
            "aws_serverless_functions": [
                {
                    "name": "arn:aws:lambda:eu-west-1:123456789012:function:cubed-predict",
                    "source": "apps/lambda/prediction",
                    "role": "prediction",
                }
            ]
        },
        "aws_serverless_functions[0].name"
        " 'arn:aws:lambda:eu-west-1:123456789012:function:cubed-predict' is an ARN: write the"
        " stack's short name of the resource",
    ),
    Case(
        "name that already has the stack prefix",
        "cubed",
        with_group(name="cubed-docs"),
        STACK_DATA + "aws_compute_groups[0].name 'cubed-docs' already starts with the stack"
        " prefix 'cubed-': write 'docs', the role adds the prefix",
    ),
    Case(
        "bucket purpose that already has the bucket prefix",
        "cubed",
        {"aws_storage_buckets": [{"name": "cubed-production-models"}]},
        "aws_storage_buckets[0].name 'cubed-production-models' already starts with the stack"
        " prefix 'cubed-production-': write 'models'",
    ),
    Case(
        "Jinja template in a tag",
        "cubed",
        {"stack_extra_tags": {"owner": "{{ lookup('ansible.builtin.env', 'USER') }}"}},
        STACK_DATA + "stack_extra_tags.owner \"{{ lookup('ansible.builtin.env', 'USER') }}\" is a"
        " Jinja template: stack data is data, write the literal value",
    ),
    Case(
        "Jinja template in a name",
        "cubed",
        with_group(name="{{ 'docs' }}"),
        "aws_compute_groups[0].name \"{{ 'docs' }}\" is a Jinja template",
    ),
    Case(
        "Jinja template in a CIDR",
        "cubed",
        {"aws_network_subnets": with_subnet(cidr="10.3.63.{{ 32 * 3 }}/27")},
        "aws_network_subnets[3].cidr '10.3.63.{{ 32 * 3 }}/27' is a Jinja template",
    ),
    Case(
        "Jinja reference inside a domain",
        "cubed",
        {"aws_tenants_list": [{"name": "acme", "domain": "mail.{{ stack_name }}.example"}]},
        "aws_tenants_list[0].domain 'mail.{{ stack_name }}.example' builds a literal field from"
        " a template: write the value itself",
    ),
    Case(
        "Jinja comment in an admin network",
        "cubed",
        {"stack_admin_cidrs": ["203.0.113.0/28{# office #}"]},
        "stack_admin_cidrs[0] '203.0.113.0/28{# office #}' is a Jinja template",
    ),
]


# Wrong types (argument specs): Ansible's role argument validation converts these (a list or a
# mapping to a str, true to 1, "a,b" to a list); estate.aws.spec_errors refuses them, naming the
# variable path. One row per tier; the classes: a string where a list is expected, a mapping where
# a string is expected, a boolean where a number is expected.
CASES += [
    Case(
        "KMS replica regions given as a string",
        "cubed",
        {"aws_kms_replica_regions": "eu-west-2"},
        "aws_kms inputs of the wrong type: aws_kms_replica_regions: expected list, got str"
        " ('eu-west-2'); write a YAML list",
    ),
    Case(
        "availability zones given as a comma-separated string",
        "cubed",
        {"aws_network_azs": "a,b"},
        "aws_network inputs of the wrong type: aws_network_azs: expected list, got str ('a,b')",
    ),
    Case(
        "subnet name given as a mapping",
        "cubed",
        {"aws_network_subnets": with_subnet(name={"public": "b"})},
        "aws_network inputs of the wrong type: aws_network_subnets[3].name: expected str, got"
        " mapping",
    ),
    Case(
        "IAM statement actions given as a string",
        "cubed",
        {
            "aws_identity_policies": [
                {
                    "name": "read-models",
                    "statements": [{"actions": "s3:GetObject", "buckets": ["models"]}],
                }
            ]
        },
        "aws_identity inputs of the wrong type: aws_identity_policies[0].statements[0].actions:"
        " expected list, got str ('s3:GetObject')",
    ),
    Case(
        "lifecycle rule id given as a mapping",
        "cubed",
        {"aws_storage_buckets": [{"name": "models", "lifecycle": [{"id": {"name": "archive"}}]}]},
        "aws_storage inputs of the wrong type: aws_storage_buckets[0].lifecycle[0].id: expected"
        " str, got mapping",
    ),
    Case(
        "DB storage given as a boolean",
        "cubed",
        with_database(allocated_storage=True),
        "aws_database inputs of the wrong type: aws_database_instances[0].allocated_storage:"
        " expected int, got bool (true); write a whole number without quotes",
    ),
    Case(
        "DB security groups given as a string",
        "cubed",
        with_database(security_groups="web"),
        "aws_database inputs of the wrong type: aws_database_instances[0].security_groups:"
        " expected list, got str ('web')",
    ),
    Case(
        "instance count given as a boolean",
        "cubed",
        with_group(count=True),
        "aws_compute inputs of the wrong type: aws_compute_groups[0].count: expected int, got"
        " bool (true)",
    ),
    Case(
        "target group port given as a boolean",
        "cubed",
        {"aws_loadbalancing_target_groups": [{**LB_IP_GROUP, "port": True}]},
        "aws_loadbalancing inputs of the wrong type: aws_loadbalancing_target_groups[0].port:"
        " expected int, got bool (true)",
    ),
    Case(
        "topic display name given as a list",
        "mobile",
        {"aws_serverless_topics": [{"name": "push", "display_name": ["Push"]}]},
        "aws_serverless inputs of the wrong type: aws_serverless_topics[0].display_name: expected"
        " str, got list",
    ),
    Case(
        "CDN aliases given as a string",
        "mobile",
        {
            "aws_cdn_distributions": [
                {
                    "name": "content",
                    "origins": [{"id": "static", "bucket": "static"}],
                    "aliases": "static.mobile-startup.example",
                }
            ]
        },
        "aws_cdn inputs of the wrong type: aws_cdn_distributions[0].aliases: expected list, got"
        " str",
    ),
    Case(
        "DNS record TTL given as a boolean",
        "cubed",
        {
            "aws_dns_records": [
                {
                    "zone": "withcubed.com",
                    "name": "www",
                    "type": "A",
                    "values": ["192.0.2.1"],
                    "ttl": True,
                }
            ]
        },
        "aws_dns inputs of the wrong type: aws_dns_records[0].ttl: expected int, got bool (true)",
    ),
    Case(
        "tenant name given as a mapping",
        "cubed",
        {"aws_tenants_list": [{"name": {"id": "acme"}, "queue": True}]},
        "aws_tenants inputs of the wrong type: aws_tenants_list[0].name: expected str, got mapping",
    ),
    Case(
        "alarm e-mails given as a string",
        "cubed",
        {"aws_monitoring_alarm_emails": "ops@example.org"},
        "aws_monitoring inputs of the wrong type: aws_monitoring_alarm_emails: expected list, got"
        " str ('ops@example.org')",
    ),
    Case(
        "log retention given as a boolean",
        "cubed",
        {"aws_monitoring_log_retention_days": True},
        "aws_monitoring inputs of the wrong type: aws_monitoring_log_retention_days: expected int,"
        " got bool (true)",
    ),
]


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


def stack_definition(stack: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The variables a row sets on top of the stack's own: Cubed's rows run on the test network
    of case_vars, the other stacks' rows on their definition as it is."""
    return case_vars(overrides) if stack == "cubed" else dict(overrides)


BASELINE = "baseline"
GROUP = "bad_input"


class Failure(NamedTuple):
    task: str
    message: str


@dataclass(frozen=True)
class Batch:
    """One ansible-playbook run of the preflight over a stack's rows."""

    failures: dict[str, Failure]  # host -> its first failure (absent: the host passed)
    stats: dict[str, dict[str, int]]
    before: dict[str, set[str]]
    after: dict[str, set[str]]
    output: str


def host_name(index: int) -> str:
    return f"row{index:03d}"


def preflight_play() -> dict[str, Any]:
    """provision.yml's first play: the preflight, which validates every tier."""
    plays: list[dict[str, Any]] = yaml.safe_load((REPO / "playbooks/provision.yml").read_text())
    play = plays[0]
    assert play["name"].startswith("Preflight") and "always" in play["tags"], play["name"]
    return play


class Catalogue:
    """Runs the rows of one stack at a time (once per worker), on demand."""

    def __init__(self, emulator: Emulator, workdir: Path) -> None:
        self.emulator, self.workdir = emulator, workdir

    @cache  # noqa: B019 - one instance per session
    def run(self, stack: str) -> Batch:
        host = {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            # What provision.yml derives from its own directory (playbooks/).
            "aws_serverless_source_root": str(REPO),
        }
        hosts = {BASELINE: {**host, **stack_definition(stack, {})}}
        for index, case in enumerate(CASES):
            if case.stack == stack:
                hosts[host_name(index)] = {**host, **stack_definition(stack, case.overrides)}
        inventory = self.workdir / f"{stack}-rows.json"
        inventory.write_text(json.dumps({GROUP: {"hosts": hosts}}))
        play = self.workdir / "preflight.yml"
        play.write_text(yaml.safe_dump([{**preflight_play(), "hosts": GROUP}], sort_keys=False))
        before = everything(self.emulator, REGIONS)
        proc = subprocess.run(
            [
                str(REPO / ".venv/bin/ansible-playbook"),
                "-i",
                f"inventories/{stack}/hosts.yml",
                "-i",
                str(inventory),
                str(play),
            ],
            cwd=REPO,
            env=ansible_env(
                {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_FORKS": "20"}
            ),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        after = everything(self.emulator, REGIONS)
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            pytest.fail(
                f"no JSON from the preflight of {stack}:\n"
                f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
            )
        failures: dict[str, Failure] = {}
        for task in result["plays"][0]["tasks"]:
            for name, outcome in task["hosts"].items():
                if outcome.get("failed") and name not in failures:
                    failures[name] = Failure(task["task"]["name"], str(outcome.get("msg", "")))
        return Batch(failures, result["stats"], before, after, proc.stdout + proc.stderr)


def matches(expected: str, message: str) -> bool:
    """EXPECTED's parts (split at " … ", which stands for any text) occur in MESSAGE in order,
    whitespace folded."""
    text, at = " ".join(message.split()), 0
    for part in " ".join(expected.split()).split(" … "):
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


@pytest.fixture(scope="session")
def catalogue(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    return Catalogue(emulator, tmp_path_factory.mktemp("bad-input"))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_bad_input_is_rejected_before_any_call(catalogue: Catalogue, index: int) -> None:
    case = CASES[index]
    batch = catalogue.run(case.stack)
    failure = batch.failures.get(host_name(index))
    assert failure is not None, f"{case.id}: accepted by the preflight"
    assert matches(case.message, failure.message), (
        f"{case.id}: expected {case.message!r} in the failure of {failure.task!r}:\n"
        f"{failure.message}"
    )
    assert batch.after == batch.before, f"{case.id}: the emulator changed"


@pytest.mark.parametrize("stack", sorted({c.stack for c in CASES}))
def test_baseline_passes_the_preflight(catalogue: Catalogue, stack: str) -> None:
    """Each stack's baseline passes every tier's preflight: only a row's one change makes it
    fail."""
    batch = catalogue.run(stack)
    assert BASELINE not in batch.failures, batch.failures[BASELINE]
    tasks = sum(batch.stats[BASELINE].values())
    assert batch.stats[BASELINE]["ok"] > 20, f"the preflight stopped early: {tasks} tasks"
    assert batch.after == batch.before


def test_catalogue_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_provision_stops_at_the_preflight(emulator: Emulator, tmp_path: Path) -> None:
    """provision.yml itself, with one row: it fails in its preflight play, names the problem and
    changes nothing (the rows above run that same play without the rest of the playbook)."""
    case = CASES[0]
    varsfile = tmp_path / "bad.json"
    varsfile.write_text(json.dumps(stack_definition(case.stack, case.overrides)))
    before = everything(emulator, REGIONS)
    run = run_playbook(
        "provision.yml", case.stack, "-e", f"@{varsfile}", "-e", f"stack_outputs_dir={tmp_path}"
    )
    assert run.rc != 0, f"{case.id}: accepted\n{run.output[-3000:]}"
    assert matches(case.message, run.output), f"expected {case.message!r} in\n{run.output[-3000:]}"
    assert "Preflight" in run.output.split("fatal:")[0].rsplit("PLAY [", 1)[-1], (
        "failed outside the preflight play"
    )
    assert everything(emulator, REGIONS) == before, f"{case.id}: the emulator changed"
