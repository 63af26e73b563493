"""The tier roles' meta/argument_specs.yml are the one schema of their inputs: every input and
every field of its elements is declared (type, description), the strict check
(estate.aws.spec_errors) refuses a wrong-typed value of each of them naming its path, and every
stack's data and every role default pass them.

The wrong-type cases are generated from the specs, so they follow every change of a spec."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from support.playbook import REPO
from support.source import load_plugin
from support.stack import stack_vars

values = load_plugin("module_utils/values.py")

ROLES = sorted(path.parents[1].name for path in REPO.glob("roles/aws_*/meta/argument_specs.yml"))
STACKS = sorted(path.parent.name for path in REPO.glob("inventories/*/group_vars"))
# A value of another type for each declared type: what Ansible's role argument validation
# converts instead of refusing (a list or a mapping for a str, a bool for an int, ...).
WRONG: dict[str, list[Any]] = {
    "str": [["a", "b"], {"a": 1}, True],
    "path": [["a"]],
    "int": [True, "5", 5.0],
    "float": [False, "1.5"],
    "bool": [1, "yes"],
    "list": ["a,b", {"a": 1}],
    "dict": ["a=1", ["a"]],
}


# The keys an option of a role argument spec may have (a comma in an unquoted flow-mapping
# description would split it into a stray key).
SPEC_KEYS = {"type", "required", "default", "choices", "description", "elements", "options"}


@cache
def entry_points(role: str) -> dict[str, Any]:
    path = REPO / "roles" / role / "meta" / "argument_specs.yml"
    specs: dict[str, Any] = yaml.safe_load(path.read_text())["argument_specs"]
    return specs


def options(role: str) -> dict[str, Any]:
    """The options of the entry point the preflight validates (main for roles without one)."""
    points = entry_points(role)
    found: dict[str, Any] = (points.get("validate") or points["main"])["options"]
    return found


def every_option(role: str) -> dict[str, Any]:
    """The options of all the role's entry points (most share one declaration)."""
    found: dict[str, Any] = {}
    for point in entry_points(role).values():
        found.update(point.get("options") or {})
    return found


def fields(
    opts: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, option) of every option and nested field; a path step "[]" is a list element."""
    for name, option in opts.items():
        here = (*path, name)
        yield here, option
        if option.get("options"):
            inner = (*here, "[]") if option.get("type") == "list" else here
            yield from fields(option["options"], inner)


def nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """The smallest input holding VALUE at PATH."""
    for step in reversed(path[1:]):
        value = [value] if step == "[]" else {step: value}
    return {path[0]: value}


def shown(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[]", "[0]")


CASES = [
    pytest.param(role, path, wrong, id=f"{shown(path)}={wrong!r}")
    for role in ROLES
    for path, option in fields(every_option(role))
    for wrong in WRONG.get(option.get("type", "str"), [])
]


def test_every_spec_is_generated_from() -> None:
    assert len(ROLES) >= 13 and len(CASES) > 500, (ROLES, len(CASES))


@pytest.mark.parametrize(("role", "path", "wrong"), CASES)
def test_a_wrong_type_is_refused_naming_the_field(
    role: str, path: tuple[str, ...], wrong: Any
) -> None:
    opts = every_option(role)
    option = dict(fields(opts))[path]
    errors = values.spec_errors(opts, nest(path, wrong))
    expected = f"{shown(path)}: expected {option.get('type', 'str')}, got "
    assert len(errors) == 1 and errors[0].startswith(expected), errors


@pytest.mark.parametrize("role", ROLES)
def test_every_input_and_field_is_typed_and_described_in_one_line(role: str) -> None:
    for point, spec in entry_points(role).items():
        for path, option in fields(spec.get("options") or {}):
            where = f"{role} {point}: {shown(path)}"
            assert set(option) <= SPEC_KEYS, f"{where}: {set(option) - SPEC_KEYS}"
            assert option.get("type"), f"{where} has no type"
            description = option.get("description")
            assert isinstance(description, str) and "\n" not in description.strip(), where
            if option.get("type") == "list" and option.get("elements") == "dict":
                assert "elements" in option, where


def without_required(opts: dict[str, Any]) -> dict[str, Any]:
    """A copy of OPTIONS whose top-level inputs are optional (the role defaults give them). A copy:
    Ansible's validator fills the defaults it applies into the spec it is given."""
    return {name: {**option, "required": False} for name, option in copy.deepcopy(opts).items()}


def spec_problems(opts: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Ansible's own validation of GIVEN (what the role's argument validation does) plus the strict
    type check."""
    result = ArgumentSpecValidator(without_required(opts)).validate(given)
    return [*result.error_messages, *values.spec_errors(opts, given)]


@pytest.mark.parametrize("role", ROLES)
def test_role_defaults_pass_their_spec(role: str) -> None:
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    opts = options(role)
    given = {k: v for k, v in defaults.items() if k in opts and "{{" not in yaml.safe_dump(v)}
    assert spec_problems(opts, given) == []
    declared = {name: option["default"] for name, option in opts.items() if "default" in option}
    assert values.spec_errors(opts, declared) == []


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_passes_every_tier_spec(stack: str) -> None:
    names = tuple(sorted({name for role in ROLES for name in options(role)}))
    resolved = stack_vars(stack, names)
    assert resolved["aws_network_subnets"], "the stack's data did not resolve"
    for role in ROLES:
        opts = options(role)
        given = {k: resolved[k] for k in opts if resolved.get(k) is not None}
        assert spec_problems(opts, given) == [], role


def test_inventories_are_the_stacks() -> None:
    assert Path(REPO / "inventories").is_dir() and len(STACKS) >= 4, STACKS


SAMPLE = {"str": "x", "path": "x", "int": 1, "float": 1, "bool": False, "list": [], "raw": "x"}


def minimal(opts: dict[str, Any], into: tuple[str, ...] = ()) -> dict[str, Any]:
    """An element holding only the required fields of OPTS, and along the path INTO (names, "[]"
    for a list) a list of two such elements."""
    found: dict[str, Any] = {}
    for name, option in opts.items():
        if name != (into[0] if into else None) and not option.get("required"):
            continue
        inner = option.get("options") or {}
        rest = into[1:] if into and into[0] == name else ()
        if option.get("choices"):
            found[name] = option["choices"][0]
        elif option.get("type") == "dict":
            found[name] = minimal(inner, rest)
        elif option.get("type") == "list" and inner:
            deeper = rest[1:] if rest[:1] == ("[]",) else ()
            count = 2 if into and into[0] == name and not deeper else 1
            found[name] = [minimal(inner, deeper) for _ in range(count)]
        else:
            found[name] = SAMPLE[option.get("type", "str")]
    return found


LISTS = [
    pytest.param(role, path, id=shown(path))
    for role in ROLES
    for path, option in fields(every_option(role))
    if option.get("type") == "list" and option.get("options")
]


@pytest.mark.parametrize(("role", "path"), LISTS)
def test_elements_that_leave_out_their_optional_fields_pass(
    role: str, path: tuple[str, ...]
) -> None:
    """Two elements without their optional nested mappings: Ansible fills a nested mapping's
    default into the spec it validates with, so a `default: {}` shared by the elements would
    carry the first element's None fields into the second (and fail its choices)."""
    given = minimal(every_option(role), path)
    assert spec_problems(every_option(role), given) == [], given


# Rules the filters checked in Python until the specs declared them (choices, required fields,
# element types): Ansible's role argument validation refuses them now, before the filters run.
MOVED = [
    (
        "aws_database",
        {"aws_database_instances": [{"engine": "oracle"}]},
        "value of engine must be one of: mysql, mariadb, postgres, got: oracle",
    ),
    (
        "aws_compute",
        {"aws_compute_groups": [{"data_volumes": [{"type": "gp9"}]}]},
        "value of type must be one of: gp2, gp3, io1, io2, st1, sc1, got: gp9",
    ),
    (
        "aws_network",
        {"aws_network_nat_mode": "dual"},
        "value of aws_network_nat_mode must be one of",
    ),
    (
        "aws_network",
        {"aws_network_subnets": [{"name": "a", "tier": "public", "az": "a"}]},
        "missing required arguments: cidr found in aws_network_subnets",
    ),
    (
        "aws_network",
        {"aws_network_subnets": [{"name": "a", "tier": "web", "az": "a", "cidr": "10.0.0.0/24"}]},
        "value of tier must be one of: public, private, database, got: web",
    ),
    (
        "aws_network",
        {
            "aws_network_security_groups": [
                {"name": "a", "description": "a", "rules": [{"ports": [443], "cidr_ip": "0/0"}]}
            ]
        },
        "missing required arguments: proto found in aws_network_security_groups -> rules",
    ),
    (
        "aws_dns",
        {"aws_dns_records": [{"zone": "example.org", "name": "x", "type": "AA"}]},
        "value of type must be one of: A, AAAA, CNAME",
    ),
    (
        "aws_serverless",
        {
            "aws_serverless_functions": [
                {"name": "a", "source": "s", "role": "r", "log_retention_days": 10}
            ]
        },
        "value of log_retention_days must be one of: 1, 3, 5",
    ),
    (
        "aws_serverless",
        {"aws_serverless_tables": [{"name": "t", "hash_key": {"name": "k", "type": "X"}}]},
        "value of type must be one of: S, N, B, got: X",
    ),
    (
        "aws_serverless",
        {
            "aws_serverless_schedules": [
                {"name": "s", "function": "f", "expression": "e", "input": "x"}
            ]
        },
        "aws_serverless_schedules[0].input: expected dict, got str",
    ),
    (
        "aws_serverless",
        {"aws_serverless_functions": [{"name": "a", "source": "s", "role": "r", "runtime": "go"}]},
        "value of runtime must be one of: python3.11",
    ),
    (
        "aws_serverless",
        {
            "aws_serverless_apis": [
                {"name": "a", "routes": [{"path": "/x", "method": "get", "function": "f"}]}
            ]
        },
        "value of method must be one of: GET, POST",
    ),
    (
        "aws_loadbalancing",
        {
            "aws_loadbalancing_albs": [
                {
                    "name": "a",
                    "security_group": "s",
                    "default_target_group": "t",
                    "subnet_tier": "dmz",
                }
            ]
        },
        "value of subnet_tier must be one of: public, private, database, got: dmz",
    ),
    (
        "aws_cdn",
        {
            "aws_cdn_distributions": [
                {"name": "a", "origins": [{"id": "o", "bucket": "b"}], "price_class": "all"}
            ]
        },
        "value of price_class must be one of: PriceClass_100",
    ),
    (
        "aws_storage",
        {
            "aws_storage_buckets": [
                {
                    "name": "b",
                    "lifecycle": [
                        {"id": "a", "transitions": [{"days": 10, "storage_class": "TAPE"}]}
                    ],
                }
            ]
        },
        "value of storage_class must be one of: STANDARD_IA",
    ),
    (
        "aws_identity",
        {
            "aws_identity_policies": [
                {"name": "p", "statements": [{"actions": ["s3:*"], "effect": "Maybe"}]}
            ]
        },
        "value of effect must be one of: Allow, Deny, got: Maybe",
    ),
]


@pytest.mark.parametrize(("role", "given", "message"), MOVED, ids=[m[2][:60] for m in MOVED])
def test_rules_the_specs_took_over_from_the_filters(
    role: str, given: dict[str, Any], message: str
) -> None:
    problems = spec_problems(options(role), given)
    assert any(message in problem for problem in problems), problems
