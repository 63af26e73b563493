#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: event_schedules
version_added: 0.4.0
short_description: Reconcile a stack's scheduled Lambda invocations (EventBridge rules) in bulk
description:
  - Each schedule is an EventBridge rule on the default bus with a C(rate()) or C(cron())
    expression, one target (a Lambda function, with an optional constant JSON input) and the
    function's permission for that rule to invoke it (statement C(events-<rule>), source ARN the
    rule).
  - The stack's rules are listed by name prefix (O(prefix)) and owned by tags (C(stack),
    C(managed-by) when given, C(tier)), so another stack's rules under the same prefix are
    never touched, and a rule of a wanted name that is not tagged as this stack's tier is refused
    before any change.
  - Only the differences are written (expression, description, state, target, input, tags,
    permission); rules no longer listed are deleted with their targets and permissions
    (O(purge)). Check mode (no write at all) and diff.
  - amazon.aws.cloudwatchevent_rule cannot tag a rule, so it could neither find a stack's rules
    again nor purge them.
author:
  - aws-estates maintainers
options:
  schedules:
    description:
      - The wanted schedules. Each has C(name) (the full rule name, 1-64 of C([.-_A-Za-z0-9])),
        C(expression) (C(rate(...)) or C(cron(...))), C(function_arn) (unqualified), and
        optionally C(description), C(enabled) (default true) and C(input) (a dict sent to the
        function as its event; default the rule's own scheduled event).
    type: list
    elements: dict
    default: []
  prefix:
    description:
      - Name prefix of the stack's rules (C(<stack>-)); every wanted name must start with it.
    type: str
    required: true
  tags:
    description: Tags of every rule. C(stack) is required; the module adds C(tier).
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag; another tier's rules are never touched.
    type: str
    default: serverless
  purge:
    description: Delete the tier's rules of the prefix that O(schedules) does not list.
    type: bool
    default: true
  state:
    description: C(present) reconciles; C(absent) deletes every rule of the stack's tier.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A daily job
  estate.aws.event_schedules:
    prefix: akb-
    tags: {stack: akb, managed-by: ansible-estate}
    schedules:
      - name: akb-daily-reminders
        expression: cron(0 7 * * ? *)
        function_arn: arn:aws:lambda:eu-west-2:123456789012:function:akb-reminders
        input: {kind: event-reminders}
"""

RETURN = r"""
schedules:
  description: Every wanted rule by name - C(arn), C(expression), C(state) (ENABLED or DISABLED).
  returned: always
  type: dict
changes:
  description: Names of the rules C(created), C(updated) and C(deleted) (or that would be).
  returned: always
  type: dict
"""

import json
import re
from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_changes,
    tag_dict,
    tag_list,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from ansible_collections.estate.aws.plugins.module_utils.schedules import (
    EXPRESSION,
    EXPRESSION_HINT,
)
from botocore.exceptions import BotoCoreError, ClientError

RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
TARGET_ID = "function"
JOBS = 8


def schedule_errors(schedules: list[dict[str, Any]], prefix: str) -> list[str]:
    """Every error of the wanted schedules (empty: valid)."""
    errors: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(schedules):
        at = f"schedules[{index}]"
        name = str(item.get("name", ""))
        if not RULE_NAME.match(name) or not name.startswith(prefix):
            errors.append(f"{at}.name '{name}': 1-64 of [.-_A-Za-z0-9], starting with '{prefix}'")
        if name in seen:
            errors.append(f"{at}.name '{name}' is listed twice")
        seen.add(name)
        if not EXPRESSION.match(str(item.get("expression", ""))):
            errors.append(f"{at}.expression '{item.get('expression', '')}': {EXPRESSION_HINT}")
        if not str(item.get("function_arn", "")).startswith("arn:"):
            errors.append(f"{at}.function_arn must be the function's ARN")
        if item.get("input") is not None and not isinstance(item["input"], dict):
            errors.append(f"{at}.input must be a dict (the event the function receives)")
    return errors


def wanted_rule(item: dict[str, Any]) -> dict[str, Any]:
    """The rule fields and target this module compares, from one wanted schedule."""
    target: dict[str, Any] = {"Id": TARGET_ID, "Arn": item["function_arn"]}
    if item.get("input") is not None:
        target["Input"] = json.dumps(item["input"], sort_keys=True, separators=(",", ":"))
    return {
        "ScheduleExpression": item["expression"],
        "Description": item.get("description") or "",
        "State": "ENABLED" if item.get("enabled", True) else "DISABLED",
        "Targets": [target],
    }


def rule_changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields of WANTED that CURRENT (a described rule with its Targets) does not have."""
    changes = {}
    for key in ("ScheduleExpression", "Description", "State"):
        if (current.get(key) or "") != wanted[key]:
            changes[key] = wanted[key]
    have = [{k: t[k] for k in ("Id", "Arn", "Input") if t.get(k)} for t in current["Targets"]]
    if have != wanted["Targets"]:
        changes["Targets"] = wanted["Targets"]
    return changes


class Schedules(Reconciler):
    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "serverless",
        schedules={"type": "list", "elements": "dict", "default": []},
        prefix={"type": "str", "required": True},
    )
    WHAT = "rules"
    INVALID = "Invalid schedules"
    SELECTORS = ("prefix", "tier")
    SELECTED = "the stack's rules"
    JOBS = 8

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return schedule_errors(params["schedules"], params["prefix"])

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.events = self.client("events")
        self.lambda_ = self.client("lambda")
        self.wanted = {} if self.absent else {s["name"]: s for s in self.params["schedules"]}
        self._arns: dict[str, str] = {}  # rules put by this run

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        """OWNED: the tier's rules of the prefix, described, with Targets and Tags."""
        listed: list[dict[str, Any]] = []
        try:
            token: dict[str, str] = {}
            while True:
                page = self.events.list_rules(NamePrefix=self.module.params["prefix"], **token)
                listed += page.get("Rules", [])
                if not page.get("NextToken"):
                    break
                token = {"NextToken": page["NextToken"]}
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the stack's rules")
        described = self.parallel("read the rule", self._describe, listed)
        self.owned = {r["Name"]: r for r in described if owned_by(r["Tags"], self.owner)}
        foreign = sorted({r["Name"] for r in described} - set(self.owned) & set(self.wanted))
        if foreign:
            self.refuse(
                f"The rule(s) {', '.join(foreign)} exist but are not tagged as this stack's"
                f" tier ({self.owner}): delete them, tag them, or rename the schedules."
                " Nothing was changed."
            )

    def _describe(self, rule: dict[str, Any]) -> dict[str, Any]:
        tags = self.events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
        targets = self.events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        return {**rule, "Tags": tag_dict(tags), "Targets": targets}

    def permission_missing(self, rule_arn: str, function_arn: str) -> bool:
        """Whether FUNCTION's policy lacks the statement that lets the rule invoke it."""
        try:
            policy = json.loads(self.lambda_.get_policy(FunctionName=function_arn)["Policy"])
        except is_boto3_error_code("ResourceNotFoundException"):
            return True
        sid = statement_id(rule_arn)
        for statement in policy.get("Statement", []):
            if statement.get("Sid") == sid:
                source = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
                return bool(source != rule_arn)
        return True

    # -- plan and apply ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.read()
        wanted = {n: wanted_rule(s) for n, s in self.wanted.items()}
        creates = sorted(set(wanted) - set(self.owned))
        updates = []
        for name in sorted(set(wanted) & set(self.owned)):
            current = self.owned[name]
            changes = rule_changes(current, wanted[name])
            retag = tag_changes(current["Tags"], self.tags)
            function = wanted[name]["Targets"][0]["Arn"]
            grant = self.permission_missing(current["Arn"], function)
            if changes or retag or grant:
                updates.append((name, changes, retag, grant))
        doomed = sorted(set(self.owned) - set(wanted)) if self.purge else []
        self.apply(
            ("create the rule", lambda n: self._put(n, wanted[n], True), creates),
            ("update the rule", self._update, [(u, wanted[u[0]]) for u in updates]),
            ("delete the rule", self._delete, doomed),
        )
        self.after.update({name: wanted[name] for name in creates})
        for name, changes, retag, grant in updates:
            current = self.owned[name]
            self.before[name] = {k: current.get(k) for k in changes}
            self.after[name] = dict(changes)
            self.diff_retag(name, current["Tags"], retag, "Tags")
            if grant:
                self.before[name]["Permission"] = "missing"
                self.after[name]["Permission"] = statement_id(current["Arn"])
        self.diff_deleted(doomed)
        schedules = {
            name: {
                "arn": self._arns.get(name) or (self.owned.get(name) or {}).get("Arn", ""),
                "expression": rule["ScheduleExpression"],
                "state": rule["State"],
            }
            for name, rule in sorted(wanted.items())
        }
        changes = {"created": creates, "updated": [u[0] for u in updates], "deleted": doomed}
        return self.result(bool(creates or updates or doomed), changes, schedules=schedules)

    def _put(self, name: str, rule: dict[str, Any], create: bool) -> None:
        request: dict[str, Any] = {
            "Name": name,
            "ScheduleExpression": rule["ScheduleExpression"],
            "Description": rule["Description"],
            "State": rule["State"],
        }
        if create:
            request["Tags"] = tag_list(self.tags)
        arn = self.events.put_rule(**request)["RuleArn"]
        self._arns[name] = arn
        self.events.put_targets(Rule=name, Targets=rule["Targets"])
        if create:
            self._grant(arn, rule["Targets"][0]["Arn"])

    def _update(self, item: tuple[tuple[str, dict[str, Any], dict[str, str], bool], Any]) -> None:
        (name, changes, retag, grant), rule = item
        current = self.owned[name]
        if set(changes) - {"Targets"}:
            self.events.put_rule(
                Name=name,
                ScheduleExpression=rule["ScheduleExpression"],
                Description=rule["Description"],
                State=rule["State"],
            )
        if "Targets" in changes:
            extra = [t["Id"] for t in current["Targets"] if t["Id"] != TARGET_ID]
            if extra:
                self.events.remove_targets(Rule=name, Ids=extra)
            self.events.put_targets(Rule=name, Targets=rule["Targets"])
            old = [t["Arn"] for t in current["Targets"] if t["Arn"] != rule["Targets"][0]["Arn"]]
            for function in old:
                self._revoke(current["Arn"], function)
        if retag:
            self.events.tag_resource(ResourceARN=current["Arn"], Tags=tag_list(retag))
        if grant or "Targets" in changes:
            self._grant(current["Arn"], rule["Targets"][0]["Arn"])

    def _grant(self, rule_arn: str, function: str) -> None:
        self._revoke(rule_arn, function)
        self.lambda_.add_permission(
            FunctionName=function,
            StatementId=statement_id(rule_arn),
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )

    def _revoke(self, rule_arn: str, function: str) -> None:
        try:
            self.lambda_.remove_permission(
                FunctionName=function, StatementId=statement_id(rule_arn)
            )
        except is_boto3_error_code("ResourceNotFoundException"):
            pass

    def _delete(self, name: str) -> None:
        current = self.owned[name]
        if current["Targets"]:
            self.events.remove_targets(Rule=name, Ids=[t["Id"] for t in current["Targets"]])
        for target in current["Targets"]:
            if ":function:" in target["Arn"]:
                self._revoke(current["Arn"], target["Arn"])
        try:
            self.events.delete_rule(Name=name)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass


def statement_id(rule_arn: str) -> str:
    """The function policy statement that lets the rule RULE_ARN invoke it."""
    return "events-" + rule_arn.rsplit("/", 1)[-1]


def main() -> None:
    Schedules.main()


if __name__ == "__main__":
    main()
