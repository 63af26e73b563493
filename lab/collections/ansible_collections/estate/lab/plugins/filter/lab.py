# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the local lab (lab/roles/lab): how an emulated load balancer is served by a real one.

``estate.lab.lab_lb_site``::

    {{ alb | estate.lab.lab_lb_site(target_groups, backing) }}

``alb`` is one ``amazon.aws.elb_application_lb_info`` load balancer (listeners and rules
included), ``target_groups`` the ``community.aws.elb_target_group_info`` result with target health
collected, and ``backing`` maps what a target can be (an instance ID, an instance's private
address) to the address of the container that backs it. The result is what the lab's nginx
template renders: one server block per listener and host rule, one upstream per target group with
the backed targets that are registered and not draining. A target nothing backs (a partner host
across a VPN) is listed under ``unbacked`` and never contacted.

``estate.lab.lab_host``, ``lab_containers``, ``lab_addresses``: an instance as a lab host item, a
stack's lab containers of one kind (by their labels), the containers' addresses on the lab network.

``estate.lab.lab_database``: an ``rds_instance_info`` instance as the lab's database item (the
container that serves it, the server kind for its engine, its endpoint and the master secret's
name).

``estate.lab.lab_overlaps``: whether two CIDRs overlap (the lab network and the stack's VPC).

``estate.lab.lab_container_name``: a container name from an AWS name (podman allows
``[a-zA-Z0-9][a-zA-Z0-9_.-]*``). Stdlib only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

# Target states that still receive traffic from an ALB (draining and unused do not).
SERVING = ("healthy", "initial", "unhealthy", "unavailable")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def lab_container_name(name: Any) -> str:
    """``Positive-Prod-Dash-LB`` -> ``positive-prod-dash-lb``: lower case, other characters as -."""
    cleaned = re.sub(r"[^a-z0-9_.-]+", "-", _text(name).lower()).strip("-.")
    return cleaned or "unnamed"


def lab_host(instance: dict[str, Any], prefix: Any = "") -> dict[str, Any]:
    """An ``ec2_instance_info`` instance as the lab's host item (named ``prefix`` + its Name)."""
    tags = instance.get("tags") or {}
    instance_id = _text(instance.get("instance_id"))
    return {
        "name": _text(prefix) + lab_container_name(tags.get("Name") or instance_id),
        "instance_name": _text(tags.get("Name")) or instance_id,
        "instance_id": instance_id,
        "role": _text(tags.get("role")) or "none",
        "private_ip": _text(instance.get("private_ip_address")),
    }


# RDS engines the lab serves, by the server that stands in for them.
DB_SERVERS = {
    "mysql": "mariadb",
    "mariadb": "mariadb",
    "aurora-mysql": "mariadb",
    "postgres": "postgres",
    "aurora-postgresql": "postgres",
}


def lab_database(instance: dict[str, Any], lab_id: Any, name_prefix: Any) -> dict[str, Any]:
    """An ``rds_instance_info`` instance as the lab's database item: container
    ``<lab_id>-db-<id>``, ``server`` (mariadb, postgres; '' for an engine the lab cannot serve),
    endpoint and port, and the aws_database tier's secret ``<name_prefix>/database/<name>`` (for
    the instance ``<name_prefix>-<name>``)."""
    identifier = _text(instance.get("db_instance_identifier"))
    engine = _text(instance.get("engine"))
    endpoint = instance.get("endpoint") or {}
    prefix = _text(name_prefix)
    name = identifier.removeprefix(prefix + "-") if prefix else identifier
    return {
        "identifier": identifier,
        "container": f"{_text(lab_id)}-db-{lab_container_name(identifier)}",
        "engine": engine,
        "server": DB_SERVERS.get(engine, ""),
        "endpoint": _text(endpoint.get("address")),
        "port": int(endpoint.get("port") or (5432 if "postgres" in engine else 3306)),
        "db_name": _text(instance.get("db_name")),
        "master_username": _text(instance.get("master_username")),
        "secret": f"{prefix}/database/{name}",
    }


def lab_containers(
    containers: list[dict[str, Any]], stack: Any, kind: Any = "", emulator: Any = ""
) -> list[dict[str, Any]]:
    """The containers of one stack's lab of one kind (host, lb, db, relay; any when empty), from
    ``podman_container_info``, as {name, instance_id, target}. With ``emulator`` (its port), only
    the containers that back that emulator: a test's teardown against its own emulator leaves a
    developer's lab of the same stack alone."""
    found = []
    for container in containers or []:
        labels = (container.get("Config") or {}).get("Labels") or {}
        if (
            labels.get("estate.lab") == _text(stack)
            and (not kind or labels.get("estate.kind") == _text(kind))
            and (not _text(emulator) or labels.get("estate.emulator") == _text(emulator))
        ):
            found.append(
                {
                    "name": _text(container.get("Name")).lstrip("/"),
                    "instance_id": _text(labels.get("estate.instance-id")),
                    "target": _text(labels.get("estate.target")),
                }
            )
    return sorted(found, key=lambda c: c["name"])


def lab_network_users(containers: list[dict[str, Any]], network: Any) -> list[str]:
    """Names of the containers attached to a network (``podman_container_info``)."""
    return sorted(
        _text(c.get("Name")).lstrip("/")
        for c in containers or []
        if _text(network) in ((c.get("NetworkSettings") or {}).get("Networks") or {})
    )


def lab_addresses(containers: list[dict[str, Any]], network: Any) -> dict[str, str]:
    """{container name: its address on the lab network} of running containers."""
    addresses = {}
    for container in containers or []:
        networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
        address = _text((networks.get(_text(network)) or {}).get("IPAddress"))
        if address and (container.get("State") or {}).get("Running"):
            addresses[_text(container.get("Name")).lstrip("/")] = address
    return addresses


def lab_backing(hosts: list[dict[str, Any]], addresses: dict[str, str]) -> dict[str, str]:
    """What a target can be (an instance ID, an instance's private address) -> the address of
    the container that backs it, for the hosts that have one."""
    backing: dict[str, str] = {}
    for host in hosts or []:
        address = _text((addresses or {}).get(host.get("name")))
        if address:
            backing[_text(host.get("instance_id"))] = address
            if host.get("private_ip"):
                backing[_text(host.get("private_ip"))] = address
    return backing


def lab_with_address(host: dict[str, Any], addresses: dict[str, str]) -> dict[str, Any]:
    """A lab host item with the address of its container ('' when it has none)."""
    return {**host, "address": _text((addresses or {}).get(host.get("name")))}


def lab_lb_summary(site: dict[str, Any], addresses: dict[str, str], stack: Any) -> dict[str, Any]:
    """A load balancer's line of the lab outputs: its container, address and backends."""
    container = f"{_text(stack)}-lb-{site['container']}"
    return {
        "container": container,
        "address": _text((addresses or {}).get(container)),
        "listeners": [listener["port"] for listener in site["listeners"]],
        "backends": sorted(s for u in site["upstreams"] for s in u["servers"]),
        "unbacked": site["unbacked"],
    }


def lab_database_summary(database: dict[str, Any], addresses: dict[str, str]) -> dict[str, Any]:
    """A database's line of the lab outputs (no credential: they stay in Secrets Manager)."""
    return {
        "endpoint": database["endpoint"],
        "port": database["port"],
        "engine": database["engine"],
        "container": database["container"],
        "address": _text((addresses or {}).get(database["container"])),
        "secret": database["secret"],
    }


def _inside(address: Any, subnet: Any) -> bool:
    try:
        return ipaddress.ip_address(_text(address)) in ipaddress.ip_network(
            _text(subnet), strict=False
        )
    except ValueError:
        return False


def lab_outside(hosts: dict[str, Any], subnet: Any) -> list[str]:
    """The hosts ({name: address}) whose address is not in the lab's subnet: the ones a lab play
    must not connect to (an address the emulator made up, or none)."""
    return sorted(name for name, address in (hosts or {}).items() if not _inside(address, subnet))


def lab_overlaps(first: Any, second: Any) -> bool:
    """Whether two CIDRs overlap (False when either is empty or not a CIDR)."""
    try:
        one = ipaddress.ip_network(_text(first), strict=False)
        two = ipaddress.ip_network(_text(second), strict=False)
    except ValueError:
        return False
    return one.version == two.version and one.overlaps(two)  # type: ignore[arg-type]


def _upstream_name(group_name: str) -> str:
    return "tg_" + re.sub(r"[^a-zA-Z0-9_]", "_", group_name)


def _upstream(group: dict[str, Any], backing: dict[str, str]) -> dict[str, Any]:
    servers: list[str] = []
    unbacked: list[str] = []
    for description in group.get("targets_health_description") or []:
        target = description.get("target") or {}
        state = _text((description.get("target_health") or {}).get("state")) or "healthy"
        if state not in SERVING:
            continue
        target_id = _text(target.get("id"))
        port = target.get("port") or group.get("port")
        address = backing.get(target_id)
        if address:
            servers.append(f"{address}:{port}")
        else:
            unbacked.append(f"{target_id}:{port}")
    return {
        "name": _upstream_name(_text(group.get("target_group_name"))),
        "target_group": _text(group.get("target_group_name")),
        "servers": sorted(set(servers)),
        "unbacked": sorted(set(unbacked)),
    }


def _action(actions: list[dict[str, Any]], upstreams: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The first forward/redirect/fixed-response action as {kind, ...}."""
    for action in sorted(actions or [], key=lambda a: a.get("order") or 0):
        kind = _text(action.get("type"))
        if kind == "forward":
            arn = _text(action.get("target_group_arn"))
            if not arn:
                groups = ((action.get("forward_config") or {}).get("target_groups")) or [{}]
                arn = _text(groups[0].get("target_group_arn"))
            upstream = upstreams.get(arn)
            if upstream is None:
                return {"kind": "fixed", "status": 503}
            return {
                "kind": "forward",
                "upstream": upstream["name"],
                "empty": not upstream["servers"],
            }
        if kind == "redirect":
            config = action.get("redirect_config") or {}
            protocol = _text(config.get("protocol")).lower()
            return {
                "kind": "redirect",
                "scheme": protocol if protocol in ("http", "https") else "$scheme",
                "status": int(_text(config.get("status_code") or "HTTP_301").removeprefix("HTTP_")),
            }
        if kind == "fixed-response":
            config = action.get("fixed_response_config") or {}
            return {"kind": "fixed", "status": int(_text(config.get("status_code") or 503))}
    return {"kind": "fixed", "status": 503}


def _hosts(rule: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for condition in rule.get("conditions") or []:
        if condition.get("field") != "host-header":
            continue
        config = condition.get("host_header_config") or {}
        names.extend(_text(v) for v in (config.get("values") or condition.get("values") or []))
    return names


def lab_lb_site(
    alb: dict[str, Any], target_groups: list[dict[str, Any]], backing: dict[str, str]
) -> dict[str, Any]:
    """The nginx site of one emulated ALB (see the module documentation)."""
    upstreams = {
        _text(g.get("target_group_arn")): _upstream(g, backing)
        for g in target_groups
        if alb.get("load_balancer_arn") in (g.get("load_balancer_arns") or [])
    }
    listeners = []
    for listener in sorted(alb.get("listeners") or [], key=lambda item: item.get("port") or 0):
        rules = sorted(
            (r for r in listener.get("rules") or [] if not r.get("is_default")),
            key=lambda r: (
                int(_text(r.get("priority")) or 0) if _text(r.get("priority")).isdigit() else 0
            ),
        )
        listeners.append(
            {
                "port": int(listener.get("port") or 0),
                "tls": _text(listener.get("protocol")) == "HTTPS",
                "default": _action(listener.get("default_actions") or [], upstreams),
                "hosts": [
                    {"names": _hosts(rule), "action": _action(rule.get("actions") or [], upstreams)}
                    for rule in rules
                    if _hosts(rule)
                ],
            }
        )
    return {
        "name": _text(alb.get("load_balancer_name")),
        "container": lab_container_name(alb.get("load_balancer_name")),
        "listeners": listeners,
        "upstreams": sorted(
            (u for u in upstreams.values() if u["servers"]), key=lambda u: u["name"]
        ),
        "unbacked": sorted(t for u in upstreams.values() for t in u["unbacked"]),
    }


class FilterModule:
    """Local-lab filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "lab_lb_site": lab_lb_site,
            "lab_container_name": lab_container_name,
            "lab_overlaps": lab_overlaps,
            "lab_host": lab_host,
            "lab_containers": lab_containers,
            "lab_network_users": lab_network_users,
            "lab_addresses": lab_addresses,
            "lab_with_address": lab_with_address,
            "lab_backing": lab_backing,
            "lab_outside": lab_outside,
            "lab_lb_summary": lab_lb_summary,
            "lab_database": lab_database,
            "lab_database_summary": lab_database_summary,
        }
