#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: metric_alarms
version_added: 0.2.0
short_description: Reconcile every CloudWatch metric alarm of a stack in one process
description:
  - Lists the alarms whose names start with O(prefix) (DescribeAlarms, 100 a page), compares
    them with O(alarms), puts only those that differ (in parallel) and deletes the ones no longer
    wanted (O(purge), 100 a call).
  - amazon.aws.cloudwatch_metric_alarm takes one module run per alarm; a stack with a queue-age
    alarm per tenant has thousands.
author:
  - aws-estates maintainers
options:
  prefix:
    description: Every alarm of the set has a name starting with this; the set is found by it.
    type: str
    required: true
  alarms:
    description:
      - Wanted alarms. Each has C(name) (starting with O(prefix)), C(namespace), C(metric),
        C(statistic), C(period), C(evaluation_periods), C(threshold), C(comparison) (an AWS
        ComparisonOperator), optionally C(dimensions) (a mapping), C(datapoints_to_alarm),
        C(treat_missing_data), C(unit) and C(description).
    type: list
    elements: dict
    default: []
  alarm_actions:
    description: ARNs notified when an alarm fires and when it recovers (the stack's SNS topic).
    type: list
    elements: str
    default: []
  tags:
    description: Tags of alarms created by the module.
    type: dict
    default: {}
  purge:
    description: Delete alarms with the prefix that O(alarms) does not list.
    type: bool
    default: true
  concurrency:
    description: Parallel PutMetricAlarm calls.
    type: int
    default: 8
  state:
    description: C(present) reconciles; C(absent) deletes every alarm with the prefix.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Alarms of the stack
  estate.aws.metric_alarms:
    prefix: cubed-
    alarm_actions: [arn:aws:sns:eu-west-1:123456789012:cubed-alarms]
    alarms:
      - name: cubed-queue-age-client-a
        namespace: AWS/SQS
        metric: ApproximateAgeOfOldestMessage
        dimensions: {QueueName: cubed-client-client-a}
        statistic: Maximum
        period: 300
        evaluation_periods: 3
        threshold: 3600
        comparison: GreaterThanThreshold
"""

RETURN = r"""
changes:
  description: Names of the alarms created, updated and deleted (or that would be).
  returned: always
  type: dict
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

FIELDS = (
    ("Namespace", "namespace"),
    ("MetricName", "metric"),
    ("Statistic", "statistic"),
    ("Period", "period"),
    ("EvaluationPeriods", "evaluation_periods"),
    ("Threshold", "threshold"),
    ("ComparisonOperator", "comparison"),
    ("DatapointsToAlarm", "datapoints_to_alarm"),
    ("TreatMissingData", "treat_missing_data"),
    ("Unit", "unit"),
    ("AlarmDescription", "description"),
)


def alarm_request(alarm: dict[str, Any], actions: list[str]) -> dict[str, Any]:
    """The PutMetricAlarm arguments of a wanted alarm (without tags)."""
    request: dict[str, Any] = {"AlarmName": alarm["name"]}
    for field, key in FIELDS:
        if alarm.get(key) is not None:
            request[field] = alarm[key]
    request["Threshold"] = float(request["Threshold"])
    request["Dimensions"] = [
        {"Name": k, "Value": str(v)} for k, v in sorted((alarm.get("dimensions") or {}).items())
    ]
    request["AlarmActions"] = sorted(actions)
    request["OKActions"] = sorted(actions)
    request["ActionsEnabled"] = True
    return request


def comparable(alarm: dict[str, Any]) -> dict[str, Any]:
    """The fields of a described alarm (or a request) that the module sets, in one form."""
    out = {field: alarm.get(field) for field, _ in FIELDS}
    out["Threshold"] = float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None
    out["Dimensions"] = sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions", []))
    out["AlarmActions"] = sorted(alarm.get("AlarmActions", []))
    out["OKActions"] = sorted(alarm.get("OKActions", []))
    out["ActionsEnabled"] = bool(alarm.get("ActionsEnabled", True))
    if out.get("TreatMissingData") is None:
        out["TreatMissingData"] = "missing"
    return out


def plan(
    current: dict[str, dict[str, Any]], wanted: dict[str, dict[str, Any]], purge: bool
) -> tuple[list[str], list[str], list[str]]:
    """(create, update, delete) alarm names."""
    create = sorted(set(wanted) - set(current))
    update = sorted(
        name
        for name in set(wanted) & set(current)
        if comparable(current[name]) != comparable(wanted[name])
    )
    delete = sorted(set(current) - set(wanted)) if purge else []
    return create, update, delete


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "prefix": {"type": "str", "required": True},
            "alarms": {"type": "list", "elements": "dict", "default": []},
            "alarm_actions": {"type": "list", "elements": "str", "default": []},
            "tags": {"type": "dict", "default": {}},
            "purge": {"type": "bool", "default": True},
            "concurrency": {"type": "int", "default": 8},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not params["prefix"]:
        module.fail_json(msg="prefix must not be empty: it selects the alarms this run owns")
    outside = [
        a.get("name")
        for a in params["alarms"]
        if not str(a.get("name", "")).startswith(params["prefix"])
    ]
    if outside:
        module.fail_json(
            msg=f"Alarm names must start with {params['prefix']}: {', '.join(map(str, outside))}"
        )
    jobs = max(1, params["concurrency"])
    client = module.client(
        "cloudwatch",
        config=Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=jobs),
    )
    current: dict[str, dict[str, Any]] = {}
    try:
        for page in client.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=params["prefix"], AlarmTypes=["MetricAlarm"]
        ):
            for alarm in page["MetricAlarms"]:
                current[alarm["AlarmName"]] = alarm
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Unable to list the alarms named {params['prefix']}*")
    absent = params["state"] == "absent"
    wanted = (
        {}
        if absent
        else {a["name"]: alarm_request(a, params["alarm_actions"]) for a in params["alarms"]}
    )
    create, update, delete = plan(current, wanted, params["purge"] or absent)
    tags = [{"Key": k, "Value": str(v)} for k, v in sorted(params["tags"].items())]
    if not module.check_mode:
        failures: list[tuple[str, Exception]] = []

        def put(name: str) -> None:
            try:
                extra = {"Tags": tags} if name in create and tags else {}
                client.put_metric_alarm(**wanted[name], **extra)
            except (BotoCoreError, ClientError) as e:
                failures.append((name, e))

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(put, create + update))
        if failures:
            name, error = failures[0]
            module.fail_json_aws(
                error, msg=f"Unable to put the alarm {name} ({len(failures)} failed)"
            )
        try:
            for start in range(0, len(delete), 100):
                client.delete_alarms(AlarmNames=delete[start : start + 100])
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Unable to delete alarms")
    changes = {"created": create, "updated": update, "deleted": delete}
    result: dict[str, Any] = {
        "changed": bool(create or update or delete),
        "changes": {k: v for k, v in changes.items() if v},
    }
    if module._diff and result["changed"]:
        result["diff"] = {
            "before": {n: comparable(current[n]) for n in update + delete},
            "after": {n: comparable(wanted[n]) for n in create + update},
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
