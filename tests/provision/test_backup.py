"""Backups (playbooks/backup.yml) and disaster recovery (playbooks/failover.yml) against the
emulator: AMIs, EBS and RDS snapshots exist, tagged and encrypted; a second run in the same window
takes nothing; retention prunes only this repo's old backups; failover redeploys the mobile stack's
regional tiers in its standby region and points the Route53 failover pair at it; teardown leaves
nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import PlaybookRun, run_playbook
from support.stack import stack_vars

# Beyond make test's CI budget: `make test-long` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.long]

STACK = "mydigitalstructure"
# The tiers that hold instances, volumes, databases and load balancers (and what they need).
TIERS = "aws_kms,aws_network,aws_identity,aws_database,aws_compute,aws_loadbalancing"
LABEL_TAG = "estate-backup:label"
VARS = ("stack_name", "stack_region", "stack_tags", "stack_standby_region", "aws_dns_records")


def ok(run: PlaybookRun, what: str) -> PlaybookRun:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-6000:]}"
    return run


def destroy(stack: str, outputs: Path, *args: str) -> PlaybookRun:
    return run_playbook(
        "destroy.yml",
        stack,
        "-e",
        f"stack_outputs_dir={outputs}",
        "-e",
        "aws_database_destroy_confirmed=true",
        "-e",
        "aws_storage_destroy_data_buckets=true",
        *args,
    )


def drop_final_snapshots(emulator: Emulator, region: str, before: set[str]) -> None:
    """The teardown's final DB snapshots (destroy.yml keeps one per database): the test made
    them, the test removes them."""
    rds = emulator.client("rds", region)
    for snap in rds.describe_db_snapshots()["DBSnapshots"]:
        ident = snap["DBSnapshotIdentifier"]
        if ident not in before:
            rds.delete_db_snapshot(DBSnapshotIdentifier=ident)


def db_snapshot_ids(emulator: Emulator, region: str) -> set[str]:
    snaps = emulator.client("rds", region).describe_db_snapshots()["DBSnapshots"]
    return {s["DBSnapshotIdentifier"] for s in snaps}


@pytest.fixture(scope="session")
def backed_stack(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """mydigitalstructure's instances, volumes, database and load balancers, provisioned once;
    backups and all of it removed at the end."""
    data = stack_vars(STACK, VARS)
    outputs = tmp_path_factory.mktemp("backup") / STACK
    region = data["stack_region"]
    before = db_snapshot_ids(emulator, region)
    run = run_playbook(
        "provision.yml", STACK, "--tags", TIERS, "-e", f"stack_outputs_dir={outputs}"
    )
    try:
        ok(run, f"{STACK}: provision")
        yield {**data, "outputs": outputs}
    finally:
        ok(run_playbook("backup.yml", STACK, "-e", "aws_backup_state=absent"), "drop backups")
        ok(destroy(STACK, outputs), f"{STACK}: destroy")
        drop_final_snapshots(emulator, region, before)


def backups(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{kind: {id: resource}} of the backups carrying the stack's tag and a backup label."""
    ec2, rds = emulator.client("ec2", region), emulator.client("rds", region)
    filters = [
        {"Name": "tag:stack", "Values": [stack]},
        {"Name": "tag-key", "Values": [LABEL_TAG]},
    ]
    found: dict[str, dict[str, dict[str, Any]]] = {"ami": {}, "snapshot": {}, "db-snapshot": {}}
    for image in ec2.describe_images(Owners=["self"], Filters=filters)["Images"]:
        found["ami"][image["ImageId"]] = image
    for snap in ec2.describe_snapshots(OwnerIds=["self"], Filters=filters)["Snapshots"]:
        if {"Key": "estate-backup:kind", "Value": "snapshot"} in snap.get("Tags", []):
            found["snapshot"][snap["SnapshotId"]] = snap
    for snap in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
        tags = {t["Key"]: t["Value"] for t in snap.get("TagList", [])}
        if tags.get("stack") == stack and LABEL_TAG in tags:
            found["db-snapshot"][snap["DBSnapshotIdentifier"]] = snap
    return found


def tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagList", []))}


def backup(stack: str, *args: str) -> PlaybookRun:
    return run_playbook("backup.yml", stack, *args)


def test_backup_takes_tagged_encrypted_backups_once_and_prunes(
    emulator: Emulator, backed_stack: dict[str, Any]
) -> None:
    region, stack_tags = backed_stack["stack_region"], backed_stack["stack_tags"]
    ec2, rds = emulator.client("ec2", region), emulator.client("rds", region)
    instances = [
        i["InstanceId"]
        for r in ec2.describe_instances(
            Filters=[
                {"Name": "tag:stack", "Values": [STACK]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for i in r["Instances"]
    ]
    volumes = {
        v["VolumeId"]
        for v in ec2.describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": instances}]
        )["Volumes"]
    }
    databases = [
        d["DBInstanceIdentifier"]
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith(f"{STACK}-")
    ]
    assert instances and volumes and databases

    # An unrelated snapshot (not this repo's) and an old backup of this repo (by tag).
    volume = sorted(volumes)[0]
    stranger = ec2.create_snapshot(VolumeId=volume, Description="someone else's")["SnapshotId"]
    old_stamp = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = ec2.create_snapshot(
        VolumeId=volume,
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": [
                    *({"Key": k, "Value": v} for k, v in stack_tags.items()),
                    {"Key": LABEL_TAG, "Value": "old"},
                    {"Key": "estate-backup:created", "Value": old_stamp},
                    {"Key": "estate-backup:kind", "Value": "snapshot"},
                    {"Key": "estate-backup:source", "Value": volume},
                ],
            }
        ],
    )["SnapshotId"]
    try:
        check = ok(backup(STACK, "-e", "aws_backup_label=t1", "--check"), "backup --check")
        assert check.changed > 0
        assert set(backups(emulator, region, STACK)["ami"]) == set(), "--check took an AMI"

        ok(backup(STACK, "-e", "aws_backup_label=t1"), "backup")
        found = backups(emulator, region, STACK)
        sources = {
            k: {tags(b)["estate-backup:source"] for b in v.values()} for k, v in found.items()
        }
        assert sources["ami"] == set(instances)
        assert sources["snapshot"] == volumes
        assert sources["db-snapshot"] == set(databases)
        for kind, items in found.items():
            for ident, item in items.items():
                carried = tags(item)
                assert stack_tags.items() <= carried.items(), f"{kind} {ident}: {carried}"
                if kind != "ami":
                    assert carried[LABEL_TAG] == "t1" or ident == old
        assert all(s["Encrypted"] for s in found["snapshot"].values())
        assert all(s["Encrypted"] for s in found["db-snapshot"].values())
        assert old not in found["snapshot"], "the 40-day-old backup was not pruned"
        assert ec2.describe_snapshots(SnapshotIds=[stranger])["Snapshots"], "stranger deleted"

        again = ok(backup(STACK, "-e", "aws_backup_label=t1"), "second backup")
        assert again.changed == 0, again.changed_tasks()
        assert backups(emulator, region, STACK).keys() == found.keys()
        assert {k: set(v) for k, v in backups(emulator, region, STACK).items()} == {
            k: set(v) for k, v in found.items()
        }
    finally:
        ec2.delete_snapshot(SnapshotId=stranger)


def test_failover_redeploys_in_standby_and_flips_dns(emulator: Emulator, tmp_path: Path) -> None:
    """Mobile: its regional tiers and the api failover pair, failover to the standby region,
    failback, then both regions torn down."""
    stack = "mobile"
    data = stack_vars(stack, VARS)
    primary, standby = data["stack_region"], data["stack_standby_region"]
    records = [r for r in data["aws_dns_records"] if r.get("failover")]
    extra = tmp_path / "dns.json"
    extra.write_text(json.dumps({"aws_dns_records": records}))
    outputs = tmp_path / stack
    common = ("-e", f"stack_outputs_dir={outputs}", "-e", f"@{extra}")
    tiers = "aws_kms,aws_network,aws_loadbalancing,aws_dns"
    before = {r: db_snapshot_ids(emulator, r) for r in (primary, standby)}
    try:
        ok(run_playbook("provision.yml", stack, "--tags", tiers, *common), "mobile: provision")
        ok(run_playbook("failover.yml", stack, *common), "failover")

        elb = emulator.client("elbv2", standby)
        standby_albs = {
            lb["LoadBalancerName"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]
        }
        assert "mobile-api" in standby_albs, standby_albs
        vpcs = emulator.client("ec2", standby).describe_vpcs(
            Filters=[{"Name": "tag:stack", "Values": [stack]}]
        )["Vpcs"]
        assert len(vpcs) == 1
        pair = failover_pair(emulator, "mobile-startup.example.", "api.mobile-startup.example.")
        standby_dns = standby_albs["mobile-api"]["DNSName"]
        assert pair["SECONDARY"]["ResourceRecords"] == [{"Value": standby_dns}]
        assert answer(emulator, pair) == standby_dns

        again = ok(run_playbook("failover.yml", stack, *common), "second failover")
        assert again.changed == 0, again.changed_tasks()

        ok(
            run_playbook(
                "failover.yml", stack, *common, "-e", "aws_backup_failover_direction=failback"
            ),
            "failback",
        )
        pair = failover_pair(emulator, "mobile-startup.example.", "api.mobile-startup.example.")
        assert answer(emulator, pair) == pair["PRIMARY"]["ResourceRecords"][0]["Value"]
    finally:
        # Both regions are torn down even when one teardown fails; then the failures are raised.
        standby_only = json.dumps({"stack_region": standby, "aws_kms_replica_regions": []})
        runs = [
            (destroy(stack, outputs, "-e", standby_only), "destroy standby"),
            (destroy(stack, outputs), "destroy primary"),
        ]
        for region in (primary, standby):
            drop_final_snapshots(emulator, region, before[region])
        for run, what in runs:
            ok(run, what)


def failover_pair(emulator: Emulator, zone: str, name: str) -> dict[str, dict[str, Any]]:
    route53 = emulator.client("route53")
    zone_id = next(
        z["Id"]
        for z in route53.list_hosted_zones()["HostedZones"]
        if z["Name"] == zone and not z["Config"]["PrivateZone"]
    )
    sets = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {s["Failover"]: s for s in sets if s["Name"] == name and s.get("Failover")}


def answer(emulator: Emulator, pair: dict[str, dict[str, Any]]) -> str:
    """What Route53 answers for a failover pair: the PRIMARY while its health check passes (the
    emulator reports every check healthy, so an inverted one fails), else the SECONDARY."""
    route53 = emulator.client("route53")
    check = route53.get_health_check(HealthCheckId=pair["PRIMARY"]["HealthCheckId"])
    healthy = not check["HealthCheck"]["HealthCheckConfig"].get("Inverted", False)
    chosen = pair["PRIMARY"] if healthy else pair["SECONDARY"]
    value: str = chosen["ResourceRecords"][0]["Value"]
    return value
