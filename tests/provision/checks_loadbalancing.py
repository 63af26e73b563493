"""Read-back checks of the load-balancing tier (roles/aws_loadbalancing), called by the lifecycle
tests of test_lifecycle.py: certificates, application load balancers, listeners, target groups and
targets, classic ELBs, compared with the stack's data."""

from __future__ import annotations

import ipaddress
from typing import Any

from conftest import Emulator
from support.aws_state import tags_of
from support.stack import stack_vars

LB_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "aws_network_vpc_cidr",
    "aws_network_subnets",
    "aws_loadbalancing_certificates",
    "aws_loadbalancing_target_groups",
    "aws_loadbalancing_albs",
    "aws_loadbalancing_classic",
    "aws_loadbalancing_ssl_policy",
)


def stack_certificates(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    """Name tag -> certificate summary, for the ACM certificates tagged stack=<stack>."""
    acm = emulator.client("acm", region)
    found = {}
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        arn = summary["CertificateArn"]
        tags = tags_of({"Tags": acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]})
        if tags.get("stack") == stack:
            found[tags.get("Name", "")] = {**summary, "Tags": tags}
    return found


def _tagged(client: Any, arns: list[str], stack: str) -> list[str]:
    """The ARNs (elbv2) whose tags say stack=<stack>."""
    ours = []
    for start in range(0, len(arns), 20):
        for desc in client.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            if tags_of(desc).get("stack") == stack:
                ours.append(desc["ResourceArn"])
    return ours


def loadbalancing_leftovers(emulator: Emulator, region: str, stack: str) -> dict[str, list[str]]:
    """Every load-balancing resource still tagged stack=<stack> (for assert_gone)."""
    elbv2 = emulator.client("elbv2", region)
    albs = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    groups = [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    elb = emulator.client("elb", region)
    names = [
        d["LoadBalancerName"] for d in elb.describe_load_balancers()["LoadBalancerDescriptions"]
    ]
    classic = []
    if names:
        for desc in elb.describe_tags(LoadBalancerNames=names[:20])["TagDescriptions"]:
            if tags_of(desc).get("stack") == stack:
                classic.append(desc["LoadBalancerName"])
    return {
        "alb": _tagged(elbv2, albs, stack) if albs else [],
        "target_group": _tagged(elbv2, groups, stack) if groups else [],
        "classic_elb": classic,
        "certificate": list(stack_certificates(emulator, region, stack)),
    }


def check_loadbalancing(emulator: Emulator, stack: str) -> None:
    """Certificates, balancers, listeners, target groups and targets of the stack, read back."""
    data = stack_vars(stack, LB_VARS)
    region, tags = data["stack_region"], data["stack_tags"]
    albs_spec = data["aws_loadbalancing_albs"] or []
    classic_spec = data["aws_loadbalancing_classic"] or []
    groups_spec = data["aws_loadbalancing_target_groups"] or []
    vpc_cidr = ipaddress.ip_network(data["aws_network_vpc_cidr"])

    certs = stack_certificates(emulator, region, stack)
    wanted_certs = {f"{stack}-{c['name']}": c for c in data["aws_loadbalancing_certificates"] or []}
    assert set(certs) == set(wanted_certs), (certs.keys(), wanted_certs.keys())
    acm = emulator.client("acm", region)
    cert_arn = {}
    for name, cert in certs.items():
        assert cert["DomainName"] == wanted_certs[name]["domain"]
        assert tags.items() <= cert["Tags"].items()
        body = acm.get_certificate(CertificateArn=cert["CertificateArn"])
        # Imported self-signed: the chain is the certificate itself (patch acm_imported_chain).
        assert body["CertificateChain"].strip() == body["Certificate"].strip()
        cert_arn[name.removeprefix(f"{stack}-")] = cert["CertificateArn"]

    ec2 = emulator.client("ec2", region)
    subnets = {s["SubnetId"]: tags_of(s) for s in ec2.describe_subnets()["Subnets"]}
    group_names = {
        g["GroupId"]: g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
    }

    elbv2 = emulator.client("elbv2", region)
    if groups_spec:
        groups = {
            g["TargetGroupName"]: g
            for g in elbv2.describe_target_groups(Names=[g["name"] for g in groups_spec])[
                "TargetGroups"
            ]
        }
        for spec in groups_spec:
            group = groups[spec["name"]]
            hc = spec.get("health_check") or {}
            assert group["HealthCheckPath"] == hc.get("path", "/")
            assert group["HealthCheckEnabled"] is not False
            assert group["Port"] == spec["port"]
            assert group["TargetType"] == spec.get("target_type", "instance")
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            targets = {d["Target"]["Id"]: d["Target"] for d in health["TargetHealthDescriptions"]}
            if spec.get("target_type") == "ip":
                assert set(targets) == {t["ip"] for t in spec["targets"]}
                for ip, target in targets.items():
                    # moto 5.2.5 does not echo a target's AvailabilityZone back; AWS does.
                    if "AvailabilityZone" in target:
                        outside = ipaddress.ip_address(ip) not in vpc_cidr
                        assert (target["AvailabilityZone"] == "all") is outside, target

    if albs_spec:
        albs = {
            lb["LoadBalancerName"]: lb
            for lb in elbv2.describe_load_balancers(Names=[a["name"] for a in albs_spec])[
                "LoadBalancers"
            ]
        }
        assert set(_tagged(elbv2, [lb["LoadBalancerArn"] for lb in albs.values()], stack)) == {
            lb["LoadBalancerArn"] for lb in albs.values()
        }
        for spec in albs_spec:
            lb = albs[spec["name"]]
            assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
            tiers = {subnets[az["SubnetId"]].get("tier") for az in lb["AvailabilityZones"]}
            assert tiers == {spec.get("subnet_tier", "public")}, tiers
            assert [group_names[g] for g in lb["SecurityGroups"]] == [spec["security_group"]]
            attrs = {
                a["Key"]: a["Value"]
                for a in elbv2.describe_load_balancer_attributes(
                    LoadBalancerArn=lb["LoadBalancerArn"]
                )["Attributes"]
            }
            assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
            listeners = {
                li["Port"]: li
                for li in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
                    "Listeners"
                ]
            }
            assert set(listeners) == {80, 443}
            https = listeners[443]
            assert https["Protocol"] == "HTTPS"
            assert https["SslPolicy"] == data["aws_loadbalancing_ssl_policy"]
            assert [c["CertificateArn"] for c in https["Certificates"]] == [
                cert_arn[spec["certificate"]]
            ]
            http = listeners[80]["DefaultActions"][0]
            if spec.get("https_redirect", True):
                assert http["Type"] == "redirect"
                assert http["RedirectConfig"]["Protocol"] == "HTTPS"
                assert http["RedirectConfig"]["StatusCode"] == "HTTP_301"
            else:
                assert http["Type"] == "forward"

    if classic_spec:
        elb = emulator.client("elb", region)
        found = {
            d["LoadBalancerName"]: d
            for d in elb.describe_load_balancers(
                LoadBalancerNames=[c["name"] for c in classic_spec]
            )["LoadBalancerDescriptions"]
        }
        for spec in classic_spec:
            desc = found[spec["name"]]
            assert desc["Scheme"] == "internet-facing"
            assert {subnets[s].get("tier") for s in desc["Subnets"]} == {"public"}
            assert [group_names[g] for g in desc["SecurityGroups"]] == [spec["security_group"]]
            (listener,) = [d["Listener"] for d in desc["ListenerDescriptions"]]
            assert listener["Protocol"] == "HTTPS" and listener["LoadBalancerPort"] == 443
            assert listener["SSLCertificateId"] == cert_arn[spec["certificate"]]
            assert listener["InstanceProtocol"] == "HTTP"
            assert desc["HealthCheck"]["Target"].startswith("HTTP:")
