# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of ``estate.aws.cloudfront_distributions``: validation of the wanted
distributions, their defaults, the DistributionConfig and origin access control requests built
from them, the view of a DistributionConfig restricted to the fields the module manages (so the
extra defaults AWS or an emulator adds never count as a difference), the bucket policy statement
that lets one distribution read its S3 origins, and the wait loop. Only the stdlib is used.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

WHERE = "distributions"
TIER = "cdn"
# Route53 alias target zone of every CloudFront distribution (fixed by AWS).
HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
# The AWS-managed cache policy "CachingOptimized".
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SID_PREFIX = "CloudFrontRead"
OAC_NAME_MAX = 64
DEFAULTS: dict[str, Any] = {
    "behaviors": [],
    "default_root_object": "index.html",
    "aliases": [],
    "certificate_arn": "",
    "minimum_protocol_version": "TLSv1.2_2021",
    "viewer_protocol_policy": "redirect-to-https",
    "cache_policy_id": CACHING_OPTIMIZED,
    "price_class": "PriceClass_100",
    "http_version": "http2and3",
    "ipv6": True,
    "enabled": True,
    "logging_bucket": "",
}
FIELDS = {"name", "origins", "default_origin", "logging_prefix", *DEFAULTS}
ORIGIN_FIELDS = {"id", "bucket", "region", "path"}
BEHAVIOR_FIELDS = {"path_pattern", "origin"}
CHOICES = {
    "minimum_protocol_version": (
        "TLSv1",
        "TLSv1_2016",
        "TLSv1.1_2016",
        "TLSv1.2_2018",
        "TLSv1.2_2019",
        "TLSv1.2_2021",
        "TLSv1.2_2025",
        "TLSv1.3_2025",
    ),
    "viewer_protocol_policy": ("allow-all", "https-only", "redirect-to-https"),
    "price_class": ("PriceClass_100", "PriceClass_200", "PriceClass_All"),
    "http_version": ("http1.1", "http2", "http3", "http2and3"),
}
METHODS = ["GET", "HEAD"]
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ORIGIN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
BUCKET_RE = re.compile(r"^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
ALIAS_RE = re.compile(r"^(?:\*\.)?(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CERTIFICATE_RE = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
# S3 REST endpoints an origin may name: <bucket>.s3.<region>.amazonaws.com or the legacy
# global <bucket>.s3.amazonaws.com (us-east-1).
ORIGIN_DOMAIN_RE = re.compile(
    r"^(?P<bucket>.+?)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$"
)
OAC_DESCRIPTION_RE = re.compile(
    r"^estate\.aws\.cloudfront_distributions stack=(?P<stack>\S+) distribution=(?P<name>\S+)$"
)


# -- validation ------------------------------------------------------------------------------
def distribution_errors(distributions: Any, stack: str = "") -> list[str]:
    """Every error in the wanted distributions, each naming the field and the fix."""
    if not isinstance(distributions, list):
        return [f"{WHERE} must be a list of distributions, not {distributions!r}"]
    errors: list[str] = []
    names: set[str] = set()
    sids: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for index, spec in enumerate(distributions):
        where = f"{WHERE}[{index}]"
        if not isinstance(spec, Mapping):
            errors.append(f"{where} must be a mapping with a name and origins, not {spec!r}")
            continue
        name = spec.get("name")
        valid_name = isinstance(name, str) and bool(NAME_RE.match(name))
        unknown = sorted(set(spec) - FIELDS)
        if unknown:
            errors.append(
                f"{where}{f' ({name})' if valid_name else ''}: unknown field(s)"
                f" {', '.join(unknown)} ({', '.join(sorted(FIELDS))})"
            )
        if not valid_name:
            errors.append(
                f"{where}.name {name!r} must be 1-64 lower-case letters, digits and inner hyphens"
                " (it is the distribution's Name tag and Comment)"
            )
            continue
        assert isinstance(name, str)
        where = f"{WHERE}[{index}] ({name})"
        if name in names:
            errors.append(f"{where}.name is used twice: distribution names must be unique")
        names.add(name)
        sid = statement_sid(name)
        if sid in sids and sids[sid] != name:
            errors.append(
                f"{where}.name gives the bucket policy Sid {sid}, as {sids[sid]} does:"
                " names must differ in more than hyphens"
            )
        sids[sid] = name
        if stack and len(oac_name(stack, name)) > OAC_NAME_MAX:
            errors.append(
                f"{where}.name: the origin access control name {oac_name(stack, name)} is longer"
                f" than {OAC_NAME_MAX} characters: shorten the name or the stack tag"
            )
        errors.extend(_origin_errors(where, spec))
        errors.extend(_setting_errors(where, spec))
        for alias in spec.get("aliases") or []:
            if isinstance(alias, str) and alias in aliases and aliases[alias] != name:
                errors.append(f"{where}.aliases: {alias} is already an alias of {aliases[alias]}")
            elif isinstance(alias, str):
                aliases[alias] = name
    return errors


def _origin_errors(where: str, spec: Mapping[str, Any]) -> list[str]:
    origins = spec.get("origins")
    if not isinstance(origins, list) or not origins:
        return [f"{where}.origins must be a non-empty list of {{id, bucket, region, path}}"]
    errors: list[str] = []
    ids: list[str] = []
    for index, origin in enumerate(origins):
        at = f"{where}.origins[{index}]"
        if not isinstance(origin, Mapping):
            errors.append(f"{at} must be a mapping {{id, bucket, region, path}}, not {origin!r}")
            continue
        unknown = sorted(set(origin) - ORIGIN_FIELDS)
        if unknown:
            errors.append(f"{at}: unknown field(s) {', '.join(unknown)} (id, bucket, region, path)")
        origin_id = origin.get("id")
        if not isinstance(origin_id, str) or not ORIGIN_ID_RE.match(origin_id):
            errors.append(f"{at}.id {origin_id!r} must be 1-128 letters, digits, '.', '_' or '-'")
        elif origin_id in ids:
            errors.append(f"{at}.id {origin_id} is used twice in this distribution")
        else:
            ids.append(origin_id)
        bucket = origin.get("bucket")
        if not isinstance(bucket, str) or not BUCKET_RE.match(bucket):
            errors.append(f"{at}.bucket {bucket!r} is not an S3 bucket name")
        region = origin.get("region")
        if not isinstance(region, str) or not REGION_RE.match(region):
            errors.append(f"{at}.region {region!r} is not an AWS region such as eu-west-1")
        path = origin.get("path", "")
        if path not in ("", None) and (
            not isinstance(path, str) or not path.startswith("/") or path.endswith("/")
        ):
            errors.append(f"{at}.path {path!r} must start with / and not end with / (or be empty)")
    default = spec.get("default_origin")
    if default is None and len(origins) > 1:
        errors.append(f"{where}.default_origin is required when there are several origins")
    elif default is not None and default not in ids:
        errors.append(f"{where}.default_origin {default!r} is not the id of one of its origins")
    behaviors = spec.get("behaviors") or []
    if not isinstance(behaviors, list):
        return [*errors, f"{where}.behaviors must be a list of {{path_pattern, origin}}"]
    patterns: set[str] = set()
    for index, behavior in enumerate(behaviors):
        at = f"{where}.behaviors[{index}]"
        if not isinstance(behavior, Mapping):
            errors.append(f"{at} must be a mapping {{path_pattern, origin}}, not {behavior!r}")
            continue
        unknown = sorted(set(behavior) - BEHAVIOR_FIELDS)
        if unknown:
            errors.append(f"{at}: unknown field(s) {', '.join(unknown)} (path_pattern, origin)")
        pattern = behavior.get("path_pattern")
        if not isinstance(pattern, str) or not pattern or len(pattern) > 255 or pattern == "*":
            errors.append(
                f"{at}.path_pattern {pattern!r} must be a pattern such as /images/* (not *, the"
                " default behaviour)"
            )
        elif pattern in patterns:
            errors.append(f"{at}.path_pattern {pattern} is used twice")
        else:
            patterns.add(pattern)
        if behavior.get("origin") not in ids:
            errors.append(
                f"{at}.origin {behavior.get('origin')!r} is not the id of one of its origins"
            )
    return errors


def _setting_errors(where: str, spec: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    for field, allowed in CHOICES.items():
        value = spec.get(field, DEFAULTS[field])
        if value not in allowed:
            errors.append(f"{where}.{field} {value!r} must be one of {', '.join(allowed)}")
    for field in ("ipv6", "enabled"):
        if not isinstance(spec.get(field, True), bool):
            errors.append(f"{where}.{field} must be true or false, not {spec.get(field)!r}")
    root = spec.get("default_root_object", DEFAULTS["default_root_object"])
    if not isinstance(root, str) or root.startswith("/") or len(root) > 255:
        errors.append(
            f"{where}.default_root_object {root!r} must be an object name without a leading /"
            " (or empty)"
        )
    policy = spec.get("cache_policy_id", CACHING_OPTIMIZED)
    if not isinstance(policy, str) or not UUID_RE.match(policy):
        errors.append(f"{where}.cache_policy_id {policy!r} is not a cache policy ID (a UUID)")
    aliases = spec.get("aliases") or []
    if not isinstance(aliases, list):
        errors.append(f"{where}.aliases must be a list of domain names")
        aliases = []
    for alias in aliases:
        if not isinstance(alias, str) or not ALIAS_RE.match(alias):
            errors.append(
                f"{where}.aliases: {alias!r} is not a lower-case domain name such as"
                " cdn.example.org (or *.example.org)"
            )
    if len(set(map(str, aliases))) != len(aliases):
        errors.append(f"{where}.aliases lists a name twice")
    certificate = spec.get("certificate_arn") or ""
    match = CERTIFICATE_RE.match(certificate) if isinstance(certificate, str) else None
    if certificate and not match:
        errors.append(f"{where}.certificate_arn {certificate!r} is not an ACM certificate ARN")
    elif match and match.group(1) != "us-east-1":
        errors.append(
            f"{where}.certificate_arn is in {match.group(1)}: CloudFront uses ACM certificates"
            " of us-east-1 only"
        )
    if aliases and not certificate:
        errors.append(
            f"{where}.aliases need certificate_arn (an ACM certificate in us-east-1 that covers"
            " them): the default CloudFront certificate covers only *.cloudfront.net"
        )
    logging = spec.get("logging_bucket") or ""
    if logging and (not isinstance(logging, str) or not BUCKET_RE.match(logging)):
        errors.append(f"{where}.logging_bucket {logging!r} is not an S3 bucket name")
    prefix = spec.get("logging_prefix")
    if prefix is not None and not isinstance(prefix, str):
        errors.append(f"{where}.logging_prefix must be a string, not {prefix!r}")
    return errors


# -- defaults and names ----------------------------------------------------------------------
def with_defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A valid distribution with every default filled in."""
    full = {**DEFAULTS, **{k: v for k, v in spec.items() if v is not None}}
    full["origins"] = [
        {"path": "", **{k: v for k, v in o.items() if v is not None}} for o in spec["origins"]
    ]
    full["default_origin"] = spec.get("default_origin") or full["origins"][0]["id"]
    full["behaviors"] = [dict(b) for b in spec.get("behaviors") or []]
    full["aliases"] = list(spec.get("aliases") or [])
    if spec.get("logging_prefix") is None:
        full["logging_prefix"] = f"cloudfront/{spec['name']}/"
    return full


def oac_name(stack: str, name: str) -> str:
    """Origin access control names are unique in the account: the stack comes first."""
    return f"{stack}-{name}"


def oac_description(stack: str, name: str) -> str:
    return f"estate.aws.cloudfront_distributions stack={stack} distribution={name}"


def oac_owner(description: str | None) -> tuple[str, str] | None:
    """(stack, distribution name) of an origin access control this module made, else None."""
    match = OAC_DESCRIPTION_RE.match(description or "")
    return (match.group("stack"), match.group("name")) if match else None


def oac_config(stack: str, name: str) -> dict[str, str]:
    """The origin access control of a distribution: S3, SigV4, every request signed."""
    return {
        "Name": oac_name(stack, name),
        "Description": oac_description(stack, name),
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }


def oac_differences(current: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in wanted.items() if current.get(k) != v}


def origin_domain(bucket: str, region: str) -> str:
    """The regional S3 REST endpoint of BUCKET (what an OAC-signed origin must name)."""
    return f"{bucket}.s3.{region}.amazonaws.com"


def bucket_of(domain: str) -> tuple[str, str] | None:
    """(bucket, region) of an S3 origin domain name, or None for another kind of origin."""
    match = ORIGIN_DOMAIN_RE.match(domain or "")
    if not match:
        return None
    return match.group("bucket"), match.group("region") or "us-east-1"


# -- DistributionConfig ----------------------------------------------------------------------
def _items(values: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def _behavior(spec: Mapping[str, Any], origin: str) -> dict[str, Any]:
    return {
        "TargetOriginId": origin,
        "ViewerProtocolPolicy": spec["viewer_protocol_policy"],
        "CachePolicyId": spec["cache_policy_id"],
        "Compress": True,
        "AllowedMethods": {**_items(list(METHODS)), "CachedMethods": _items(list(METHODS))},
    }


def distribution_config(
    spec: Mapping[str, Any],
    oac_id: str,
    caller_reference: str,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The DistributionConfig of SPEC (with defaults), every S3 origin signed by OAC_ID. With
    CURRENT (an existing distribution's config), the fields this module does not manage
    (WebACLId, Restrictions, custom error responses, ...) are kept as they are."""
    if spec["certificate_arn"]:
        certificate: dict[str, Any] = {
            "ACMCertificateArn": spec["certificate_arn"],
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": spec["minimum_protocol_version"],
        }
    else:
        certificate = {"CloudFrontDefaultCertificate": True}
    logging = spec["logging_bucket"]
    managed = {
        "CallerReference": caller_reference,
        "Comment": spec["name"],
        "Enabled": spec["enabled"],
        "DefaultRootObject": spec["default_root_object"],
        "Aliases": _items(sorted(spec["aliases"])),
        "Origins": _items(
            [
                {
                    "Id": o["id"],
                    "DomainName": origin_domain(o["bucket"], o["region"]),
                    "OriginPath": o.get("path") or "",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac_id,
                }
                for o in spec["origins"]
            ]
        ),
        "DefaultCacheBehavior": _behavior(spec, spec["default_origin"]),
        "CacheBehaviors": _items(
            [
                {"PathPattern": b["path_pattern"], **_behavior(spec, b["origin"])}
                for b in spec["behaviors"]
            ]
        ),
        "PriceClass": spec["price_class"],
        "HttpVersion": spec["http_version"],
        "IsIPV6Enabled": spec["ipv6"],
        "ViewerCertificate": certificate,
        "Logging": {
            "Enabled": bool(logging),
            "IncludeCookies": False,
            "Bucket": f"{logging}.s3.amazonaws.com" if logging else "",
            "Prefix": spec["logging_prefix"] if logging else "",
        },
    }
    return {**(current or {}), **managed}


def _behavior_view(behavior: Mapping[str, Any]) -> dict[str, Any]:
    methods = behavior.get("AllowedMethods") or {}
    return {
        "origin": behavior.get("TargetOriginId", ""),
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy", ""),
        "cache_policy_id": behavior.get("CachePolicyId") or "",
        "compress": bool(behavior.get("Compress")),
        "allowed_methods": sorted(methods.get("Items") or []),
        "cached_methods": sorted((methods.get("CachedMethods") or {}).get("Items") or []),
    }


def managed_view(config: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a DistributionConfig that this module manages, normalised: two configs
    with the same view need no update whatever else AWS (or an emulator) adds to them."""
    certificate = config.get("ViewerCertificate") or {}
    acm = certificate.get("ACMCertificateArn") or ""
    logging = config.get("Logging") or {}
    return {
        "comment": config.get("Comment", ""),
        "enabled": bool(config.get("Enabled")),
        "default_root_object": config.get("DefaultRootObject") or "",
        "aliases": sorted((config.get("Aliases") or {}).get("Items") or []),
        "origins": sorted(
            (
                {
                    "id": o.get("Id", ""),
                    "domain_name": o.get("DomainName", ""),
                    "path": o.get("OriginPath") or "",
                    "origin_access_control": o.get("OriginAccessControlId") or "",
                    "origin_access_identity": (o.get("S3OriginConfig") or {}).get(
                        "OriginAccessIdentity"
                    )
                    or "",
                    "s3": "S3OriginConfig" in o,
                }
                for o in (config.get("Origins") or {}).get("Items") or []
            ),
            key=lambda o: str(o["id"]),
        ),
        "default_behavior": _behavior_view(config.get("DefaultCacheBehavior") or {}),
        "behaviors": [
            {"path_pattern": b.get("PathPattern", ""), **_behavior_view(b)}
            for b in (config.get("CacheBehaviors") or {}).get("Items") or []
        ],
        "price_class": config.get("PriceClass", ""),
        "http_version": config.get("HttpVersion", ""),
        "ipv6": bool(config.get("IsIPV6Enabled")),
        "certificate": (
            {
                "acm_certificate_arn": acm,
                "ssl_support_method": certificate.get("SSLSupportMethod", ""),
                "minimum_protocol_version": certificate.get("MinimumProtocolVersion", ""),
            }
            if acm
            else {"cloudfront_default_certificate": True}
        ),
        "logging": (
            {
                "bucket": logging.get("Bucket", ""),
                "prefix": logging.get("Prefix") or "",
                "include_cookies": bool(logging.get("IncludeCookies")),
            }
            if logging.get("Enabled")
            else {}
        ),
    }


def view_changes(
    current: Mapping[str, Any], wanted: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the managed fields that differ; both empty when none does."""
    keys = [k for k in wanted if current.get(k) != wanted[k]]
    return {k: current.get(k) for k in keys}, {k: wanted[k] for k in keys}


def origin_buckets(config: Mapping[str, Any]) -> dict[str, str]:
    """Bucket -> region of every S3 origin of a DistributionConfig."""
    found: dict[str, str] = {}
    for origin in (config.get("Origins") or {}).get("Items") or []:
        parsed = bucket_of(origin.get("DomainName", ""))
        if parsed:
            found[parsed[0]] = parsed[1]
    return found


# -- bucket policy ---------------------------------------------------------------------------
def statement_sid(name: str) -> str:
    return SID_PREFIX + re.sub(r"[^A-Za-z0-9]", "", name)


def read_statement(name: str, bucket: str, distribution_arn: str) -> dict[str, Any]:
    """The statement that lets one distribution (by its ARN) read every object of BUCKET."""
    return {
        "Sid": statement_sid(name),
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
    return value


def statements(policy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    found = (policy or {}).get("Statement") or []
    return [dict(s) for s in (found if isinstance(found, list) else [found])]


def statement_source(statement: Mapping[str, Any]) -> str:
    """The AWS:SourceArn a statement is conditioned on ('' when none)."""
    for operator in (statement.get("Condition") or {}).values():
        for key, value in (operator or {}).items():
            if key.lower() == "aws:sourcearn":
                return str(value[0] if isinstance(value, list) and value else value)
    return ""


def merge_statement(
    policy: Mapping[str, Any] | None, sid: str, statement: Mapping[str, Any] | None
) -> tuple[bool, dict[str, Any] | None]:
    """POLICY with the statement SID set to STATEMENT (None removes it), every other statement
    kept in place: (changed, new policy; None when no statement is left)."""
    current = statements(policy)
    others = [s for s in current if s.get("Sid") != sid]
    ours = [s for s in current if s.get("Sid") == sid]
    if statement is None:
        if not ours:
            return False, dict(policy) if policy else None
        return True, ({**dict(policy or {}), "Statement": others} if others else None)
    if len(ours) == 1 and _canonical(ours[0]) == _canonical(statement):
        return False, dict(policy or {})
    index = next((i for i, s in enumerate(current) if s.get("Sid") == sid), len(current))
    kept = [s for i, s in enumerate(current) if i < index and s.get("Sid") != sid]
    rest = [s for i, s in enumerate(current) if i >= index and s.get("Sid") != sid]
    merged = {"Version": "2012-10-17", **dict(policy or {})}
    merged["Statement"] = [*kept, dict(statement), *rest]
    return True, merged


# -- waiting ---------------------------------------------------------------------------------
def wait_until(
    done: Callable[[], bool],
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    delays: Iterable[float] = (2, 4, 8, 15),
) -> bool:
    """Poll DONE until it is true (True) or TIMEOUT seconds have passed (False). The delay
    between polls grows through DELAYS and then stays at the last one."""
    deadline = clock() + timeout
    schedule = list(delays) or [1.0]
    attempt = 0
    while True:
        if done():
            return True
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(schedule[min(attempt, len(schedule) - 1)], remaining))
        attempt += 1
