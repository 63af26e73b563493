#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_tables
version_added: 0.3.0
short_description: Reconcile all of a stack's DynamoDB tables at once (SSE-KMS, PITR, TTL, streams)
description:
  - Finds the stack's tables by tags (one Resource Groups Tagging API listing), reads each one
    (DescribeTable, DescribeContinuousBackups, DescribeTimeToLive, concurrently), compares them
    with O(tables) and applies only the differences.
  - Every table is encrypted with the stack's KMS key (SSE type KMS), has point-in-time recovery
    unless told otherwise, and optionally a TTL attribute, a stream and deletion protection.
  - Why not C(community.aws.dynamodb_table) - it has no SSE-KMS key option, takes one module run
    per table, and fails against the emulator (moto's DescribeTable lacked C(TableId); the
    project's emulator now returns it).
  - A key schema change cannot be made in place; the run fails naming the table and the field
    (a table is never silently recreated).
  - Tables of the stack (tags C(stack), C(managed-by) when given, and C(tier)) left out of
    O(tables) are deleted (O(purge=true)); a table that holds any item is only deleted with
    O(allow_delete_nonempty=true), checked (Scan with Limit 1) before any change. A table with
    deletion protection that is allowed to go has its protection turned off just before it is
    deleted.
  - A table named in O(tables) that exists without the stack's tags is refused, before any change.
  - DynamoDB takes one kind of change per UpdateTable and the table must be ACTIVE again before
    the next; the module waits in between. AWS allows a billing mode switch once per 24 hours and
    a TTL attribute change (disable, then enable) may be refused within an hour of the last one.
author:
  - aws-estates maintainers
options:
  tables:
    description:
      - The wanted tables. Each has C(name) (the full table name), C(hash_key) (C({name, type})
        with type C(S), C(N) or C(B)), optionally C(range_key) (same shape), C(billing_mode)
        (C(PAY_PER_REQUEST), the default, or C(PROVISIONED) with C(read_capacity) and
        C(write_capacity)), C(point_in_time_recovery) (default true), C(ttl_attribute),
        C(deletion_protection) (default false) and C(stream) (a stream view type -
        C(NEW_IMAGE), C(OLD_IMAGE), C(NEW_AND_OLD_IMAGES) or C(KEYS_ONLY); no stream when
        omitted).
    type: list
    elements: dict
    default: []
  kms_key:
    description:
      - KMS key (ID, ARN or alias) of every table's server-side encryption.
      - Required when O(tables) is not empty.
    type: str
  tags:
    description:
      - Tags of every table. C(stack) is required; the stack's tables are found again by
        C(stack), C(managed-by) (when given) and C(tier). Tags are added or changed, never
        removed.
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag the module adds; tables of another tier are not touched.
    type: str
    default: serverless
  purge:
    description: Delete the stack's tables (of this tier) that O(tables) does not list.
    type: bool
    default: true
  allow_delete_nonempty:
    description:
      - Allow deleting tables that hold items. Otherwise the run fails before any change.
    type: bool
    default: false
  wait:
    description:
      - Wait until created and updated tables are ACTIVE (and deleted ones gone) before
        returning.
      - The module always waits where a next step needs an ACTIVE table (a second UpdateTable,
        point-in-time recovery or TTL of a new table).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for one table.
    type: int
    default: 600
  concurrency:
    description: Parallel API calls for per-table reads and writes.
    type: int
    default: 8
  state:
    description: C(present) reconciles; C(absent) deletes every table of the stack and tier.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tables of the stack
  estate.aws.dynamodb_tables:
    tags: {stack: mobile, env: production, managed-by: ansible-estate}
    kms_key: alias/mobile
    tables:
      - name: mobile-production-sessions
        hash_key: {name: pk, type: S}
        range_key: {name: sk, type: S}
        ttl_attribute: expires_at
        stream: NEW_AND_OLD_IMAGES
        deletion_protection: true
      - name: mobile-production-counters
        hash_key: {name: id, type: S}
        billing_mode: PROVISIONED
        read_capacity: 5
        write_capacity: 5

- name: Tear the tables down (refused while any holds items)
  estate.aws.dynamodb_tables:
    tags: {stack: mobile, managed-by: ansible-estate}
    state: absent
"""

RETURN = r"""
tables:
  description:
    - Per wanted table, its C(arn), C(stream_arn) (null without a stream) and C(status)
      (C(ACTIVE), ...; C(CREATING) for a table that check mode would create).
  returned: always
  type: dict
  sample:
    mobile-production-sessions:
      arn: arn:aws:dynamodb:eu-west-1:123456789012:table/mobile-production-sessions
      stream_arn: null
      status: ACTIVE
deleted:
  description: Names of the tables deleted (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
created:
  description: Names of the tables created (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
updated:
  description: Names of the tables changed in place (settings or tags).
  returned: always
  type: list
  elements: str
"""

from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.dynamodb import (
    after_create_calls,
    changed_fields,
    create_request,
    current_settings,
    key_schema_errors,
    normalise,
    table_errors,
    update_calls,
    wanted_settings,
)
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_changes,
    tag_dict,
    tag_list,
    tagged_resources,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

WAIT_DELAY = 5


class Tables(Reconciler):
    """One reconciliation: read, check, plan, apply (unless in check mode)."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "serverless",
        8,
        tables={"type": "list", "elements": "dict", "default": []},
        kms_key={"type": "str"},
        allow_delete_nonempty={"type": "bool", "default": False},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 600},
    )
    WHAT = "tables"
    INVALID = "Invalid tables"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return table_errors(params["tables"], params["kms_key"])

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.ddb = self.client("dynamodb")
        self.tagging = self.client("resourcegroupstaggingapi")
        self.kms = self.client("kms")
        self.wanted = [] if self.absent else [normalise(t) for t in self.params["tables"]]
        self.created: list[str] = []
        self.updated: list[str] = []
        self.deleted: list[str] = []

    # -- helpers -----------------------------------------------------------------------------
    def wait_for(self, name: str, waiter: str = "table_exists") -> None:
        delay = WAIT_DELAY
        attempts = max(1, self.module.params["wait_timeout"] // delay)
        try:
            self.ddb.get_waiter(waiter).wait(
                TableName=name, WaiterConfig={"Delay": delay, "MaxAttempts": attempts}
            )
        except WaiterError as e:
            self.module.fail_json_aws(e, msg=f"Timed out waiting for the table {name}")

    # -- read --------------------------------------------------------------------------------
    def key_arn(self) -> str:
        key = self.module.params["kms_key"]
        try:
            return str(self.kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
        except is_boto3_error_code("NotFoundException"):
            self.refuse(f"kms_key {key} does not exist in {self.module.region}")
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Unable to describe the KMS key {key}")
        raise AssertionError("unreachable")

    def read(self) -> None:
        """The stack's tables (by tags), and whether each wanted name is free, ours or foreign."""
        self.owned: dict[str, dict[str, str]] = {}
        self.arns: dict[str, str] = {}
        try:
            for arn, tags in tagged_resources(self.tagging, self.owner, "dynamodb:table").items():
                name = arn.split(":table/", 1)[1]
                self.owned[name], self.arns[name] = tags, arn
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the stack's DynamoDB tables")
        # A table just created may be missing from the tagging listing: its own tags decide.
        unlisted = [t["name"] for t in self.wanted if t["name"] not in self.owned]
        foreign = []
        for name, found in zip(
            unlisted, self.parallel("read the table", self._lookup, unlisted), strict=True
        ):
            if found is None:
                continue
            arn, tags = found
            if not owned_by(tags, self.owner):
                foreign.append(name)
            else:
                self.owned[name], self.arns[name] = tags, arn
        if foreign:
            self.refuse(
                f"Refusing to adopt the DynamoDB table(s) {', '.join(foreign)}: they exist but"
                f" are not tagged as this stack's ({self.owner}). Rename the wanted table, or tag"
                " the existing one if it really belongs to the stack. Nothing was changed."
            )

    def _lookup(self, name: str) -> tuple[str, dict[str, str]] | None:
        try:
            arn = self.ddb.describe_table(TableName=name)["Table"]["TableArn"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        tags: dict[str, str] = {}
        for page in self.ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
            tags.update(tag_dict(page.get("Tags")))
        return arn, tags

    def _describe(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(DescribeTable's Table, flat current settings)."""
        table = self.ddb.describe_table(TableName=name)["Table"]
        backups = self.ddb.describe_continuous_backups(TableName=name)
        ttl = self.ddb.describe_time_to_live(TableName=name)
        return table, current_settings(
            table,
            backups.get("ContinuousBackupsDescription", {}),
            ttl.get("TimeToLiveDescription", {}),
        )

    def _holds_items(self, name: str) -> bool:
        return int(self.ddb.scan(TableName=name, Limit=1, Select="COUNT").get("Count", 0)) > 0

    # -- plan and apply ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        kms_arn = self.key_arn() if self.wanted else ""
        self.read()
        wanted_names = [t["name"] for t in self.wanted]
        existing = [n for n in wanted_names if n in self.owned]
        described = dict(
            zip(existing, self.parallel("read the table", self._describe, existing), strict=True)
        )
        errors = [
            error
            for table in self.wanted
            if table["name"] in described
            for error in key_schema_errors(
                table["name"], wanted_settings(table, kms_arn), described[table["name"]][1]
            )
        ]
        if errors:
            self.refuse(" ".join(errors) + " Nothing was changed.", errors=errors)
        doomed = sorted(set(self.owned) - set(wanted_names)) if self.purge else []
        if doomed and not self.params["allow_delete_nonempty"]:
            holding = [
                n
                for n, full in zip(
                    doomed, self.parallel("scan the table", self._holds_items, doomed), strict=True
                )
                if full
            ]
            if holding:
                self.refuse(
                    f"Refusing to delete DynamoDB tables that hold items: {', '.join(holding)}."
                    " Empty them, keep them in tables, or set allow_delete_nonempty to delete them"
                    " with their data. Nothing was changed."
                )
        creates, updates = [], []
        for table in self.wanted:
            name = table["name"]
            after = wanted_settings(table, kms_arn)
            if name not in described:
                creates.append(table)
                self.after[name] = {**after, "tags": self.tags}
                continue
            before = described[name][1]
            fields = changed_fields(after, before)
            new_tags = tag_changes(self.owned[name], self.tags)
            if fields or new_tags:
                updates.append((name, update_calls(after, before), new_tags))
                self.before[name] = {f: before[f] for f in fields}
                self.after[name] = {f: after[f] for f in fields}
                self.diff_retag(name, self.owned[name], new_tags, missing=None)
        self.diff_deleted(doomed)
        self.created = [t["name"] for t in creates]
        self.updated = [u[0] for u in updates]
        self.deleted = doomed
        self.apply(
            ("create the table", lambda t: self._create(t, kms_arn), creates),
            ("update the table", self._update, updates),
            ("delete the table", self._delete, doomed),
        )
        return self.outputs(described)

    def _create(self, table: dict[str, Any], kms_arn: str) -> None:
        name = table["name"]
        self.ddb.create_table(**create_request(table, kms_arn, self.tags))
        calls = after_create_calls(table)
        if calls or self.module.params["wait"]:
            self.wait_for(name)
        for method, kwargs in calls:
            getattr(self.ddb, method)(TableName=name, **kwargs)

    def _update(self, item: tuple[str, list[tuple[str, dict[str, Any]]], dict[str, str]]) -> None:
        name, calls, new_tags = item
        table_updates = 0
        for method, kwargs in calls:
            if method == "update_table":
                if table_updates:
                    self.wait_for(name)
                table_updates += 1
            getattr(self.ddb, method)(TableName=name, **kwargs)
        if new_tags:
            self.ddb.tag_resource(ResourceArn=self.arns[name], Tags=tag_list(new_tags))
        if table_updates and self.module.params["wait"]:
            self.wait_for(name)

    def _delete(self, name: str) -> None:
        try:
            table = self.ddb.describe_table(TableName=name)["Table"]
            if table.get("DeletionProtectionEnabled"):
                self.ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
                self.wait_for(name)
            self.ddb.delete_table(TableName=name)
        except is_boto3_error_code("ResourceNotFoundException"):
            return
        if self.module.params["wait"]:
            self.wait_for(name, "table_not_exists")

    def outputs(
        self, described: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    ) -> dict[str, Any]:
        changed = bool(self.created or self.updated or self.deleted)
        names = [t["name"] for t in self.wanted]
        if changed and not self.module.check_mode:
            fresh = [n for n in names if n in self.created or n in self.updated]
            tables = self.parallel(
                "read the table",
                lambda n: self.ddb.describe_table(TableName=n)["Table"],
                fresh,
            )
            descriptions = {n: d[0] for n, d in described.items()}
            descriptions.update(zip(fresh, tables, strict=True))
        else:
            descriptions = {n: d[0] for n, d in described.items()}
        outputs: dict[str, Any] = {}
        for name in names:
            table = descriptions.get(name)
            if table is None:  # check mode: the table would be created
                outputs[name] = {"arn": None, "stream_arn": None, "status": "CREATING"}
                continue
            stream_on = (table.get("StreamSpecification") or {}).get("StreamEnabled")
            outputs[name] = {
                "arn": table["TableArn"],
                "stream_arn": table.get("LatestStreamArn") if stream_on else None,
                "status": table.get("TableStatus"),
            }
        return self.result(
            changed,
            tables=outputs,
            created=self.created,
            updated=self.updated,
            deleted=self.deleted,
        )


def main() -> None:
    Tables.main()


if __name__ == "__main__":
    main()
