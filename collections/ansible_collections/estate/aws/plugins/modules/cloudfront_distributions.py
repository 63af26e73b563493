#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudfront_distributions
version_added: 0.3.0
short_description: A stack's CloudFront distributions in front of S3, with origin access control
description:
  - Puts CloudFront in front of S3 buckets the way AWS recommends now - every S3 origin is signed
    by the distribution's own origin access control (one per distribution, SigV4, always sign;
    never a legacy origin access identity) and each origin bucket's policy gets one statement
    letting C(cloudfront.amazonaws.com) read its objects only on behalf of that distribution
    (C(AWS:SourceArn)). The statement (Sid C(CloudFrontRead<name without hyphens>)) is merged
    into the bucket's existing policy, every other statement kept, and removed when the
    distribution or the origin goes.
  - The stack's distributions are found by tags (ListDistributions, then ListTagsForResource of
    each, matched on C(stack), C(managed-by) when given and C(tier), which the module adds).
    A distribution with the same Comment that is not tagged as a stack's is refused, not adopted.
    Only the fields this module manages are compared, so the defaults AWS adds never count as a
    change; updates name the ETag they read. Distributions the stack no longer lists are
    disabled (and their bucket statements removed), waited for until deployed and deleted with
    their ETag (O(purge), O(state=absent)), then their origin access controls.
  - Refusals happen before any change - a same-named distribution or origin access control that
    is not the stack's, an origin bucket that does not exist, a bucket statement with one of the
    stack's Sids that grants another live distribution.
  - Our own module because M(community.aws.cloudfront_distribution) compares every default
    field the service returns (it never converges against an emulator and reports drift AWS
    adds), has no check mode, and predates origin access control. This one supports check mode
    and diff mode; a converged stack reports no change.
author:
  - aws-estates maintainers
options:
  distributions:
    description:
      - The wanted distributions. Each has C(name) (1-64 lower-case letters, digits, inner
        hyphens; unique in the stack; the C(Name) tag and the Comment), C(origins) (a list of
        C({id, bucket, region, path}); C(path) optional, such as C(/site)), C(default_origin)
        (an origin id; required with several origins), and optionally C(behaviors) (a list of
        C({path_pattern, origin}), in precedence order), C(default_root_object) (default
        C(index.html)), C(aliases) (domain names; need C(certificate_arn)), C(certificate_arn)
        (an ACM certificate in us-east-1; without it the default C(*.cloudfront.net)
        certificate), C(minimum_protocol_version) (default C(TLSv1.2_2021), with a
        certificate), C(viewer_protocol_policy) (default C(redirect-to-https)),
        C(cache_policy_id) (default the managed CachingOptimized policy
        C(658327ea-f89d-4fab-a63d-7e88639e58f6)), C(price_class) (default C(PriceClass_100)),
        C(http_version) (default C(http2and3)), C(ipv6) (default true), C(enabled) (default
        true), C(logging_bucket) (standard logs to that bucket; off by default) and
        C(logging_prefix) (default C(cloudfront/<name>/)).
    type: list
    elements: dict
    default: []
  tags:
    description:
      - Tags of every distribution (the module adds C(tier) and C(Name)). C(stack) is
        required; the stack's distributions are found again by C(stack), C(managed-by) (when
        given) and C(tier).
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag that marks the distributions as this module's.
    type: str
    default: cdn
  purge:
    description: Delete the stack's distributions that O(distributions) does not list.
    type: bool
    default: true
  wait:
    description:
      - Wait until every created or updated distribution is C(Deployed).
      - Deleting always waits (a distribution must be disabled and deployed to be deleted).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for one distribution to be C(Deployed) before failing.
    type: int
    default: 1800
  state:
    description: C(present) reconciles; C(absent) deletes every distribution of the stack.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Standard logging (C(logging_bucket)) needs a bucket with ACLs enabled on AWS.
"""

EXAMPLES = r"""
- name: The mobile stack's web front
  estate.aws.cloudfront_distributions:
    tags: {stack: mobile, env: production, managed-by: ansible-estate}
    distributions:
      - name: web
        origins:
          - {id: site, bucket: mobile-production-site, region: eu-west-1}
          - {id: media, bucket: mobile-production-media, region: eu-west-1, path: /public}
        default_origin: site
        behaviors:
          - {path_pattern: /media/*, origin: media}
        aliases: [www.example.org]
        certificate_arn: "{{ web_certificate_arn }}"

- name: Remove every distribution of the stack
  estate.aws.cloudfront_distributions:
    tags: {stack: mobile, managed-by: ansible-estate}
    state: absent
"""

RETURN = r"""
distributions:
  description:
    - Per wanted distribution (by name) - C(id), C(arn), C(domain_name), C(hosted_zone_id)
      (C(Z2FDTNDATAQYW2), the alias target zone of every distribution), C(oac_id) and C(status)
      (C(InProgress) or C(Deployed)). Under check mode, a distribution still to be created has
      empty values.
  returned: always
  type: dict
changes:
  description:
    - What was (or under check mode would be) changed, by kind - C(distributions_created),
      C(distributions_updated), C(distributions_deleted), C(origin_access_controls_created),
      C(origin_access_controls_updated), C(origin_access_controls_deleted),
      C(bucket_policies_updated); kinds without changes are left out.
  returned: always
  type: dict
"""

import json
import time
from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.cloudfront import (
    HOSTED_ZONE_ID,
    distribution_config,
    distribution_errors,
    managed_view,
    merge_statement,
    oac_config,
    oac_differences,
    oac_name,
    oac_owner,
    origin_buckets,
    read_statement,
    statement_sid,
    statement_source,
    statements,
    view_changes,
    wait_until,
    with_defaults,
)
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_purge,
    tags_before,
)
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from botocore.exceptions import BotoCoreError, ClientError

NEW = "(new)"


class Distributions(Reconciler):
    """One reconciliation: read, refuse what must not be touched, plan, apply."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "cdn",
        distributions={"type": "list", "elements": "dict", "default": []},
        wait={"type": "bool", "default": False},
        wait_timeout={"type": "int", "default": 1800},
    )
    WHAT = "distributions"
    INVALID = "Invalid distributions"
    JOBS = 8

    @classmethod
    def unusable(cls, params: dict[str, Any]) -> str | None:
        if params["tier"]:
            return None
        return "tier must not be empty: the stack's distributions are found by it"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        params = module.params
        return distribution_errors(params["distributions"], str(params["tags"]["stack"]))

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.cloudfront = self.client("cloudfront", region="us-east-1")
        self.s3_clients: dict[str, Any] = {}
        self.stack = self.params["tags"]["stack"]
        self.wanted = (
            [] if self.absent else [with_defaults(d) for d in self.params["distributions"]]
        )
        self.changes: dict[str, list[str]] = {
            k: []
            for k in (
                "distributions_created",
                "distributions_updated",
                "distributions_deleted",
                "origin_access_controls_created",
                "origin_access_controls_updated",
                "origin_access_controls_deleted",
                "bucket_policies_updated",
            )
        }

    # -- helpers -----------------------------------------------------------------------------
    def call(self, what: str, func: Any, **kwargs: Any) -> Any:
        try:
            return func(**kwargs)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Unable to {what}")

    def s3(self, region: str) -> Any:
        if region not in self.s3_clients:
            self.s3_clients[region] = self.client("s3", region=region)
        return self.s3_clients[region]

    def wanted_tags(self, name: str) -> dict[str, str]:
        return {**self.tags, "Name": name}

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        summaries: list[dict[str, Any]] = []
        try:
            for page in self.cloudfront.get_paginator("list_distributions").paginate():
                summaries.extend(page["DistributionList"].get("Items") or [])
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the distributions")
        self.all_arns = {s["ARN"] for s in summaries}

        def tags_of(arn: str) -> dict[str, str]:
            items = self.cloudfront.list_tags_for_resource(Resource=arn)["Tags"]
            return {t["Key"]: t.get("Value", "") for t in items.get("Items") or []}

        arns = [s["ARN"] for s in summaries]
        all_tags = self.parallel("read the tags of", tags_of, arns)
        self.owned: dict[str, dict[str, Any]] = {}
        self.unowned: list[tuple[dict[str, Any], dict[str, str]]] = []
        for summary, tags in zip(summaries, all_tags, strict=True):
            if owned_by(tags, self.owner):
                name = tags.get("Name") or summary.get("Comment", "")
                if name in self.owned:
                    self.refuse(
                        f"Two distributions of the stack are named {name}:"
                        f" {self.owned[name]['Id']} and {summary['Id']}. Delete one by hand."
                    )
                self.owned[name] = {**summary, "Tags": tags}
            else:
                self.unowned.append((summary, tags))
        for name, summary in self.owned.items():
            response = self.call(
                f"read the distribution {name}",
                self.cloudfront.get_distribution_config,
                Id=summary["Id"],
            )
            summary["Config"], summary["ETag"] = response["DistributionConfig"], response["ETag"]
        self.oacs: dict[str, dict[str, Any]] = {}
        try:
            for page in self.cloudfront.get_paginator("list_origin_access_controls").paginate():
                for item in page["OriginAccessControlList"].get("Items") or []:
                    self.oacs[item["Name"]] = item
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Unable to list the origin access controls")

    def refuse_foreign(self) -> None:
        """Fail (before any change) on resources in the way that are not the stack's."""
        for spec in self.wanted:
            name = spec["name"]
            if name not in self.owned:
                for summary, tags in self.unowned:
                    if summary.get("Comment") == name and tags.get("stack") in (None, self.stack):
                        self.refuse(
                            f"The distribution {summary['Id']} ({summary['DomainName']}) has"
                            f" the Comment {name} but is not tagged as this stack's"
                            f" ({self.owner}): tag it to adopt it, delete it, or rename"
                            " the distribution. Nothing was changed."
                        )
            oac = self.oacs.get(oac_name(self.stack, name))
            if oac and oac_owner(oac.get("Description")) != (self.stack, name):
                self.refuse(
                    f"The origin access control {oac['Name']} ({oac['Id']}) exists but was not"
                    f" made by this module for {name} of stack {self.stack} (its description is"
                    f" {oac.get('Description')!r}): delete or rename it. Nothing was changed."
                )

    def read_policies(self, buckets: dict[str, str], required: set[str]) -> None:
        """The policy of every bucket involved (None when it has none)."""
        self.policies: dict[str, dict[str, Any] | None] = {}
        self.missing_buckets: set[str] = set()
        for bucket, region in sorted(buckets.items()):
            try:
                text = self.s3(region).get_bucket_policy(Bucket=bucket)["Policy"]
                self.policies[bucket] = json.loads(text)
            except is_boto3_error_code("NoSuchBucketPolicy"):
                self.policies[bucket] = None
            except is_boto3_error_code("NoSuchBucket"):
                if bucket in required:
                    users = sorted(
                        s["name"]
                        for s in self.wanted
                        if bucket in {o["bucket"] for o in s["origins"]}
                    )
                    self.refuse(
                        f"The origin bucket {bucket} ({region}) of {', '.join(users)} does"
                        " not exist: create it first (the storage tier). Nothing was changed."
                    )
                self.missing_buckets.add(bucket)
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to read the policy of {bucket}")

    # -- plan --------------------------------------------------------------------------------
    def plan(self) -> None:
        wanted_names = {s["name"] for s in self.wanted}
        self.doomed = sorted(set(self.owned) - wanted_names) if self.purge else []
        # Origin access controls: one per wanted distribution; the stack's others go.
        self.oac_creates: list[str] = []
        self.oac_updates: list[tuple[str, dict[str, str]]] = []
        for spec in self.wanted:
            wanted = oac_config(self.stack, spec["name"])
            current = self.oacs.get(wanted["Name"])
            if current is None:
                self.oac_creates.append(spec["name"])
                self.after[f"origin access control {wanted['Name']}"] = wanted
            elif differences := oac_differences(current, wanted):
                self.oac_updates.append((spec["name"], differences))
                self.before[f"origin access control {wanted['Name']}"] = {
                    k: current.get(k) for k in differences
                }
                self.after[f"origin access control {wanted['Name']}"] = differences
        self.oac_deletes = sorted(
            oac["Name"]
            for oac in self.oacs.values()
            if (owner := oac_owner(oac.get("Description")))
            and owner[0] == self.stack
            and owner[1] not in wanted_names
            and (self.purge or owner[1] not in self.owned)
        )
        for name in self.oac_deletes:
            self.before[f"origin access control {name}"] = "present"
            self.after[f"origin access control {name}"] = "deleted"
        # Distributions.
        self.creates: list[dict[str, Any]] = []
        self.updates: list[tuple[dict[str, Any], dict[str, str], list[str]]] = []
        for spec in self.wanted:
            name = spec["name"]
            oac = self.oacs.get(oac_name(self.stack, name))
            oac_id = oac["Id"] if oac else NEW
            if name not in self.owned:
                self.creates.append(spec)
                self.after[f"distribution {name}"] = managed_view(
                    distribution_config(spec, oac_id, NEW)
                )
                continue
            current = self.owned[name]
            config = distribution_config(
                spec, oac_id, current["Config"]["CallerReference"], current["Config"]
            )
            before, after = view_changes(managed_view(current["Config"]), managed_view(config))
            to_set, to_remove = tag_purge(current["Tags"], self.wanted_tags(name))
            if to_set or to_remove:
                before["tags"] = tags_before(current["Tags"], [*to_set, *to_remove], None)
                after["tags"] = {**to_set, **{k: None for k in to_remove}}
            if after:
                self.updates.append((spec, to_set, to_remove))
                self.before[f"distribution {name}"] = before
                self.after[f"distribution {name}"] = after
        for name in self.doomed:
            self.before[f"distribution {name}"] = {"id": self.owned[name]["Id"], "state": "present"}
            self.after[f"distribution {name}"] = "deleted"
        self.changes["distributions_created"] = [s["name"] for s in self.creates]
        self.changes["distributions_updated"] = [u[0]["name"] for u in self.updates]
        self.changes["distributions_deleted"] = list(self.doomed)
        self.changes["origin_access_controls_created"] = [
            oac_name(self.stack, n) for n in self.oac_creates
        ]
        self.changes["origin_access_controls_updated"] = [
            oac_name(self.stack, n) for n, _ in self.oac_updates
        ]
        self.changes["origin_access_controls_deleted"] = self.oac_deletes

    def statement_plan(self, arns: dict[str, str]) -> dict[str, dict[str, dict[str, Any] | None]]:
        """Bucket -> {Sid: wanted statement, or None to remove it}."""
        plan: dict[str, dict[str, dict[str, Any] | None]] = {}
        for spec in self.wanted:
            name = spec["name"]
            buckets = {o["bucket"] for o in spec["origins"]}
            for bucket in sorted(buckets):
                plan.setdefault(bucket, {})[statement_sid(name)] = read_statement(
                    name, bucket, arns[name]
                )
            if name in self.owned:
                for bucket in set(origin_buckets(self.owned[name]["Config"])) - buckets:
                    plan.setdefault(bucket, {})[statement_sid(name)] = None
        for name in self.doomed:
            for bucket in origin_buckets(self.owned[name]["Config"]):
                plan.setdefault(bucket, {})[statement_sid(name)] = None
        return plan

    def involved_buckets(self) -> tuple[dict[str, str], set[str]]:
        buckets: dict[str, str] = {}
        required: set[str] = set()
        for name in [*self.doomed, *(s["name"] for s in self.wanted if s["name"] in self.owned)]:
            buckets.update(origin_buckets(self.owned[name]["Config"]))
        for spec in self.wanted:
            for origin in spec["origins"]:
                buckets[origin["bucket"]] = origin["region"]
                required.add(origin["bucket"])
        return buckets, required

    def policy_changes(self, arns: dict[str, str]) -> dict[str, dict[str, Any] | None]:
        """Bucket -> its new policy (None: delete it), for the buckets whose policy changes.
        A statement with one of our Sids that grants another live distribution is refused."""
        ours = {s["ARN"] for s in self.owned.values()} | set(arns.values())
        result: dict[str, dict[str, Any] | None] = {}
        for bucket, sids in sorted(self.statement_plan(arns).items()):
            if bucket in self.missing_buckets:
                continue
            policy = self.policies.get(bucket)
            changed_any = False
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for sid, statement in sorted(sids.items()):
                existing = [s for s in statements(policy) if s.get("Sid") == sid]
                sources = {statement_source(s) for s in existing}
                foreign = {a for a in sources if a in self.all_arns and a not in ours}
                if foreign and statement is not None:
                    self.refuse(
                        f"The policy of bucket {bucket} has a statement {sid} for another"
                        f" distribution ({', '.join(sorted(foreign))}): rename this distribution"
                        " or remove that statement. Nothing was changed."
                    )
                if foreign:
                    continue
                changed, policy = merge_statement(policy, sid, statement)
                if changed:
                    changed_any = True
                    before[sid] = existing[0] if existing else None
                    after[sid] = statement
            if changed_any:
                result[bucket] = policy
                self.before[f"bucket {bucket} policy"] = before
                self.after[f"bucket {bucket} policy"] = after
        self.changes["bucket_policies_updated"] = sorted(result)
        return result

    # -- apply -------------------------------------------------------------------------------
    def apply_oacs(self) -> None:
        for name in self.oac_creates:
            response = self.call(
                f"create the origin access control of {name}",
                self.cloudfront.create_origin_access_control,
                OriginAccessControlConfig=oac_config(self.stack, name),
            )
            created = response["OriginAccessControl"]
            self.oacs[created["OriginAccessControlConfig"]["Name"]] = {
                "Id": created["Id"],
                **created["OriginAccessControlConfig"],
            }
        for name, _ in self.oac_updates:
            oac = self.oacs[oac_name(self.stack, name)]
            etag = self.call(
                f"read the origin access control of {name}",
                self.cloudfront.get_origin_access_control,
                Id=oac["Id"],
            )["ETag"]
            self.call(
                f"update the origin access control of {name}",
                self.cloudfront.update_origin_access_control,
                Id=oac["Id"],
                IfMatch=etag,
                OriginAccessControlConfig=oac_config(self.stack, name),
            )

    def apply_distributions(self) -> dict[str, dict[str, Any]]:
        """Create and update the wanted distributions; name -> its Distribution."""
        done: dict[str, dict[str, Any]] = {}
        for spec in self.creates:
            name = spec["name"]
            oac_id = self.oacs[oac_name(self.stack, name)]["Id"]
            reference = f"{self.stack}-{name}-{time.time_ns()}"
            tags = [{"Key": k, "Value": v} for k, v in sorted(self.wanted_tags(name).items())]
            response = self.call(
                f"create the distribution {name}",
                self.cloudfront.create_distribution_with_tags,
                DistributionConfigWithTags={
                    "DistributionConfig": distribution_config(spec, oac_id, reference),
                    "Tags": {"Items": tags},
                },
            )
            done[name] = response["Distribution"]
        for spec, to_set, to_remove in self.updates:
            name = spec["name"]
            current = self.owned[name]
            oac_id = self.oacs[oac_name(self.stack, name)]["Id"]
            config = distribution_config(
                spec, oac_id, current["Config"]["CallerReference"], current["Config"]
            )
            if managed_view(config) != managed_view(current["Config"]):
                response = self.call(
                    f"update the distribution {name}",
                    self.cloudfront.update_distribution,
                    Id=current["Id"],
                    IfMatch=current["ETag"],
                    DistributionConfig=config,
                )
                done[name] = response["Distribution"]
            if to_set:
                self.call(
                    f"tag the distribution {name}",
                    self.cloudfront.tag_resource,
                    Resource=current["ARN"],
                    Tags={"Items": [{"Key": k, "Value": v} for k, v in sorted(to_set.items())]},
                )
            if to_remove:
                self.call(
                    f"untag the distribution {name}",
                    self.cloudfront.untag_resource,
                    Resource=current["ARN"],
                    TagKeys={"Items": to_remove},
                )
        return done

    def disable_doomed(self) -> None:
        for name in self.doomed:
            current = self.owned[name]
            if not current["Config"].get("Enabled"):
                continue
            response = self.call(
                f"disable the distribution {name}",
                self.cloudfront.update_distribution,
                Id=current["Id"],
                IfMatch=current["ETag"],
                DistributionConfig={**current["Config"], "Enabled": False},
            )
            current["ETag"] = response["ETag"]

    def deployed(self, name: str, distribution_id: str) -> dict[str, Any]:
        """Wait until the distribution is Deployed; its GetDistribution response."""
        latest: dict[str, Any] = {}

        def done() -> bool:
            latest.update(
                self.call(
                    f"read the distribution {name}",
                    self.cloudfront.get_distribution,
                    Id=distribution_id,
                )
            )
            return bool(latest["Distribution"]["Status"] == "Deployed")

        timeout = self.params["wait_timeout"]
        if not wait_until(done, timeout):
            self.refuse(
                f"The distribution {name} ({distribution_id}) was not Deployed after"
                f" {timeout} s (wait_timeout): re-run to finish"
            )
        return latest

    def delete_doomed(self) -> None:
        for name in self.doomed:
            current = self.owned[name]
            latest = self.deployed(name, current["Id"])
            try:
                self.cloudfront.delete_distribution(Id=current["Id"], IfMatch=latest["ETag"])
            except is_boto3_error_code("NoSuchDistribution"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to delete the distribution {name}")
        for name in self.oac_deletes:
            oac = self.oacs[name]
            try:
                etag = self.cloudfront.get_origin_access_control(Id=oac["Id"])["ETag"]
                self.cloudfront.delete_origin_access_control(Id=oac["Id"], IfMatch=etag)
            except is_boto3_error_code("NoSuchOriginAccessControl"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(
                    e, msg=f"Unable to delete the origin access control {name}"
                )

    def write_policies(
        self, policies: dict[str, dict[str, Any] | None], regions: dict[str, str]
    ) -> None:
        for bucket, policy in sorted(policies.items()):
            s3 = self.s3(regions[bucket])
            if policy is None:
                self.call(f"delete the policy of {bucket}", s3.delete_bucket_policy, Bucket=bucket)
            else:
                self.call(
                    f"update the policy of {bucket}",
                    s3.put_bucket_policy,
                    Bucket=bucket,
                    Policy=json.dumps(policy),
                )

    # -- whole run ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.read()
        self.refuse_foreign()
        self.plan()
        regions, required = self.involved_buckets()
        self.read_policies(regions, required)
        arns = {name: d["ARN"] for name, d in self.owned.items()}
        arns.update({s["name"]: f"{NEW} distribution {s['name']}" for s in self.creates})
        policies = self.policy_changes(arns)
        changed = any(self.changes.values())
        outputs: dict[str, dict[str, Any]] = {}
        if self.module.check_mode:
            for spec in self.wanted:
                current = self.owned.get(spec["name"])
                oac = self.oacs.get(oac_name(self.stack, spec["name"]))
                outputs[spec["name"]] = self.output(current, oac["Id"] if oac else "")
        else:
            self.apply_oacs()
            done = self.apply_distributions()
            self.disable_doomed()
            arns.update({name: d["ARN"] for name, d in done.items()})
            policies = self.policy_changes(arns)
            self.write_policies(policies, regions)
            self.delete_doomed()
            for spec in self.wanted:
                name = spec["name"]
                distribution = done.get(name) or self.owned[name]
                if self.params["wait"] and name in done:
                    distribution = self.deployed(name, distribution["Id"])["Distribution"]
                oac_id = self.oacs[oac_name(self.stack, name)]["Id"]
                outputs[name] = self.output(distribution, oac_id)
        return self.result(changed, self.changes, distributions=outputs)

    @staticmethod
    def output(distribution: dict[str, Any] | None, oac_id: str) -> dict[str, Any]:
        distribution = distribution or {}
        return {
            "id": distribution.get("Id", ""),
            "arn": distribution.get("ARN", ""),
            "domain_name": distribution.get("DomainName", ""),
            "hosted_zone_id": HOSTED_ZONE_ID,
            "oac_id": oac_id,
            "status": distribution.get("Status", ""),
        }


def main() -> None:
    Distributions.main()


if __name__ == "__main__":
    main()
