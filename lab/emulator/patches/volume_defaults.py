"""DescribeVolumes always reports MultiAttachEnabled and SnapshotId, as AWS does.

moto behaviour: a volume created without ``MultiAttachEnabled`` or from no snapshot keeps
``None`` for both, and moto's serializer drops ``None`` fields: DescribeVolumes answers without
``MultiAttachEnabled`` and without ``SnapshotId``. ``amazon.aws.ec2_vol`` reads
``volume["multi_attach_enabled"]`` on its second run (``KeyError: 'multi_attach_enabled'``) and
when it attaches a volume, and ``amazon.aws.ec2_vol_info`` reads ``volume["snapshot_id"]``
(``KeyError: 'snapshot_id'``): both modules fail against moto.

AWS: every volume in DescribeVolumes carries ``MultiAttachEnabled`` (``false`` unless enabled)
and ``SnapshotId`` (an empty string when the volume was not created from a snapshot). The
modules are right to rely on them; the emulator is wrong.

Fix: a volume's ``multi_attach_enabled`` defaults to ``False`` and its ``snapshot_id`` to ``""``
when moto would leave them ``None`` (volumes created by CreateVolume and by RunInstances alike).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.elastic_block_store import Volume

_MARK = "_estate_volume_defaults_patched"


def apply() -> None:
    if getattr(Volume, _MARK, False):
        return
    original = Volume.__init__

    def __init__(self: Volume, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.multi_attach_enabled is None:
            self.multi_attach_enabled = False
        if self.snapshot_id is None:
            self.snapshot_id = ""

    Volume.__init__ = __init__  # type: ignore[method-assign]
    setattr(Volume, _MARK, True)
