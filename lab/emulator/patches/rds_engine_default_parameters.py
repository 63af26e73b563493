"""DescribeDBParameters: a parameter group lists its family's engine-default parameters, with
their data type and modifiability, and the values set on it with ``Source: user``.

moto behaviour: moto has no catalogue of engine parameters. A new parameter group describes no
parameter at all, and a parameter set with ModifyDBParameterGroup comes back as only what was
sent (``ParameterName``, ``ParameterValue``, ``ApplyMethod``).
``amazon.aws.rds_instance_param_group``
therefore reports every wanted parameter as "not an available parameter for the engine" (in
``errors``, without failing, and sets nothing), and once a value is set its second run fails with
``KeyError: 'DataType'``.

AWS: DescribeDBParameters returns every parameter of the group's family (``Source:
engine-default`` with ``DataType``, ``IsModifiable``, ``ApplyType``, ``AllowedValues``), and the
modified ones with ``Source: user`` and their value; the ``Source`` filter selects one kind.

Fix: a small catalogue of the engine parameters this project sets (TLS enforcement, character
set, logging; per engine prefix of the family), merged with the group's own values. A value set
on a parameter outside the catalogue is described as a modifiable string. This is not AWS's full
catalogue: a parameter name unknown to AWS is still accepted here.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.rds.exceptions import DBParameterGroupNotFoundError
from moto.rds.responses import RDSResponse

_MARK = "_estate_rds_engine_default_parameters_patched"

_MYSQL: dict[str, dict[str, Any]] = {
    "require_secure_transport": {"DataType": "boolean", "AllowedValues": "0,1"},
    "character_set_server": {
        "DataType": "string",
        "AllowedValues": "big5,latin1,utf8,utf8mb3,utf8mb4",
    },
    "collation_server": {"DataType": "string"},
    "max_connections": {"DataType": "integer", "AllowedValues": "1-100000"},
    "slow_query_log": {"DataType": "boolean", "AllowedValues": "0,1"},
    "long_query_time": {"DataType": "float", "AllowedValues": "0-31536000"},
}
_POSTGRES: dict[str, dict[str, Any]] = {
    "rds.force_ssl": {"DataType": "boolean", "AllowedValues": "0,1"},
    "log_connections": {"DataType": "boolean", "AllowedValues": "0,1"},
    "log_min_duration_statement": {"DataType": "integer", "AllowedValues": "-1-2147483647"},
    "max_connections": {"DataType": "integer", "AllowedValues": "6-8388607"},
}
CATALOGUE = {"mysql": _MYSQL, "mariadb": _MYSQL, "postgres": _POSTGRES}


def catalogue_of(family: str | None) -> dict[str, dict[str, Any]]:
    for prefix, parameters in CATALOGUE.items():
        if (family or "").startswith(prefix):
            return parameters
    return {}


def _describe(family: str | None, values: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    described = []
    known = catalogue_of(family)
    for name in sorted(set(known) | set(values)):
        item: dict[str, Any] = {
            "ParameterName": name,
            "DataType": "string",
            "IsModifiable": True,
            "ApplyType": "dynamic",
            "Source": "engine-default",
            **known.get(name, {}),
        }
        if name in values and "ParameterValue" in values[name]:
            item["ParameterValue"] = values[name]["ParameterValue"]
            item["ApplyMethod"] = values[name].get("ApplyMethod", "immediate")
            item["Source"] = "user"
        described.append(item)
    return described


def describe_db_parameters(self: RDSResponse) -> ActionResult:
    name = self.params.get("DBParameterGroupName")
    groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
    if not groups:
        raise DBParameterGroupNotFoundError(name)
    group = groups[0]
    parameters = _describe(group.family, dict(group.parameters))
    source = self.params.get("Source")
    if source:
        parameters = [p for p in parameters if p["Source"] == source]
    return ActionResult({"Parameters": parameters})


def apply() -> None:
    if getattr(RDSResponse, _MARK, False):
        return
    RDSResponse.describe_db_parameters = describe_db_parameters  # type: ignore[method-assign]
    setattr(RDSResponse, _MARK, True)
