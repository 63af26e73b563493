"""Network tier of every stack against the emulator: create, read back, no-change, check, destroy.

Cubed and mobile each run their own lifecycle; mydigitalstructure and akb share a region and are
run side by side to prove that one stack's runs and teardown never touch the other.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from checks_compute import (
    check_compute,
    compute_data,
    compute_left,
    group_instances,
    stack_instances,
)
from checks_database import (
    assert_passwords_hidden,
    check_database,
    database_leftovers,
    expected_final_snapshots,
    final_snapshots,
)
from checks_dns import check_dns, dns_leftovers
from checks_identity import check_identity, identity_left
from checks_loadbalancing import check_loadbalancing, loadbalancing_leftovers
from checks_storage import check_storage, storage_left
from conftest import Emulator
from support.aws_state import ec2_resources, stack_inventory, tags_of
from support.playbook import PlaybookRun, run_playbook
from support.stack import stack_vars

pytestmark = pytest.mark.slow


def provision(stack: str, tmp_path: Path, *args: str) -> PlaybookRun:
    return run_playbook(
        "provision.yml", stack, "-e", f"stack_outputs_dir={tmp_path / stack}", *args
    )


def destroy(stack: str, tmp_path: Path, *args: str, confirmed: bool = True) -> PlaybookRun:
    """Destroy the stack. CONFIRMED lets the teardown delete deletion-protected databases; the
    stacks' buckets are data-bearing: the tests allow their teardown unless ARGS say otherwise."""
    return run_playbook(
        "destroy.yml",
        stack,
        "-e",
        f"stack_outputs_dir={tmp_path / stack}",
        "-e",
        f"aws_database_destroy_confirmed={str(confirmed).lower()}",
        *(args or ("-e", "aws_storage_destroy_data_buckets=true")),
    )


def assert_ok(run: PlaybookRun, what: str) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-6000:]}"


def assert_unchanged(run: PlaybookRun, what: str) -> None:
    assert_ok(run, what)
    assert run.changed == 0, f"{what} changed {run.changed}: {run.changed_tasks()}"


def by_name(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {tags_of(r).get("Name", ""): r for r in resources}


def default_route_target(table: dict[str, Any]) -> str:
    for route in table["Routes"]:
        if route.get("DestinationCidrBlock") == "0.0.0.0/0":
            return route.get("GatewayId") or route.get("NatGatewayId") or "?"
    return ""


def ingress_facts(group: dict[str, Any], names: dict[str, str]) -> set[tuple[str, int, int, str]]:
    """(proto, from, to, source) for every ingress permission; group sources by group name."""
    facts = set()
    for perm in group["IpPermissions"]:
        sources = [r["CidrIp"] for r in perm.get("IpRanges", [])]
        sources += [names[p["GroupId"]] for p in perm.get("UserIdGroupPairs", [])]
        for source in sources:
            facts.add(
                (perm["IpProtocol"], perm.get("FromPort", -1), perm.get("ToPort", -1), source)
            )
    return facts


def expected_ingress(group: dict[str, Any]) -> set[tuple[str, int, int, str]]:
    facts = set()
    for rule in group.get("rules", []):
        cidrs = rule.get("cidr_ip", [])
        refs = rule.get("group_name", [])
        sources = ([cidrs] if isinstance(cidrs, str) else cidrs) + (
            [refs] if isinstance(refs, str) else refs
        )
        for port in rule["ports"]:
            for source in sources:
                facts.add((rule["proto"], int(port), int(port), source))
    return facts


def check_network(emulator: Emulator, stack: str) -> None:
    """Read every network resource of the stack back and compare it with the stack's data."""
    data = stack_vars(stack)
    region, tags = data["stack_region"], data["stack_tags"]

    vpcs = ec2_resources(emulator, region, "vpc", {"tag:stack": stack})
    assert len(vpcs) == 1, vpcs
    vpc = vpcs[0]
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == data["aws_network_vpc_cidr"]
    assert tags.items() <= tags_of(vpc).items(), "VPC lacks the stack's tags"
    assert "owner" in tags_of(vpc), "stack_extra_tags did not reach the resources"

    subnets = by_name(ec2_resources(emulator, region, "subnet", {"vpc-id": vpc_id}))
    assert len(subnets) == len(data["aws_network_subnets"])
    for spec in data["aws_network_subnets"]:
        subnet = subnets[f"{stack}-{spec['name']}"]
        assert subnet["CidrBlock"] == spec["cidr"]
        assert subnet["AvailabilityZone"] == region + spec["az"]
        assert subnet["MapPublicIpOnLaunch"] is (spec["tier"] == "public")
        assert tags_of(subnet)["tier"] == spec["tier"]
        assert ipaddress.ip_network(spec["cidr"]).subnet_of(ipaddress.ip_network(vpc["CidrBlock"]))

    igws = ec2_resources(emulator, region, "internet_gateway", {"attachment.vpc-id": vpc_id})
    assert len(igws) == 1
    igw_id = igws[0]["InternetGatewayId"]

    nats = ec2_resources(emulator, region, "nat_gateway", {"vpc-id": vpc_id})
    public_azs = {s["az"] for s in data["aws_network_subnets"] if s["tier"] == "public"}
    expected_nats = {"none": 0, "single": 1, "per_az": len(public_azs)}[
        data["aws_network_nat_mode"]
    ]
    assert len(nats) == expected_nats
    subnet_az = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets.values()}
    nat_by_az = {subnet_az[n["SubnetId"]]: n["NatGatewayId"] for n in nats}
    for nat in nats:
        assert tags_of(nat)["stack"] == stack
        assert tags_of(subnets_by_id(subnets)[nat["SubnetId"]])["tier"] == "public"

    tables = by_name(
        ec2_resources(emulator, region, "route_table", {"vpc-id": vpc_id, "tag:stack": stack})
    )
    assoc = {
        a["SubnetId"]: t for t in tables.values() for a in t["Associations"] if a.get("SubnetId")
    }
    vgws = ec2_resources(emulator, region, "vpn_gateway", {"attachment.vpc-id": vpc_id})
    vpn = data["aws_network_vpn"] or {}
    for spec in data["aws_network_subnets"]:
        subnet = subnets[f"{stack}-{spec['name']}"]
        table = assoc[subnet["SubnetId"]]
        target = default_route_target(table)
        if spec["tier"] == "public":
            assert target == igw_id
        elif spec["tier"] == "private" and data["aws_network_nat_mode"] == "per_az":
            assert target == nat_by_az[subnet["AvailabilityZone"]], (
                "private subnet not routed to its AZ's NAT"
            )
        elif spec["tier"] == "private" and data["aws_network_nat_mode"] == "single":
            assert target == nats[0]["NatGatewayId"]
        else:
            assert target == "", f"{spec['name']} must have no internet route"
        propagating = {p["GatewayId"] for p in table.get("PropagatingVgws", [])}
        if vpn and spec["tier"] in vpn.get("propagate_to_tiers", ["private"]):
            assert propagating == {vgws[0]["VpnGatewayId"]}
        else:
            assert not propagating

    check_vpn(emulator, region, stack, vpn, vgws)
    check_security_groups(emulator, region, data, vpc_id)
    check_flow_logs(emulator, region, data, vpc_id)


def subnets_by_id(subnets: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["SubnetId"]: s for s in subnets.values()}


def check_vpn(
    emulator: Emulator, region: str, stack: str, vpn: dict[str, Any], vgws: list[dict[str, Any]]
) -> None:
    connections = ec2_resources(emulator, region, "vpn_connection", {"tag:stack": stack})
    if not vpn:
        assert not vgws and not connections
        return
    assert len(vgws) == 1 and vgws[0]["AmazonSideAsn"] == vpn["amazon_side_asn"]
    cgws = ec2_resources(emulator, region, "customer_gateway", {"tag:stack": stack})
    assert [c["IpAddress"] for c in cgws] == [vpn["customer_gateway_ip"]]
    assert str(cgws[0]["BgpAsn"]) == str(vpn["customer_gateway_bgp_asn"])
    assert len(connections) == 1
    conn = connections[0]
    assert conn["VpnGatewayId"] == vgws[0]["VpnGatewayId"]
    assert conn["CustomerGatewayId"] == cgws[0]["CustomerGatewayId"]
    assert conn["Options"]["StaticRoutesOnly"] is True
    routes = {r["DestinationCidrBlock"] for r in conn["Routes"] if r["State"] == "available"}
    assert routes == set(vpn["static_routes"])


def check_security_groups(
    emulator: Emulator, region: str, data: dict[str, Any], vpc_id: str
) -> None:
    groups = ec2_resources(emulator, region, "security_group", {"vpc-id": vpc_id})
    names = {g["GroupId"]: g["GroupName"] for g in groups}
    actual = {g["GroupName"]: g for g in groups if g["GroupName"] != "default"}
    wanted = {g["name"]: g for g in data["aws_network_security_groups"]}
    assert set(actual) == set(wanted)
    for name, spec in wanted.items():
        group = actual[name]
        assert group["Description"] == spec["description"]
        assert tags_of(group)["stack"] == data["stack_name"]
        assert ingress_facts(group, names) == expected_ingress(spec), name
        for _proto, low, high, source in ingress_facts(group, names):
            if source in ("0.0.0.0/0", "::/0"):
                assert not low <= 22 <= high and not low <= 3389 <= high, (
                    f"{name} opens SSH/RDP to the world"
                )


def check_flow_logs(emulator: Emulator, region: str, data: dict[str, Any], vpc_id: str) -> None:
    stack = data["stack_name"]
    group = f"/estate/{stack}/vpc-flow-logs"
    flow_logs = ec2_resources(emulator, region, "flow_log", {"resource-id": vpc_id})
    assert len(flow_logs) == 1
    flow_log = flow_logs[0]
    assert flow_log["LogGroupName"] == group
    assert flow_log["TrafficType"] == data["aws_network_flow_logs_traffic_type"]
    role_name = flow_log["DeliverLogsPermissionArn"].split("/")[-1]
    assert role_name == f"{stack}-vpc-flow-logs-{region}"
    logs = emulator.client("logs", region)
    (log_group,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert log_group["retentionInDays"] == data["aws_network_flow_logs_retention_days"]
    iam = emulator.client("iam", region)
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="write-flow-logs")["PolicyDocument"]
    writes = [s for s in policy["Statement"] if "logs:PutLogEvents" in s["Action"]]
    assert writes[0]["Resource"].endswith(f":log-group:{group}:*"), (
        "flow-log role may write elsewhere"
    )


KMS_VARS = ("stack_name", "stack_region", "stack_tags", "aws_kms_alias", "aws_kms_replica_regions")


def stack_keys(emulator: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    """Region -> metadata of the key the stack's alias names there (absent: no such alias)."""
    data = stack_vars(stack, KMS_VARS)
    alias = f"alias/{data['aws_kms_alias'] or data['stack_name']}"
    keys = {}
    for region in [data["stack_region"], *(data["aws_kms_replica_regions"] or [])]:
        kms = emulator.client("kms", region)
        targets = [
            a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias
        ]
        if targets:
            keys[region] = kms.describe_key(KeyId=targets[0])["KeyMetadata"]
    return keys


def check_kms(emulator: Emulator, stack: str) -> None:
    """The stack key in every region: enabled, rotating, tagged, usable by CloudWatch Logs only
    for this account's log groups of its region."""
    data = stack_vars(stack, KMS_VARS)
    keys = stack_keys(emulator, stack)
    assert sorted(keys) == sorted([data["stack_region"], *(data["aws_kms_replica_regions"] or [])])
    for region, key in keys.items():
        kms = emulator.client("kms", region)
        assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
        tags = {
            t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
        }
        assert data["stack_tags"].items() <= tags.items()
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        logs = [
            s for s in policy["Statement"] if s["Principal"].get("Service", "").startswith("logs.")
        ]
        assert logs[0]["Principal"]["Service"] == f"logs.{region}.amazonaws.com"
        context = logs[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert context.startswith(f"arn:aws:logs:{region}:")


def assert_gone(emulator: Emulator, stack: str) -> None:
    region = stack_vars(stack)["stack_region"]
    inventory = {
        **stack_inventory(emulator, region, stack),
        **identity_left(emulator, stack),
        **storage_left(emulator, stack),
        **loadbalancing_leftovers(emulator, region, stack),
        **dns_leftovers(emulator, stack),
    }
    left = {kind: ids for kind, ids in inventory.items() if ids}
    assert not left, f"destroy left {stack}'s resources behind: {left}"
    databases = database_leftovers(emulator, region, stack)
    assert not databases, f"destroy left {stack}'s databases behind: {databases}"
    assert final_snapshots(emulator, stack) == expected_final_snapshots(stack), (
        f"{stack}: a destroyed database has no final snapshot"
    )
    states = {region: key["KeyState"] for region, key in stack_keys(emulator, stack).items()}
    assert set(states.values()) <= {"PendingDeletion"}, f"{stack}'s keys not scheduled: {states}"
    left = {kind: ids for kind, ids in compute_left(emulator, region, stack).items() if ids}
    assert not left, f"destroy left {stack}'s compute resources behind: {left}"


def provision_compute_only(stack: str, tmp_path: Path, overrides: dict[str, Any]) -> PlaybookRun:
    """A run of the compute tier alone (--tags aws_compute) with data OVERRIDES: the network, key
    and instance profile IDs it needs come from the outputs.json of the previous full run."""
    outputs = json.loads((tmp_path / stack / "outputs.json").read_text())
    extra = {
        "aws_compute_subnet_ids": outputs["network"]["subnet_ids"],
        "aws_compute_security_group_ids": outputs["network"]["security_group_ids"],
        "aws_compute_kms_key_arn": outputs["kms"]["key_arn"],
        "aws_compute_instance_profile_names": outputs["identity"]["instance_profile_names"],
        **overrides,
    }
    varsfile = tmp_path / f"{stack}-scale.json"
    varsfile.write_text(json.dumps(extra))
    return provision(stack, tmp_path, "--tags", "aws_compute", "-e", f"@{varsfile}")


def check_instance_scaling(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """Counts changed in the data leave exactly that many instances: the wanted ones are kept
    (same IDs), the surplus (highest numbers, removed groups) goes, nothing is duplicated."""
    data = compute_data(stack)
    region = data["stack_region"]
    groups = data["aws_compute_groups"]
    grow, drop = groups[-1]["name"], groups[0]["name"]
    before = group_instances(stack_instances(emulator, region, stack))

    def counts(changes: dict[str, int]) -> list[dict[str, Any]]:
        return [{**g, "count": changes.get(g["name"], g["count"])} for g in groups]

    scaled = counts({grow: 3, drop: 0})
    assert_ok(provision_compute_only(stack, tmp_path, {"aws_compute_groups": scaled}), "scale")
    check_compute(emulator, stack, {**data, "aws_compute_groups": scaled})
    after = group_instances(stack_instances(emulator, region, stack))
    first = f"{data['aws_compute_name']}-{grow}-1"
    assert after[grow][first] == before[grow][first], "a wanted instance was replaced"
    assert drop not in after
    for name in set(before) - {grow, drop}:
        assert after[name] == before[name], f"{name} was touched by another group's scaling"

    back = counts({grow: 1, drop: 0})
    again = provision_compute_only(stack, tmp_path, {"aws_compute_groups": back})
    assert_ok(again, "scale back")
    check_compute(emulator, stack, {**data, "aws_compute_groups": back})
    assert group_instances(stack_instances(emulator, region, stack))[grow] == {
        first: before[grow][first]
    }, "scaling down removed the wrong instances"
    assert_unchanged(
        provision_compute_only(stack, tmp_path, {"aws_compute_groups": back}), "scaled re-run"
    )


def check_asg_scaling(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """An Auto Scaling group resized in the data gets exactly that size and that many instances."""
    data = compute_data(stack)
    asgs = [
        {**a, "max_size": a["max_size"] + 1, "desired_capacity": 2}
        for a in data["aws_compute_asgs"]
    ]
    assert_ok(provision_compute_only(stack, tmp_path, {"aws_compute_asgs": asgs}), "ASG resize")
    check_compute(emulator, stack, {**data, "aws_compute_asgs": asgs})


def assert_data_buckets_kept(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """A data-bearing bucket that holds an object stops a destroy without the safety flag,
    before anything is deleted."""
    data = stack_vars(stack, ("stack_region", "stack_bucket_prefix", "aws_storage_buckets"))
    bucket = next(b for b in data["aws_storage_buckets"] if b.get("data_bearing", True))
    name = f"{data['stack_bucket_prefix']}-{bucket['name']}"
    s3 = emulator.client("s3", data["stack_region"])
    s3.put_object(Bucket=name, Key="keep-me.txt", Body=b"data")
    before = stack_inventory(emulator, data["stack_region"], stack)
    run = destroy(stack, tmp_path, "-e", "aws_storage_destroy_data_buckets=false")
    assert run.rc != 0 and "aws_storage_destroy_data_buckets" in run.output, run.output[-3000:]
    assert s3.get_object(Bucket=name, Key="keep-me.txt")["Body"].read() == b"data"
    assert stack_inventory(emulator, data["stack_region"], stack) == before


@pytest.mark.parametrize("stack", ["cubed", "mobile"])
def test_network_lifecycle(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    assert_ok(first := provision(stack, tmp_path), f"{stack}: first run")
    assert first.changed > 0
    check_kms(emulator, stack)
    check_network(emulator, stack)
    check_identity(emulator, stack)
    check_storage(emulator, stack)
    check_database(emulator, stack)
    check_compute(emulator, stack)
    check_loadbalancing(emulator, stack)
    check_dns(emulator, stack)
    assert (tmp_path / stack / "outputs.json").is_file()

    assert_unchanged(second := provision(stack, tmp_path), f"{stack}: second run")
    assert_passwords_hidden(emulator, stack, first, second)
    assert_unchanged(
        provision(stack, tmp_path, "--check", "--diff"), f"{stack}: --check on the converged stack"
    )
    if compute_data(stack)["aws_compute_groups"]:
        check_instance_scaling(emulator, stack, tmp_path)

    assert_data_buckets_kept(emulator, stack, tmp_path)
    assert_ok(destroy(stack, tmp_path), f"{stack}: destroy")
    assert_gone(emulator, stack)
    assert not (tmp_path / stack / "outputs.json").exists()
    assert_unchanged(destroy(stack, tmp_path), f"{stack}: second destroy")


def test_two_stacks_side_by_side(emulator: Emulator, tmp_path: Path) -> None:
    """mydigitalstructure and akb share a region: neither's runs nor teardown touch the other."""
    region = stack_vars("akb")["stack_region"]
    assert stack_vars("mydigitalstructure")["stack_region"] == region

    runs = {"mydigitalstructure": [provision("mydigitalstructure", tmp_path)]}
    assert_ok(runs["mydigitalstructure"][0], "mydigitalstructure: first run")
    mds_before = stack_inventory(emulator, region, "mydigitalstructure")
    runs["akb"] = [provision("akb", tmp_path)]
    assert_ok(runs["akb"][0], "akb: first run")
    check_network(emulator, "mydigitalstructure")
    check_network(emulator, "akb")
    check_kms(emulator, "akb")
    for stack in ("mydigitalstructure", "akb"):
        check_database(emulator, stack)
        check_compute(emulator, stack)
        check_identity(emulator, stack)
        check_storage(emulator, stack)
        check_loadbalancing(emulator, stack)
        check_dns(emulator, stack)

    for stack in ("akb", "mydigitalstructure"):
        runs[stack].append(provision(stack, tmp_path))
        assert_unchanged(runs[stack][-1], f"{stack}: second run")
        assert_unchanged(provision(stack, tmp_path, "--check", "--diff"), f"{stack}: --check")
        assert_passwords_hidden(emulator, stack, *runs[stack])

    refused = destroy("akb", tmp_path, confirmed=False)
    assert refused.rc != 0 and "aws_database_destroy_confirmed=true" in refused.output, (
        "akb: destroy deleted a deletion-protected database without confirmation"
    )
    check_database(emulator, "akb")
    check_compute(emulator, "akb")  # the refused teardown deleted nothing of any tier
    check_asg_scaling(emulator, "akb", tmp_path)

    assert_ok(destroy("akb", tmp_path), "akb: destroy")
    assert_gone(emulator, "akb")
    assert stack_inventory(emulator, region, "mydigitalstructure") == mds_before
    check_network(emulator, "mydigitalstructure")
    check_identity(emulator, "mydigitalstructure")
    check_storage(emulator, "mydigitalstructure")

    assert_ok(destroy("mydigitalstructure", tmp_path), "mydigitalstructure: destroy")
    assert_gone(emulator, "mydigitalstructure")
