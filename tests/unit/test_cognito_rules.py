"""Pure-Python parts of estate.aws.cognito_user_pools (module_utils/cognito.py): validation of
the wanted pools and clients, the flat settings of a wanted and an existing pool, the
creation-only checks and the Cognito requests. No AWS."""

from __future__ import annotations

from typing import Any

import pytest
from support.source import load_plugin

cognito = load_plugin("module_utils/cognito.py")
ownership = load_plugin("module_utils/ownership.py")

USERS = {
    "name": "mobile-production-users",
    "clients": [
        {"name": "ios"},
        {
            "name": "web",
            "callback_urls": ["https://app.example.org/cb", "myapp://callback"],
            "logout_urls": ["https://app.example.org/"],
        },
    ],
}
TAGS = {"stack": "mobile", "tier": "serverless"}


def test_good_pools_have_no_errors() -> None:
    assert cognito.pool_errors([USERS, {"name": "admins", "mfa": "ON"}]) == []


@pytest.mark.parametrize(
    ("pools", "expected"),
    [
        ({"name": "x"}, "pools must be a list"),
        ([{"name": ""}], "pools[0].name '' must be 1-128"),
        ([{"name": "a/b"}], "pools[0].name 'a/b' must be"),
        ([USERS, USERS], "(mobile-production-users).name is used twice"),
        ([{"name": "p", "mfa": "SMS"}], "pools[0] (p).mfa 'SMS' must be one of OFF, OPTIONAL, ON"),
        ([{"name": "p", "deletion_protection": True}], ".deletion_protection True must be one of"),
        ([{"name": "p", "username_attributes": ["nick"]}], ".username_attributes ['nick'] must"),
        ([{"name": "p", "auto_verified_attributes": ["phone_number"]}], "must be a list of email"),
        ([{"name": "p", "password_policy": {"min_length": 4}}], ".min_length 4 must be an integer"),
        ([{"name": "p", "password_policy": {"require_symbols": "y"}}], ".require_symbols must be"),
        ([{"name": "p", "password_policy": {"length": 9}}], "password_policy: unknown field(s)"),
        ([{"name": "p", "groups": []}], "(p): unknown field(s) groups"),
        ([{"name": "p", "clients": [{"name": "a"}, {"name": "a"}]}], "clients[1].name a is used"),
        ([{"name": "p", "clients": [{}]}], "(p).clients[0].name None must be"),
        (
            [{"name": "p", "clients": [{"name": "a", "explicit_auth_flows": ["ADMIN"]}]}],
            "(p).clients[0] (a).explicit_auth_flows ['ADMIN'] must be a list of",
        ),
        (
            [{"name": "p", "clients": [{"name": "a", "access_token_validity": 2}]}],
            "(a).access_token_validity 2 must be an integer from 5 to 1440",
        ),
        (
            [{"name": "p", "clients": [{"name": "a", "refresh_token_validity": 4000}]}],
            ".refresh_token_validity 4000 must be an integer from 1 to 3650",
        ),
        (
            [{"name": "p", "clients": [{"name": "a", "callback_urls": ["http://app.org/cb"]}]}],
            "(a).callback_urls 'http://app.org/cb' must be an https:// URL",
        ),
        (
            [{"name": "p", "clients": [{"name": "a", "logout_urls": ["https://a.org/"]}]}],
            "(a).logout_urls needs callback_urls",
        ),
        (
            [{"name": "p", "clients": [{"name": "a", "prevent_user_existence_errors": "OFF"}]}],
            "(a).prevent_user_existence_errors must be one of ENABLED, LEGACY",
        ),
        ([{"name": "p", "clients": [{"name": "a", "secret": True}]}], "(a): unknown field(s)"),
    ],
)
def test_pool_errors_name_the_pool_and_field(pools: Any, expected: str) -> None:
    errors = cognito.pool_errors(pools)
    assert any(expected in e for e in errors), errors


def test_defaults() -> None:
    pool = cognito.normalise_pool({"name": "p", "clients": [{"name": "app"}]})
    assert pool["mfa"] == "OPTIONAL" and pool["deletion_protection"] == "ACTIVE"
    assert pool["password_policy"]["min_length"] == 12
    assert pool["password_policy"]["temporary_password_validity_days"] == 7
    assert pool["username_attributes"] == ["email"] == pool["auto_verified_attributes"]
    client = pool["clients"][0]
    assert client["generate_secret"] is False
    assert client["explicit_auth_flows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert cognito.mfa_request("OPTIONAL") == {
        "MfaConfiguration": "OPTIONAL",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    }
    assert cognito.mfa_request("OFF")["SoftwareTokenMfaConfiguration"] == {"Enabled": False}


def described(**over: Any) -> dict[str, Any]:
    """DescribeUserPool's answer for USERS as the module creates it, with OVER on top."""
    pool = cognito.normalise_pool(USERS)
    request = cognito.create_pool_request(pool, {**TAGS, "other": "kept"})
    description = {
        "Id": "eu-west-1_abc",
        "Name": request["PoolName"],
        "Policies": request["Policies"],
        "UsernameAttributes": request["UsernameAttributes"],
        "AutoVerifiedAttributes": request["AutoVerifiedAttributes"],
        "DeletionProtection": request["DeletionProtection"],
        "UserPoolTags": request["UserPoolTags"],
        "MfaConfiguration": "OPTIONAL",
        "LambdaConfig": {"PreSignUp": "arn:aws:lambda:eu-west-1:1:function:f"},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
        "EstimatedNumberOfUsers": 3,
        "EmailVerificationMessage": "Your code is {####}",
        "VerificationMessageTemplate": {"EmailMessage": "Your code is {####}"},
    }
    description.update(over)
    return description


MFA = {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}}


def test_a_converged_pool_has_no_difference() -> None:
    pool = cognito.normalise_pool(USERS)
    wanted = cognito.wanted_settings(pool, TAGS)
    assert cognito.current_settings(described(), MFA, TAGS) == wanted


def test_pool_differences_mfa_and_creation_only_fields() -> None:
    pool = cognito.normalise_pool({**USERS, "password_policy": {"min_length": 14}})
    wanted = cognito.wanted_settings(pool, TAGS)
    sms_only = {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": None}
    current = cognito.current_settings(
        described(UsernameAttributes=["phone_number"]), sms_only, TAGS
    )
    assert [f for f in wanted if wanted[f] != current[f]] == [
        "mfa",
        "password_policy",
        "username_attributes",
    ]
    assert current["mfa"] == "OPTIONAL (without software tokens)"
    errors = cognito.creation_only_errors("mobile-production-users", wanted, current)
    assert len(errors) == 1
    assert errors[0].startswith("pools (mobile-production-users).username_attributes:")
    assert "can only be chosen when a pool is created" in errors[0]
    off = cognito.current_settings(described(), {"MfaConfiguration": "OFF"}, TAGS)
    assert off["mfa"] == "OFF"


def test_update_request_keeps_unmanaged_settings() -> None:
    members = {
        "UserPoolId",
        "Policies",
        "DeletionProtection",
        "LambdaConfig",
        "AutoVerifiedAttributes",
        "MfaConfiguration",
        "AdminCreateUserConfig",
        "UserPoolTags",
        "EmailVerificationMessage",
        "VerificationMessageTemplate",
    }
    pool = cognito.normalise_pool({**USERS, "password_policy": {"min_length": 14}})
    tags = {**TAGS, "other": "kept"}
    request = cognito.update_pool_request(described(), members, cognito.pool_overrides(pool, tags))
    assert request["UserPoolId"] == "eu-west-1_abc"
    assert request["LambdaConfig"] == described()["LambdaConfig"]
    assert request["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert request["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    assert request["UserPoolTags"] == tags
    assert "MfaConfiguration" not in request and "UsernameAttributes" not in request
    assert "EstimatedNumberOfUsers" not in request
    assert request["VerificationMessageTemplate"] == {"EmailMessage": "Your code is {####}"}
    assert "EmailVerificationMessage" not in request
    unprotect = cognito.update_pool_request(
        described(), members, {"DeletionProtection": "INACTIVE"}
    )
    assert unprotect["DeletionProtection"] == "INACTIVE"
    assert unprotect["Policies"] == described()["Policies"]


def test_client_requests_and_changes() -> None:
    pool = cognito.normalise_pool(USERS)
    ios, web = (cognito.client_request(c) for c in pool["clients"])
    assert ios["AllowedOAuthFlowsUserPoolClient"] is False and "CallbackURLs" not in ios
    assert ios["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert ios["PreventUserExistenceErrors"] == "ENABLED"
    assert web["AllowedOAuthFlows"] == ["code"]
    assert web["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert web["LogoutURLs"] == ["https://app.example.org/"]
    # AWS answers lists in its own order and leaves out empty lists and false flags.
    current = {
        **{k: v for k, v in ios.items() if k != "AllowedOAuthFlowsUserPoolClient"},
        "ExplicitAuthFlows": list(reversed(ios["ExplicitAuthFlows"])),
        "ClientId": "c1",
        "UserPoolId": "eu-west-1_abc",
    }
    assert cognito.client_changes(current, ios) == {}
    current["AccessTokenValidity"] = 5
    current["CallbackURLs"] = ["https://old.example.org/"]
    assert cognito.client_changes(current, ios) == {
        "AccessTokenValidity": (5, 60),
        "CallbackURLs": (["https://old.example.org/"], None),
    }


def test_provider_name_and_ownership() -> None:
    assert (
        cognito.provider_name("eu-west-1", "eu-west-1_abc")
        == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    )
    assert ownership.owned_by({"stack": "m", "tier": "serverless", "x": "y"}, TAGS | {"stack": "m"})
    assert not ownership.owned_by({}, TAGS)
