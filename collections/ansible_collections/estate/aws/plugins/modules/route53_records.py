#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_records
version_added: 0.1.0
short_description: Reconcile every record of a Route53 hosted zone in one change batch
description:
  - Reads the zone's record sets once, compares them with O(records) and sends one
    ChangeResourceRecordSets batch (UPSERT what differs, DELETE what is no longer wanted when
    O(purge=true)). The zone apex's NS and SOA records are never touched.
  - amazon.aws.route53 handles one record per module run (2-3 s each here); a stack's zones hold
    dozens of records, so this module does the whole zone in one run.
  - O(state=absent) deletes every record but the apex NS and SOA (before the zone is deleted).
author:
  - aws-estates maintainers
options:
  hosted_zone_id:
    description: ID of the hosted zone.
    type: str
    required: true
  records:
    description:
      - Wanted record sets. Each has C(name) (fully qualified), C(type), and either C(values) and
        C(ttl) or C(alias) (C(dns_name), C(zone_id), C(evaluate)); optionally C(failover)
        (PRIMARY or SECONDARY) with C(set_identifier), and C(health_check_id).
    type: list
    elements: dict
    default: []
  purge:
    description: Delete the zone's record sets that O(records) does not list.
    type: bool
    default: true
  preserve:
    description:
      - Regular expressions (searched in the fully qualified, lower-case record name) of records
        that O(purge) leaves alone because another tool manages them - for instance the tenants'
        DKIM records (C(\._domainkey\.)) that estate.aws.tenants writes into the same zone.
      - A record listed in O(records) is still reconciled. O(state=absent) ignores this.
    type: list
    elements: str
    default: []
  delete_zone:
    description:
      - With O(state=absent), delete the hosted zone itself once it is empty (public or private -
        amazon.aws.route53_zone only finds a private zone by its VPC).
    type: bool
    default: false
  state:
    description: C(present) reconciles; C(absent) empties the zone.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Records of the public zone
  estate.aws.route53_records:
    hosted_zone_id: Z123
    records:
      - {name: www.example.org, type: CNAME, ttl: 300, values: [example.org]}
"""

RETURN = r"""
changes:
  description: The changes sent (or that would be sent under check mode).
  returned: always
  type: list
  elements: dict
zone_deleted:
  description: Whether the hosted zone was (or would be) deleted.
  returned: always
  type: bool
"""

import re
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.exceptions import BotoCoreError, ClientError


def fqdn(name: str) -> str:
    """Route53's form of a name: lower case, trailing dot, '*' unescaped."""
    return name.lower().rstrip(".").replace("\\052", "*") + "."


def to_record_set(record: dict[str, Any]) -> dict[str, Any]:
    """The Route53 ResourceRecordSet of a wanted record."""
    rrset: dict[str, Any] = {"Name": fqdn(record["name"]), "Type": record["type"].upper()}
    if record.get("failover"):
        rrset["Failover"] = record["failover"].upper()
        rrset["SetIdentifier"] = record.get("set_identifier") or record["failover"].lower()
    if record.get("health_check_id"):
        rrset["HealthCheckId"] = record["health_check_id"]
    alias = record.get("alias")
    if alias:
        rrset["AliasTarget"] = {
            "HostedZoneId": alias["zone_id"],
            "DNSName": fqdn(alias["dns_name"]),
            "EvaluateTargetHealth": bool(alias.get("evaluate", False)),
        }
    else:
        rrset["TTL"] = int(record.get("ttl", 300))
        rrset["ResourceRecords"] = [{"Value": str(v)} for v in record["values"]]
    return rrset


def key(rrset: dict[str, Any]) -> tuple[str, str, str]:
    return (fqdn(rrset["Name"]), rrset["Type"], rrset.get("SetIdentifier", ""))


def comparable(rrset: dict[str, Any]) -> dict[str, Any]:
    """A record set in a form where AWS's answer and our wish compare equal."""
    out = {
        k: v
        for k, v in rrset.items()
        if k in ("Type", "TTL", "Failover", "SetIdentifier", "HealthCheckId")
    }
    out["Name"] = fqdn(rrset["Name"])
    if rrset.get("ResourceRecords"):
        out["ResourceRecords"] = sorted(
            r["Value"].rstrip(".").lower() for r in rrset["ResourceRecords"]
        )
    if rrset.get("AliasTarget"):
        target = rrset["AliasTarget"]
        out["AliasTarget"] = (
            target["HostedZoneId"].split("/")[-1],
            fqdn(target["DNSName"]),
            bool(target.get("EvaluateTargetHealth")),
        )
    return out


def plan(
    current: list[dict[str, Any]],
    wanted: list[dict[str, Any]],
    apex: str,
    purge: bool,
    preserve: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The change batch that turns CURRENT into WANTED (apex NS/SOA, and unlisted records whose
    name matches a PRESERVE pattern, left alone)."""
    protected = {(apex, "NS"), (apex, "SOA")}
    kept = [re.compile(p) for p in preserve or []]
    have = {key(r): r for r in current if (fqdn(r["Name"]), r["Type"]) not in protected}
    want = {key(r): r for r in wanted}
    changes = []
    for k, rrset in have.items():
        if k not in want and purge and not any(p.search(k[0]) for p in kept):
            changes.append({"Action": "DELETE", "ResourceRecordSet": rrset})
    for k, rrset in want.items():
        if k not in have or comparable(have[k]) != comparable(rrset):
            changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    return changes


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "hosted_zone_id": {"type": "str", "required": True},
            "records": {"type": "list", "elements": "dict", "default": []},
            "purge": {"type": "bool", "default": True},
            "preserve": {"type": "list", "elements": "str", "default": []},
            "delete_zone": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    client = module.client("route53")
    zone_id = module.params["hosted_zone_id"].split("/")[-1]
    absent = module.params["state"] == "absent"
    try:
        zone = client.get_hosted_zone(Id=zone_id)["HostedZone"]
        current: list[dict[str, Any]] = []
        paginator = client.get_paginator("list_resource_record_sets")
        for page in paginator.paginate(HostedZoneId=zone_id):
            current.extend(page["ResourceRecordSets"])
    except is_boto3_error_code("NoSuchHostedZone"):
        if absent:
            module.exit_json(changed=False, changes=[])
        module.fail_json(msg=f"No hosted zone {zone_id}")
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Unable to read the records of {zone_id}")
    wanted = (
        []
        if module.params["state"] == "absent"
        else [to_record_set(r) for r in module.params["records"]]
    )
    purge = module.params["purge"] or module.params["state"] == "absent"
    preserve = [] if absent else module.params["preserve"]
    changes = plan(current, wanted, fqdn(zone["Name"]), purge, preserve)
    if changes and not module.check_mode:
        try:
            client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
            )
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Unable to change the records of {zone_id}")
    deleted = False
    if absent and module.params["delete_zone"]:
        deleted = True
        if not module.check_mode:
            try:
                client.delete_hosted_zone(Id=zone_id)
            except (BotoCoreError, ClientError) as e:
                module.fail_json_aws(e, msg=f"Unable to delete the hosted zone {zone_id}")
    module.exit_json(changed=bool(changes) or deleted, changes=changes, zone_deleted=deleted)


if __name__ == "__main__":
    main()
