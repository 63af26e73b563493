"""The shared value helpers (module_utils/values.py) and the strict input-type check of the
estate.aws.spec_errors filter."""

from __future__ import annotations

from typing import Any

import pytest
from support.source import load_plugin

values = load_plugin("module_utils/values.py")
spec_filter = load_plugin("filter/spec.py")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("a", "a"), (5, "5"), (True, "True")],
)
def test_text(value: Any, expected: str) -> None:
    assert values.text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ([1, 2], [1, 2]), ((1,), [1]), ("a", ["a"]), (0, [0]), ({"a": 1}, [{"a": 1}])],
)
def test_as_list(value: Any, expected: list[Any]) -> None:
    assert values.as_list(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), (-3, -3), ("12", 12), (" -7 ", -7), (True, None), (False, None), ("1.5", None),
     (1.0, None), (None, None), ("x", None), ([1], None)],
)  # fmt: skip
def test_as_int_never_takes_a_boolean(value: Any, expected: int | None) -> None:
    assert values.as_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, True), ("true", True), ("False", True), (1, False), ("yes", False),
     ("on", False), (None, False)],
)  # fmt: skip
def test_is_bool_takes_true_false_and_their_command_line_strings(
    value: Any, expected: bool
) -> None:
    assert values.is_bool(value) is expected


def test_is_list_and_is_int() -> None:
    assert values.is_list([]) and values.is_list(()) and not values.is_list("ab")
    assert values.is_int(3) and not values.is_int(True) and not values.is_int(3.0)


OPTIONS: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "size": {"type": "int", "default": 20},
    "ratio": {"type": "float"},
    "on": {"type": "bool", "default": False},
    "tags": {"type": "dict", "default": {}},
    "anything": {"type": "raw"},
    "untyped": {},
    "items": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "port": {"type": "int"},
            "hosts": {"type": "list", "elements": "str"},
            "check": {"type": "dict", "options": {"path": {"type": "str"}}},
        },
    },
}


def test_good_values_pass() -> None:
    good = {
        "name": "web",
        "size": 30,
        "ratio": 2,
        "on": True,
        "tags": {"a": 1},
        "anything": [1, "x"],
        "untyped": "s",
        "items": [{"port": 443, "hosts": ["a"], "check": {"path": "/"}}, {}],
    }
    assert spec_filter.FilterModule().filters()["spec_errors"](OPTIONS, good) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"name": ["a", "b"]}, "name: expected str, got list (['a', 'b']); write a string"),
        ({"name": {"a": 1}}, "name: expected str, got mapping"),
        ({"name": 5}, "name: expected str, got int (5)"),
        ({"untyped": 5}, "untyped: expected str, got int"),
        ({"size": True}, "size: expected int, got bool (true); write a whole number"),
        ({"size": "20"}, "size: expected int, got str ('20')"),
        ({"size": 20.0}, "size: expected int, got float"),
        ({"ratio": False}, "ratio: expected float, got bool"),
        ({"on": 1}, "on: expected bool, got int (1); write true or false"),
        ({"on": "yes"}, "on: expected bool, got str ('yes')"),
        ({"tags": "a=1"}, "tags: expected dict, got str ('a=1'); write a mapping"),
        ({"items": "a,b"}, "items: expected list, got str ('a,b'); write a YAML list"),
        ({"items": {"port": 1}}, "items: expected list, got mapping"),
        ({"items": ["port=1"]}, "items[0]: expected dict, got str"),
        ({"items": [{}, {"port": True}]}, "items[1].port: expected int, got bool"),
        ({"items": [{"hosts": "a"}]}, "items[0].hosts: expected list, got str"),
        ({"items": [{"hosts": [1]}]}, "items[0].hosts[0]: expected str, got int"),
        ({"items": [{"check": {"path": ["/"]}}]}, "items[0].check.path: expected str, got list"),
        ({"name": None}, "name: expected str, got null; set a value"),
        ({"size": None}, "size: expected int, got null"),
        ({"items": [None]}, "items[0]: expected dict, got null"),
    ],
)
def test_wrong_types_are_refused(given: dict[str, Any], message: str) -> None:
    errors = values.spec_errors(OPTIONS, given)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_optional_fields_without_a_default_may_be_null_or_absent() -> None:
    assert values.spec_errors(OPTIONS, {"ratio": None, "anything": None}) == []
    assert values.spec_errors(OPTIONS, {}) == []


def test_values_may_come_in_the_order_of_the_options() -> None:
    """What query('ansible.builtin.vars', *options) hands over."""
    given = ["web", True, 1.5, True, {}, None, "s", []]
    assert values.spec_errors(OPTIONS, given) == [
        "size: expected int, got bool (true); write a whole number without quotes, e.g. 30"
    ]
