"""A stack provisioned while AWS misbehaves: a fault proxy (tests/support/faultproxy.py)
in front of the emulator answers 10% of the requests with throttling (ThrottlingException,
Throttling, RequestLimitExceeded, SlowDown, each in its protocol's shape), HTTP 500 or HTTP 503,
instead of forwarding them. The run must succeed and converge to exactly the resources of a clean
run of the same stack (compared by names, tags, CIDRs and references, never generated IDs, and by
the count of every kind), and a clean re-run must change nothing. The side-by-side lifecycle test
(test_lifecycle.py) does this on akb after its first teardown, against the inventory of its
first, clean run.

Retries come from what every run uses, never from anything specific to this test: botocore's
default (legacy) retry mode retries all of these codes up to 5 attempts, and amazon.aws modules
and ours (module_utils/bulk.py: adaptive, 10 attempts) add their own. A faulted request never
reached the emulator, so retrying a create is safe here; a create whose answer is lost after it
succeeded is what the interruption check (checks_interrupt.py) covers.
"""

from __future__ import annotations

from typing import Any

from checks_backup import ok
from conftest import Emulator
from stack_resources import stack_resources
from support.aws_state import stable_inventory
from support.faultproxy import FaultProxy
from support.playbook import run_playbook
from support.stack import stack_vars

FAULT_RATE = 0.1
SEED = 8
# A clean akb provision makes ~360 API calls: ~36 faults expected at 10%.
MIN_FAULTS = 20


def inventory(emulator: Emulator, stack: str) -> dict[str, Any]:
    """What a faulted run must reproduce: the stable inventory and the count of every kind."""
    region = stack_vars(stack)["stack_region"]
    counts = {kind: len(ids) for kind, ids in stack_resources(emulator, stack).items()}
    return {"resources": stable_inventory(emulator, region, stack), "counts": counts}


def check_provision_under_faults(
    emulator: Emulator, stack: str, clean: dict[str, Any], *args: str
) -> dict[str, int]:
    """Provision STACK (torn down before: nothing of it left) through the fault proxy with ARGS
    (its outputs dir); it must end as CLEAN (inventory() of a clean run), and a clean re-run must
    change nothing. The stack is left provisioned. Returns the proxy's figures."""
    assert not stack_resources(emulator, stack), "the faulted run must start from nothing"
    with FaultProxy(emulator.endpoint, rate=FAULT_RATE, seed=SEED) as proxy:
        faulted = run_playbook(
            "provision.yml", stack, *args, env={"AWS_ENDPOINT_URL": proxy.endpoint}
        )
    figures = proxy.summary()
    print(f"\nfault proxy ({stack}, rate {FAULT_RATE}, seed {SEED}): {figures}")
    ok(faulted, f"{stack}: provision with {FAULT_RATE:.0%} injected faults {figures}")
    assert proxy.injected >= MIN_FAULTS, f"too few faults injected to mean anything: {figures}"
    assert all(proxy.counts[kind] for kind in ("throttling", "http500", "http503")), figures
    assert inventory(emulator, stack) == clean, "the faulted run converged to other resources"

    rerun = run_playbook("provision.yml", stack, *args)
    ok(rerun, f"{stack}: clean re-run after the faulted run")
    assert rerun.changed == 0, f"re-run changed {rerun.changed}: {rerun.changed_tasks()}"
    return figures
