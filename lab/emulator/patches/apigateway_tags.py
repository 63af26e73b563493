"""API Gateway: TagResource, UntagResource and GetTags on REST APIs and custom domain names.

moto behaviour: the three tag actions only know stage ARNs
(``arn:aws:apigateway:<region>::/restapis/<id>/stages/<name>``). For a REST API
(``.../restapis/<id>``) or a custom domain name (``.../domainnames/<name>``) no URL matches and the
emulator answers HTTP 404, so the tags given at creation can never be read back through GetTags or
repaired when they drift.

AWS: the three actions take the ARN of any taggable API Gateway resource, REST APIs and custom
domain names included; GetTags answers ``{"tags": {...}}``; tagging an unknown resource is
``NotFoundException``.

Fix: the two ARN shapes get their URLs, and the three actions find the REST API or the domain by
the ARN (the tags moto already keeps on both), falling back to moto's own stage handling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls
from moto.apigateway.exceptions import DomainNameNotFound
from moto.apigateway.responses import APIGatewayResponse

_MARK = "_estate_apigateway_tags_patched"
_ARN = "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::"
URLS = {
    _ARN + "/restapis/(?P<function_id>[^/]+)$": APIGatewayResponse.dispatch,
    _ARN + "/domainnames/(?P<domain_name>[^/]+)$": APIGatewayResponse.dispatch,
}


def _target(response: APIGatewayResponse) -> Any:
    """The REST API or domain name the request's ARN names, or None for another resource."""
    parts = unquote(response.path.split("/tags/", 1)[1]).split("::", 1)[-1].strip("/").split("/")
    if len(parts) == 2 and parts[0] == "restapis":
        return response.backend.get_rest_api(parts[1])
    if len(parts) == 2 and parts[0] == "domainnames":
        domain = response.backend.domain_names.get(parts[1])
        if domain is None:
            raise DomainNameNotFound()
        return domain
    return None


def _wrap(original: Callable[[APIGatewayResponse], str], action: str) -> Callable[..., str]:
    def handler(self: APIGatewayResponse) -> str:
        target = _target(self)
        if target is None:
            return original(self)
        tags = dict(target.tags or {})
        if action == "tag":
            tags.update(self._get_param("tags") or {})
            target.tags = tags
            return json.dumps({})
        if action == "untag":
            for key in self.querystring.get("tagKeys") or []:
                tags.pop(key, None)
            target.tags = tags
            return json.dumps({})
        return json.dumps({"tags": tags})

    return handler


def apply() -> None:
    if getattr(APIGatewayResponse, _MARK, False):
        return
    urls.url_paths.update(URLS)
    APIGatewayResponse.tag_resource = _wrap(APIGatewayResponse.tag_resource, "tag")  # type: ignore[method-assign]
    APIGatewayResponse.untag_resource = _wrap(APIGatewayResponse.untag_resource, "untag")  # type: ignore[method-assign]
    APIGatewayResponse.get_tags = _wrap(APIGatewayResponse.get_tags, "get")  # type: ignore[method-assign]
    setattr(APIGatewayResponse, _MARK, True)
