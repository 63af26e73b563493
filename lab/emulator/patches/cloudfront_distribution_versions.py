"""CloudFront: a distribution's ETag is a version that updates must name and change, and only a
disabled, deployed distribution can be deleted.

moto behaviour: a distribution's ``ETag`` is drawn once at creation and never changes;
UpdateDistribution and DeleteDistribution accept any ``If-Match`` value; an update leaves the
status ``Deployed``; DeleteDistribution deletes an enabled distribution at once. A reconciler can
then update with a stale ETag, skip the wait for the change to deploy, or delete without
disabling first - all of which AWS refuses - and its tests would not notice.

AWS: every update gives the distribution a new ETag; an ``If-Match`` that is not the current ETag
is ``PreconditionFailed`` (HTTP 412), a missing one ``InvalidIfMatchVersion``; an updated
distribution is ``InProgress`` until the change is deployed; deleting a distribution that is
still enabled, or whose last change is not deployed yet, is ``DistributionNotDisabled``
(HTTP 409).

Fix: UpdateDistribution and DeleteDistribution compare ``If-Match`` with the current ETag; an
update draws a new ETag and sets the status back to ``InProgress`` (moto's state manager moves it
to ``Deployed`` on the next read, as it does after a creation); DeleteDistribution refuses an
enabled or in-progress distribution.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, random_id

_MARK = "_estate_cloudfront_distribution_versions_patched"


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to"
            " false.",
        )


class DistributionNotDisabled(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        )


def _enabled(value: Any) -> bool:
    return str(value).lower() == "true"


def apply() -> None:
    if getattr(CloudFrontBackend, _MARK, False):
        return
    original_update = CloudFrontBackend.update_distribution
    original_delete = CloudFrontBackend.delete_distribution

    def update_distribution(
        self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: Any
    ) -> tuple[Any, str, str]:
        current = self.distributions.get(_id)
        if current is not None and if_match and if_match != current.etag:
            raise PreconditionFailed()
        dist, location, _ = original_update(self, dist_config, _id, if_match)
        dist.etag = random_id()
        dist.status = "InProgress"
        dist._tick = 0
        return dist, location, dist.etag

    def delete_distribution(self: CloudFrontBackend, distribution_id: str, if_match: Any) -> None:
        dist = self.distributions.get(distribution_id)
        if dist is not None and if_match:
            if if_match != dist.etag:
                raise PreconditionFailed()
            if _enabled(dist.distribution_config.Enabled) or dist.status != "Deployed":
                raise DistributionNotDisabled()
        original_delete(self, distribution_id, if_match)

    CloudFrontBackend.update_distribution = update_distribution  # type: ignore[method-assign]
    CloudFrontBackend.delete_distribution = delete_distribution  # type: ignore[method-assign]
    setattr(CloudFrontBackend, _MARK, True)
