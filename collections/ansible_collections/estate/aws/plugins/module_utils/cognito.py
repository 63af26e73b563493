# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of ``estate.aws.cognito_user_pools``: validation of the wanted pools and app
clients, their settings in one flat shape (what the diff shows), and the CreateUserPool,
UpdateUserPool, SetUserPoolMfaConfig and Create/UpdateUserPoolClient requests. Only the stdlib
is used.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

# Cognito: pool and client names are 1-128 characters of [\w\s+=,.@-].
NAME_RE = re.compile(r"^[\w\s+=,.@-]{1,128}$")
MFA_MODES = ("OFF", "OPTIONAL", "ON")
DELETION_PROTECTION = ("ACTIVE", "INACTIVE")
USERNAME_ATTRIBUTES = ("email", "phone_number")
# phone_number needs an SMS configuration (an IAM role for SNS) that this module does not manage.
AUTO_VERIFIED_ATTRIBUTES = ("email",)
AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
)
USER_EXISTENCE_ERRORS = ("ENABLED", "LEGACY")
OAUTH_SCOPES = ("openid", "email", "profile", "phone", "aws.cognito.signin.user.admin")
POOL_FIELDS = (
    "name",
    "mfa",
    "password_policy",
    "username_attributes",
    "auto_verified_attributes",
    "deletion_protection",
    "clients",
)
PASSWORD_DEFAULTS: dict[str, Any] = {
    "min_length": 12,
    "require_lowercase": True,
    "require_uppercase": True,
    "require_numbers": True,
    "require_symbols": True,
    "temporary_password_validity_days": 7,
}
POOL_DEFAULTS: dict[str, Any] = {
    "mfa": "OPTIONAL",
    "username_attributes": ["email"],
    "auto_verified_attributes": ["email"],
    "deletion_protection": "ACTIVE",
    "clients": [],
}
CLIENT_DEFAULTS: dict[str, Any] = {
    "generate_secret": False,
    "explicit_auth_flows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "access_token_validity": 60,
    "id_token_validity": 60,
    "refresh_token_validity": 30,
    "prevent_user_existence_errors": "ENABLED",
    "callback_urls": [],
    "logout_urls": [],
    "oauth_scopes": ["openid", "email", "profile"],
}
# Cognito's limits: access and ID tokens 5 minutes to 1 day, refresh tokens up to 10 years.
LIMITS = {
    "min_length": (6, 99),
    "temporary_password_validity_days": (0, 365),
    "access_token_validity": (5, 1440),
    "id_token_validity": (5, 1440),
    "refresh_token_validity": (1, 3650),
}
TOKEN_UNITS = {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
# Fields of a pool that can only be chosen when it is created.
CREATION_ONLY = ("username_attributes",)
CLIENT_CREATION_ONLY = ("generate_secret",)
DEPRECATED_MESSAGES = (
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "SmsVerificationMessage",
)


def _int_error(where: str, field: str, value: Any) -> list[str]:
    low, high = LIMITS[field]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return [f"{where}.{field} {value!r} must be an integer from {low} to {high}"]
    return []


def _list_errors(where: str, field: str, value: Any, allowed: Collection[str]) -> list[str]:
    if not isinstance(value, list) or any(v not in allowed for v in value):
        return [f"{where}.{field} {value!r} must be a list of {', '.join(allowed)}"]
    if len(set(value)) != len(value):
        return [f"{where}.{field} lists a value twice"]
    return []


def _url_errors(where: str, field: str, urls: Any) -> list[str]:
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        return [f"{where}.{field} must be a list of URLs"]
    errors = []
    for url in urls:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        local = url.startswith(("http://localhost", "http://127.0.0.1"))
        if not scheme or (scheme == "http" and not local) or "#" in url:
            errors.append(
                f"{where}.{field} {url!r} must be an https:// URL, http://localhost, or an app's"
                " own scheme (myapp://callback), without a fragment"
            )
    return errors


def client_errors(where: str, client: Any) -> list[str]:
    if not isinstance(client, Mapping):
        return [f"{where} must be a mapping with a name, not {client!r}"]
    name = client.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        return [f"{where}.name {name!r} must be 1-128 letters, digits, spaces or +=,.@_-"]
    where = f"{where} ({name})"
    errors = []
    unknown = sorted(set(client) - {"name", *CLIENT_DEFAULTS})
    if unknown:
        errors.append(
            f"{where}: unknown field(s) {', '.join(unknown)} (name, {', '.join(CLIENT_DEFAULTS)})"
        )
    merged = {**CLIENT_DEFAULTS, **client}
    if not isinstance(merged["generate_secret"], bool):
        errors.append(f"{where}.generate_secret must be true or false")
    errors.extend(
        _list_errors(where, "explicit_auth_flows", merged["explicit_auth_flows"], AUTH_FLOWS)
    )
    for field in ("access_token_validity", "id_token_validity", "refresh_token_validity"):
        errors.extend(_int_error(where, field, merged[field]))
    if merged["prevent_user_existence_errors"] not in USER_EXISTENCE_ERRORS:
        errors.append(
            f"{where}.prevent_user_existence_errors must be one of"
            f" {', '.join(USER_EXISTENCE_ERRORS)}"
        )
    for field in ("callback_urls", "logout_urls"):
        errors.extend(_url_errors(where, field, merged[field]))
    errors.extend(_list_errors(where, "oauth_scopes", merged["oauth_scopes"], OAUTH_SCOPES))
    if merged["logout_urls"] and not merged["callback_urls"]:
        errors.append(f"{where}.logout_urls needs callback_urls (the hosted sign-in's redirect)")
    return errors


def pool_errors(pools: Any) -> list[str]:
    """Every error in a list of wanted pools, each naming the pool (and client) and the field."""
    if not isinstance(pools, list):
        return [f"pools must be a list of user pools, not {pools!r}"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, pool in enumerate(pools):
        where = f"pools[{index}]"
        if not isinstance(pool, Mapping):
            errors.append(f"{where} must be a mapping with a name, not {pool!r}")
            continue
        name = pool.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(f"{where}.name {name!r} must be 1-128 letters, digits, spaces or +=,.@_-")
            continue
        where = f"pools[{index}] ({name})"
        if name in seen:
            errors.append(f"{where}.name is used twice: pool names must be unique")
        seen.add(name)
        unknown = sorted(set(pool) - set(POOL_FIELDS))
        if unknown:
            errors.append(
                f"{where}: unknown field(s) {', '.join(unknown)} ({', '.join(POOL_FIELDS)})"
            )
        merged = {**POOL_DEFAULTS, **pool}
        if merged["mfa"] not in MFA_MODES:
            errors.append(f"{where}.mfa {merged['mfa']!r} must be one of {', '.join(MFA_MODES)}")
        if merged["deletion_protection"] not in DELETION_PROTECTION:
            errors.append(
                f"{where}.deletion_protection {merged['deletion_protection']!r} must be one of"
                f" {', '.join(DELETION_PROTECTION)}"
            )
        errors.extend(
            _list_errors(
                where, "username_attributes", merged["username_attributes"], USERNAME_ATTRIBUTES
            )
        )
        errors.extend(
            _list_errors(
                where,
                "auto_verified_attributes",
                merged["auto_verified_attributes"],
                AUTO_VERIFIED_ATTRIBUTES,
            )
        )
        policy = pool.get("password_policy", {})
        if not isinstance(policy, Mapping):
            errors.append(f"{where}.password_policy must be a mapping")
        else:
            unknown = sorted(set(policy) - set(PASSWORD_DEFAULTS))
            if unknown:
                errors.append(
                    f"{where}.password_policy: unknown field(s) {', '.join(unknown)}"
                    f" ({', '.join(PASSWORD_DEFAULTS)})"
                )
            policy = {**PASSWORD_DEFAULTS, **policy}
            for field in ("min_length", "temporary_password_validity_days"):
                errors.extend(_int_error(f"{where}.password_policy", field, policy[field]))
            errors.extend(
                f"{where}.password_policy.{field} must be true or false"
                for field in PASSWORD_DEFAULTS
                if field.startswith("require_") and not isinstance(policy[field], bool)
            )
        clients = merged["clients"]
        if not isinstance(clients, list):
            errors.append(f"{where}.clients must be a list of app clients")
            continue
        names: set[str] = set()
        for number, client in enumerate(clients):
            errors.extend(client_errors(f"{where}.clients[{number}]", client))
            client_name = client.get("name") if isinstance(client, Mapping) else None
            if client_name in names:
                errors.append(f"{where}.clients[{number}].name {client_name} is used twice")
            names.add(str(client_name))
    return errors


def normalise_pool(pool: Mapping[str, Any]) -> dict[str, Any]:
    """A valid wanted pool with every default filled in (clients too)."""
    merged = {**POOL_DEFAULTS, **{k: v for k, v in pool.items() if v is not None}}
    merged["password_policy"] = {**PASSWORD_DEFAULTS, **(pool.get("password_policy") or {})}
    merged["clients"] = [
        {**CLIENT_DEFAULTS, **{k: v for k, v in c.items() if v is not None}}
        for c in merged["clients"]
    ]
    return merged


def wanted_settings(pool: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """The flat settings of a normalised wanted pool (the diff's 'after')."""
    return {
        "mfa": pool["mfa"],
        "password_policy": dict(pool["password_policy"]),
        "username_attributes": sorted(pool["username_attributes"]),
        "auto_verified_attributes": sorted(pool["auto_verified_attributes"]),
        "deletion_protection": pool["deletion_protection"],
        "tags": dict(tags),
    }


def current_settings(
    description: Mapping[str, Any], mfa: Mapping[str, Any], tags: Collection[str]
) -> dict[str, Any]:
    """The flat settings of an existing pool, from DescribeUserPool's ``UserPool`` and
    GetUserPoolMfaConfig; ``tags`` lists the tag keys the module manages (others are ignored)."""
    policy = description.get("Policies", {}).get("PasswordPolicy", {})
    mode = mfa.get("MfaConfiguration", "OFF")
    token = bool((mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"))
    pool_tags = description.get("UserPoolTags") or {}
    return {
        # MFA without software tokens (SMS only) is not what this module sets up.
        "mfa": mode if mode == "OFF" or token else f"{mode} (without software tokens)",
        "password_policy": {
            "min_length": policy.get("MinimumLength"),
            "require_lowercase": policy.get("RequireLowercase"),
            "require_uppercase": policy.get("RequireUppercase"),
            "require_numbers": policy.get("RequireNumbers"),
            "require_symbols": policy.get("RequireSymbols"),
            "temporary_password_validity_days": policy.get("TemporaryPasswordValidityDays"),
        },
        "username_attributes": sorted(description.get("UsernameAttributes") or []),
        "auto_verified_attributes": sorted(description.get("AutoVerifiedAttributes") or []),
        "deletion_protection": description.get("DeletionProtection", "INACTIVE"),
        "tags": {k: pool_tags[k] for k in tags if k in pool_tags},
    }


def creation_only_errors(
    name: str, wanted: Mapping[str, Any], current: Mapping[str, Any]
) -> list[str]:
    return [
        f"pools ({name}).{field}: the pool has {current[field]} but {wanted[field]} is wanted."
        f" {field} can only be chosen when a pool is created: keep {current[field]}, or create a"
        " pool under a new name and migrate its users"
        for field in CREATION_ONLY
        if wanted[field] != current[field]
    ]


def _password_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "MinimumLength": policy["min_length"],
        "RequireLowercase": policy["require_lowercase"],
        "RequireUppercase": policy["require_uppercase"],
        "RequireNumbers": policy["require_numbers"],
        "RequireSymbols": policy["require_symbols"],
        "TemporaryPasswordValidityDays": policy["temporary_password_validity_days"],
    }


def create_pool_request(pool: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """CreateUserPool's arguments. MFA is set afterwards by SetUserPoolMfaConfig: CreateUserPool
    cannot enable software tokens, and MFA ON/OPTIONAL there requires an SMS configuration."""
    return {
        "PoolName": pool["name"],
        "Policies": {"PasswordPolicy": _password_policy(pool["password_policy"])},
        "UsernameAttributes": list(pool["username_attributes"]),
        "AutoVerifiedAttributes": list(pool["auto_verified_attributes"]),
        "DeletionProtection": pool["deletion_protection"],
        "UserPoolTags": dict(tags),
    }


def update_pool_request(
    description: Mapping[str, Any],
    members: Collection[str],
    overrides: Mapping[str, Any],
) -> dict[str, Any]:
    """UpdateUserPool's arguments: UpdateUserPool resets every setting it is not given to its
    default, so the request carries the pool's current settings (DESCRIPTION's keys that are
    among the operation's input MEMBERS) with OVERRIDES on top. MfaConfiguration is left out
    (SetUserPoolMfaConfig owns it), and so are the deprecated UnusedAccountValidityDays (AWS
    refuses it next to the password policy's TemporaryPasswordValidityDays) and the deprecated
    verification messages when the VerificationMessageTemplate that replaces them is there."""
    request = {
        k: v
        for k, v in description.items()
        if k in members and v is not None and k not in ("UserPoolId", "MfaConfiguration")
    }
    if "VerificationMessageTemplate" in request:
        # The deprecated top-level messages repeat the template's: send the template only.
        for deprecated in DEPRECATED_MESSAGES:
            request.pop(deprecated, None)
    admin = request.get("AdminCreateUserConfig")
    if isinstance(admin, Mapping):
        request["AdminCreateUserConfig"] = {
            k: v for k, v in admin.items() if k != "UnusedAccountValidityDays"
        }
    request.update(overrides)
    request["UserPoolId"] = description["Id"]
    return request


def pool_overrides(pool: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """The settings this module owns, as UpdateUserPool arguments (TAGS: every tag to keep)."""
    return {
        "Policies": {"PasswordPolicy": _password_policy(pool["password_policy"])},
        "AutoVerifiedAttributes": list(pool["auto_verified_attributes"]),
        "DeletionProtection": pool["deletion_protection"],
        "UserPoolTags": dict(tags),
    }


def mfa_request(mode: str) -> dict[str, Any]:
    """SetUserPoolMfaConfig's arguments (without UserPoolId): software tokens (TOTP) only."""
    return {"MfaConfiguration": mode, "SoftwareTokenMfaConfiguration": {"Enabled": mode != "OFF"}}


def client_request(client: Mapping[str, Any]) -> dict[str, Any]:
    """The managed settings of an app client, as Create/UpdateUserPoolClient arguments (without
    UserPoolId, ClientId and GenerateSecret). UpdateUserPoolClient resets what it is not given,
    so every update sends all of them."""
    request: dict[str, Any] = {
        "ClientName": client["name"],
        "ExplicitAuthFlows": list(client["explicit_auth_flows"]),
        "AccessTokenValidity": client["access_token_validity"],
        "IdTokenValidity": client["id_token_validity"],
        "RefreshTokenValidity": client["refresh_token_validity"],
        "TokenValidityUnits": dict(TOKEN_UNITS),
        "PreventUserExistenceErrors": client["prevent_user_existence_errors"],
        "EnableTokenRevocation": True,
        "AllowedOAuthFlowsUserPoolClient": bool(client["callback_urls"]),
    }
    if client["callback_urls"]:
        # The hosted sign-in with the authorization code grant (PKCE for apps without a secret).
        request.update(
            CallbackURLs=list(client["callback_urls"]),
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=list(client["oauth_scopes"]),
            SupportedIdentityProviders=["COGNITO"],
        )
        if client["logout_urls"]:
            request["LogoutURLs"] = list(client["logout_urls"])
    return request


LIST_FIELDS = (
    "ExplicitAuthFlows",
    "CallbackURLs",
    "LogoutURLs",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "SupportedIdentityProviders",
)


def client_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The managed client settings that differ, field -> (current, wanted). Lists compare as
    sets; a list or flag AWS leaves out counts as empty or false."""

    def norm(field: str, value: Any) -> Any:
        if field in LIST_FIELDS:
            return sorted(value or [])
        if field == "AllowedOAuthFlowsUserPoolClient":
            return bool(value)
        return value

    fields = set(wanted) | (set(LIST_FIELDS) & set(current))
    return {
        field: (current.get(field), wanted.get(field))
        for field in sorted(fields)
        if field != "ClientName"
        and norm(field, current.get(field)) != norm(field, wanted.get(field))
    }


def provider_name(region: str, pool_id: str) -> str:
    """The pool's identity provider name (what an identity pool or API authorizer names)."""
    return f"cognito-idp.{region}.amazonaws.com/{pool_id}"
