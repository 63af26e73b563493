"""CloudFront: a distribution's origins keep their origin access control, and its viewer
certificate says which certificate it uses.

moto behaviour: an origin's ``OriginAccessControlId`` is dropped when the distribution is stored,
and its ``S3OriginConfig`` is kept under an attribute the response never shows, so
GetDistributionConfig answers neither: a reconciler that gives every S3 origin an origin access
control (and no legacy origin access identity) sees them missing and updates the distribution on
every run. The viewer certificate always says ``CloudFrontDefaultCertificate: true`` and
``CertificateSource: cloudfront``, even with an ACM certificate, and keeps a
``MinimumProtocolVersion`` given with the default certificate.

AWS: GetDistribution(Config) returns each origin's ``OriginAccessControlId`` (an empty string
when it has none) and, for an S3 origin, ``S3OriginConfig`` with its ``OriginAccessIdentity``
(empty when none). With an ACM (or IAM) certificate ``CloudFrontDefaultCertificate`` is false and
``CertificateSource`` is ``acm`` (``iam``); with the default ``*.cloudfront.net`` certificate the
security policy is always ``TLSv1``, whatever was asked.

Fix: ``Origin`` keeps both fields as the API names them; ``ViewerCertificate`` derives the default
flag (unless given), the source and ``Certificate`` from the certificate given, and reports
``TLSv1`` with the default certificate.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront.models import Origin, ViewerCertificate

_MARK = "_estate_cloudfront_distribution_fields_patched"


def apply() -> None:
    if getattr(Origin, _MARK, False):
        return
    original_origin = Origin.__init__
    original_certificate = ViewerCertificate.__init__

    def origin_init(self: Origin, origin: dict[str, Any]) -> None:
        original_origin(self, origin)
        if "S3OriginConfig" in origin:
            identity = (origin["S3OriginConfig"] or {}).get("OriginAccessIdentity") or ""
            self.s3_origin_config = {"OriginAccessIdentity": identity}
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    def certificate_init(self: ViewerCertificate, config: dict[str, Any]) -> None:
        original_certificate(self, config)
        if self.acm_certificate_arn:
            self.certificate_source, self.certificate = "acm", self.acm_certificate_arn
        elif self.iam_certificate_id:
            self.certificate_source, self.certificate = "iam", self.iam_certificate_id
        if "CloudFrontDefaultCertificate" not in config:
            self.cloud_front_default_certificate = self.certificate_source == "cloudfront"
        if self.cloud_front_default_certificate:
            self.minimum_protocol_version = "TLSv1"

    Origin.__init__ = origin_init  # type: ignore[method-assign]
    ViewerCertificate.__init__ = certificate_init  # type: ignore[method-assign]
    setattr(Origin, _MARK, True)
