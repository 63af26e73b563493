#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stack_backups
version_added: 0.4.0
short_description: AMIs, EBS snapshots and manual RDS snapshots of a stack, with retention
description:
  - Finds the stack's EC2 instances, EBS volumes (tagged, or attached to its instances) and RDS
    DB instances by its tags, and takes one backup of each per O(label) (an AMI without reboot,
    an EBS snapshot, a manual DB snapshot), tagged with the stack's tags plus
    C(estate-backup:label), C(estate-backup:created), C(estate-backup:kind) and
    C(estate-backup:source). A backup of the same label and source is never taken twice.
  - Snapshots of encrypted volumes and databases stay encrypted; a snapshot of an unencrypted
    volume is copied encrypted with O(kms_key) and the plain one deleted.
  - Prunes the stack's backups (only those carrying the stack's tags and C(estate-backup:label))
    older than O(retention_days) or beyond the newest O(keep_last) per source. Nothing else is
    ever deleted.
author:
  - aws-estates maintainers
options:
  tags:
    description: The stack's tags; C(stack) is required.
    type: dict
    required: true
  label:
    description: Backup window (e.g. the day); letters, digits, hyphens.
    type: str
    required: true
  retention_days:
    description: Backups older than this many days are deleted (0 keeps them by age).
    type: int
    default: 0
  keep_last:
    description: Backups kept per source, newest first (0 keeps them by count).
    type: int
    default: 0
  kms_key:
    description: Key that encrypts copies of snapshots of unencrypted volumes.
    type: str
  no_reboot:
    description: Take AMIs without rebooting the instances.
    type: bool
    default: true
  kinds:
    description: What to back up.
    type: list
    elements: str
    default: [ami, snapshot, db-snapshot]
  state:
    description: C(present) backs up and prunes; C(absent) deletes every backup of the stack.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
"""

EXAMPLES = r"""
- name: Back up the stack
  estate.aws.stack_backups:
    tags: {stack: demo, env: lab, managed-by: ansible-estate}
    label: "2026-01-01"
    retention_days: 14
"""

RETURN = r"""
created:
  description: Backups taken (or that would be), as C({kind, id, source}).
  type: list
  returned: always
pruned:
  description: Backups deleted (or that would be), as C({kind, id, source}).
  type: list
  returned: always
backups:
  description: The stack's backups after the run.
  type: list
  returned: always
"""

from datetime import UTC, datetime
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.estate.aws.plugins.module_utils.backups import (
    STAMP,
    TAG,
    backups_to_prune,
    parse_stamp,
    safe_label,
)
from ansible_collections.estate.aws.plugins.module_utils.bulk import client_config
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    require_stack,
    tag_dict,
    tag_list,
)


class StackBackups:
    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.p = module.params
        self.stack_tags: dict[str, str] = {k: str(v) for k, v in self.p["tags"].items()}
        config = client_config()
        self.ec2 = module.client("ec2", config=config)
        self.rds = module.client("rds", config=config)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.created: list[dict[str, str]] = []
        self.pruned: list[dict[str, str]] = []

    # -- reading ---------------------------------------------------------------------------
    def _filters(self) -> list[dict[str, Any]]:
        return [{"Name": f"tag:{k}", "Values": [v]} for k, v in self.stack_tags.items()]

    def _mine(self, tags: dict[str, str]) -> bool:
        return self.stack_tags.items() <= tags.items()

    def instances(self) -> list[dict[str, Any]]:
        states = {"Name": "instance-state-name", "Values": ["running", "stopped"]}
        pages = self.ec2.get_paginator("describe_instances").paginate(
            Filters=[*self._filters(), states]
        )
        return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]

    def volumes(self, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = {}
        pages = self.ec2.get_paginator("describe_volumes").paginate(Filters=self._filters())
        for page in pages:
            found.update({v["VolumeId"]: v for v in page["Volumes"]})
        ids = [i["InstanceId"] for i in instances]
        if ids:
            attached = {"Name": "attachment.instance-id", "Values": ids}
            for page in self.ec2.get_paginator("describe_volumes").paginate(Filters=[attached]):
                found.update({v["VolumeId"]: v for v in page["Volumes"]})
        return sorted(found.values(), key=lambda v: v["VolumeId"])

    def databases(self) -> list[dict[str, Any]]:
        found = []
        for page in self.rds.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                tags = tag_dict(db.get("TagList"))
                if not tags:
                    arn = db["DBInstanceArn"]
                    tags = tag_dict(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"])
                if self._mine(tags):
                    found.append(db)
        return found

    def _record(self, kind: str, ident: str, tags: dict[str, str], **extra: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "id": ident,
            "source": tags.get(TAG + "source", ""),
            "label": tags[TAG + "label"],
            "created": parse_stamp(tags[TAG + "created"]),
            **extra,
        }

    def backups(self) -> list[dict[str, Any]]:
        """The stack's backups: only what carries its tags and a backup label."""
        labelled = {"Name": "tag-key", "Values": [TAG + "label"]}
        found = []
        for image in self.ec2.describe_images(
            Owners=["self"], Filters=[*self._filters(), labelled]
        )["Images"]:
            snaps = [
                m["Ebs"]["SnapshotId"]
                for m in image.get("BlockDeviceMappings", [])
                if m.get("Ebs", {}).get("SnapshotId")
            ]
            found.append(
                self._record("ami", image["ImageId"], tag_dict(image.get("Tags")), snapshots=snaps)
            )
        pages = self.ec2.get_paginator("describe_snapshots").paginate(
            OwnerIds=["self"], Filters=[*self._filters(), labelled]
        )
        for page in pages:
            for snap in page["Snapshots"]:
                tags = tag_dict(snap.get("Tags"))
                if tags.get(TAG + "kind") == "snapshot":
                    found.append(
                        self._record(
                            "snapshot", snap["SnapshotId"], tags, encrypted=snap["Encrypted"]
                        )
                    )
        for page in self.rds.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
            for snap in page["DBSnapshots"]:
                tags = tag_dict(snap.get("TagList"))
                if not tags:
                    arn = snap["DBSnapshotArn"]
                    tags = tag_dict(self.rds.list_tags_for_resource(ResourceName=arn)["TagList"])
                if self._mine(tags) and TAG + "label" in tags and TAG + "created" in tags:
                    found.append(
                        self._record(
                            "db-snapshot",
                            snap["DBSnapshotIdentifier"],
                            tags,
                            encrypted=snap.get("Encrypted", False),
                        )
                    )
        return found

    # -- writing ---------------------------------------------------------------------------
    def _tags(self, kind: str, source: str) -> dict[str, str]:
        return {
            **self.stack_tags,
            TAG + "label": self.p["label"],
            TAG + "created": self.now.strftime(STAMP),
            TAG + "kind": kind,
            TAG + "source": source,
            TAG + "retention-days": str(self.p["retention_days"]),
        }

    def _name_of(self, thing: dict[str, Any], default: str) -> str:
        return tag_dict(thing.get("Tags")).get("Name", default)

    def take_ami(self, instance: dict[str, Any]) -> None:
        iid = instance["InstanceId"]
        name = f"{self._name_of(instance, iid)}-{safe_label(self.p['label'])}"
        self.created.append({"kind": "ami", "id": name, "source": iid})
        if self.module.check_mode:
            return
        tags = tag_list({**self._tags("ami", iid), "Name": name})
        self.ec2.create_image(
            InstanceId=iid,
            Name=name,
            Description=f"Backup {self.p['label']} of {iid}",
            NoReboot=self.p["no_reboot"],
            TagSpecifications=[{"ResourceType": "image", "Tags": tags}],
        )

    def take_snapshot(self, volume: dict[str, Any]) -> None:
        vid = volume["VolumeId"]
        self.created.append({"kind": "snapshot", "id": vid, "source": vid})
        if self.module.check_mode:
            return
        tags = tag_list({**self._tags("snapshot", vid), "Name": f"{vid}-{self.p['label']}"})
        description = f"Backup {self.p['label']} of {vid}"
        if volume.get("Encrypted"):
            self.ec2.create_snapshot(
                VolumeId=vid,
                Description=description,
                TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}],
            )
            return
        if not self.p["kms_key"]:
            self.module.fail_json(msg=f"{vid} is not encrypted and no kms_key encrypts its copy")
        plain = self.ec2.create_snapshot(VolumeId=vid, Description=description + " (plain)")
        sid = plain["SnapshotId"]
        self.ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid])
        self.ec2.copy_snapshot(
            SourceSnapshotId=sid,
            SourceRegion=self.module.region,
            Encrypted=True,
            KmsKeyId=self.p["kms_key"],
            Description=description,
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}],
        )
        self.ec2.delete_snapshot(SnapshotId=sid)

    def take_db_snapshot(self, db: dict[str, Any]) -> None:
        dbid = db["DBInstanceIdentifier"]
        ident = f"{dbid}-backup-{safe_label(self.p['label'])}"
        self.created.append({"kind": "db-snapshot", "id": ident, "source": dbid})
        if self.module.check_mode:
            return
        tags = tag_list(self._tags("db-snapshot", dbid))
        if db.get("StorageEncrypted") or not self.p["kms_key"]:
            self.rds.create_db_snapshot(
                DBSnapshotIdentifier=ident, DBInstanceIdentifier=dbid, Tags=tags
            )
            return
        plain = ident + "-plain"
        self.rds.create_db_snapshot(DBSnapshotIdentifier=plain, DBInstanceIdentifier=dbid)
        self.rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=plain)
        self.rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=plain,
            TargetDBSnapshotIdentifier=ident,
            KmsKeyId=self.p["kms_key"],
            Tags=tags,
        )
        self.rds.delete_db_snapshot(DBSnapshotIdentifier=plain)

    def delete(self, backup: dict[str, Any]) -> None:
        self.pruned.append({k: backup[k] for k in ("kind", "id", "source")})
        if self.module.check_mode:
            return
        if backup["kind"] == "ami":
            self.ec2.deregister_image(ImageId=backup["id"])
            for sid in backup.get("snapshots", []):
                self.ec2.delete_snapshot(SnapshotId=sid)
        elif backup["kind"] == "snapshot":
            self.ec2.delete_snapshot(SnapshotId=backup["id"])
        else:
            self.rds.delete_db_snapshot(DBSnapshotIdentifier=backup["id"])

    def run(self) -> dict[str, Any]:
        existing = self.backups()
        if self.p["state"] == "absent":
            for backup in existing:
                self.delete(backup)
        else:
            label, kinds = self.p["label"], set(self.p["kinds"])
            have = {(b["kind"], b["source"]) for b in existing if b["label"] == label}
            instances = self.instances() if {"ami", "snapshot"} & kinds else []
            if "ami" in kinds:
                for instance in instances:
                    if ("ami", instance["InstanceId"]) not in have:
                        self.take_ami(instance)
            if "snapshot" in kinds:
                for volume in self.volumes(instances):
                    if ("snapshot", volume["VolumeId"]) not in have:
                        self.take_snapshot(volume)
            if "db-snapshot" in kinds:
                for db in self.databases():
                    if ("db-snapshot", db["DBInstanceIdentifier"]) not in have:
                        self.take_db_snapshot(db)
            doomed = backups_to_prune(
                existing, self.now, self.p["retention_days"], self.p["keep_last"], label
            )
            for backup in doomed:
                self.delete(backup)
        after = existing if self.module.check_mode else self.backups()
        return {
            "changed": bool(self.created or self.pruned),
            "created": self.created,
            "pruned": self.pruned,
            "backups": [
                {
                    **{k: v for k, v in b.items() if k != "created"},
                    "created": b["created"].strftime(STAMP),
                }
                for b in after
            ],
        }


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "tags": {"type": "dict", "required": True},
            "label": {"type": "str", "required": True},
            "retention_days": {"type": "int", "default": 0},
            "keep_last": {"type": "int", "default": 0},
            "kms_key": {"type": "str"},
            "no_reboot": {"type": "bool", "default": True},
            "kinds": {
                "type": "list",
                "elements": "str",
                "default": ["ami", "snapshot", "db-snapshot"],
            },
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    require_stack(module, "resources")
    if not safe_label(module.params["label"]):
        module.fail_json(msg="label must hold letters or digits")
    bad = set(module.params["kinds"]) - {"ami", "snapshot", "db-snapshot"}
    if bad:
        module.fail_json(msg=f"Unknown kinds {sorted(bad)}: use ami, snapshot, db-snapshot")
    try:
        result = StackBackups(module).run()
    except Exception as error:  # botocore errors: one message naming the call
        if type(error).__name__ in ("ClientError", "BotoCoreError", "WaiterError"):
            module.fail_json_aws(error, msg="Unable to back up the stack")
        raise
    module.exit_json(**result)


if __name__ == "__main__":
    main()
