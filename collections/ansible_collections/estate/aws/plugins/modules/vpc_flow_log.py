#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_flow_log
version_added: 0.1.0
short_description: Manage a VPC flow log delivering to CloudWatch Logs
description:
  - Create, update the tags of, replace or delete the flow log of a VPC that delivers to a
    CloudWatch Logs log group.
  - A flow log is identified by its VPC (O(resource_id)) and log group (O(log_group_name)).
  - AWS cannot modify a flow log. Changing O(traffic_type), O(max_aggregation_interval) or
    O(deliver_logs_permission_arn) deletes the flow log and creates a new one. Tags are updated
    in place.
  - The amazon.aws collection (10.x) has no flow log module; this one fills that gap.
author:
  - aws-estates maintainers
options:
  resource_id:
    description:
      - The ID of the VPC whose traffic is logged.
    type: str
    required: true
    aliases: [vpc_id]
  log_group_name:
    description:
      - The name of the CloudWatch Logs log group the flow log delivers to.
      - The log group is not created by this module; create it with
        M(amazon.aws.cloudwatchlogs_log_group).
    type: str
    required: true
  deliver_logs_permission_arn:
    description:
      - The ARN of the IAM role that allows the flow logs service to publish to the log group.
      - Required when O(state=present).
    type: str
  traffic_type:
    description:
      - The type of traffic to log.
    type: str
    choices: [ALL, ACCEPT, REJECT]
    default: ALL
  max_aggregation_interval:
    description:
      - The maximum interval in seconds during which a flow of packets is captured and aggregated
        into a flow log record.
    type: int
    choices: [60, 600]
    default: 600
  state:
    description:
      - Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no API writes are made) and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Log all the traffic of the VPC to CloudWatch Logs
  estate.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /estate/cubed/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/estate-cubed-flow-logs
    traffic_type: ALL
    max_aggregation_interval: 60
    tags:
      stack: cubed
      managed-by: ansible-estate
  register: flow_log

- name: Log rejected traffic only (replaces the flow log above)
  estate.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /estate/cubed/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/estate-cubed-flow-logs
    traffic_type: REJECT

- name: Remove the flow log
  estate.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /estate/cubed/vpc-flow-logs
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the flow log was created, replaced, retagged or deleted.
  returned: always
  type: bool
  sample: true
flow_log:
  description:
    - The flow log, as described by EC2 with snake_cased keys.
    - Empty when O(state=absent).
    - In check mode, the flow log as it would be (without an ID when it would be created).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: The ID of the flow log.
      returned: when the flow log exists
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The ID of the VPC.
      returned: when O(state=present)
      type: str
      sample: vpc-0123456789abcdef0
    log_group_name:
      description: The CloudWatch Logs log group.
      returned: when O(state=present)
      type: str
      sample: /estate/cubed/vpc-flow-logs
    log_destination_type:
      description: Where the flow log delivers to.
      returned: when O(state=present)
      type: str
      sample: cloud-watch-logs
    deliver_logs_permission_arn:
      description: The IAM role the flow logs service publishes with.
      returned: when O(state=present)
      type: str
      sample: arn:aws:iam::123456789012:role/estate-cubed-flow-logs
    deliver_logs_status:
      description: Status of the log delivery (V(SUCCESS) or V(FAILED)).
      returned: when the flow log exists
      type: str
      sample: SUCCESS
    flow_log_status:
      description: Status of the flow log.
      returned: when the flow log exists
      type: str
      sample: ACTIVE
    traffic_type:
      description: The type of traffic logged.
      returned: when O(state=present)
      type: str
      sample: ALL
    max_aggregation_interval:
      description: Aggregation interval in seconds.
      returned: when O(state=present)
      type: int
      sample: 600
    creation_time:
      description: When the flow log was created.
      returned: when the flow log exists
      type: str
      sample: "2025-01-01T12:00:00+00:00"
    tags:
      description: The tags of the flow log.
      returned: when O(state=present)
      type: dict
      sample: {"stack": "cubed"}
"""

import time
from typing import Any

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import add_ec2_tags, remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
    compare_aws_tags,
)

# Settings AWS cannot change on an existing flow log: option name -> DescribeFlowLogs key.
IMMUTABLE = {
    "traffic_type": "TrafficType",
    "max_aggregation_interval": "MaxAggregationInterval",
    "deliver_logs_permission_arn": "DeliverLogsPermissionArn",
}
VISIBLE_RETRIES = 10


def _boto_errors() -> tuple[type[Exception], ...]:
    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


@AWSRetry.jittered_backoff()
def _describe_flow_logs(client: Any, **params: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_flow_logs")
    return paginator.paginate(**params).build_full_result()["FlowLogs"]


def find_flow_log(module: AnsibleAWSModule, client: Any) -> dict[str, Any] | None:
    """The flow log of the VPC that delivers to the log group, if any."""
    filters = [
        {"Name": "resource-id", "Values": [module.params["resource_id"]]},
        {"Name": "log-group-name", "Values": [module.params["log_group_name"]]},
    ]
    try:
        found = _describe_flow_logs(client, Filters=filters)
    except _boto_errors() as e:
        module.fail_json_aws(e, msg="Failed to describe flow logs")
    if len(found) > 1:
        ids = ", ".join(fl["FlowLogId"] for fl in found)
        module.warn(f"Several flow logs match the VPC and log group ({ids}); managing the first")
    return found[0] if found else None


def wait_visible(module: AnsibleAWSModule, client: Any, flow_log_id: str) -> dict[str, Any]:
    """Describe a just-created flow log (EC2 is eventually consistent)."""
    for _attempt in range(VISIBLE_RETRIES):
        try:
            found = _describe_flow_logs(client, FlowLogIds=[flow_log_id])
        except _boto_errors() as e:
            module.fail_json_aws(e, msg=f"Failed to describe flow log {flow_log_id}")
        if found:
            return found[0]
        time.sleep(2)
    module.fail_json(msg=f"Flow log {flow_log_id} was created but never became visible")


def create_flow_log(
    module: AnsibleAWSModule, client: Any, tags: dict[str, str] | None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ResourceIds": [module.params["resource_id"]],
        "ResourceType": "VPC",
        "TrafficType": module.params["traffic_type"],
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": module.params["log_group_name"],
        "DeliverLogsPermissionArn": module.params["deliver_logs_permission_arn"],
        "MaxAggregationInterval": module.params["max_aggregation_interval"],
    }
    if tags:
        params["TagSpecifications"] = boto3_tag_specifications(tags, ["vpc-flow-log"])
    try:
        result = client.create_flow_logs(aws_retry=True, **params)
    except _boto_errors() as e:
        module.fail_json_aws(e, msg="Failed to create the flow log")
    if result.get("Unsuccessful") or not result.get("FlowLogIds"):
        module.fail_json(
            msg="Failed to create the flow log", unsuccessful=result.get("Unsuccessful")
        )
    return wait_visible(module, client, result["FlowLogIds"][0])


def delete_flow_log(module: AnsibleAWSModule, client: Any, flow_log_id: str) -> None:
    try:
        result = client.delete_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])
    except _boto_errors() as e:
        module.fail_json_aws(e, msg=f"Failed to delete flow log {flow_log_id}")
    if result.get("Unsuccessful"):
        module.fail_json(
            msg=f"Failed to delete flow log {flow_log_id}", unsuccessful=result["Unsuccessful"]
        )


def tags_of(flow_log: dict[str, Any] | None) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict((flow_log or {}).get("Tags", []))


def to_ansible(flow_log: dict[str, Any] | None) -> dict[str, Any]:
    """snake_cased flow log, tags as a dict."""
    if not flow_log:
        return {}
    result = camel_dict_to_snake_dict({k: v for k, v in flow_log.items() if k != "Tags"})
    result["tags"] = tags_of(flow_log)
    return result


def comparable(flow_log: dict[str, Any] | None) -> dict[str, Any]:
    """The managed settings of a flow log, for diff output."""
    if not flow_log:
        return {}
    keys = ("flow_log_id", "resource_id", "log_group_name", *IMMUTABLE, "tags")
    snake = to_ansible(flow_log)
    return {key: snake[key] for key in keys if key in snake}


def desired(module: AnsibleAWSModule, existing: dict[str, Any] | None) -> dict[str, Any]:
    """The flow log as it should be (boto3 shape), tags reconciled with purge_tags."""
    params = module.params
    tags = tags_of(existing)
    if params["tags"] is not None:
        to_set, to_unset = compare_aws_tags(tags, params["tags"], params["purge_tags"])
        tags = {k: str(v) for k, v in {**tags, **to_set}.items() if k not in to_unset}
    return {
        "ResourceId": params["resource_id"],
        "LogGroupName": params["log_group_name"],
        "LogDestinationType": "cloud-watch-logs",
        **{boto_key: params[option] for option, boto_key in IMMUTABLE.items()},
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def needs_replacing(module: AnsibleAWSModule, existing: dict[str, Any]) -> bool:
    return any(existing.get(key) != module.params[option] for option, key in IMMUTABLE.items())


def retag(module: AnsibleAWSModule, client: Any, existing: dict[str, Any]) -> bool:
    """Reconcile tags with CreateTags/DeleteTags; helpers skip writes in check mode."""
    if module.params["tags"] is None:
        return False
    to_set, to_unset = compare_aws_tags(
        tags_of(existing), module.params["tags"], module.params["purge_tags"]
    )
    flow_log_id = existing["FlowLogId"]
    changed = remove_ec2_tags(client, module, flow_log_id, to_unset)
    return add_ec2_tags(client, module, flow_log_id, to_set) or changed


def ensure_present(
    module: AnsibleAWSModule, client: Any, existing: dict[str, Any] | None
) -> tuple[bool, dict[str, Any]]:
    """Create, replace or retag; return (changed, flow log as it is or would be)."""
    wanted = desired(module, existing)
    if existing and not needs_replacing(module, existing):
        if not retag(module, client, existing):
            return False, existing
        if module.check_mode:
            return True, {**existing, "Tags": wanted["Tags"]}
        return True, wait_visible(module, client, existing["FlowLogId"])
    if module.check_mode:
        return True, wanted
    if existing:
        delete_flow_log(module, client, existing["FlowLogId"])
    return True, create_flow_log(module, client, tags_of(wanted))


def ensure_absent(
    module: AnsibleAWSModule, client: Any, existing: dict[str, Any] | None
) -> tuple[bool, dict[str, Any]]:
    if not existing:
        return False, {}
    if not module.check_mode:
        delete_flow_log(module, client, existing["FlowLogId"])
    return True, {}


def main() -> None:
    argument_spec = dict(
        resource_id=dict(type="str", required=True, aliases=["vpc_id"]),
        log_group_name=dict(type="str", required=True),
        deliver_logs_permission_arn=dict(type="str"),
        traffic_type=dict(type="str", choices=["ALL", "ACCEPT", "REJECT"], default="ALL"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["deliver_logs_permission_arn"])],
    )
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    existing = find_flow_log(module, client)
    if module.params["state"] == "present":
        changed, flow_log = ensure_present(module, client, existing)
    else:
        changed, flow_log = ensure_absent(module, client, existing)
    module.exit_json(
        changed=changed,
        flow_log=to_ansible(flow_log),
        diff={"before": comparable(existing), "after": comparable(flow_log)},
    )


if __name__ == "__main__":
    main()
