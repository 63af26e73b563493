#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cognito_user_pools
version_added: 0.3.0
short_description: Reconcile all of a stack's Cognito user pools and their app clients at once
description:
  - Finds the stack's user pools by their tags (ListUserPools, then DescribeUserPool of each pool,
    concurrently), compares them and their app clients with O(pools) and applies only the
    differences.
  - Why a module of our own - neither amazon.aws nor community.aws has a Cognito user pool
    module, and an C(AWS::Cognito::UserPool) CloudFormation resource is reported complete by the
    emulator (moto) without any pool being created, so it could not be tested.
  - Per pool - MFA (C(OFF), C(OPTIONAL) or C(ON), with software tokens (TOTP) only), the password
    policy, the username attributes (chosen at creation only - a change fails the run naming the
    pool and the field), the attributes verified automatically, deletion protection and tags.
    Settings the module does not manage (Lambda triggers, e-mail configuration, ...) are kept
    on update.
  - Per app client (reconciled by name; the clients of a managed pool that O(pools) does not list
    are deleted with O(purge=true)) - whether it has a secret (chosen at creation only), the
    explicit auth flows, token validities (access and ID tokens in minutes, refresh tokens in
    days), user existence errors prevention, and the hosted sign-in (authorization code grant)
    when C(callback_urls) are given. A client is only updated when a managed field differs.
  - Client secrets are never returned; any secret read while comparing clients is masked in the
    output (no_log).
  - Pools of the stack left out of O(pools) are deleted (O(purge=true)); a pool that has users is
    only deleted with O(allow_delete_nonempty=true), checked before any change. A pool named in
    O(pools) that exists without the stack's tags is refused, before any change.
  - Advanced security (threat protection) is not managed - the emulator does not model it and
    on AWS it needs the Plus feature plan.
author:
  - aws-estates maintainers
options:
  pools:
    description:
      - The wanted user pools. Each has C(name) (the full pool name) and optionally C(mfa)
        (C(OFF), C(OPTIONAL) - the default - or C(ON)), C(password_policy) (C(min_length),
        default 12; C(require_lowercase), C(require_uppercase), C(require_numbers),
        C(require_symbols), default true; C(temporary_password_validity_days), default 7),
        C(username_attributes) (default C([email])), C(auto_verified_attributes) (default
        C([email])), C(deletion_protection) and C(clients).
      - C(deletion_protection) is C(ACTIVE) by default, so a pool cannot be deleted by hand or by
        another tool by mistake. This module turns it off itself just before deleting a pool it
        is allowed to delete (purged or O(state=absent), and empty or
        O(allow_delete_nonempty=true)), so teardown works.
      - Each client has C(name) and optionally C(generate_secret) (default false - mobile and
        browser apps cannot keep a secret), C(explicit_auth_flows) (default
        C([ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH])), C(access_token_validity) and
        C(id_token_validity) (minutes, default 60), C(refresh_token_validity) (days, default 30),
        C(prevent_user_existence_errors) (C(ENABLED), the default, or C(LEGACY)),
        C(callback_urls) and C(logout_urls) (optional; with callback URLs the client uses the
        hosted sign-in with the authorization code grant and C(oauth_scopes), default
        C([openid, email, profile])).
    type: list
    elements: dict
    default: []
  tags:
    description:
      - Tags of every pool (C(UserPoolTags)). C(stack) is required; the stack's pools are found
        again by C(stack), C(managed-by) (when given) and C(tier). Tags are added or changed,
        never removed.
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag the module adds; pools of another tier are not touched.
    type: str
    default: serverless
  purge:
    description:
      - Delete the stack's pools (of this tier) that O(pools) does not list, and the app clients
        of the managed pools that their C(clients) do not list.
    type: bool
    default: true
  allow_delete_nonempty:
    description:
      - Allow deleting pools that have users. Otherwise the run fails before any change.
    type: bool
    default: false
  concurrency:
    description: Parallel API calls for per-pool reads and writes.
    type: int
    default: 8
  state:
    description: C(present) reconciles; C(absent) deletes every pool of the stack and tier.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: User pools of the stack
  estate.aws.cognito_user_pools:
    tags: {stack: mobile, env: production, managed-by: ansible-estate}
    pools:
      - name: mobile-production-users
        mfa: OPTIONAL
        password_policy: {min_length: 14}
        clients:
          - name: ios
          - name: web
            callback_urls: [https://app.example.org/auth/callback]
            logout_urls: [https://app.example.org/]
            access_token_validity: 30

- name: Tear the pools down (refused while any has users)
  estate.aws.cognito_user_pools:
    tags: {stack: mobile, managed-by: ansible-estate}
    state: absent
"""

RETURN = r"""
pools:
  description:
    - Per wanted pool, its C(id), C(arn), C(provider_name) (C(cognito-idp.REGION.amazonaws.com/ID),
      what identity pools and API authorizers name) and C(clients) (client name to client ID).
      IDs are null for what check mode would create. No client secret is ever returned.
  returned: always
  type: dict
  sample:
    mobile-production-users:
      id: eu-west-1_AbCdEf123
      arn: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123
      provider_name: cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123
      clients: {ios: 1example23456789}
deleted:
  description: Names of the pools deleted (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
changes:
  description:
    - What was (or in check mode would be) done, by kind - C(pools_created), C(pools_updated),
      C(clients_created), C(clients_updated), C(clients_deleted) (C(pool/client) names).
  returned: always
  type: dict
"""

from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.bulk import Refusal
from ansible_collections.estate.aws.plugins.module_utils.cognito import (
    CLIENT_CREATION_ONLY,
    client_changes,
    client_request,
    create_pool_request,
    creation_only_errors,
    current_settings,
    mfa_request,
    normalise_pool,
    pool_errors,
    pool_overrides,
    provider_name,
    update_pool_request,
    wanted_settings,
)
from ansible_collections.estate.aws.plugins.module_utils.ownership import owned_by
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from botocore.exceptions import BotoCoreError, ClientError

PAGE = 60  # ListUserPools and ListUserPoolClients take at most 60 a page


class Pools(Reconciler):
    """One reconciliation: read, check, plan, apply (unless in check mode)."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "serverless",
        8,
        pools={"type": "list", "elements": "dict", "default": []},
        allow_delete_nonempty={"type": "bool", "default": False},
    )
    WHAT = "user pools"
    INVALID = "Invalid pools"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return pool_errors(params["pools"])

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.idp = self.client("cognito-idp")
        self.update_members = set(
            self.idp.meta.service_model.operation_model("UpdateUserPool").input_shape.members
        )
        self.wanted = [] if self.absent else [normalise_pool(p) for p in self.params["pools"]]
        self.changes: dict[str, list[str]] = {
            k: []
            for k in (
                "pools_created",
                "pools_updated",
                "clients_created",
                "clients_updated",
                "clients_deleted",
            )
        }
        self.deleted: list[str] = []
        self.created_clients: dict[str, dict[str, dict[str, Any]]] = {}
        self.new_client_ids: dict[str, str] = {}

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        """Every pool of the region, described (its tags are only in DescribeUserPool)."""
        ids: list[str] = []
        try:
            for page in self.idp.get_paginator("list_user_pools").paginate(MaxResults=PAGE):
                ids.extend(p["Id"] for p in page.get("UserPools", []))
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the user pools")
        described = [d for d in self.parallel("describe the user pool", self._describe, ids) if d]
        self.owned: dict[str, dict[str, Any]] = {}
        foreign: list[str] = []
        wanted = {p["name"] for p in self.wanted}
        for pool in described:
            name = pool["Name"]
            if not owned_by(pool.get("UserPoolTags"), self.owner):
                if name in wanted:
                    foreign.append(f"{name} ({pool['Id']})")
                continue
            if name in self.owned:
                self.refuse(
                    f"Two user pools named {name} are tagged as this stack's"
                    f" ({self.owned[name]['Id']}, {pool['Id']}): delete the one not in use."
                    " Nothing was changed."
                )
            self.owned[name] = pool
        if foreign:
            self.refuse(
                f"Refusing to adopt the user pool(s) {', '.join(sorted(foreign))}: they exist"
                f" but are not tagged as this stack's ({self.owner}). Rename the wanted pool, or"
                " tag the existing one if it really belongs to the stack. Nothing was changed."
            )

    def _describe(self, pool_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.idp.describe_user_pool(UserPoolId=pool_id)["UserPool"])
        except is_boto3_error_code("ResourceNotFoundException"):
            return None  # deleted since it was listed

    def _mfa(self, pool_id: str) -> dict[str, Any]:
        return dict(self.idp.get_user_pool_mfa_config(UserPoolId=pool_id))

    def _clients(self, pool_id: str) -> dict[str, dict[str, Any]]:
        """The pool's app clients by name, described, secrets removed (and masked)."""
        ids: list[str] = []
        for page in self.idp.get_paginator("list_user_pool_clients").paginate(
            UserPoolId=pool_id, MaxResults=PAGE
        ):
            ids.extend(c["ClientId"] for c in page.get("UserPoolClients", []))
        clients: dict[str, dict[str, Any]] = {}
        for client_id in ids:
            client = dict(
                self.idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
                    "UserPoolClient"
                ]
            )
            secret = client.pop("ClientSecret", None)
            if secret:
                self.module.no_log_values.add(secret)
            client["HasSecret"] = bool(secret)
            name = client.get("ClientName", "")
            if name in clients:
                raise Refusal(
                    f"The user pool {pool_id} has two app clients named {name}"
                    f" ({clients[name]['ClientId']}, {client_id}): delete the one not in use."
                    " Nothing was changed."
                )
            clients[name] = client
        return clients

    def _has_users(self, pool_id: str) -> bool:
        return bool(self.idp.list_users(UserPoolId=pool_id, Limit=1).get("Users"))

    def _read_pool(self, name: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        pool_id = self.owned[name]["Id"]
        return self._mfa(pool_id), self._clients(pool_id)

    # -- plan --------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.read()
        names = [p["name"] for p in self.wanted]
        existing = [n for n in names if n in self.owned]
        state = dict(
            zip(
                existing,
                self.parallel("read the user pool", self._read_pool, existing),
                strict=True,
            )
        )
        doomed = sorted(set(self.owned) - set(names)) if self.purge else []
        pool_plans, client_plans, errors = [], [], []
        for pool in self.wanted:
            name = pool["name"]
            wanted = wanted_settings(pool, self.tags)
            if name not in self.owned:
                pool_plans.append(("create", pool, None))
                self.changes["pools_created"].append(name)
                self.changes["clients_created"].extend(
                    f"{name}/{c['name']}" for c in pool["clients"]
                )
                self.after[name] = {
                    **wanted,
                    "clients": {c["name"]: client_request(c) for c in pool["clients"]},
                }
                continue
            described = self.owned[name]
            mfa, clients = state[name]
            current = current_settings(described, mfa, self.tags)
            errors.extend(creation_only_errors(name, wanted, current))
            differs = [f for f in wanted if wanted[f] != current[f]]
            before: dict[str, Any] = {f: current[f] for f in differs}
            after: dict[str, Any] = {f: wanted[f] for f in differs}
            if differs:
                pool_plans.append(("update", pool, differs))
                self.changes["pools_updated"].append(name)
            errors.extend(self._plan_clients(pool, clients, client_plans, before, after))
            if before or after:
                self.before[name], self.after[name] = before, after
        if errors:
            self.refuse(" ".join(errors) + " Nothing was changed.", errors=errors)
        if doomed and not self.params["allow_delete_nonempty"]:
            ids = [self.owned[n]["Id"] for n in doomed]
            holding = [
                n
                for n, full in zip(
                    doomed, self.parallel("list the users of", self._has_users, ids), strict=True
                )
                if full
            ]
            if holding:
                self.refuse(
                    f"Refusing to delete user pools that have users: {', '.join(holding)}."
                    " Keep them in pools, or set allow_delete_nonempty to delete them with their"
                    " users. Nothing was changed."
                )
        self.diff_deleted(doomed)
        self.deleted = doomed
        self.apply(
            (
                "create the user pool",
                self._create_pool,
                [p[1] for p in pool_plans if p[0] == "create"],
            ),
            (
                "update the user pool",
                self._update_pool,
                [p[1] for p in pool_plans if p[0] == "update"],
            ),
            ("reconcile the app client", self._apply_client, client_plans),
            ("delete the user pool", self._delete_pool, doomed),
        )
        return self.outputs(state)

    def _plan_clients(
        self,
        pool: dict[str, Any],
        clients: dict[str, dict[str, Any]],
        plans: list[tuple[str, str, dict[str, Any]]],
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> list[str]:
        """Add POOL's client creations, updates and deletions to PLANS and the diff; return the
        errors (creation-only fields that differ)."""
        name, errors = pool["name"], []
        wanted_names = {c["name"] for c in pool["clients"]}
        for client in pool["clients"]:
            label = f"{name}/{client['name']}"
            request = client_request(client)
            current = clients.get(client["name"])
            if current is None:
                plans.append(("create", label, {"client": client}))
                self.changes["clients_created"].append(label)
                after.setdefault("clients", {})[client["name"]] = request
                continue
            if current["HasSecret"] != client["generate_secret"]:
                errors.append(
                    f"pools ({name}).clients ({client['name']}).generate_secret: the client"
                    f" {'has' if current['HasSecret'] else 'has no'} secret but"
                    f" generate_secret is {client['generate_secret']}. {CLIENT_CREATION_ONLY[0]}"
                    " can only be chosen when a client is created: keep it, or add a client under"
                    " a new name and remove this one when no app uses it"
                )
                continue
            changes = client_changes(current, request)
            if changes:
                plans.append(("update", label, {"id": current["ClientId"], "request": request}))
                self.changes["clients_updated"].append(label)
                before.setdefault("clients", {})[client["name"]] = {
                    k: v[0] for k, v in changes.items()
                }
                after.setdefault("clients", {})[client["name"]] = {
                    k: v[1] for k, v in changes.items()
                }
        if self.purge:
            for client_name in sorted(set(clients) - wanted_names):
                label = f"{name}/{client_name}"
                plans.append(("delete", label, {"id": clients[client_name]["ClientId"]}))
                self.changes["clients_deleted"].append(label)
                before.setdefault("clients", {})[client_name] = "present"
                after.setdefault("clients", {})[client_name] = "deleted"
        return errors

    # -- apply -------------------------------------------------------------------------------
    def _create_pool(self, pool: dict[str, Any]) -> None:
        created = self.idp.create_user_pool(**create_pool_request(pool, self.tags))["UserPool"]
        self.owned[pool["name"]] = dict(created)
        pool_id = created["Id"]
        self.idp.set_user_pool_mfa_config(UserPoolId=pool_id, **mfa_request(pool["mfa"]))
        clients: dict[str, dict[str, Any]] = {}
        for client in pool["clients"]:
            made = self.idp.create_user_pool_client(
                UserPoolId=pool_id,
                GenerateSecret=client["generate_secret"],
                **client_request(client),
            )["UserPoolClient"]
            secret = made.get("ClientSecret")
            if secret:
                self.module.no_log_values.add(secret)
            clients[client["name"]] = {"ClientId": made["ClientId"]}
        self.created_clients[pool["name"]] = clients

    def _update_pool(self, pool: dict[str, Any]) -> None:
        described = self.owned[pool["name"]]
        tags = {**(described.get("UserPoolTags") or {}), **self.tags}
        request = update_pool_request(described, self.update_members, pool_overrides(pool, tags))
        self.idp.update_user_pool(**request)
        # UpdateUserPool may reset MFA: it is set again, whatever changed.
        self.idp.set_user_pool_mfa_config(UserPoolId=described["Id"], **mfa_request(pool["mfa"]))

    def _apply_client(self, plan: tuple[str, str, dict[str, Any]]) -> None:
        action, label, data = plan
        pool_id = self.owned[label.split("/", 1)[0]]["Id"]
        if action == "create":
            client = data["client"]
            made = self.idp.create_user_pool_client(
                UserPoolId=pool_id,
                GenerateSecret=client["generate_secret"],
                **client_request(client),
            )["UserPoolClient"]
            if made.get("ClientSecret"):
                self.module.no_log_values.add(made["ClientSecret"])
            self.new_client_ids[label] = made["ClientId"]
        elif action == "update":
            self.idp.update_user_pool_client(
                UserPoolId=pool_id, ClientId=data["id"], **data["request"]
            )
        else:
            try:
                self.idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=data["id"])
            except is_boto3_error_code("ResourceNotFoundException"):
                pass

    def _delete_pool(self, name: str) -> None:
        described = self.owned[name]
        pool_id = described["Id"]
        if described.get("Domain"):
            self.idp.delete_user_pool_domain(Domain=described["Domain"], UserPoolId=pool_id)
        if described.get("DeletionProtection") == "ACTIVE":
            # Deleting this pool is allowed (checked above): protection goes just before it does.
            request = update_pool_request(
                described, self.update_members, {"DeletionProtection": "INACTIVE"}
            )
            self.idp.update_user_pool(**request)
        try:
            self.idp.delete_user_pool(UserPoolId=pool_id)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass

    # -- result ------------------------------------------------------------------------------
    def outputs(
        self, state: dict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]]
    ) -> dict[str, Any]:
        pools: dict[str, Any] = {}
        region = self.module.region
        for pool in self.wanted:
            name = pool["name"]
            described = self.owned.get(name)
            if described is None:  # check mode: the pool would be created
                pools[name] = {
                    "id": None,
                    "arn": None,
                    "provider_name": None,
                    "clients": {c["name"]: None for c in pool["clients"]},
                }
                continue
            existing = state.get(name, (None, self.created_clients.get(name, {})))[1]
            clients = {}
            for client in pool["clients"]:
                label = f"{name}/{client['name']}"
                found = existing.get(client["name"])
                clients[client["name"]] = self.new_client_ids.get(label) or (
                    found["ClientId"] if found else None
                )
            pools[name] = {
                "id": described["Id"],
                "arn": described.get("Arn"),
                "provider_name": provider_name(region, described["Id"]),
                "clients": clients,
            }
        changed = any(self.changes.values()) or bool(self.deleted)
        return self.result(changed, self.changes, pools=pools, deleted=self.deleted)


def main() -> None:
    Pools.main()


if __name__ == "__main__":
    main()
