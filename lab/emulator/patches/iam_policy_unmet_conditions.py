"""Policy evaluation: a statement whose conditions are not met does not apply (it neither allows
nor denies).

moto behaviour: ``IAMPolicyStatement.is_action_permitted`` treats a condition on a key the
request does not carry as met (``verify_condition`` checks only the values it has), and answers
DENIED when a condition does not hold, for Allow and Deny statements alike. moto provides no
``aws:SecureTransport``, so a bucket policy with the usual TLS-only statement (``Deny s3:* if
aws:SecureTransport is false``) denies every PutObject and GetObject (HTTP 403).

AWS: a statement applies only when its conditions hold; otherwise it is ignored (a Deny with an
unmet condition denies nothing, an Allow with one allows nothing). A condition on a key absent
from the request context does not hold (the ``...IfExists`` operators aside).

Fix: a statement with a condition on a key absent from the request (operators other than
``...IfExists`` and ``Null``), or with a condition that does not hold, answers NEUTRAL; the rest
of moto's evaluation is unchanged. The emulator speaks plain HTTP and provides no
``aws:SecureTransport`` key, so TLS-only policies are stored and read back but not enforced.
"""

from __future__ import annotations

from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

_MARK = "_estate_iam_policy_unmet_conditions_patched"


def apply() -> None:
    if getattr(IAMPolicyStatement, _MARK, False):
        return
    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: IAMPolicyStatement,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        conditions = self._statement.get("Condition") or {}
        present = incoming_condition_values or {}
        for operator, keys in conditions.items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in present for key in keys):
                return PermissionResult.NEUTRAL
        if conditions and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]
    setattr(IAMPolicyStatement, _MARK, True)
