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
short_description: Reconcile every CloudWatch metric alarm of a stack's tier in one process
description:
  - Lists the alarms whose names start with O(prefix) (DescribeAlarms, 100 a page) and the
    alarms tagged as the stack's tier (one Resource Groups Tagging API listing), compares them
    with O(alarms), puts only those that differ (in parallel), corrects their tags, and deletes
    the tier's alarms no longer wanted (O(purge), 100 a call).
  - An alarm is the stack's when it carries the C(stack), C(managed-by) (when given) and C(tier)
    tags; an alarm of the wanted name without them is never adopted nor deleted (the run fails
    before any change), and alarms of the prefix tagged as another stack's are left alone.
  - amazon.aws.cloudwatch_metric_alarm takes one module run per alarm; a stack with a queue-age
    alarm per tenant has thousands.
  - Every client retries throttled calls with exponential backoff (botocore's adaptive mode).
author:
  - aws-estates maintainers
options:
  prefix:
    description:
      - Every wanted alarm's name starts with this; alarms are listed by it.
    type: str
    required: true
  alarms:
    description:
      - Wanted alarms. Each has C(name) (starting with O(prefix)), C(namespace), C(metric),
        C(threshold) and optionally C(dimensions) (a mapping), C(statistic) (default
        C(Average)), C(period) (seconds, default 300), C(evaluation_periods) (default 1),
        C(datapoints_to_alarm), C(comparison) (default C(GreaterThanThreshold)),
        C(treat_missing_data) (default C(notBreaching)), C(unit) and C(description).
      - Checked before any AWS call (CloudWatch's statistics, comparison operators, periods
        and evaluation range).
    type: list
    elements: dict
    default: []
  alarm_actions:
    description:
      - ARNs notified when an alarm fires and when it recovers (alarm and OK actions), such as
        the stack's SNS topic.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Tags of every alarm. C(stack) is required; the stack's alarms are found again by
        C(stack), C(managed-by) (when given) and C(tier), which the module adds.
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag; another tier's alarms are never touched.
    type: str
    default: monitoring
  purge:
    description: Delete the tier's alarms that O(alarms) does not list.
    type: bool
    default: true
  concurrency:
    description: Parallel PutMetricAlarm and tagging calls.
    type: int
    default: 8
  state:
    description: C(present) reconciles; C(absent) deletes every alarm of the stack's tier.
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
    tags: {stack: cubed, managed-by: ansible-estate}
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

- name: Remove every alarm of the stack's monitoring tier
  estate.aws.metric_alarms:
    prefix: cubed-
    tags: {stack: cubed, managed-by: ansible-estate}
    state: absent
"""

RETURN = r"""
alarms:
  description: ARN of every wanted alarm, by name (also under check mode).
  returned: always
  type: dict
  sample: {cubed-cpu-web-1: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cubed-cpu-web-1"}
changes:
  description:
    - Names of the alarms C(created), C(updated) (settings), C(retagged) and C(deleted), or that
      would be under check mode; empty lists are left out.
  returned: always
  type: dict
"""

from typing import Any, ClassVar

from ansible_collections.estate.aws.plugins.module_utils.monitoring import (
    DELETE_BATCH,
    alarm_errors,
    alarm_plan,
    alarm_request,
    batches,
    comparable,
)
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_changes,
    tag_dict,
    tag_list,
    tagged_resources,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from botocore.exceptions import BotoCoreError, ClientError


class Alarms(Reconciler):
    """One reconciliation: read, plan, apply (unless in check mode)."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "monitoring",
        8,
        prefix={"type": "str", "required": True},
        alarms={"type": "list", "elements": "dict", "default": []},
        alarm_actions={"type": "list", "elements": "str", "default": []},
    )
    WHAT = "alarms"
    INVALID = "Invalid alarms"
    SELECTORS = ("prefix", "tier")
    SELECTED = "the alarms of this run"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return alarm_errors(params["alarms"], "alarms", params["prefix"])

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.cloudwatch = self.client("cloudwatch")
        self.tagging = self.client("resourcegroupstaggingapi")
        self.prefix = self.params["prefix"]
        actions = self.params["alarm_actions"]
        self.wanted = (
            {}
            if self.absent
            else {a["name"]: alarm_request(a, actions) for a in self.params["alarms"]}
        )

    def fail(self, error: Exception, msg: str) -> None:
        if isinstance(error, (BotoCoreError, ClientError)):
            self.module.fail_json_aws(error, msg=msg)
        raise error

    def read(self) -> None:
        """CURRENT: the stack's alarms of the tier (described), TAGS_OF: their tags."""
        self.tags_of: dict[str, dict[str, str]] = {}
        listed: dict[str, dict[str, Any]] = {}
        try:
            for arn, tags in tagged_resources(self.tagging, self.owner, "cloudwatch").items():
                if ":alarm:" in arn:
                    self.tags_of[arn.split(":alarm:", 1)[1]] = tags
            for page in self.cloudwatch.get_paginator("describe_alarms").paginate(
                AlarmNamePrefix=self.prefix, AlarmTypes=["MetricAlarm"]
            ):
                for alarm in page["MetricAlarms"]:
                    listed[alarm["AlarmName"]] = alarm
            # The tier's alarms outside the prefix (made under an earlier one) are still ours.
            elsewhere = sorted(set(self.tags_of) - set(listed))
            for chunk in batches(elsewhere, 100):
                for alarm in self.cloudwatch.describe_alarms(
                    AlarmNames=chunk, AlarmTypes=["MetricAlarm"]
                )["MetricAlarms"]:
                    listed[alarm["AlarmName"]] = alarm
        except (BotoCoreError, ClientError) as e:
            self.fail(e, f"Unable to list the alarms of the stack (prefix {self.prefix})")
        # The tagging listing lags behind an alarm just made: its own tags decide.
        unlisted = sorted(n for n in self.wanted if n in listed and n not in self.tags_of)
        for name, tags in zip(
            unlisted,
            self.parallel(
                "read the tags of the alarm",
                self._alarm_tags,
                [listed[n]["AlarmArn"] for n in unlisted],
            ),
            strict=True,
        ):
            if not owned_by(tags, self.owner):
                self.refuse(
                    f"The alarm {name} exists but is not tagged as this stack's tier"
                    f" ({self.owner}): delete it, tag it, or rename the wanted alarm."
                    " Nothing was changed."
                )
            self.tags_of[name] = tags
        self.current = {n: a for n, a in listed.items() if n in self.tags_of}
        self.known_arns = [a["AlarmArn"] for a in listed.values()]

    def _alarm_tags(self, arn: str) -> dict[str, str]:
        return tag_dict(self.cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags"))

    def arn(self, name: str) -> str:
        """The alarm's ARN, made up for one not created yet (from a known ARN's account, else
        from STS: one call, only then)."""
        if name in self.current:
            return str(self.current[name]["AlarmArn"])
        partition, account = self.account(lambda: self.known_arns + self.params["alarm_actions"])
        return f"arn:{partition}:cloudwatch:{self.module.region}:{account}:alarm:{name}"

    def run(self) -> dict[str, Any]:
        self.read()
        create, update, delete = alarm_plan(self.current, self.wanted, self.purge)
        retag = sorted(
            n
            for n in set(self.wanted) & set(self.current)
            if tag_changes(self.tags_of[n], self.tags)
        )
        tags = tag_list(self.tags)
        self.apply(
            (
                "create the alarm",
                lambda n: self.cloudwatch.put_metric_alarm(**self.wanted[n], Tags=tags),
                create,
            ),
            (
                "update the alarm",
                lambda n: self.cloudwatch.put_metric_alarm(**self.wanted[n]),
                update,
            ),
            (
                "tag the alarm",
                lambda n: self.cloudwatch.tag_resource(
                    ResourceARN=self.arn(n), Tags=tag_list(tag_changes(self.tags_of[n], self.tags))
                ),
                retag,
            ),
            (
                "delete the alarms",
                lambda chunk: self.cloudwatch.delete_alarms(AlarmNames=chunk),
                list(batches(delete, DELETE_BATCH)),
            ),
        )
        self.before.update({n: comparable(self.current[n]) for n in update + delete})
        self.after.update({n: comparable(self.wanted[n]) for n in create + update})
        for name in retag:
            self.diff_retag(
                name, self.tags_of[name], tag_changes(self.tags_of[name], self.tags), "Tags"
            )
        self.after.update({n: "deleted" for n in delete})
        changes = {"created": create, "updated": update, "retagged": retag, "deleted": delete}
        alarms = {name: self.arn(name) for name in sorted(self.wanted)}
        return self.result(any(changes.values()), changes, alarms=alarms)


def main() -> None:
    Alarms.main()


if __name__ == "__main__":
    main()
