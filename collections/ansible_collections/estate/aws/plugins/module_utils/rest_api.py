# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of ``estate.aws.rest_apis``: validation of the wanted APIs, their normal form,
the resource tree, methods and integrations a list of routes needs, the plans that turn what
exists into what is wanted (resources, methods, authorizer, stage settings, Lambda permissions),
and the digest of an API definition that decides when a new deployment is due. Only the stdlib.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

APIS = "apis"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "ANY")
AUTHORIZATIONS = ("NONE", "COGNITO_USER_POOLS", "AWS_IAM")
ENDPOINT_TYPES = ("REGIONAL", "EDGE")
THROTTLING_LIMITS: dict[str, tuple[int, int]] = {"rate_limit": (0, 10000), "burst_limit": (0, 5000)}
API_DEFAULTS: dict[str, Any] = {
    "description": "",
    "stage": "v1",
    "endpoint_type": "REGIONAL",
    "routes": [],
    "authorizer": None,
    "throttling": {"rate_limit": 100, "burst_limit": 200},
    "access_log_group_arn": None,
    "domain": None,
}
ROUTE_KEYS = ("path", "method", "function_arn", "authorization")
AUTHORIZER_KEYS = ("name", "user_pool_arns")
DOMAIN_KEYS = ("name", "certificate_arn", "base_path")
SECURITY_POLICY = "TLS_1_2"
IDENTITY_SOURCE = "method.request.header.Authorization"
DEFAULT_TIER = "serverless"
# Stage tag holding the digest of the definition the stage serves; the deployment made for it
# carries the same digest in its description (what decides whether a new deployment is due).
CONFIG_TAG = "config-sha"
DEPLOYMENT_MARK = "estate.aws.rest_apis config-sha "
# Tag of a custom domain naming the API it fronts.
API_TAG = "api"
# Lambda permission statements made by the module: <prefix><api id>-<METHOD>-<digest of path>.
SID_PREFIX = "estate-apigw-"
LAMBDA_API_VERSION = "2015-03-31"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
    },
    sort_keys=True,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
STAGE_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
AUTHORIZER_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
TIER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SEGMENT_RE = re.compile(r"^[A-Za-z0-9._:-]+$")
VARIABLE_RE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$")
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
BASE_PATH_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
PARTITION = r"arn:aws(?:-[a-z]+)*"
FUNCTION_ARN_RE = re.compile(
    PARTITION
    + r":lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$"
)
USER_POOL_ARN_RE = re.compile(
    PARTITION + r":cognito-idp:[a-z0-9-]+:\d{12}:userpool/[a-z0-9-]+_[A-Za-z0-9]+$"
)
LOG_GROUP_ARN_RE = re.compile(PARTITION + r":logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_/.#-]+$")
CERTIFICATE_ARN_RE = re.compile(PARTITION + r":acm:([a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
LAMBDA_URI_RE = re.compile(r":lambda:path/[0-9-]+/functions/(.+)/invocations$")


# -- validation ----------------------------------------------------------------------------------
def valid_domain(domain: str) -> bool:
    """A lower-case DNS name of at least two labels, 253 characters at most."""
    labels = domain.split(".")
    return (
        len(domain) <= 253
        and len(labels) >= 2
        and all(LABEL_RE.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def path_errors(path: Any) -> str | None:
    """Why PATH is not a resource path such as / or /items/{id} (None when it is one)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return "must start with /"
    if path == "/":
        return None
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        variable = VARIABLE_RE.match(segment)
        if variable:
            if variable.group(2) and index != len(segments) - 1:
                return f"has the greedy variable {segment} before its end"
        elif not SEGMENT_RE.match(segment):
            return (
                f"has the part {segment!r}: use letters, digits, . _ - : or a {{variable}}"
                " (no empty part, no trailing /)"
            )
    return None


def api_errors(apis: Any, region: str | None = None, field: str = APIS) -> list[str]:
    """Every error in a list of wanted APIs, each naming the field and the fix (empty: valid)."""
    if not isinstance(apis, list):
        return [f"{field} must be a list of APIs ({{name, routes, ...}}), not {apis!r}"]
    errors: list[str] = []
    names: set[str] = set()
    domains: dict[str, str] = {}
    for index, api in enumerate(apis):
        where = f"{field}[{index}]"
        if not isinstance(api, Mapping):
            errors.append(f"{where} must be a mapping with a name, not {api!r}")
            continue
        name = api.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(
                f"{where}.name {name!r} must be 1-128 letters, digits, '.', '_' or '-',"
                " starting with a letter or digit"
            )
            continue
        where = f"{field}[{index}] ({name})"
        unknown = sorted(set(api) - set(API_DEFAULTS) - {"name"})
        if unknown:
            errors.append(
                f"{where}: unknown field(s) {', '.join(unknown)} (name, {', '.join(API_DEFAULTS)})"
            )
        if name in names:
            errors.append(f"{where}.name is used twice: API names must be unique")
        names.add(name)
        spec = {**API_DEFAULTS, **api}
        if not isinstance(spec["description"], str):
            errors.append(f"{where}.description must be a string")
        if not isinstance(spec["stage"], str) or not STAGE_RE.match(spec["stage"]):
            errors.append(
                f"{where}.stage {spec['stage']!r} must be 1-128 letters, digits, '_' or '-'"
            )
        if spec["endpoint_type"] not in ENDPOINT_TYPES:
            errors.append(
                f"{where}.endpoint_type {spec['endpoint_type']!r} must be one of"
                f" {', '.join(ENDPOINT_TYPES)}"
            )
        errors.extend(_authorizer_errors(where, spec["authorizer"]))
        errors.extend(_route_errors(where, spec["routes"], spec["authorizer"] is not None))
        errors.extend(_throttling_errors(where, spec["throttling"]))
        log_group = spec["access_log_group_arn"]
        if log_group is not None and (
            not isinstance(log_group, str) or not LOG_GROUP_ARN_RE.match(log_group)
        ):
            errors.append(
                f"{where}.access_log_group_arn {log_group!r} must be a CloudWatch Logs group ARN"
                " (arn:aws:logs:<region>:<account>:log-group:<name>, without a trailing :*)"
            )
        domain = spec["domain"]
        if domain is not None:
            errors.extend(_domain_errors(where, domain, region))
            domain_name = domain.get("name") if isinstance(domain, Mapping) else None
            if isinstance(domain_name, str) and domain_name in domains:
                errors.append(
                    f"{where}.domain.name {domain_name} is already the domain of"
                    f" {domains[domain_name]}"
                )
            if isinstance(domain_name, str):
                domains[domain_name] = name
    return errors


def _authorizer_errors(where: str, authorizer: Any) -> list[str]:
    if authorizer is None:
        return []
    if not isinstance(authorizer, Mapping):
        return [f"{where}.authorizer must be a mapping {{name, user_pool_arns}} or null"]
    errors = []
    unknown = sorted(set(authorizer) - set(AUTHORIZER_KEYS))
    if unknown:
        errors.append(
            f"{where}.authorizer: unknown field(s) {', '.join(unknown)} (name, user_pool_arns)"
        )
    name = authorizer.get("name")
    if not isinstance(name, str) or not AUTHORIZER_NAME_RE.match(name):
        errors.append(f"{where}.authorizer.name {name!r} must be 1-128 letters, digits, '_' or '-'")
    pools = authorizer.get("user_pool_arns")
    if not isinstance(pools, list) or not pools:
        errors.append(f"{where}.authorizer.user_pool_arns must be a non-empty list of ARNs")
    else:
        for position, arn in enumerate(pools):
            if not isinstance(arn, str) or not USER_POOL_ARN_RE.match(arn):
                errors.append(
                    f"{where}.authorizer.user_pool_arns[{position}] {arn!r} is not a Cognito user"
                    " pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>)"
                )
        if len(set(map(str, pools))) != len(pools):
            errors.append(f"{where}.authorizer.user_pool_arns lists a pool twice")
    return errors


def _route_errors(where: str, routes: Any, has_authorizer: bool) -> list[str]:
    if not isinstance(routes, list):
        return [f"{where}.routes must be a list of {{path, method, function_arn}}"]
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    variables: dict[str, str] = {}
    for index, route in enumerate(routes):
        here = f"{where}.routes[{index}]"
        if not isinstance(route, Mapping):
            errors.append(f"{here} must be a mapping {{path, method, function_arn}}")
            continue
        unknown = sorted(set(route) - set(ROUTE_KEYS))
        if unknown:
            errors.append(
                f"{here}: unknown field(s) {', '.join(unknown)} ({', '.join(ROUTE_KEYS)})"
            )
        path = route.get("path")
        problem = path_errors(path)
        if problem:
            errors.append(f"{here}.path {path!r} {problem}")
        method = route.get("method")
        if method not in METHODS:
            errors.append(f"{here}.method {method!r} must be one of {', '.join(METHODS)}")
        function = route.get("function_arn")
        if not isinstance(function, str) or not FUNCTION_ARN_RE.match(function):
            errors.append(
                f"{here}.function_arn {function!r} is not a Lambda function ARN"
                " (arn:aws:lambda:<region>:<account>:function:<name>)"
            )
        authorization = route.get("authorization", "NONE")
        if authorization not in AUTHORIZATIONS:
            errors.append(
                f"{here}.authorization {authorization!r} must be one of {', '.join(AUTHORIZATIONS)}"
            )
        elif authorization == "COGNITO_USER_POOLS" and not has_authorizer:
            errors.append(
                f"{here}.authorization is COGNITO_USER_POOLS but the API has no authorizer:"
                " add authorizer {name, user_pool_arns}"
            )
        if problem or method not in METHODS:
            continue
        if (path, method) in seen:
            errors.append(f"{here}: {method} {path} is listed twice")
        seen.add((path, method))
        # Siblings may not have two different variable parts (/items/{id} and /items/{key}).
        parent = ""
        for segment in path[1:].split("/") if path != "/" else []:
            if VARIABLE_RE.match(segment):
                other = variables.setdefault(parent, segment)
                if other != segment:
                    errors.append(
                        f"{here}.path {path} has {segment} where another route has {other}:"
                        " a resource has at most one variable child"
                    )
            parent = f"{parent}/{segment}"
    return errors


def _throttling_errors(where: str, throttling: Any) -> list[str]:
    if not isinstance(throttling, Mapping):
        return [f"{where}.throttling must be a mapping {{rate_limit, burst_limit}}"]
    errors = []
    unknown = sorted(set(throttling) - set(THROTTLING_LIMITS))
    if unknown:
        errors.append(
            f"{where}.throttling: unknown field(s) {', '.join(unknown)} (rate_limit, burst_limit)"
        )
    for key, (low, high) in THROTTLING_LIMITS.items():
        value = throttling.get(key, API_DEFAULTS["throttling"][key])
        integral = key == "burst_limit"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integral and not float(value).is_integer())
            or not low <= value <= high
        ):
            kind = "an integer" if integral else "a number"
            errors.append(f"{where}.throttling.{key} {value!r} must be {kind} from {low} to {high}")
    return errors


def _domain_errors(where: str, domain: Any, region: str | None) -> list[str]:
    if not isinstance(domain, Mapping):
        return [f"{where}.domain must be a mapping {{name, certificate_arn, base_path}} or null"]
    errors = []
    unknown = sorted(set(domain) - set(DOMAIN_KEYS))
    if unknown:
        errors.append(
            f"{where}.domain: unknown field(s) {', '.join(unknown)} ({', '.join(DOMAIN_KEYS)})"
        )
    name = domain.get("name")
    if not isinstance(name, str) or not valid_domain(name):
        errors.append(
            f"{where}.domain.name {name!r} is not a lower-case DNS name such as api.example.org"
        )
    certificate = domain.get("certificate_arn")
    match = CERTIFICATE_ARN_RE.match(certificate) if isinstance(certificate, str) else None
    if not match:
        errors.append(
            f"{where}.domain.certificate_arn {certificate!r} is not an ACM certificate ARN"
            " (arn:aws:acm:<region>:<account>:certificate/<id>)"
        )
    elif region and match.group(1) != region:
        errors.append(
            f"{where}.domain.certificate_arn is in {match.group(1)}: a regional custom domain"
            f" needs a certificate of the API's region ({region})"
        )
    base_path = domain.get("base_path", "")
    if not isinstance(base_path, str) or (base_path and not BASE_PATH_RE.match(base_path)):
        errors.append(
            f"{where}.domain.base_path {base_path!r} must be empty (the domain's root) or one"
            " path part of letters, digits, '.', '_' or '-'"
        )
    return errors


# -- normal form ---------------------------------------------------------------------------------
def api_spec(api: Mapping[str, Any]) -> dict[str, Any]:
    """A valid API with every default filled in."""
    spec = {**copy.deepcopy(API_DEFAULTS), **copy.deepcopy(dict(api))}
    spec["throttling"] = {**API_DEFAULTS["throttling"], **(api.get("throttling") or {})}
    spec["routes"] = [
        {
            "path": r["path"],
            "method": r["method"],
            "function_arn": r["function_arn"],
            "authorization": r.get("authorization", "NONE"),
        }
        for r in api.get("routes") or []
    ]
    if spec["authorizer"] is not None:
        spec["authorizer"] = {
            "name": spec["authorizer"]["name"],
            "user_pool_arns": sorted(spec["authorizer"]["user_pool_arns"]),
        }
    if spec["domain"] is not None:
        spec["domain"] = {"base_path": "", **spec["domain"]}
    return spec


def definition(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What a deployment of SPEC serves: its routes and authorizer (not stage settings)."""
    return {
        "routes": sorted(
            (r["method"], r["path"], r["function_arn"], r["authorization"]) for r in spec["routes"]
        ),
        "authorizer": spec["authorizer"],
    }


def definition_digest(spec: Mapping[str, Any]) -> str:
    """A short, stable digest of the API definition (the stage's CONFIG_TAG)."""
    text = json.dumps(definition(spec), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def deployment_description(digest: str) -> str:
    return f"{DEPLOYMENT_MARK}{digest}"


# -- resource tree -------------------------------------------------------------------------------
def parent_path(path: str) -> str:
    head = path.rsplit("/", 1)[0]
    return head or "/"


def depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")


def resource_paths(routes: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every resource path the routes need, their ancestors and the root included."""
    paths = {"/"}
    for route in routes:
        path = route["path"]
        while path != "/":
            paths.add(path)
            path = parent_path(path)
    return paths


def under(path: str, ancestor: str) -> bool:
    """Whether PATH is ANCESTOR or lies below it."""
    return ancestor == "/" or path == ancestor or path.startswith(ancestor + "/")


def resource_plan(current: Iterable[str], wanted: set[str]) -> tuple[list[str], list[str]]:
    """(paths to create, parents first; topmost unwanted paths to delete, each with its subtree)."""
    have = set(current)
    creates = sorted(wanted - have, key=lambda p: (depth(p), p))
    unwanted = sorted(have - wanted - {"/"}, key=lambda p: (depth(p), p))
    deletes: list[str] = []
    for path in unwanted:
        if not any(under(path, d) for d in deletes):
            deletes.append(path)
    return creates, deletes


# -- methods and integrations --------------------------------------------------------------------
def lambda_uri(partition: str, region: str, function_arn: str) -> str:
    """The AWS_PROXY integration URI that invokes FUNCTION_ARN from an API in REGION."""
    return (
        f"arn:{partition}:apigateway:{region}:lambda:path/{LAMBDA_API_VERSION}/functions/"
        f"{function_arn}/invocations"
    )


def function_of(uri: str | None) -> str | None:
    """The Lambda function ARN a Lambda integration URI invokes (None for other URIs)."""
    match = LAMBDA_URI_RE.search(uri or "")
    return match.group(1) if match else None


def wanted_methods(
    spec: Mapping[str, Any], partition: str, region: str, authorizer_id: str | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, method) -> the normal form of the method and its integration."""
    return {
        (r["path"], r["method"]): {
            "authorizationType": r["authorization"],
            "authorizerId": authorizer_id if r["authorization"] == "COGNITO_USER_POOLS" else None,
            "integration": {
                "type": "AWS_PROXY",
                "httpMethod": "POST",
                "uri": lambda_uri(partition, region, r["function_arn"]),
            },
        }
        for r in spec["routes"]
    }


def current_method(method: Mapping[str, Any]) -> dict[str, Any]:
    """The normal form (as in wanted_methods) of a Method read from API Gateway."""
    authorization = method.get("authorizationType") or "NONE"
    integration = method.get("methodIntegration") or {}
    return {
        "authorizationType": authorization,
        "authorizerId": method.get("authorizerId")
        if authorization in ("COGNITO_USER_POOLS", "CUSTOM")
        else None,
        "integration": {
            "type": integration.get("type"),
            "httpMethod": integration.get("httpMethod"),
            "uri": integration.get("uri"),
        },
    }


def method_plan(
    current: Mapping[tuple[str, str], Mapping[str, Any]],
    wanted: Mapping[tuple[str, str], Mapping[str, Any]],
    deleted_paths: Iterable[str] = (),
) -> dict[str, list[tuple[str, str]]]:
    """Which methods to create, replace (authorization changed: delete and put again), integrate
    again (integration changed) and delete (not wanted, on a resource that stays)."""
    gone = list(deleted_paths)
    plan: dict[str, list[tuple[str, str]]] = {
        "create": [],
        "replace": [],
        "integrate": [],
        "delete": [],
    }
    for key in sorted(current):
        if key not in wanted and not any(under(key[0], d) for d in gone):
            plan["delete"].append(key)
    for key in sorted(wanted):
        have = current.get(key)
        if have is None or any(under(key[0], d) for d in gone):
            plan["create"].append(key)
        elif (have["authorizationType"], have["authorizerId"]) != (
            wanted[key]["authorizationType"],
            wanted[key]["authorizerId"],
        ):
            plan["replace"].append(key)
        elif have["integration"] != wanted[key]["integration"]:
            plan["integrate"].append(key)
    return plan


# -- authorizer ----------------------------------------------------------------------------------
def authorizer_plan(
    current: Iterable[Mapping[str, Any]], wanted: Mapping[str, Any] | None
) -> dict[str, Any]:
    """{"keep": id of the authorizer to keep or None, "create": bool, "patch": UpdateAuthorizer
    operations for the kept one, "delete": ids of the other authorizers}."""
    keep: Mapping[str, Any] | None = None
    deletes = []
    for authorizer in sorted(current, key=lambda a: str(a.get("id"))):
        if (
            keep is None
            and wanted is not None
            and authorizer.get("name") == wanted["name"]
            and authorizer.get("type") == "COGNITO_USER_POOLS"
        ):
            keep = authorizer
        else:
            deletes.append(authorizer["id"])
    patch: list[dict[str, str]] = []
    if keep is not None and wanted is not None:
        have = set(keep.get("providerARNs") or [])
        # A Cognito authorizer never has an empty pool list: add first, then remove.
        patch += [
            {"op": "add", "path": "/providerARNs", "value": arn}
            for arn in sorted(set(wanted["user_pool_arns"]) - have)
        ]
        patch += [
            {"op": "remove", "path": "/providerARNs", "value": arn}
            for arn in sorted(have - set(wanted["user_pool_arns"]))
        ]
        if keep.get("identitySource") != IDENTITY_SOURCE:
            patch.append({"op": "replace", "path": "/identitySource", "value": IDENTITY_SOURCE})
    return {
        "keep": keep["id"] if keep is not None else None,
        "create": wanted is not None and keep is None,
        "patch": patch,
        "delete": deletes,
    }


# -- stage ---------------------------------------------------------------------------------------
def stage_patch(
    stage: Mapping[str, Any], throttling: Mapping[str, Any], log_group_arn: str | None
) -> list[dict[str, str]]:
    """UpdateStage operations that bring STAGE's throttling and access logging to the wanted."""
    ops: list[dict[str, str]] = []
    settings = (stage.get("methodSettings") or {}).get("*/*") or {}
    rate = float(throttling["rate_limit"])
    burst = int(throttling["burst_limit"])
    if (
        settings.get("throttlingRateLimit") is None
        or float(settings["throttlingRateLimit"]) != rate
    ):
        ops.append({"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(rate)})
    if (
        settings.get("throttlingBurstLimit") is None
        or int(settings["throttlingBurstLimit"]) != burst
    ):
        ops.append({"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(burst)})
    logs = stage.get("accessLogSettings") or {}
    if log_group_arn:
        if logs.get("destinationArn") != log_group_arn:
            ops.append(
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": log_group_arn,
                }
            )
        if logs.get("format") != ACCESS_LOG_FORMAT:
            ops.append(
                {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT}
            )
    elif logs.get("destinationArn"):
        ops.append({"op": "remove", "path": "/accessLogSettings"})
    return ops


def stage_settings(stage: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The settings of a stage as the module describes them (for diffs)."""
    if stage is None:
        return None
    settings = (stage.get("methodSettings") or {}).get("*/*") or {}
    return {
        "name": stage.get("stageName"),
        "throttling": {
            "rate_limit": settings.get("throttlingRateLimit"),
            "burst_limit": settings.get("throttlingBurstLimit"),
        },
        "access_log_group_arn": (stage.get("accessLogSettings") or {}).get("destinationArn"),
    }


# -- Lambda permissions --------------------------------------------------------------------------
def source_arn(
    partition: str, region: str, account: str, api_id: str, method: str, path: str
) -> str:
    """The execute-api ARN a route's requests come from (any stage; {variables} match any part)."""
    verb = "*" if method == "ANY" else method
    parts = [
        "*" if VARIABLE_RE.match(part) else part for part in path.strip("/").split("/") if part
    ]
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*/{verb}/{'/'.join(parts)}"


def statement_id(api_id: str, method: str, path: str) -> str:
    """The deterministic id of the permission statement of one API's route."""
    return f"{SID_PREFIX}{api_id}-{method}-{hashlib.sha256(path.encode()).hexdigest()[:12]}"


def wanted_permissions(
    spec: Mapping[str, Any], partition: str, region: str, account: str, api_id: str
) -> dict[str, tuple[str, str]]:
    """Statement id -> (function ARN, source ARN) of every route of an API."""
    return {
        statement_id(api_id, r["method"], r["path"]): (
            r["function_arn"],
            source_arn(partition, region, account, api_id, r["method"], r["path"]),
        )
        for r in spec["routes"]
    }


def _statement_source(statement: Mapping[str, Any]) -> str | None:
    condition = statement.get("Condition") or {}
    for operator in ("ArnLike", "ArnEquals", "StringEquals", "StringLike"):
        value = (condition.get(operator) or {}).get("AWS:SourceArn")
        if value:
            return str(value)
    return None


def _statement_principal(statement: Mapping[str, Any]) -> str | None:
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        principal = principal.get("Service")
    return principal if isinstance(principal, str) else None


def permission_plan(
    policies: Mapping[str, Iterable[Mapping[str, Any]]],
    wanted: Mapping[str, tuple[str, str]],
    api_id: str,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(statements to add: (function, sid, source ARN); statements to remove: (function, sid)).

    POLICIES holds the statements of every function read (function ARN -> statements). Only
    statements whose id starts with this API's prefix are looked at; one that is wrong (another
    function, source or principal) is removed and added again."""
    prefix = f"{SID_PREFIX}{api_id}-"
    kept: set[str] = set()
    removes: list[tuple[str, str]] = []
    for function in sorted(policies):
        for statement in policies[function]:
            sid = str(statement.get("Sid", ""))
            if not sid.startswith(prefix):
                continue
            want = wanted.get(sid)
            if (
                want is not None
                and sid not in kept
                and want[0] == function
                and _statement_source(statement) == want[1]
                and _statement_principal(statement) == "apigateway.amazonaws.com"
                and statement.get("Effect", "Allow") == "Allow"
            ):
                kept.add(sid)
            else:
                removes.append((function, sid))
    adds = [(wanted[sid][0], sid, wanted[sid][1]) for sid in sorted(wanted) if sid not in kept]
    return adds, removes


# -- domains -------------------------------------------------------------------------------------
def base_path_key(base_path: str) -> str:
    """The base path as API Gateway names it ('(none)' for the domain's root)."""
    return base_path or "(none)"


def domain_patch(current: Mapping[str, Any], certificate_arn: str) -> list[dict[str, str]]:
    """UpdateDomainName operations that restore a regional domain's certificate and policy."""
    ops = []
    if current.get("regionalCertificateArn") != certificate_arn:
        ops.append({"op": "replace", "path": "/regionalCertificateArn", "value": certificate_arn})
    if current.get("securityPolicy") != SECURITY_POLICY:
        ops.append({"op": "replace", "path": "/securityPolicy", "value": SECURITY_POLICY})
    return ops


# -- outputs and diffs ---------------------------------------------------------------------------
def invoke_url(api_id: str, region: str, stage: str) -> str:
    """The stage's URL (computed for the outputs; never called)."""
    return f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


def api_arn(partition: str, region: str, api_id: str) -> str:
    return f"arn:{partition}:apigateway:{region}::/restapis/{api_id}"


def stage_arn(partition: str, region: str, api_id: str, stage: str) -> str:
    return f"arn:{partition}:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def domain_arn(partition: str, region: str, name: str) -> str:
    return f"arn:{partition}:apigateway:{region}::/domainnames/{name}"


def route_lines(methods: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[str]:
    """One readable line per method, for diffs: 'GET /items/{id} -> <function> (NONE)'."""
    return [
        f"{method} {path} -> {function_of(m['integration']['uri']) or m['integration']['uri']}"
        f" ({m['authorizationType']})"
        for (path, method), m in sorted(methods.items())
    ]
