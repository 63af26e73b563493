"""DeleteNatGateway: release the gateway's network interface and disassociate its Elastic IP.

moto behaviour: DeleteNatGateway only flips the state to ``deleted``: the gateway's network
interface stays (it outlives even the deletion of its subnet and VPC) and its Elastic IP stays
associated with that interface, so an address that ``ec2_vpc_nat_gateway`` allocated and kept
(``release_eip: false``) never becomes free; an unknown id crashes with HTTP 500.

AWS: deleting a NAT gateway deletes its network interface and disassociates its Elastic IP address
(without releasing it); an unknown id is ``NatGatewayNotFound``; deleting an already deleted
gateway changes nothing.

Fix: wrap the backend's ``delete_nat_gateway``: raise ``NatGatewayNotFound`` for an unknown id, and
on the first deletion disassociate the addresses bound to the gateway's interface and delete the
interface.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend

_MARK = "_estate_nat_delete_patched"


class NatGatewayNotFound(EC2ClientError):
    def __init__(self, nat_gateway_id: str) -> None:
        super().__init__("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")


def _release_interface(backend: Any, nat_gateway: NatGateway) -> None:
    eni = nat_gateway._eni
    for address in list(backend.addresses):
        if address.eni is not None and address.eni.id == eni.id and address.association_id:
            backend.disassociate_address(association_id=address.association_id)
    if eni.id in backend.enis:
        backend.delete_network_interface(eni.id)


def _with_cleanup(original: Any) -> Any:
    def delete_nat_gateway(self: NatGatewayBackend, nat_gateway_id: str) -> NatGateway:
        nat_gateway = self.nat_gateways.get(nat_gateway_id)
        if nat_gateway is None:
            raise NatGatewayNotFound(nat_gateway_id)
        if nat_gateway.state != "deleted":
            _release_interface(self, nat_gateway)
        deleted: NatGateway = original(self, nat_gateway_id)
        return deleted

    return delete_nat_gateway


def apply() -> None:
    if getattr(NatGatewayBackend, _MARK, False):
        return
    NatGatewayBackend.delete_nat_gateway = _with_cleanup(NatGatewayBackend.delete_nat_gateway)  # type: ignore[method-assign]
    setattr(NatGatewayBackend, _MARK, True)
