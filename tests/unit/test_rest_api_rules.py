"""Pure-Python parts of estate.aws.rest_apis (module_utils/rest_api.py): validation of the wanted
APIs, their normal form, the resource tree, method, authorizer, stage, permission and domain
plans, and the definition digest that decides deployments. No AWS."""

from __future__ import annotations

from typing import Any

import pytest
from support.source import load_plugin

rules = load_plugin("module_utils/rest_api.py")
ownership = load_plugin("module_utils/ownership.py")

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:items"
POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Abc123"
CERT = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0f1e2d3c-aaaa"
LOGS = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/stack/api-access"
GOOD: list[dict[str, Any]] = [
    {
        "name": "cubed-production-predict",
        "description": "Predictions",
        "authorizer": {"name": "users", "user_pool_arns": [POOL]},
        "routes": [
            {
                "path": "/predict",
                "method": "POST",
                "function_arn": FN,
                "authorization": "COGNITO_USER_POOLS",
            },
            {"path": "/items/{id}", "method": "GET", "function_arn": FN},
            {"path": "/items/{id}/tags", "method": "PUT", "function_arn": f"{FN}:live"},
            {"path": "/", "method": "ANY", "function_arn": FN, "authorization": "AWS_IAM"},
            {"path": "/files/{proxy+}", "method": "GET", "function_arn": FN},
        ],
        "throttling": {"rate_limit": 12.5},
        "access_log_group_arn": LOGS,
        "domain": {"name": "api.withcubed.com", "certificate_arn": CERT},
    },
    {"name": "cubed-admin", "stage": "live", "endpoint_type": "EDGE"},
]


def test_good_apis_have_no_errors() -> None:
    assert rules.api_errors(GOOD, "eu-west-1") == []
    assert rules.api_errors([]) == []


def with_change(index: int, **fields: Any) -> list[dict[str, Any]]:
    apis = [dict(a) for a in GOOD]
    apis[index] = {**apis[index], **fields}
    return apis


def route(**fields: Any) -> list[dict[str, Any]]:
    return with_change(1, routes=[{"path": "/x", "method": "GET", "function_arn": FN, **fields}])


@pytest.mark.parametrize(
    ("apis", "expected"),
    [
        ({"name": "x"}, "apis must be a list"),
        (["x"], "apis[0] must be a mapping"),
        ([{"name": "bad name"}], "apis[0].name 'bad name' must be 1-128 letters"),
        ([{"name": "a"}, {"name": "a"}], "apis[1] (a).name is used twice"),
        (with_change(1, colour="red"), "apis[1] (cubed-admin): unknown field(s) colour"),
        (with_change(1, stage="v 1"), "apis[1] (cubed-admin).stage 'v 1' must be"),
        (with_change(1, endpoint_type="PRIVATE"), "endpoint_type 'PRIVATE' must be one of"),
        (with_change(1, description=3), ".description must be a string"),
        (with_change(1, routes="GET /"), ".routes must be a list"),
        (route(path="items"), ".routes[0].path 'items' must start with /"),
        (route(path="/items/"), ".routes[0].path '/items/' has the part ''"),
        (route(path="/a b"), "has the part 'a b'"),
        (route(path="/{proxy+}/x"), "has the greedy variable {proxy+} before its end"),
        (route(method="get"), ".routes[0].method 'get' must be one of GET, POST"),
        (route(function_arn="items"), ".routes[0].function_arn 'items' is not a Lambda"),
        (route(authorization="JWT"), ".routes[0].authorization 'JWT' must be one of"),
        (
            route(authorization="COGNITO_USER_POOLS"),
            "COGNITO_USER_POOLS but the API has no authorizer",
        ),
        (route(colour=1), ".routes[0]: unknown field(s) colour"),
        (
            with_change(
                1,
                routes=[
                    {"path": "/x", "method": "GET", "function_arn": FN},
                    {"path": "/x", "method": "GET", "function_arn": FN},
                ],
            ),
            ".routes[1]: GET /x is listed twice",
        ),
        (
            with_change(
                1,
                routes=[
                    {"path": "/x/{id}", "method": "GET", "function_arn": FN},
                    {"path": "/x/{key}/y", "method": "GET", "function_arn": FN},
                ],
            ),
            ".routes[1].path /x/{key}/y has {key} where another route has {id}",
        ),
        (
            with_change(1, authorizer={"name": "u"}),
            ".authorizer.user_pool_arns must be a non-empty",
        ),
        (
            with_change(1, authorizer={"name": "u", "user_pool_arns": ["pool"]}),
            ".authorizer.user_pool_arns[0] 'pool' is not a Cognito user pool ARN",
        ),
        (
            with_change(1, authorizer={"name": "u u", "user_pool_arns": [POOL]}),
            ".authorizer.name 'u u' must be",
        ),
        (
            with_change(1, authorizer={"name": "u", "user_pool_arns": [POOL, POOL]}),
            "lists a pool twice",
        ),
        (
            with_change(1, throttling={"rate_limit": -1}),
            ".throttling.rate_limit -1 must be a number",
        ),
        (
            with_change(1, throttling={"burst_limit": 1.5}),
            ".throttling.burst_limit 1.5 must be an integer",
        ),
        (with_change(1, throttling={"burst": 1}), ".throttling: unknown field(s) burst"),
        (with_change(1, throttling={"rate_limit": True}), ".throttling.rate_limit True must be"),
        (with_change(1, access_log_group_arn=LOGS + ":*"), ".access_log_group_arn"),
        (
            with_change(1, domain={"name": "API.example.org", "certificate_arn": CERT}),
            ".domain.name 'API.example.org' is not",
        ),
        (
            with_change(1, domain={"name": "api.example.org", "certificate_arn": "x"}),
            ".domain.certificate_arn 'x' is not an ACM",
        ),
        (
            with_change(
                1,
                domain={
                    "name": "api.example.org",
                    "certificate_arn": CERT.replace("eu-west-1", "us-east-1"),
                },
            ),
            ".domain.certificate_arn is in us-east-1: a regional custom domain needs a"
            " certificate of the API's region (eu-west-1)",
        ),
        (
            with_change(
                1, domain={"name": "api.example.org", "certificate_arn": CERT, "base_path": "a/b"}
            ),
            ".domain.base_path 'a/b' must be empty",
        ),
        (
            with_change(1, domain={"name": "api.withcubed.com", "certificate_arn": CERT}),
            "apis[1] (cubed-admin).domain.name api.withcubed.com is already the domain of"
            " cubed-production-predict",
        ),
    ],
)
def test_errors_name_the_field(apis: Any, expected: str) -> None:
    errors = rules.api_errors(apis, "eu-west-1")
    assert any(expected in e for e in errors), errors


def test_api_spec_fills_defaults() -> None:
    spec = rules.api_spec(GOOD[0])
    assert spec["stage"] == "v1" and spec["endpoint_type"] == "REGIONAL"
    assert spec["throttling"] == {"rate_limit": 12.5, "burst_limit": 200}
    assert spec["domain"]["base_path"] == ""
    assert {r["authorization"] for r in spec["routes"]} == {"COGNITO_USER_POOLS", "NONE", "AWS_IAM"}
    admin = rules.api_spec(GOOD[1])
    assert admin["routes"] == [] and admin["authorizer"] is None and admin["domain"] is None
    assert admin["throttling"] == {"rate_limit": 100, "burst_limit": 200}


def test_digest_covers_routes_and_authorizer_only() -> None:
    spec = rules.api_spec(GOOD[0])
    digest = rules.definition_digest(spec)
    assert len(digest) == 16
    reordered = rules.api_spec({**GOOD[0], "routes": list(reversed(GOOD[0]["routes"]))})
    assert rules.definition_digest(reordered) == digest
    settings = rules.api_spec({**GOOD[0], "throttling": {"rate_limit": 1}, "description": "x"})
    assert rules.definition_digest(settings) == digest
    fewer = rules.api_spec({**GOOD[0], "routes": GOOD[0]["routes"][1:]})
    assert rules.definition_digest(fewer) != digest
    pools = rules.api_spec(
        {**GOOD[0], "authorizer": {"name": "users", "user_pool_arns": [POOL, POOL + "x"]}}
    )
    assert rules.definition_digest(pools) != digest
    assert rules.deployment_description(digest) == f"estate.aws.rest_apis config-sha {digest}"


def test_resource_paths_and_plan() -> None:
    spec = rules.api_spec(GOOD[0])
    assert rules.resource_paths(spec["routes"]) == {
        "/",
        "/predict",
        "/items",
        "/items/{id}",
        "/items/{id}/tags",
        "/files",
        "/files/{proxy+}",
    }
    current = ["/", "/old", "/old/{id}", "/old/{id}/x", "/items", "/items/gone"]
    creates, deletes = rules.resource_plan(current, {"/", "/items", "/items/{id}", "/new"})
    assert creates == ["/new", "/items/{id}"]
    assert deletes == ["/old", "/items/gone"], "only the topmost unwanted resource of a subtree"
    assert rules.resource_plan(["/"], {"/"}) == ([], [])
    assert rules.parent_path("/a") == "/" and rules.parent_path("/a/b") == "/a"


def test_method_plan() -> None:
    spec = rules.api_spec(GOOD[0])
    wanted = rules.wanted_methods(spec, "aws", "eu-west-1", "auth1")
    predict = wanted[("/predict", "POST")]
    assert predict["authorizerId"] == "auth1"
    assert predict["integration"] == {
        "type": "AWS_PROXY",
        "httpMethod": "POST",
        "uri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN}/invocations",
    }
    assert wanted[("/items/{id}", "GET")]["authorizerId"] is None
    read = {
        "authorizationType": "COGNITO_USER_POOLS",
        "authorizerId": "auth1",
        "methodIntegration": {
            "type": "AWS_PROXY",
            "httpMethod": "POST",
            "uri": predict["integration"]["uri"],
        },
        "methodResponses": {},
    }
    assert rules.current_method(read) == predict
    current = {key: dict(value) for key, value in wanted.items()}
    assert rules.method_plan(current, wanted) == {
        "create": [],
        "replace": [],
        "integrate": [],
        "delete": [],
    }
    current[("/predict", "POST")] = {**predict, "authorizationType": "NONE", "authorizerId": None}
    current[("/items/{id}", "GET")] = {
        **wanted[("/items/{id}", "GET")],
        "integration": {"type": "AWS_PROXY", "httpMethod": "POST", "uri": "other"},
    }
    del current[("/", "ANY")]
    current[("/items/{id}", "DELETE")] = predict
    current[("/old", "GET")] = predict
    plan = rules.method_plan(current, wanted, ["/old"])
    assert plan == {
        "create": [("/", "ANY")],
        "replace": [("/predict", "POST")],
        "integrate": [("/items/{id}", "GET")],
        "delete": [("/items/{id}", "DELETE")],
    }


def test_authorizer_plan() -> None:
    wanted = {"name": "users", "user_pool_arns": [POOL, POOL + "2"]}
    mine = {
        "id": "a1",
        "name": "users",
        "type": "COGNITO_USER_POOLS",
        "providerARNs": [POOL, POOL + "9"],
        "identitySource": "method.request.header.Authorization",
    }
    other = {"id": "a2", "name": "legacy", "type": "TOKEN"}
    plan = rules.authorizer_plan([other, mine], wanted)
    assert plan["keep"] == "a1" and not plan["create"] and plan["delete"] == ["a2"]
    assert plan["patch"] == [
        {"op": "add", "path": "/providerARNs", "value": POOL + "2"},
        {"op": "remove", "path": "/providerARNs", "value": POOL + "9"},
    ]
    assert rules.authorizer_plan([], wanted) == {
        "keep": None,
        "create": True,
        "patch": [],
        "delete": [],
    }
    assert rules.authorizer_plan([mine], None)["delete"] == ["a1"]
    same = {**mine, "providerARNs": [POOL + "2", POOL]}
    assert rules.authorizer_plan([same], wanted)["patch"] == []


def test_stage_patch() -> None:
    throttling = {"rate_limit": 50, "burst_limit": 100}
    assert rules.stage_patch({}, throttling, LOGS) == [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50.0"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": LOGS},
        {"op": "replace", "path": "/accessLogSettings/format", "value": rules.ACCESS_LOG_FORMAT},
    ]
    converged = {
        "methodSettings": {"*/*": {"throttlingRateLimit": 50.0, "throttlingBurstLimit": 100}},
        "accessLogSettings": {"destinationArn": LOGS, "format": rules.ACCESS_LOG_FORMAT},
    }
    assert rules.stage_patch(converged, throttling, LOGS) == []
    assert rules.stage_patch(converged, throttling, None) == [
        {"op": "remove", "path": "/accessLogSettings"}
    ]
    assert rules.stage_settings(converged) == {
        "name": None,
        "throttling": {"rate_limit": 50.0, "burst_limit": 100},
        "access_log_group_arn": LOGS,
    }


def test_source_arns_and_statement_ids() -> None:
    prefix = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123"
    assert (
        rules.source_arn("aws", "eu-west-1", ACCOUNT, "abc123", "GET", "/items/{id}")
        == f"{prefix}/*/GET/items/*"
    )
    assert rules.source_arn("aws", "eu-west-1", ACCOUNT, "abc123", "ANY", "/") == f"{prefix}/*/*/"
    assert (
        rules.source_arn("aws", "eu-west-1", ACCOUNT, "abc123", "POST", "/files/{proxy+}")
        == f"{prefix}/*/POST/files/*"
    )
    sid = rules.statement_id("abc123", "GET", "/items/{id}")
    assert sid == rules.statement_id("abc123", "GET", "/items/{id}")
    assert sid.startswith("estate-apigw-abc123-GET-") and len(sid) <= 100
    assert sid != rules.statement_id("abc123", "GET", "/items")
    assert rules.function_of(rules.lambda_uri("aws", "eu-west-1", FN)) == FN
    assert rules.function_of("http://example.org") is None


def test_permission_plan() -> None:
    spec = rules.api_spec(
        {
            "name": "a",
            "routes": [
                {"path": "/items", "method": "GET", "function_arn": FN},
                {"path": "/items/{id}", "method": "GET", "function_arn": FN},
                {"path": "/o", "method": "POST", "function_arn": FN + "2"},
            ],
        }
    )
    wanted = rules.wanted_permissions(spec, "aws", "eu-west-1", ACCOUNT, "abc")
    assert len(wanted) == 3

    def statement(
        sid: str, source: str, principal: str = "apigateway.amazonaws.com"
    ) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Condition": {"ArnLike": {"AWS:SourceArn": source}},
        }

    items, item, post = sorted(wanted, key=lambda s: wanted[s][1])
    policies = {
        FN: [
            statement(items, wanted[items][1]),
            statement(items, wanted[items][1]),  # a duplicate goes
            statement(item, wanted[item][1] + "x"),  # a wrong source is replaced
            statement(rules.statement_id("abc", "GET", "/gone"), "old"),  # a route that went
            statement("someone-elses", "x"),  # never touched
            statement(rules.statement_id("xyz", "GET", "/items"), "x"),  # another API's
        ],
        FN + "2": [],
    }
    adds, removes = rules.permission_plan(policies, wanted, "abc")
    assert adds == sorted(
        [(FN, item, wanted[item][1]), (FN + "2", post, wanted[post][1])], key=lambda a: a[1]
    )
    assert sorted(removes) == sorted(
        [(FN, items), (FN, item), (FN, rules.statement_id("abc", "GET", "/gone"))]
    )
    converged = {
        FN: [statement(s, wanted[s][1]) for s in (items, item)],
        FN + "2": [statement(post, wanted[post][1])],
    }
    assert rules.permission_plan(converged, wanted, "abc") == ([], [])


def test_domains_and_outputs() -> None:
    assert rules.base_path_key("") == "(none)" and rules.base_path_key("v1") == "v1"
    assert (
        rules.domain_patch({"regionalCertificateArn": CERT, "securityPolicy": "TLS_1_2"}, CERT)
        == []
    )
    assert rules.domain_patch(
        {"regionalCertificateArn": "old", "securityPolicy": "TLS_1_0"}, CERT
    ) == [
        {"op": "replace", "path": "/regionalCertificateArn", "value": CERT},
        {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_2"},
    ]
    assert (
        rules.invoke_url("abc", "eu-west-1", "v1")
        == "https://abc.execute-api.eu-west-1.amazonaws.com/v1"
    )
    assert rules.api_arn("aws", "eu-west-1", "abc") == "arn:aws:apigateway:eu-west-1::/restapis/abc"
    assert rules.stage_arn("aws", "eu-west-1", "abc", "v1").endswith("/restapis/abc/stages/v1")
    assert rules.domain_arn("aws", "eu-west-1", "api.x.org").endswith("::/domainnames/api.x.org")
    assert ownership.tag_changes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == {
        "b": "3",
        "c": "4",
    }
