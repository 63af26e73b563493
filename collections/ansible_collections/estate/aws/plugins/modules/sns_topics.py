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
  - Finds the stack's topics by tags (one Resource Groups Tagging API listing), creates the
    missing ones with their KMS key, display name and tags, corrects attributes that differ,
    subscribes and unsubscribes endpoints, and deletes the stack's topics no longer wanted.
  - community.aws.sns_topic cannot set a topic's KMS key (C(KmsMasterKeyId)).
author:
  - aws-estates maintainers
options:
  topics:
    description:
      - Wanted topics. Each has C(name), optionally C(display_name) and C(subscriptions)
        (a list of C({protocol, endpoint})).
    type: list
    elements: dict
    default: []
  kms_key:
    description: KMS key (ID, ARN or alias) that encrypts every topic.
    type: str
    required: true
  tags:
    description: Tags of every topic; C(stack) is required and the topics are found by C(stack) and C(managed-by).
    type: dict
    required: true
  purge:
    description: Delete the stack's topics that O(topics) does not list.
    type: bool
    default: true
  state:
    description: C(present) reconciles; C(absent) deletes every topic of the stack.
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
    kms_key: alias/cubed
    tags: {stack: cubed, managed-by: ansible-estate}
    topics:
      - name: cubed-alarms
        subscriptions: [{protocol: email, endpoint: ops@example.org}]
"""

RETURN = r"""
topic_arns:
  description: ARN of each wanted topic, by name (under check mode, only the existing ones).
  returned: always
  type: dict
changes:
  description: Topics created, updated and deleted; subscriptions added and removed.
  returned: always
  type: dict
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.exceptions import BotoCoreError, ClientError


def wanted_attributes(topic: dict[str, Any], kms_key: str) -> dict[str, str]:
    return {"KmsMasterKeyId": kms_key, "DisplayName": topic.get("display_name") or ""}


def subscription_changes(
    current: list[dict[str, str]], wanted: list[dict[str, str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(to subscribe as (protocol, endpoint), subscription ARNs to remove). Pending
    confirmations cannot be removed (AWS gives them no ARN) and are left alone."""
    have = {(s["Protocol"], s["Endpoint"]): s["SubscriptionArn"] for s in current}
    want = {(s["protocol"], s["endpoint"]) for s in wanted}
    add = sorted(want - set(have))
    remove = sorted(arn for key, arn in have.items() if key not in want and arn.startswith("arn:"))
    return add, remove


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "topics": {"type": "list", "elements": "dict", "default": []},
            "kms_key": {"type": "str", "required": True},
            "tags": {"type": "dict", "required": True},
            "purge": {"type": "bool", "default": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    params = module.params
    tags = params["tags"]
    if not tags.get("stack"):
        module.fail_json(msg="tags.stack is required: the stack's topics are found by it")
    sns = module.client("sns")
    tagging = module.client("resourcegroupstaggingapi")
    filters = [{"Key": k, "Values": [tags[k]]} for k in ("stack", "managed-by") if k in tags]
    owned: dict[str, str] = {}
    try:
        for page in tagging.get_paginator("get_resources").paginate(
            TagFilters=filters, ResourceTypeFilters=["sns"]
        ):
            for item in page["ResourceTagMappingList"]:
                owned[item["ResourceARN"].rsplit(":", 1)[-1]] = item["ResourceARN"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Unable to list the stack's topics")
    wanted = {} if params["state"] == "absent" else {t["name"]: t for t in params["topics"]}
    changes: dict[str, list[str]] = {
        "created": [],
        "updated": [],
        "deleted": [],
        "subscribed": [],
        "unsubscribed": [],
    }
    arns: dict[str, str] = {}
    tag_list = [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]
    try:
        for name, topic in sorted(wanted.items()):
            attributes = wanted_attributes(topic, params["kms_key"])
            if name not in owned:
                changes["created"].append(name)
                if module.check_mode:
                    continue
                arns[name] = sns.create_topic(Name=name, Attributes=attributes, Tags=tag_list)[
                    "TopicArn"
                ]
                current_subs: list[dict[str, str]] = []
            else:
                arns[name] = owned[name]
                current = sns.get_topic_attributes(TopicArn=arns[name])["Attributes"]
                differing = {k: v for k, v in attributes.items() if current.get(k, "") != v}
                if differing:
                    changes["updated"].append(name)
                    if not module.check_mode:
                        for key, value in differing.items():
                            sns.set_topic_attributes(
                                TopicArn=arns[name], AttributeName=key, AttributeValue=value
                            )
                current_subs = []
                for page in sns.get_paginator("list_subscriptions_by_topic").paginate(
                    TopicArn=arns[name]
                ):
                    current_subs.extend(page["Subscriptions"])
            add, remove = subscription_changes(current_subs, topic.get("subscriptions") or [])
            changes["subscribed"] += [f"{name} {p}:{e}" for p, e in add]
            changes["unsubscribed"] += remove
            if not module.check_mode:
                for protocol, endpoint in add:
                    sns.subscribe(TopicArn=arns[name], Protocol=protocol, Endpoint=endpoint)
                for arn in remove:
                    sns.unsubscribe(SubscriptionArn=arn)
        doomed = (
            sorted(set(owned) - set(wanted))
            if params["purge"] or params["state"] == "absent"
            else []
        )
        changes["deleted"] = doomed
        if not module.check_mode:
            for name in doomed:
                sns.delete_topic(TopicArn=owned[name])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Unable to reconcile the stack's topics")
    module.exit_json(
        changed=any(changes.values()),
        topic_arns=arns,
        changes={k: v for k, v in changes.items() if v},
    )


if __name__ == "__main__":
    main()
