"""The tenants tier (roles/aws_tenants, module estate.aws.tenants) on its own against the
emulator: tenants added and removed one at a time touch only their own resources, a queue that
holds messages is never deleted without the safety flag (and a refused run changes nothing),
drift made by hand is repaired, --check changes nothing, and a teardown removes exactly the
stack's tenant resources. Everything is read back with boto3; DNS answers are read from Route53's
API only (no name is ever resolved)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checks_tenants import dkim_names, stack_identities, stack_queues
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
ZONE = "tenants-test.example"
PLAY = """
- name: Tenants tier
  hosts: localhost
  gather_facts: false
  roles:
    - role: aws_tenants
  post_tasks:
    - name: Record the outputs for the test
      ansible.builtin.copy:
        content: "{{ aws_tenants_outputs | to_json }}"
        dest: "{{ outputs_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""
TEARDOWN = """
- name: Tenants teardown
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Refuse a teardown that would lose messages
      ansible.builtin.include_role:
        name: aws_tenants
        tasks_from: destroy_check
    - name: Delete the tenants' resources
      ansible.builtin.include_role:
        name: aws_tenants
        tasks_from: destroy
"""


class Tier:
    """One stack's tenants tier, run by ansible-playbook with the stack's variables."""

    def __init__(self, emulator: Emulator, tmp_path: Path, stack: str, zone_id: str) -> None:
        self.emulator, self.tmp_path, self.stack = emulator, tmp_path, stack
        self.prefix = f"{stack}-tenant-"
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "stack_name": stack,
            "stack_region": REGION,
            "aws_tenants_region": REGION,
            "aws_tenants_tags": {"stack": stack, "env": "test", "managed-by": "pytest"},
            "aws_tenants_queue_prefix": self.prefix,
            "aws_tenants_kms_key": f"alias/{stack}",
            "aws_tenants_hosted_zones": {ZONE: zone_id},
            "outputs_file": str(tmp_path / f"{stack}-outputs.json"),
        }

    def run(self, tenants: list[dict[str, Any]], *args: str, teardown: bool = False) -> PlaybookRun:
        play = self.tmp_path / ("teardown.yml" if teardown else "tenants.yml")
        play.write_text(TEARDOWN if teardown else PLAY)
        varsfile = self.tmp_path / f"{self.stack}-vars.json"
        varsfile.write_text(json.dumps({**self.variables, "aws_tenants_list": tenants}))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def outputs(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(Path(self.variables["outputs_file"]).read_text())
        return data

    def state(self) -> dict[str, Any]:
        """Queues (with their settable attributes), identities and DKIM record names."""
        queues = {
            name: {k: v for k, v in q["attributes"].items() if not k.startswith("Approximate")}
            for name, q in stack_queues(self.emulator, REGION, self.stack).items()
        }
        zone_id = self.variables["aws_tenants_hosted_zones"][ZONE]
        return {
            "queues": queues,
            "identities": set(stack_identities(self.emulator, REGION, self.stack)),
            "dkim": {n for n in dkim_names(self.emulator, zone_id) if self.stack in n},
        }


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}\n{run.output[-3000:]}"


@pytest.fixture
def zone_id(emulator: Emulator) -> str:
    """The public zone of the tenants' domains and the stacks' keys, made once per emulator
    (the tests may run on one pytest-xdist worker or on two)."""
    route53 = emulator.client("route53", "us-east-1")
    zones = route53.list_hosted_zones_by_name(DNSName=ZONE, MaxItems="1")["HostedZones"]
    if zones and zones[0]["Name"] == f"{ZONE}.":
        zone = zones[0]
    else:
        zone = route53.create_hosted_zone(Name=ZONE, CallerReference=ZONE)["HostedZone"]
    kms = emulator.client("kms", REGION)
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    for stack in ("tt-main", "tt-other"):
        if f"alias/{stack}" not in aliases:
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=f"alias/{stack}", TargetKeyId=key)
    return str(zone["Id"].split("/")[-1])


@pytest.mark.cost(62)
def test_tenants_are_added_changed_removed_and_destroyed(
    emulator: Emulator, tmp_path: Path, zone_id: str
) -> None:
    main = Tier(emulator, tmp_path, "tt-main", zone_id)
    acme = {"name": "acme", "domain": f"acme.tt-main.{ZONE}", "queue": True}
    globex = {"name": "globex", "queue": {"visibility_timeout": 120, "dead_letter": "own"}}
    initech = {"name": "initech", "domain": "mail.initech.example"}
    tenants = [acme, globex, initech]
    p = main.prefix

    ok(main.run(tenants), "first run", changed=True)
    state = main.state()
    assert set(state["queues"]) == {f"{p}acme", f"{p}globex", f"{p}globex-dlq", f"{p}dead-letter"}
    assert state["queues"][f"{p}globex"]["VisibilityTimeout"] == "120"
    redrive = json.loads(state["queues"][f"{p}acme"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{p}dead-letter")
    assert all(q["KmsMasterKeyId"] == "alias/tt-main" for q in state["queues"].values())
    assert state["identities"] == {acme["domain"], initech["domain"]}
    assert {n.split("._domainkey.")[1] for n in state["dkim"]} == {acme["domain"]}
    assert len(state["dkim"]) == 3
    external = main.outputs()["external_records"]
    assert {r["name"].split("._domainkey.")[1] for r in external} == {"mail.initech.example."}
    assert main.outputs()["tenants"]["acme"]["dns_zone"] == ZONE

    ok(main.run(tenants), "second run", changed=False)
    ok(main.run(tenants, "--check", "--diff"), "--check on the converged tenants", changed=False)

    # A neighbour stack with its own tenants, in the same region and zone.
    other = Tier(emulator, tmp_path, "tt-other", zone_id)
    ok(other.run([{"name": "acme", "domain": f"acme.tt-other.{ZONE}", "queue": True}]), "other")
    other_state = other.state()
    assert len(other_state["queues"]) == 2 and len(other_state["dkim"]) == 3

    # Adding a tenant creates only its queue.
    before = main.state()
    tenants.append({"name": "hooli", "queue": True})
    ok(main.run(tenants), "adding hooli", changed=True)
    after = main.state()
    assert set(after["queues"]) - set(before["queues"]) == {f"{p}hooli"}
    assert {k: v for k, v in after["queues"].items() if k != f"{p}hooli"} == before["queues"]
    assert after["identities"] == before["identities"] and after["dkim"] == before["dkim"]

    # Drift made by hand is repaired; --check shows it and changes nothing.
    sqs = emulator.client("sqs", REGION)
    url = sqs.get_queue_url(QueueName=f"{p}globex")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})
    checked = main.run(tenants, "--check", "--diff")
    ok(checked, "--check with drift", changed=True)
    assert "-        VisibilityTimeout: '7'" in checked.output, "the diff shows the drift"
    assert main.state()["queues"][f"{p}globex"]["VisibilityTimeout"] == "7"
    ok(main.run(tenants), "repairing the drift", changed=True)
    assert main.state()["queues"][f"{p}globex"]["VisibilityTimeout"] == "120"

    # A tenant whose queue no longer has a dead-letter queue loses its redrive policy, and its
    # own (empty) dead-letter queue goes.
    globex["queue"] = {"visibility_timeout": 120, "dead_letter": "none"}
    ok(main.run(tenants), "dropping globex's dead-letter queue", changed=True)
    queues = main.state()["queues"]
    assert not queues[f"{p}globex"].get("RedrivePolicy") and f"{p}globex-dlq" not in queues
    ok(main.run(tenants), "after dropping the dead-letter queue", changed=False)

    # Removing a tenant whose queue holds a message is refused, before any change.
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=f"{p}acme")["QueueUrl"], MessageBody="x")
    before = main.state()
    without_acme = [t for t in tenants if t is not acme]
    refused = main.run(without_acme)
    assert refused.rc != 0 and "still hold messages" in refused.output, refused.output[-3000:]
    assert f"{p}acme (1 messages)" in refused.output
    assert main.state() == before, "a refused run changed something"
    force = ("-e", "aws_tenants_delete_nonempty_queues=true")
    ok(main.run(without_acme, "--check", *force), "--check of the removal", changed=True)
    assert main.state() == before, "--check changed something"

    # With the flag, only acme's queue, identity and DKIM records go.
    ok(main.run(without_acme, *force), "removing acme", changed=True)
    after = main.state()
    assert set(before["queues"]) - set(after["queues"]) == {f"{p}acme"}
    assert before["identities"] - after["identities"] == {acme["domain"]}
    assert after["dkim"] == set()
    assert other.state() == other_state, "the neighbour's tenants changed"

    # Teardown: refused while a queue holds messages, then everything of tt-main goes.
    url = sqs.get_queue_url(QueueName=f"{p}hooli")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    before = main.state()
    refused = main.run([], teardown=True)
    assert refused.rc != 0 and "still hold messages" in refused.output, refused.output[-3000:]
    assert main.state() == before
    ok(main.run([], *force, teardown=True), "teardown", changed=True)
    assert main.state() == {"queues": {}, "identities": set(), "dkim": set()}
    assert other.state() == other_state, "the teardown touched the neighbour"
    ok(main.run([], teardown=True), "second teardown", changed=False)
