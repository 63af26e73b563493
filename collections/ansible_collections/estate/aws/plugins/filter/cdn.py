# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the CDN tier (roles/aws_cdn).

``estate.aws.cdn_errors(distributions, ctx)``: every error of the distributions' data before any
AWS call (empty: valid); CTX holds ``prefix``, ``buckets`` (the storage tier's purposes) and
``certificates`` (the load-balancing tier's certificate names).
``estate.aws.cdn_distributions(distributions, prefix, buckets, certificates, region, log_bucket)``:
the distributions as estate.aws.cloudfront_distributions takes them, with bucket names and
certificate ARNs. ``estate.aws.cdn_outputs(found, prefix)``: the tier's outputs by short name.
Only the stdlib is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SHORT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ALIAS = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


def _distribution_errors(index: int, dist: Mapping[str, Any], ctx: Mapping[str, Any]) -> list[str]:
    at = f"aws_cdn_distributions[{index}]"
    buckets = [str(b) for b in ctx.get("buckets") or []]
    certificates = [str(c) for c in ctx.get("certificates") or []]
    errors = []
    origins = [o.get("id") for o in dist.get("origins") or []]
    if not origins:
        errors.append(f"{at}.origins: give at least one {{id, bucket}}")
    if len(set(origins)) != len(origins):
        errors.append(f"{at}.origins: origin ids must be unique")
    for o_index, origin in enumerate(dist.get("origins") or []):
        if origin.get("bucket") not in buckets:
            errors.append(
                f"{at}.origins[{o_index}].bucket '{origin.get('bucket', '')}' is not a bucket of "
                f"aws_storage_buckets: defined {', '.join(buckets) or '(none)'}"
            )
    if dist.get("default_origin", origins[0] if origins else None) not in origins:
        errors.append(
            f"{at}.default_origin '{dist.get('default_origin')}' is not one of its origins"
        )
    for b_index, behavior in enumerate(dist.get("behaviors") or []):
        if behavior.get("origin") not in origins:
            errors.append(
                f"{at}.behaviors[{b_index}].origin '{behavior.get('origin')}' "
                "is not one of its origins"
            )
        if not str(behavior.get("path_pattern", "")):
            errors.append(f"{at}.behaviors[{b_index}].path_pattern is empty")
    for alias in dist.get("aliases") or []:
        if not ALIAS.match(str(alias)):
            errors.append(f"{at}.aliases: '{alias}' is not a domain name")
    if dist.get("aliases") and not dist.get("certificate"):
        errors.append(f"{at}.certificate: aliases need a certificate that covers them")
    if dist.get("certificate") and dist["certificate"] not in certificates:
        errors.append(
            f"{at}.certificate '{dist['certificate']}' is not in aws_loadbalancing_certificates: "
            f"defined {', '.join(certificates) or '(none)'}"
        )
    return errors


def cdn_errors(distributions: list[Mapping[str, Any]], ctx: Mapping[str, Any]) -> list[str]:
    """Every error of the CDN data (empty: valid)."""
    errors: list[str] = []
    names: list[str] = []
    for index, dist in enumerate(distributions or []):
        name = str(dist.get("name", ""))
        if not SHORT_NAME.match(name):
            errors.append(
                f"aws_cdn_distributions[{index}].name '{name}': "
                "lower-case letters, digits, inner hyphens"
            )
        if name in names:
            errors.append(f"aws_cdn_distributions[{index}].name '{name}' is defined twice")
        names.append(name)
        errors += _distribution_errors(index, dist, ctx)
    return errors


def cdn_distributions(
    distributions: list[Mapping[str, Any]],
    prefix: str,
    buckets: Mapping[str, Mapping[str, Any]],
    certificates: Mapping[str, str],
    region: str,
    log_bucket: str = "",
) -> list[dict[str, Any]]:
    """The distributions for estate.aws.cloudfront_distributions."""
    wanted = []
    for dist in distributions or []:
        origins = [
            {
                "id": origin["id"],
                "bucket": buckets[origin["bucket"]]["name"],
                "region": region,
                **({"path": origin["path"]} if origin.get("path") else {}),
            }
            for origin in dist["origins"]
        ]
        item: dict[str, Any] = {
            "name": f"{prefix}-{dist['name']}",
            "origins": origins,
            "default_origin": dist.get("default_origin", origins[0]["id"]),
            "behaviors": list(dist.get("behaviors") or []),
            "default_root_object": dist.get("default_root_object", "index.html"),
            "aliases": list(dist.get("aliases") or []),
            "price_class": dist.get("price_class", PRICE_CLASSES[0]),
        }
        if dist.get("certificate"):
            item["certificate_arn"] = certificates[dist["certificate"]]
        if dist.get("logging") and log_bucket:
            item["logging_bucket"] = log_bucket
        wanted.append(item)
    return wanted


def cdn_outputs(found: Mapping[str, Mapping[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """The module's distributions by short name, without their deployment status (it moves on
    its own, and the outputs must not change between two runs that change nothing)."""
    return {
        str(name).removeprefix(f"{prefix}-"): {k: v for k, v in dist.items() if k != "status"}
        for name, dist in (found or {}).items()
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "cdn_errors": cdn_errors,
            "cdn_distributions": cdn_distributions,
            "cdn_outputs": cdn_outputs,
        }
