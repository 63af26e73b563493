"""Application load balancers: AWS's default attributes and the region's hosted zone ID.

moto behaviour: a new load balancer's attributes hold only access_logs bucket/prefix,
deletion_protection and cross-zone (moto leaves ``idle_timeout.timeout_seconds`` and
``access_logs.s3.enabled`` out on purpose, "for TF compatibility"), so
``amazon.aws.elb_application_lb`` fails with ``KeyError: 'idle_timeout_timeout_seconds'`` or
``KeyError: 'routing_http_drop_invalid_header_fields_enabled'`` as soon as it is given
``idle_timeout`` or ``http_drop_invalid_header_fields`` (the latter is a security default of the
project). Every balancer also reports the placeholder hosted zone ID ``Z2P70J7EXAMPLE``.

AWS: DescribeLoadBalancerAttributes of an application load balancer returns every attribute with
its default (idle timeout 60 s, invalid header fields kept, HTTP/2 on, defensive desync
mitigation, ...); ``CanonicalHostedZoneId`` is the ELB zone of the balancer's region (what a
Route53 alias record names).

Fix: after moto builds an application load balancer, the AWS defaults fill the attributes it does
not have yet, and its hosted zone ID comes from AWS's published table (by the region of its ARN).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import FakeLoadBalancer

_MARK = "_estate_elbv2_default_attributes_patched"

DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
}

# Route53 hosted zone IDs of application load balancers (AWS "Elastic Load Balancing endpoints").
ALB_ZONE_IDS = {
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


def apply() -> None:
    if getattr(FakeLoadBalancer, _MARK, False):
        return
    original = FakeLoadBalancer.__init__

    def __init__(self: FakeLoadBalancer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.type == "application":
            for name, value in DEFAULTS.items():
                self.attrs.setdefault(name, value)
            region = str(self.arn).split(":")[3] if str(self.arn).count(":") >= 3 else ""
            self.canonical_hosted_zone_id = ALB_ZONE_IDS.get(region, self.canonical_hosted_zone_id)

    FakeLoadBalancer.__init__ = __init__  # type: ignore[method-assign]
    setattr(FakeLoadBalancer, _MARK, True)
