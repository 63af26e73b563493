"""Read-back checks of the tenants tier (roles/aws_tenants), called by the lifecycle tests. The
queues and SES identities are listed through other calls than the module's (ListQueues with
ListQueueTags, SES v2 ListEmailIdentities with ListTagsForResource), so a module that found its
resources wrongly would not hide it."""

from __future__ import annotations

import json
from typing import Any

from checks_dns import stack_zones
from conftest import Emulator
from support.stack import stack_vars

TENANT_VARS = (
    "stack_name",
    "stack_region",
    "aws_tenants_list",
    "aws_tenants_queue_prefix",
    "aws_tenants_queue_defaults",
)


def tenant_data(stack: str) -> dict[str, Any]:
    data = stack_vars(stack, TENANT_VARS)
    # Unset in the inventory: the role's defaults.
    data["aws_tenants_list"] = data["aws_tenants_list"] or []
    data["aws_tenants_queue_prefix"] = (
        data["aws_tenants_queue_prefix"] or f"{data['stack_name']}-tenant-"
    )
    data["aws_tenants_queue_defaults"] = data["aws_tenants_queue_defaults"] or {}
    return data


def stack_queues(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    """Queue name -> {url, tags, attributes} of the queues tagged stack=<stack>."""
    sqs = emulator.client("sqs", region)
    found = {}
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
            if tags.get("stack") == stack:
                attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
                found[url.rsplit("/", 1)[-1]] = {
                    "url": url,
                    "tags": tags,
                    "attributes": attributes["Attributes"],
                }
    return found


def stack_identities(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, str]]:
    """SES identity -> tags, for the identities tagged stack=<stack>."""
    ses = emulator.client("sesv2", region)
    account = emulator.client("sts", region).get_caller_identity()["Account"]
    found = {}
    token: dict[str, str] = {}
    while True:
        page = ses.list_email_identities(PageSize=1000, **token)
        for identity in page["EmailIdentities"]:
            name = identity["IdentityName"]
            arn = f"arn:aws:ses:{region}:{account}:email-identity/{name}"
            listed = ses.list_tags_for_resource(ResourceArn=arn)["Tags"]
            tags = {t["Key"]: t["Value"] for t in listed}
            if tags.get("stack") == stack:
                found[name] = tags
        if not page.get("NextToken"):
            return found
        token = {"NextToken": page["NextToken"]}


def tenants_left(emulator: Emulator, region: str, stack: str) -> dict[str, list[str]]:
    """The stack's tenant queues and SES identities (for assert_gone and stack_resources)."""
    return {
        "sqs_queue": sorted(stack_queues(emulator, region, stack)),
        "ses_identity": sorted(stack_identities(emulator, region, stack)),
    }


def dkim_names(emulator: Emulator, zone_id: str) -> set[str]:
    route53 = emulator.client("route53", "us-east-1")
    names = set()
    for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for rrset in page["ResourceRecordSets"]:
            if "._domainkey." in rrset["Name"]:
                names.add(rrset["Name"].rstrip("."))
    return names


def check_tenants(emulator: Emulator, stack: str) -> None:
    """Exactly the tenants file's queues and identities exist, encrypted, policed and tagged, and
    the DKIM records of domains in the stack's zones are in those zones."""
    data = tenant_data(stack)
    region, prefix = data["stack_region"], data["aws_tenants_queue_prefix"]
    tenants = data["aws_tenants_list"]
    queues = stack_queues(emulator, region, stack)
    wanted_queues = {f"{prefix}{t['name']}": t for t in tenants if t.get("queue")}
    dead_letters = {
        f"{prefix}{t['name']}-dlq"
        for t in tenants
        if isinstance(t.get("queue"), dict) and t["queue"].get("dead_letter") == "own"
    }
    if len(dead_letters) < len(wanted_queues):
        dead_letters.add(f"{prefix}dead-letter")
    assert set(queues) == set(wanted_queues) | dead_letters
    for name, queue in queues.items():
        attributes = queue["attributes"]
        assert attributes["KmsMasterKeyId"] == f"alias/{stack}", name
        [statement] = json.loads(attributes["Policy"])["Statement"]
        assert statement["Effect"] == "Deny" and statement["Resource"] == attributes["QueueArn"]
        assert queue["tags"]["tier"] == "tenants" and queue["tags"]["managed-by"]
        if name in wanted_queues:
            tenant = wanted_queues[name]
            assert queue["tags"]["tenant"] == tenant["name"]
            redrive = json.loads(attributes["RedrivePolicy"])
            target = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1]
            assert target in dead_letters, (name, target)
            settings = {
                **data["aws_tenants_queue_defaults"],
                **(tenant["queue"] if isinstance(tenant["queue"], dict) else {}),
            }
            if "visibility_timeout" in settings:
                assert attributes["VisibilityTimeout"] == str(settings["visibility_timeout"])
            if "message_retention" in settings:
                assert attributes["MessageRetentionPeriod"] == str(settings["message_retention"])

    identities = stack_identities(emulator, region, stack)
    domains = {t["domain"]: t["name"] for t in tenants if t.get("domain") and t.get("mail", True)}
    assert set(identities) == set(domains)
    for domain, tags in identities.items():
        assert tags["tenant"] == domains[domain]
    zones = stack_zones(emulator, stack)
    for zone_name, zone in zones.items():
        in_zone = {d for d in domains if d == zone_name or d.endswith("." + zone_name)}
        found = dkim_names(emulator, zone["Id"].split("/")[-1])
        owners = {name.split("._domainkey.", 1)[1] for name in found}
        assert owners == in_zone, (zone_name, owners, in_zone)
        assert len(found) == 3 * len(in_zone), "three DKIM CNAMEs per domain"
