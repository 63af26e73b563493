"""Read-back checks of the DNS tier (roles/aws_dns), called by the lifecycle tests of
test_lifecycle.py. Records are read with boto3 from the emulator only: no name of a stack is ever
resolved or contacted."""

from __future__ import annotations

from typing import Any

from checks_compute import stack_instances
from checks_database import database_data
from checks_serverless import stack_apis, stack_distributions
from conftest import Emulator
from support.aws_state import ec2_resources, tags_of
from support.stack import stack_vars

DNS_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "aws_dns_zones",
    "aws_dns_records",
)


def stack_zones(emulator: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    """Zone name (no trailing dot) -> hosted zone, for the zones tagged stack=<stack>."""
    route53 = emulator.client("route53", "us-east-1")
    zones = route53.list_hosted_zones()["HostedZones"]
    if not zones:
        return {}
    ids = [z["Id"].split("/")[-1] for z in zones]
    found = {}
    for start in range(0, len(ids), 10):
        tag_sets = route53.list_tags_for_resources(
            ResourceType="hostedzone", ResourceIds=ids[start : start + 10]
        )["ResourceTagSets"]
        for tag_set in tag_sets:
            if tags_of(tag_set).get("stack") == stack:
                zone = next(z for z in zones if z["Id"].endswith(tag_set["ResourceId"]))
                found[zone["Name"].rstrip(".")] = {**zone, "Tags": tags_of(tag_set)}
    return found


def stack_health_checks(emulator: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    route53 = emulator.client("route53", "us-east-1")
    checks = route53.list_health_checks()["HealthChecks"]
    found = {}
    for check in checks:
        tag_sets = route53.list_tags_for_resources(
            ResourceType="healthcheck", ResourceIds=[check["Id"]]
        )["ResourceTagSets"]
        if tags_of(tag_sets[0]).get("stack") == stack:
            found[check["Id"]] = check
    return found


def dns_leftovers(emulator: Emulator, stack: str) -> dict[str, list[str]]:
    """Zones and health checks still tagged stack=<stack> (for assert_gone)."""
    return {
        "hosted_zone": list(stack_zones(emulator, stack)),
        "health_check": list(stack_health_checks(emulator, stack)),
    }


def lb_targets(emulator: Emulator, region: str) -> dict[str, str]:
    """Balancer name -> DNS name, application and classic."""
    names = {
        lb["LoadBalancerName"]: lb["DNSName"]
        for lb in emulator.client("elbv2", region).describe_load_balancers()["LoadBalancers"]
    }
    for desc in emulator.client("elb", region).describe_load_balancers()[
        "LoadBalancerDescriptions"
    ]:
        names[desc["LoadBalancerName"]] = desc["DNSName"]
    return names


def source_values(emulator: Emulator, data: dict[str, Any], source: str) -> list[str]:
    """What a record's `from` path must hold, read back from the resource it names: a load
    balancer's DNS name, a compute group's private addresses or Elastic IP, a database endpoint,
    an API's custom domain target, a CloudFront distribution's domain."""
    region, stack = data["stack_region"], data["stack_name"]
    tier, kind, name, *_ = source.split(".")
    if tier == "aws_loadbalancing_outputs":
        return [lb_targets(emulator, region)[name]]
    if tier == "aws_database_outputs":
        identifier = f"{database_data(stack)['aws_database_name_prefix']}-{name}"
        (db,) = emulator.client("rds", region).describe_db_instances(
            DBInstanceIdentifier=identifier
        )["DBInstances"]
        return [db["Endpoint"]["Address"]]
    if tier == "aws_serverless_outputs":
        api = stack_apis(emulator, region, stack)[f"{stack}-{name}"]
        apigw = emulator.client("apigateway", region)
        domains = [
            d
            for d in apigw.get_domain_names()["items"]
            if any(
                m["restApiId"] == api["id"]
                for m in apigw.get_base_path_mappings(domainName=d["domainName"]).get("items", [])
            )
        ]
        return [d["regionalDomainName"] for d in domains]
    if tier == "aws_cdn_outputs":
        return [
            d["DomainName"]
            for d in stack_distributions(emulator, stack).values()
            if d["DistributionConfig"]["Comment"] == f"{stack}-{name}"
        ]
    group = [
        i
        for i in stack_instances(emulator, region, stack)
        if tags_of(i).get("compute-group") == name
    ]
    if kind == "private_ips":
        return sorted(i["PrivateIpAddress"] for i in group)
    assert (tier, kind) == ("aws_compute_outputs", "eips"), f"no read-back for {source}"
    ids = [i["InstanceId"] for i in group]
    addresses = emulator.client("ec2", region).describe_addresses(
        Filters=[{"Name": "instance-id", "Values": ids}]
    )["Addresses"]
    return [a["PublicIp"] for a in addresses]


def fqdn(name: str, zone: str) -> str:
    return f"{zone}." if name in ("", "@") else f"{name}.{zone}."


def check_dns(emulator: Emulator, stack: str) -> None:
    """Zones (private ones on the stack's VPC), records and failover health checks, read back."""
    data = stack_vars(stack, DNS_VARS)
    region = data["stack_region"]
    zones_spec = data["aws_dns_zones"] or []
    route53 = emulator.client("route53", "us-east-1")
    zones = stack_zones(emulator, stack)
    assert set(zones) == {z["name"] for z in zones_spec}, zones.keys()
    (vpc,) = ec2_resources(emulator, region, "vpc", {"tag:stack": stack})
    balancers = lb_targets(emulator, region)
    checks = stack_health_checks(emulator, stack)
    for spec in zones_spec:
        zone = zones[spec["name"]]
        assert zone["Config"]["PrivateZone"] is bool(spec.get("private", False))
        assert data["stack_tags"].items() <= zone["Tags"].items()
        if spec.get("private"):
            vpcs = route53.get_hosted_zone(Id=zone["Id"])["VPCs"]
            assert [(v["VPCId"], v["VPCRegion"]) for v in vpcs] == [(vpc["VpcId"], region)]
        sets = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        have = {
            (s["Name"], s["Type"], s.get("SetIdentifier", "")): s
            for s in sets
            if not (s["Name"] == zone["Name"] and s["Type"] in ("NS", "SOA"))
            # The tenants tier's DKIM records (checks_tenants.py reads those).
            and "._domainkey." not in s["Name"]
        }
        wanted = [r for r in data["aws_dns_records"] or [] if r["zone"] == spec["name"]]
        expected_keys = set()
        for rec in wanted:
            set_id = rec.get("set_identifier") or str(rec.get("failover", "")).lower()
            record_key = (fqdn(rec["name"], spec["name"]), rec["type"], set_id)
            source = str(rec.get("from", ""))
            expected_keys.add(record_key)
            got = have.get(record_key)
            assert got is not None, f"{record_key} missing from {spec['name']}"
            if rec.get("alias"):
                target = rec["alias"].get("alb") or rec["alias"].get("classic")
                assert got["AliasTarget"]["DNSName"].rstrip(".") == balancers[target].lower()
            elif source:
                values = sorted(v["Value"] for v in got["ResourceRecords"])
                assert values == sorted(source_values(emulator, data, source)), record_key
            else:
                assert [v["Value"] for v in got["ResourceRecords"]] == rec["values"]
            if rec.get("failover"):
                assert got["Failover"] == rec["failover"]
            if rec.get("health_check"):
                check = checks[got["HealthCheckId"]]["HealthCheckConfig"]
                assert check["FullyQualifiedDomainName"] == got["ResourceRecords"][0]["Value"]
                assert check["ResourcePath"] == rec["health_check"]["path"]
        assert set(have) == expected_keys, f"unexpected records in {spec['name']}"
