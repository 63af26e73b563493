"""Unit tests of the load-balancing/DNS filters (estate.aws edge.py) and of the change planning of
estate.aws.route53_records (pure functions, no AWS)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from support.source import load_plugin

edge = load_plugin("filter/edge.py")


def _records_module() -> ModuleType:
    # The module imports amazon.aws's module_utils (installed with ansible); only the pure
    # planning functions are used here.
    return load_plugin("modules/route53_records.py")


LB: dict[str, Any] = {
    "certificates": [
        {"name": "web", "domain": "example.org", "alternative_names": ["*.example.org"]}
    ],
    "target_groups": [
        {"name": "partner", "target_type": "ip", "port": 80, "targets": [{"ip": "10.3.61.1"}]},
        {"name": "app", "target_type": "instance", "port": 80, "instance_role": "app"},
    ],
    "albs": [
        {"name": "web", "security_group": "lb", "certificate": "web", "default_target_group": "app"}
    ],
    "classic": [],
    "vpc_cidr": "10.3.63.0/24",
    "ip_target_networks": ["10.3.61.0/24"],
    "security_groups": ["lb"],
}


def test_good_loadbalancing_definition() -> None:
    assert edge.loadbalancing_errors(LB) == []


def test_listener_without_certificate() -> None:
    spec = {**LB, "albs": [{**LB["albs"][0], "certificate": None}]}
    (error,) = edge.loadbalancing_errors(spec)
    assert "HTTPS listener without a certificate" in error and "aws_loadbalancing_albs[0]" in error


def test_ip_target_outside_vpc_and_routes() -> None:
    group = {**LB["target_groups"][0], "targets": [{"ip": "10.3.62.1"}]}
    errors = edge.loadbalancing_errors({**LB, "target_groups": [group, LB["target_groups"][1]]})
    assert any("10.3.62.1 is neither in the VPC" in e for e in errors), errors


def test_unknown_references() -> None:
    alb = {**LB["albs"][0], "default_target_group": "nope", "security_group": "other"}
    errors = edge.loadbalancing_errors({**LB, "albs": [alb]})
    assert any("unknown target group 'nope'" in e for e in errors)
    assert any("unknown security group 'other'" in e for e in errors)


def test_targets_of_groups() -> None:
    outside = edge.target_group_targets(LB["target_groups"][0], "10.3.63.0/24", [])
    assert outside == [{"Id": "10.3.61.1", "Port": 80, "AvailabilityZone": "all"}]
    instances = [
        {"instance_id": "i-2", "tags": {"role": "app"}},
        {"instance_id": "i-1", "tags": {"role": "app"}},
        {"instance_id": "i-3", "tags": {"role": "db"}},
    ]
    assert edge.target_group_targets(LB["target_groups"][1], "10.3.63.0/24", instances) == [
        {"Id": "i-1", "Port": 80},
        {"Id": "i-2", "Port": 80},
    ]


DNS: dict[str, Any] = {
    "zones": [{"name": "example.org"}, {"name": "example.internal", "private": True}],
    "records": [
        {"zone": "example.org", "name": "@", "type": "A", "alias": {"alb": "web"}},
        {"zone": "example.org", "name": "www", "type": "CNAME", "values": ["example.org"]},
        {"zone": "example.internal", "name": "db", "type": "CNAME", "from": "db_out.endpoint"},
    ],
    "albs": ["web"],
    "classic": [],
}


def test_good_dns_definition() -> None:
    assert edge.dns_errors(DNS) == []


def test_record_outside_the_zones_and_bad_type_and_name() -> None:
    records = [
        {"zone": "other.org", "name": "www", "type": "A", "values": ["192.0.2.1"]},
        {"zone": "example.org", "name": "x", "type": "AA", "values": ["192.0.2.1"]},
        {"zone": "example.org", "name": "bad name", "type": "A", "values": ["192.0.2.1"]},
        {"zone": "example.org", "name": "@", "type": "CNAME", "values": ["x.org"]},
    ]
    errors = " | ".join(edge.dns_errors({**DNS, "records": records}))
    assert "zone 'other.org' is not a zone of the stack" in errors
    assert "'bad name' is not a valid record name" in errors
    assert "a CNAME cannot sit at the zone apex" in errors


def test_record_sets_resolve_or_wait() -> None:
    outputs = {
        "aws_loadbalancing_outputs": {"albs": {"web": {"dns_name": "w.elb", "zone_id": "Z1"}}}
    }
    sets = edge.dns_record_sets(DNS["records"], outputs)
    assert [s["name"] for s in sets] == ["example.org", "www.example.org"]
    assert sets[0]["alias"] == {"dns_name": "w.elb", "zone_id": "Z1", "evaluate": False}
    with_db = edge.dns_record_sets(DNS["records"], {**outputs, "db_out": {"endpoint": "db.rds"}})
    assert with_db[-1] == {
        "zone": "example.internal",
        "name": "db.example.internal",
        "type": "CNAME",
        "values": ["db.rds"],
        "ttl": 300,
    }


def test_unresolved_sources_are_named() -> None:
    outputs = {
        "aws_loadbalancing_outputs": {"albs": {"web": {"dns_name": "w.elb", "zone_id": "Z1"}}},
        "aws_compute_outputs": {"private_ips": {"docs": ["10.0.0.5", "10.0.0.6"]}},
    }
    records = [
        {"zone": "example.org", "name": "", "type": "A", "alias": {"alb": "web"}},
        {"zone": "example.org", "name": "api", "type": "A", "alias": {"classic": "api"}},
        {
            "zone": "example.internal",
            "name": "docs",
            "type": "A",
            "from": "aws_compute_outputs.private_ips.docs",
        },
        {
            "zone": "example.internal",
            "name": "dns",
            "type": "A",
            "from": "aws_compute_outputs.private_ips.dns",
        },
        {"zone": "example.internal", "name": "x", "type": "A", "values": ["10.0.0.9"]},
    ]
    assert edge.dns_unresolved(records, outputs) == [
        "example.org api: aws_loadbalancing_outputs.classic.api",
        "example.internal dns: aws_compute_outputs.private_ips.dns",
    ]
    docs = edge.dns_record_sets(records[2:3], outputs)
    assert docs[0]["values"] == ["10.0.0.5", "10.0.0.6"], "a list output is one record set"


def test_route53_plan() -> None:
    records = _records_module()
    apex = "example.org."
    current = [
        {"Name": apex, "Type": "NS", "TTL": 1, "ResourceRecords": [{"Value": "ns"}]},
        {"Name": apex, "Type": "SOA", "TTL": 1, "ResourceRecords": [{"Value": "soa"}]},
        {
            "Name": "www.example.org.",
            "Type": "CNAME",
            "TTL": 300,
            "ResourceRecords": [{"Value": "example.org"}],
        },
        {
            "Name": "old.example.org.",
            "Type": "A",
            "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
    ]
    wanted = [
        records.to_record_set(
            {"name": "www.example.org", "type": "CNAME", "values": ["example.org"]}
        ),
        records.to_record_set({"name": "new.example.org", "type": "A", "values": ["192.0.2.2"]}),
    ]
    changes = records.plan(current, wanted, apex, purge=True)
    assert [(c["Action"], c["ResourceRecordSet"]["Name"]) for c in changes] == [
        ("DELETE", "old.example.org."),
        ("UPSERT", "new.example.org."),
    ]
    assert records.plan(current, wanted, apex, purge=False)[0]["Action"] == "UPSERT"
    emptied = records.plan(current, [], apex, purge=True)
    assert {c["ResourceRecordSet"]["Name"] for c in emptied} == {
        "www.example.org.",
        "old.example.org.",
    }
    kept = records.plan(current, wanted, apex, purge=True, preserve=[r"^old\."])
    assert [c["Action"] for c in kept] == ["UPSERT"], "a preserved record is not purged"
