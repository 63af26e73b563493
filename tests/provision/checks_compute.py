"""Read-back checks of the compute tier (roles/aws_compute) against the stack data.

Every instance, volume, Elastic IP, launch template, Auto Scaling group and scaling policy of a
stack is read back with boto3 (one listing per kind) and compared with the stack's data: counts
per group, instance type, subnet, security groups, role tag, IMDSv2, encryption with the stack
key. Nothing here connects to an address the emulator hands out.
"""

from __future__ import annotations

from typing import Any

from conftest import Emulator
from support.aws_state import tags_of
from support.stack import stack_vars

COMPUTE_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "aws_kms_alias",
    "aws_compute_name",
    "aws_compute_groups",
    "aws_compute_asgs",
    "aws_compute_imds_hop_limit",
    "aws_compute_root_volume_size",
    "aws_compute_key_name",
    "aws_compute_target_cpu",
)
LIVE_STATES = ["pending", "running", "stopping", "stopped"]


def compute_data(stack: str) -> dict[str, Any]:
    """The stack's compute data; the role defaults the inventory does not set are filled in as
    roles/aws_compute/defaults/main.yml gives them."""
    data = dict(stack_vars(stack, COMPUTE_VARS))
    data["aws_compute_name"] = data["aws_compute_name"] or data["stack_name"]
    data["aws_compute_key_name"] = data["aws_compute_key_name"] or data["stack_name"]
    return data


def stack_instances(emulator: Emulator, region: str, stack: str) -> list[dict[str, Any]]:
    """The stack's live instances (plain groups and Auto Scaling groups alike)."""
    ec2 = emulator.client("ec2", region)
    reply = ec2.describe_instances(
        Filters=[
            {"Name": "tag:stack", "Values": [stack]},
            {"Name": "instance-state-name", "Values": LIVE_STATES},
        ]
    )
    return [i for r in reply["Reservations"] for i in r["Instances"]]


def group_instances(instances: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """{group: {Name: instance id}} of the plain groups' instances."""
    groups: dict[str, dict[str, str]] = {}
    for instance in instances:
        tags = tags_of(instance)
        if "compute-group" in tags:
            groups.setdefault(tags["compute-group"], {})[tags["Name"]] = instance["InstanceId"]
    return groups


def stack_key_arn(emulator: Emulator, region: str, data: dict[str, Any]) -> str:
    alias = f"alias/{data['aws_kms_alias'] or data['stack_name']}"
    arn: str = emulator.client("kms", region).describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    return arn


def network_ids(
    emulator: Emulator, region: str, stack: str
) -> tuple[dict[str, str], dict[str, str]]:
    """({subnet name: id}, {security group name: id}) of the stack's VPC."""
    ec2 = emulator.client("ec2", region)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:stack", "Values": [stack]}])["Vpcs"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = {
        tags_of(s)["Name"].removeprefix(f"{stack}-"): s["SubnetId"]
        for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    }
    groups = {
        g["GroupName"]: g["GroupId"]
        for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    }
    return subnets, groups


def check_compute(emulator: Emulator, stack: str, data: dict[str, Any] | None = None) -> None:
    """Every compute resource of the stack against its data (DATA overrides the inventory's)."""
    data = data or compute_data(stack)
    region, prefix = data["stack_region"], data["aws_compute_name"]
    ec2 = emulator.client("ec2", region)
    key_arn = stack_key_arn(emulator, region, data)
    subnets, groups = network_ids(emulator, region, stack)
    instances = stack_instances(emulator, region, stack)
    by_id = {i["InstanceId"]: i for i in instances}
    wanted = {g["name"]: g for g in data["aws_compute_groups"]}
    actual = group_instances(instances)
    assert {g for g, names in actual.items() if names} == {
        g for g, spec in wanted.items() if spec["count"] > 0
    }, actual

    volumes = {}
    if instances:
        reply = ec2.describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": list(by_id)}]
        )
        for volume in reply["Volumes"]:
            for attachment in volume["Attachments"]:
                volumes[(attachment["InstanceId"], attachment["Device"])] = volume

    for name, spec in wanted.items():
        names = sorted(actual.get(name, {}))
        assert names == sorted(f"{prefix}-{name}-{n}" for n in range(1, spec["count"] + 1)), (
            f"{name}: expected exactly {spec['count']} instances, found {names}"
        )
        for instance_id in actual.get(name, {}).values():
            instance = by_id[instance_id]
            check_instance(instance, spec, data, subnets, groups)
            root = volumes[(instance_id, instance["RootDeviceName"])]
            assert root["Encrypted"] and root["KmsKeyId"] == key_arn, f"{name}: root volume"
            for extra in spec.get("data_volumes") or []:
                volume = volumes[(instance_id, extra["device_name"])]
                assert volume["Encrypted"] and volume["KmsKeyId"] == key_arn, extra
                assert volume["Size"] == extra["size"]
                assert volume["VolumeType"] == extra.get("type", "gp3")

    check_elastic_ips(emulator, region, stack, wanted, actual)
    key_names = [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    if wanted or data["aws_compute_asgs"]:
        assert data["aws_compute_key_name"] in key_names
    check_autoscaling(emulator, data, key_arn, subnets, groups)


def check_instance(
    instance: dict[str, Any],
    spec: dict[str, Any],
    data: dict[str, Any],
    subnets: dict[str, str],
    groups: dict[str, str],
) -> None:
    label = tags_of(instance)["Name"]
    tags = tags_of(instance)
    assert data["stack_tags"].items() <= tags.items(), f"{label}: stack tags"
    assert tags["role"] == spec["role"], f"{label}: role tag (inventory group role_<role>)"
    assert instance["InstanceType"] == spec["instance_type"], label
    assert instance["SubnetId"] == subnets[spec["subnet"]], f"{label}: subnet"
    assert {g["GroupId"] for g in instance["SecurityGroups"]} == {
        groups[g] for g in spec["security_groups"]
    }, f"{label}: security groups"
    metadata = instance["MetadataOptions"]
    assert metadata["HttpTokens"] == "required", f"{label}: IMDSv2 not required"
    assert metadata["HttpPutResponseHopLimit"] == data["aws_compute_imds_hop_limit"]
    assert instance["KeyName"] == data["aws_compute_key_name"]
    if spec.get("private_ip"):
        assert instance["PrivateIpAddress"] == spec["private_ip"], f"{label}: fixed address"
    if spec.get("instance_profile"):
        profile = instance["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
        assert profile == f"{data['stack_name']}-{spec['instance_profile']}"


def check_elastic_ips(
    emulator: Emulator,
    region: str,
    stack: str,
    wanted: dict[str, dict[str, Any]],
    actual: dict[str, dict[str, str]],
) -> None:
    # The compute tier's own addresses: the NAT gateways' carry the stack's tags too.
    addresses = emulator.client("ec2", region).describe_addresses(
        Filters=[
            {"Name": "tag:stack", "Values": [stack]},
            {"Name": "tag-key", "Values": ["compute-group"]},
        ]
    )["Addresses"]
    expected = {
        next(iter(actual[name].values()))
        for name, spec in wanted.items()
        if spec.get("elastic_ip") and spec["count"] == 1
    }
    assert {a.get("InstanceId") for a in addresses} == expected, addresses


def check_autoscaling(
    emulator: Emulator,
    data: dict[str, Any],
    key_arn: str,
    subnets: dict[str, str],
    groups: dict[str, str],
) -> None:
    region, stack, prefix = data["stack_region"], data["stack_name"], data["aws_compute_name"]
    autoscaling = emulator.client("autoscaling", region)
    ec2 = emulator.client("ec2", region)
    iam = emulator.client("iam", region)
    found = {
        g["AutoScalingGroupName"]: g
        for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        if tags_of(g).get("stack") == stack
    }
    wanted = {f"{prefix}-{a['name']}": a for a in data["aws_compute_asgs"]}
    assert set(found) == set(wanted)
    policies = {
        p["AutoScalingGroupName"]: p for p in autoscaling.describe_policies()["ScalingPolicies"]
    }
    for name, spec in wanted.items():
        group = found[name]
        desired = spec.get("desired_capacity") or spec["min_size"]
        assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (
            spec["min_size"],
            spec["max_size"],
            desired,
        ), name
        assert len(group["Instances"]) == desired, f"{name}: {len(group['Instances'])} instances"
        assert set(group["VPCZoneIdentifier"].split(",")) == {subnets[s] for s in spec["subnets"]}
        assert tags_of(group)["role"] == spec["role"]
        assert all(t["PropagateAtLaunch"] for t in group["Tags"]), "tags must reach instances"
        template = group["LaunchTemplate"]
        (version,) = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
        )["LaunchTemplateVersions"]
        lt = version["LaunchTemplateData"]
        assert lt["MetadataOptions"]["HttpTokens"] == "required", f"{name}: IMDSv2"
        assert lt["InstanceType"] == spec["instance_type"]
        assert set(lt["SecurityGroupIds"]) == {groups[g] for g in spec["security_groups"]}
        if spec.get("instance_profile"):
            # ec2_launch_template stores the profile by ARN (it looks the name up in IAM).
            profile = f"{data['stack_name']}-{spec['instance_profile']}"
            arn = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
            assert lt["IamInstanceProfile"] == {"Arn": arn}, (name, lt["IamInstanceProfile"])
        for mapping in lt["BlockDeviceMappings"]:
            assert mapping["Ebs"]["Encrypted"] and mapping["Ebs"]["KmsKeyId"] == key_arn
        policy = policies[name]
        assert policy["PolicyType"] == "TargetTrackingScaling"
        config = policy["TargetTrackingConfiguration"]
        assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
            "ASGAverageCPUUtilization"
        )
        assert config["TargetValue"] == float(
            spec.get("target_cpu") or data["aws_compute_target_cpu"]
        )


def compute_left(emulator: Emulator, region: str, stack: str) -> dict[str, list[str]]:
    """Compute resources of the stack still there (for assert_gone): must all be empty."""
    ec2 = emulator.client("ec2", region)
    autoscaling = emulator.client("autoscaling", region)
    by_tag = [{"Name": "tag:stack", "Values": [stack]}]
    return {
        "instance": [i["InstanceId"] for i in stack_instances(emulator, region, stack)],
        "auto_scaling_group": [
            g["AutoScalingGroupName"]
            for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
            if tags_of(g).get("stack") == stack
        ],
        "launch_template": [
            t["LaunchTemplateId"]
            for t in ec2.describe_launch_templates(Filters=by_tag)["LaunchTemplates"]
        ],
        "key_pair": [k["KeyName"] for k in ec2.describe_key_pairs(Filters=by_tag)["KeyPairs"]],
        "elastic_ip": [
            a["AllocationId"] for a in ec2.describe_addresses(Filters=by_tag)["Addresses"]
        ],
        "volume": [
            v["VolumeId"]
            for v in ec2.describe_volumes(Filters=by_tag)["Volumes"]
            if v["State"] != "deleted"
        ],
    }
