"""Disaster recovery (playbooks/failover.yml) against the emulator, on mobile (the stack with a
standby region): its regional tiers and the api failover pair provisioned, failover to the
standby region and back (checks_backup.check_failover), then both regions torn down and nothing
of the stack left in the standby region."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checks_backup import (
    check_failover,
    db_snapshot_ids,
    destroy_standby,
    drop_new_db_snapshots,
    ok,
)
from conftest import Emulator
from support.aws_state import stack_inventory
from support.playbook import run_playbook
from support.stack import stack_vars

# Beyond make test's CI budget: `make test-long` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.long]

STACK = "mobile"
TIERS = "aws_kms,aws_network,aws_loadbalancing,aws_dns"


def test_failover_redeploys_in_standby_and_flips_dns(emulator: Emulator, tmp_path: Path) -> None:
    data = stack_vars(STACK, ("stack_region", "stack_standby_region", "aws_dns_records"))
    primary, standby = data["stack_region"], data["stack_standby_region"]
    # Only the failover pair: the other records point at tiers this test does not provision.
    extra = tmp_path / "dns.json"
    records = [r for r in data["aws_dns_records"] if r.get("failover")]
    extra.write_text(json.dumps({"aws_dns_records": records}))
    common = ("-e", f"stack_outputs_dir={tmp_path / STACK}", "-e", f"@{extra}")
    before = {region: db_snapshot_ids(emulator, region) for region in (primary, standby)}
    teardown = (
        "-e",
        "aws_database_destroy_confirmed=true",
        "-e",
        "aws_storage_destroy_data_buckets=true",
    )
    try:
        ok(run_playbook("provision.yml", STACK, "--tags", TIERS, *common), "mobile: provision")
        check_failover(emulator, STACK, *common)
    finally:
        # Both regions are torn down even when one teardown fails; then the failures are raised.
        runs = [
            (destroy_standby(STACK, *common, *teardown), "destroy standby"),
            (run_playbook("destroy.yml", STACK, *common, *teardown), "destroy primary"),
        ]
        for region in (primary, standby):
            drop_new_db_snapshots(emulator, region, before[region])
        for run, what in runs:
            ok(run, what)
    left = {kind: ids for kind, ids in stack_inventory(emulator, standby, STACK).items() if ids}
    assert not left, f"the standby region still holds {left}"
