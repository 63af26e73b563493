"""Filters estate.aws.route_table_plan and subnet_ids_of_tier: a network plan from its data.

Public subnets share one table routed to the internet gateway. Private subnets get one table per
NAT gateway (``per_az``: one per AZ, each routed to its AZ's gateway; ``single``: one table routed
to the only gateway; ``none``: one table with no default route). Database subnets share one table
with no internet route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Route = dict[str, str]
Table = dict[str, Any]


def _names(subnets: Sequence[Mapping[str, Any]], tier: str, az: str | None = None) -> list[str]:
    return [
        str(s["name"]) for s in subnets if s["tier"] == tier and (az is None or str(s["az"]) == az)
    ]


def _default_route(target: str) -> list[Route]:
    return [{"dest": "0.0.0.0/0", "gateway_id": target}] if target else []


def _private_tables(
    subnets: Sequence[Mapping[str, Any]], nat_mode: str, nat_ids: Mapping[str, str]
) -> list[Table]:
    azs = sorted({str(s["az"]) for s in subnets if s["tier"] == "private"})
    if not azs:
        return []
    if nat_mode == "per_az":
        return [
            {
                "name": f"private-{az}",
                "tier": "private",
                "subnets": _names(subnets, "private", az),
                "routes": _default_route(str(nat_ids.get(az, ""))),
            }
            for az in azs
        ]
    nat = next(iter(nat_ids.values()), "") if nat_mode == "single" else ""
    return [
        {
            "name": "private",
            "tier": "private",
            "subnets": _names(subnets, "private"),
            "routes": _default_route(str(nat)),
        }
    ]


def route_table_plan(
    subnets: Sequence[Mapping[str, Any]],
    nat_mode: str,
    igw_id: str,
    nat_ids: Mapping[str, str],
) -> list[Table]:
    """Return [{name, tier, subnets: [subnet names], routes: [{dest, gateway_id}]}]."""
    tables: list[Table] = []
    public = _names(subnets, "public")
    if public:
        tables.append(
            {
                "name": "public",
                "tier": "public",
                "subnets": public,
                "routes": _default_route(str(igw_id)),
            }
        )
    tables.extend(_private_tables(subnets, str(nat_mode), nat_ids))
    database = _names(subnets, "database")
    if database:
        tables.append({"name": "database", "tier": "database", "subnets": database, "routes": []})
    return tables


def subnet_ids_of_tier(
    tier: str, subnets: Sequence[Mapping[str, Any]], ids: Mapping[str, str]
) -> list[str]:
    """IDs of the subnets of one tier, in data order (names looked up in ``ids``)."""
    return [str(ids[name]) for name in _names(subnets, str(tier)) if name in ids]


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"route_table_plan": route_table_plan, "subnet_ids_of_tier": subnet_ids_of_tier}
