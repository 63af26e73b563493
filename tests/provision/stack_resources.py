"""Every live resource of a stack, across the tiers, found by its tags (or, for IAM, its path):
what the lifecycle tests require gone after a teardown and what benchmarks/provision counts.
KMS keys are not listed: a teardown schedules their deletion (checks_kms.stack_keys)."""

from __future__ import annotations

from checks_compute import compute_left
from checks_database import database_leftovers, expected_final_snapshots, final_snapshots
from checks_dns import dns_leftovers
from checks_identity import identity_left
from checks_kms import stack_keys
from checks_loadbalancing import loadbalancing_leftovers
from checks_serverless import serverless_left
from checks_storage import storage_left
from checks_tenants import tenants_left
from conftest import Emulator
from support.aws_state import stack_inventory
from support.stack import stack_vars


def stack_resources(emulator: Emulator, stack: str) -> dict[str, set[str]]:
    """{kind: {id}} of the stack's live resources (kinds with none are left out)."""
    region = stack_vars(stack)["stack_region"]
    parts = (
        stack_inventory(emulator, region, stack),
        identity_left(emulator, stack),
        storage_left(emulator, stack),
        database_leftovers(emulator, region, stack),
        compute_left(emulator, region, stack),
        loadbalancing_leftovers(emulator, region, stack),
        dns_leftovers(emulator, stack),
        tenants_left(emulator, region, stack),
        serverless_left(emulator, region, stack),
    )
    found: dict[str, set[str]] = {}
    for part in parts:
        for kind, ids in part.items():
            if ids:
                found.setdefault(kind, set()).update(ids)
    return found


def assert_gone(emulator: Emulator, stack: str) -> None:
    """Nothing of STACK is left, each destroyed database kept its final snapshot and each of its
    keys is scheduled for deletion."""
    left = stack_resources(emulator, stack)
    assert not left, f"destroy left {stack}'s resources behind: {left}"
    assert final_snapshots(emulator, stack) == expected_final_snapshots(stack), (
        f"{stack}: a destroyed database has no final snapshot"
    )
    states = {region: key["KeyState"] for region, key in stack_keys(emulator, stack).items()}
    assert set(states.values()) <= {"PendingDeletion"}, f"{stack}'s keys not scheduled: {states}"
