"""The stack-wide data checks of the preflight (plugins/filter/stack_data.py) and the region data
they read (plugins/module_utils/regions/), without the emulator."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import moto
import pytest
import yaml
from support.source import load_plugin, load_source
from support.stack import STACKS

stack_data = load_plugin("filter/stack_data.py")
regions = load_source(
    "collections/ansible_collections/estate/aws/plugins/module_utils/regions/__init__.py"
)

CUBED: dict[str, Any] = {
    "stack_name": "cubed",
    "stack_region": "eu-west-1",
    "stack_bucket_prefix": "cubed-production",
    "aws_network_azs": ["a", "b"],
    "aws_compute_groups": [{"name": "docs", "instance_type": "t3.micro"}],
    "aws_compute_asgs": [{"name": "web", "instance_type": "t3.small"}],
    "aws_database_instances": [
        {
            "name": "main",
            "engine": "mysql",
            "engine_version": "8.0.40",
            "instance_class": "db.t3.micro",
        }
    ],
}


def cubed(**changes: Any) -> dict[str, Any]:
    return {**CUBED, **changes}


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"aws_network_security_groups": [{"rules": [{"cidr_ip": "{{ stack_admin_cidrs }}"}]}]},
        {"aws_serverless_functions": [{"environment": {"B": "{{ stack_bucket_prefix }}-models"}}]},
        {"aws_kms_replica_regions": ["{{ stack_standby_region }}"]},
        {"aws_loadbalancing_certificates": [{"name": "portal", "domain": "{{ portal_domain }}"}]},
        {"aws_dns_records": [{"values": ["api.{{ stack_standby_region }}.example.com"]}]},
        {"stack_extra_tags": {"owner": "ops"}, "aws_network_vpc_cidr": "10.0.0.0/16"},
        {"aws_network_flow_logs_enabled": True, "aws_x": None, "aws_y": 3},
    ],
)
def test_plain_values_and_references_pass(data: dict[str, Any]) -> None:
    assert stack_data.template_marker_errors(data) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"stack_extra_tags": {"owner": "{{ lookup('env', 'USER') }}"}},
            "stack_extra_tags.owner \"{{ lookup('env', 'USER') }}\" is a Jinja template",
        ),
        (
            {"aws_compute_groups": [{"name": "{{ 'docs' | upper }}"}]},
            "aws_compute_groups[0].name \"{{ 'docs' | upper }}\" is a Jinja template",
        ),
        (
            {"aws_network_vpc_cidr": "10.{% if true %}3{% endif %}.0.0/16"},
            "aws_network_vpc_cidr '10.{% if true %}3{% endif %}.0.0/16' is a Jinja template",
        ),
        (
            {"stack_admin_cidrs": ["192.0.2.0/28{# office #}"]},
            "stack_admin_cidrs[0] '192.0.2.0/28{# office #}' is a Jinja template",
        ),
        (
            {"aws_tenants_list": [{"name": "a", "domain": "mail.{{ stack_name }}.example"}]},
            "aws_tenants_list[0].domain 'mail.{{ stack_name }}.example' builds a literal field",
        ),
        (
            {"aws_network_subnets": [{"name": "{{ stack_name }}-a"}]},
            "aws_network_subnets[0].name '{{ stack_name }}-a' builds a literal field",
        ),
        (
            {"stack_extra_tags": {"{{ 'team' }}": "ops"}},
            "stack_extra_tags: the key \"{{ 'team' }}\" is a Jinja template",
        ),
        (
            {"aws_storage_buckets": [{"name": "docs", "tags": {"x": "a{{ stack_env }}"}}]},
            "aws_storage_buckets[0].tags.x 'a{{ stack_env }}' builds a literal field",
        ),
    ],
)
def test_templates_are_refused(data: dict[str, Any], message: str) -> None:
    assert [e for e in stack_data.template_marker_errors(data) if e.startswith(message)]


def test_stack_vars_are_stack_and_aws_variables() -> None:
    raw = {
        "stack_name": "a",
        "aws_x": 1,
        "ansible_python_interpreter": "{{ x }}",
        "other": "{{ y }}",
    }
    assert stack_data.stack_vars(raw) == {"stack_name": "a", "aws_x": 1}


# --- name forms ------------------------------------------------------------------------------


def test_short_names_pass() -> None:
    assert stack_data.name_form_errors(CUBED) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"aws_compute_groups": [{"name": "cubed-docs"}]},
            "aws_compute_groups[0].name 'cubed-docs' already starts with the stack prefix"
            " 'cubed-': write 'docs', the role adds the prefix",
        ),
        (
            {"aws_storage_buckets": [{"name": "cubed-production-models"}]},
            "aws_storage_buckets[0].name 'cubed-production-models' already starts with the stack"
            " prefix 'cubed-production-': write 'models'",
        ),
        (
            {"aws_tenants_list": [{"name": "cubed-tenant-acme"}]},
            "aws_tenants_list[0].name 'cubed-tenant-acme' already starts with the stack prefix"
            " 'cubed-tenant-': write 'acme'",
        ),
        (
            {"aws_serverless_prefix": "shop", "aws_serverless_functions": [{"name": "shop-api"}]},
            "aws_serverless_functions[0].name 'shop-api' already starts with the stack prefix"
            " 'shop-': write 'api'",
        ),
        (
            {"aws_database_instances": [{"name": "arn:aws:rds:eu-west-1:123456789012:db:x"}]},
            "aws_database_instances[0].name 'arn:aws:rds:eu-west-1:123456789012:db:x' is an ARN",
        ),
        (
            {"aws_serverless_apis": [{"name": "app", "routes": [{"function": "arn:aws:l:f"}]}]},
            "aws_serverless_apis[0].routes[0].function 'arn:aws:l:f' is an ARN",
        ),
        (
            {"aws_compute_groups": [{"name": "a", "security_groups": ["arn:aws:ec2:sg"]}]},
            "aws_compute_groups[0].security_groups[0] 'arn:aws:ec2:sg' is an ARN",
        ),
    ],
)
def test_names_the_role_would_prefix_again_are_refused(data: dict[str, Any], message: str) -> None:
    errors = stack_data.name_form_errors(cubed(**data))
    assert [e for e in errors if e.startswith(message)], errors


def test_names_outside_prefixed_fields_and_arns_where_allowed_pass() -> None:
    data = cubed(
        aws_network_security_groups=[{"name": "cubed-web"}],  # used as written, not prefixed
        aws_identity_policies=[{"name": "read", "statements": [{"resources": ["arn:aws:s3:::b"]}]}],
        aws_compute_groups=[{"name": "cubed"}],  # the prefix alone is a short name
    )
    assert stack_data.name_form_errors(data) == []


# --- region data -----------------------------------------------------------------------------


def test_the_reference_stacks_pass_region_checks() -> None:
    assert stack_data.region_errors(CUBED) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"aws_network_azs": ["a", "b", "d"]},
            "aws_network_azs[2] 'd' is not an availability zone of eu-west-1 (stack_region),"
            " which has a, b, c: use those letters",
        ),
        (
            {
                "stack_region": "us-east-1",
                "stack_standby_region": "us-west-2",
                "aws_network_azs": ["a", "e"],
            },
            "aws_network_azs[1] 'e' is not an availability zone of us-west-2"
            " (stack_standby_region), which has a, b, c, d",
        ),
        (
            {"aws_compute_asgs": [{"name": "web", "instance_type": "t3.mega"}]},
            "aws_compute_asgs[0].instance_type 't3.mega' is not offered in eu-west-1 (t3 sizes"
            " there: nano, micro, small, medium, large, xlarge, 2xlarge)",
        ),
        (
            {"aws_compute_groups": [{"name": "docs", "instance_type": "zz9.large"}]},
            "aws_compute_groups[0].instance_type 'zz9.large' is not offered in eu-west-1 (no zz9)",
        ),
        (
            {
                "aws_database_instances": [
                    {**CUBED["aws_database_instances"][0], "engine_version": "8.0.11"}
                ]
            },
            "aws_database_instances[0].engine_version mysql '8.0.11' is not offered in eu-west-1"
            " (stack_region): use one of 8.0.36",
        ),
        (
            {
                "aws_database_instances": [
                    {**CUBED["aws_database_instances"][0], "instance_class": "db.z9.large"}
                ]
            },
            "aws_database_instances[0].instance_class 'db.z9.large' is not offered for mysql in"
            " eu-west-1",
        ),
        (
            {"stack_region": "sa-east-1"},
            "stack_region 'sa-east-1' has no region data in the estate.aws collection: add it"
            " with tools/regions/refresh sa-east-1",
        ),
        (
            {"aws_database_region": "xx-nowhere-9"},
            "aws_database_region 'xx-nowhere-9' has no region data",
        ),
    ],
)
def test_values_the_region_does_not_offer_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    errors = stack_data.region_errors(cubed(**changes))
    assert [e for e in errors if e.startswith(message)], errors


@pytest.mark.parametrize(
    "changes",
    [
        {"aws_network_azs": ["a", "AB"]},  # malformed: the network tier's own check
        {"aws_compute_groups": [{"name": "docs", "instance_type": "t3large"}]},
        {"aws_compute_asgs": [{"name": "web", "instance_type": "huge"}]},
        {"aws_database_instances": [{"engine": "mysql", "engine_version": "15.4"}]},
        {"aws_database_instances": [{"engine": "oracle-ee", "engine_version": "19.0"}]},
        {"aws_database_instances": [{"engine": "mysql", "instance_class": "t3.micro"}]},
    ],
)
def test_malformed_values_are_left_to_the_tiers(changes: dict[str, Any]) -> None:
    assert stack_data.region_errors(cubed(**changes)) == []


# --- stack_data_errors over hostvars ---------------------------------------------------------


class HostVars:
    """What the filter reads of Ansible's hostvars: raw_get (untemplated) and [host][name]."""

    def __init__(self, raw: dict[str, Any], templated: dict[str, Any]) -> None:
        self.raw, self.templated = raw, templated

    def raw_get(self, host: str) -> dict[str, Any]:
        return self.raw

    def __getitem__(self, host: str) -> dict[str, Any]:
        return self.templated


def test_stack_data_errors_stops_at_templates() -> None:
    raw = {**CUBED, "aws_compute_groups": [{"name": "{{ 'cubed-docs' }}"}]}
    templated = {**CUBED, "aws_compute_groups": [{"name": "cubed-docs"}]}
    errors = stack_data.stack_data_errors(HostVars(raw, templated), "h")
    assert len(errors) == 1 and "is a Jinja template" in errors[0]


def test_stack_data_errors_reads_templated_values_for_names_and_regions() -> None:
    raw = {**CUBED, "aws_compute_groups": [{"name": "cubed-docs", "instance_type": "t3.mega"}]}
    errors = stack_data.stack_data_errors(HostVars(raw, raw), "h")
    assert [e.split(" ", 1)[0] for e in errors] == [
        "aws_compute_groups[0].name",
        "aws_compute_groups[0].instance_type",
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_own_data_files_pass(stack: str) -> None:
    """Each stack's own group_vars files, read as data (untemplated), pass the template check;
    its templated values are covered by the catalogue's baseline hosts."""
    root = Path(stack_data.__file__).resolve().parents[6] / "inventories" / stack
    data: dict[str, Any] = {}
    for path in sorted((root / "group_vars" / "all").glob("*.yml")):
        data.update(yaml.safe_load(path.read_text()) or {})
    assert stack_data.template_marker_errors(stack_data.stack_vars(data)) == []


# --- the region data -------------------------------------------------------------------------


def test_every_region_file_names_its_source_and_date() -> None:
    for name in regions.known():
        region = regions.load(name)
        assert region is not None and region.name == name
        assert region.source and region.date, name
        assert region.availability_zones and region.instance_types and region.rds, name


def test_the_stacks_regions_have_data() -> None:
    assert {"eu-west-1", "eu-west-2", "us-east-1", "us-west-2", "ap-southeast-2"} <= set(
        regions.known()
    )


@pytest.mark.parametrize(
    "name", ["eu-west-1", "eu-west-2", "us-east-1", "us-west-2", "ap-southeast-2"]
)
def test_the_emulator_has_every_zone_of_the_region_data(name: str) -> None:
    """The lab needs moto to accept each AZ letter the data allows (moto's bundled zone-level
    offerings name the zones it serves)."""
    offered = Path(moto.__file__).parent / "ec2/resources/instance_type_offerings/availability-zone"
    zones = {o["Location"] for o in json.loads(gzip.open(offered / f"{name}.json.gz").read())}
    region = regions.load(name)
    assert region is not None
    assert {f"{name}{letter}" for letter in region.availability_zones} <= zones


def test_render_and_parse_round_trip() -> None:
    text = regions.render(
        "xx-test-1",
        ["source: a test", "date: 2026-01-01"],
        ["b", "a"],
        ["t3.micro", "t3.2xlarge", "t3.large", "m5.metal", "u-6tb1.56xlarge"],
        {"postgres": (["16.10", "16.4", "16.9"], ["db.t3.micro", "db.m5.large"])},
    )
    region = regions.parse(text)
    assert region.availability_zones == ("a", "b")
    assert region.instance_types == {
        "t3.micro",
        "t3.2xlarge",
        "t3.large",
        "m5.metal",
        "u-6tb1.56xlarge",
    }
    assert region.rds["postgres"].versions == ("16.4", "16.9", "16.10")
    assert region.rds["postgres"].series("16.2") == ["16.4", "16.9", "16.10"]
    assert (region.source, region.date) == ("a test", "2026-01-01")
    assert 't3: ["micro", "large", "2xlarge"]' in text
