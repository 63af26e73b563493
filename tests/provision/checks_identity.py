"""Identity tier read-back: every IAM role, policy, group and instance profile of a stack, with
its trust, attachments, conditions and the scope of every data grant, against the stack data."""

from __future__ import annotations

import re
from typing import Any

from conftest import Emulator
from support.aws_state import tags_of
from support.stack import stack_vars

IDENTITY_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "stack_admin_cidrs",
    "stack_bucket_prefix",
    "aws_identity_roles",
    "aws_identity_policies",
    "aws_identity_groups",
)
# Actions that read or write data: never allowed on "*".
DATA_ACTION = re.compile(
    r"^(s3:|secretsmanager:(GetSecretValue|PutSecretValue)|sqs:(Send|Receive|Delete)Message"
    r"|kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)|dynamodb:(Get|Put|Update|Delete)Item"
    r"|dynamodb:(Query|Scan)|\*$)"
)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_path(data: dict[str, Any]) -> str:
    return f"/{data['stack_tags']['managed-by']}/{data['stack_name']}/"


def assert_scoped(document: dict[str, Any], data: dict[str, Any], where: str) -> None:
    """No Allow of a data action on "*"; every S3 grant is on the stack's own buckets."""
    prefix = data["stack_bucket_prefix"]
    for statement in as_list(document["Statement"]):
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        if any(DATA_ACTION.match(a) for a in actions):
            assert "*" not in resources, f"{where}: data actions {actions} on '*'"
        for resource in resources:
            if resource.startswith("arn:aws:s3:::"):
                assert resource.startswith(f"arn:aws:s3:::{prefix}-"), (
                    f"{where}: S3 grant outside the stack's buckets: {resource}"
                )
            if resource.startswith("arn:aws:kms:"):
                assert ":key/" in resource and not resource.endswith("/*"), (
                    f"{where}: KMS grant not on one key"
                )


def groups_under(iam: Any, path: str) -> list[dict[str, Any]]:
    """Groups under PATH (moto 5.2.5 ignores ListGroups' PathPrefix: filter here too)."""
    return [g for g in iam.list_groups(PathPrefix=path)["Groups"] if g["Path"].startswith(path)]


def check_identity(emulator: Emulator, stack: str) -> None:
    data = stack_vars(stack, IDENTITY_VARS)
    name, path, tags = data["stack_name"], iam_path(data), data["stack_tags"]
    iam = emulator.client("iam", data["stack_region"])
    roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix=path)["Roles"]}
    wanted = {f"{name}-{r['name']}": r for r in data["aws_identity_roles"] or []}
    assert set(wanted) <= set(roles), f"missing roles: {set(wanted) - set(roles)}"
    # Only this tier's roles and the storage tier's replication role live under the path.
    assert set(roles) - set(wanted) <= {f"{name}-s3-replication"}, set(roles) - set(wanted)
    profiles = {
        p["InstanceProfileName"]: p
        for p in iam.list_instance_profiles(PathPrefix=path)["InstanceProfiles"]
    }
    policies = {
        p["PolicyName"]: p for p in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    }
    assert set(policies) == {f"{name}-{p['name']}" for p in data["aws_identity_policies"] or []}
    for policy_name, policy in policies.items():
        assert tags.items() <= tags_of(iam.list_policy_tags(PolicyArn=policy["Arn"])).items()
        document = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )["PolicyVersion"]["Document"]
        assert_scoped(document, data, policy_name)
        versions = iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]
        assert len(versions) == 1, f"{policy_name}: old versions kept"

    for role_name, spec in wanted.items():
        role = iam.get_role(RoleName=role_name)["Role"]
        assert tags.items() <= tags_of(role).items(), f"{role_name} lacks the stack's tags"
        trust = as_list(role["AssumeRolePolicyDocument"]["Statement"])
        services = sorted(s for st in trust for s in as_list(st["Principal"]["Service"]))
        assert services == sorted(spec.get("services") or ["ec2.amazonaws.com"]), role_name
        assert all(st["Action"] == "sts:AssumeRole" for st in trust)
        attached = {
            p["PolicyArn"]
            for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        }
        expected = {f"arn:aws:iam::aws:policy/{m}" for m in spec.get("managed_policies") or []}
        expected |= {policies[f"{name}-{p}"]["Arn"] for p in spec.get("policies") or []}
        assert attached == expected, f"{role_name}: attached {attached}, wanted {expected}"
        inline = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        if spec.get("statements"):
            assert inline == ["access"], role_name
            document = iam.get_role_policy(RoleName=role_name, PolicyName="access")[
                "PolicyDocument"
            ]
            assert_scoped(document, data, role_name)
            sids = {s.get("Sid") for s in as_list(document["Statement"])}
            assert {s["sid"] for s in spec["statements"] if s.get("sid")} <= sids
        else:
            assert inline == [], role_name
        ec2 = "ec2.amazonaws.com" in (spec.get("services") or ["ec2.amazonaws.com"])
        if spec.get("instance_profile", ec2):
            profile = profiles[role_name]
            assert [r["RoleName"] for r in profile["Roles"]] == [role_name]
            # moto has no ListInstanceProfileTags; GetInstanceProfile returns the tags too.
            profile_tags = iam.get_instance_profile(InstanceProfileName=role_name)
            assert tags.items() <= tags_of(profile_tags["InstanceProfile"]).items()
        else:
            assert role_name not in profiles, f"{role_name} must have no instance profile"

    groups = {g["GroupName"] for g in groups_under(iam, path)}
    assert groups == {f"{name}-{g['name']}" for g in data["aws_identity_groups"] or []}
    for group in data["aws_identity_groups"] or []:
        group_name = f"{name}-{group['name']}"
        attached = {
            p["PolicyArn"]
            for p in iam.list_attached_group_policies(GroupName=group_name)["AttachedPolicies"]
        }
        assert attached == {policies[f"{name}-{p}"]["Arn"] for p in group.get("policies") or []}
        assert iam.get_group(GroupName=group_name)["Users"] == [], "IAM users must not be made here"
    if stack == "mydigitalstructure":
        check_admin_conditions(iam, policies[f"{name}-admin-cli"], data)


def check_admin_conditions(iam: Any, policy: dict[str, Any], data: dict[str, Any]) -> None:
    """Every Allow of the admin/CLI policy needs MFA and an admin source address; two Denies
    refuse everything from elsewhere or without MFA (ibCom's AWS notes)."""
    document = iam.get_policy_version(
        PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    cidrs = sorted(data["stack_admin_cidrs"])
    statements = as_list(document["Statement"])
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows
    for statement in allows:
        condition = statement["Condition"]
        assert sorted(as_list(condition["IpAddress"]["aws:SourceIp"])) == cidrs, statement
        assert condition["Bool"]["aws:MultiFactorAuthPresent"] == "true", statement
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(
        sorted(as_list(s["Condition"].get("NotIpAddress", {}).get("aws:SourceIp", []))) == cidrs
        for s in denies
    ), "no deny outside the admin networks"
    assert any(
        s["Condition"].get("BoolIfExists", {}).get("aws:MultiFactorAuthPresent") == "false"
        for s in denies
    ), "no deny without MFA"


def identity_left(emulator: Emulator, stack: str) -> dict[str, set[str]]:
    """IAM resources left under the stack's path (for assert_gone)."""
    data = stack_vars(stack, IDENTITY_VARS)
    iam = emulator.client("iam", data["stack_region"])
    path = iam_path(data)
    # Filtered by path here as well: moto ignores PathPrefix on some IAM listings.
    return {
        "iam_path_role": {
            r["RoleName"] for r in iam.list_roles(PathPrefix=path)["Roles"] if r["Path"] == path
        },
        "instance_profile": {
            p["InstanceProfileName"]
            for p in iam.list_instance_profiles(PathPrefix=path)["InstanceProfiles"]
            if p["Path"] == path
        },
        "iam_policy": {
            p["PolicyName"]
            for p in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
            if p["Path"] == path
        },
        "iam_group": {g["GroupName"] for g in groups_under(iam, path)},
    }
