"""Every tier of every stack against the emulator: create, read back (checks_<tier>.py), no-change
run, a plan of the converged stack (`make plan`: check mode with diff, no change), scaling,
refused and real teardown, nothing left; and, on the same provisioned stacks, what is asked
of a run when things go wrong, and of operations:

- mobile: its lifecycle, with a failover to its standby region and back (checks_backup).
- mydigitalstructure and akb share a region and run side by side, to prove that one stack's runs
  and teardown never touch the other. mydigitalstructure is provisioned through five cut-off runs
  first (checks_interrupt: nothing duplicated, nothing orphaned); before its teardown it is
  backed up and drawn (checks_backup, checks_diagram) and its instance groups are scaled; after
  both teardowns the region's census is the one from before. akb shows the plan naming drift
  (checks_plan), then is torn down and provisioned again through a fault-injecting proxy
  (checks_faults), which must give the resources of its first, clean run.

Cubed's lifecycle runs in the lab test (test_lab.py), which provisions it anyway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checks_backup import (
    check_backups,
    check_failover,
    db_snapshot_ids,
    destroy_standby,
    drop_backups,
    drop_new_db_snapshots,
)
from checks_compute import (
    check_compute,
    compute_data,
    group_instances,
    stack_instances,
)
from checks_database import check_database
from checks_diagram import check_diagram
from checks_dns import check_dns
from checks_faults import check_provision_under_faults, inventory
from checks_identity import check_identity
from checks_interrupt import assert_no_duplicate_nor_orphan, provision_interrupted
from checks_kms import check_kms
from checks_loadbalancing import check_loadbalancing
from checks_network import check_network
from checks_outputs import check_outputs
from checks_plan import check_plan_clean, check_plan_names_drift
from checks_security import assert_secrets_hidden, check_security
from checks_serverless import check_serverless
from checks_storage import check_storage
from checks_tenants import check_tenants
from conftest import Emulator
from stack_resources import assert_gone, stack_resources
from support.aws_state import census, census_added, stack_inventory
from support.playbook import PlaybookRun, run_playbook
from support.stack import stack_vars

pytestmark = pytest.mark.slow

# What a teardown in these tests may delete: deletion-protected databases and data-bearing buckets.
TEARDOWN = (
    "-e",
    "aws_database_destroy_confirmed=true",
    "-e",
    "aws_storage_destroy_data_buckets=true",
)


def outputs(stack: str, tmp_path: Path) -> tuple[str, str]:
    return ("-e", f"stack_outputs_dir={tmp_path / stack}")


def provision(stack: str, tmp_path: Path, *args: str) -> PlaybookRun:
    return run_playbook("provision.yml", stack, *outputs(stack, tmp_path), *args)


def destroy(stack: str, tmp_path: Path, *args: str, confirmed: bool = True) -> PlaybookRun:
    """Destroy the stack. CONFIRMED lets the teardown delete deletion-protected databases; the
    stacks' buckets are data-bearing: the tests allow their teardown unless ARGS say otherwise."""
    return run_playbook(
        "destroy.yml",
        stack,
        *outputs(stack, tmp_path),
        "-e",
        f"aws_database_destroy_confirmed={str(confirmed).lower()}",
        *(args or ("-e", "aws_storage_destroy_data_buckets=true")),
    )


def assert_ok(run: PlaybookRun, what: str) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-6000:]}"


def assert_unchanged(run: PlaybookRun, what: str) -> None:
    assert_ok(run, what)
    assert run.changed == 0, f"{what} changed {run.changed}: {run.changed_tasks()}"


def provision_compute_only(stack: str, tmp_path: Path, overrides: dict[str, Any]) -> PlaybookRun:
    """A run of the compute tier alone (--tags aws_compute) with data OVERRIDES: the network, key
    and instance profile IDs it needs come from the outputs.json of the previous full run."""
    outputs = json.loads((tmp_path / stack / "outputs.json").read_text())
    extra = {
        "aws_compute_subnet_ids": outputs["network"]["subnet_ids"],
        "aws_compute_security_group_ids": outputs["network"]["security_group_ids"],
        "aws_compute_kms_key_arn": outputs["kms"]["key_arn"],
        "aws_compute_instance_profile_names": outputs["identity"]["instance_profile_names"],
        **overrides,
    }
    varsfile = tmp_path / f"{stack}-scale.json"
    varsfile.write_text(json.dumps(extra))
    return provision(stack, tmp_path, "--tags", "aws_compute", "-e", f"@{varsfile}")


def check_instance_scaling(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """Counts changed in the data leave exactly that many instances: the wanted ones are kept
    (same IDs), the surplus (highest numbers, removed groups) goes, nothing is duplicated."""
    data = compute_data(stack)
    region = data["stack_region"]
    groups = data["aws_compute_groups"]
    grow, drop = groups[-1]["name"], groups[0]["name"]
    before = group_instances(stack_instances(emulator, region, stack))

    def counts(changes: dict[str, int]) -> list[dict[str, Any]]:
        return [{**g, "count": changes.get(g["name"], g["count"])} for g in groups]

    scaled = counts({grow: 3, drop: 0})
    assert_ok(provision_compute_only(stack, tmp_path, {"aws_compute_groups": scaled}), "scale")
    check_compute(emulator, stack, {**data, "aws_compute_groups": scaled})
    after = group_instances(stack_instances(emulator, region, stack))
    first = f"{data['aws_compute_name']}-{grow}-1"
    assert after[grow][first] == before[grow][first], "a wanted instance was replaced"
    assert drop not in after
    for name in set(before) - {grow, drop}:
        assert after[name] == before[name], f"{name} was touched by another group's scaling"

    back = counts({grow: 1, drop: 0})
    again = provision_compute_only(stack, tmp_path, {"aws_compute_groups": back})
    assert_ok(again, "scale back")
    check_compute(emulator, stack, {**data, "aws_compute_groups": back})
    assert group_instances(stack_instances(emulator, region, stack))[grow] == {
        first: before[grow][first]
    }, "scaling down removed the wrong instances"
    assert_unchanged(
        provision_compute_only(stack, tmp_path, {"aws_compute_groups": back}), "scaled re-run"
    )


def check_asg_scaling(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """An Auto Scaling group resized in the data gets exactly that size and that many instances."""
    data = compute_data(stack)
    asgs = [
        {**a, "max_size": a["max_size"] + 1, "desired_capacity": 2}
        for a in data["aws_compute_asgs"]
    ]
    assert_ok(provision_compute_only(stack, tmp_path, {"aws_compute_asgs": asgs}), "ASG resize")
    check_compute(emulator, stack, {**data, "aws_compute_asgs": asgs})


def assert_data_buckets_kept(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    """A data-bearing bucket that holds an object stops a destroy without the safety flag,
    before anything is deleted."""
    data = stack_vars(stack, ("stack_region", "stack_bucket_prefix", "aws_storage_buckets"))
    bucket = next(b for b in data["aws_storage_buckets"] if b.get("data_bearing", True))
    name = f"{data['stack_bucket_prefix']}-{bucket['name']}"
    s3 = emulator.client("s3", data["stack_region"])
    s3.put_object(Bucket=name, Key="keep-me.txt", Body=b"data")
    before = stack_resources(emulator, stack)
    run = destroy(stack, tmp_path, "-e", "aws_storage_destroy_data_buckets=false")
    assert run.rc != 0 and "aws_storage_destroy_data_buckets" in run.output, run.output[-3000:]
    assert s3.get_object(Bucket=name, Key="keep-me.txt")["Body"].read() == b"data"
    assert stack_resources(emulator, stack) == before


@pytest.mark.cost(520)
@pytest.mark.parametrize("stack", ["mobile"])
def test_stack_lifecycle(emulator: Emulator, stack: str, tmp_path: Path) -> None:
    regions = stack_vars(stack, ("stack_region", "stack_standby_region"))
    snapshots = {region: db_snapshot_ids(emulator, region) for region in regions.values()}
    assert_ok(first := provision(stack, tmp_path), f"{stack}: first run")
    assert first.changed > 0
    check_kms(emulator, stack)
    check_network(emulator, stack)
    check_identity(emulator, stack)
    check_storage(emulator, stack)
    check_database(emulator, stack)
    check_compute(emulator, stack)
    check_loadbalancing(emulator, stack)
    check_dns(emulator, stack)
    check_tenants(emulator, stack)
    check_serverless(emulator, stack)
    check_security(emulator, stack)
    assert (tmp_path / stack / "outputs.json").is_file()
    check_outputs(tmp_path / stack)

    assert_unchanged(second := provision(stack, tmp_path), f"{stack}: second run")
    assert_secrets_hidden(emulator, stack, first, second)
    check_plan_clean(stack, tmp_path, *outputs(stack, tmp_path))
    if compute_data(stack)["aws_compute_groups"]:
        check_instance_scaling(emulator, stack, tmp_path)

    # Disaster recovery: failover to the standby region and back, then the standby torn down.
    standby = regions["stack_standby_region"]
    primary = stack_resources(emulator, stack)
    check_failover(emulator, stack, *outputs(stack, tmp_path))
    assert_ok(destroy_standby(stack, *outputs(stack, tmp_path), *TEARDOWN), "destroy standby")
    assert stack_resources(emulator, stack) == primary, "the standby's teardown touched the primary"

    assert_data_buckets_kept(emulator, stack, tmp_path)
    assert_ok(destroy(stack, tmp_path), f"{stack}: destroy")
    assert_gone(emulator, stack)
    assert not (tmp_path / stack / "outputs.json").exists()
    assert_unchanged(destroy(stack, tmp_path), f"{stack}: second destroy")
    # After both teardowns: the standby's inventory holds the global kinds (IAM) too.
    left = {kind: ids for kind, ids in stack_inventory(emulator, standby, stack).items() if ids}
    assert not left, f"the standby region still holds {left}"
    for region, before in snapshots.items():
        drop_new_db_snapshots(emulator, region, before)


@pytest.mark.cost(900)
def test_two_stacks_side_by_side(emulator: Emulator, tmp_path: Path) -> None:
    """mydigitalstructure and akb share a region: neither's runs nor teardown touch the other."""
    region = stack_vars("akb")["stack_region"]
    assert stack_vars("mydigitalstructure")["stack_region"] == region
    census_before = census(emulator, [region])
    snapshots_before = db_snapshot_ids(emulator, region)

    # mydigitalstructure: five runs cut off further and further in, then a complete run.
    provision_interrupted(emulator, "mydigitalstructure", tmp_path / "mydigitalstructure")
    runs = {"mydigitalstructure": [provision("mydigitalstructure", tmp_path)]}
    assert_ok(runs["mydigitalstructure"][0], "mydigitalstructure: complete run after the cuts")
    added = census_added(census(emulator, [region]), census_before)
    print("after the complete run:", {k: len(v) for k, v in added.items()})
    assert_no_duplicate_nor_orphan(added)
    mds_before = stack_resources(emulator, "mydigitalstructure")

    runs["akb"] = [provision("akb", tmp_path)]
    assert_ok(runs["akb"][0], "akb: first run")
    akb_clean = inventory(emulator, "akb")
    check_network(emulator, "mydigitalstructure")
    check_network(emulator, "akb")
    check_kms(emulator, "akb")
    for stack in ("mydigitalstructure", "akb"):
        check_database(emulator, stack)
        check_compute(emulator, stack)
        check_identity(emulator, stack)
        check_storage(emulator, stack)
        check_loadbalancing(emulator, stack)
        check_dns(emulator, stack)
        check_tenants(emulator, stack)
        check_serverless(emulator, stack)
        check_security(emulator, stack)

    for stack in ("akb", "mydigitalstructure"):
        runs[stack].append(provision(stack, tmp_path))
        assert_unchanged(runs[stack][-1], f"{stack}: second run")
        check_plan_clean(stack, tmp_path, *outputs(stack, tmp_path))
        assert_secrets_hidden(emulator, stack, *runs[stack])
    check_plan_names_drift(emulator, tmp_path, *outputs("akb", tmp_path))

    akb_before = stack_resources(emulator, "akb")
    refused = destroy("akb", tmp_path, confirmed=False)
    assert refused.rc != 0 and "aws_database_destroy_confirmed=true" in refused.output, (
        "akb: destroy deleted a deletion-protected database without confirmation"
    )
    assert stack_resources(emulator, "akb") == akb_before, "a refused teardown deleted something"
    check_asg_scaling(emulator, "akb", tmp_path)

    assert_ok(destroy("akb", tmp_path), "akb: destroy")
    assert_gone(emulator, "akb")
    # akb again, through the fault proxy: the resources of its first run, then a last teardown.
    check_provision_under_faults(emulator, "akb", akb_clean, *outputs("akb", tmp_path))
    assert_ok(destroy("akb", tmp_path), "akb: destroy after the faulted run")
    assert_gone(emulator, "akb")
    assert stack_resources(emulator, "mydigitalstructure") == mds_before

    check_network(emulator, "mydigitalstructure")
    check_identity(emulator, "mydigitalstructure")
    check_storage(emulator, "mydigitalstructure")

    check_backups(emulator, "mydigitalstructure")
    # The diagram terminates the one instance no load balancer targets behind the repo's back:
    # the admin host, whose group the scaling then removes (and the teardown copes with).
    groups = group_instances(stack_instances(emulator, region, "mydigitalstructure"))
    victim = check_diagram(emulator, "mydigitalstructure", tmp_path)
    dropped = compute_data("mydigitalstructure")["aws_compute_groups"][0]["name"]
    assert victim in groups[dropped].values(), (victim, groups)
    check_instance_scaling(emulator, "mydigitalstructure", tmp_path)
    assert_ok(destroy("mydigitalstructure", tmp_path), "mydigitalstructure: destroy")
    assert_gone(emulator, "mydigitalstructure")
    drop_backups(emulator, "mydigitalstructure", region, snapshots_before)
    left = census_added(census(emulator, [region]), census_before)
    assert not left, f"left behind in {region} after both teardowns: {left}"
