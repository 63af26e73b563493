"""PutBucketLogging: accept a target bucket whose policy has statements with ``"Principal": "*"``.

moto behaviour: to decide whether the logging service may write to the target bucket, moto walks
the target bucket's policy and calls ``stmt.get("Principal", {}).get("Service")`` on every
statement. A statement whose principal is the string ``"*"`` (as in the usual TLS-only deny,
``{"Effect": "Deny", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}``)
raises ``AttributeError`` and moto answers HTTP 500.

AWS: ``Principal`` may be ``"*"``, ``{"AWS": ...}`` or ``{"Service": ...}`` (a string or a list);
such a policy is valid and PutBucketLogging succeeds when one statement allows the
``logging.s3.amazonaws.com`` service to put objects into the target bucket.

Fix: the policy check sees only the statements whose principal is a mapping, with a list of
services reduced to the logging service when it is among them; the rest of moto's rule
(effect, action, resource) is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL

_MARK = "_estate_s3_logging_policy_principals_patched"


def _comparable(statement: dict[str, Any]) -> dict[str, Any] | None:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return None
    service = principal.get("Service")
    if isinstance(service, list):
        service = LOGGING_SERVICE_PRINCIPAL if LOGGING_SERVICE_PRINCIPAL in service else None
    return {**statement, "Principal": {**principal, "Service": service}}


def apply() -> None:
    if getattr(FakeBucket, _MARK, False):
        return
    original = FakeBucket._log_permissions_enabled_policy

    def checked(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        policy = target_bucket.policy
        if not policy:
            return False
        document = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        kept = [s for s in map(_comparable, statements) if s is not None]
        if not kept:
            return False

        class View:
            """The target bucket as moto's check sees it: the filtered policy, same name."""

            name = target_bucket.name
            partition = target_bucket.partition

        View.policy = json.dumps({**document, "Statement": kept}).encode()  # type: ignore[attr-defined]
        return bool(original(View, target_prefix))

    FakeBucket._log_permissions_enabled_policy = staticmethod(checked)  # type: ignore[method-assign]
    setattr(FakeBucket, _MARK, True)
