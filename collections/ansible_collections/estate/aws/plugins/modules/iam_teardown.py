#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_teardown
version_added: 0.2.0
short_description: Delete a stack's IAM roles, profiles, groups and policies under an IAM path
description:
  - Lists the instance profiles, roles, groups and customer-managed policies under O(path_prefix)
    (one listing per kind) and deletes them in dependency order - instance profiles (after
    removing their roles), roles (inline policies and attachments first), groups (members,
    inline policies and attachments first), then policies (detached from every entity, old
    versions first).
  - Roles and policies are deleted only when their tags hold every pair of O(match_tags); IAM
    groups cannot carry tags, so the path (derived from the stack's tags by the caller) is what
    selects them.
  - amazon.aws 10 has no listing of customer-managed policies or groups, so teardown by tags
    would otherwise need per-item lookups; this module does it in one process.
author:
  - aws-estates maintainers
options:
  path_prefix:
    description: IAM path the stack's resources live under, such as C(/ansible-estate/cubed/).
    type: str
    required: true
  match_tags:
    description: Tags a role or policy must carry to be deleted; must not be empty.
    type: dict
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the stack's IAM resources
  estate.aws.iam_teardown:
    path_prefix: /ansible-estate/cubed/
    match_tags: {stack: cubed, managed-by: ansible-estate}
"""

RETURN = r"""
deleted:
  description: Kind -> names deleted.
  returned: always
  type: dict
"""

from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.estate.aws.plugins.module_utils.ownership import owned_by, tag_dict


def paged(iam: Any, call: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [item for page in iam.get_paginator(call).paginate(**kwargs) for item in page[key]]


def teardown(
    module: AnsibleAWSModule, iam: Any, path: str, match: dict[str, Any]
) -> dict[str, list[str]]:
    deleted: dict[str, list[str]] = {
        "instance_profiles": [],
        "roles": [],
        "groups": [],
        "policies": [],
    }
    check = module.check_mode
    roles = [
        r
        for r in paged(iam, "list_roles", "Roles", PathPrefix=path)
        if r["Path"].startswith(path)
        and owned_by(tag_dict(iam.list_role_tags(RoleName=r["RoleName"])["Tags"]), match)
    ]
    role_names = {r["RoleName"] for r in roles}
    for profile in paged(iam, "list_instance_profiles", "InstanceProfiles", PathPrefix=path):
        # Filtered here too: moto 5.2.5 ignores ListInstanceProfiles' PathPrefix, and an empty
        # profile of another stack would otherwise pass the membership test below.
        if not profile["Path"].startswith(path):
            continue
        members = [r["RoleName"] for r in profile["Roles"]]
        if members and not set(members) <= role_names:
            continue  # holds a role of someone else: not ours to delete
        deleted["instance_profiles"].append(profile["InstanceProfileName"])
        if check:
            continue
        for role in members:
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=role
            )
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for role in sorted(role_names):
        deleted["roles"].append(role)
        if check:
            continue
        for profile in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=role
            )
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        for policy in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
        iam.delete_role(RoleName=role)
    for group in paged(iam, "list_groups", "Groups", PathPrefix=path):
        # Filtered here too: moto 5.2.5 ignores ListGroups' PathPrefix (AWS honours it), and a
        # group of another stack must never be deleted.
        if not group["Path"].startswith(path):
            continue
        name = group["GroupName"]
        deleted["groups"].append(name)
        if check:
            continue
        for user in iam.get_group(GroupName=name)["Users"]:
            iam.remove_user_from_group(GroupName=name, UserName=user["UserName"])
        for policy_name in iam.list_group_policies(GroupName=name)["PolicyNames"]:
            iam.delete_group_policy(GroupName=name, PolicyName=policy_name)
        for policy in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]:
            iam.detach_group_policy(GroupName=name, PolicyArn=policy["PolicyArn"])
        iam.delete_group(GroupName=name)
    for policy in paged(iam, "list_policies", "Policies", Scope="Local", PathPrefix=path):
        arn = policy["Arn"]
        if not policy["Path"].startswith(path) or not owned_by(
            tag_dict(iam.list_policy_tags(PolicyArn=arn)["Tags"]), match
        ):
            continue
        deleted["policies"].append(policy["PolicyName"])
        if check:
            continue
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        for role in entities["PolicyRoles"]:
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
        for group in entities["PolicyGroups"]:
            iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
        for user in entities["PolicyUsers"]:
            iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)
    return deleted


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            path_prefix=dict(type="str", required=True),
            match_tags=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    path, match = module.params["path_prefix"], module.params["match_tags"]
    if not match or not all(str(v) for v in match.values()):
        module.fail_json(
            msg="match_tags must hold non-empty tags: refusing to delete by an empty filter"
        )
    if not (path.startswith("/") and path.endswith("/") and len(path.strip("/")) > 0):
        module.fail_json(
            msg=f"path_prefix must be a non-root IAM path such as /estate/cubed/ (got {path})"
        )
    iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    try:
        deleted = teardown(module, iam, path, match)
    except (BotoCoreError, ClientError) as err:
        module.fail_json_aws(err, msg=f"tearing down IAM under {path}")
    module.exit_json(changed=any(deleted.values()), deleted=deleted)


if __name__ == "__main__":
    main()
