"""Backups (playbooks/backup.yml) and the live diagram (tools/diagram/diagram.py) on
mydigitalstructure's instances, volumes, database and load balancers: checks_backup.check_backups
and checks_diagram.check_diagram, then a teardown that leaves nothing of the stack and the
backups and final DB snapshot removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from checks_backup import check_backups, db_snapshot_ids, drop_backups, ok
from checks_diagram import check_diagram
from conftest import Emulator
from stack_resources import stack_resources
from support.playbook import run_playbook
from support.stack import stack_vars

# Beyond make test's CI budget: `make test-long` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.long]

STACK = "mydigitalstructure"
# The tiers that hold instances, volumes, databases and load balancers (and what they need).
TIERS = "aws_kms,aws_network,aws_identity,aws_database,aws_compute,aws_loadbalancing"


def test_backups_and_diagram_of_a_provisioned_stack(emulator: Emulator, tmp_path: Path) -> None:
    region = stack_vars(STACK)["stack_region"]
    outputs = ("-e", f"stack_outputs_dir={tmp_path / STACK}")
    before = db_snapshot_ids(emulator, region)
    try:
        ok(run_playbook("provision.yml", STACK, "--tags", TIERS, *outputs), "provision")
        check_backups(emulator, STACK)
        # Last: it terminates an instance behind the repo's back, which the teardown copes with.
        check_diagram(emulator, STACK, tmp_path)
    finally:
        gone = run_playbook(
            "destroy.yml",
            STACK,
            *outputs,
            "-e",
            "aws_database_destroy_confirmed=true",
            "-e",
            "aws_storage_destroy_data_buckets=true",
        )
        drop_backups(emulator, STACK, region, before)
    ok(gone, "destroy")
    assert not stack_resources(emulator, STACK)
