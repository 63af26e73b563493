#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_failover
version_added: 0.4.0
short_description: Fail a Route53 failover pair over to its SECONDARY, or back
description:
  - Finds the PRIMARY and SECONDARY record sets of O(name) in the public zone O(zone).
  - With O(direction=failover), points the SECONDARY at O(standby_values) (the standby
    region's endpoint) and inverts the PRIMARY's health check, so Route53 answers with the
    SECONDARY whatever the primary's real health.
  - With O(direction=failback), un-inverts the PRIMARY's health check (Route53 answers with the
    PRIMARY again once it is healthy); the SECONDARY keeps pointing at the standby.
author:
  - aws-estates maintainers
options:
  zone:
    description: Public hosted zone name.
    type: str
    required: true
  name:
    description: Record name relative to the zone.
    type: str
    required: true
  type:
    description: Record type of the pair.
    type: str
    default: CNAME
  standby_values:
    description: Values of the SECONDARY after a failover (empty leaves them).
    type: list
    elements: str
    default: []
  standby_from:
    description:
      - Dotted path into O(standby_outputs) whose value is the SECONDARY's after a failover
        (e.g. C(aws_loadbalancing_outputs.albs.api.dns_name)); used when O(standby_values) is
        empty. A path that does not resolve fails the run.
    type: str
    default: ""
  standby_outputs:
    description: The standby region's tier outputs that O(standby_from) is read from.
    type: dict
    default: {}
  direction:
    description: failover or failback.
    type: str
    choices: [failover, failback]
    default: failover
extends_documentation_fragment:
  - amazon.aws.common.modules
"""

EXAMPLES = r"""
- name: Fail api.example.org over to the standby
  estate.aws.route53_failover:
    zone: example.org
    name: api
    standby_values: [standby-alb.eu-west-1.elb.amazonaws.com]
"""

RETURN = r"""
primary:
  description: The PRIMARY record set after the run, with its health check's C(Inverted).
  type: dict
  returned: always
secondary:
  description: The SECONDARY record set after the run.
  type: dict
  returned: always
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def fqdn(name: str, zone: str) -> str:
    zone = zone.rstrip(".") + "."
    return zone if name in ("@", "") else f"{name.rstrip('.')}.{zone}"


def resolve(outputs: dict[str, Any], path: str) -> str:
    """The string at dotted PATH in OUTPUTS ('' when any step is missing)."""
    value: Any = outputs
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "zone": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "type": {"type": "str", "default": "CNAME"},
            "standby_values": {"type": "list", "elements": "str", "default": []},
            "standby_from": {"type": "str", "default": ""},
            "standby_outputs": {"type": "dict", "default": {}},
            "direction": {
                "type": "str",
                "choices": ["failover", "failback"],
                "default": "failover",
            },
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["direction"] == "failover" and not p["standby_values"] and p["standby_from"]:
        value = resolve(p["standby_outputs"], p["standby_from"])
        if not value:
            module.fail_json(msg=f"The standby outputs hold nothing at {p['standby_from']}")
        p["standby_values"] = [value]
    route53 = module.client("route53")
    wanted = fqdn(p["name"], p["zone"]).lower()
    zone_name = p["zone"].rstrip(".").lower() + "."
    zones = route53.list_hosted_zones_by_name(DNSName=zone_name)["HostedZones"]
    public = [z for z in zones if z["Name"] == zone_name and not z["Config"]["PrivateZone"]]
    if not public:
        module.fail_json(msg=f"No public hosted zone {zone_name}")
    zone_id = public[0]["Id"].split("/")[-1]
    sets = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=wanted, StartRecordType=p["type"]
    )["ResourceRecordSets"]
    pair: dict[str, dict[str, Any]] = {
        s["Failover"]: s
        for s in sets
        if s["Name"].lower() == wanted and s["Type"] == p["type"] and s.get("Failover")
    }
    if set(pair) != {"PRIMARY", "SECONDARY"}:
        module.fail_json(msg=f"{wanted} {p['type']} is not a PRIMARY/SECONDARY failover pair")
    primary, secondary = pair["PRIMARY"], pair["SECONDARY"]
    if not primary.get("HealthCheckId"):
        module.fail_json(msg=f"The PRIMARY {wanted} has no health check to invert")
    check = route53.get_health_check(HealthCheckId=primary["HealthCheckId"])["HealthCheck"]
    inverted = bool(check["HealthCheckConfig"].get("Inverted"))
    changed = False
    if p["direction"] == "failover" and p["standby_values"]:
        values = [r["Value"] for r in secondary.get("ResourceRecords", [])]
        if values != p["standby_values"]:
            changed = True
            secondary = {
                **{k: v for k, v in secondary.items() if k != "AliasTarget"},
                "ResourceRecords": [{"Value": v} for v in p["standby_values"]],
            }
            if not module.check_mode:
                route53.change_resource_record_sets(
                    HostedZoneId=zone_id,
                    ChangeBatch={
                        "Comment": "failover to the standby region",
                        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": secondary}],
                    },
                )
    want_inverted = p["direction"] == "failover"
    if inverted != want_inverted:
        changed = True
        if not module.check_mode:
            route53.update_health_check(
                HealthCheckId=primary["HealthCheckId"], Inverted=want_inverted
            )
    module.exit_json(
        changed=changed,
        primary={**primary, "Inverted": want_inverted},
        secondary=secondary,
    )


if __name__ == "__main__":
    main()
