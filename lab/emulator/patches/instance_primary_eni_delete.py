"""An instance's network interfaces created by RunInstances go with the instance, as on AWS.

moto behaviour: RunInstances without a ``NetworkInterfaces`` list (a subnet and security groups
only, as Auto Scaling groups and ``ec2_instance`` with ``vpc_subnet_id`` launch) creates the
primary interface with ``DeleteOnTermination`` false, and so does a ``NetworkInterfaces`` entry
that leaves the flag out. Terminating the instance leaves that interface behind, ``in-use`` by an
instance that no longer exists, for ever: every terminated instance is an orphaned interface in
DescribeNetworkInterfaces, and a subnet holding one cannot be deleted on AWS.

AWS: an interface that RunInstances creates has ``DeleteOnTermination`` true unless the request
says false; only an existing interface attached by its ID keeps false by default. Terminating the
instance deletes the interfaces it created.

Fix: after moto prepares an instance's interfaces, each one it created (not attached by its
``NetworkInterfaceId``) whose entry does not set ``DeleteOnTermination`` to false is marked to be
deleted on termination.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.instances import Instance

_MARK = "_estate_instance_primary_eni_delete_patched"


def _false(value: Any) -> bool:
    return value is False or str(value).lower() == "false"


def apply() -> None:
    if getattr(Instance, _MARK, False):
        return
    original = Instance.prep_nics

    def prep_nics(
        self: Instance, nic_spec: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> None:
        attached = {
            spec["NetworkInterfaceId"] for spec in nic_spec if spec.get("NetworkInterfaceId")
        }
        kept = {
            int(spec.get("DeviceIndex", 0))
            for spec in nic_spec
            if _false(spec.get("DeleteOnTermination"))
        }
        original(self, nic_spec, *args, **kwargs)
        for index, nic in self.nics.items():
            if nic.id not in attached and index not in kept:
                nic.delete_on_termination = True

    Instance.prep_nics = prep_nics  # type: ignore[method-assign]
    setattr(Instance, _MARK, True)
