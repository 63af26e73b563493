#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sns_topics
version_added: 0.2.0
short_description: Reconcile a stack's SNS topics, encrypted with KMS, and their subscriptions
description:
  - Finds the stack's topics of a tier by tags (one Resource Groups Tagging API listing),
    creates the missing ones with their KMS key, display name and tags, corrects attributes and
    tags that differ, subscribes and unsubscribes endpoints, and deletes the tier's topics no
    longer wanted.
  - A topic of a wanted name that exists without the stack's tags is never adopted (the run
    fails before any change).
  - A subscription pending confirmation (an e-mail address that has not confirmed yet) has no
    ARN on AWS; it is neither subscribed again nor removed.
  - community.aws.sns_topic cannot set a topic's KMS key (C(KmsMasterKeyId)).
author:
  - aws-estates maintainers
options:
  topics:
    description:
      - Wanted topics. Each has C(name) (letters, digits, hyphens, underscores; no FIFO topics),
        optionally C(display_name) and C(subscriptions) (a list of C({protocol, endpoint})).
    type: list
    elements: dict
    default: []
  kms_key:
    description:
      - KMS key (ID, ARN or alias) that encrypts every topic. Required with O(state=present).
      - Publishers such as CloudWatch alarms need C(kms:Decrypt) and C(kms:GenerateDataKey*)
        on it (the key policy).
    type: str
  tags:
    description:
      - Tags of every topic. C(stack) is required; the stack's topics are found again by
        C(stack), C(managed-by) (when given) and C(tier), which the module adds.
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag; another tier's topics are never touched.
    type: str
    default: monitoring
  purge:
    description: Delete the tier's topics that O(topics) does not list.
    type: bool
    default: true
  state:
    description: C(present) reconciles; C(absent) deletes every topic of the stack's tier.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's alarm topic
  estate.aws.sns_topics:
    kms_key: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags: {stack: cubed, managed-by: ansible-estate}
    topics:
      - name: cubed-alarms
        subscriptions: [{protocol: email, endpoint: ops@example.org}]
"""

RETURN = r"""
topic_arns:
  description: ARN of each wanted topic, by name (also under check mode).
  returned: always
  type: dict
changes:
  description:
    - Topics C(created), C(updated) (attributes or tags) and C(deleted); subscriptions
      C(subscribed) (C(<topic> <protocol>:<endpoint>)) and C(unsubscribed) (ARNs). Empty lists
      are left out.
  returned: always
  type: dict
"""

from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.monitoring import (
    attribute_changes,
    subscription_changes,
    topic_attributes,
    topic_errors,
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


class Topics(Reconciler):
    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "monitoring",
        topics={"type": "list", "elements": "dict", "default": []},
        kms_key={"type": "str"},
    )
    WHAT = "topics"
    INVALID = "Invalid topics"
    SELECTORS = ("tier",)
    SELECTED = "the topics of this run"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        errors = topic_errors(params["topics"])
        if params["topics"] and not params["kms_key"]:
            errors.append("kms_key is required: every topic is encrypted with it")
        return errors

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.sns = self.client("sns")
        self.tagging = self.client("resourcegroupstaggingapi")
        self.wanted = {} if self.absent else {t["name"]: t for t in self.params["topics"]}
        self.changes: dict[str, list[str]] = {
            k: [] for k in ("created", "updated", "deleted", "subscribed", "unsubscribed")
        }

    def read(self) -> None:
        self.owned: dict[str, str] = {}
        self.owned_tags: dict[str, dict[str, str]] = {}
        for arn, tags in tagged_resources(self.tagging, self.owner, "sns").items():
            name = arn.rsplit(":", 1)[-1]
            self.owned[name], self.owned_tags[name] = arn, tags

    def arn(self, name: str) -> str:
        """The topic's ARN, made up for one not listed (from an owned topic's account, else
        from STS: one call, only then)."""
        if name in self.owned:
            return self.owned[name]
        partition, account = self.account(lambda: self.owned.values())
        return f"arn:{partition}:sns:{self.module.region}:{account}:{name}"

    def refuse_foreign(self) -> None:
        """A wanted topic that exists but is not listed as ours: the tagging listing may lag
        behind a topic just made, so its own tags decide; a foreign one fails the run here,
        before any change."""
        for name in sorted(set(self.wanted) - set(self.owned)):
            try:
                self.sns.get_topic_attributes(TopicArn=self.arn(name))
            except is_boto3_error_code("NotFound"):
                continue
            response = self.sns.list_tags_for_resource(ResourceArn=self.arn(name))
            tags = tag_dict(response.get("Tags"))
            if not owned_by(tags, self.owner):
                self.refuse(
                    f"The topic {name} exists but is not tagged as this stack's tier"
                    f" ({self.owner}): delete it, tag it, or choose another name."
                    " Nothing was changed."
                )
            self.owned[name], self.owned_tags[name] = self.arn(name), tags

    def reconcile(self, name: str, topic: dict[str, Any]) -> None:
        attributes = topic_attributes(topic, self.module.params["kms_key"])
        arn = self.arn(name)
        current_subs: list[dict[str, str]] = []
        if name not in self.owned:
            self.changes["created"].append(name)
            self.after[name] = {**attributes, "Tags": self.tags}
            if not self.module.check_mode:
                self.sns.create_topic(Name=name, Attributes=attributes, Tags=tag_list(self.tags))
        else:
            current = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            differing = attribute_changes(current, attributes)
            retag = tag_changes(self.owned_tags[name], self.tags)
            if differing or retag:
                self.changes["updated"].append(name)
                self.before[name] = {k: current.get(k) or "" for k in differing}
                self.after[name] = dict(differing)
                self.diff_retag(name, self.owned_tags[name], retag, "Tags")
            if not self.module.check_mode:
                for key, value in differing.items():
                    self.sns.set_topic_attributes(
                        TopicArn=arn, AttributeName=key, AttributeValue=value
                    )
                if retag:
                    self.sns.tag_resource(ResourceArn=arn, Tags=tag_list(retag))
            for page in self.sns.get_paginator("list_subscriptions_by_topic").paginate(
                TopicArn=arn
            ):
                current_subs.extend(page["Subscriptions"])
        add, remove = subscription_changes(current_subs, topic.get("subscriptions") or [])
        if add or remove:
            self.before.setdefault(name, {})["Subscriptions"] = sorted(
                f"{s['Protocol']}:{s['Endpoint']}" for s in current_subs
            )
            self.after.setdefault(name, {})["Subscriptions"] = sorted(
                f"{s['protocol']}:{s['endpoint']}" for s in topic.get("subscriptions") or []
            )
        self.changes["subscribed"] += [f"{name} {p}:{e}" for p, e in add]
        self.changes["unsubscribed"] += remove
        if not self.module.check_mode:
            for protocol, endpoint in add:
                self.sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
            for sub_arn in remove:
                self.sns.unsubscribe(SubscriptionArn=sub_arn)

    def run(self) -> dict[str, Any]:
        try:
            self.read()
            self.refuse_foreign()
            for name, topic in sorted(self.wanted.items()):
                self.reconcile(name, topic)
            doomed = sorted(set(self.owned) - set(self.wanted)) if self.purge else []
            self.changes["deleted"] = doomed
            self.diff_deleted(doomed)
            for name in doomed:
                if not self.module.check_mode:
                    # Deleting a topic deletes its subscriptions.
                    self.sns.delete_topic(TopicArn=self.owned[name])
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to reconcile the stack's topics")
        topic_arns = {name: self.arn(name) for name in sorted(self.wanted)}
        return self.result(any(self.changes.values()), self.changes, topic_arns=topic_arns)


def main() -> None:
    Topics.main()


if __name__ == "__main__":
    main()
