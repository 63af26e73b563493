"""Interrupted runs: ansible-playbook killed in the middle of a provision, re-run, and
nothing duplicated or orphaned. The side-by-side lifecycle test (test_lifecycle.py) provisions
mydigitalstructure this way (the stack with the most resource kinds at risk: NAT gateway and its
address, instances with a data volume, an Elastic IP, an Auto Scaling group, target groups and
classic load balancers with registrations, RDS, Route53 records) before its complete run.

Each run is cut off further into the provision than the one before, at a task chosen by its name
and its position (the count of `TASK [` lines streamed so far is printed); SIGKILL goes to the
run's whole process tree (its process group and mitogen's workers, which run in sessions of their
own), as when a CI runner or a laptop goes away; the last cut is a SIGINT to the process group
(Ctrl-C).

What "no duplicate, no orphan" means (assert_no_duplicate_nor_orphan): the signatures of every
resource (aws_state.census: name, attachment, target, without IDs) added by the chain and the
complete run after it hold no repeat and nothing unattached (an Elastic IP, an interface or a
volume that nothing uses). The caller then reads every tier back, checks that a further run
changes nothing and that the teardown leaves the census as it found it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Emulator
from support.playbook import BIN, REPO, ansible_env
from support.stack import stack_vars

KILL_WAIT_S = 60


@dataclass(frozen=True)
class Cut:
    """Where a run is cut off: at the task named TASK (the `role : name` of its banner), once
    AFTER lines of its results have streamed (0: as soon as the banner shows), DELAY seconds
    later, with SIG. ADDRESS names an Elastic IP (by its Name tag) that the cut task allocates
    before it uses it: when the cut missed that window by landing before the allocation, the
    test allocates it as the task would have (tagged, unassociated), so the next run always
    meets the half-made state."""

    task: str
    after: int = 0
    delay: float = 0.0
    sig: signal.Signals = signal.SIGKILL
    address: str = ""


# In the order they run; each in a tier that creates resources.
CUTS = (
    # Network creation: the NAT gateway's address allocated (the task before), the gateway not
    # made yet.
    Cut("aws_network : Ensure the NAT gateways", address="{stack}-nat-a"),
    # Instance launch: the first instance launched, the second being launched.
    Cut("aws_compute : Launch or update each instance", after=1),
    # Elastic IP allocation and association: cut as the task starts, its address then allocated
    # by the test as the module does before associating it (the module's own window is too short
    # to hit by timing; half a second later it had already associated it).
    Cut("aws_compute : Elastic IP of each admin host", address="{stack}-admin"),
    # Target groups and their registrations.
    Cut("aws_loadbalancing : Target groups, their health checks and targets", delay=0.5),
    # Records: Ctrl-C this time.
    Cut("aws_dns : Records of each zone", delay=0.5, sig=signal.SIGINT),
)


Process = tuple[int, str]  # (pid, start time): a PID reused by another process never matches


def _stat(pid: int | str) -> list[str]:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ..., starttime at 19]."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[Process]:
    """Every process under PID (mitogen's workers start sessions of their own, so the process
    group alone does not hold them)."""
    children: dict[int, list[Process]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(entry.name)
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def kill_all(processes: list[Process]) -> None:
    for pid, start in processes:
        with contextlib.suppress(OSError, IndexError):
            if _stat(pid)[19] == start:
                os.kill(pid, signal.SIGKILL)


def signal_run(proc: subprocess.Popen[str], sig: signal.Signals) -> list[Process]:
    """SIGKILL: the run's whole process tree at once (a runner or a machine going away).
    SIGINT: its process group, as Ctrl-C in a terminal. Returns the tree as it was."""
    tree = descendants(proc.pid)
    os.killpg(proc.pid, sig)
    if sig == signal.SIGKILL:
        kill_all(tree)
    return tree


def provision_cut(stack: str, cut: Cut, outputs: Path) -> tuple[int, str]:
    """Provision until CUT, then signal the run's process group. Returns the TASK count at the
    cut and the task banner hit; fails if the run ended before reaching it."""
    proc = subprocess.Popen(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            f"inventories/{stack}",
            "playbooks/provision.yml",
            "-e",
            f"stack_outputs_dir={outputs}",
        ],
        cwd=REPO,
        # Banners as tasks start: with display_skipped_hosts off (ansible.cfg) the default
        # callback holds a banner back until the task's first result, so a cut "at" a task
        # landed after it. Unbuffered, so what is read here is where the run is.
        env=ansible_env({"PYTHONUNBUFFERED": "1", "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "1"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    count, banner, results = 0, "", 0
    lines: list[str] = []
    tree: list[Process] = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("TASK ["):
                count += 1
                banner = line.split("]")[0] + "]"
                results = 0
            elif banner == f"TASK [{cut.task}]" and line.startswith(("changed:", "ok:")):
                results += 1
            if banner == f"TASK [{cut.task}]" and results >= cut.after:
                time.sleep(cut.delay)
                tree = signal_run(proc, cut.sig)
                break
        else:
            pytest.fail(f"the run ended before {cut.task}:\n{''.join(lines[-60:])}")
    finally:
        try:
            proc.wait(timeout=KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            tree += signal_run(proc, signal.SIGKILL)
            proc.wait(timeout=KILL_WAIT_S)
        proc.stdout.close()
    # Whatever the run left (a SIGINT'ed run's workers in their own sessions) goes too.
    kill_all(tree)
    return count, banner


def leave_address_half_made(emulator: Emulator, stack: str, region: str, cut: Cut) -> str:
    """Allocate CUT's address, tagged and unassociated, unless the run got that far itself."""
    data = stack_vars(stack, ("stack_name", "stack_tags"))
    name = cut.address.format(stack=data["stack_name"])
    ec2 = emulator.client("ec2", region)
    found = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": [name]}])["Addresses"]
    if found:
        state = "associated" if found[0].get("AssociationId") else "allocated, not associated"
        return f"{name} {state} by the cut run"
    nats = ec2.describe_nat_gateways(Filter=[{"Name": "tag:Name", "Values": [name]}])
    if any(nat["State"] in {"pending", "available"} for nat in nats["NatGateways"]):
        return f"{name}: the gateway was made with its address by the cut run"
    tags = [{"Key": k, "Value": v} for k, v in {**data["stack_tags"], "Name": name}.items()]
    ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tags}]
    )
    return f"{name} not allocated yet by the cut run: allocated here, left unassociated"


def assert_no_duplicate_nor_orphan(added: dict[str, list[str]]) -> None:
    repeated = {
        kind: sorted({s for s in signatures if signatures.count(s) > 1})
        for kind, signatures in added.items()
        if len(set(signatures)) != len(signatures)
    }
    assert not repeated, f"duplicated after the cut-off runs: {repeated}"
    orphans = {
        kind: [s for s in signatures if "unattached" in s.split("/")]
        for kind, signatures in added.items()
    }
    orphans = {kind: found for kind, found in orphans.items() if found}
    assert not orphans, f"orphaned after the cut-off runs: {orphans}"


def provision_interrupted(emulator: Emulator, stack: str, outputs: Path) -> list[tuple[int, str]]:
    """Provision STACK once per CUTS, each run cut off there; returns (task count, banner) of each
    cut, which must come later in the run each time."""
    region = stack_vars(stack)["stack_region"]
    hits = []
    for number, cut in enumerate(CUTS, start=1):
        count, banner = provision_cut(stack, cut, outputs)
        hits.append((count, banner))
        print(f"run {number}: {cut.sig.name} at task #{count} {banner}")
        if cut.address:
            print(f"  {leave_address_half_made(emulator, stack, region, cut)}")
    counts = [count for count, _ in hits]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), hits
    return hits
