"""A stack provisioned while AWS misbehaves: a fault proxy (tests/support/faultproxy.py) in front
of the emulator answers 10% of the requests with throttling (ThrottlingException, Throttling,
RequestLimitExceeded, SlowDown, each in its protocol's shape), HTTP 500 or HTTP 503, instead of
forwarding them. The run must succeed and converge to exactly the resources of a clean run
(compared by names, tags, CIDRs and references, never generated IDs, and by the count of every
kind), a clean re-run must change nothing, and the teardown must leave nothing.

Retries come from what every run uses, never from anything specific to this test: botocore's
default (legacy) retry mode retries all of these codes up to 5 attempts, and amazon.aws modules
and ours (module_utils/bulk.py: adaptive, 10 attempts) add their own. A faulted request never
reached the emulator, so retrying a create is safe here; a create whose answer is lost after it
succeeded is what the interruption tests cover.

akb is the stack: its provision was faster than cubed's in the same conditions (mobile and
mydigitalstructure were not measured) and makes ~340 API calls, so 10% gives a few dozen faults;
its provision, destroy, faulted provision, re-run and destroy are this test's whole cost.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Emulator
from stack_resources import stack_resources
from support.aws_state import stable_inventory
from support.faultproxy import FaultProxy
from support.playbook import PlaybookRun, run_playbook
from support.stack import stack_vars

# Beyond make test's CI budget: `make test-long` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.long]

STACK = "akb"
FAULT_RATE = 0.1
SEED = 8
MIN_FAULTS = 20  # a clean akb provision makes ~340 API calls: ~37 faults expected


def provision(tmp_path: Path, env: dict[str, str] | None = None) -> PlaybookRun:
    return run_playbook(
        "provision.yml", STACK, "-e", f"stack_outputs_dir={tmp_path / STACK}", env=env
    )


def destroy(tmp_path: Path) -> PlaybookRun:
    return run_playbook(
        "destroy.yml",
        STACK,
        "-e",
        f"stack_outputs_dir={tmp_path / STACK}",
        "-e",
        "aws_database_destroy_confirmed=true",
        "-e",
        "aws_storage_destroy_data_buckets=true",
    )


def assert_ok(run: PlaybookRun, what: str) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-8000:]}"


def counts(emulator: Emulator) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in stack_resources(emulator, STACK).items()}


def test_provision_converges_under_injected_faults(
    emulator: Emulator, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    region = stack_vars(STACK)["stack_region"]
    assert_ok(provision(tmp_path), f"{STACK}: clean provision")
    clean = stable_inventory(emulator, region, STACK)
    clean_counts = counts(emulator)
    assert_ok(destroy(tmp_path), f"{STACK}: destroy after the clean run")
    assert not stack_resources(emulator, STACK)

    with FaultProxy(emulator.endpoint, rate=FAULT_RATE, seed=SEED) as proxy:
        faulted = provision(tmp_path, env={"AWS_ENDPOINT_URL": proxy.endpoint})
    figures = proxy.summary()
    record_property("faults", json.dumps(figures))
    print(f"\nfault proxy ({STACK}, rate {FAULT_RATE}, seed {SEED}): {figures}")
    assert_ok(faulted, f"{STACK}: provision with {FAULT_RATE:.0%} injected faults {figures}")
    assert proxy.injected >= MIN_FAULTS, f"too few faults injected to mean anything: {figures}"
    assert all(proxy.counts[kind] for kind in ("throttling", "http500", "http503")), figures

    assert stable_inventory(emulator, region, STACK) == clean
    assert counts(emulator) == clean_counts

    rerun = provision(tmp_path)
    assert_ok(rerun, f"{STACK}: clean re-run after the faulted run")
    assert rerun.changed == 0, f"re-run changed {rerun.changed}: {rerun.changed_tasks()}"
    assert_ok(destroy(tmp_path), f"{STACK}: destroy")
    assert not stack_resources(emulator, STACK)
