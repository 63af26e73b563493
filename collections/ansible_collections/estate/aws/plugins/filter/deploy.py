# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filter ``estate.aws.target_registrations``: where a host is registered behind load balancers.

Usage (playbooks/deploy_app.yml)::

    {{ target_groups | estate.aws.target_registrations([instance_id, private_ip_address]) }}

``target_groups`` is the ``community.aws.elb_target_group_info`` result list with target health
collected (``collect_targets_health: true``); the IDs are what the host can be registered as (its
instance ID for ``instance`` target groups, its private address for ``ip`` ones). The result
lists one registration per target group and target, with what ``community.aws.elb_target``
needs to deregister it and register it again the same way::

    [{target_group_arn, target_group_name, target_id, target_port, target_az, state}]

Targets already leaving (``draining``) or not registered (``unused``) are left out: there is
nothing to take out of service. ``target_az`` is empty unless the registration named one (IP
targets outside the VPC). Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.values import text

LEAVING = frozenset({"draining", "unused"})


def target_registrations(
    target_groups: Iterable[dict[str, Any]], ids: Iterable[Any]
) -> list[dict[str, Any]]:
    wanted = {text(i) for i in ids if text(i)}
    found: list[dict[str, Any]] = []
    for group in target_groups or []:
        for description in group.get("targets_health_description") or []:
            target = description.get("target") or {}
            state = text((description.get("target_health") or {}).get("state"))
            if text(target.get("id")) not in wanted or state in LEAVING:
                continue
            found.append(
                {
                    "target_group_arn": text(group.get("target_group_arn")),
                    "target_group_name": text(group.get("target_group_name")),
                    "target_id": text(target.get("id")),
                    "target_port": int(target.get("port") or group.get("port") or 0),
                    "target_az": text(target.get("availability_zone")),
                    "state": state,
                }
            )
    return sorted(found, key=lambda r: (r["target_group_name"], r["target_id"], r["target_port"]))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"target_registrations": target_registrations}
