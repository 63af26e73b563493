"""Table-driven tests of the estate.aws compute filters (validation and planning)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.source import load_plugin

compute = load_plugin("filter/compute.py")

GOOD: dict[str, Any] = {
    "groups": [
        {
            "name": "admin",
            "role": "admin",
            "count": 1,
            "instance_type": "t3.micro",
            "subnet": "public-a",
            "security_groups": ["admin"],
            "elastic_ip": True,
            "data_volumes": [{"device_name": "/dev/sdf", "size": 100, "type": "gp3"}],
        },
        {
            "name": "uat",
            "role": "uat",
            "count": 1,
            "instance_type": "c7i-flex.xlarge",
            "subnet": "private-a",
            "security_groups": ["web"],
            "private_ip": "10.3.63.17",
        },
    ],
    "asgs": [
        {
            "name": "app",
            "role": "app",
            "instance_type": "m6gd.large",
            "subnets": ["private-a", "private-b"],
            "security_groups": ["web"],
            "min_size": 1,
            "max_size": 6,
            "desired_capacity": 2,
            "target_cpu": 60,
            "instance_profile": "app",
        }
    ],
    "subnets": ["public-a", "private-a", "private-b"],
    "security_groups": ["admin", "web"],
    "public_key": "",
    "key_generate": True,
    "hop_limit": 1,
    "instance_profiles": ["app", "trainer"],
}


def spec_with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(GOOD)
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


def test_good_spec_has_no_errors() -> None:
    assert compute.compute_errors(GOOD) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("groups", 0, "instance_type"), "t3large", "instance_type 't3large'"),
        (("groups", 0, "instance_type"), "huge", "is not an EC2 instance type"),
        (("groups", 0, "instance_type"), "T3.micro", "is not an EC2 instance type"),
        (("groups", 0, "count"), -1, "aws_compute_groups[admin].count must be"),
        (("groups", 0, "count"), "two", "count must be a whole number"),
        (("groups", 0, "count"), 2, "elastic_ip needs count 1"),
        (("groups", 0, "subnet"), "nope", "subnet 'nope' is not a subnet"),
        (("groups", 0, "security_groups"), ["admin", "x"], "names 'x'"),
        (("groups", 0, "security_groups"), [], "security_groups is empty"),
        (("groups", 0, "role"), "Web Server", "role 'Web Server'"),
        (("groups", 0, "root_volume_size"), 4, "root_volume_size must be 8 to 16384"),
        (("groups", 0, "data_volumes", 0, "device_name"), "/dev/sda1", "device_name"),
        (("groups", 0, "data_volumes", 0, "size"), 0, "size must be 1 to 16384"),
        (("groups", 1, "private_ip"), "10.3.63.300", "is not an IPv4 address"),
        (("groups", 1, "name"), "admin", "duplicate name 'admin'"),
        (("groups", 1, "name"), "Bad_Name", "name 'Bad_Name'"),
        (("asgs", 0, "min_size"), 7, "min_size 7 is above max_size 6"),
        (("asgs", 0, "desired_capacity"), 9, "desired_capacity 9 is outside"),
        (("asgs", 0, "max_size"), 0, "max_size (>= 1)"),
        (("asgs", 0, "subnets"), ["private-z"], "subnets names 'private-z'"),
        (("asgs", 0, "subnets"), [], "subnets is empty"),
        (("asgs", 0, "target_cpu"), 150, "target_cpu must be a CPU percentage"),
        (("hop_limit",), 3, "aws_compute_imds_hop_limit must be 1 or 2"),
        (("key_generate",), False, "aws_compute_public_key is empty"),
        (("asgs", 0, "instance_profile"), "nope", "aws_compute_asgs[app].instance_profile 'nope'"),
        (("instance_profiles",), [], "is not a role of aws_identity_roles"),
    ],
)
def test_bad_spec_is_reported(path: tuple[Any, ...], value: Any, message: str) -> None:
    errors = compute.compute_errors(spec_with(path, value))
    assert any(message in error for error in errors), errors


def test_profiles_unchecked_without_the_identity_list() -> None:
    spec = {k: v for k, v in GOOD.items() if k != "instance_profiles"}
    assert compute.compute_errors(spec_with(("asgs", 0, "instance_profile"), "any")) != []
    spec["asgs"] = [{**GOOD["asgs"][0], "instance_profile": "any"}]
    assert compute.compute_errors(spec) == []


def test_no_key_needed_without_instances() -> None:
    spec = {**GOOD, "groups": [], "asgs": [], "key_generate": False}
    assert compute.compute_errors(spec) == []


def test_compute_instances_expands_counts_and_names() -> None:
    groups = [{"name": "web", "count": 3}, {"name": "dns", "count": 0}, {"name": "a", "count": 1}]
    wanted = compute.compute_instances(groups, "cubed")
    assert [w["instance_name"] for w in wanted] == [
        "cubed-web-1",
        "cubed-web-2",
        "cubed-web-3",
        "cubed-a-1",
    ]
    assert {w["group"] for w in wanted} == {"web", "a"}


def test_instances_by_group_orders_by_number() -> None:
    instances = [
        {"instance_id": f"i-{n}", "tags": {"Name": f"s-web-{n}", "compute-group": "web"}}
        for n in (10, 2, 1)
    ] + [{"instance_id": "i-asg", "tags": {"Name": "s-app"}}]
    assert compute.instances_by_group(instances) == {"web": ["i-1", "i-2", "i-10"]}


def test_asg_tag_and_ebs_mapping() -> None:
    assert compute.asg_tag({"key": "role", "value": "app"}) == {
        "role": "app",
        "propagate_at_launch": True,
    }
    mapping = compute.ebs_mapping({"device_name": "/dev/sdf", "size": "100"}, "arn:key")
    assert mapping["ebs"] == {
        "volume_size": 100,
        "volume_type": "gp3",
        "encrypted": True,
        "kms_key_id": "arn:key",
        "delete_on_termination": True,
    }


def test_asg_shape_sorts_subnets() -> None:
    group = {
        "min_size": 1,
        "max_size": 3,
        "desired_capacity": 1,
        "launch_template": {"launch_template_name": "akb-portal"},
        "vpc_zone_identifier": "subnet-b,subnet-a",
    }
    assert compute.asg_shape(group)["subnets"] == ["subnet-a", "subnet-b"]
