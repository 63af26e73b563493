"""Each patch of lab/emulator/patches, proved through boto3 and, where the moto bug showed
through an Ansible module, through real ansible-playbook runs of that module (second run and
``--check`` on the converged state must report no change)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
TAGS = {"stack": "emulator-test", "env": "test", "managed-by": "pytest"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def run_playbook(
    emulator: Any, tmp_path: Path, playbook: str, extra_vars: dict[str, Any], *flags: str
) -> dict[str, bool]:
    """Run a localhost playbook against the emulator; return {task name: changed}."""
    path = tmp_path / "playbook.yml"
    path.write_text(playbook)
    variables = {**extra_vars, "ansible_python_interpreter": sys.executable}
    env = {
        **os.environ,
        **emulator.env,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", str(path)]
    command += ["-e", json.dumps(variables), *flags]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    changed: dict[str, bool] = {}
    for task in report["plays"][0]["tasks"]:
        outcome = task["hosts"]["localhost"]
        changed[task["task"]["name"]] = bool(outcome.get("changed"))
    return changed


def assert_converges(emulator: Any, tmp_path: Path, playbook: str, extra: dict[str, Any]) -> None:
    """First run changes something; the second run and --check on the result change nothing."""
    first = run_playbook(emulator, tmp_path, playbook, extra)
    assert all(first.values()), first
    second = run_playbook(emulator, tmp_path, playbook, extra)
    assert not any(second.values()), second
    check = run_playbook(emulator, tmp_path, playbook, extra, "--check")
    assert not any(check.values()), check


def make_vpc(ec2: Any, cidr: str = "10.77.0.0/16") -> str:
    vpc_id: str = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    return vpc_id


def make_subnet(ec2: Any, vpc_id: str, cidr: str = "10.77.1.0/24") -> str:
    subnet_id: str = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]
    return subnet_id


def make_attached_vgw(ec2: Any, vpc_id: str) -> str:
    vgw_id: str = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc_id, VpnGatewayId=vgw_id)
    return vgw_id


def make_cgw(ec2: Any, ip_address: str, tags: dict[str, str] | None = None) -> str:
    spec = [{"ResourceType": "customer-gateway", "Tags": tag_list(tags)}] if tags else []
    gateway = ec2.create_customer_gateway(
        Type="ipsec.1", PublicIp=ip_address, BgpAsn=65010, TagSpecifications=spec
    )["CustomerGateway"]
    cgw_id: str = gateway["CustomerGatewayId"]
    return cgw_id


def tags_of_type(ec2: Any, resource_id: str, resource_type: str) -> dict[str, str]:
    filters = [
        {"Name": "resource-id", "Values": [resource_id]},
        {"Name": "resource-type", "Values": [resource_type]},
    ]
    found = ec2.describe_tags(Filters=filters)["Tags"]
    assert {tag["ResourceType"] for tag in found} <= {resource_type}
    return {tag["Key"]: tag["Value"] for tag in found}


# --- ec2_tag_resource_types ------------------------------------------------------------------


def test_tag_resource_types_are_the_aws_names(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    subnet_id = make_subnet(ec2, make_vpc(ec2))
    eip = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tag_list(TAGS)}]
    )
    nat = ec2.create_nat_gateway(
        SubnetId=subnet_id,
        AllocationId=eip["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": tag_list(TAGS)}],
    )["NatGateway"]
    assert tags_of_type(ec2, eip["AllocationId"], "elastic-ip") == TAGS
    assert tags_of_type(ec2, nat["NatGatewayId"], "natgateway") == TAGS
    assert tags_of_type(ec2, nat["NatGatewayId"], "nat-gateway") == {}


NAT_AND_EIP = """
- name: NAT gateway and Elastic IP with tags
  hosts: localhost
  gather_facts: false
  tasks:
    - name: eip
      amazon.aws.ec2_eip:
        in_vpc: true
        reuse_existing_ip_allowed: true
        tag_name: Name
        tag_value: "{{ name }}"
        tags: "{{ tags | combine({'Name': name}) }}"
    - name: nat
      amazon.aws.ec2_vpc_nat_gateway:
        subnet_id: "{{ subnet_id }}"
        if_exist_do_not_create: true
        wait: true
        tags: "{{ tags | combine({'Name': name}) }}"
"""


@pytest.mark.slow
def test_nat_gateway_and_eip_with_tags_converge(emulator: Any, tmp_path: Path) -> None:
    ec2 = emulator.client("ec2")
    subnet_id = make_subnet(ec2, make_vpc(ec2))
    extra = {"subnet_id": subnet_id, "name": unique("nat"), "tags": TAGS}
    assert_converges(emulator, tmp_path, NAT_AND_EIP, extra)


# --- vpn_connection_routes -------------------------------------------------------------------


def make_vpn(ec2: Any, ip_address: str) -> str:
    vgw_id = make_attached_vgw(ec2, make_vpc(ec2))
    vpn = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=make_cgw(ec2, ip_address),
        VpnGatewayId=vgw_id,
        Options={"StaticRoutesOnly": True},
    )["VpnConnection"]
    vpn_id: str = vpn["VpnConnectionId"]
    return vpn_id


def vpn_routes(ec2: Any, vpn_id: str) -> list[dict[str, str]]:
    [vpn] = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"]
    routes: list[dict[str, str]] = vpn["Routes"]
    return routes


def test_vpn_connection_routes_and_options(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    vpn_id = make_vpn(ec2, "203.0.113.21")
    [vpn] = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"]
    assert vpn["Options"]["StaticRoutesOnly"] is True
    assert vpn["Routes"] == []

    for cidr in ("172.16.0.0/16", "172.17.0.0/16"):
        ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock=cidr)
    assert vpn_routes(ec2, vpn_id) == [
        {"DestinationCidrBlock": "172.16.0.0/16", "Source": "Static", "State": "available"},
        {"DestinationCidrBlock": "172.17.0.0/16", "Source": "Static", "State": "available"},
    ]

    ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="172.16.0.0/16")
    assert [r["DestinationCidrBlock"] for r in vpn_routes(ec2, vpn_id)] == ["172.17.0.0/16"]


@pytest.mark.parametrize(
    ("action", "vpn", "cidr", "code"),
    [
        ("delete", "known", "10.9.0.0/16", "InvalidRoute.NotFound"),
        ("create", "unknown", "10.9.0.0/16", "InvalidVpnConnectionID.NotFound"),
        ("create", "known", "10.9.0.1/16", "InvalidParameterValue"),
    ],
)
def test_vpn_connection_route_errors(
    emulator: Any, action: str, vpn: str, cidr: str, code: str
) -> None:
    ec2 = emulator.client("ec2")
    vpn_id = make_vpn(ec2, "203.0.113.22") if vpn == "known" else "vpn-0123456789abcdef0"
    call = getattr(ec2, f"{action}_vpn_connection_route")
    with pytest.raises(ClientError) as error:
        call(VpnConnectionId=vpn_id, DestinationCidrBlock=cidr)
    assert error_code(error) == code


VPN_STATIC = """
- name: Static-routes VPN connection
  hosts: localhost
  gather_facts: false
  tasks:
    - name: vpn
      amazon.aws.ec2_vpc_vpn:
        customer_gateway_id: "{{ cgw_id }}"
        vpn_gateway_id: "{{ vgw_id }}"
        static_only: true
        routes: [172.16.0.0/16, 172.17.0.0/16]
        delay: 1
        tags: "{{ tags }}"
"""


@pytest.mark.slow
def test_ec2_vpc_vpn_static_routes_converge(emulator: Any, tmp_path: Path) -> None:
    ec2 = emulator.client("ec2")
    vgw_id = make_attached_vgw(ec2, make_vpc(ec2))
    cgw_id = make_cgw(ec2, "203.0.113.23")
    extra = {"cgw_id": cgw_id, "vgw_id": vgw_id, "tags": TAGS}
    assert_converges(emulator, tmp_path, VPN_STATIC, extra)
    filters = [{"Name": "vpn-gateway-id", "Values": [vgw_id]}]
    [vpn] = ec2.describe_vpn_connections(Filters=filters)["VpnConnections"]
    assert sorted(r["DestinationCidrBlock"] for r in vpn["Routes"]) == [
        "172.16.0.0/16",
        "172.17.0.0/16",
    ]
    assert vpn["Options"]["StaticRoutesOnly"] is True


# --- vgw_route_propagation -------------------------------------------------------------------


def propagating(ec2: Any, table_id: str) -> list[dict[str, str]]:
    [table] = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    vgws: list[dict[str, str]] = table["PropagatingVgws"]
    return vgws


def test_vgw_route_propagation(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    vpc_id = make_vpc(ec2)
    vgw_id = make_attached_vgw(ec2, vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    assert propagating(ec2, table_id) == []

    for _ in range(2):
        ec2.enable_vgw_route_propagation(RouteTableId=table_id, GatewayId=vgw_id)
    assert propagating(ec2, table_id) == [{"GatewayId": vgw_id}]

    ec2.disable_vgw_route_propagation(RouteTableId=table_id, GatewayId=vgw_id)
    assert propagating(ec2, table_id) == []


def test_vgw_route_propagation_errors(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    vpc_id = make_vpc(ec2)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    detached = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    with pytest.raises(ClientError) as not_attached:
        ec2.enable_vgw_route_propagation(RouteTableId=table_id, GatewayId=detached)
    assert error_code(not_attached) == "Gateway.NotAttached"
    with pytest.raises(ClientError) as no_table:
        ec2.enable_vgw_route_propagation(RouteTableId="rtb-0123456789abcdef0", GatewayId=detached)
    assert error_code(no_table) == "InvalidRouteTableID.NotFound"


ROUTE_TABLE = """
- name: Route table with VGW propagation
  hosts: localhost
  gather_facts: false
  tasks:
    - name: route table
      amazon.aws.ec2_vpc_route_table:
        vpc_id: "{{ vpc_id }}"
        subnets: ["{{ subnet_id }}"]
        routes:
          - dest: 0.0.0.0/0
            gateway_id: "{{ igw_id }}"
        propagating_vgw_ids: ["{{ vgw_id }}"]
        tags: "{{ tags }}"
"""


@pytest.mark.slow
def test_route_table_with_propagating_vgw_converges(emulator: Any, tmp_path: Path) -> None:
    ec2 = emulator.client("ec2")
    vpc_id = make_vpc(ec2)
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    vgw_id = make_attached_vgw(ec2, vpc_id)
    extra = {"vpc_id": vpc_id, "subnet_id": make_subnet(ec2, vpc_id), "igw_id": igw_id}
    extra |= {"vgw_id": vgw_id, "tags": TAGS}
    assert_converges(emulator, tmp_path, ROUTE_TABLE, extra)
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:stack", "Values": ["*"]}]
    [table] = ec2.describe_route_tables(Filters=filters)["RouteTables"]
    assert table["PropagatingVgws"] == [{"GatewayId": vgw_id}]


# --- vpn_connection_filters ------------------------------------------------------------------


def vpn_ids(ec2: Any, name: str, value: str) -> list[str]:
    filters = [{"Name": name, "Values": [value]}]
    return [
        v["VpnConnectionId"]
        for v in ec2.describe_vpn_connections(Filters=filters)["VpnConnections"]
    ]


def test_vpn_connection_filters(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    vpn_id = make_vpn(ec2, "203.0.113.24")
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="172.24.0.0/16")
    assert vpn_ids(ec2, "vpn-connection-id", vpn_id) == [vpn_id]
    assert vpn_id in vpn_ids(ec2, "option.static-routes-only", "true")
    assert vpn_id not in vpn_ids(ec2, "option.static-routes-only", "false")
    assert vpn_ids(ec2, "route.destination-cidr-block", "172.24.0.0/16") == [vpn_id]
    assert vpn_id in vpn_ids(ec2, "bgp-asn", "65010")
    assert vpn_id not in vpn_ids(ec2, "transit-gateway-id", "tgw-0123456789abcdef0")


# --- customer_gateway_filters ----------------------------------------------------------------


def cgw_ids(ec2: Any, *filters: tuple[str, list[str]]) -> set[str]:
    query = [{"Name": name, "Values": values} for name, values in filters]
    gateways = ec2.describe_customer_gateways(Filters=query)["CustomerGateways"]
    return {gateway["CustomerGatewayId"] for gateway in gateways}


def test_customer_gateway_filters(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    name = unique("cgw")
    live = make_cgw(ec2, "203.0.113.31", {"Name": name})
    gone = make_cgw(ec2, "203.0.113.31", {"Name": name})
    ec2.delete_customer_gateway(CustomerGatewayId=gone)
    same_ip = ("ip-address", ["203.0.113.31"])
    assert cgw_ids(ec2, same_ip) == {live, gone}
    assert cgw_ids(ec2, same_ip, ("state", ["available"])) == {live}
    assert cgw_ids(ec2, ("tag:Name", [name]), ("state", ["deleted"])) == {gone}
    assert cgw_ids(ec2, same_ip, ("bgp-asn", ["65010"])) == {live, gone}
    assert cgw_ids(ec2, ("customer-gateway-id", [live])) == {live}


CUSTOMER_GATEWAY = """
- name: Customer gateway
  hosts: localhost
  gather_facts: false
  tasks:
    - name: customer gateway
      community.aws.ec2_customer_gateway:
        name: "{{ name }}"
        ip_address: 203.0.113.32
        bgp_asn: 65010
        routing: static
        state: "{{ state }}"
"""


@pytest.mark.slow
def test_customer_gateway_absent_converges(emulator: Any, tmp_path: Path) -> None:
    extra = {"name": unique("cgw"), "state": "present"}
    assert run_playbook(emulator, tmp_path, CUSTOMER_GATEWAY, extra) == {"customer gateway": True}
    extra["state"] = "absent"
    assert run_playbook(emulator, tmp_path, CUSTOMER_GATEWAY, extra) == {"customer gateway": True}
    again = run_playbook(emulator, tmp_path, CUSTOMER_GATEWAY, extra)
    assert again == {"customer gateway": False}


# --- nat_gateway_filters ---------------------------------------------------------------------


def make_tagged_nat(ec2: Any, name: str) -> str:
    subnet_id = make_subnet(ec2, make_vpc(ec2))
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    spec = [{"ResourceType": "natgateway", "Tags": tag_list({"Name": name})}]
    nat = ec2.create_nat_gateway(
        SubnetId=subnet_id, AllocationId=allocation_id, TagSpecifications=spec
    )["NatGateway"]
    nat_id: str = nat["NatGatewayId"]
    return nat_id


def test_nat_gateway_tag_filters(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    name = unique("nat")
    nat_id = make_tagged_nat(ec2, name)
    make_tagged_nat(ec2, unique("other"))

    def found(name_filter: str, values: list[str]) -> list[str]:
        filters = [{"Name": name_filter, "Values": values}]
        return [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=filters)["NatGateways"]]

    assert found("tag:Name", [name]) == [nat_id]
    assert found("tag:Name", [unique("absent")]) == []
    assert nat_id in found("tag-key", ["Name"])


NAT_INFO = """
- name: NAT gateway lookup by tag
  hosts: localhost
  gather_facts: false
  tasks:
    - name: lookup
      amazon.aws.ec2_vpc_nat_gateway_info:
        filters: {"tag:Name": "{{ name }}"}
      register: found
    - name: report
      ansible.builtin.copy:
        content: "{{ found.result | map(attribute='nat_gateway_id') | list | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


@pytest.mark.slow
def test_nat_gateway_info_by_tag(emulator: Any, tmp_path: Path) -> None:
    ec2 = emulator.client("ec2")
    name = unique("nat")
    nat_id = make_tagged_nat(ec2, name)
    make_tagged_nat(ec2, unique("other"))
    out = tmp_path / "found.json"
    run_playbook(emulator, tmp_path, NAT_INFO, {"name": name, "out": str(out)})
    assert json.loads(out.read_text()) == [nat_id]


# --- nat_gateway_delete ----------------------------------------------------------------------


def test_nat_gateway_delete_frees_interface_and_address(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    subnet_id = make_subnet(ec2, make_vpc(ec2))
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation_id)["NatGateway"]
    eni_id = nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]

    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # deleting again changes nothing

    enis = ec2.describe_network_interfaces()["NetworkInterfaces"]
    assert eni_id not in {eni["NetworkInterfaceId"] for eni in enis}
    [address] = ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
    assert "AssociationId" not in address
    with pytest.raises(ClientError) as unknown:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert error_code(unknown) == "NatGatewayNotFound"


# --- kms_key_state_ids ------------------------------------------------------------------------


def test_kms_key_state_calls_accept_a_key_arn(emulator: Any) -> None:
    kms = emulator.client("kms")
    key = kms.create_key(Description=unique("key"))["KeyMetadata"]

    kms.disable_key(KeyId=key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"

    kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(ClientError) as unknown:
        kms.schedule_key_deletion(KeyId=key["Arn"].replace(key["KeyId"], str(uuid.uuid4())))
    assert error_code(unknown) == "NotFoundException"


# --- rds_parameter_group_not_found, rds_engine_default_parameters, rds_gp3_baseline ------------


def test_rds_parameter_group_not_found(emulator: Any) -> None:
    rds = emulator.client("rds")
    name = unique("pg")
    with pytest.raises(ClientError) as missing:
        rds.describe_db_parameter_groups(DBParameterGroupName=name)
    assert error_code(missing) == "DBParameterGroupNotFound"
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily="mysql8.0", Description="t"
    )
    [group] = rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
    assert group["DBParameterGroupName"] == name
    assert name in {
        g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
    }


def test_rds_engine_default_parameters(emulator: Any) -> None:
    rds = emulator.client("rds")
    name = unique("pg")
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily="postgres16", Description="t"
    )
    defaults = {
        p["ParameterName"]: p
        for p in rds.describe_db_parameters(DBParameterGroupName=name)["Parameters"]
    }
    assert defaults["rds.force_ssl"]["Source"] == "engine-default"
    assert defaults["rds.force_ssl"]["DataType"] == "boolean"
    assert defaults["rds.force_ssl"]["IsModifiable"] is True
    assert "ParameterValue" not in defaults["rds.force_ssl"]
    rds.modify_db_parameter_group(
        DBParameterGroupName=name,
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}
        ],
    )
    [user] = rds.describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]
    assert (user["ParameterName"], user["ParameterValue"], user["Source"], user["DataType"]) == (
        "rds.force_ssl",
        "1",
        "user",
        "boolean",
    )
    with pytest.raises(ClientError) as missing:
        rds.describe_db_parameters(DBParameterGroupName=unique("pg"))
    assert error_code(missing) == "DBParameterGroupNotFound"


def test_rds_gp3_baseline(emulator: Any) -> None:
    rds = emulator.client("rds")
    common = {"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "MasterUsername": "admin"}
    small, large, explicit = unique("db"), unique("db"), unique("db")
    rds.create_db_instance(
        DBInstanceIdentifier=small, AllocatedStorage=20, StorageType="gp3", **common
    )
    rds.create_db_instance(
        DBInstanceIdentifier=large, AllocatedStorage=400, StorageType="gp3", **common
    )
    rds.create_db_instance(
        DBInstanceIdentifier=explicit,
        AllocatedStorage=400,
        StorageType="gp3",
        Iops=15000,
        StorageThroughput=600,
        **common,
    )
    got = {}
    for name in (small, large, explicit):
        [db] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
        got[name] = (db["Iops"], db["StorageThroughput"])
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    assert got == {small: (3000, 125), large: (12000, 500), explicit: (15000, 600)}


PARAM_GROUP_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: parameter group
      amazon.aws.rds_instance_param_group:
        name: "{{ name }}"
        engine: mysql8.0
        description: TLS only
        params: {require_secure_transport: "1", character_set_server: utf8mb4}
        tags: "{{ tags }}"
        region: "{{ region }}"
        state: present
      register: group
      failed_when: group is failed or group.errors | length > 0
"""


@pytest.mark.slow
def test_rds_parameter_group_converges(emulator: Any, tmp_path: Path) -> None:
    variables = {"name": unique("pg"), "tags": TAGS, "region": emulator.env["AWS_DEFAULT_REGION"]}
    assert run_playbook(emulator, tmp_path, PARAM_GROUP_PLAYBOOK, variables) == {
        "parameter group": True
    }
    for flags in ((), ("--check", "--diff")):
        assert run_playbook(emulator, tmp_path, PARAM_GROUP_PLAYBOOK, variables, *flags) == {
            "parameter group": False
        }
    rds = emulator.client("rds")
    user = rds.describe_db_parameters(DBParameterGroupName=variables["name"], Source="user")
    assert {p["ParameterName"]: p["ParameterValue"] for p in user["Parameters"]} == {
        "require_secure_transport": "1",
        "character_set_server": "utf8mb4",
    }


# --- secret_marked_for_deletion ---------------------------------------------------------------


def test_secret_marked_for_deletion_message(emulator: Any) -> None:
    secrets = emulator.client("secretsmanager")
    name = unique("secret")
    secrets.create_secret(Name=name, SecretString="{}")
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as deleted:
        secrets.get_secret_value(SecretId=name)
    assert error_code(deleted) == "InvalidRequestException"
    assert "marked for deletion" in deleted.value.response["Error"]["Message"]
    secrets.restore_secret(SecretId=name)
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == "{}"


# --- debian_images ----------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "us-east-1"])
def test_debian_images_are_in_every_region(emulator: Any, region: str) -> None:
    ec2 = emulator.client("ec2", region)
    images = ec2.describe_images(
        Owners=["136693071363"],
        Filters=[
            {"Name": "name", "Values": ["debian-12-amd64-*"]},
            {"Name": "architecture", "Values": ["x86_64"]},
        ],
    )["Images"]
    assert len(images) == 1
    (image,) = images
    assert image["RootDeviceName"] == "/dev/xvda" and image["RootDeviceType"] == "ebs"
    assert image["State"] == "available" and image["OwnerId"] == "136693071363"


# --- launch_template_versions -----------------------------------------------------------------


def test_launch_template_data_keeps_out_the_template_tags(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    name = unique("lt")
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": tag_list(TAGS)}],
    )
    [version] = ec2.describe_launch_template_versions(LaunchTemplateName=name)[
        "LaunchTemplateVersions"
    ]
    assert version["LaunchTemplateData"] == {"InstanceType": "t3.micro"}
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
    assert {t["Key"]: t["Value"] for t in template["Tags"]} == TAGS


def test_launch_template_versions_can_be_deleted(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    name = unique("lt")
    ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.micro"}
    )
    for size in ("small", "large"):
        ec2.create_launch_template_version(
            LaunchTemplateName=name, LaunchTemplateData={"InstanceType": f"t3.{size}"}
        )
    reply = ec2.delete_launch_template_versions(LaunchTemplateName=name, Versions=["2", "1", "9"])
    assert [v["VersionNumber"] for v in reply["SuccessfullyDeletedLaunchTemplateVersions"]] == [2]
    failed = {
        v["VersionNumber"]: v["ResponseError"]["Code"]
        for v in reply["UnsuccessfullyDeletedLaunchTemplateVersions"]
    }
    assert failed == {1: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    versions = ec2.describe_launch_template_versions(LaunchTemplateName=name)
    assert [v["VersionNumber"] for v in versions["LaunchTemplateVersions"]] == [1, 3]
    ec2.create_launch_template_version(
        LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.xlarge"}
    )
    [latest] = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["$Latest"])[
        "LaunchTemplateVersions"
    ]
    assert latest["VersionNumber"] == 4, "version numbers are never reused"
    with pytest.raises(ClientError):
        ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["2"])
    ec2.delete_launch_template(LaunchTemplateName=name)


LAUNCH_TEMPLATE = """
- name: Launch template with tags
  hosts: localhost
  gather_facts: false
  tasks:
    - name: template
      amazon.aws.ec2_launch_template:
        name: "{{ name }}"
        instance_type: "{{ instance_type }}"
        metadata_options: {http_tokens: required, http_put_response_hop_limit: 1}
        tags: "{{ tags }}"
        state: "{{ state }}"
"""


@pytest.mark.slow
def test_ec2_launch_template_converges_and_deletes(emulator: Any, tmp_path: Path) -> None:
    extra = {"name": unique("lt"), "tags": TAGS, "instance_type": "t3.micro", "state": "present"}
    assert_converges(emulator, tmp_path, LAUNCH_TEMPLATE, extra)
    ec2 = emulator.client("ec2")
    versions = ec2.describe_launch_template_versions(LaunchTemplateName=extra["name"])
    assert len(versions["LaunchTemplateVersions"]) == 1, "a re-run added a version"
    changed = run_playbook(
        emulator, tmp_path, LAUNCH_TEMPLATE, {**extra, "instance_type": "t3.small"}
    )
    assert changed == {"template": True}
    assert run_playbook(emulator, tmp_path, LAUNCH_TEMPLATE, {**extra, "state": "absent"}) == {
        "template": True
    }
    templates = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [extra["name"]]}]
    )["LaunchTemplates"]
    assert templates == []


# --- volume_defaults --------------------------------------------------------------------------


def test_volumes_report_multi_attach_and_snapshot(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    region = ec2.meta.region_name
    volume_id = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    [volume] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert volume["MultiAttachEnabled"] is False
    assert volume["SnapshotId"] == ""
    ec2.delete_volume(VolumeId=volume_id)


VOLUME = """
- name: Encrypted volume
  hosts: localhost
  gather_facts: false
  tasks:
    - name: volume
      amazon.aws.ec2_vol:
        name: "{{ name }}"
        zone: "{{ zone }}"
        volume_size: 1
        volume_type: gp3
        encrypted: true
        tags: "{{ tags }}"
"""

VOLUME_INFO = """
- name: Volume info
  hosts: localhost
  gather_facts: false
  tasks:
    - name: info
      amazon.aws.ec2_vol_info:
        filters:
          tag:Name: "{{ name }}"
      register: found
    - name: check
      ansible.builtin.assert:
        that: found.volumes | length == 1 and found.volumes[0].snapshot_id == ''
"""


@pytest.mark.slow
def test_ec2_vol_and_ec2_vol_info_work(emulator: Any, tmp_path: Path) -> None:
    region = emulator.client("ec2").meta.region_name
    extra = {"name": unique("vol"), "zone": f"{region}a", "tags": TAGS}
    # First and second run only: under --check amazon.aws.ec2_vol reports a change whenever
    # `tags` is given (its ensure_tags returns changed=True in check mode: a module bug).
    assert run_playbook(emulator, tmp_path, VOLUME, extra) == {"volume": True}
    assert run_playbook(emulator, tmp_path, VOLUME, extra) == {"volume": False}
    assert run_playbook(emulator, tmp_path, VOLUME_INFO, {"name": extra["name"]}) == {
        "info": False,
        "check": False,
    }


# --- autoscaling_tag_order --------------------------------------------------------------------


def test_autoscaling_group_tags_are_sorted_by_key(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    autoscaling = emulator.client("autoscaling")
    name = unique("asg")
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
    )
    tags = [
        {"Key": key, "Value": "v", "PropagateAtLaunch": True, "ResourceId": name}
        for key in ("stack", "Name", "env", "a")
    ]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{ec2.meta.region_name}a"],
        Tags=tags,
    )
    autoscaling.create_or_update_tags(
        Tags=[{**tags[0], "Key": "B", "ResourceType": "auto-scaling-group"}]
    )
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    assert [t["Key"] for t in group["Tags"]] == ["B", "Name", "a", "env", "stack"]
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    ec2.delete_launch_template(LaunchTemplateName=name)


def test_s3_logging_target_policy_may_have_a_wildcard_principal(emulator: Any) -> None:
    s3 = emulator.client("s3", "eu-west-1")
    where = {"CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    target, source = unique("logs"), unique("data")
    s3.create_bucket(Bucket=target, **where)
    s3.create_bucket(Bucket=source, **where)
    arn = f"arn:aws:s3:::{target}"
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    delivery = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": f"{arn}/*",
    }
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "data/"}}

    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Statement": [tls_only]}))
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    assert error_code(refused) == "InvalidTargetBucketForLogging"

    policy = {"Version": "2012-10-17", "Statement": [tls_only, delivery]}
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps(policy))
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"] == status["LoggingEnabled"]


def test_s3_replication_rules_read_back_as_put(emulator: Any) -> None:
    s3 = emulator.client("s3", "us-east-1")
    source, replica = unique("source"), unique("replica")
    for bucket in (source, replica):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "ID": "to-standby",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": "media/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {
            "Bucket": f"arn:aws:s3:::{replica}",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:us-west-2:1:key/k"},
        },
    }
    role = "arn:aws:iam::123456789012:role/replication"
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule]}
    )
    (got,) = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    assert got == rule

    plain = {k: v for k, v in rule.items() if k not in ("DeleteMarkerReplication", "Filter")}
    plain.pop("SourceSelectionCriteria")
    s3.put_bucket_replication(
        Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [plain]}
    )
    (got,) = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    assert got["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert got["Filter"] == {"Prefix": ""}
    assert "SourceSelectionCriteria" not in got


def test_policy_statement_with_unmet_condition_does_not_apply(emulator: Any) -> None:
    s3 = emulator.client("s3", "us-east-1")
    bucket = unique("tls-only")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [tls_only]}))
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

    deny_all = {k: v for k, v in tls_only.items() if k != "Condition"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [deny_all]}))
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"v")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


# --- elb_classic_not_found -------------------------------------------------------------------


def make_classic(emulator: Any, name: str) -> tuple[Any, str]:
    ec2 = emulator.client("ec2")
    subnet_id = make_subnet(ec2, make_vpc(ec2, "10.78.0.0/16"), "10.78.1.0/24")
    elb = emulator.client("elb")
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[
            {
                "Protocol": "TCP",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "TCP",
                "InstancePort": 8443,
            },
            {
                "Protocol": "HTTP",
                "LoadBalancerPort": 80,
                "InstanceProtocol": "TCP",
                "InstancePort": 80,
            },
        ],
        Subnets=[subnet_id],
    )
    return elb, subnet_id


def test_elb_classic_unknown_name_is_not_found(emulator: Any) -> None:
    elb = emulator.client("elb")
    for call in (
        elb.describe_load_balancer_attributes,
        elb.describe_load_balancer_policies,
    ):
        with pytest.raises(ClientError) as unknown:
            call(LoadBalancerName=unique("nope"))
        assert error_code(unknown) == "LoadBalancerNotFound"
    elb.delete_load_balancer(LoadBalancerName=unique("nope"))  # silent, as on AWS


def test_elb_classic_new_balancer_description(emulator: Any) -> None:
    name = unique("clb")
    elb, subnet_id = make_classic(emulator, name)
    zone = emulator.client("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    (desc,) = elb.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"]
    assert desc["HealthCheck"] == {
        "Target": "TCP:8443",
        "Interval": 30,
        "Timeout": 5,
        "UnhealthyThreshold": 2,
        "HealthyThreshold": 10,
    }
    assert desc["AvailabilityZones"] == [zone["AvailabilityZone"]]
    assert desc["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert desc["CanonicalHostedZoneNameID"] == "Z35SXDOTRQ7X7K"
    protocols = {
        d["Listener"]["LoadBalancerPort"]: d["Listener"]["InstanceProtocol"]
        for d in desc["ListenerDescriptions"]
    }
    assert protocols == {443: "TCP", 80: "TCP"}
    for _ in range(2):
        elb.modify_load_balancer_attributes(
            LoadBalancerName=name,
            LoadBalancerAttributes={"CrossZoneLoadBalancing": {"Enabled": True}},
        )
    attributes = elb.describe_load_balancer_attributes(LoadBalancerName=name)
    extra = attributes["LoadBalancerAttributes"]["AdditionalAttributes"]
    assert [a["Key"] for a in extra] == ["elb.http.desyncmitigationmode"]


CLASSIC_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: classic
      amazon.aws.elb_classic_lb:
        name: "{{ name }}"
        region: us-east-1
        subnets: ["{{ subnet }}"]
        scheme: internet-facing
        listeners:
          - {protocol: tcp, load_balancer_port: 443, instance_protocol: tcp, instance_port: 8443}
        health_check: {ping_protocol: http, ping_port: 80, ping_path: /health,
                       response_timeout: 5, interval: 30, unhealthy_threshold: 2,
                       healthy_threshold: 3}
        cross_az_load_balancing: true
        connection_draining_timeout: 300
        tags: {stack: emulator-test}
        state: present
"""


def test_elb_classic_lb_converges(emulator: Any, tmp_path: Path) -> None:
    ec2 = emulator.client("ec2")
    subnet_id = make_subnet(ec2, make_vpc(ec2, "10.79.0.0/16"), "10.79.1.0/24")
    assert_converges(
        emulator, tmp_path, CLASSIC_PLAYBOOK, {"name": unique("clb"), "subnet": subnet_id}
    )


# --- acm_imported_chain ----------------------------------------------------------------------


def self_signed(common_name: str) -> tuple[str, str]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_acm_imported_chain_is_what_was_imported(emulator: Any) -> None:
    acm = emulator.client("acm")
    cert, key = self_signed("patch-test.example")
    alone = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    assert acm.get_certificate(CertificateArn=alone)["CertificateChain"].strip() == cert.strip()
    chain, _ = self_signed("ca.patch-test.example")
    chained = acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=chain)
    got = acm.get_certificate(CertificateArn=chained["CertificateArn"])["CertificateChain"]
    assert got.strip() == chain.strip()


ACM_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: import
      community.aws.acm_certificate:
        name_tag: "{{ name }}"
        certificate: "{{ cert }}"
        private_key: "{{ key }}"
        tags: {stack: emulator-test}
        region: us-east-1
        state: present
      no_log: true
"""


def test_acm_certificate_import_converges(emulator: Any, tmp_path: Path) -> None:
    cert, key = self_signed("converge.example")
    assert_converges(
        emulator, tmp_path, ACM_PLAYBOOK, {"name": unique("cert"), "cert": cert, "key": key}
    )


# --- elbv2_default_attributes ----------------------------------------------------------------


def test_alb_default_attributes_and_zone(emulator: Any) -> None:
    ec2 = emulator.client("ec2", "eu-west-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.80.{i}.0/24", AvailabilityZone=f"eu-west-1{az}"
        )["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    elbv2 = emulator.client("elbv2", "eu-west-1")
    lb = elbv2.create_load_balancer(Name=unique("alb"), Subnets=subnets)["LoadBalancers"][0]
    assert lb["CanonicalHostedZoneId"] == "Z32O12XQLNTSW2"
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Attributes"
        ]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "false"
    assert attributes["access_logs.s3.enabled"] == "false"


# --- sqs_policy_kept --------------------------------------------------------------------------


def test_sqs_set_attributes_keeps_the_policy(emulator: Any) -> None:
    sqs = emulator.client("sqs")
    name = unique("queue")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Deny"}]})
    url = sqs.create_queue(QueueName=name, Attributes={"Policy": policy})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "61"})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "61"
    assert json.loads(attributes["Policy"]) == json.loads(policy)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert not attributes.get("Policy")
    sqs.delete_queue(QueueUrl=url)


# --- dynamodb_table_id, dynamodb_table_updates, cognito_user_pool_update ---------------------


def dynamodb_table(ddb: Any, name: str, **extra: Any) -> dict[str, Any]:
    table: dict[str, Any] = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )["TableDescription"]
    return table


def test_dynamodb_tables_have_an_id_and_their_key_arn(emulator: Any) -> None:
    kms = emulator.client("kms", "eu-west-1")
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/{unique('ddb')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ddb = emulator.client("dynamodb", "eu-west-1")
    name = unique("table")
    sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": alias}
    created = dynamodb_table(ddb, name, SSESpecification=sse)
    described = ddb.describe_table(TableName=name)["Table"]
    assert str(uuid.UUID(created["TableId"])) == created["TableId"] == described["TableId"]
    assert described["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    assert ddb.delete_table(TableName=name)["TableDescription"]["TableId"] == created["TableId"]


COMMUNITY_DYNAMODB = """
- name: community.aws.dynamodb_table against the emulator
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Table
      community.aws.dynamodb_table:
        name: "{{ name }}"
        region: eu-west-1
        hash_key_name: pk
        hash_key_type: STRING
        billing_mode: PAY_PER_REQUEST
        tags: {stack: emulator-test}
"""


def test_community_dynamodb_table_converges(emulator: Any, tmp_path: Path) -> None:
    assert_converges(emulator, tmp_path, COMMUNITY_DYNAMODB, {"name": unique("community")})


def test_dynamodb_update_table_sse_streams_and_tags(emulator: Any) -> None:
    kms = emulator.client("kms", "eu-west-1")
    first, second = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    ddb = emulator.client("dynamodb", "eu-west-1")
    name = unique("table")
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    created = dynamodb_table(
        ddb,
        name,
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": first},
        StreamSpecification=stream,
        Tags=tag_list({"stack": "a", "env": "test"}),
    )
    sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": second}
    ddb.update_table(TableName=name, SSESpecification=sse)
    assert (
        ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == second
    )
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    ddb.update_table(TableName=name, StreamSpecification=stream)  # enabled again, new stream
    with pytest.raises(ClientError) as error:  # but not while it is enabled
        ddb.update_table(TableName=name, StreamSpecification=stream)
    assert error_code(error) == "ResourceInUseException"
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == stream
    assert table["LatestStreamArn"] != created["LatestStreamArn"]
    ddb.tag_resource(ResourceArn=table["TableArn"], Tags=tag_list({"stack": "b"}))
    tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "test"), ("stack", "b")]
    ddb.delete_table(TableName=name)


def test_cognito_update_user_pool_keeps_creation_only_settings(emulator: Any) -> None:
    idp = emulator.client("cognito-idp", "eu-west-1")
    pool_id = idp.create_user_pool(
        PoolName=unique("pool"), UsernameAttributes=["email"], UserPoolTags={"stack": "a"}
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    idp.update_user_pool(UserPoolId=pool_id, UserPoolTags={"stack": "a"}, MfaConfiguration="ON")
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["MfaConfiguration"] == "ON"
    assert idp.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "ON"
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OFF")
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"] == "OFF"
    idp.delete_user_pool(UserPoolId=pool_id)


def test_cognito_deletion_protection_and_client_updates(emulator: Any) -> None:
    idp = emulator.client("cognito-idp", "eu-west-1")
    pool_id = idp.create_user_pool(PoolName=unique("pool"), DeletionProtection="ACTIVE")[
        "UserPool"
    ]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        CallbackURLs=["https://app.example.org/cb"],
        AccessTokenValidity=30,
    )["UserPoolClient"]["ClientId"]
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, IdTokenValidity=20)
    client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert client["ClientName"] == "web" and client["IdTokenValidity"] == 20
    assert "CallbackURLs" not in client and "AccessTokenValidity" not in client
    with pytest.raises(ClientError) as error:
        idp.delete_user_pool(UserPoolId=pool_id)
    assert error_code(error) == "InvalidParameterException"
    assert "deletion protection" in str(error.value)
    idp.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    idp.delete_user_pool(UserPoolId=pool_id)


# --- apigateway_* (estate.aws.rest_apis) -----------------------------------------------------


def _rest_api_with_method(apigw: Any) -> tuple[str, str]:
    """A REST API with GET /items/{id} (a mock integration); (api id, id of /items)."""
    api = apigw.create_rest_api(name=unique("api"), tags={"stack": "emulator-test"})
    items = apigw.create_resource(
        restApiId=api["id"], parentId=api["rootResourceId"], pathPart="items"
    )
    item = apigw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
    apigw.put_method(
        restApiId=api["id"], resourceId=item["id"], httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(restApiId=api["id"], resourceId=item["id"], httpMethod="GET", type="MOCK")
    return api["id"], items["id"]


def test_apigateway_tags_on_rest_apis_and_domains(emulator: Any) -> None:
    apigw = emulator.client("apigateway", "eu-west-1")
    api_id, _ = _rest_api_with_method(apigw)
    arn = f"arn:aws:apigateway:eu-west-1::/restapis/{api_id}"
    apigw.tag_resource(resourceArn=arn, tags={"tier": "serverless"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {
        "stack": "emulator-test",
        "tier": "serverless",
    }
    apigw.untag_resource(resourceArn=arn, tagKeys=["stack"])
    assert apigw.get_rest_api(restApiId=api_id)["tags"] == {"tier": "serverless"}
    name = f"{unique('api')}.emulator-test.example"
    apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn="arn:aws:acm:eu-west-1:123456789012:certificate/x",
        endpointConfiguration={"types": ["REGIONAL"]},
        tags={"stack": "emulator-test"},
    )
    domain_arn = f"arn:aws:apigateway:eu-west-1::/domainnames/{name}"
    apigw.tag_resource(resourceArn=domain_arn, tags={"api": "x"})
    assert apigw.get_tags(resourceArn=domain_arn)["tags"] == {"stack": "emulator-test", "api": "x"}
    with pytest.raises(ClientError) as error:
        apigw.get_tags(resourceArn="arn:aws:apigateway:eu-west-1::/domainnames/nowhere.example")
    assert error_code(error) == "NotFoundException"
    with pytest.raises(ClientError) as error:
        apigw.get_tags(resourceArn="arn:aws:apigateway:eu-west-1::/restapis/nothere")
    assert error_code(error) == "NotFoundException"
    apigw.delete_domain_name(domainName=name)
    apigw.delete_rest_api(restApiId=api_id)


def test_apigateway_authorizer_pools_are_updated(emulator: Any) -> None:
    apigw = emulator.client("apigateway", "eu-west-1")
    api_id, _ = _rest_api_with_method(apigw)
    pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_"
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="users",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool + "A"],
        identitySource="method.request.header.Authorization",
    )["id"]
    updated = apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=authorizer,
        patchOperations=[
            {"op": "add", "path": "/providerARNs", "value": pool + "B"},
            {"op": "remove", "path": "/providerARNs", "value": pool + "A"},
            {"op": "replace", "path": "/name", "value": "people"},
        ],
    )
    assert updated["providerARNs"] == [pool + "B"] and updated["name"] == "people"
    with pytest.raises(ClientError) as error:
        apigw.update_authorizer(
            restApiId=api_id,
            authorizerId=authorizer,
            patchOperations=[{"op": "remove", "path": "/providerARNs", "value": pool + "B"}],
        )
    assert error_code(error) == "BadRequestException"
    apigw.delete_rest_api(restApiId=api_id)


def test_apigateway_domain_names(emulator: Any) -> None:
    apigw = emulator.client("apigateway", "eu-west-1")
    api_id, _ = _rest_api_with_method(apigw)
    deployment = apigw.create_deployment(restApiId=api_id)["id"]
    apigw.create_stage(restApiId=api_id, stageName="v1", deploymentId=deployment)
    name = f"{unique('api')}.emulator-test.example"
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/"
    created = apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn=certificate + "one",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
    )
    assert created["regionalHostedZoneId"] == "ZLY8HYME6SFDD"
    assert "distributionDomainName" not in created
    assert apigw.get_base_path_mappings(domainName=name)["items"] == []
    updated = apigw.update_domain_name(
        domainName=name,
        patchOperations=[
            {"op": "replace", "path": "/regionalCertificateArn", "value": certificate + "two"},
            {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"},
        ],
    )
    assert updated["regionalCertificateArn"] == certificate + "two"
    assert apigw.get_domain_name(domainName=name)["securityPolicy"] == "TLS_1_0"
    with pytest.raises(ClientError) as error:
        apigw.update_domain_name(
            domainName=name, patchOperations=[{"op": "add", "path": "/domainName", "value": "x"}]
        )
    assert error_code(error) == "BadRequestException"
    apigw.create_base_path_mapping(domainName=name, restApiId=api_id, stage="v1")
    apigw.delete_domain_name(domainName=name)
    apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn=certificate + "one",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    assert apigw.get_base_path_mappings(domainName=name)["items"] == []
    apigw.delete_domain_name(domainName=name)
    apigw.delete_rest_api(restApiId=api_id)


def test_apigateway_resource_delete_takes_its_subtree(emulator: Any) -> None:
    apigw = emulator.client("apigateway", "eu-west-1")
    api_id, items = _rest_api_with_method(apigw)
    apigw.delete_resource(restApiId=api_id, resourceId=items)
    assert [r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]] == ["/"]
    apigw.delete_rest_api(restApiId=api_id)


def test_apigateway_deployment_keeps_the_stage(emulator: Any) -> None:
    apigw = emulator.client("apigateway", "eu-west-1")
    api_id, _ = _rest_api_with_method(apigw)
    first = apigw.create_deployment(restApiId=api_id)["id"]
    apigw.create_stage(
        restApiId=api_id, stageName="v1", deploymentId=first, tags={"stack": "emulator-test"}
    )
    apigw.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "5"}],
    )
    second = apigw.create_deployment(restApiId=api_id, stageName="v1")["id"]
    stage = apigw.get_stage(restApiId=api_id, stageName="v1")
    assert stage["deploymentId"] == second != first
    assert stage["tags"] == {"stack": "emulator-test"}
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 5.0
    apigw.create_deployment(restApiId=api_id, stageName="v2")
    assert {s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]} == {"v1", "v2"}
    apigw.delete_rest_api(restApiId=api_id)


# --- logs_kms_key_association -----------------------------------------------------------------


def test_logs_kms_key_can_be_associated_and_disassociated(emulator: Any) -> None:
    logs = emulator.client("logs", "eu-west-1")
    key_arn = emulator.client("kms", "eu-west-1").create_key()["KeyMetadata"]["Arn"]
    name = f"/estate/{unique('patch')}/app"
    logs.create_log_group(logGroupName=name, tags=TAGS)

    def described() -> dict[str, Any]:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return dict(groups[0])

    logs.associate_kms_key(logGroupName=name, kmsKeyId=key_arn)
    assert described()["kmsKeyId"] == key_arn
    logs.disassociate_kms_key(logGroupName=name)
    assert "kmsKeyId" not in described()
    with pytest.raises(ClientError) as missing:
        logs.associate_kms_key(logGroupName=f"{name}-missing", kmsKeyId=key_arn)
    assert error_code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as missing:
        logs.disassociate_kms_key(logGroupName=f"{name}-missing")
    assert error_code(missing) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as alias:
        logs.associate_kms_key(logGroupName=name, kmsKeyId="alias/estate")
    assert error_code(alias) == "InvalidParameterException"
    logs.delete_log_group(logGroupName=name)


# --- cloudfront_distribution_fields, cloudfront_distribution_versions,
# --- cloudfront_origin_access_controls ------------------------------------------------------


def cloudfront_oac(cloudfront: Any, name: str) -> tuple[str, str]:
    created = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": name,
            "Description": "patch test",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )
    return created["OriginAccessControl"]["Id"], created["ETag"]


def cloudfront_config(oac_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "CallerReference": unique("ref"),
        "Comment": "patch test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "patch-test.s3.eu-west-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac_id,
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        **extra,
    }


def test_cloudfront_origins_keep_their_access_control_and_certificate(emulator: Any) -> None:
    cloudfront = emulator.client("cloudfront", "us-east-1")
    oac_id, _ = cloudfront_oac(cloudfront, unique("oac"))
    default = {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"}
    created = cloudfront.create_distribution(
        DistributionConfig=cloudfront_config(oac_id, ViewerCertificate=default)
    )["Distribution"]
    config = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    (origin,) = config["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == oac_id
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1"
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
    acm = {"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only"}
    created = cloudfront.create_distribution(
        DistributionConfig=cloudfront_config(oac_id, ViewerCertificate=acm)
    )["Distribution"]
    certificate = created["DistributionConfig"]["ViewerCertificate"]
    assert certificate["CloudFrontDefaultCertificate"] is False
    assert (certificate["CertificateSource"], certificate["Certificate"]) == ("acm", arn)


def test_cloudfront_distribution_versions(emulator: Any) -> None:
    cloudfront = emulator.client("cloudfront", "us-east-1")
    oac_id, _ = cloudfront_oac(cloudfront, unique("oac"))
    created = cloudfront.create_distribution(DistributionConfig=cloudfront_config(oac_id))
    dist_id, etag = created["Distribution"]["Id"], created["ETag"]
    config = cloudfront.get_distribution_config(Id=dist_id)["DistributionConfig"]
    with pytest.raises(ClientError) as stale:
        cloudfront.update_distribution(Id=dist_id, IfMatch="STALE", DistributionConfig=config)
    assert error_code(stale) == "PreconditionFailed"
    with pytest.raises(ClientError) as enabled:
        cloudfront.delete_distribution(Id=dist_id, IfMatch=etag)
    assert error_code(enabled) == "DistributionNotDisabled"
    updated = cloudfront.update_distribution(
        Id=dist_id, IfMatch=etag, DistributionConfig={**config, "Enabled": False}
    )
    assert updated["ETag"] != etag
    assert updated["Distribution"]["Status"] == "InProgress"
    with pytest.raises(ClientError) as old:
        cloudfront.delete_distribution(Id=dist_id, IfMatch=etag)
    assert error_code(old) == "PreconditionFailed"
    latest = cloudfront.get_distribution(Id=dist_id)
    assert latest["Distribution"]["Status"] == "Deployed" and latest["ETag"] == updated["ETag"]
    cloudfront.delete_distribution(Id=dist_id, IfMatch=latest["ETag"])
    with pytest.raises(ClientError) as gone:
        cloudfront.get_distribution(Id=dist_id)
    assert error_code(gone) == "NoSuchDistribution"


def test_cloudfront_origin_access_controls(emulator: Any) -> None:
    cloudfront = emulator.client("cloudfront", "us-east-1")
    name = unique("oac")
    oac_id, etag = cloudfront_oac(cloudfront, name)
    with pytest.raises(ClientError) as taken:
        cloudfront_oac(cloudfront, name)
    assert error_code(taken) == "OriginAccessControlAlreadyExists"
    current = cloudfront.get_origin_access_control(Id=oac_id)["OriginAccessControl"]
    config = {**current["OriginAccessControlConfig"], "SigningBehavior": "no-override"}
    with pytest.raises(ClientError) as stale:
        cloudfront.update_origin_access_control(
            Id=oac_id, IfMatch="STALE", OriginAccessControlConfig=config
        )
    assert error_code(stale) == "PreconditionFailed"
    updated = cloudfront.update_origin_access_control(
        Id=oac_id, IfMatch=etag, OriginAccessControlConfig=config
    )
    assert updated["ETag"] != etag
    created = cloudfront.create_distribution(DistributionConfig=cloudfront_config(oac_id))
    with pytest.raises(ClientError) as in_use:
        cloudfront.delete_origin_access_control(Id=oac_id, IfMatch=updated["ETag"])
    assert error_code(in_use) == "OriginAccessControlInUse"
    with pytest.raises(ClientError) as unknown:
        cloudfront.delete_origin_access_control(Id="E0NOSUCHCONTROL", IfMatch="x")
    assert error_code(unknown) == "NoSuchOriginAccessControl"
    dist_id = created["Distribution"]["Id"]
    config = cloudfront.get_distribution_config(Id=dist_id)
    disabled = cloudfront.update_distribution(
        Id=dist_id,
        IfMatch=config["ETag"],
        DistributionConfig={**config["DistributionConfig"], "Enabled": False},
    )
    latest = cloudfront.get_distribution(Id=dist_id)
    assert latest["ETag"] == disabled["ETag"]
    cloudfront.delete_distribution(Id=dist_id, IfMatch=latest["ETag"])
    with pytest.raises(ClientError) as no_version:
        cloudfront.delete_origin_access_control(Id=oac_id, IfMatch="")
    assert error_code(no_version) in ("InvalidIfMatchVersion", "PreconditionFailed")
    cloudfront.delete_origin_access_control(Id=oac_id, IfMatch=updated["ETag"])
    names = [
        o["Name"]
        for o in cloudfront.list_origin_access_controls()["OriginAccessControlList"]["Items"] or []
    ]
    assert name not in names


def test_interfaces_made_by_run_instances_go_with_the_instance(emulator: Any) -> None:
    ec2 = emulator.client("ec2")
    region = ec2.meta.region_name
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    own = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    image = ec2.describe_images(Owners=["136693071363"])["Images"][0]["ImageId"]
    implicit = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)
    explicit = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet},
            {"DeviceIndex": 1, "NetworkInterfaceId": own},
        ],
    )
    instances = [i["InstanceId"] for r in (implicit, explicit) for i in r["Instances"]]

    def interfaces() -> set[str]:
        found = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
        return {eni["NetworkInterfaceId"] for eni in found["NetworkInterfaces"]}

    assert len(interfaces()) == 3, f"{region}: two made by RunInstances, one attached by ID"
    ec2.terminate_instances(InstanceIds=instances)
    assert interfaces() == {own}, "only the interface attached by its ID outlives its instance"
    ec2.delete_network_interface(NetworkInterfaceId=own)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
