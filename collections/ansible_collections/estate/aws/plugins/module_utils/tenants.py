# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of the tenants tier, shared by the ``estate.aws.tenants`` module (which does the
AWS calls) and the ``estate.aws.tenant_errors`` filter (which validates a stack's tenants file
before any AWS call): validation, the wanted queue attributes, the DKIM records of a domain, and
the plans that turn what exists into what is wanted. Only the stdlib is used.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

TENANTS = "aws_tenants_list"
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# SQS: a queue name has at most 80 characters of [A-Za-z0-9_-].
QUEUE_NAME_MAX = 80
DEAD_LETTER_MODES = ("shared", "own", "none")
# SQS limits (seconds, counts), checked before any AWS call.
QUEUE_LIMITS = {
    "visibility_timeout": (0, 43200),
    "message_retention": (60, 1209600),
    "receive_wait": (0, 20),
    "max_receive_count": (1, 1000),
    "kms_data_key_reuse": (60, 86400),
}
QUEUE_DEFAULTS: dict[str, Any] = {
    "visibility_timeout": 60,
    "message_retention": 345600,
    "receive_wait": 20,
    "max_receive_count": 5,
    "kms_data_key_reuse": 300,
    "dead_letter": "shared",
}
DKIM_SUFFIX = ".dkim.amazonses.com."
# Route53: at most 1,000 ResourceRecord elements per change batch, an UPSERT counting twice.
ROUTE53_BATCH = 400
TIER_TAG = ("tier", "tenants")
# Tag holding the digest of the attributes the module last set on a queue.
CONFIG_TAG = "config-sha"


def valid_domain(domain: str) -> bool:
    """A lower-case DNS name of at least two labels, 253 characters at most."""
    labels = domain.split(".")
    return (
        len(domain) <= 253
        and len(labels) >= 2
        and all(LABEL_RE.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def tenant_errors(
    tenants: Any, queue_prefix: str = "", defaults: Mapping[str, Any] | None = None
) -> list[str]:
    """Every error in a tenants list, each naming the field and the fix (empty when valid)."""
    if not isinstance(tenants, list):
        return [f"{TENANTS} must be a list of tenants ({{name, domain, queue}}), not {tenants!r}"]
    errors: list[str] = []
    seen_names: set[str] = set()
    seen_domains: dict[str, str] = {}
    for index, tenant in enumerate(tenants):
        where = f"{TENANTS}[{index}]"
        if not isinstance(tenant, Mapping):
            errors.append(f"{where} must be a mapping with a name, not {tenant!r}")
            continue
        unknown = sorted(set(tenant) - {"name", "domain", "queue", "mail"})
        if unknown:
            errors.append(
                f"{where}: unknown field(s) {', '.join(unknown)} (name, domain, queue, mail)"
            )
        name = tenant.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(
                f"{where}.name {name!r} must be 1-40 lower-case letters, digits and inner hyphens"
                " (it names the tenant's queue and tags)"
            )
            continue
        where = f"{TENANTS}[{index}] ({name})"
        if name in seen_names:
            errors.append(f"{where}.name is used twice: tenant names must be unique")
        seen_names.add(name)
        errors.extend(
            _queue_errors(where, tenant.get("queue", False), queue_prefix, name, defaults)
        )
        mail = tenant.get("mail", "domain" in tenant)
        if not isinstance(mail, bool):
            errors.append(f"{where}.mail must be true or false, not {mail!r}")
        domain = tenant.get("domain")
        if domain is None:
            if mail is True:
                errors.append(f"{where}.mail is true but no domain is given: add domain")
            continue
        if not isinstance(domain, str) or not valid_domain(domain):
            errors.append(
                f"{where}.domain {domain!r} is not a lower-case DNS name such as mail.example.org"
            )
            continue
        if domain in seen_domains:
            errors.append(
                f"{where}.domain {domain} is already the domain of {seen_domains[domain]}"
            )
        seen_domains[domain] = name
    return errors


def _queue_errors(
    where: str, queue: Any, prefix: str, name: str, defaults: Mapping[str, Any] | None
) -> list[str]:
    if isinstance(queue, bool):
        settings: Mapping[str, Any] = {}
        if not queue:
            return []
    elif isinstance(queue, Mapping):
        settings = queue
    else:
        return [f"{where}.queue must be true, false or a mapping of queue settings, not {queue!r}"]
    errors = []
    merged = {**QUEUE_DEFAULTS, **(defaults or {}), **settings}
    unknown = sorted(set(settings) - set(QUEUE_DEFAULTS))
    if unknown:
        errors.append(
            f"{where}.queue: unknown setting(s) {', '.join(unknown)} ({', '.join(QUEUE_DEFAULTS)})"
        )
    for field, (low, high) in QUEUE_LIMITS.items():
        value = merged[field]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append(
                f"{where}.queue.{field} {value!r} must be an integer from {low} to {high}"
            )
    if merged["dead_letter"] not in DEAD_LETTER_MODES:
        errors.append(
            f"{where}.queue.dead_letter {merged['dead_letter']!r} must be one of"
            f" {', '.join(DEAD_LETTER_MODES)}"
        )
    longest = queue_name(prefix, name) + ("-dlq" if merged["dead_letter"] == "own" else "")
    if len(longest) > QUEUE_NAME_MAX:
        errors.append(
            f"{where}: the queue name {longest} is longer than SQS's {QUEUE_NAME_MAX} characters:"
            " shorten the tenant name or aws_tenants_queue_prefix"
        )
    return errors


def queue_name(prefix: str, tenant: str) -> str:
    return f"{prefix}{tenant}"


def shared_dlq_name(prefix: str) -> str:
    return f"{prefix}dead-letter"


def queue_settings(tenant: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any] | None:
    """The merged queue settings of a tenant, or None when it has no queue."""
    queue = tenant.get("queue", False)
    if queue is False:
        return None
    return {**QUEUE_DEFAULTS, **defaults, **(queue if isinstance(queue, Mapping) else {})}


def tls_only_policy(queue_arn: str) -> str:
    """A queue policy that denies every request not made over TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


def queue_attributes(
    settings: Mapping[str, Any], kms_key: str, queue_arn: str, dlq_arn: str | None
) -> dict[str, str]:
    """The SQS attributes (strings, as the API speaks them) of a queue with SETTINGS."""
    attributes = {
        "VisibilityTimeout": str(settings["visibility_timeout"]),
        "MessageRetentionPeriod": str(settings["message_retention"]),
        "ReceiveMessageWaitTimeSeconds": str(settings["receive_wait"]),
        "KmsMasterKeyId": kms_key,
        "KmsDataKeyReusePeriodSeconds": str(settings["kms_data_key_reuse"]),
        "Policy": tls_only_policy(queue_arn),
    }
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": int(settings["max_receive_count"])},
            sort_keys=True,
        )
    return attributes


def config_digest(attributes: Mapping[str, str]) -> str:
    """A short, stable digest of a queue's wanted attributes (the value of CONFIG_TAG)."""
    return hashlib.sha256(json.dumps(dict(attributes), sort_keys=True).encode()).hexdigest()[:16]


def _normal(name: str, value: str) -> Any:
    if name in ("Policy", "RedrivePolicy") and value:
        parsed = json.loads(value)
        if name == "RedrivePolicy":
            parsed["maxReceiveCount"] = int(parsed["maxReceiveCount"])
        return parsed
    return value


def attribute_changes(current: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The wanted attributes whose current value differs (JSON attributes compared parsed)."""
    return {
        name: value
        for name, value in wanted.items()
        if name not in current or _normal(name, current[name]) != _normal(name, value)
    }


def fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def dkim_records(domain: str, tokens: Iterable[str]) -> list[dict[str, Any]]:
    """The three Easy DKIM CNAMEs that verify DOMAIN for SES (Route53 record sets)."""
    return [
        {
            "Name": fqdn(f"{token}._domainkey.{domain}"),
            "Type": "CNAME",
            "TTL": 1800,
            "ResourceRecords": [{"Value": f"{token}{DKIM_SUFFIX}"}],
        }
        for token in sorted(tokens)
    ]


def zone_for(domain: str, zones: Mapping[str, str]) -> str | None:
    """The name of the hosted zone (of ZONES, name -> id) that holds DOMAIN: the longest suffix."""
    name = fqdn(domain)
    matches = [z for z in zones if name == fqdn(z) or name.endswith("." + fqdn(z))]
    return max(matches, key=len) if matches else None


def is_dkim_record_of(rrset: Mapping[str, Any], domains: set[str]) -> bool:
    """Whether RRSET is an SES DKIM CNAME of one of DOMAINS (fully qualified names)."""
    name = fqdn(rrset["Name"])
    if rrset.get("Type") != "CNAME" or "._domainkey." not in name:
        return False
    owner = name.split("._domainkey.", 1)[1]
    values = [r["Value"].lower() for r in rrset.get("ResourceRecords", [])]
    return owner in domains and all(fqdn(v).endswith(DKIM_SUFFIX) for v in values)


def record_changes(
    current: Iterable[Mapping[str, Any]],
    wanted: Iterable[dict[str, Any]],
    owned_domains: set[str],
) -> list[dict[str, Any]]:
    """Route53 changes for one zone: UPSERT the wanted DKIM records that differ, DELETE the DKIM
    records of OWNED_DOMAINS (fully qualified) that are no longer wanted. Nothing else is touched.
    """
    have = {(fqdn(r["Name"]), r["Type"]): r for r in current if is_dkim_record_of(r, owned_domains)}
    want = {(fqdn(r["Name"]), r["Type"]): r for r in wanted}
    changes: list[dict[str, Any]] = [
        {"Action": "DELETE", "ResourceRecordSet": dict(rrset)}
        for k, rrset in sorted(have.items())
        if k not in want
    ]
    for k, rrset in sorted(want.items()):
        old = have.get(k)
        if old is None or (
            old.get("TTL") != rrset["TTL"]
            or sorted(fqdn(r["Value"]) for r in old.get("ResourceRecords", []))
            != sorted(fqdn(r["Value"]) for r in rrset["ResourceRecords"])
        ):
            changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    return changes


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
