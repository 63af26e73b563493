"""API Gateway: UpdateAuthorizer adds and removes the user pools of a Cognito authorizer.

moto behaviour: any patch operation on ``/providerARNs`` raises a bare ``Exception`` ("not
implemented"): HTTP 500. The user pools of a ``COGNITO_USER_POOLS`` authorizer can only be changed
by deleting the authorizer, which AWS refuses while methods use it.

AWS: ``{"op": "add", "path": "/providerARNs", "value": <pool ARN>}`` adds a pool and
``{"op": "remove", "path": "/providerARNs", "value": <pool ARN>}`` removes one (what Terraform's
provider sends, additions first: the list may not become empty).

Fix: those two operations change the authorizer's pools; an unknown pool to remove, or a removal
that would leave none, is ``BadRequestException``. Every other operation is moto's.
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import Authorizer

_MARK = "_estate_apigateway_authorizer_providers_patched"


def apply() -> None:
    if getattr(Authorizer, _MARK, False):
        return
    original = Authorizer.apply_operations

    def apply_operations(self: Authorizer, patch_operations: list[dict[str, Any]]) -> Authorizer:
        others = []
        for op in patch_operations:
            if op.get("path", "").rstrip("/") != "/providerARNs":
                others.append(op)
                continue
            pools = list(self.provider_arns or [])
            value = op.get("value")
            if op["op"] == "add":
                if value and value not in pools:
                    pools.append(value)
            elif op["op"] == "remove":
                if value not in pools:
                    raise BadRequestException(f"Invalid provider ARN to remove: {value}")
                pools.remove(value)
                if not pools:
                    raise BadRequestException("A Cognito authorizer needs at least one user pool")
            else:
                raise BadRequestException(f"Invalid patch operation {op['op']} on /providerARNs")
            self.provider_arns = pools
        return original(self, others) if others else self

    Authorizer.apply_operations = apply_operations  # type: ignore[method-assign]
    setattr(Authorizer, _MARK, True)
