"""DescribeDBParameterGroups: a name that does not exist is DBParameterGroupNotFound.

moto behaviour: DescribeDBParameterGroups with ``DBParameterGroupName`` of a group that does not
exist answers an empty ``DBParameterGroups`` list. ``amazon.aws.rds_instance_param_group``
catches ``DBParameterGroupNotFound`` to decide it must create the group, so against moto it takes
the update branch and fails with ``IndexError`` (``response["DBParameterGroups"][0]``).

AWS: a named group that does not exist is the error ``DBParameterGroupNotFound`` (HTTP 404).

Fix: wrap the backend method: when a name is given and nothing matches, raise moto's own
``DBParameterGroupNotFoundError``. Listing without a name is unchanged.
"""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import DBParameterGroupNotFoundError
from moto.rds.models import RDSBackend

_MARK = "_estate_rds_parameter_group_not_found_patched"


def apply() -> None:
    if getattr(RDSBackend, _MARK, False):
        return
    original = RDSBackend.describe_db_parameter_groups

    def describe_db_parameter_groups(self: RDSBackend, kwargs: dict[str, Any]) -> Any:
        groups = original(self, kwargs)
        name = kwargs.get("db_parameter_group_name")
        if name and not groups:
            raise DBParameterGroupNotFoundError(name)
        return groups

    RDSBackend.describe_db_parameter_groups = describe_db_parameter_groups  # type: ignore[method-assign]
    setattr(RDSBackend, _MARK, True)
