"""VPN connections: static routes (Create/DeleteVpnConnectionRoute) and the connection's Options.

moto behaviour: CreateVpnConnectionRoute and DeleteVpnConnectionRoute are not implemented (HTTP 500,
NotImplementedError); DescribeVpnConnections has no ``Routes`` and no ``Options`` member, and the
``Options`` of CreateVpnConnection (``StaticRoutesOnly``, ...) are dropped. amazon.aws
``ec2_vpc_vpn`` only manages ``routes:`` when ``Routes`` is present, so against moto it silently
created no static route, and under ``--check`` it always reported a change.

AWS: a VPN connection always carries ``Routes`` (empty when it has none); CreateVpnConnectionRoute
adds ``{DestinationCidrBlock, Source: Static, State}`` (``pending`` then ``available``) and
DeleteVpnConnectionRoute removes it; ``Options`` echoes what the connection was created with
(``StaticRoutesOnly``, ``LocalIpv4NetworkCidr``, ...).

Fix: the connection keeps its static routes by CIDR and exposes them as ``routes`` (serialized as
``Routes``, state ``available`` at once, as the emulator has no provisioning delay); the backend
gains ``create_vpn_connection_route``/``delete_vpn_connection_route`` (unknown connection:
``InvalidVpnConnectionID.NotFound``; unknown route: ``InvalidRoute.NotFound``; bad CIDR:
``InvalidParameterValue``) and the EC2 responses dispatch the two actions to them;
CreateVpnConnection stores the requested ``Options``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError, InvalidParameterValue
from moto.ec2.models.vpn_connections import VPNConnection, VPNConnectionBackend
from moto.ec2.responses.vpn_connections import VPNConnections

_MARK = "_estate_vpn_routes_patched"
DEFAULT_OPTIONS: dict[str, Any] = {
    "EnableAcceleration": False,
    "StaticRoutesOnly": False,
    "LocalIpv4NetworkCidr": "0.0.0.0/0",
    "RemoteIpv4NetworkCidr": "0.0.0.0/0",
    "TunnelInsideIpVersion": "ipv4",
}


class InvalidRouteNotFound(EC2ClientError):
    def __init__(self, cidr: str, vpn_connection_id: str) -> None:
        super().__init__(
            "InvalidRoute.NotFound",
            f"The route '{cidr}' does not exist in VPN connection '{vpn_connection_id}'",
        )


def _static_routes(connection: VPNConnection) -> dict[str, dict[str, str]]:
    routes: dict[str, dict[str, str]] = connection.__dict__.setdefault("_estate_routes", {})
    return routes


def _routes(self: VPNConnection) -> list[dict[str, str]]:
    return list(_static_routes(self).values())


def _connection(backend: VPNConnectionBackend, vpn_connection_id: str) -> VPNConnection:
    return backend.describe_vpn_connections(vpn_connection_ids=[vpn_connection_id])[0]


def _normalized_cidr(cidr: str) -> str:
    try:
        return str(ipaddress.ip_network(cidr, strict=True))
    except ValueError as error:
        raise InvalidParameterValue(f"Invalid DestinationCidrBlock '{cidr}': {error}") from error


def create_vpn_connection_route(
    self: VPNConnectionBackend, vpn_connection_id: str, destination_cidr_block: str
) -> None:
    cidr = _normalized_cidr(destination_cidr_block)
    routes = _static_routes(_connection(self, vpn_connection_id))
    routes[cidr] = {"DestinationCidrBlock": cidr, "Source": "Static", "State": "available"}


def delete_vpn_connection_route(
    self: VPNConnectionBackend, vpn_connection_id: str, destination_cidr_block: str
) -> None:
    cidr = _normalized_cidr(destination_cidr_block)
    routes = _static_routes(_connection(self, vpn_connection_id))
    if routes.pop(cidr, None) is None:
        raise InvalidRouteNotFound(cidr, vpn_connection_id)


def _route_params(response: VPNConnections) -> tuple[str, str]:
    return response._get_param("VpnConnectionId"), response._get_param("DestinationCidrBlock")


def create_vpn_connection_route_response(self: VPNConnections) -> ActionResult:
    self.ec2_backend.create_vpn_connection_route(*_route_params(self))
    return EmptyResult()


def delete_vpn_connection_route_response(self: VPNConnections) -> ActionResult:
    self.ec2_backend.delete_vpn_connection_route(*_route_params(self))
    return EmptyResult()


def _with_options(original: Any) -> Any:
    def create_vpn_connection(self: VPNConnections) -> ActionResult:
        result = original(self)
        requested = {k: v for k, v in (self._get_param("Options") or {}).items() if v is not None}
        options = {**DEFAULT_OPTIONS, **requested}
        options.pop("TunnelOptions", None)  # the tunnels are moto's own; keep its answer for them
        result.result["VpnConnection"].options = options
        return result

    return create_vpn_connection


def apply() -> None:
    if getattr(VPNConnection, _MARK, False):
        return
    VPNConnection.routes = property(_routes)  # type: ignore[attr-defined]
    VPNConnectionBackend.create_vpn_connection_route = create_vpn_connection_route  # type: ignore[attr-defined]
    VPNConnectionBackend.delete_vpn_connection_route = delete_vpn_connection_route  # type: ignore[attr-defined]
    VPNConnections.create_vpn_connection_route = create_vpn_connection_route_response  # type: ignore[attr-defined]
    VPNConnections.delete_vpn_connection_route = delete_vpn_connection_route_response  # type: ignore[attr-defined]
    VPNConnections.create_vpn_connection = _with_options(VPNConnections.create_vpn_connection)  # type: ignore[method-assign]
    setattr(VPNConnection, _MARK, True)
