#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_buckets
version_added: 0.2.0
short_description: Reconcile a stack's S3 buckets in one call, or tear them down by tags
description:
  - With O(state=present), creates each bucket of O(buckets) that does not exist and brings its
    tags, versioning, default encryption, public access block, object ownership, bucket policy,
    lifecycle rules, server access logging and replication to the given values. Each setting is
    read first and written only when it differs, so a converged stack reports no change.
  - Supports check mode and diff mode (M(amazon.aws.s3_bucket) and M(amazon.aws.s3_lifecycle)
    have no check mode, and the collection has no replication module; reconciling many buckets
    in one module process is also what keeps a stack's storage tier cheap).
  - With O(state=absent), finds the buckets whose tags hold every pair of O(match_tags), empties
    them (every object version and delete marker) and deletes them, log buckets last. Buckets
    tagged V(data-bearing=true) that still hold objects are refused unless
    O(allow_data_loss=true).
author:
  - aws-estates maintainers
options:
  buckets:
    description:
      - The buckets (O(state=present)), processed in order (put a logging target before the
        buckets that log to it).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Bucket name., type: str, required: true}
      region: {description: Region of the bucket., type: str, required: true}
      tags: {description: Tags (replace the bucket's tag set)., type: dict, default: {}}
      versioning:
        description: Versioning enabled (false suspends it once enabled).
        type: bool
        default: true
      kms_key_arn: {description: SSE-KMS key; empty means SSE-S3 (AES256)., type: str, default: ""}
      bucket_key: {description: S3 Bucket Key for SSE-KMS., type: bool, default: true}
      policy: {description: Bucket policy document; empty removes it., type: dict, default: {}}
      lifecycle:
        description:
          - Rules as C({id, prefix, transitions [{days, storage_class}], expiration_days,
            noncurrent_transition_days, noncurrent_storage_class, noncurrent_expiration_days,
            abort_incomplete_days}); empty removes the configuration.
        type: list
        elements: dict
        default: []
      logging:
        description: C({target_bucket, target_prefix}); empty disables access logging.
        type: dict
        default: {}
      replication:
        description:
          - C({role_arn, rules [{id, destination_bucket_arn, replica_kms_key_arn, storage_class}]});
            empty removes the configuration.
        type: dict
        default: {}
  policy_preserve_sids:
    description:
      - Regular expressions (searched in the C(Sid)) of bucket policy statements that another
        tool writes into the same policies - for instance C(^CloudFrontRead), the statements of
        M(estate.aws.cloudfront_distributions). A statement whose Sid matches and that the
        bucket's C(policy) does not define is kept as it is; every other statement is still
        replaced by C(policy).
      - Statement order is not significant (policies are compared statement by statement).
    type: list
    elements: str
    default: []
  match_tags:
    description: Tags a bucket must carry to be deleted (O(state=absent)); must not be empty.
    type: dict
    default: {}
  allow_data_loss:
    description:
      - Also empty and delete buckets tagged V(data-bearing=true) that hold objects
        (O(state=absent)).
    type: bool
    default: false
  state:
    description: Whether the buckets should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Reconcile the stack's buckets
  estate.aws.s3_buckets:
    region: eu-west-1
    buckets:
      - name: cubed-production-logs
        region: eu-west-1
        tags: {stack: cubed, managed-by: ansible-estate}
      - name: cubed-production-models
        region: eu-west-1
        kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/abc
        logging: {target_bucket: cubed-production-logs, target_prefix: models/}
        lifecycle:
          - {id: archive, transitions: [{days: 90, storage_class: GLACIER}], expiration_days: 730}

- name: Delete the stack's buckets
  estate.aws.s3_buckets:
    region: eu-west-1
    match_tags: {stack: cubed, managed-by: ansible-estate}
    allow_data_loss: true
    state: absent
"""

RETURN = r"""
buckets:
  description: Name -> {arn, region, changes (the settings written)} of every bucket handled.
  returned: always
  type: dict
"""

import json
import re
from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    owned_by,
    tag_dict,
    tag_list,
)

MISSING = (
    "NoSuchBucket",
    "404",
    "NotFound",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "ReplicationConfigurationNotFoundError",
)
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def contains(actual: Any, wanted: Any) -> bool:
    """True when ACTUAL holds everything WANTED says (extra keys the service adds are ignored;
    lists must have the same length and match item by item)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            contains(actual.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return actual == wanted or str(actual) == str(wanted)


def policy_statements(policy: dict[str, Any]) -> list[Any]:
    found = (policy or {}).get("Statement") or []
    return list(found) if isinstance(found, list) else [found]


def preserved_policy(
    current: dict[str, Any], wanted: dict[str, Any], patterns: list[re.Pattern[str]]
) -> dict[str, Any]:
    """WANTED plus the statements of CURRENT whose Sid matches one of PATTERNS and that WANTED
    does not define itself (statements another tool manages in the same policy)."""
    own = {s.get("Sid") for s in policy_statements(wanted) if isinstance(s, dict)}
    kept = [
        s
        for s in policy_statements(current)
        if isinstance(s, dict)
        and isinstance(s.get("Sid"), str)
        and s["Sid"] not in own
        and any(p.search(s["Sid"]) for p in patterns)
    ]
    if not kept:
        return wanted
    merged = dict(wanted) if wanted else {"Version": "2012-10-17"}
    merged["Statement"] = [*policy_statements(wanted), *kept]
    return merged


def same_policy(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether two policy documents are equal, whatever the order of their statements."""

    def canonical(policy: dict[str, Any]) -> tuple[str, list[str]]:
        rest = {k: v for k, v in (policy or {}).items() if k != "Statement"}
        body = sorted(json.dumps(s, sort_keys=True) for s in policy_statements(policy))
        return json.dumps(rest, sort_keys=True), body

    return canonical(current) == canonical(wanted)


def lifecycle_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The data's lifecycle rules in the S3 API's form."""
    out = []
    for rule in rules:
        api: dict[str, Any] = {
            "ID": rule["id"],
            "Filter": {"Prefix": rule.get("prefix") or ""},
            "Status": "Enabled" if rule.get("enabled", True) else "Disabled",
        }
        if rule.get("transitions"):
            api["Transitions"] = [
                {"Days": int(t["days"]), "StorageClass": t.get("storage_class", "GLACIER")}
                for t in rule["transitions"]
            ]
        if rule.get("expiration_days"):
            api["Expiration"] = {"Days": int(rule["expiration_days"])}
        if rule.get("noncurrent_transition_days"):
            api["NoncurrentVersionTransitions"] = [
                {
                    "NoncurrentDays": int(rule["noncurrent_transition_days"]),
                    "StorageClass": rule.get("noncurrent_storage_class", "GLACIER"),
                }
            ]
        if rule.get("noncurrent_expiration_days"):
            api["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["noncurrent_expiration_days"])
            }
        if rule.get("abort_incomplete_days"):
            api["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(rule["abort_incomplete_days"])
            }
        out.append(api)
    return out


def replication_config(spec: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for priority, rule in enumerate(spec["rules"], start=1):
        destination: dict[str, Any] = {"Bucket": rule["destination_bucket_arn"]}
        if rule.get("storage_class"):
            destination["StorageClass"] = rule["storage_class"]
        api: dict[str, Any] = {
            "ID": rule["id"],
            "Priority": priority,
            "Status": "Enabled",
            "Filter": {"Prefix": rule.get("prefix", "")},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": destination,
        }
        if rule.get("replica_kms_key_arn"):
            destination["EncryptionConfiguration"] = {
                "ReplicaKmsKeyID": rule["replica_kms_key_arn"]
            }
            api["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        rules.append(api)
    return {"Role": spec["role_arn"], "Rules": rules}


class Buckets:
    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.clients: dict[str, Any] = {}
        self.preserve: list[re.Pattern[str]] = []
        for pattern in module.params["policy_preserve_sids"]:
            try:
                self.preserve.append(re.compile(pattern))
            except re.error as err:
                module.fail_json(msg=f"policy_preserve_sids: {pattern!r} is not a regex ({err})")

    def s3(self, region: str) -> Any:
        if region not in self.clients:
            self.clients[region] = self.module.client(
                "s3", retry_decorator=AWSRetry.jittered_backoff(), region=region
            )
        return self.clients[region]

    def read(self, call: Any, **kwargs: Any) -> Any:
        """One read call; None when the setting (or the bucket) does not exist."""
        try:
            return call(**kwargs)
        except ClientError as err:
            if err.response["Error"]["Code"] in MISSING:
                return None
            self.module.fail_json_aws(err, msg=f"{call.__name__} {kwargs}")
        except BotoCoreError as err:
            self.module.fail_json_aws(err, msg=f"{call.__name__} {kwargs}")

    def write(self, call: Any, **kwargs: Any) -> None:
        if self.module.check_mode:
            return
        try:
            call(**kwargs)
        except (BotoCoreError, ClientError) as err:
            self.module.fail_json_aws(err, msg=f"{call.__name__} on {kwargs.get('Bucket')}")

    # ---- present -----------------------------------------------------------------------------
    def ensure(self, spec: dict[str, Any]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
        name, region = spec["name"], spec["region"]
        s3 = self.s3(region)
        changes: list[str] = []
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        exists = self.read(s3.head_bucket, Bucket=name) is not None
        if not exists:
            changes.append("created")
            create: dict[str, Any] = {"Bucket": name, "ObjectOwnership": "BucketOwnerEnforced"}
            if region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self.write(s3.create_bucket, **create)
            if self.module.check_mode:
                # Nothing to read back: every setting below will be written on the real run.
                return [*changes, "settings"], {}, {"name": name}

        def setting(key: str, current: Any, wanted: Any, apply: Any) -> None:
            if contains(current, wanted) and (wanted or not current):
                return
            before[key], after[key] = current, wanted
            changes.append(key)
            apply()

        tags = {k: str(v) for k, v in spec["tags"].items()}
        current = self.read(s3.get_bucket_tagging, Bucket=name)
        current_tags = tag_dict((current or {}).get("TagSet"))
        if current_tags != tags:
            before["tags"], after["tags"] = current_tags, spec["tags"]
            changes.append("tags")
            self.write(s3.put_bucket_tagging, Bucket=name, Tagging={"TagSet": tag_list(tags)})

        current = self.read(s3.get_bucket_ownership_controls, Bucket=name)
        wanted = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        setting(
            "ownership",
            (current or {}).get("OwnershipControls"),
            wanted,
            lambda: self.write(
                s3.put_bucket_ownership_controls, Bucket=name, OwnershipControls=wanted
            ),
        )

        current = self.read(s3.get_public_access_block, Bucket=name)
        setting(
            "public_access_block",
            (current or {}).get("PublicAccessBlockConfiguration"),
            BLOCK_ALL,
            lambda: self.write(
                s3.put_public_access_block, Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL
            ),
        )

        if spec["kms_key_arn"]:
            default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": spec["kms_key_arn"]}
            rule = {
                "ApplyServerSideEncryptionByDefault": default,
                "BucketKeyEnabled": spec["bucket_key"],
            }
        else:
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        current = self.read(s3.get_bucket_encryption, Bucket=name)
        current_rules = (current or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules")
        if not spec["kms_key_arn"] and current_rules:
            current_rules = [
                {
                    **r,
                    "ApplyServerSideEncryptionByDefault": {
                        k: v
                        for k, v in r.get("ApplyServerSideEncryptionByDefault", {}).items()
                        if k != "KMSMasterKeyID" or v
                    },
                }
                for r in current_rules
            ]
        setting(
            "encryption",
            current_rules,
            [rule],
            lambda: self.write(
                s3.put_bucket_encryption,
                Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [rule]},
            ),
        )

        current = self.read(s3.get_bucket_versioning, Bucket=name) or {}
        status = "Enabled" if spec["versioning"] else "Suspended"
        if current.get("Status", "Disabled") != status and (
            spec["versioning"] or "Status" in current
        ):
            before["versioning"], after["versioning"] = current.get("Status", "Disabled"), status
            changes.append("versioning")
            self.write(
                s3.put_bucket_versioning, Bucket=name, VersioningConfiguration={"Status": status}
            )

        current = self.read(s3.get_bucket_policy, Bucket=name)
        current_policy = json.loads(current["Policy"]) if current else {}
        wanted_policy = preserved_policy(current_policy, spec["policy"], self.preserve)
        if not same_policy(current_policy, wanted_policy):
            before["policy"], after["policy"] = current_policy, wanted_policy
            changes.append("policy")
            if wanted_policy:
                self.write(s3.put_bucket_policy, Bucket=name, Policy=json.dumps(wanted_policy))
            else:
                self.write(s3.delete_bucket_policy, Bucket=name)

        current = self.read(s3.get_bucket_lifecycle_configuration, Bucket=name)
        rules = lifecycle_rules(spec["lifecycle"])
        current_rules = (current or {}).get("Rules", [])
        if not contains(current_rules, rules):
            before["lifecycle"], after["lifecycle"] = current_rules, rules
            changes.append("lifecycle")
            if rules:
                self.write(
                    s3.put_bucket_lifecycle_configuration,
                    Bucket=name,
                    LifecycleConfiguration={"Rules": rules},
                )
            else:
                self.write(s3.delete_bucket_lifecycle, Bucket=name)

        current = (self.read(s3.get_bucket_logging, Bucket=name) or {}).get("LoggingEnabled", {})
        logging = spec["logging"]
        wanted = (
            {
                "TargetBucket": logging["target_bucket"],
                "TargetPrefix": logging.get("target_prefix", ""),
            }
            if logging
            else {}
        )
        if current != wanted:
            before["logging"], after["logging"] = current, wanted
            changes.append("logging")
            status = {"LoggingEnabled": wanted} if wanted else {}
            self.write(s3.put_bucket_logging, Bucket=name, BucketLoggingStatus=status)

        current = self.read(s3.get_bucket_replication, Bucket=name)
        current = (current or {}).get("ReplicationConfiguration", {})
        wanted = replication_config(spec["replication"]) if spec["replication"] else {}
        if not contains(current, wanted) or bool(current) != bool(wanted):
            before["replication"], after["replication"] = current, wanted
            changes.append("replication")
            if wanted:
                self.write(s3.put_bucket_replication, Bucket=name, ReplicationConfiguration=wanted)
            else:
                self.write(s3.delete_bucket_replication, Bucket=name)
        return changes, before, after

    # ---- absent ------------------------------------------------------------------------------
    def tagged(self, match: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
        """(name, region, tags) of every bucket whose tags hold MATCH."""
        s3 = self.s3(self.module.region or "us-east-1")
        try:
            names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        except (BotoCoreError, ClientError) as err:
            self.module.fail_json_aws(err, msg="listing the buckets")
        found = []
        for name in names:
            location = self.read(s3.get_bucket_location, Bucket=name)
            if location is None:
                continue
            region = location.get("LocationConstraint") or "us-east-1"
            tagging = self.read(self.s3(region).get_bucket_tagging, Bucket=name) or {}
            tags = tag_dict(tagging.get("TagSet"))
            if owned_by(tags, match):
                found.append((name, region, tags))
        return found

    def empty(self, name: str, region: str) -> bool:
        listing = self.read(self.s3(region).list_object_versions, Bucket=name, MaxKeys=1) or {}
        return not (listing.get("Versions") or listing.get("DeleteMarkers"))

    def delete(self, name: str, region: str) -> None:
        if self.module.check_mode:
            return
        s3 = self.s3(region)
        try:
            paginator = s3.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=name):
                objects = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                for start in range(0, len(objects), 1000):
                    s3.delete_objects(
                        Bucket=name,
                        Delete={"Objects": objects[start : start + 1000], "Quiet": True},
                    )
            s3.delete_bucket(Bucket=name)
        except ClientError as err:
            if err.response["Error"]["Code"] not in MISSING:
                self.module.fail_json_aws(err, msg=f"deleting bucket {name}")
        except BotoCoreError as err:
            self.module.fail_json_aws(err, msg=f"deleting bucket {name}")


def main() -> None:
    argument_spec = dict(
        buckets=dict(type="list", elements="dict", default=[]),
        policy_preserve_sids=dict(type="list", elements="str", default=[]),
        match_tags=dict(type="dict", default={}),
        allow_data_loss=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    handler = Buckets(module)
    result: dict[str, Any] = {"buckets": {}}
    changed = False
    if module.params["state"] == "present":
        befores, afters = {}, {}
        for raw in module.params["buckets"]:
            spec = {
                "tags": {},
                "versioning": True,
                "kms_key_arn": "",
                "bucket_key": True,
                "policy": {},
                "lifecycle": [],
                "logging": {},
                "replication": {},
                **{k: v for k, v in raw.items() if v is not None},
            }
            if not spec.get("name") or not spec.get("region"):
                module.fail_json(msg=f"every bucket needs a name and a region: {raw}")
            changes, before, after = handler.ensure(spec)
            changed = changed or bool(changes)
            if changes:
                befores[spec["name"]], afters[spec["name"]] = before, after
            result["buckets"][spec["name"]] = {
                "arn": f"arn:aws:s3:::{spec['name']}",
                "region": spec["region"],
                "changes": changes,
            }
        if module._diff and changed:
            result["diff"] = {"before": befores, "after": afters}
    else:
        match = module.params["match_tags"]
        if not match or not all(str(v) for v in match.values()):
            module.fail_json(
                msg="match_tags must hold non-empty tags: refusing to delete by an empty filter"
            )
        found = handler.tagged(match)
        protected = [
            n
            for n, region, tags in found
            if tags.get("data-bearing") == "true" and not handler.empty(n, region)
        ]
        if protected and not module.params["allow_data_loss"]:
            module.fail_json(
                msg=(
                    f"buckets {protected} hold data (tag data-bearing=true): set "
                    "allow_data_loss (aws_storage_destroy_data_buckets=true) to delete them"
                )
            )
        # Log buckets last: the other buckets deliver their access logs there until deleted.
        for name, region, _tags in sorted(found, key=lambda f: f[2].get("purpose") == "logs"):
            handler.delete(name, region)
            result["buckets"][name] = {
                "arn": f"arn:aws:s3:::{name}",
                "region": region,
                "changes": ["deleted"],
            }
            changed = True
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
