"""Read-back checks of the network tier (roles/aws_network): VPC, subnets, gateways, route tables,
VPN, security groups and flow logs, compared with the stack's data (called by test_lifecycle.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from conftest import Emulator
from support.aws_state import ec2_resources, tags_of
from support.stack import stack_vars


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
