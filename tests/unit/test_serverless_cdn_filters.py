"""The serverless and CDN tiers' data rules and shaping (plugins/filter/serverless.py, cdn.py),
without the emulator."""

from __future__ import annotations

from typing import Any

from support.source import load_plugin

serverless = load_plugin("filter/serverless.py")
cdn = load_plugin("filter/cdn.py")
CTX = {"prefix": "shop", "roles": ["api"], "certificates": ["gw"], "sources": ["apps/lambda/a"]}


def tier(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "functions": [{"name": "api", "source": "apps/lambda/a", "role": "api"}],
        "tables": [{"name": "app", "hash_key": {"name": "pk", "type": "S"}}],
        "topics": [{"name": "push"}],
        "user_pools": [{"name": "users", "clients": [{"name": "mobile"}]}],
        "apis": [
            {
                "name": "app",
                "user_pool": "users",
                "domain": {"name": "gw.shop.example", "certificate": "gw"},
                "routes": [
                    {"path": "/items/{id}", "method": "GET", "function": "api", "authorized": True}
                ],
            }
        ],
        "schedules": [{"name": "nightly", "function": "api", "expression": "cron(0 5 * * ? *)"}],
    }
    data.update(changes)
    return data


def test_a_valid_tier_has_no_error() -> None:
    assert serverless.serverless_errors(tier(), CTX) == []


def test_each_rule_names_the_field() -> None:
    cases = {
        "aws_serverless_functions[0].source 'apps/x'": {
            "functions": [{"name": "api", "source": "apps/x", "role": "api"}]
        },
        "aws_serverless_functions[0].role 'web'": {
            "functions": [{"name": "api", "source": "apps/lambda/a", "role": "web"}]
        },
        "aws_serverless_functions[0].environment_from.T 'tables.nope.name'": {
            "functions": [
                {
                    "name": "api",
                    "source": "apps/lambda/a",
                    "role": "api",
                    "environment_from": {"T": "tables.nope.name"},
                }
            ]
        },
        "aws_serverless_apis[0].routes[0].function 'gone'": {
            "apis": [{"name": "a", "routes": [{"path": "/x", "method": "GET", "function": "gone"}]}]
        },
        "aws_serverless_apis[0].routes[0].path 'x/'": {
            "apis": [{"name": "a", "routes": [{"path": "x/", "method": "GET", "function": "api"}]}]
        },
        "aws_serverless_apis[0].routes[0].authorized needs the API's user_pool": {
            "apis": [
                {
                    "name": "a",
                    "routes": [
                        {"path": "/x", "method": "GET", "function": "api", "authorized": True}
                    ],
                }
            ]
        },
        "aws_serverless_apis[0].domain.certificate 'nope'": {
            "apis": [
                {
                    "name": "a",
                    "domain": {"name": "x.example", "certificate": "nope"},
                    "routes": [{"path": "/x", "method": "GET", "function": "api"}],
                }
            ]
        },
        "aws_serverless_topics[1].name 'push' is defined twice": {
            "topics": [{"name": "push"}, {"name": "push"}]
        },
        "aws_serverless_topics[0].name 'Push'": {"topics": [{"name": "Push"}]},
        "aws_serverless_schedules[0].function 'gone'": {
            "schedules": [{"name": "s", "function": "gone", "expression": "rate(1 day)"}]
        },
        "aws_serverless_schedules[0].expression 'daily'": {
            "schedules": [{"name": "s", "function": "api", "expression": "daily"}]
        },
        "aws_serverless_schedules[0].expression 'cron(0 5 * * ?)'": {
            "schedules": [{"name": "s", "function": "api", "expression": "cron(0 5 * * ?)"}]
        },
        "aws_serverless_schedules[0].name 'S'": {
            "schedules": [{"name": "S", "function": "api", "expression": "rate(1 day)"}]
        },
    }
    for expected, changes in cases.items():
        errors = serverless.serverless_errors(tier(**changes), CTX)
        assert any(e.startswith(expected) for e in errors), (expected, errors)


def test_environment_and_apis_are_resolved_from_the_outputs() -> None:
    refs = {
        "tables": {"app": {"name": "shop-app", "arn": "arn:t"}},
        "topics": {"push": {"arn": "arn:p"}},
    }
    env = serverless.serverless_environment(
        {"T": "tables.app.name", "P": "topics.push.arn", "X": "topics.new.arn"}, refs
    )
    assert env == {"T": "shop-app", "P": "arn:p", "X": ""}
    short = serverless.serverless_short({"shop-push": "arn:p"}, "shop")
    assert short == {"push": {"name": "shop-push", "arn": "arn:p"}}
    apis = serverless.serverless_apis(
        tier()["apis"],
        "shop",
        {"api": "arn:fn"},
        {"users": {"arn": "arn:pool"}},
        {"gw": "arn:cert"},
    )
    assert apis[0]["name"] == "shop-app" and apis[0]["stage"] == "v1"
    assert apis[0]["routes"] == [
        {
            "path": "/items/{id}",
            "method": "GET",
            "function_arn": "arn:fn",
            "authorization": "COGNITO_USER_POOLS",
        }
    ]
    assert apis[0]["authorizer"] == {"name": "shop-users", "user_pool_arns": ["arn:pool"]}
    assert apis[0]["domain"] == {
        "name": "gw.shop.example",
        "certificate_arn": "arn:cert",
        "base_path": "",
    }


def test_only_the_stacks_functions_are_owned() -> None:
    tags = {"stack": "shop", "env": "prod", "managed-by": "ansible"}
    functions = [
        {
            "function_name": "shop-api",
            "tags": {"stack": "shop", "managed-by": "ansible", "tier": "serverless"},
        },
        {"function_name": "shop-hand-made", "tags": {"stack": "shop"}},
        {
            "function_name": "other-api",
            "tags": {"stack": "other", "managed-by": "ansible", "tier": "serverless"},
        },
    ]
    assert serverless.serverless_owned(functions, tags) == ["shop-api"]


def test_cdn_rules_and_shape() -> None:
    ctx = {"buckets": ["static", "media"], "certificates": ["static"]}
    good = {
        "name": "content",
        "origins": [{"id": "s", "bucket": "static"}, {"id": "m", "bucket": "media"}],
        "behaviors": [{"path_pattern": "media/*", "origin": "m"}],
        "aliases": ["static.shop.example"],
        "certificate": "static",
    }
    assert cdn.cdn_errors([good], ctx) == []
    bad = {**good, "origins": [{"id": "s", "bucket": "logs"}], "certificate": None}
    errors = cdn.cdn_errors([bad], ctx)
    assert any("origins[0].bucket 'logs'" in e for e in errors)
    assert any("behaviors[0].origin 'm'" in e for e in errors)
    assert any("certificate: aliases need a certificate" in e for e in errors)
    buckets = {"static": {"name": "shop-prod-static"}, "media": {"name": "shop-prod-media"}}
    shaped = cdn.cdn_distributions([good], "shop", buckets, {"static": "arn:cert"}, "us-east-1")
    assert shaped[0]["name"] == "shop-content" and shaped[0]["default_origin"] == "s"
    assert shaped[0]["origins"][1] == {
        "id": "m",
        "bucket": "shop-prod-media",
        "region": "us-east-1",
    }
    assert shaped[0]["certificate_arn"] == "arn:cert" and "logging_bucket" not in shaped[0]


def test_function_arns_lose_their_qualifier() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-api"
    assert serverless.unqualified_arn(f"{arn}:1") == arn
    assert serverless.unqualified_arn(f"{arn}:$LATEST") == arn
    assert serverless.unqualified_arn(arn) == arn


def test_cdn_outputs_leave_the_moving_status_out() -> None:
    found = {
        "shop-content": {"id": "E1", "domain_name": "d1.cloudfront.net", "status": "InProgress"}
    }
    assert cdn.cdn_outputs(found, "shop") == {
        "content": {"id": "E1", "domain_name": "d1.cloudfront.net"}
    }


def test_schedules_take_their_functions_arns() -> None:
    schedules = [
        {"name": "nightly", "function": "api", "expression": "rate(1 day)", "input": {"k": 1}},
        {"name": "new", "function": "later", "expression": "rate(1 day)", "enabled": False},
    ]
    shaped = serverless.serverless_schedules(schedules, "shop", {"api": "arn:aws:lambda:f"})
    assert shaped == [
        {
            "name": "shop-nightly",
            "expression": "rate(1 day)",
            "description": "",
            "enabled": True,
            "function_arn": "arn:aws:lambda:f",
            "input": {"k": 1},
        },
        {
            "name": "shop-new",
            "expression": "rate(1 day)",
            "description": "",
            "enabled": False,
            "function_arn": "",
        },
    ]
