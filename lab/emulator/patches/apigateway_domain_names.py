"""API Gateway custom domain names: UpdateDomainName, base path listings, regional hosted zones.

moto behaviour:

- UpdateDomainName is not implemented (HTTP 500): a domain's certificate or security policy
  changed by hand cannot be put back.
- GetBasePathMappings of a domain that never had a mapping raises ``KeyError`` (HTTP 500), and
  DeleteDomainName leaves the domain's mappings behind, so a domain made again under the same
  name lists the old mappings.
- every domain reports CloudFront's hosted zone ``Z2FDTNDATAQYW2`` as its
  ``regionalHostedZoneId``, and a REGIONAL domain also reports a CloudFront distribution.

AWS: UpdateDomainName applies ``replace`` operations on ``/regionalCertificateArn``,
``/certificateArn``, ``/securityPolicy`` (and the certificate names); GetBasePathMappings of a
domain without mappings is an empty list; deleting a domain deletes its mappings; a regional
domain's ``regionalHostedZoneId`` is the API Gateway zone of its region (what a Route53 alias
record names) and it has no distribution fields.

Fix: all of the above; regions missing from the zone table keep moto's value.
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, DomainName
from moto.apigateway.responses import APIGatewayResponse

_MARK = "_estate_apigateway_domain_names_patched"

# Route53 hosted zone IDs of regional API Gateway endpoints (AWS "API Gateway endpoints").
REGIONAL_ZONE_IDS = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "ca-central-1": "Z19DQILCV0OWEC",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-west-3": "Z3KY65QIEKYHQQ",
    "ap-south-1": "Z3VO1THU9YC4UR",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-northeast-2": "Z20JF4UZKIW1U8",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "sa-east-1": "ZCMLWB8V5SYIT",
}
UPDATABLE = {
    "/certificateArn": "certificate_arn",
    "/certificateName": "certificate_name",
    "/regionalCertificateArn": "regional_certificate_arn",
    "/regionalCertificateName": "regional_certificate_name",
    "/securityPolicy": "security_policy",
}


def _regional_only(domain: DomainName) -> bool:
    return list((domain.endpoint_configuration or {}).get("types") or []) == ["REGIONAL"]


def update_domain_name(
    self: APIGatewayBackend, domain_name: str, patch_operations: list[dict[str, Any]]
) -> DomainName:
    domain = self.get_domain_name(domain_name)
    for op in patch_operations:
        attribute = UPDATABLE.get(op.get("path", ""))
        if op.get("op") != "replace" or attribute is None:
            raise BadRequestException(
                f"Invalid patch operation {op.get('op')} on {op.get('path')}: replace one of"
                f" {', '.join(UPDATABLE)}"
            )
        setattr(domain, attribute, op.get("value"))
    return domain


def _update_domain_name_response(self: APIGatewayResponse) -> str:
    domain_name = self.path.split("/")[2]
    patch_operations = self._get_param("patchOperations") or []
    return json.dumps(self.backend.update_domain_name(domain_name, patch_operations).to_json())


def apply() -> None:
    if getattr(APIGatewayBackend, _MARK, False):
        return
    APIGatewayBackend.update_domain_name = update_domain_name  # type: ignore[attr-defined]
    APIGatewayResponse.update_domain_name = _update_domain_name_response  # type: ignore[attr-defined]

    original_mappings = APIGatewayBackend.get_base_path_mappings

    def get_base_path_mappings(self: APIGatewayBackend, domain_name: str) -> list[Any]:
        if domain_name in self.domain_names:
            self.base_path_mappings.setdefault(domain_name, {})
        return original_mappings(self, domain_name)

    original_delete = APIGatewayBackend.delete_domain_name

    def delete_domain_name(self: APIGatewayBackend, domain_name: str) -> None:
        original_delete(self, domain_name)
        self.base_path_mappings.pop(domain_name, None)

    original_init = DomainName.__init__

    def __init__(self: DomainName, domain_name: str, **kwargs: Any) -> None:
        original_init(self, domain_name, **kwargs)
        region = kwargs.get("region_name") or "us-east-1"
        self.regional_hosted_zone_id = REGIONAL_ZONE_IDS.get(region, self.regional_hosted_zone_id)

    original_to_json = DomainName.to_json

    def to_json(self: DomainName) -> dict[str, Any]:
        data: dict[str, Any] = original_to_json(self)
        if _regional_only(self):
            data.pop("distributionDomainName", None)
            data.pop("distributionHostedZoneId", None)
        return data

    APIGatewayBackend.get_base_path_mappings = get_base_path_mappings  # type: ignore[method-assign]
    APIGatewayBackend.delete_domain_name = delete_domain_name  # type: ignore[method-assign]
    DomainName.__init__ = __init__  # type: ignore[method-assign]
    DomainName.to_json = to_json  # type: ignore[method-assign]
    setattr(APIGatewayBackend, _MARK, True)
