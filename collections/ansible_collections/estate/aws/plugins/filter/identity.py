# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the identity tier.

A statement in the stack data names what it grants by the stack's own names, and the role turns
them into ARNs, so a policy can only reach what the stack defines::

    {sid, effect: Allow, actions: [...],
     buckets: [purpose, ...],        # arn:aws:s3:::<bucket prefix>-<purpose> and .../*
     secrets: [name, ...],           # ...:secretsmanager:<region>:<account>:secret:<stack>/<name>-*
     queues: [name, ...],            # arn:aws:sqs:<region>:<account>:<stack>-<name>
     stack_key: true,                # the stack's KMS key (aws_kms_outputs.key_arn)
     resources: [arn, ...],          # anything else ("*" only for non-data actions); {account},
                                     # {region} and {stack} are replaced
     admin_networks: true,           # Condition IpAddress aws:SourceIp = stack_admin_cidrs
     mfa: true,                      # Condition Bool aws:MultiFactorAuthPresent = true
     conditions: {...}}              # further IAM conditions, verbatim

``estate.aws.identity_errors`` validates the data (no AWS call); ``estate.aws.iam_policy_document``
renders one policy document. Both take a context dict::

    {stack, region, account_id, bucket_prefix, buckets (purposes the stack defines),
     key_arn, admin_cidrs, roles, policies, groups}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ROLES = "aws_identity_roles"
POLICIES = "aws_identity_policies"
GROUPS = "aws_identity_groups"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SERVICE_RE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$")
# Actions that read or write data: they must never be granted on "*".
DATA_ACTIONS = re.compile(
    r"^(s3:(\*|Get|Put|Delete|List|Restore|Abort)"
    r"|secretsmanager:(\*|GetSecretValue|PutSecretValue|DescribeSecret)"
    r"|sqs:(\*|SendMessage|ReceiveMessage|DeleteMessage|ChangeMessageVisibility|GetQueue|Purge)"
    r"|kms:(\*|Decrypt|Encrypt|GenerateDataKey|ReEncrypt)"
    r"|dynamodb:(\*|GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|Batch)"
    r"|\*$)",
    re.IGNORECASE,
)


def _statements_errors(statements: Any, where: str, ctx: Mapping[str, Any]) -> list[str]:
    errors = []
    buckets = [str(b) for b in ctx.get("buckets") or []]
    if not statements:
        return [f"{where}: give at least one statement"]
    for k, st in enumerate(statements):
        at = f"{where}[{k}]"
        actions = st.get("actions") or []
        if not actions:
            errors.append(f"{at}.actions: list the actions the statement grants")
        for bucket in st.get("buckets") or []:
            if str(bucket) not in buckets:
                errors.append(
                    f"{at}.buckets names '{bucket}', which aws_storage_buckets does not define: "
                    f"add it to aws_storage_buckets or use one of {', '.join(buckets) or '(none)'}"
                )
        granted = (
            (st.get("resources") or [])
            + (st.get("buckets") or [])
            + (st.get("secrets") or [])
            + (st.get("queues") or [])
            + (["key"] if st.get("stack_key") else [])
        )
        if not granted:
            errors.append(
                f"{at}: name what the statement applies to "
                "(buckets, secrets, queues, stack_key or resources)"
            )
        data = [a for a in actions if DATA_ACTIONS.match(str(a))]
        if "*" in (st.get("resources") or []) and data and st.get("effect", "Allow") == "Allow":
            errors.append(
                f"{at}.resources is '*' for data actions {data}: scope them with buckets, secrets, "
                "queues or stack_key"
            )
        if st.get("admin_networks") and not ctx.get("admin_cidrs"):
            errors.append(f"{at}.admin_networks needs stack_admin_cidrs: list the admin networks")
    return errors


def identity_errors(ctx: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    stack = str(ctx.get("stack", ""))
    policies = [str(p.get("name", "")) for p in ctx.get("policies") or []]
    for kind, items in (
        (ROLES, ctx.get("roles")),
        (POLICIES, ctx.get("policies")),
        (GROUPS, ctx.get("groups")),
    ):
        seen: set[str] = set()
        for i, item in enumerate(items or []):
            name = str(item.get("name", ""))
            if name in seen:
                errors.append(f"{kind}[{i}].name: duplicate '{name}': give each its own name")
            seen.add(name)
            if not NAME_RE.match(name) or len(f"{stack}-{name}") > 64:
                errors.append(
                    f"{kind}[{i}].name '{name}' must be lowercase letters, digits and '-', and "
                    f"'{stack}-{name}' at most 64 characters"
                )
            for j, ref in enumerate(item.get("policies") or []):
                if str(ref) not in policies:
                    errors.append(
                        f"{kind}[{i}].policies[{j}] names '{ref}', which {POLICIES} does not "
                        "define: add it there or fix the name"
                    )
    for i, role in enumerate(ctx.get("roles") or []):
        for service in role.get("services") or ["ec2.amazonaws.com"]:
            if not SERVICE_RE.match(str(service)):
                errors.append(
                    f"{ROLES}[{i}].services: '{service}' is not a service principal "
                    "(such as ec2.amazonaws.com)"
                )
        if role.get("statements"):
            errors += _statements_errors(role["statements"], f"{ROLES}[{i}].statements", ctx)
    for i, policy in enumerate(ctx.get("policies") or []):
        errors += _statements_errors(policy.get("statements"), f"{POLICIES}[{i}].statements", ctx)
    return errors


def iam_policy_document(
    statements: list[Mapping[str, Any]], ctx: Mapping[str, Any]
) -> dict[str, Any]:
    stack, region, account = ctx["stack"], ctx["region"], ctx.get("account_id") or "*"
    out = []
    for st in statements:
        resources = [
            str(r)
            .replace("{account}", account)
            .replace("{region}", region)
            .replace("{stack}", stack)
            for r in st.get("resources") or []
        ]
        for purpose in st.get("buckets") or []:
            arn = f"arn:aws:s3:::{ctx['bucket_prefix']}-{purpose}"
            resources += [arn, f"{arn}/*"]
        resources += [
            f"arn:aws:secretsmanager:{region}:{account}:secret:{stack}/{name}-*"
            for name in st.get("secrets") or []
        ]
        resources += [
            f"arn:aws:sqs:{region}:{account}:{stack}-{name}" for name in st.get("queues") or []
        ]
        if st.get("stack_key") and ctx.get("key_arn"):
            resources.append(str(ctx["key_arn"]))
        if not resources:
            # Only under --check on a stack whose key does not exist yet.
            continue
        statement: dict[str, Any] = {
            "Effect": st.get("effect", "Allow"),
            "Action": sorted(str(a) for a in st["actions"]),
            "Resource": resources if len(resources) > 1 else resources[0],
        }
        if st.get("sid"):
            statement = {"Sid": str(st["sid"]), **statement}
        condition: dict[str, Any] = {k: dict(v) for k, v in (st.get("conditions") or {}).items()}
        if st.get("admin_networks"):
            condition.setdefault("IpAddress", {})["aws:SourceIp"] = [
                str(c) for c in ctx.get("admin_cidrs") or []
            ]
        if st.get("mfa"):
            condition.setdefault("Bool", {})["aws:MultiFactorAuthPresent"] = "true"
        if condition:
            statement["Condition"] = condition
        out.append(statement)
    return {"Version": "2012-10-17", "Statement": out}


def iam_trust_document(services: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Service": sorted(str(s) for s in services)
                    if len(services) > 1
                    else str(services[0])
                },
                "Action": "sts:AssumeRole",
            }
        ],
    }


def instance_profile_roles(roles: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The roles that get an instance profile: instance_profile true, or unset and EC2 trusted."""
    out = []
    for role in roles or []:
        services = role.get("services") or ["ec2.amazonaws.com"]
        wanted = role.get("instance_profile")
        if wanted is None:
            wanted = "ec2.amazonaws.com" in services
        if wanted:
            out.append(role)
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "identity_errors": identity_errors,
            "iam_policy_document": iam_policy_document,
            "iam_trust_document": iam_trust_document,
            "instance_profile_roles": instance_profile_roles,
        }
