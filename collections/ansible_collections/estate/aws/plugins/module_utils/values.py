# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The value helpers of the estate.aws filters, with ONE meaning each, and the strict type check
of a role's inputs against its argument specs (estate.aws.spec_errors). Stdlib only.

Meanings:

- ``text(v)``: the plain ``str`` of a value; ``None`` is ``""`` (Ansible hands over tagged str
  subclasses, this gives a plain str).
- ``is_list(v)``: ``v`` is a list or a tuple (a str is not).
- ``as_list(v)``: ``None`` is ``[]``, a list or tuple is a list of its items, anything else is a
  list of that one item.
- ``as_int(v)``: an int, or a string of decimal digits (with an optional ``-``), as an int;
  ``None`` for anything else. Booleans are never numbers: ``as_int(True)`` is ``None``.
- ``is_int(v)``: ``v`` is an int and not a bool.
- ``as_bool(v)``: ``True`` for ``True`` and the string ``"true"`` (any case); ``False`` for
  anything else.
- ``is_bool(v)``: ``v`` is a bool, or the string ``"true"`` or ``"false"`` (any case): what
  ``-e name=true`` on the command line gives (the documented way to confirm a deletion). ``1``,
  ``"yes"`` and ``"on"`` are not booleans.

Ansible's role argument validation converts rather than refuses: it accepts a list or a mapping
where a str is declared (and gives the role the list), ``True`` or ``"5"`` or ``5.0`` for an int,
``"a,b"`` or ``3`` for a list, ``"yes"`` or ``1`` for a bool and ``"k=v"`` for a mapping, and
leaves the variable as it was. ``spec_errors`` refuses exactly those: each value must already be of
the declared type (a bool may also be the string "true" or "false", see ``is_bool``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def text(value: Any) -> str:
    """The plain str of VALUE; None is ""."""
    return "" if value is None else str(value)


def is_list(value: Any) -> bool:
    """VALUE is a list or a tuple."""
    return isinstance(value, list | tuple)


def as_list(value: Any) -> list[Any]:
    """VALUE as a list: None is [], a list or tuple its items, a scalar a list of one."""
    if value is None:
        return []
    return list(value) if is_list(value) else [value]


def is_int(value: Any) -> bool:
    """VALUE is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value: Any) -> int | None:
    """An int from an int or a decimal string; None for anything else (booleans included)."""
    if is_int(value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    return None


def is_bool(value: Any) -> bool:
    """VALUE is a bool, or "true"/"false" as -e name=true gives it."""
    return isinstance(value, bool) or (
        isinstance(value, str) and value.strip().lower() in ("true", "false")
    )


def as_bool(value: Any) -> bool:
    """True for True and "true" (any case), as is_bool reads them; False for anything else."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


# Declared type -> (does a value have it, what to write instead). A missing type is Ansible's
# default, str; path is a str; raw takes anything.
_TYPES: dict[str, tuple[Any, str]] = {
    "str": (lambda v: isinstance(v, str), 'write a string (quote it: "...")'),
    "path": (lambda v: isinstance(v, str), 'write a path string (quote it: "...")'),
    "int": (is_int, "write a whole number without quotes, e.g. 30"),
    "float": (lambda v: is_int(v) or isinstance(v, float), "write a number without quotes"),
    "bool": (is_bool, "write true or false"),
    "list": (is_list, "write a YAML list (one '- item' a line, or [a, b])"),
    "dict": (lambda v: isinstance(v, Mapping), "write a mapping (one 'key: value' a line)"),
    "raw": (lambda v: True, ""),
}


def _kind(value: Any) -> str:
    """The YAML name of VALUE's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_int(value):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "mapping"
    if is_list(value):
        return "list"
    return type(value).__name__


def _shown(value: Any) -> str:
    """VALUE as YAML would show it (true, not True), cut to 40 characters."""
    shown = repr(value) if isinstance(value, str) else text(value)
    if isinstance(value, bool):
        shown = shown.lower()
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _type_error(value: Any, expected: str, where: str) -> str | None:
    accepts, fix = _TYPES.get(expected, _TYPES["raw"])
    if accepts(value):
        return None
    return f"{where}: expected {expected}, got {_kind(value)} ({_shown(value)}); {fix}"


def _value_errors(value: Any, option: Mapping[str, Any], where: str) -> list[str]:
    """Errors of VALUE against one OPTION of an argument spec, nested fields included."""
    expected = option.get("type", "str")
    if value is None:
        takes_null = not option.get("required") and option.get("default") is None
        return [] if takes_null else [f"{where}: expected {expected}, got null; set a value"]
    error = _type_error(value, expected, where)
    if error:
        return [error]
    if expected == "dict" and option.get("options"):
        return options_errors(option["options"], value, where)
    if expected != "list":
        return []
    element = {"type": option.get("elements", "raw"), "options": option.get("options")}
    return [
        error
        for index, item in enumerate(value)
        for error in _value_errors(item, {**element, "required": True}, f"{where}[{index}]")
    ]


def options_errors(
    options: Mapping[str, Any], values: Mapping[str, Any], where: str = ""
) -> list[str]:
    """Errors of the mapping VALUES against argument-spec OPTIONS (fields it holds only)."""
    prefix = f"{where}." if where else ""
    return [
        error
        for name, option in options.items()
        if name in values
        for error in _value_errors(values[name], option or {}, prefix + name)
    ]


def spec_errors(options: Mapping[str, Any], values: Any) -> list[str]:
    """Inputs of a role that are not of the type its argument spec OPTIONS declare, each as
    "<variable path>: expected <type>, got <type> (<value>); <how to write it>".

    VALUES maps input names to values, or lists the values in the order of OPTIONS (what
    ``query('ansible.builtin.vars', *options)`` returns)."""
    if not isinstance(values, Mapping):
        values = dict(zip(options, values, strict=True))
    return options_errors(options, values)
