"""DescribeVpnConnections: answer every documented filter instead of failing with HTTP 500.

moto behaviour: VPN connections answer a filter from the attribute of the same name, so
``vpn-connection-id``, ``option.static-routes-only``, ``route.destination-cidr-block``,
``bgp-asn`` and ``customer-gateway-configuration`` raise FilterNotImplementedError (HTTP 500),
and so do ``vpn-gateway-id`` / ``transit-gateway-id`` as soon as one connection of the region
has no gateway of that kind. amazon.aws ``ec2_vpc_vpn`` and ``ec2_vpc_vpn_info`` pass these
filters (``filters: {vpn, static-routes-only, cidr, bgp}``, ``transit_gateway_id``).

AWS: all of them are documented filters of DescribeVpnConnections.

Fix: the connection answers those names itself (the static-routes option and routes come from
the vpn_connection_routes patch, the BGP ASN from its customer gateway) and defers to moto for
the rest (``state``, ``type``, ``customer-gateway-id``, tags).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.vpn_connections import VPNConnection

_MARK = "_estate_vpn_filters_patched"


def _bgp_asn(connection: VPNConnection) -> str:
    gateway = connection.ec2_backend.customer_gateways.get(connection.customer_gateway_id)
    return str(gateway.bgp_asn) if gateway is not None else ""


def _static_routes_only(connection: VPNConnection) -> bool:
    return bool((connection.options or {}).get("StaticRoutesOnly", False))


def _route_cidrs(connection: VPNConnection) -> list[str]:
    return [route["DestinationCidrBlock"] for route in getattr(connection, "routes", None) or []]


ANSWERS: dict[str, Any] = {
    "vpn-connection-id": lambda c: c.id,
    "vpn-gateway-id": lambda c: c.vpn_gateway_id or "",
    "transit-gateway-id": lambda c: c.transit_gateway_id or "",
    "option.static-routes-only": _static_routes_only,
    "route.destination-cidr-block": _route_cidrs,
    "bgp-asn": _bgp_asn,
    "customer-gateway-configuration": lambda c: c.customer_gateway_configuration,
}


def _with_all_filters(original: Any) -> Any:
    def get_filter_value(
        self: VPNConnection, filter_name: str, method_name: str | None = None
    ) -> Any:
        answer = ANSWERS.get(filter_name)
        return answer(self) if answer is not None else original(self, filter_name, method_name)

    return get_filter_value


def apply() -> None:
    if getattr(VPNConnection, _MARK, False):
        return
    VPNConnection.get_filter_value = _with_all_filters(VPNConnection.get_filter_value)  # type: ignore[method-assign]
    setattr(VPNConnection, _MARK, True)
