"""EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion: accept a key ARN, as the other
KMS calls do.

moto behaviour: these four look the key up by the raw key id only, so a key ARN (which
``amazon.aws.kms_key`` passes when it deletes, restores, enables or disables a key) raises
``KeyError`` and moto answers HTTP 500.

AWS: ``KeyId`` may be a key id or a key ARN.

Fix: wrap the four backend methods to turn any key identifier into the raw key id first
(``any_id_to_key_id``, which moto's other KMS calls use).
"""

from __future__ import annotations

from typing import Any

from moto.kms.models import KmsBackend

_MARK = "_estate_kms_key_state_ids_patched"


def _by_any_id(original: Any) -> Any:
    def method(self: KmsBackend, key_id: str, *args: Any, **kwargs: Any) -> Any:
        return original(self, self.any_id_to_key_id(key_id), *args, **kwargs)

    method.__name__ = original.__name__
    return method


def apply() -> None:
    if getattr(KmsBackend, _MARK, False):
        return
    for name in ("enable_key", "disable_key", "schedule_key_deletion", "cancel_key_deletion"):
        setattr(KmsBackend, name, _by_any_id(getattr(KmsBackend, name)))
    setattr(KmsBackend, _MARK, True)
