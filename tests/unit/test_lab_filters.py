"""The local lab's filters (an emulated ALB as an nginx site, containers by label, the address
checks that keep the lab off made-up addresses, Route53 records as BIND zones), the compute
tier's kept tags and the VPC resolver, and the lab's emulator relay over loopback."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from support.source import load_lab_plugin, load_plugin, load_source

lab = load_lab_plugin("filter/lab.py")
bind = load_plugin("filter/bind.py")
deploy_summary = load_plugin("filter/summary.py")
compute = load_plugin("filter/compute.py")
network = load_plugin("filter/network.py")
relay = load_source("lab/roles/lab/files/relay.py")

ALB = "arn:alb/uat"
TG = "arn:tg/uat-web"


def alb(**listener_changes: Any) -> dict[str, Any]:
    https = {
        "port": 443,
        "protocol": "HTTPS",
        "default_actions": [{"type": "forward", "target_group_arn": TG}],
        "rules": [
            {"is_default": True, "priority": "default", "conditions": [], "actions": []},
            {
                "priority": "10",
                "conditions": [{"field": "host-header", "values": ["api.example.test"]}],
                "actions": [
                    {"type": "fixed-response", "fixed_response_config": {"status_code": "418"}}
                ],
            },
        ],
    }
    http = {
        "port": 80,
        "protocol": "HTTP",
        "default_actions": [
            {
                "type": "redirect",
                "redirect_config": {"protocol": "HTTPS", "status_code": "HTTP_301"},
            }
        ],
    }
    https.update(listener_changes)
    return {"load_balancer_arn": ALB, "load_balancer_name": "UAT-LB", "listeners": [https, http]}


def groups(*targets: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "target_group_arn": TG,
            "target_group_name": "uat-web",
            "port": 80,
            "load_balancer_arns": [ALB],
            "targets_health_description": [
                {"target": {"id": target, "port": 80}, "target_health": {"state": state}}
                for target, state in targets
            ],
        }
    ]


def test_alb_becomes_an_nginx_site_with_backed_targets_only() -> None:
    site = lab.lab_lb_site(
        alb(),
        groups(
            ("i-1", "healthy"),
            ("10.3.63.18", "initial"),
            ("i-9", "draining"),
            ("10.3.61.1", "healthy"),
        ),
        {"i-1": "10.89.0.7", "10.3.63.18": "10.89.0.8", "i-9": "10.89.0.9"},
    )
    assert site["container"] == "uat-lb"
    assert site["upstreams"] == [
        {
            "name": "tg_uat_web",
            "target_group": "uat-web",
            "servers": ["10.89.0.7:80", "10.89.0.8:80"],
            "unbacked": ["10.3.61.1:80"],
        }
    ]
    assert site["unbacked"] == ["10.3.61.1:80"]
    http, https = site["listeners"]
    assert http == {
        "port": 80,
        "tls": False,
        "default": {"kind": "redirect", "scheme": "https", "status": 301},
        "hosts": [],
    }
    assert https["tls"] and https["default"] == {
        "kind": "forward",
        "upstream": "tg_uat_web",
        "empty": False,
    }
    assert https["hosts"] == [
        {"names": ["api.example.test"], "action": {"kind": "fixed", "status": 418}}
    ]


def test_a_target_group_with_no_backed_target_answers_503() -> None:
    site = lab.lab_lb_site(alb(), groups(("10.3.61.1", "healthy")), {})
    assert site["upstreams"] == []
    assert site["listeners"][1]["default"] == {
        "kind": "forward",
        "upstream": "tg_uat_web",
        "empty": True,
    }


def test_containers_and_addresses_by_label_and_network() -> None:
    containers = [
        {
            "Name": "t-cubed-docs-1",
            "Config": {
                "Labels": {
                    "estate.lab": "t-cubed",
                    "estate.kind": "host",
                    "estate.instance-id": "i-1",
                    "estate.emulator": "40123",
                }
            },
            "State": {"Running": True},
            "NetworkSettings": {"Networks": {"estate-lab-t-cubed": {"IPAddress": "10.89.3.2"}}},
        },
        {
            "Name": "cubed-docs-1",
            "Config": {"Labels": {"estate.lab": "cubed", "estate.kind": "host"}},
            "State": {"Running": True},
            "NetworkSettings": {"Networks": {"estate-lab-cubed": {"IPAddress": "10.89.0.2"}}},
        },
    ]
    assert lab.lab_containers(containers, "t-cubed", "host") == [
        {"name": "t-cubed-docs-1", "instance_id": "i-1", "target": ""}
    ]
    assert lab.lab_containers(containers, "t-cubed", "lb") == []
    # Only the containers that back the given emulator (a test's teardown spares a dev lab).
    assert [c["name"] for c in lab.lab_containers(containers, "t-cubed", "", 40123)] == [
        "t-cubed-docs-1"
    ]
    assert lab.lab_containers(containers, "t-cubed", "", "5055") == []
    assert lab.lab_containers(containers, "cubed", "host", "40123") == []
    assert lab.lab_network_users(containers, "estate-lab-cubed") == ["cubed-docs-1"]
    assert lab.lab_network_users(containers, "estate-lab-other") == []
    assert lab.lab_addresses(containers, "estate-lab-t-cubed") == {"t-cubed-docs-1": "10.89.3.2"}
    host = lab.lab_host(
        {
            "instance_id": "i-1",
            "private_ip_address": "10.3.63.38",
            "tags": {"Name": "cubed-docs-1", "role": "docs"},
        },
        "t-",
    )
    assert host == {
        "name": "t-cubed-docs-1",
        "instance_name": "cubed-docs-1",
        "instance_id": "i-1",
        "role": "docs",
        "private_ip": "10.3.63.38",
    }
    assert lab.lab_backing([host], {"t-cubed-docs-1": "10.89.3.2"}) == {
        "i-1": "10.89.3.2",
        "10.3.63.38": "10.89.3.2",
    }


@pytest.mark.parametrize(
    ("hosts", "outside"),
    [
        ({"a": "10.89.3.2", "b": "10.89.3.3"}, []),
        ({"a": "10.89.3.2", "b": "10.3.63.38"}, ["b"]),  # an address the emulator made up
        ({"a": ""}, ["a"]),  # no backing container at all
    ],
)
def test_hosts_outside_the_lab_are_named(hosts: dict[str, str], outside: list[str]) -> None:
    assert lab.lab_outside(hosts, "10.89.3.0/24") == outside


def test_lab_network_overlap_with_the_vpc() -> None:
    assert lab.lab_overlaps("10.89.0.0/24", "10.89.0.128/25")
    assert not lab.lab_overlaps("10.89.0.0/24", "10.3.63.0/24")
    assert not lab.lab_overlaps("", "10.3.63.0/24")


def test_route53_record_sets_become_bind_zones() -> None:
    sets = {
        "withcubed.internal.": [
            {
                "name": "withcubed.internal.",
                "type": "SOA",
                "ttl": 900,
                "resource_records": [{"value": "x"}],
            },
            {
                "name": "docs.withcubed.internal.",
                "type": "A",
                "ttl": 60,
                "resource_records": [{"value": "10.3.63.38"}],
            },
            {
                "Name": "www.withcubed.internal.",
                "Type": "CNAME",
                "TTL": 300,
                "ResourceRecords": [{"Value": "docs"}],
            },
            {"name": "lb.withcubed.internal.", "type": "A", "alias_target": {"dns_name": "x.elb"}},
        ]
    }
    zones = bind.bind_zones(sets, "ns1.withcubed.internal", "10.3.63.5")
    assert zones == [
        {
            "name": "withcubed.internal",
            "nameservers": ["ns1.withcubed.internal."],
            "records": [
                {"name": "docs", "type": "A", "value": "10.3.63.38", "ttl": 60},
                {"name": "www", "type": "CNAME", "value": "docs", "ttl": 300},
                {"name": "ns1", "type": "A", "value": "10.3.63.5"},
            ],
        }
    ]


def test_compute_keeps_only_the_tags_under_the_given_prefixes() -> None:
    instances = [
        {"tags": {"Name": "cubed-docs-1", "stack": "cubed", "estate-lab:host": "10.89.0.3"}},
        {"tags": {"Name": "cubed-dns-1", "stack": "cubed"}},
    ]
    assert compute.kept_tags(instances, ["estate-lab:"]) == {
        "cubed-docs-1": {"estate-lab:host": "10.89.0.3"}
    }
    assert compute.kept_tags(instances, []) == {}


def test_vpc_resolver_is_the_base_plus_two() -> None:
    assert network.vpc_resolver("10.3.63.0/24") == "10.3.63.2"


def test_relay_forwards_both_ways_over_loopback() -> None:
    with socket.socket() as upstream:
        upstream.bind(("127.0.0.1", 0))
        upstream.listen()

        def echo() -> None:
            connection, _ = upstream.accept()
            with connection:
                connection.sendall(b"echo:" + connection.recv(100))

        threading.Thread(target=echo, daemon=True).start()
        server = relay.make_server(("127.0.0.1", 0), upstream.getsockname())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with socket.create_connection(server.server_address, timeout=5) as client:
                client.sendall(b"ping")
                client.shutdown(socket.SHUT_WR)
                assert client.recv(100) == b"echo:ping"
        finally:
            server.shutdown()
            server.server_close()


def test_rds_instances_become_lab_databases_without_credentials() -> None:
    mysql = {
        "db_instance_identifier": "akb-portal",
        "engine": "mysql",
        "endpoint": {"address": "akb-portal.x.ap-southeast-2.rds.amazonaws.com", "port": 3306},
        "db_name": "wordpress",
        "master_username": "akbadmin",
    }
    item = lab.lab_database(mysql, "t-akb", "akb")
    assert item == {
        "identifier": "akb-portal",
        "container": "t-akb-db-akb-portal",
        "engine": "mysql",
        "server": "mariadb",
        "endpoint": "akb-portal.x.ap-southeast-2.rds.amazonaws.com",
        "port": 3306,
        "db_name": "wordpress",
        "master_username": "akbadmin",
        "secret": "akb/database/portal",  # pragma: allowlist secret - a secret's name, not a value
    }
    postgres = lab.lab_database({"db_instance_identifier": "m-app", "engine": "postgres"}, "m", "m")
    assert (postgres["server"], postgres["port"], postgres["endpoint"]) == ("postgres", 5432, "")
    assert lab.lab_database({"engine": "sqlserver-ex"}, "x", "x")["server"] == ""
    summary = lab.lab_database_summary(item, {"t-akb-db-akb-portal": "10.89.3.4"})
    assert summary["address"] == "10.89.3.4" and "password" not in summary
    line = deploy_summary.summary_line({"key": "akb-portal", "value": summary}, "database")
    assert line.split()[-2:] == ["10.89.3.4", "(akb-portal.x.ap-southeast-2.rds.amazonaws.com)"]
