"""Route tables: propagation from a virtual private gateway (Enable/DisableVgwRoutePropagation).

moto behaviour: EnableVgwRoutePropagation and DisableVgwRoutePropagation are not implemented
(HTTP 500), and DescribeRouteTables has no ``PropagatingVgws`` member. amazon.aws
``ec2_vpc_route_table`` reads ``route_table["PropagatingVgws"]`` whenever ``propagating_vgw_ids``
is set, so against moto the task failed with ``KeyError: 'PropagatingVgws'``.

AWS: every route table carries ``PropagatingVgws`` (a list of ``{GatewayId}``, empty by default);
EnableVgwRoutePropagation adds the gateway (which must exist, ``InvalidVpnGatewayID.NotFound``, and
be attached to the table's VPC, ``Gateway.NotAttached``), DisableVgwRoutePropagation removes it;
an unknown table is ``InvalidRouteTableID.NotFound``.

Fix: route tables keep the propagating gateway ids and expose them as ``propagating_vgws``
(serialized as ``PropagatingVgws``); the backend gains ``enable_vgw_route_propagation`` /
``disable_vgw_route_propagation`` with those checks, and the EC2 responses dispatch the two actions
to them. Not modelled: the propagated routes themselves (routes with origin
``EnableVgwRoutePropagation`` learned from the VPN connections of the gateway).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.route_tables import RouteBackend, RouteTable
from moto.ec2.responses.route_tables import RouteTables

_MARK = "_estate_vgw_propagation_patched"


class GatewayNotAttachedToVpc(EC2ClientError):
    def __init__(self, gateway_id: str, vpc_id: str) -> None:
        super().__init__(
            "Gateway.NotAttached", f"resource {gateway_id} is not attached to network {vpc_id}"
        )


def _gateway_ids(table: RouteTable) -> list[str]:
    ids: list[str] = table.__dict__.setdefault("_estate_propagating_vgw_ids", [])
    return ids


def _propagating_vgws(self: RouteTable) -> list[dict[str, str]]:
    return [{"GatewayId": gateway_id} for gateway_id in _gateway_ids(self)]


def _attached_to(gateway: Any, vpc_id: str) -> bool:
    attachment = gateway.attachments.get(vpc_id)
    return attachment is not None and attachment.state == "attached"


def enable_vgw_route_propagation(self: RouteBackend, route_table_id: str, gateway_id: str) -> None:
    table = self.get_route_table(route_table_id)
    gateway = self.get_vpn_gateway(gateway_id)  # type: ignore[attr-defined]
    if not _attached_to(gateway, table.vpc_id):
        raise GatewayNotAttachedToVpc(gateway_id, table.vpc_id)
    ids = _gateway_ids(table)
    if gateway_id not in ids:
        ids.append(gateway_id)


def disable_vgw_route_propagation(self: RouteBackend, route_table_id: str, gateway_id: str) -> None:
    table = self.get_route_table(route_table_id)
    self.get_vpn_gateway(gateway_id)  # type: ignore[attr-defined]
    ids = _gateway_ids(table)
    if gateway_id in ids:
        ids.remove(gateway_id)


def _params(response: RouteTables) -> tuple[str, str]:
    return response._get_param("RouteTableId"), response._get_param("GatewayId")


def enable_vgw_route_propagation_response(self: RouteTables) -> ActionResult:
    self.ec2_backend.enable_vgw_route_propagation(*_params(self))
    return EmptyResult()


def disable_vgw_route_propagation_response(self: RouteTables) -> ActionResult:
    self.ec2_backend.disable_vgw_route_propagation(*_params(self))
    return EmptyResult()


def apply() -> None:
    if getattr(RouteTable, _MARK, False):
        return
    RouteTable.propagating_vgws = property(_propagating_vgws)  # type: ignore[attr-defined]
    RouteBackend.enable_vgw_route_propagation = enable_vgw_route_propagation  # type: ignore[attr-defined]
    RouteBackend.disable_vgw_route_propagation = disable_vgw_route_propagation  # type: ignore[attr-defined]
    RouteTables.enable_vgw_route_propagation = enable_vgw_route_propagation_response  # type: ignore[attr-defined]
    RouteTables.disable_vgw_route_propagation = disable_vgw_route_propagation_response  # type: ignore[attr-defined]
    setattr(RouteTable, _MARK, True)
