"""Time the tenants tier's bulk module against the naive loop (see benchmarks/tenants)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]

from conftest import Emulator, free_port, start_emulator, stop_emulator  # noqa: E402
from support.playbook import BIN, run_play  # noqa: E402

MODULE = REPO / "collections/ansible_collections/estate/aws/plugins/modules/tenants.py"
REGION = "us-east-1"
ZONE = "bench.example"
TAGS = {"stack": "bench", "env": "lab", "managed-by": "benchmark"}
BULK = """
- name: Tenants in bulk
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Every tenant's queue, SES identity and DKIM records
      estate.aws.tenants:
        region: "{{ region }}"
        tags: "{{ resource_tags }}"
        queue_prefix: bulk-
        kms_key: alias/bench
        hosted_zones: "{{ zones }}"
        verify_attributes: "{{ verify }}"
        tenants: "{{ tenants }}"
"""
NAIVE = """
- name: Tenants one module run per resource
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Shared dead-letter queue
      community.aws.sqs_queue:
        name: naive-dead-letter
        region: "{{ region }}"
        kms_master_key_id: alias/bench
        message_retention_period: 1209600
        tags: "{{ resource_tags }}"
      register: dlq

    - name: Queue per tenant
      community.aws.sqs_queue:
        name: "naive-{{ item }}"
        region: "{{ region }}"
        kms_master_key_id: alias/bench
        receive_message_wait_time_seconds: 20
        redrive_policy: {maxReceiveCount: 5, deadLetterTargetArn: "{{ dlq.queue_arn }}"}
        tags: "{{ resource_tags | combine({'tenant': item}) }}"
      loop: "{{ names }}"

    - name: SES identity per tenant
      community.aws.ses_identity:
        identity: "{{ item }}.naive.{{ zone }}"
        region: "{{ region }}"
      loop: "{{ names }}"
      register: identities

    - name: Verification record per tenant
      amazon.aws.route53:
        state: present
        zone: "{{ zone }}"
        record: "_amazonses.{{ item.identity }}"
        type: TXT
        ttl: 1800
        value: '"{{ item.verification_attributes.verification_token }}"'
        overwrite: true
      loop: "{{ identities.results }}"
      loop_control:
        label: "{{ item.identity }}"
"""


def play(path: Path, text: str, variables: dict[str, Any], *args: str) -> tuple[float, int]:
    """Run a localhost playbook; (wall seconds, changed tasks)."""
    path.write_text(text)
    varsfile = path.with_suffix(".json")
    varsfile.write_text(json.dumps(variables))
    start = time.monotonic()
    run = run_play(path, "-e", f"@{varsfile}", *args, timeout=7200)
    elapsed = time.monotonic() - start
    if run.rc != 0:
        sys.exit(f"benchmark step failed:\n{run.output[-6000:]}")
    return elapsed, run.changed


def module_direct(args: dict[str, Any], env: dict[str, str]) -> tuple[float, float, bool]:
    """Run the module as its own process (as Ansible does on the target); (seconds, peak RSS MB
    of that process, changed)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    start = time.monotonic()
    proc = subprocess.Popen(
        [BIN / "python", MODULE, handle.name],
        env={**env, "PYTHONPATH": str(REPO / "collections")},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()  # before waiting: a full pipe would block the module
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    result = json.loads(output)
    os.unlink(handle.name)
    if status != 0 or result.get("failed"):
        sys.exit(f"module run failed: {result.get('msg')}")
    return elapsed, usage.ru_maxrss / 1024, bool(result["changed"])


def names(count: int) -> list[str]:
    return [f"t{i:05d}" for i in range(count)]


def bulk_args(count: int, zone_id: str, state: str = "present") -> dict[str, Any]:
    return {
        "region": REGION,
        "tags": TAGS,
        "queue_prefix": "bulk-",
        "kms_key": "alias/bench",
        "hosted_zones": {ZONE: zone_id},
        "tenants": [{"name": n, "domain": f"{n}.bulk.{ZONE}", "queue": True} for n in names(count)],
        "state": state,
    }


def naive_teardown(emulator: Emulator, count: int, zone_id: str) -> None:
    """Remove what the naive loop created, with boto3 (not timed)."""
    sqs, ses = emulator.client("sqs", REGION), emulator.client("ses", REGION)
    for url in sqs.list_queues(QueueNamePrefix="naive-").get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
    for name in names(count):
        ses.delete_identity(Identity=f"{name}.naive.{ZONE}")
    route53 = emulator.client("route53", REGION)
    records = route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1000")
    doomed = [r for r in records["ResourceRecordSets"] if r["Name"].startswith("_amazonses.")]
    for start in range(0, len(doomed), 400):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {"Action": "DELETE", "ResourceRecordSet": r}
                    for r in doomed[start : start + 400]
                ]
            },
        )


def prepare(emulator: Emulator) -> str:
    """The public zone of the tenants' domains and the queues' key; returns the zone id."""
    zone = emulator.client("route53", REGION).create_hosted_zone(Name=ZONE, CallerReference="b")
    kms = emulator.client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/bench", TargetKeyId=key)
    return str(zone["HostedZone"]["Id"].split("/")[-1])


def bench_count(
    emulator: Emulator, state: Path, zone_id: str, count: int, naive: bool
) -> tuple[str, str]:
    """One table row (Ansible runs, printed at once) and one memory line (the module process
    alone)."""
    common = {
        "ansible_connection": "local",
        "ansible_python_interpreter": str(BIN / "python"),
        "region": REGION,
        "resource_tags": TAGS,
        "zone": ZONE,
        "zones": {ZONE: zone_id},
        "names": names(count),
    }
    bulk = {**common, "tenants": bulk_args(count, zone_id)["tenants"], "verify": True}
    cold, changed = play(state / "bulk.yml", BULK, bulk)
    again, unchanged = play(state / "bulk.yml", BULK, bulk)
    by_tag, _ = play(state / "bulk.yml", BULK, {**bulk, "verify": False})
    assert changed == 1 and unchanged == 0, (changed, unchanged)
    resources = (count + 1) + count + 3 * count
    row = f"{count:>8} {resources:>10} {cold:>9.1f}s {again:>9.1f}s {by_tag:>8.1f}s"
    if naive:
        n_cold, _ = play(state / "naive.yml", NAIVE, common)
        n_again, n_changed = play(state / "naive.yml", NAIVE, common)
        row += f" {n_cold:>10.1f}s {n_again:>9.1f}s"
        row += f" {n_cold / cold:>6.1f}x {n_again / again:>7.1f}x"
        row += f"   (naive no-change: changed={n_changed})"
        naive_teardown(emulator, count, zone_id)
    print(row, flush=True)
    env = {**os.environ, **emulator.env}
    module_direct(bulk_args(count, zone_id, "absent"), env)
    m_cold, rss_cold, _ = module_direct(bulk_args(count, zone_id), env)
    m_again, rss_again, again_changed = module_direct(bulk_args(count, zone_id), env)
    assert not again_changed, "the module's no-change run changed something"
    module_direct(bulk_args(count, zone_id, "absent"), env)
    memory = f"{count:>8}: cold {m_cold:.1f}s, {rss_cold:.0f} MB; "
    memory += f"no-change {m_again:.1f}s, {rss_again:.0f} MB"
    return row, memory


def main(counts: list[int], naive_counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as state:
        emulator = start_emulator(Path(state), free_port())
        os.environ.update(emulator.env)
        try:
            zone_id = prepare(emulator)
            print(
                f"{'tenants':>8} {'resources':>10} {'bulk cold':>10} {'no-change':>10}"
                f" {'(by tag)':>9} {'naive cold':>11} {'no-change':>10} {'cold x':>7}"
                f" {'again x':>8}"
            )
            memory = []
            for count in counts:
                _, line = bench_count(emulator, Path(state), zone_id, count, count in naive_counts)
                memory.append(line)
            print("the module process alone (no Ansible): wall time and peak RSS")
            print("\n".join(memory))
        finally:
            stop_emulator(Path(state))


if __name__ == "__main__":
    wanted = [int(n) for n in sys.argv[1:]] or [10, 100, 1000]
    naive = [int(n) for n in os.environ.get("NAIVE_N", "10 100").split()]
    main(wanted, naive)
