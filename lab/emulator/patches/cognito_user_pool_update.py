"""UpdateUserPool(Client) replace settings as on AWS, keep fixed ones; deletion protection holds.

moto behaviour:
- UpdateUserPool rebuilds the pool's settings from moto's defaults plus the request, so the
  settings that can only be chosen at creation (``UsernameAttributes``, ``AliasAttributes``,
  ``UsernameConfiguration``) disappear from DescribeUserPool after any update.
- UpdateUserPool's ``MfaConfiguration`` is echoed by DescribeUserPool but does not change the
  pool's MFA (GetUserPoolMfaConfig still answers the old value).
- DescribeUserPool reports the ``MfaConfiguration`` of CreateUserPool or UpdateUserPool even after
  SetUserPoolMfaConfig changed the MFA.
- DeleteUserPool deletes a pool whose ``DeletionProtection`` is ``ACTIVE``.
- UpdateUserPoolClient merges the request into the client's settings: a setting left out of the
  request (callback URLs, OAuth flows, ...) keeps its old value.

AWS: UpdateUserPool cannot change the creation-only settings, which stay as created; its
``MfaConfiguration`` is the pool's MFA; DeleteUserPool of a protected pool fails with
``InvalidParameterException`` until deletion protection is set ``INACTIVE``; UpdateUserPoolClient
sets every setting it is not given back to its default (the client's name is kept).

Fix: the creation-only settings are carried over by UpdateUserPool, a ``MfaConfiguration`` given
to it becomes the pool's MFA, DescribeUserPool always reports the pool's MFA, DeleteUserPool
refuses a protected pool, and UpdateUserPoolClient starts from moto's client defaults.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPoolClient

_MARK = "_estate_cognito_user_pool_update_patched"
CREATION_ONLY = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration")


def apply() -> None:
    if getattr(CognitoIdpBackend, _MARK, False):
        return
    update_user_pool = CognitoIdpBackend.update_user_pool
    set_mfa = CognitoIdpBackend.set_user_pool_mfa_config
    delete_user_pool = CognitoIdpBackend.delete_user_pool
    update_client = CognitoIdpBackend.update_user_pool_client

    def patched_update(
        self: CognitoIdpBackend, user_pool_id: str, extended_config: dict[str, Any]
    ) -> None:
        pool = self.describe_user_pool(user_pool_id)
        kept = {k: pool.extended_config[k] for k in CREATION_ONLY if k in pool.extended_config}
        update_user_pool(self, user_pool_id, extended_config)
        pool.extended_config.update(kept)
        if extended_config.get("MfaConfiguration"):
            pool.mfa_config = extended_config["MfaConfiguration"]
        # DescribeUserPool then reports the pool's MFA, not a stale copy of a request's.
        pool.extended_config.pop("MfaConfiguration", None)

    def patched_set_mfa(self: CognitoIdpBackend, user_pool_id: str, *args: Any) -> Any:
        self.describe_user_pool(user_pool_id).extended_config.pop("MfaConfiguration", None)
        return set_mfa(self, user_pool_id, *args)

    def patched_delete(self: CognitoIdpBackend, user_pool_id: str) -> None:
        pool = self.describe_user_pool(user_pool_id)
        if pool.extended_config.get("DeletionProtection") == "ACTIVE":
            raise InvalidParameterException(
                f"The user pool {user_pool_id} cannot be deleted because deletion protection is"
                " activated. Deletion protection must be inactivated first."
            )
        delete_user_pool(self, user_pool_id)

    def patched_update_client(
        self: CognitoIdpBackend, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        client = update_client(self, user_pool_id, client_id, {})  # finds it or raises
        name = client.extended_config.get("ClientName")
        defaults = CognitoIdpUserPoolClient(user_pool_id, False, None).extended_config
        client.extended_config = {"ClientName": name, **defaults, **extended_config}
        return client

    CognitoIdpBackend.update_user_pool_client = patched_update_client  # type: ignore[method-assign]
    CognitoIdpBackend.update_user_pool = patched_update  # type: ignore[method-assign]
    CognitoIdpBackend.set_user_pool_mfa_config = patched_set_mfa  # type: ignore[method-assign]
    CognitoIdpBackend.delete_user_pool = patched_delete  # type: ignore[method-assign]
    setattr(CognitoIdpBackend, _MARK, True)
