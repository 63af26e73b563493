"""Shared helper of the filter patches (not a patch itself: its name starts with "_")."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from moto.ec2.utils import generic_filter

Describe = Callable[..., list[Any]]


def with_generic_filters(original: Describe, handled_by_moto: Collection[str]) -> Describe:
    """Wrap a backend ``describe_*(self, filters, ...)``: moto keeps the filters it handles
    correctly, every other filter goes through moto's generic EC2 filter (which asks the
    resource's ``get_filter_value``: attributes, ``tag:<key>``, ``tag-key``, ``tag-value``)."""

    def describe(self: Any, filters: Any = None, *args: Any, **kwargs: Any) -> list[Any]:
        given: dict[str, Any] = dict(filters or {})
        own = {name: values for name, values in given.items() if name in handled_by_moto}
        rest = {name: values for name, values in given.items() if name not in handled_by_moto}
        found = original(self, own if filters is not None else None, *args, **kwargs)
        return generic_filter(rest, found)

    describe.__name__ = original.__name__
    describe.__doc__ = original.__doc__
    return describe
