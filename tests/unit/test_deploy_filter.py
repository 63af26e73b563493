"""The rolling deploy's registrations filter: which target groups hold a host, and how to put it
back the way it was (port, availability zone)."""

from __future__ import annotations

from typing import Any

from support.source import load_plugin

deploy = load_plugin("filter/deploy.py")


def description(
    target_id: str, state: str, port: int = 80, az: str | None = None
) -> dict[str, Any]:
    target: dict[str, Any] = {"id": target_id, "port": port}
    if az:
        target["availability_zone"] = az
    return {"target": target, "target_health": {"state": state}}


GROUPS = [
    {
        "target_group_arn": "arn:tg/uat-web",
        "target_group_name": "uat-web",
        "port": 80,
        "targets_health_description": [
            description("10.3.63.17", "healthy"),
            description("10.3.63.18", "healthy"),
            description("10.3.63.17", "healthy", port=8080),
        ],
    },
    {
        "target_group_arn": "arn:tg/partner",
        "target_group_name": "partner",
        "port": 80,
        "targets_health_description": [description("10.3.61.1", "healthy", az="all")],
    },
    {
        "target_group_arn": "arn:tg/by-instance",
        "target_group_name": "by-instance",
        "port": 443,
        "targets_health_description": [
            description("i-0abc", "unhealthy", port=443),
            description("i-0def", "draining", port=443),
        ],
    },
]


def test_a_host_is_found_by_address_and_by_instance_id_on_every_port() -> None:
    found = deploy.target_registrations(GROUPS, ["i-0abc", "10.3.63.17"])
    assert [(r["target_group_name"], r["target_id"], r["target_port"]) for r in found] == [
        ("by-instance", "i-0abc", 443),
        ("uat-web", "10.3.63.17", 80),
        ("uat-web", "10.3.63.17", 8080),
    ]
    assert found[0]["target_group_arn"] == "arn:tg/by-instance"
    # An unhealthy target is still in service: it is taken out too.
    assert found[0]["state"] == "unhealthy"


def test_leaving_targets_and_other_hosts_are_left_alone() -> None:
    assert deploy.target_registrations(GROUPS, ["i-0def"]) == []
    assert deploy.target_registrations(GROUPS, ["10.3.63.99", "", None]) == []
    assert deploy.target_registrations([], ["10.3.63.17"]) == []


def test_the_availability_zone_of_a_registration_is_kept() -> None:
    (partner,) = deploy.target_registrations(GROUPS, ["10.3.61.1"])
    assert (partner["target_az"], partner["target_port"]) == ("all", 80)
    (uat,) = deploy.target_registrations(GROUPS, ["10.3.63.18"])
    assert uat["target_az"] == ""
