"""Backups (playbooks/backup.yml) and disaster recovery (playbooks/failover.yml) read back from
the emulator, on a stack a lifecycle test has provisioned:

- check_backups: AMIs, EBS and RDS snapshots of every running instance, attached volume and
  database exist, tagged and encrypted; --check takes nothing; a second run in the same window
  takes nothing; retention prunes only this repo's old backups (a stranger's snapshot stays).
- check_failover: the stack's regional tiers redeployed in its standby region, the Route53
  failover pair pointed at it, a second failover changes nothing, failback points back.
- drop_backups: what check_backups took, and the teardown's final DB snapshots, removed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Emulator
from support.playbook import PlaybookRun, run_playbook
from support.stack import stack_vars

LABEL_TAG = "estate-backup:label"


def ok(run: PlaybookRun, what: str) -> PlaybookRun:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-6000:]}"
    return run


def db_snapshot_ids(emulator: Emulator, region: str) -> set[str]:
    snaps = emulator.client("rds", region).describe_db_snapshots()["DBSnapshots"]
    return {s["DBSnapshotIdentifier"] for s in snaps}


def drop_backups(emulator: Emulator, stack: str, region: str, before: set[str]) -> None:
    """The backups this repo took of STACK (backup.yml, state absent), and the DB snapshots not in
    BEFORE (the teardown's final ones, which destroy.yml keeps): the test made them, the test
    removes them."""
    ok(run_playbook("backup.yml", stack, "-e", "aws_backup_state=absent"), "drop backups")
    drop_new_db_snapshots(emulator, region, before)


def drop_new_db_snapshots(emulator: Emulator, region: str, before: set[str]) -> None:
    """The DB snapshots in REGION not in BEFORE (a teardown's final ones, which destroy.yml
    keeps): the test made them, the test removes them."""
    rds = emulator.client("rds", region)
    for ident in db_snapshot_ids(emulator, region) - before:
        rds.delete_db_snapshot(DBSnapshotIdentifier=ident)


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


def backup_sources(emulator: Emulator, region: str, stack: str) -> dict[str, set[str]]:
    """What backup.yml must back up: running instances, their volumes, the stack's databases."""
    ec2, rds = emulator.client("ec2", region), emulator.client("rds", region)
    running = [
        {"Name": "tag:stack", "Values": [stack]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
    instances = {
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=running)["Reservations"]
        for i in r["Instances"]
    }
    volumes = {
        v["VolumeId"]
        for v in ec2.describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": sorted(instances)}]
        )["Volumes"]
    }
    databases = {
        d["DBInstanceIdentifier"]
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith(f"{stack}-")
    }
    assert instances and volumes and databases, (instances, volumes, databases)
    return {"ami": instances, "snapshot": volumes, "db-snapshot": databases}


def check_backups(emulator: Emulator, stack: str) -> None:
    """backup.yml on the provisioned STACK: --check takes nothing; a run takes one tagged backup of
    each source, encrypted, and prunes this repo's 40-day-old one, not a stranger's; a second run
    with the same label takes nothing."""
    data = stack_vars(stack, ("stack_region", "stack_tags"))
    region, stack_tags = data["stack_region"], data["stack_tags"]
    ec2 = emulator.client("ec2", region)
    sources = backup_sources(emulator, region, stack)

    volume = sorted(sources["snapshot"])[0]
    stranger = ec2.create_snapshot(VolumeId=volume, Description="someone else's")["SnapshotId"]
    old_stamp = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old_tags = {
        **stack_tags,
        LABEL_TAG: "old",
        "estate-backup:created": old_stamp,
        "estate-backup:kind": "snapshot",
        "estate-backup:source": volume,
    }
    old = ec2.create_snapshot(
        VolumeId=volume,
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": [{"Key": k, "Value": v} for k, v in old_tags.items()],
            }
        ],
    )["SnapshotId"]
    try:
        check = ok(backup(stack, "-e", "aws_backup_label=t1", "--check"), "backup --check")
        assert check.changed > 0
        assert backups(emulator, region, stack)["ami"] == {}, "--check took an AMI"

        ok(backup(stack, "-e", "aws_backup_label=t1"), "backup")
        found = backups(emulator, region, stack)
        taken = {k: {tags(b)["estate-backup:source"] for b in v.values()} for k, v in found.items()}
        assert taken == sources
        for kind, items in found.items():
            for ident, item in items.items():
                carried = tags(item)
                assert stack_tags.items() <= carried.items(), f"{kind} {ident}: {carried}"
                assert carried[LABEL_TAG] == "t1", f"{kind} {ident}: {carried}"
        assert all(s["Encrypted"] for s in found["snapshot"].values())
        assert all(s["Encrypted"] for s in found["db-snapshot"].values())
        assert old not in found["snapshot"], "the 40-day-old backup was not pruned"
        assert ec2.describe_snapshots(SnapshotIds=[stranger])["Snapshots"], "stranger deleted"

        again = ok(backup(stack, "-e", "aws_backup_label=t1"), "second backup")
        assert again.changed == 0, again.changed_tasks()
        assert {k: set(v) for k, v in backups(emulator, region, stack).items()} == {
            k: set(v) for k, v in found.items()
        }
    finally:
        ec2.delete_snapshot(SnapshotId=stranger)


def check_failover(emulator: Emulator, stack: str, *args: str) -> None:
    """failover.yml on the provisioned STACK (ARGS: its outputs dir): the standby region gets the
    stack's VPC and its load balancers, the failover pair's SECONDARY points at the standby's and
    Route53 answers with it; a second failover changes nothing; failback answers the PRIMARY.
    The standby's resources are left for the teardown (destroy_standby)."""
    data = stack_vars(stack, ("stack_standby_region", "aws_dns_records"))
    standby = data["stack_standby_region"]
    [record] = [r for r in data["aws_dns_records"] if r.get("failover") == "PRIMARY"]
    zone = record["zone"]
    name = f"{record['name']}.{zone}."

    ok(run_playbook("failover.yml", stack, *args), "failover")
    elb = emulator.client("elbv2", standby)
    standby_dns = [lb["DNSName"] for lb in elb.describe_load_balancers()["LoadBalancers"]]
    vpcs = emulator.client("ec2", standby).describe_vpcs(
        Filters=[{"Name": "tag:stack", "Values": [stack]}]
    )["Vpcs"]
    assert len(vpcs) == 1, vpcs
    pair = failover_pair(emulator, f"{zone}.", name)
    assert pair["SECONDARY"]["ResourceRecords"][0]["Value"] in standby_dns, (pair, standby_dns)
    assert answer(emulator, pair) == pair["SECONDARY"]["ResourceRecords"][0]["Value"]

    again = ok(run_playbook("failover.yml", stack, *args), "second failover")
    assert again.changed == 0, again.changed_tasks()

    back = ("-e", "aws_backup_failover_direction=failback")
    ok(run_playbook("failover.yml", stack, *args, *back), "failback")
    pair = failover_pair(emulator, f"{zone}.", name)
    assert answer(emulator, pair) == pair["PRIMARY"]["ResourceRecords"][0]["Value"]


def destroy_standby(stack: str, *args: str) -> PlaybookRun:
    """The teardown of what failover.yml built in STACK's standby region (destroy_standby.yml)."""
    return run_playbook("destroy_standby.yml", stack, *args)


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
