# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the serverless tier (roles/aws_serverless).

A stack names its serverless resources by short names; the role prefixes them with the stack
(``<stack>-<short name>``) and these filters turn the data into what the modules take:

``estate.aws.serverless_errors(data, ctx)``
    every error of the tier's data, before any AWS call (empty: valid). DATA holds
    ``functions``, ``tables``, ``topics``, ``user_pools``, ``apis`` and ``schedules``; CTX
    holds ``prefix``, the identity tier's ``roles`` and the load-balancing tier's
    ``certificates`` (names), and ``sources`` (the function source directories that exist).
``estate.aws.serverless_resolve(path, outputs)``
    the value at a dotted PATH (``tables.app-data.name``) of the tier's outputs so far;
    functions take their environment from it (``environment_from``).
``estate.aws.serverless_apis(apis, prefix, functions, pools, certificates)``
    the APIs as estate.aws.rest_apis takes them, with function, user-pool and certificate ARNs.
``estate.aws.serverless_schedules(schedules, prefix, functions)``
    the schedules as estate.aws.event_schedules takes them, with the functions' ARNs.

Only the stdlib and the collection's own module_utils are used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.schedules import (
    EXPRESSION,
    EXPRESSION_HINT,
)

SHORT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ROUTE_PATH = re.compile(
    r"^/([A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\+?\})(/([A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\+?\}))*$"
)
ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
KINDS = ("functions", "tables", "topics", "user_pools", "apis", "schedules")


def _names(items: list[Any], where: str, prefix: str, limit: int, errors: list[str]) -> list[str]:
    """Check the short names of one kind; return them."""
    seen: list[str] = []
    for index, item in enumerate(items):
        name = str(item.get("name", "")) if isinstance(item, Mapping) else ""
        at = f"{where}[{index}].name"
        if not SHORT_NAME.match(name):
            errors.append(f"{at} '{name}': use lower-case letters, digits and inner hyphens")
        elif len(f"{prefix}-{name}") > limit:
            errors.append(f"{at} '{name}': '{prefix}-{name}' is longer than {limit} characters")
        if name in seen:
            errors.append(f"{at} '{name}' is defined twice")
        seen.append(name)
    return seen


def _function_errors(
    functions: list[Mapping[str, Any]], ctx: Mapping[str, Any], known: Mapping[str, list[str]]
) -> list[str]:
    errors: list[str] = []
    roles = [str(r) for r in ctx.get("roles") or []]
    sources = [str(s) for s in ctx.get("sources") or []]
    for index, fn in enumerate(functions):
        at = f"aws_serverless_functions[{index}]"
        if str(fn.get("source", "")) not in sources:
            errors.append(
                f"{at}.source '{fn.get('source', '')}' is not a directory of the repository "
                "(a path relative to its root, such as apps/lambda/<function>)"
            )
        if fn.get("role") not in roles:
            errors.append(
                f"{at}.role '{fn.get('role', '')}' is not a role of aws_identity_roles "
                "(give it services: [lambda.amazonaws.com]); "
                f"defined: {', '.join(roles) or '(none)'}"
            )
        if not 128 <= int(fn.get("memory_mb", 256)) <= 10240:
            errors.append(f"{at}.memory_mb must be 128 to 10240")
        if not 1 <= int(fn.get("timeout_s", 10)) <= 900:
            errors.append(f"{at}.timeout_s must be 1 to 900 seconds")
        env = {**(fn.get("environment") or {}), **(fn.get("environment_from") or {})}
        for var in env:
            if not ENV_NAME.match(str(var)) or str(var).startswith("AWS_"):
                errors.append(f"{at}.environment '{var}': letters, digits, _; not AWS_ (reserved)")
        for var, path in (fn.get("environment_from") or {}).items():
            kind, _, rest = str(path).partition(".")
            short = rest.split(".", 1)[0]
            if kind not in ("tables", "topics", "user_pools") or short not in known.get(kind, []):
                errors.append(
                    f"{at}.environment_from.{var} '{path}': name a table, topic or user pool "
                    "of this tier: tables.<name>.name|arn, topics.<name>.arn, user_pools.<name>.id"
                )
    return errors


def _api_errors(
    apis: list[Mapping[str, Any]], ctx: Mapping[str, Any], known: Mapping[str, list[str]]
) -> list[str]:
    errors: list[str] = []
    certificates = [str(c) for c in ctx.get("certificates") or []]
    for index, api in enumerate(apis):
        at = f"aws_serverless_apis[{index}]"
        routes = api.get("routes") or []
        if not routes:
            errors.append(f"{at}.routes: an API needs at least one route")
        seen: list[tuple[str, str]] = []
        for r_index, route in enumerate(routes):
            r_at = f"{at}.routes[{r_index}]"
            path, method = str(route.get("path", "")), str(route.get("method", "")).upper()
            if not ROUTE_PATH.match(path):
                errors.append(f"{r_at}.path '{path}': /segment[/segment|{{param}}...]")
            if (path, method) in seen:
                errors.append(f"{r_at}: {method} {path} is routed twice")
            seen.append((path, method))
            if route.get("function") not in known["functions"]:
                errors.append(
                    f"{r_at}.function '{route.get('function', '')}' "
                    "is not in aws_serverless_functions"
                )
            if route.get("authorized") and not api.get("user_pool"):
                errors.append(
                    f"{r_at}.authorized needs the API's user_pool (a Cognito pool of this tier)"
                )
        if api.get("user_pool") and api["user_pool"] not in known["user_pools"]:
            errors.append(
                f"{at}.user_pool '{api['user_pool']}' is not in aws_serverless_user_pools"
            )
        domain = api.get("domain")
        if domain and domain.get("certificate") not in certificates:
            errors.append(
                f"{at}.domain.certificate '{domain.get('certificate', '')}' is not in "
                f"aws_loadbalancing_certificates: defined {', '.join(certificates) or '(none)'}"
            )
    return errors


def _schedule_errors(
    schedules: list[Mapping[str, Any]], known: Mapping[str, list[str]]
) -> list[str]:
    errors: list[str] = []
    for index, schedule in enumerate(schedules):
        at = f"aws_serverless_schedules[{index}]"
        if schedule.get("function") not in known["functions"]:
            errors.append(
                f"{at}.function '{schedule.get('function', '')}' is not in aws_serverless_functions"
            )
        if not EXPRESSION.match(str(schedule.get("expression", ""))):
            errors.append(f"{at}.expression '{schedule.get('expression', '')}': {EXPRESSION_HINT}")
    return errors


def serverless_errors(data: Mapping[str, Any], ctx: Mapping[str, Any]) -> list[str]:
    """Every error of the serverless tier's data (empty: valid)."""
    prefix = str(ctx.get("prefix", ""))
    errors: list[str] = []
    lists = {kind: list(data.get(kind) or []) for kind in KINDS}
    known = {
        kind: _names(
            items, f"aws_serverless_{kind}", prefix, 64 if kind != "user_pools" else 128, errors
        )
        for kind, items in lists.items()
    }
    errors += _function_errors(lists["functions"], ctx, known)
    errors += _api_errors(lists["apis"], ctx, known)
    errors += _schedule_errors(lists["schedules"], known)
    for index, pool in enumerate(lists["user_pools"]):
        clients = [str(c.get("name", "")) for c in pool.get("clients") or []]
        if len(set(clients)) != len(clients) or not all(SHORT_NAME.match(c) for c in clients):
            errors.append(
                f"aws_serverless_user_pools[{index}].clients: "
                "unique names of lower-case letters, digits, -"
            )
    return errors


def serverless_resolve(path: str, outputs: Mapping[str, Any]) -> Any:
    """The value at dotted PATH of OUTPUTS (the first part is the kind, the second a short name)."""
    kind, short, *rest = str(path).split(".")
    value: Any = outputs[kind][short]
    for part in rest:
        value = value[part]
    return value


def serverless_apis(
    apis: list[Mapping[str, Any]],
    prefix: str,
    functions: Mapping[str, str],
    pools: Mapping[str, Mapping[str, Any]],
    certificates: Mapping[str, str],
) -> list[dict[str, Any]]:
    """APIs for estate.aws.rest_apis: full names, function ARNs, the authorizer, the domain."""
    wanted = []
    for api in apis:
        pool = api.get("user_pool")
        item: dict[str, Any] = {
            "name": f"{prefix}-{api['name']}",
            "description": api.get("description", ""),
            "stage": api.get("stage", "v1"),
            "routes": [
                {
                    "path": route["path"],
                    "method": str(route["method"]).upper(),
                    "function_arn": functions[route["function"]],
                    "authorization": "COGNITO_USER_POOLS" if route.get("authorized") else "NONE",
                }
                for route in api["routes"]
            ],
            "throttling": {
                "rate_limit": api.get("rate_limit", 100),
                "burst_limit": api.get("burst_limit", 200),
            },
        }
        if pool:
            item["authorizer"] = {
                "name": f"{prefix}-{pool}",
                "user_pool_arns": [pools[pool]["arn"]],
            }
        if api.get("domain"):
            item["domain"] = {
                "name": api["domain"]["name"],
                "certificate_arn": certificates[api["domain"]["certificate"]],
                "base_path": api["domain"].get("base_path", ""),
            }
        wanted.append(item)
    return wanted


def serverless_schedules(
    schedules: list[Mapping[str, Any]], prefix: str, functions: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The schedules as estate.aws.event_schedules takes them: full rule names and the ARN of
    each target function (empty while the function is not made yet, under --check)."""
    return [
        {
            "name": f"{prefix}-{item['name']}",
            "expression": item["expression"],
            "description": item.get("description", ""),
            "enabled": item.get("enabled", True),
            "function_arn": functions.get(item["function"]) or "",
            **({"input": dict(item["input"])} if item.get("input") is not None else {}),
        }
        for item in schedules
    ]


def serverless_function_defaults(
    function: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """A function's settings over the tier's defaults."""
    return {**defaults, **function}


def serverless_prefixed(items: list[Mapping[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """ITEMS with their full names (<prefix>-<name>)."""
    return [{**item, "name": f"{prefix}-{item['name']}"} for item in items]


def serverless_short(found: Mapping[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    """A module's result by full name -> {short name: {name: full name, ...}}; a bare string
    value is an ARN."""
    short = {}
    for name, value in (found or {}).items():
        details = {"arn": value} if isinstance(value, str) else dict(value)
        short[str(name).removeprefix(f"{prefix}-")] = {"name": name, **details}
    return short


def serverless_log_groups(functions: list[Mapping[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The log group Lambda writes each function's logs to, with its retention."""
    return [
        {
            "name": f"/aws/lambda/{prefix}-{fn['name']}",
            "retention_days": int(fn["log_retention_days"]),
        }
        for fn in functions
    ]


def serverless_environment(paths: Mapping[str, str], refs: Mapping[str, Any]) -> dict[str, str]:
    """Environment variables from dotted paths into the tier's outputs; a resource not made yet
    (under --check on a new stack) gives an empty value."""
    environment = {}
    for var, path in (paths or {}).items():
        try:
            environment[str(var)] = str(serverless_resolve(path, refs))
        except (KeyError, ValueError, TypeError):
            environment[str(var)] = ""
    return environment


def serverless_owned(functions: list[Mapping[str, Any]], tags: Mapping[str, str]) -> list[str]:
    """Names of the functions (amazon.aws.lambda_info with tags) that carry the stack's
    identifying tags and tier=serverless."""
    wanted = {k: v for k, v in tags.items() if k in ("stack", "managed-by")}
    wanted["tier"] = "serverless"
    return sorted(
        str(fn["function_name"])
        for fn in functions
        if wanted.items() <= dict(fn.get("tags") or {}).items()
    )


def unqualified_arn(arn: str) -> str:
    """A function's ARN without a version or alias qualifier (the function's latest code)."""
    parts = str(arn).split(":")
    return ":".join(parts[:7]) if len(parts) > 7 and parts[5] == "function" else str(arn)


def serverless_function_output(result: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of one amazon.aws.lambda result."""
    config = result.get("configuration") or {}
    return {
        "name": config.get("function_name", ""),
        "arn": unqualified_arn(config.get("function_arn", "")),
        "code_sha256": config.get("code_sha256", ""),
        "role": config.get("role", ""),
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "serverless_errors": serverless_errors,
            "serverless_resolve": serverless_resolve,
            "serverless_apis": serverless_apis,
            "serverless_schedules": serverless_schedules,
            "serverless_function_defaults": serverless_function_defaults,
            "serverless_prefixed": serverless_prefixed,
            "serverless_short": serverless_short,
            "serverless_log_groups": serverless_log_groups,
            "serverless_environment": serverless_environment,
            "serverless_owned": serverless_owned,
            "serverless_function_output": serverless_function_output,
            "unqualified_arn": unqualified_arn,
        }
