# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Route53 record sets as the dns_server role's zones (a stack's group data, on AWS and in the lab).

``estate.aws.bind_zones``::

    {{ record_sets | estate.aws.bind_zones('ns1.example.internal', private_ip_address) }}

Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def bind_zones(
    record_sets: dict[str, list[dict[str, Any]]], nameserver: Any, nameserver_address: Any
) -> list[dict[str, Any]]:
    """Route53 zones as ``dns_server_zones``: {zone name: its record sets (route53_info,
    snake_case or CamelCase)} -> zones whose
    records are the A, AAAA, CNAME, TXT, MX and SRV sets with values (aliases, SOA and NS are
    Route53's own), served with ``nameserver`` (a name inside the zone is given its address)."""
    zones = []
    for zone_name, sets in sorted((record_sets or {}).items()):
        zone = _text(zone_name).rstrip(".")
        records: list[dict[str, Any]] = []
        for record_set in sets or []:
            kind = _text(record_set.get("type") or record_set.get("Type"))
            if kind not in ("A", "AAAA", "CNAME", "TXT", "MX", "SRV"):
                continue
            name = _text(record_set.get("name") or record_set.get("Name")).rstrip(".")
            name = name.replace("\\052", "*")
            relative = "@" if name == zone else name.removesuffix("." + zone)
            values = record_set.get("resource_records") or record_set.get("ResourceRecords")
            for value in values or []:
                records.append(
                    {
                        "name": relative,
                        "type": kind,
                        "value": _text(value.get("value") or value.get("Value")),
                        "ttl": int(record_set.get("ttl") or record_set.get("TTL") or 300),
                    }
                )
        ns = _text(nameserver).rstrip(".")
        if ns.endswith("." + zone) and not any(
            r["name"] == ns.removesuffix("." + zone) for r in records
        ):
            records.append(
                {
                    "name": ns.removesuffix("." + zone),
                    "type": "A",
                    "value": _text(nameserver_address),
                }
            )
        zones.append({"name": zone, "nameservers": [ns + "."], "records": records})
    return zones


class FilterModule:
    """Route53 to BIND filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"bind_zones": bind_zones}
