#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
version_added: 0.2.0
short_description: Create, update or delete a CloudWatch dashboard
description:
  - Compares the dashboard's body (parsed JSON) with O(body) and puts it only when it differs;
    amazon.aws has no dashboard module.
  - CloudWatch dashboards carry no tags, so the dashboard is found by its name only; give it a
    name of the stack's own (the monitoring role uses the stack's name).
author:
  - aws-estates maintainers
options:
  name:
    description: Name of the dashboard.
    type: str
    required: true
  body:
    description: The dashboard body (C(widgets), ...), as a mapping.
    type: dict
    default: {}
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's dashboard
  estate.aws.cloudwatch_dashboard:
    name: cubed
    body:
      widgets:
        - {type: alarm, x: 0, y: 0, width: 24, height: 6, properties: {title: Alarms, alarms: []}}
"""

RETURN = r"""
dashboard_arn:
  description: ARN of the dashboard (when present).
  returned: when present and not in check mode
  type: str
"""

import json
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.estate.aws.plugins.module_utils.bulk import client_config
from botocore.exceptions import BotoCoreError, ClientError


def current_body(client: Any, name: str) -> tuple[dict[str, Any] | None, str | None]:
    """(parsed body, ARN) of the dashboard, or (None, None) when there is none."""
    try:
        found = client.get_dashboard(DashboardName=name)
    except is_boto3_error_code("ResourceNotFound"):
        return None, None
    return json.loads(found.get("DashboardBody") or "{}"), found.get("DashboardArn")


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "body": {"type": "dict", "default": {}},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    client = module.client("cloudwatch", config=client_config())
    name = module.params["name"]
    try:
        body, arn = current_body(client, name)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Unable to read the dashboard {name}")
    if module.params["state"] == "absent":
        if body is not None and not module.check_mode:
            try:
                client.delete_dashboards(DashboardNames=[name])
            except (BotoCoreError, ClientError) as e:
                module.fail_json_aws(e, msg=f"Unable to delete the dashboard {name}")
        result: dict[str, Any] = {"changed": body is not None}
        if module._diff and body is not None:
            result["diff"] = {"before": body, "after": {}}
        module.exit_json(**result)
    wanted = json.loads(json.dumps(module.params["body"]))
    changed = body != wanted
    if changed and not module.check_mode:
        try:
            client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(wanted))
            _, arn = current_body(client, name)
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Unable to put the dashboard {name}")
    result = {"changed": changed, "dashboard_arn": arn}
    if module._diff and changed:
        result["diff"] = {"before": body or {}, "after": wanted}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
