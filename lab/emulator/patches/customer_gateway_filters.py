"""DescribeCustomerGateways: honour the state, tag:<key>, tag-key and bgp-asn filters.

moto behaviour: DescribeCustomerGateways applies only the ``customer-gateway-id``, ``type``,
``bgp-asn`` and ``ip-address`` filters and silently ignores every other one; ``bgp-asn`` compares
the stored integer with the filter's strings, so it never matches. community.aws
``ec2_customer_gateway`` looks its gateway up with ``state=available`` + ``ip-address``: against
moto a deleted gateway (state ``deleted``) was still found, so ``state: absent`` deleted it again
and reported ``changed`` on every run.

AWS: all documented filters apply (``bgp-asn``, ``customer-gateway-id``, ``ip-address``,
``state``, ``type``, ``tag:<key>``, ``tag-key``); deleted gateways stay visible for a while with
state ``deleted``.

Fix: keep moto's own ``customer-gateway-id`` filtering and apply every other filter with moto's
generic EC2 filter (``CustomerGateway.get_filter_value`` already knows the attributes and tags).
"""

from __future__ import annotations

from moto.ec2.models.customer_gateways import CustomerGatewayBackend

from ._filters import with_generic_filters

_MARK = "_estate_cgw_filters_patched"


def apply() -> None:
    if getattr(CustomerGatewayBackend, _MARK, False):
        return
    CustomerGatewayBackend.describe_customer_gateways = with_generic_filters(  # type: ignore[method-assign]
        CustomerGatewayBackend.describe_customer_gateways, {"customer-gateway-id"}
    )
    setattr(CustomerGatewayBackend, _MARK, True)
