"""DescribeNatGateways: honour the ``tag:<key>`` and ``tag-key`` filters.

moto behaviour: DescribeNatGateways applies only the ``nat-gateway-id``, ``vpc-id``,
``subnet-id`` and ``state`` filters and silently ignores every other one: a lookup by tag
(``ec2_vpc_nat_gateway_info`` with ``filters: {"tag:Name": ...}``, as a teardown does) returned
every NAT gateway of the region, other stacks' included.

AWS: the documented filters are ``nat-gateway-id``, ``state``, ``subnet-id``, ``tag:<key>``,
``tag-key`` and ``vpc-id``; a filter that matches nothing returns nothing.

Fix: moto keeps its four filters; every other filter goes through moto's generic EC2 filter
(``TaggedEC2Resource.get_filter_value`` answers the tag filters).
"""

from __future__ import annotations

from moto.ec2.models.nat_gateways import NatGatewayBackend

from ._filters import with_generic_filters

_MARK = "_estate_nat_filters_patched"
HANDLED_BY_MOTO = {"nat-gateway-id", "vpc-id", "subnet-id", "state"}


def apply() -> None:
    if getattr(NatGatewayBackend, _MARK, False):
        return
    NatGatewayBackend.describe_nat_gateways = with_generic_filters(  # type: ignore[method-assign]
        NatGatewayBackend.describe_nat_gateways, HANDLED_BY_MOTO
    )
    setattr(NatGatewayBackend, _MARK, True)
