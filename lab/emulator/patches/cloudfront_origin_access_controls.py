"""CloudFront origin access controls: names are unique, versions are checked, and one in use or
unknown cannot be deleted.

moto behaviour: CreateOriginAccessControl accepts a name that another control already has (so
two runs that both miss the first control create two); UpdateOriginAccessControl and
DeleteOriginAccessControl ignore ``If-Match`` and an update keeps the ETag;
DeleteOriginAccessControl of an unknown id is HTTP 500 (``KeyError``) and deletes a control that
a distribution's origin still uses.

AWS: a name already taken is ``OriginAccessControlAlreadyExists`` (HTTP 409); update and delete
need the current ETag in ``If-Match`` (``InvalidIfMatchVersion`` without one,
``PreconditionFailed`` with another) and an update draws a new one; an unknown id is
``NoSuchOriginAccessControl`` (404); a control that an origin of any distribution names is
``OriginAccessControlInUse`` (409).

Fix: the backend's create refuses a taken name; the update and delete responses check the id,
``If-Match`` and (delete) the distributions' origins before calling moto, and an update draws a
new ETag.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront.exceptions import (
    CloudFrontException,
    InvalidIfMatchVersion,
    NoSuchOriginAccessControl,
)
from moto.cloudfront.models import CloudFrontBackend, random_id
from moto.cloudfront.responses import CloudFrontResponse

_MARK = "_estate_cloudfront_origin_access_controls_patched"


class OriginAccessControlAlreadyExists(CloudFrontException):
    def __init__(self, name: str) -> None:
        super().__init__(
            "OriginAccessControlAlreadyExists",
            f"An origin access control with the same name already exists: {name}",
        )


class OriginAccessControlInUse(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "OriginAccessControlInUse",
            "Cannot delete the origin access control because it's in use by one or more origins.",
        )


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to"
            " false.",
        )


def _checked(backend: CloudFrontBackend, control_id: str, if_match: Any) -> Any:
    control = backend.origin_access_controls.get(control_id)
    if control is None:
        raise NoSuchOriginAccessControl()
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != control.etag:
        raise PreconditionFailed()
    return control


def apply() -> None:
    if getattr(CloudFrontBackend, _MARK, False):
        return
    original_create = CloudFrontBackend.create_origin_access_control
    original_update = CloudFrontResponse.update_origin_access_control
    original_delete = CloudFrontResponse.delete_origin_access_control

    def create_origin_access_control(self: CloudFrontBackend, config_dict: dict[str, str]) -> Any:
        name = config_dict.get("Name")
        if any(c.name == name for c in self.origin_access_controls.values()):
            raise OriginAccessControlAlreadyExists(str(name))
        return original_create(self, config_dict)

    def update_origin_access_control(self: CloudFrontResponse) -> Any:
        control = _checked(self.backend, self._get_param("Id"), self._get_param("IfMatch"))
        control.etag = random_id()
        return original_update(self)

    def delete_origin_access_control(self: CloudFrontResponse) -> Any:
        control_id = self._get_param("Id")
        _checked(self.backend, control_id, self._get_param("IfMatch"))
        for dist in self.backend.distributions.values():
            origins = dist.distribution_config.Origins.get("Items") or []
            if any(getattr(o, "origin_access_control_id", "") == control_id for o in origins):
                raise OriginAccessControlInUse()
        return original_delete(self)

    CloudFrontBackend.create_origin_access_control = create_origin_access_control  # type: ignore[method-assign]
    CloudFrontResponse.update_origin_access_control = update_origin_access_control  # type: ignore[method-assign]
    CloudFrontResponse.delete_origin_access_control = delete_origin_access_control  # type: ignore[method-assign]
    setattr(CloudFrontBackend, _MARK, True)
