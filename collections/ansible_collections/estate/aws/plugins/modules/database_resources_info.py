#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: database_resources_info
version_added: 0.1.0
short_description: Find a stack's RDS instances, subnet and parameter groups and secrets by tags
description:
  - Lists, in one call of one process, the RDS DB instances, DB subnet groups, DB parameter groups
    and Secrets Manager secrets of a region that carry every tag of O(tags).
  - The teardown of the database tier finds what to delete with it (by tags, never by data).
  - Neither amazon.aws nor community.aws (10.x) has an info module for DB subnet groups or for
    Secrets Manager secrets, and M(amazon.aws.rds_instance_info) cannot filter on tags.
author:
  - aws-estates maintainers
options:
  tags:
    description:
      - Tags a resource must carry (all of them, with these values) to be returned.
      - Must not be empty.
    type: dict
    required: true
  include_planned_deletion:
    description:
      - Also return secrets scheduled for deletion.
    type: bool
    default: false
notes:
  - Supports check mode (read-only).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the stack's database resources
  estate.aws.database_resources_info:
    tags: {stack: akb, managed-by: ansible-estate}
    region: ap-southeast-2
  register: found
"""

RETURN = r"""
instances:
  description: DB instances carrying the tags.
  returned: always
  type: list
  elements: dict
  contains:
    identifier: {description: DB instance identifier, type: str}
    arn: {description: ARN, type: str}
    status: {description: DBInstanceStatus, type: str}
    deletion_protection: {description: DeletionProtection, type: bool}
subnet_groups:
  description: DB subnet groups carrying the tags (name, arn).
  returned: always
  type: list
  elements: dict
parameter_groups:
  description: DB parameter groups carrying the tags (name, arn, family).
  returned: always
  type: list
  elements: dict
secrets:
  description: Secrets carrying the tags (name, arn, deleted).
  returned: always
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.estate.aws.plugins.module_utils.ownership import owned_by, tag_dict

GONE_STATUSES = {"deleting", "deleted"}


def carries(tags: Mapping[str, str], wanted: Mapping[str, Any]) -> bool:
    """True when TAGS hold every key of WANTED with the same value."""
    return owned_by(tags, wanted)


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return paginator.paginate(**kwargs).build_full_result().get(key, [])


def _rds_tags(rds: Any, arn: str) -> dict[str, str]:
    return tag_dict(rds.list_tags_for_resource(ResourceName=arn)["TagList"])


def find(rds: Any, secrets: Any, wanted: Mapping[str, str], planned: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    instances = _paginate(rds, "describe_db_instances", "DBInstances")
    result["instances"] = [
        {
            "identifier": i["DBInstanceIdentifier"],
            "arn": i["DBInstanceArn"],
            "status": i.get("DBInstanceStatus", ""),
            "deletion_protection": bool(i.get("DeletionProtection", False)),
        }
        for i in instances
        if i.get("DBInstanceStatus") not in GONE_STATUSES
        and carries(tag_dict(i.get("TagList")) or _rds_tags(rds, i["DBInstanceArn"]), wanted)
    ]
    groups = _paginate(rds, "describe_db_subnet_groups", "DBSubnetGroups")
    result["subnet_groups"] = [
        {"name": g["DBSubnetGroupName"], "arn": g["DBSubnetGroupArn"]}
        for g in groups
        if carries(_rds_tags(rds, g["DBSubnetGroupArn"]), wanted)
    ]
    params = _paginate(rds, "describe_db_parameter_groups", "DBParameterGroups")
    result["parameter_groups"] = [
        {
            "name": p["DBParameterGroupName"],
            "arn": p["DBParameterGroupArn"],
            "family": p.get("DBParameterGroupFamily", ""),
        }
        for p in params
        if not p["DBParameterGroupName"].startswith("default.")
        and carries(_rds_tags(rds, p["DBParameterGroupArn"]), wanted)
    ]
    listing = _paginate(secrets, "list_secrets", "SecretList", IncludePlannedDeletion=planned)
    result["secrets"] = [
        {"name": s["Name"], "arn": s["ARN"], "deleted": "DeletedDate" in s}
        for s in listing
        if carries(tag_dict(s.get("Tags")), wanted) and (planned or "DeletedDate" not in s)
    ]
    return result


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "tags": {"type": "dict", "required": True},
            "include_planned_deletion": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    wanted = {str(k): str(v) for k, v in module.params["tags"].items()}
    if not wanted or not all(wanted.values()):
        module.fail_json(msg="tags must hold at least one tag, each with a non-empty value")
    retry = AWSRetry.jittered_backoff()
    rds = module.client("rds", retry_decorator=retry)
    secrets = module.client("secretsmanager", retry_decorator=retry)
    try:
        found = find(rds, secrets, wanted, module.params["include_planned_deletion"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not list the database resources")
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
