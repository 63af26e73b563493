#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tenants
version_added: 0.2.0
short_description: Reconcile every tenant's SQS queue, SES domain identity and DKIM records at once
description:
  - Reads what the stack's tenants own in bulk (one paginated Resource Groups Tagging API listing
    of the queues and SES identities tagged with the stack and C(tier=tenants), one paginated
    queue listing, the queues' attributes read concurrently, DKIM tokens 100 identities a call,
    each Route53 zone listed once), compares it with O(tenants) and applies only the differences.
  - Per tenant, optionally, an SQS queue (SSE-KMS with the stack key, TLS-only policy, long
    polling, a redrive policy to a shared or an own dead-letter queue) and an SES domain identity
    (SES v2, Easy DKIM) whose three DKIM CNAMEs go into the Route53 zone of the domain when one is
    given in O(hosted_zones), or are returned in RV(external_records) for the tenant to publish.
  - Tenants left out of O(tenants) lose their resources (O(purge=true)); a queue that still holds
    messages is only deleted with O(allow_delete_nonempty=true), and the check happens before any
    change. Records are sent in batches within Route53's limits; every client retries throttled
    calls with exponential backoff (botocore's adaptive mode).
  - One module process replaces three module runs per tenant (community.aws.sqs_queue,
    community.aws.ses_identity, amazon.aws.route53); see benchmarks/tenants.
author:
  - aws-estates maintainers
options:
  tenants:
    description:
      - The wanted tenants. Each has C(name) (1-40 lower-case letters, digits, inner hyphens),
        optionally C(domain) (its SES sending domain), C(mail) (default true when C(domain) is
        given) and C(queue) (true, false or a mapping overriding O(queue_defaults)).
    type: list
    elements: dict
    default: []
  tags:
    description:
      - Tags of every resource. C(stack) is required; the stack's resources are found again by
        C(stack), C(managed-by) (when given) and C(tier=tenants), which the module adds.
    type: dict
    required: true
  queue_prefix:
    description:
      - Prefix of every queue name; the tenant name follows.
      - The shared dead-letter queue is C(<prefix>dead-letter).
    type: str
    required: true
  queue_defaults:
    description:
      - Settings of every tenant queue unless the tenant overrides them - C(visibility_timeout),
        C(message_retention), C(receive_wait), C(max_receive_count), C(kms_data_key_reuse)
        (seconds or counts) and C(dead_letter) (C(shared), C(own) or C(none)).
    type: dict
    default: {}
  kms_key:
    description:
      - KMS key (ID, ARN or alias) that encrypts the queues.
      - Required when a tenant has a queue.
    type: str
  hosted_zones:
    description:
      - Route53 zones that may hold tenants' DKIM records, zone name to zone ID.
      - With O(state=absent) and no zones given, the account's public zones are searched.
    type: dict
    default: {}
  purge:
    description: Remove the resources of tenants that O(tenants) no longer lists.
    type: bool
    default: true
  allow_delete_nonempty:
    description:
      - Allow deleting queues that still hold messages.
      - Otherwise the run fails before any change.
    type: bool
    default: false
  concurrency:
    description: Parallel API calls for per-resource reads and writes.
    type: int
    default: 8
  verify_attributes:
    description:
      - Read every existing queue's attributes (one call per queue) and repair any that differ,
        including changes made outside Ansible.
      - With C(false), a queue is compared by its C(config-sha) tag (the digest of the attributes
        this module last set, read in bulk with the tags) and only queues whose wanted attributes
        changed are read or written - fast for thousands of tenants, blind to changes made by
        hand.
    type: bool
    default: true
  state:
    description: C(present) reconciles; C(absent) removes every tenant resource of the stack.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tenants of the stack
  estate.aws.tenants:
    tags: {stack: cubed, env: production, managed-by: ansible-estate}
    queue_prefix: cubed-client-
    kms_key: alias/cubed
    hosted_zones: {withcubed.com: Z0123}
    tenants:
      - {name: acme, queue: true}
      - {name: globex, domain: globex.withcubed.com, queue: {visibility_timeout: 300}}
"""

RETURN = r"""
tenants:
  description:
    - Per tenant, its queue URL and ARN, dead-letter ARN, domain, DKIM status and
      the zone of its records.
  returned: always
  type: dict
changes:
  description: What was (or under check mode would be) created, updated and deleted, by kind.
  returned: always
  type: dict
external_records:
  description:
    - DKIM records of domains in no hosted zone of O(hosted_zones), for their owners to publish.
  returned: always
  type: list
  elements: dict
"""

from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.bulk import Refusal
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_changes,
    tag_filters,
    tag_list,
    tagged_resources,
    tags_before,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from ansible_collections.estate.aws.plugins.module_utils.tenants import (
    CONFIG_TAG,
    QUEUE_LIMITS,
    ROUTE53_BATCH,
    TIER_TAG,
    attribute_changes,
    batches,
    config_digest,
    dkim_records,
    fqdn,
    queue_attributes,
    queue_name,
    queue_settings,
    record_changes,
    shared_dlq_name,
    tenant_errors,
    zone_for,
)
from botocore.exceptions import BotoCoreError, ClientError

DLQ_SETTINGS = {
    "visibility_timeout": 60,
    "message_retention": QUEUE_LIMITS["message_retention"][1],
    "receive_wait": 20,
    "kms_data_key_reuse": 300,
}
MESSAGE_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class Tenants(Reconciler):
    """One reconciliation: read in bulk, plan, apply (unless in check mode)."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        concurrency=8,
        tenants={"type": "list", "elements": "dict", "default": []},
        queue_prefix={"type": "str", "required": True},
        queue_defaults={"type": "dict", "default": {}},
        kms_key={"type": "str"},
        hosted_zones={"type": "dict", "default": {}},
        allow_delete_nonempty={"type": "bool", "default": False},
        verify_attributes={"type": "bool", "default": True},
    )
    WHAT = "tenant resources"
    INVALID = "Invalid tenants"
    TIER = TIER_TAG[1]
    VALIDATED = ("present", "absent")

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return tenant_errors(params["tenants"], params["queue_prefix"], params["queue_defaults"])

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.tagging = self.client("resourcegroupstaggingapi")
        self.sqs = self.client("sqs")
        self.sesv2 = self.client("sesv2")
        self.ses = self.client("ses")
        self.route53 = self.client("route53")
        self.prefix = self.params["queue_prefix"]
        self.wanted_tenants = [] if self.absent else self.params["tenants"]
        self.changes: dict[str, list[str]] = {
            k: []
            for k in (
                "queues_created",
                "queues_updated",
                "queues_deleted",
                "identities_created",
                "identities_deleted",
                "records_upserted",
                "records_deleted",
            )
        }
        self.queue_outputs: dict[str, dict[str, str | None]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def fail(self, error: Exception, msg: str) -> None:
        self.module.fail_json_aws(error, msg=msg)

    def queue_arn(self, name: str) -> str:
        """From an owned queue's ARN (read), else from STS."""
        partition, account = self.account()
        return f"arn:{partition}:sqs:{self.module.region}:{account}:{name}"

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        """What the stack's tenants own now, in bulk."""
        self.owned_queues: dict[str, dict[str, str]] = {}
        self.owned_identities: dict[str, dict[str, str]] = {}
        self.identity_arns: dict[str, str] = {}
        try:
            for arn, tags in tagged_resources(self.tagging, self.owner, "sqs", "ses").items():
                if arn.split(":")[2] == "sqs":
                    self.owned_queues[arn.split(":")[-1]] = tags
                    self._account = (arn.split(":")[1], arn.split(":")[4])
                elif "identity/" in arn:
                    self.owned_identities[arn.split("/", 1)[1]] = tags
                    self.identity_arns[arn.split("/", 1)[1]] = arn
            self.queue_urls: dict[str, str] = {}
            for page in self.sqs.get_paginator("list_queues").paginate(
                QueueNamePrefix=self.prefix, PaginationConfig={"PageSize": 1000}
            ):
                for url in page.get("QueueUrls", []):
                    self.queue_urls[url.rstrip("/").rsplit("/", 1)[-1]] = url
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Unable to list the stack's tenant resources")
        # A queue that was just created may be missing from ListQueues for a while, and queues
        # made under an earlier queue_prefix are not listed by this one: both are still ours.
        for name in set(self.owned_queues) - set(self.queue_urls):
            self.queue_urls[name] = self._queue_url(name)

    def _queue_url(self, name: str) -> str:
        try:
            return str(self.sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except (BotoCoreError, ClientError) as e:
            self.fail(e, f"Unable to find the queue {name}")
            raise

    def _queue_tags(self, name: str) -> dict[str, str]:
        return dict(self.sqs.list_queue_tags(QueueUrl=self.queue_urls[name]).get("Tags", {}))

    def _queue_attributes(self, name: str) -> dict[str, str]:
        response = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[name], AttributeNames=["All"]
        )
        return dict(response.get("Attributes", {}))

    # -- queues ------------------------------------------------------------------------------
    def wanted_queues(self) -> dict[str, tuple[dict[str, Any], str | None, dict[str, str]]]:
        """Queue name -> (settings, dead-letter queue name or None, extra tags), DLQs first."""
        defaults = self.params["queue_defaults"]
        dlqs: dict[str, tuple[dict[str, Any], str | None, dict[str, str]]] = {}
        queues: dict[str, tuple[dict[str, Any], str | None, dict[str, str]]] = {}
        for tenant in self.wanted_tenants:
            settings = queue_settings(tenant, defaults)
            if settings is None:
                continue
            name = queue_name(self.prefix, tenant["name"])
            dlq = None
            if settings["dead_letter"] == "shared":
                dlq = shared_dlq_name(self.prefix)
                dlqs[dlq] = (DLQ_SETTINGS, None, {"purpose": "dead-letter"})
            elif settings["dead_letter"] == "own":
                dlq = f"{name}-dlq"
                dlqs[dlq] = (
                    DLQ_SETTINGS,
                    None,
                    {"purpose": "dead-letter", "tenant": tenant["name"]},
                )
            queues[name] = (settings, dlq, {"purpose": "queue", "tenant": tenant["name"]})
        return {**dlqs, **queues}

    def reconcile_queues(self) -> None:
        wanted = self.wanted_queues()
        if wanted and not self.params["kms_key"]:
            self.refuse("kms_key is required when a tenant has a queue")
        unlisted = [
            n for n in sorted(wanted) if n in self.queue_urls and n not in self.owned_queues
        ]
        # The tagging listing lags behind a queue just created: its own tags decide.
        for name, tags in zip(
            unlisted, self.parallel("read the tags of", self._queue_tags, unlisted), strict=True
        ):
            if not owned_by(tags, self.owner):
                self.refuse(
                    f"The queue {name} exists but is not tagged as this stack's"
                    f" ({tag_filters(self.owner)}): delete it, tag it, or change queue_prefix"
                )
            self.owned_queues[name] = tags
        doomed = sorted(set(self.owned_queues) - set(wanted)) if self.purge else []
        verify = self.params["verify_attributes"]
        to_read = sorted(set(self.owned_queues) & set(wanted)) if verify else []
        if not self.params["allow_delete_nonempty"]:
            to_read += doomed
        state = dict(
            zip(
                to_read,
                self.parallel("read the queue", self._queue_attributes, to_read),
                strict=True,
            )
        )
        self._refuse_nonempty({name: state[name] for name in doomed if name in state})
        creates, updates = [], []
        for name, (settings, dlq, extra) in wanted.items():
            arn = self.queue_arn(name)
            dlq_arn = self.queue_arn(dlq) if dlq else None
            attributes = queue_attributes(settings, self.params["kms_key"], arn, dlq_arn)
            tags = {**self.tags, **extra, CONFIG_TAG: config_digest(attributes)}
            self.queue_outputs[name] = {"queue_arn": arn, "dead_letter_arn": dlq_arn}
            if name not in self.owned_queues:
                creates.append((name, attributes, tags))
                self.after[f"queue {name}"] = attributes
                continue
            # A queue that no longer has a dead-letter queue loses its redrive policy ("" removes
            # it): the wanted attributes cannot say so, they just leave RedrivePolicy out.
            if verify:
                before = state[name]
                changed = attribute_changes(before, attributes)
                if not dlq_arn and before.get("RedrivePolicy"):
                    changed["RedrivePolicy"] = ""
            elif self.owned_queues[name].get(CONFIG_TAG) != tags[CONFIG_TAG]:
                changed, before = dict(attributes), {}
                if not dlq_arn:
                    changed["RedrivePolicy"] = ""
            else:
                changed, before = {}, {}
            retag = tag_changes(self.owned_queues[name], tags)
            if changed or retag:
                updates.append((name, changed, retag))
                self.before[f"queue {name}"] = {
                    **{k: before.get(k, "(not read)" if not verify else "") for k in changed},
                    **{
                        f"tag:{k}": v
                        for k, v in tags_before(self.owned_queues[name], retag).items()
                    },
                }
                self.after[f"queue {name}"] = {
                    **changed,
                    **{f"tag:{k}": v for k, v in retag.items()},
                }
        self.diff_deleted(f"queue {name}" for name in doomed)
        self.changes["queues_created"] = [c[0] for c in creates]
        self.changes["queues_updated"] = [u[0] for u in updates]
        self.changes["queues_deleted"] = doomed
        if self.module.check_mode:
            return
        # Dead-letter queues come first in WANTED: create them before the queues that name them.
        first = [c for c in creates if wanted[c[0]][2].get("purpose") == "dead-letter"]
        self.parallel("create the queue", self._create_queue, first)
        self.parallel(
            "create the queue", self._create_queue, [c for c in creates if c not in first]
        )
        self.parallel("update the queue", self._update_queue, updates)
        # Tenant queues go before the dead-letter queues they drain into.
        last = [d for d in doomed if self.owned_queues[d].get("purpose") == "dead-letter"]
        self.parallel("delete the queue", self._delete_queue, [d for d in doomed if d not in last])
        self.parallel("delete the queue", self._delete_queue, last)

    def _refuse_nonempty(self, doomed: dict[str, dict[str, str]]) -> None:
        holding = {
            name: sum(int(attributes.get(k, 0)) for k in MESSAGE_COUNTS)
            for name, attributes in doomed.items()
        }
        holding = {name: count for name, count in holding.items() if count}
        if holding:
            listed = ", ".join(f"{n} ({c} messages)" for n, c in sorted(holding.items()))
            self.refuse(
                f"Refusing to delete queues that still hold messages: {listed}. Drain them, or"
                " set allow_delete_nonempty (aws_tenants_delete_nonempty_queues) to delete them"
                " with their messages. Nothing was changed."
            )

    def _create_queue(self, item: tuple[str, dict[str, str], dict[str, str]]) -> None:
        name, attributes, tags = item
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"]
        self.queue_urls[name] = url

    def _update_queue(self, item: tuple[str, dict[str, str], dict[str, str]]) -> None:
        name, attributes, tags = item
        if attributes:
            self.sqs.set_queue_attributes(QueueUrl=self.queue_urls[name], Attributes=attributes)
        if tags:
            self.sqs.tag_queue(QueueUrl=self.queue_urls[name], Tags=tags)

    def _delete_queue(self, name: str) -> None:
        try:
            self.sqs.delete_queue(QueueUrl=self.queue_urls[name])
        except is_boto3_error_code("AWS.SimpleQueueService.NonExistentQueue"):
            pass

    # -- SES identities ----------------------------------------------------------------------
    def wanted_domains(self) -> dict[str, str]:
        """Domain -> tenant name, for tenants that send mail."""
        return {
            t["domain"]: t["name"]
            for t in self.wanted_tenants
            if t.get("domain") and t.get("mail", True)
        }

    def reconcile_identities(self) -> None:
        wanted = self.wanted_domains()
        creates = sorted(set(wanted) - set(self.owned_identities))
        retag = sorted(
            d
            for d in set(wanted) & set(self.owned_identities)
            if tag_changes(self.owned_identities[d], {**self.tags, "tenant": wanted[d]})
        )
        self.doomed_domains = sorted(set(self.owned_identities) - set(wanted)) if self.purge else []
        for domain in creates:
            self.after[f"ses {domain}"] = "verifying (DKIM)"
        self.diff_deleted(f"ses {domain}" for domain in self.doomed_domains)
        self.changes["identities_created"] = creates
        self.changes["identities_deleted"] = self.doomed_domains
        if retag:
            self.changes["identities_updated"] = retag
        if not self.module.check_mode:
            self.parallel(
                "create the SES identity", lambda d: self._create_identity(d, wanted[d]), creates
            )
            self.parallel("tag the SES identity", lambda d: self._tag_identity(d, wanted[d]), retag)

    def _create_identity(self, domain: str, tenant: str) -> None:
        try:
            self.sesv2.create_email_identity(
                EmailIdentity=domain, Tags=tag_list({**self.tags, "tenant": tenant})
            )
        except is_boto3_error_code("AlreadyExistsException") as e:
            raise Refusal(
                f"The SES identity {domain} exists but is not tagged as this stack's"
                f" ({tag_filters(self.owner)}): delete it or tag it, then re-run"
            ) from e

    def _tag_identity(self, domain: str, tenant: str) -> None:
        self.sesv2.tag_resource(
            ResourceArn=self.identity_arns[domain], Tags=tag_list({**self.tags, "tenant": tenant})
        )

    def delete_identities(self) -> None:
        if not self.module.check_mode:
            self.parallel("delete the SES identity", self._delete_identity, self.doomed_domains)

    def _delete_identity(self, domain: str) -> None:
        try:
            self.sesv2.delete_email_identity(EmailIdentity=domain)
        except is_boto3_error_code("NotFoundException"):
            pass

    def dkim(self, domains: list[str]) -> dict[str, dict[str, Any]]:
        """Domain -> {DkimTokens, DkimVerificationStatus}, 100 identities a call."""
        found: dict[str, dict[str, Any]] = {}
        chunks = list(batches(domains, 100))

        def read(chunk: list[str]) -> dict[str, Any]:
            return dict(self.ses.get_identity_dkim_attributes(Identities=chunk)["DkimAttributes"])

        for part in self.parallel("read the DKIM tokens of", read, chunks):
            found.update(part)
        return found

    # -- DNS ---------------------------------------------------------------------------------
    def public_zones(self) -> dict[str, str]:
        """Every public hosted zone of the account, name -> id (teardown without hosted_zones)."""
        zones: dict[str, str] = {}
        try:
            for page in self.route53.get_paginator("list_hosted_zones").paginate():
                for zone in page["HostedZones"]:
                    if not zone.get("Config", {}).get("PrivateZone"):
                        zones[zone["Name"].rstrip(".")] = zone["Id"].split("/")[-1]
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Unable to list the hosted zones")
        return zones

    def reconcile_records(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        zones = self.params["hosted_zones"]
        if not zones and self.params["state"] == "absent" and self.owned_identities:
            zones = self.public_zones()
        wanted = self.wanted_domains()
        existing = sorted(
            d for d in wanted if d in self.owned_identities or not self.module.check_mode
        )
        attributes = self.dkim(existing)
        per_zone: dict[str, list[dict[str, Any]]] = {}
        external: list[dict[str, Any]] = []
        status: dict[str, Any] = {}
        for domain in sorted(wanted):
            tokens = attributes.get(domain, {}).get("DkimTokens", [])
            zone = zone_for(domain, zones)
            status[domain] = {
                "dkim_status": attributes.get(domain, {}).get("DkimVerificationStatus", "Pending"),
                "dns_zone": zone,
            }
            records = dkim_records(domain, tokens)
            if zone is None:
                external.extend(
                    {
                        "name": r["Name"],
                        "type": r["Type"],
                        "value": r["ResourceRecords"][0]["Value"],
                    }
                    for r in records
                )
            else:
                per_zone.setdefault(zone, []).extend(records)
        owned = set(wanted) | set(self.owned_identities)
        for zone in sorted({zone_for(d, zones) for d in owned} - {None}):
            assert zone is not None
            self._reconcile_zone(zones[zone], per_zone.get(zone, []), owned)
        return status, external

    def _reconcile_zone(self, zone_id: str, wanted: list[dict[str, Any]], owned: set[str]) -> None:
        current: list[dict[str, Any]] = []
        try:
            for page in self.route53.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=zone_id
            ):
                current.extend(page["ResourceRecordSets"])
        except (BotoCoreError, ClientError) as e:
            self.fail(e, f"Unable to list the records of {zone_id}")
        changes = record_changes(current, wanted, {fqdn(d) for d in owned})
        for change in changes:
            kind = "records_upserted" if change["Action"] == "UPSERT" else "records_deleted"
            self.changes[kind].append(change["ResourceRecordSet"]["Name"])
        if self.module.check_mode:
            return
        for batch in batches(changes, ROUTE53_BATCH):
            try:
                self.route53.change_resource_record_sets(
                    HostedZoneId=zone_id, ChangeBatch={"Comment": "tenants", "Changes": batch}
                )
            except (BotoCoreError, ClientError) as e:
                self.fail(e, f"Unable to change the tenant records of {zone_id}")

    # -- whole run ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.read()
        self.reconcile_queues()
        self.reconcile_identities()
        status, external = self.reconcile_records()
        self.delete_identities()
        tenants: dict[str, Any] = {}
        for tenant in self.wanted_tenants:
            entry: dict[str, Any] = {}
            name = queue_name(self.prefix, tenant["name"])
            if name in self.queue_outputs:
                entry.update(self.queue_outputs[name], queue_url=self.queue_urls.get(name))
            if tenant.get("domain") in status:
                entry.update(domain=tenant["domain"], **status[tenant["domain"]])
            tenants[tenant["name"]] = entry
        return self.result(
            any(self.changes.values()), self.changes, tenants=tenants, external_records=external
        )


def main() -> None:
    Tenants.main()


if __name__ == "__main__":
    main()
