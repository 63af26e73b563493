"""CloudWatch Logs: AssociateKmsKey and DisassociateKmsKey of a log group.

moto behaviour: neither action is implemented (HTTP 500, "The associate_kms_key action has not
been implemented"): a log group keeps the KMS key it was created with, so a reconciler that
encrypts an existing group with the stack key (or removes its key) fails against the emulator.

AWS: AssociateKmsKey(logGroupName, kmsKeyId) sets the key that encrypts the group's new events
(``kmsKeyId`` must be a KMS key ARN, else InvalidParameterException); DisassociateKmsKey removes it
(new events are no longer encrypted with a customer key). Both fail with ResourceNotFoundException
on an unknown group; DescribeLogGroups reports the key as ``kmsKeyId``.

Fix: the logs backend and responses gain ``associate_kms_key`` / ``disassociate_kms_key``,
which set or clear the group's ``kms_key_id`` (what moto already describes as ``kmsKeyId``), with
AWS's two errors. The key itself is not checked (moto does not check it at CreateLogGroup either).
"""

from __future__ import annotations

import re

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse

_MARK = "_estate_logs_kms_key_association_patched"
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def associate_kms_key(self: LogsBackend, log_group_name: str, kms_key_id: str) -> None:
    if log_group_name not in self.groups:
        raise ResourceNotFoundException()
    if not _KEY_ARN.match(kms_key_id or ""):
        raise InvalidParameterException(msg=f"Specified KMS key ARN is not valid: {kms_key_id}")
    self.groups[log_group_name].kms_key_id = kms_key_id


def disassociate_kms_key(self: LogsBackend, log_group_name: str) -> None:
    if log_group_name not in self.groups:
        raise ResourceNotFoundException()
    self.groups[log_group_name].kms_key_id = None


def associate_kms_key_response(self: LogsResponse) -> str:
    self.logs_backend.associate_kms_key(  # type: ignore[attr-defined]
        self._get_param("logGroupName"), self._get_param("kmsKeyId")
    )
    return ""


def disassociate_kms_key_response(self: LogsResponse) -> str:
    self.logs_backend.disassociate_kms_key(self._get_param("logGroupName"))  # type: ignore[attr-defined]
    return ""


def apply() -> None:
    if getattr(LogsBackend, _MARK, False):
        return
    LogsBackend.associate_kms_key = associate_kms_key  # type: ignore[attr-defined]
    LogsBackend.disassociate_kms_key = disassociate_kms_key  # type: ignore[attr-defined]
    LogsResponse.associate_kms_key = associate_kms_key_response  # type: ignore[attr-defined]
    LogsResponse.disassociate_kms_key = disassociate_kms_key_response  # type: ignore[attr-defined]
    setattr(LogsBackend, _MARK, True)
