"""Classic ELB: unknown names, the default health check and the description of a VPC balancer.

moto behaviour (5.2.5), each of which breaks ``amazon.aws.elb_classic_lb`` (the "HTTP 500 on
DescribeLoadBalancerAttributes" of docs/platform.md; the module follows AWS, moto is wrong):
- ``ELBBackend.get_load_balancer`` returns ``None`` for an unknown name, so
  DescribeLoadBalancerAttributes, DescribeLoadBalancerPolicies, ConfigureHealthCheck, ... fail
  with ``AttributeError`` (HTTP 500). The module reads the attributes and policies of the balancer
  *before* it creates it (expecting ``LoadBalancerNotFound``), so every first run failed.
- A new balancer has no health check, so DescribeLoadBalancers has no ``HealthCheck`` and the
  module fails with ``KeyError: 'HealthCheck'`` right after creating it.
- A balancer created in subnets reports no ``AvailabilityZones``, its DNS name always says
  ``us-east-1`` and there is no ``CanonicalHostedZoneNameID`` (what a Route53 alias needs).
- A listener's ``InstanceProtocol`` is ignored (the front-end protocol is reported), so an HTTPS
  listener to HTTP instances differs from its definition and the module replaces it every run.
- Every ModifyLoadBalancerAttributes without additional attributes appends another
  ``elb.http.desyncmitigationmode`` entry.

AWS: every action on an unknown name answers ``LoadBalancerNotFound`` (HTTP 400); a new balancer
carries the default health check ``TCP:<first listener's instance port>`` (interval 30 s,
timeout 5 s, unhealthy 2, healthy 10); the zones are those of its subnets; its DNS name is in its
own region and it has the region's ELB hosted zone ID.

Fix: ``get_load_balancer`` raises ``LoadBalancerNotFoundError`` for an unknown name (callers that
tested for ``None`` raised that same error already; DeleteLoadBalancer does not use it and stays
silent for an unknown name, as on AWS); ``create_load_balancer`` fills in the default health
check, the subnets' zones and the region's DNS name; the model answers
``CanonicalHostedZoneNameID`` from AWS's published table of ELB zone IDs; listeners keep the
``InstanceProtocol`` they were created with; additional attributes hold each key once.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.elb.exceptions import LoadBalancerNotFoundError
from moto.elb.models import ELBBackend, FakeHealthCheck, FakeListener, LoadBalancer

_MARK = "_estate_elb_classic_not_found_patched"

# Route53 hosted zone IDs of classic load balancers (AWS "Elastic Load Balancing endpoints").
ELB_ZONE_IDS = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8",
    "eu-central-1": "Z215JYRZR1TBD5",
    "ap-southeast-1": "Z1LMS91P8CMLE5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65",
}


def _zone_id(self: LoadBalancer) -> str:
    region = self.dns_name.split(".")[-4]
    return ELB_ZONE_IDS.get(region, "Z35SXDOTRQ7X7K")


def _instance_protocol(self: FakeListener) -> str:
    return str(getattr(self, "_estate_instance_protocol", None) or self.protocol)


def _keep_instance_protocols(balancer: Any, ports: list[dict[str, Any]]) -> None:
    wanted = {
        str(p.get("LoadBalancerPort", p.get("load_balancer_port"))): p.get(
            "InstanceProtocol", p.get("instance_protocol")
        )
        for p in ports
    }
    for listener in balancer.listeners:
        protocol = wanted.get(str(listener.load_balancer_port))
        if protocol and not getattr(listener, "_estate_instance_protocol", None):
            listener._estate_instance_protocol = str(protocol).upper()


def apply() -> None:
    if getattr(ELBBackend, _MARK, False):
        return
    original_get = ELBBackend.get_load_balancer
    original_create = ELBBackend.create_load_balancer
    original_listeners = ELBBackend.create_load_balancer_listeners
    original_modify = ELBBackend.modify_load_balancer_attributes

    def create_load_balancer_listeners(
        self: ELBBackend, name: str, ports: list[dict[str, Any]]
    ) -> Any:
        balancer = original_listeners(self, name, ports)
        if balancer is not None:
            _keep_instance_protocols(balancer, ports)
        return balancer

    def modify_load_balancer_attributes(
        self: ELBBackend, load_balancer_name: str, *args: Any, **kwargs: Any
    ) -> None:
        original_modify(self, load_balancer_name, *args, **kwargs)
        attributes = self.get_load_balancer(load_balancer_name).attributes
        attributes["additional_attributes"] = list(
            dict(attributes.get("additional_attributes") or []).items()
        )

    def get_load_balancer(self: ELBBackend, load_balancer_name: str) -> Any:
        balancer = original_get(self, load_balancer_name)
        if balancer is None:
            raise LoadBalancerNotFoundError(load_balancer_name)
        return balancer

    def create_load_balancer(self: ELBBackend, *args: Any, **kwargs: Any) -> LoadBalancer:
        balancer = original_create(self, *args, **kwargs)
        ports = kwargs.get("ports", args[2] if len(args) > 2 else [])
        _keep_instance_protocols(balancer, ports or [])
        balancer.dns_name = f"{balancer.name}.{self.region_name}.elb.amazonaws.com"
        if balancer.health_check is None and balancer.listeners:
            port = balancer.listeners[0].instance_port
            balancer.health_check = FakeHealthCheck(
                timeout="5",
                healthy_threshold="10",
                unhealthy_threshold="2",
                interval="30",
                target=f"TCP:{port}",
            )
        if not balancer.availability_zones and balancer.subnets:
            ec2 = ec2_backends[self.account_id][self.region_name]
            balancer.availability_zones = sorted(
                {ec2.get_subnet(s).availability_zone for s in balancer.subnets}
            )
        return balancer

    ELBBackend.get_load_balancer = get_load_balancer  # type: ignore[method-assign]
    ELBBackend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]
    ELBBackend.create_load_balancer_listeners = create_load_balancer_listeners  # type: ignore[method-assign]
    ELBBackend.modify_load_balancer_attributes = modify_load_balancer_attributes  # type: ignore[method-assign]
    FakeListener.instance_protocol = property(_instance_protocol)  # type: ignore[assignment,method-assign]
    LoadBalancer.canonical_hosted_zone_name_id = property(_zone_id)  # type: ignore[attr-defined]
    setattr(ELBBackend, _MARK, True)
