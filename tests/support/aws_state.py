"""Read a stack's resources back from the emulator with boto3, found by the stack's tags."""

from __future__ import annotations

from typing import Any

from conftest import Emulator

EC2_KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (describe call, result key, id key)
    "vpc": ("describe_vpcs", "Vpcs", "VpcId"),
    "subnet": ("describe_subnets", "Subnets", "SubnetId"),
    "security_group": ("describe_security_groups", "SecurityGroups", "GroupId"),
    "route_table": ("describe_route_tables", "RouteTables", "RouteTableId"),
    "internet_gateway": ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
    "nat_gateway": ("describe_nat_gateways", "NatGateways", "NatGatewayId"),
    "vpn_gateway": ("describe_vpn_gateways", "VpnGateways", "VpnGatewayId"),
    "customer_gateway": ("describe_customer_gateways", "CustomerGateways", "CustomerGatewayId"),
    "vpn_connection": ("describe_vpn_connections", "VpnConnections", "VpnConnectionId"),
    "flow_log": ("describe_flow_logs", "FlowLogs", "FlowLogId"),
}
GONE = {"deleted", "deleting", "failed"}


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagList", []))}


def live(resource: dict[str, Any]) -> bool:
    state = resource.get("State", resource.get("state", "available"))
    return str(state).lower() not in GONE


def ec2_resources(
    emulator: Emulator, region: str, kind: str, filters: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Live resources of one kind, filtered with EC2's own filter names ({"vpc-id": ...})."""
    call, key, _ = EC2_KINDS[kind]
    boto_filters = [{"Name": name, "Values": [value]} for name, value in (filters or {}).items()]
    ec2 = emulator.client("ec2", region)
    items = getattr(ec2, call)(**({"Filters": boto_filters} if boto_filters else {}))[key]
    return [i for i in items if live(i)]


def stack_inventory(emulator: Emulator, region: str, stack: str) -> dict[str, set[str]]:
    """Every live resource tagged stack=<stack>, as {kind: {id}} (EC2, IAM roles, log groups)."""
    found: dict[str, set[str]] = {}
    for kind, (_, _, id_key) in EC2_KINDS.items():
        items = ec2_resources(emulator, region, kind)
        found[kind] = {i[id_key] for i in items if tags_of(i).get("stack") == stack}
    iam = emulator.client("iam", region)
    found["iam_role"] = {
        r["RoleName"]
        for r in iam.list_roles()["Roles"]
        if tags_of(iam.list_role_tags(RoleName=r["RoleName"])).get("stack") == stack
    }
    logs = emulator.client("logs", region)
    found["log_group"] = {
        g["logGroupName"]
        for g in logs.describe_log_groups()["logGroups"]
        if logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"].get("stack") == stack
    }
    enis = stack_enis(emulator, region, stack)
    found["elastic_ip"] = {
        a["AllocationId"]
        for a in emulator.client("ec2", region).describe_addresses()["Addresses"]
        if a.get("NetworkInterfaceId") in enis
    }
    return found


def stack_enis(emulator: Emulator, region: str, stack: str) -> set[str]:
    """Network interfaces inside the stack's VPCs (NAT gateways' interfaces among them)."""
    vpcs = [v["VpcId"] for v in ec2_resources(emulator, region, "vpc", {"tag:stack": stack})]
    if not vpcs:
        return set()
    ec2 = emulator.client("ec2", region)
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": vpcs}])
    return {e["NetworkInterfaceId"] for e in enis["NetworkInterfaces"]}


def everything(emulator: Emulator, regions: list[str]) -> dict[str, set[str]]:
    """Every live resource of the kinds above in the regions, whatever its tags."""
    found: dict[str, set[str]] = {}
    for region in regions:
        for kind, (_, _, id_key) in EC2_KINDS.items():
            found.setdefault(kind, set()).update(
                f"{region}/{i[id_key]}" for i in ec2_resources(emulator, region, kind)
            )
        ec2 = emulator.client("ec2", region)
        found.setdefault("elastic_ip", set()).update(
            a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]
        )
        logs = emulator.client("logs", region)
        found.setdefault("log_group", set()).update(
            f"{region}/{g['logGroupName']}" for g in logs.describe_log_groups()["logGroups"]
        )
        sqs = emulator.client("sqs", region)
        found.setdefault("sqs_queue", set()).update(sqs.list_queues().get("QueueUrls", []))
        ses = emulator.client("sesv2", region)
        found.setdefault("ses_identity", set()).update(
            f"{region}/{i['IdentityName']}" for i in ses.list_email_identities()["EmailIdentities"]
        )
    iam = emulator.client("iam", regions[0])
    found["iam_role"] = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    return found
