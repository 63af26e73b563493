"""Pure-Python parts of estate.aws.cloudfront_distributions (module_utils/cloudfront.py): the
validation of the wanted distributions, the DistributionConfig built from them and the view that
compares only the managed fields, the bucket policy statement and its merge, and the wait loop.
No AWS."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.source import load_plugin

cf = load_plugin("module_utils/cloudfront.py")
ownership = load_plugin("module_utils/ownership.py")

ARN = "arn:aws:cloudfront::123456789012:distribution/E1ABCDEF"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
GOOD: list[dict[str, Any]] = [
    {
        "name": "web",
        "origins": [
            {"id": "site", "bucket": "mobile-production-site", "region": "eu-west-1"},
            {
                "id": "media",
                "bucket": "mobile-production-media",
                "region": "eu-west-1",
                "path": "/p",
            },
        ],
        "default_origin": "site",
        "behaviors": [{"path_pattern": "/media/*", "origin": "media"}],
        "aliases": ["www.example.org", "*.cdn.example.org"],
        "certificate_arn": CERT,
        "logging_bucket": "mobile-production-logs",
    },
    {"name": "docs", "origins": [{"id": "docs", "bucket": "docs-bucket", "region": "us-east-1"}]},
]


def test_good_distributions_have_no_errors() -> None:
    assert cf.distribution_errors(GOOD, "mobile") == []
    assert cf.distribution_errors([], "mobile") == []


def changed(index: int, **fields: Any) -> list[dict[str, Any]]:
    distributions = copy.deepcopy(GOOD)
    distributions[index].update(fields)
    return distributions


def origin(**fields: Any) -> list[dict[str, Any]]:
    return changed(
        1, origins=[{"id": "docs", "bucket": "docs-bucket", "region": "us-east-1", **fields}]
    )


@pytest.mark.parametrize(
    ("distributions", "expected"),
    [
        ({"name": "web"}, "distributions must be a list"),
        (["web"], "distributions[0] must be a mapping"),
        (changed(0, name="Web"), "distributions[0].name 'Web' must be 1-64 lower-case"),
        (changed(1, name="web"), "distributions[1] (web).name is used twice"),
        (changed(1, name="w-eb"), "gives the bucket policy Sid CloudFrontReadweb, as web does"),
        (changed(1, colour="blue"), "distributions[1] (docs): unknown field(s) colour"),
        (changed(1, origins=[]), "distributions[1] (docs).origins must be a non-empty list"),
        (origin(bucket="Bad_Bucket"), "(docs).origins[0].bucket 'Bad_Bucket' is not an S3"),
        (origin(region="europe"), "(docs).origins[0].region 'europe' is not an AWS region"),
        (origin(path="site/"), "(docs).origins[0].path 'site/' must start with /"),
        (origin(path="/site/"), "must start with / and not end with /"),
        (origin(id="a b"), "(docs).origins[0].id 'a b' must be 1-128"),
        (origin(oai="x"), "(docs).origins[0]: unknown field(s) oai"),
        (changed(0, default_origin=None), "(web).default_origin is required when there are"),
        (changed(1, default_origin="site"), "(docs).default_origin 'site' is not the id"),
        (
            changed(0, behaviors=[{"path_pattern": "/a/*", "origin": "nope"}]),
            "(web).behaviors[0].origin 'nope' is not the id",
        ),
        (
            changed(0, behaviors=[{"path_pattern": "*", "origin": "site"}]),
            "(web).behaviors[0].path_pattern '*' must be a pattern",
        ),
        (
            changed(0, behaviors=[{"path_pattern": "/a", "origin": "site"}] * 2),
            "(web).behaviors[1].path_pattern /a is used twice",
        ),
        (changed(0, aliases=["WWW.example.org"]), "(web).aliases: 'WWW.example.org' is not"),
        (changed(0, aliases=["a.example.org"] * 2), "(web).aliases lists a name twice"),
        (changed(1, aliases=["www.example.org"]), "(docs).aliases: www.example.org is already"),
        (changed(0, certificate_arn=""), "(web).aliases need certificate_arn"),
        (changed(0, certificate_arn=CERT.replace("us-east-1", "eu-west-1")), "us-east-1 only"),
        (changed(0, certificate_arn="arn:aws:iam::1:x"), "is not an ACM certificate ARN"),
        (changed(0, minimum_protocol_version="TLSv1.2"), "(web).minimum_protocol_version"),
        (changed(0, viewer_protocol_policy="http"), "(web).viewer_protocol_policy 'http'"),
        (changed(0, price_class="PriceClass_1"), "(web).price_class 'PriceClass_1' must be"),
        (changed(0, http_version="h2"), "(web).http_version 'h2' must be one of"),
        (changed(0, ipv6="yes"), "(web).ipv6 must be true or false"),
        (changed(0, enabled=1), "(web).enabled must be true or false"),
        (changed(0, default_root_object="/index.html"), "(web).default_root_object"),
        (changed(0, cache_policy_id="CachingOptimized"), "(web).cache_policy_id"),
        (changed(0, logging_bucket="Logs"), "(web).logging_bucket 'Logs' is not an S3"),
    ],
)
def test_invalid_distributions_name_the_field(distributions: Any, expected: str) -> None:
    errors = cf.distribution_errors(distributions, "mobile")
    assert any(expected in e for e in errors), errors


def test_the_origin_access_control_name_must_fit() -> None:
    errors = cf.distribution_errors(changed(1, name="d" * 60), "mobile-production")
    assert any("origin access control name mobile-production-ddd" in e for e in errors), errors


def test_defaults() -> None:
    docs = cf.with_defaults(GOOD[1])
    assert docs["default_origin"] == "docs"
    assert docs["origins"][0]["path"] == ""
    assert docs["default_root_object"] == "index.html"
    assert docs["minimum_protocol_version"] == "TLSv1.2_2021"
    assert docs["viewer_protocol_policy"] == "redirect-to-https"
    assert docs["cache_policy_id"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert (docs["price_class"], docs["http_version"]) == ("PriceClass_100", "http2and3")
    assert docs["ipv6"] is True and docs["enabled"] is True
    assert docs["logging_prefix"] == "cloudfront/docs/"
    assert cf.with_defaults({**GOOD[1], "ipv6": None})["ipv6"] is True


def test_origin_access_control_config_and_owner() -> None:
    config = cf.oac_config("mobile", "web")
    assert config == {
        "Name": "mobile-web",
        "Description": "estate.aws.cloudfront_distributions stack=mobile distribution=web",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }
    assert cf.oac_owner(config["Description"]) == ("mobile", "web")
    assert cf.oac_owner("made by hand") is None and cf.oac_owner(None) is None
    drifted = {**config, "SigningBehavior": "no-override", "Id": "X"}
    assert cf.oac_differences(drifted, config) == {"SigningBehavior": "always"}


def test_config_signs_every_s3_origin_with_the_oac() -> None:
    config = cf.distribution_config(cf.with_defaults(GOOD[0]), "OAC1", "ref-1")
    assert config["CallerReference"] == "ref-1" and config["Comment"] == "web"
    assert config["Origins"]["Quantity"] == 2
    for item in config["Origins"]["Items"]:
        assert item["OriginAccessControlId"] == "OAC1"
        assert item["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    media = config["Origins"]["Items"][1]
    assert media["DomainName"] == "mobile-production-media.s3.eu-west-1.amazonaws.com"
    assert media["OriginPath"] == "/p"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["CacheBehaviors"]["Items"][0]["PathPattern"] == "/media/*"
    assert config["CacheBehaviors"]["Items"][0]["TargetOriginId"] == "media"
    assert config["Aliases"] == {"Quantity": 2, "Items": ["*.cdn.example.org", "www.example.org"]}
    assert config["ViewerCertificate"] == {
        "ACMCertificateArn": CERT,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert config["Logging"] == {
        "Enabled": True,
        "IncludeCookies": False,
        "Bucket": "mobile-production-logs.s3.amazonaws.com",
        "Prefix": "cloudfront/web/",
    }
    docs = cf.distribution_config(cf.with_defaults(GOOD[1]), "OAC2", "ref-2")
    assert docs["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert docs["Aliases"] == {"Quantity": 0} and docs["CacheBehaviors"] == {"Quantity": 0}
    assert docs["Logging"]["Enabled"] is False


def test_an_update_keeps_the_fields_the_module_does_not_manage() -> None:
    spec = cf.with_defaults(GOOD[1])
    current = {**cf.distribution_config(spec, "OAC2", "ref-2"), "WebACLId": "acl", "Comment": "x"}
    config = cf.distribution_config(spec, "OAC2", "ref-2", current)
    assert config["WebACLId"] == "acl" and config["Comment"] == "docs"


def with_service_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """CONFIG as the service returns it: extra defaults everywhere, lists in its own order,
    the security policy of the default certificate forced to TLSv1."""
    returned = copy.deepcopy(config)
    returned.update(WebACLId="", OriginGroups={"Quantity": 0}, Staging=False)
    for item in returned["Origins"]["Items"]:
        item.update(ConnectionAttempts=3, ConnectionTimeout=10, OriginShield={"Enabled": False})
    behavior = returned["DefaultCacheBehavior"]
    behavior.update(ForwardedValues={"QueryString": False}, MinTTL=0, SmoothStreaming=False)
    behavior["AllowedMethods"]["Items"].reverse()
    if returned["ViewerCertificate"].get("CloudFrontDefaultCertificate"):
        returned["ViewerCertificate"].update(
            CertificateSource="cloudfront", MinimumProtocolVersion="TLSv1"
        )
    else:
        returned["ViewerCertificate"].update(CertificateSource="acm", Certificate=CERT)
    returned["Logging"].pop("IncludeCookies")
    if returned["Aliases"].get("Items"):
        returned["Aliases"]["Items"].reverse()
    return returned


@pytest.mark.parametrize("index", [0, 1])
def test_the_view_ignores_what_the_service_adds(index: int) -> None:
    config = cf.distribution_config(cf.with_defaults(GOOD[index]), "OAC", "ref")
    assert cf.managed_view(with_service_defaults(config)) == cf.managed_view(config)
    assert cf.view_changes(cf.managed_view(config), cf.managed_view(config)) == ({}, {})


@pytest.mark.parametrize(
    ("field", "value", "keys"),
    [
        ("enabled", False, ["enabled"]),
        ("aliases", ["www.example.org"], ["aliases"]),
        ("default_origin", "media", ["default_behavior"]),
        ("behaviors", [], ["behaviors"]),
        ("minimum_protocol_version", "TLSv1.2_2019", ["certificate"]),
        ("logging_bucket", "", ["logging"]),
        ("price_class", "PriceClass_All", ["price_class"]),
        ("default_root_object", "", ["default_root_object"]),
        ("viewer_protocol_policy", "https-only", ["default_behavior", "behaviors"]),
        (
            "cache_policy_id",
            "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            ["default_behavior", "behaviors"],
        ),
    ],
)
def test_the_view_sees_each_managed_change(field: str, value: Any, keys: list[str]) -> None:
    before = cf.managed_view(cf.distribution_config(cf.with_defaults(GOOD[0]), "OAC", "r"))
    spec = cf.with_defaults({**GOOD[0], field: value})
    after = cf.managed_view(cf.distribution_config(spec, "OAC", "r"))
    old, new = cf.view_changes(before, after)
    assert list(new) == keys and all(old[k] == before[k] for k in keys)


def test_the_view_sees_a_legacy_identity_or_a_missing_oac() -> None:
    config = cf.distribution_config(cf.with_defaults(GOOD[1]), "OAC", "r")
    legacy = copy.deepcopy(config)
    legacy["Origins"]["Items"][0]["S3OriginConfig"]["OriginAccessIdentity"] = (
        "origin-access-identity/cloudfront/E1"
    )
    del legacy["Origins"]["Items"][0]["OriginAccessControlId"]
    old, new = cf.view_changes(cf.managed_view(legacy), cf.managed_view(config))
    assert list(new) == ["origins"]
    assert old["origins"][0]["origin_access_control"] == ""
    assert new["origins"][0]["origin_access_identity"] == ""


def test_origin_domains_and_buckets() -> None:
    assert cf.origin_domain("b", "eu-west-1") == "b.s3.eu-west-1.amazonaws.com"
    assert cf.bucket_of("b.s3.eu-west-1.amazonaws.com") == ("b", "eu-west-1")
    assert cf.bucket_of("my.dotted.bucket.s3.us-west-2.amazonaws.com") == (
        "my.dotted.bucket",
        "us-west-2",
    )
    assert cf.bucket_of("b.s3.amazonaws.com") == ("b", "us-east-1")
    assert cf.bucket_of("b.s3-eu-west-1.amazonaws.com") == ("b", "eu-west-1")
    assert cf.bucket_of("api.example.org") is None
    config = cf.distribution_config(cf.with_defaults(GOOD[0]), "OAC", "r")
    assert cf.origin_buckets(config) == {
        "mobile-production-site": "eu-west-1",
        "mobile-production-media": "eu-west-1",
    }


def test_tag_changes_leave_aws_tags_alone() -> None:
    current = {"stack": "m", "tier": "old", "extra": "x", "aws:cloudformation:stack-name": "s"}
    wanted = {"stack": "m", "tier": "cdn", "Name": "web"}
    assert ownership.tag_purge(current, wanted) == ({"tier": "cdn", "Name": "web"}, ["extra"])
    assert ownership.tag_purge(wanted, wanted) == ({}, [])


TLS = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_the_read_statement() -> None:
    assert cf.statement_sid("web-app-2") == "CloudFrontReadwebapp2"
    statement = cf.read_statement("web", "b", ARN)
    assert statement == {
        "Sid": "CloudFrontReadweb",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": ARN}},
    }
    assert cf.statement_source(statement) == ARN
    assert cf.statement_source(TLS) == ""
    listed = {"Condition": {"ArnLike": {"aws:SourceArn": [ARN]}}}
    assert cf.statement_source(listed) == ARN


def test_merge_adds_keeps_and_removes_only_its_statement() -> None:
    statement = cf.read_statement("web", "b", ARN)
    sid = statement["Sid"]
    changed_, policy = cf.merge_statement(None, sid, statement)
    assert changed_ and policy == {"Version": "2012-10-17", "Statement": [statement]}
    base = {"Version": "2012-10-17", "Statement": [TLS]}
    changed_, policy = cf.merge_statement(base, sid, statement)
    assert changed_ and policy["Statement"] == [TLS, statement]
    assert base["Statement"] == [TLS], "the input policy is not modified"
    # The same statement, as a service may return it (a one-item list, keys in another order).
    returned = {**statement, "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    assert cf.merge_statement({"Statement": [returned, TLS]}, sid, statement)[0] is False
    # A stale statement (another ARN) is replaced where it stands.
    stale = cf.read_statement("web", "b", ARN + "OLD")
    changed_, policy = cf.merge_statement({"Statement": [stale, TLS]}, sid, statement)
    assert changed_ and policy["Statement"] == [statement, TLS]
    # Removal keeps the others, and removing the last statement removes the policy.
    changed_, policy = cf.merge_statement({"Statement": [TLS, statement]}, sid, None)
    assert changed_ and policy == {"Statement": [TLS]}
    assert cf.merge_statement({"Statement": [statement]}, sid, None) == (True, None)
    assert cf.merge_statement(base, sid, None) == (False, base)
    assert cf.merge_statement(None, sid, None) == (False, None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_polls_with_growing_delays() -> None:
    clock = FakeClock()
    answers = iter([False, False, False, False, False, True])
    assert cf.wait_until(lambda: next(answers), 600, clock.sleep, clock) is True
    assert clock.sleeps == [2, 4, 8, 15, 15]


def test_wait_until_gives_up_at_the_timeout() -> None:
    clock = FakeClock()
    assert cf.wait_until(lambda: False, 20, clock.sleep, clock) is False
    assert clock.sleeps == [2, 4, 8, 6] and clock.now == 20
    clock = FakeClock()
    assert cf.wait_until(lambda: True, 0, clock.sleep, clock) is True and clock.sleeps == []
