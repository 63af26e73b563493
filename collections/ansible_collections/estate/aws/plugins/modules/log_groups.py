#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: log_groups
version_added: 0.2.0
short_description: Reconcile a stack's CloudWatch Logs groups (retention, KMS key, tags) in bulk
description:
  - Finds the stack's log groups of a tier by tags (one Resource Groups Tagging API listing),
    describes the groups of interest with as few DescribeLogGroups listings as their names
    allow (one per directory, such as C(/estate/<stack>/)), creates the missing groups with
    their KMS key and tags, sets the retention, associates or disassociates the KMS key and
    corrects tags that differ, and deletes the tier's groups no longer listed (O(purge)).
  - Groups are owned by tier (the C(tier) tag), so the serverless tier's C(/aws/lambda/...)
    groups and the monitoring tier's groups of one stack never purge each other. A group of a
    wanted name that is not tagged as the stack's tier is never adopted (the run fails before
    any change).
  - A group that still stores log data is deleted only with O(allow_delete_nonempty=true);
    the check happens before any change.
  - Full check mode (no write at all) and diff. amazon.aws.cloudwatchlogs_log_group takes one
    run per group, applies a retention change under C(--check) (a module bug, amazon.aws
    10.1.2) and never changes the KMS key of an existing group.
author:
  - aws-estates maintainers
options:
  log_groups:
    description:
      - The wanted groups. Each has C(name) (1-512 letters, digits and C(_-./#)), optionally
        C(retention_days) (default 30; 0 keeps the events forever; otherwise one of the values
        CloudWatch Logs accepts - 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
        1096, 1827, 2192, 2557, 2922, 3288, 3653) and C(kms) (default true - encrypted with
        O(kms_key_arn)).
    type: list
    elements: dict
    default: []
  kms_key_arn:
    description:
      - ARN of the KMS key of the groups with C(kms=true) (CloudWatch Logs takes no alias nor
        key ID). Its key policy must let C(logs.<region>.amazonaws.com) use it.
    type: str
  tags:
    description:
      - Tags of every group. C(stack) is required; the stack's groups are found again by
        C(stack), C(managed-by) (when given) and C(tier), which the module adds.
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag; another tier's groups are never touched.
    type: str
    default: monitoring
  purge:
    description: Delete the tier's groups that O(log_groups) does not list.
    type: bool
    default: true
  allow_delete_nonempty:
    description:
      - Allow deleting groups that still store log data (C(storedBytes) above 0).
      - Otherwise the run fails before any change, naming them.
    type: bool
    default: false
  concurrency:
    description: Parallel API calls for per-group reads and writes.
    type: int
    default: 8
  state:
    description: C(present) reconciles; C(absent) deletes every group of the stack's tier.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log groups of the stack
  estate.aws.log_groups:
    kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags: {stack: cubed, managed-by: ansible-estate}
    log_groups:
      - {name: /estate/cubed/app, retention_days: 30}
      - {name: /estate/cubed/audit, retention_days: 365}

- name: Lambda functions' groups, owned by the serverless tier
  estate.aws.log_groups:
    tier: serverless
    kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags: {stack: cubed, managed-by: ansible-estate}
    log_groups:
      - {name: /aws/lambda/cubed-predict, retention_days: 14}
"""

RETURN = r"""
log_groups:
  description:
    - Every wanted group by name - C(arn) (without the C(:*) suffix), C(retention_days)
      (0 - never expire) and C(kms_key_id) (empty when not encrypted). Also under check mode.
  returned: always
  type: dict
  sample:
    /estate/cubed/app:
      arn: arn:aws:logs:eu-west-1:123456789012:log-group:/estate/cubed/app
      retention_days: 30
      kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
changes:
  description: Names of the groups C(created), C(updated) and C(deleted) (or that would be).
  returned: always
  type: dict
"""

from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.bulk import Refusal
from ansible_collections.estate.aws.plugins.module_utils.monitoring import (
    KMS_KEY_ARN_RE,
    listing_prefixes,
    log_group_arn,
    log_group_changes,
    log_group_errors,
    log_group_settings,
)
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_changes,
    tagged_resources,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from botocore.exceptions import BotoCoreError, ClientError


class LogGroups(Reconciler):
    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "monitoring",
        8,
        log_groups={"type": "list", "elements": "dict", "default": []},
        kms_key_arn={"type": "str", "no_log": False},
        allow_delete_nonempty={"type": "bool", "default": False},
    )
    WHAT = "log groups"
    INVALID = "Invalid log groups"
    SELECTORS = ("tier",)
    SELECTED = "the log groups of this run"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        errors = log_group_errors(params["log_groups"])
        encrypted = [g["name"] for g in params["log_groups"] if g.get("kms", True) is not False]
        key = params["kms_key_arn"] or ""
        if encrypted and not errors and not KMS_KEY_ARN_RE.match(key):
            errors.append(
                f"kms_key_arn {key!r} must be a KMS key ARN (arn:aws:kms:<region>:<account>:"
                f"key/<id>) for the encrypted groups {', '.join(encrypted)}; CloudWatch Logs"
                " takes no alias nor key ID"
            )
        return errors

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.logs = self.client("logs")
        self.tagging = self.client("resourcegroupstaggingapi")
        self.key = self.params["kms_key_arn"] or ""
        self.wanted = (
            {}
            if self.absent
            else {g["name"]: log_group_settings(g) for g in self.params["log_groups"]}
        )

    def arn(self, name: str) -> str:
        if name in self.described:
            group = self.described[name]
            return str(group.get("logGroupArn") or group["arn"].removesuffix(":*"))
        partition, account = self.account(
            lambda: [g["arn"] for g in self.described.values()] + [self.key]
        )
        return log_group_arn(partition, self.module.region, account, name)

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        """OWNED: the tier's groups (name -> tags); DESCRIBED: the groups of interest."""
        self.owned: dict[str, dict[str, str]] = {}
        self.described: dict[str, dict[str, Any]] = {}
        try:
            for arn, tags in tagged_resources(self.tagging, self.owner, "logs").items():
                if ":log-group:" in arn:
                    self.owned[arn.split(":log-group:", 1)[1].removesuffix(":*")] = tags
            names = set(self.owned) | set(self.wanted)
            for prefix in listing_prefixes(names):
                for page in self.logs.get_paginator("describe_log_groups").paginate(
                    logGroupNamePrefix=prefix
                ):
                    for group in page["logGroups"]:
                        if group["logGroupName"] in names:
                            self.described[group["logGroupName"]] = group
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the stack's log groups")
        # Owned groups already deleted (the tagging listing lags) are no longer ours to delete.
        self.owned = {n: t for n, t in self.owned.items() if n in self.described}
        unlisted = sorted(n for n in self.wanted if n in self.described and n not in self.owned)
        for name, tags in zip(
            unlisted, self.parallel("read the tags of", self._tags_of, unlisted), strict=True
        ):
            self.owned[name] = tags

    def _tags_of(self, name: str) -> dict[str, str]:
        """The tags of a wanted group missing from the tagging listing; it must be ours."""
        tags = dict(self.logs.list_tags_for_resource(resourceArn=self.arn(name)).get("tags", {}))
        if not owned_by(tags, self.owner):
            raise Refusal(
                f"The log group {name} exists but is not tagged as this stack's tier"
                f" ({self.owner}; it has {tags}): delete it, tag it, or leave it out."
                " Nothing was changed."
            )
        return tags

    # -- plan and apply ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.read()
        creates = sorted(set(self.wanted) - set(self.described))
        updates: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        for name in sorted(set(self.wanted) & set(self.described)):
            changes = log_group_changes(self.described[name], self.wanted[name], self.key)
            retag = tag_changes(self.owned[name], self.tags)
            if changes or retag:
                updates.append((name, changes, retag))
        doomed = sorted(set(self.owned) - set(self.wanted)) if self.purge else []
        holding = {n: int(self.described[n].get("storedBytes") or 0) for n in doomed}
        holding = {n: b for n, b in holding.items() if b}
        if holding and not self.params["allow_delete_nonempty"]:
            listed = ", ".join(f"{n} ({b} bytes)" for n, b in sorted(holding.items()))
            self.refuse(
                f"Refusing to delete log groups that still store log data: {listed}. Export"
                " what must be kept, or set allow_delete_nonempty to delete them with their"
                " events. Nothing was changed."
            )
        self.apply(
            ("create the log group", self._create, creates),
            ("update the log group", self._update, updates),
            ("delete the log group", self._delete, doomed),
        )
        groups = {
            name: {
                "arn": self.arn(name),
                "retention_days": wanted["retention_days"],
                "kms_key_id": self.key if wanted["kms"] else "",
            }
            for name, wanted in sorted(self.wanted.items())
        }
        for name in creates:
            self.after[name] = {**groups[name], "tags": self.tags}
        for name, changes, retag in updates:
            group = self.described[name]
            now = {
                "retention_days": group.get("retentionInDays") or 0,
                "kms_key_id": group.get("kmsKeyId") or "",
            }
            self.before[name] = {k: now[k] for k in changes}
            self.after[name] = dict(changes)
            self.diff_retag(name, self.owned[name], retag)
        self.diff_deleted(doomed)
        changes = {"created": creates, "updated": [u[0] for u in updates], "deleted": doomed}
        return self.result(bool(creates or updates or doomed), changes, log_groups=groups)

    def _create(self, name: str) -> None:
        wanted = self.wanted[name]
        request: dict[str, Any] = {"logGroupName": name, "tags": self.tags}
        if wanted["kms"]:
            request["kmsKeyId"] = self.key
        try:
            self.logs.create_log_group(**request)
        except is_boto3_error_code("ResourceAlreadyExistsException") as e:
            raise Refusal(
                f"The log group {name} was created by someone else during this run"
            ) from e
        if wanted["retention_days"]:
            self.logs.put_retention_policy(
                logGroupName=name, retentionInDays=wanted["retention_days"]
            )

    def _update(self, item: tuple[str, dict[str, Any], dict[str, str]]) -> None:
        name, changes, retag = item
        if "retention_days" in changes:
            if changes["retention_days"]:
                self.logs.put_retention_policy(
                    logGroupName=name, retentionInDays=changes["retention_days"]
                )
            else:
                self.logs.delete_retention_policy(logGroupName=name)
        if "kms_key_id" in changes:
            if changes["kms_key_id"]:
                self.logs.associate_kms_key(logGroupName=name, kmsKeyId=changes["kms_key_id"])
            else:
                self.logs.disassociate_kms_key(logGroupName=name)
        if retag:
            self.logs.tag_resource(resourceArn=self.arn(name), tags=retag)

    def _delete(self, name: str) -> None:
        try:
            self.logs.delete_log_group(logGroupName=name)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass


def main() -> None:
    LogGroups.main()


if __name__ == "__main__":
    main()
