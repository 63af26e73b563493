"""estate.aws.database_resources_info: finds exactly the resources carrying every wanted tag
(its `find` function, called with boto3 clients of the shared emulator)."""

from __future__ import annotations

import uuid
from typing import Any

from support.source import load_plugin

INFO = load_plugin("modules/database_resources_info.py")


def test_carries() -> None:
    assert INFO.carries({"stack": "a", "managed-by": "x", "env": "p"}, {"stack": "a"})
    assert not INFO.carries({"stack": "ab"}, {"stack": "a"})
    assert not INFO.carries({}, {"stack": "a"})


def _make(rds: Any, secrets: Any, vpc_subnets: list[str], name: str, tags: dict[str, str]) -> None:
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily="mysql8.0", Description="t", Tags=tag_list
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription="t", SubnetIds=vpc_subnets, Tags=tag_list
    )
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        # pragma: allowlist nextline secret - the emulator's throwaway database
        MasterUserPassword="not-a-secret-123",
        DeletionProtection=True,
        Tags=tag_list,
    )
    secrets.create_secret(Name=f"{name}/db", SecretString="{}", Tags=tag_list)


def test_find_by_tags(emulator: Any) -> None:
    region = "eu-central-1"
    rds, secrets = emulator.client("rds", region), emulator.client("secretsmanager", region)
    ec2 = emulator.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    mine, other = f"mine-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}"
    _make(rds, secrets, subnets, mine, {"stack": mine, "managed-by": "pytest"})
    _make(rds, secrets, subnets, other, {"stack": other, "managed-by": "pytest"})

    found = INFO.find(rds, secrets, {"stack": mine, "managed-by": "pytest"}, False)

    assert [i["identifier"] for i in found["instances"]] == [mine]
    assert found["instances"][0]["deletion_protection"] is True
    assert [g["name"] for g in found["subnet_groups"]] == [mine]
    assert [g["name"] for g in found["parameter_groups"]] == [mine]
    assert [s["name"] for s in found["secrets"]] == [f"{mine}/db"]

    secrets.delete_secret(SecretId=f"{mine}/db", RecoveryWindowInDays=7)
    assert INFO.find(rds, secrets, {"stack": mine}, False)["secrets"] == []
    planned = INFO.find(rds, secrets, {"stack": mine}, True)["secrets"]
    assert [(s["name"], s["deleted"]) for s in planned] == [(f"{mine}/db", True)]
