# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Which resources are a stack's, written once for every module of the collection: the owner tags
(stack, managed-by when given, tier) that a module finds its resources again by, the check that
a resource is ours, tag differences (amazon.aws's compare_aws_tags) and tag lists, the Resource
Groups Tagging API listing of a tier's resources, and the account of ARNs not made yet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

TIER_KEY = "tier"
OWNER_KEYS = ("stack", "managed-by", TIER_KEY)


def owner_tags(tags: Mapping[str, Any], tier: str) -> dict[str, str]:
    """The tags that select a tier's resources of one stack: stack, managed-by (when given)
    and tier."""
    merged = {**{k: str(v) for k, v in tags.items()}, TIER_KEY: tier}
    return {k: merged[k] for k in OWNER_KEYS if merged.get(k)}


def stack_tags(tags: Mapping[str, Any], tier: str) -> dict[str, str]:
    """Every tag a module puts on the resources it makes: TAGS (as text) and the owner tags."""
    return {**{k: str(v) for k, v in tags.items()}, **owner_tags(tags, tier)}


def require_stack(module: Any, what: str) -> None:
    """Fail the run unless the `tags` option names the stack (WHAT: "the stack's WHAT")."""
    if not module.params["tags"].get("stack"):
        module.fail_json(msg=f"tags.stack is required: the stack's {what} are found by it")


def tag_filters(owner: Mapping[str, str]) -> list[dict[str, Any]]:
    """Resource Groups Tagging API TagFilters of OWNER (every key must match)."""
    return [{"Key": k, "Values": [v]} for k, v in owner.items()]


def owned_by(tags: Mapping[str, str] | None, owner: Mapping[str, Any]) -> bool:
    """Whether a resource's TAGS carry every tag of OWNER (its values as text)."""
    return all((tags or {}).get(k) == str(v) for k, v in owner.items())


def tag_changes(current: Mapping[str, str] | None, wanted: Mapping[str, str]) -> dict[str, str]:
    """The wanted tags whose value differs, in WANTED's order (other tags are left alone)."""
    to_set, _ = compare_aws_tags(dict(current or {}), dict(wanted), purge_tags=False)
    return {k: v for k, v in wanted.items() if k in to_set}


def tag_purge(
    current: Mapping[str, str], wanted: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove, sorted) that turn CURRENT into WANTED (aws: tags are AWS's)."""
    _, to_unset = compare_aws_tags(dict(current), dict(wanted), purge_tags=True)
    return tag_changes(current, wanted), sorted(to_unset)


def tags_before(
    current: Mapping[str, str] | None, changes: Iterable[str], missing: str | None = ""
) -> dict[str, str | None]:
    """The current values of the tags CHANGES sets (MISSING for one not set yet): a diff's
    "before" of a retag."""
    return {k: (current or {}).get(k, missing) for k in changes}


def tag_list(
    tags: Mapping[str, str], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """TAGS as an AWS tag list, sorted by key."""
    return list(ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())), key, value))


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """An AWS tag list ({Key, Value} or {key, value}) as a dict."""
    return dict(boto3_tag_list_to_ansible_dict(tags or []))


def tagged_resources(
    tagging: Any, owner: Mapping[str, str], *services: str
) -> dict[str, dict[str, str]]:
    """ARN -> tags of every resource of SERVICES (Resource Groups Tagging API type filters:
    "cloudwatch", "logs", "sns", "dynamodb:table") tagged with every tag of OWNER, paginated."""
    found: dict[str, dict[str, str]] = {}
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=tag_filters(owner), ResourceTypeFilters=list(services), ResourcesPerPage=100
    ):
        for item in page["ResourceTagMappingList"]:
            found[item["ResourceARN"]] = tag_dict(item.get("Tags"))
    return found


def account_of(arns: Iterable[str], sts: Callable[[], Any]) -> tuple[str, str]:
    """(partition, account id) from the first ARN of ARNS, else from STS (STS: a function that
    returns a client, called only when needed)."""
    for arn in arns:
        parts = arn.split(":")
        if len(parts) > 4 and parts[4]:
            return parts[1], parts[4]
    caller = sts().get_caller_identity()["Arn"].split(":")
    return caller[1], caller[4]
