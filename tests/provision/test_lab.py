"""The local lab end to end: `make deploy STACK=cubed TARGET=local` - provision, backing
containers, configuration of every host with its roles, smoke checks - against this test's own
emulator, then the same checks made independently here with real requests (HTTP through the
load balancer's container, a DNS query to the stack's BIND server, the trainer's model in S3 read
back with boto3), a second deploy that changes nothing, and a teardown that leaves no container,
no network and no emulated resource. Cubed is the stack with the most server roles (common,
python_app, docs_server, dns_server, model_trainer) and load balancers.

It is also cubed's provisioning lifecycle (test_lifecycle.py runs the other stacks'): every tier
read back (checks_<tier>), no secret in the runs' output, a refused teardown that removes
nothing, and a second teardown that changes nothing (the plan of a converged stack is shown on
the other stacks, test_lifecycle.py).

Isolation: the lab's containers and network carry a prefix (lab_name_prefix), outputs go to
tmp_path, and ansible-playbook runs from tmp_path (its inventory and fact caches), so a developer's
own `make deploy` lab of the same stack is left alone. Only loopback and the containers this test
started are ever contacted."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from checks_compute import check_compute
from checks_database import check_database
from checks_dns import check_dns
from checks_identity import check_identity
from checks_kms import check_kms
from checks_loadbalancing import check_loadbalancing
from checks_network import check_network
from checks_security import assert_secrets_hidden, check_security
from checks_serverless import check_serverless
from checks_storage import check_storage
from checks_tenants import check_tenants
from conftest import Emulator
from stack_resources import assert_gone, stack_resources
from support.lab import PREFIX, Lab, get, lab_containers, ok, podman, remove_lab

pytestmark = [pytest.mark.slow, pytest.mark.lab]

STACK = "cubed"
LAB = PREFIX + STACK


class RequestLoop:
    """Requests to one URL, back to back on new connections, from a thread while a block runs:
    what a user sees of a rolling deploy. Any status but 200, or any error, is a failure."""

    def __init__(self, url: str, host: str) -> None:
        self.url, self.host = url, host
        self.sent, self.failures, self.bodies = 0, [], []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body, _ = get(self.url, self.host)
                if status != 200:
                    self.failures.append(f"{status}: {body[:200]}")
                else:
                    self.bodies.append(json.loads(body))
            except Exception as error:  # every error is a failed request
                self.failures.append(repr(error))
            self.sent += 1
            self._stop.wait(0.05)

    def __enter__(self) -> RequestLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def registered(emulator: Emulator, group: str) -> list[str]:
    elbv2 = emulator.client("elbv2", "eu-west-1")
    arn = elbv2.describe_target_groups(Names=[group])["TargetGroups"][0]["TargetGroupArn"]
    health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return sorted(d["Target"]["Id"] for d in health)


@pytest.fixture
def lab(emulator: Emulator, tmp_path: Path) -> Iterator[Lab]:
    remove_lab(LAB)
    try:
        yield Lab(emulator, tmp_path, STACK)
    finally:
        remove_lab(LAB)


def test_local_lab_deploy_smoke_idempotence_and_teardown(emulator: Emulator, lab: Lab) -> None:
    first = lab.play("site.yml")
    ok(first, "first deploy")
    assert "Smoke checks" in first.output or "Smoke-check the deployed stack" in first.output

    # One container per running instance, named after it, plus the load balancers and the relay.
    ec2 = emulator.client("ec2", "eu-west-1")
    instances = [
        i
        for r in ec2.describe_instances(
            Filters=[
                {"Name": "tag:stack", "Values": [STACK]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for i in r["Instances"]
    ]
    tags = {i["InstanceId"]: {t["Key"]: t["Value"] for t in i["Tags"]} for i in instances}
    names = sorted(PREFIX + t["Name"] for t in tags.values())
    assert len(names) == 7
    facts = lab.lab()
    lbs = sorted(v["container"] for v in facts["load_balancers"].values())
    assert lab_containers(LAB) == sorted([*names, *lbs, f"{LAB}-lab-relay"])
    # Each instance carries its backing container's address, which is that container's.
    for instance_tags in tags.values():
        container = instance_tags["estate-lab:container"]
        inspected = json.loads(podman("inspect", container, check=True).stdout)[0]
        address = inspected["NetworkSettings"]["Networks"][facts["network"]]["IPAddress"]
        assert instance_tags["estate-lab:host"] == address

    # Every tier as its data says (the lab's estate-lab:* tags aside).
    for check in (
        check_kms,
        check_network,
        check_identity,
        check_storage,
        check_database,
        check_compute,
        check_loadbalancing,
        check_dns,
        check_tenants,
        check_serverless,
        check_security,
    ):
        check(emulator, STACK)

    # The prediction API through uat-load-balancer's container: HTTP redirects, HTTPS serves the
    # health document from one of the two UAT hosts (both are registered backends).
    uat = facts["load_balancers"]["uat-load-balancer"]
    hosts = {name: v["address"] for name, v in facts["hosts"].items()}
    assert sorted(uat["backends"]) == sorted(f"{hosts[f'{STACK}-uat-{n}-1']}:80" for n in (1, 2))
    status, _, headers = get(f"http://{uat['address']}/", "uat.withcubed.com")
    assert (status, headers.get("Location")) == (301, "https://uat.withcubed.com/")
    status, body, _ = get(f"https://{uat['address']}/health", "uat.withcubed.com")
    assert status == 200 and json.loads(body)["status"] == "ok", body
    # A load balancer whose targets are partner hosts across the VPN has no backend here.
    dcs = facts["load_balancers"]["Positive-DCS"]
    assert dcs["backends"] == [] and dcs["unbacked"] == ["10.3.61.1:80"]
    assert get(f"http://{dcs['address']}/", "dcs.withcubed.com")[0] == 503

    # The docs site, straight from the docs host.
    status, body, _ = get(f"http://{hosts[f'{STACK}-docs-1']}/", "docs.withcubed.internal")
    assert status == 200 and "Cubed internal docs" in body

    # The stack's BIND server answers the private zones with the instances' private addresses.
    docs_ip = next(
        i["PrivateIpAddress"]
        for i in instances
        if tags[i["InstanceId"]]["Name"] == f"{STACK}-docs-1"
    )
    answer = subprocess.run(
        ["dig", "+short", "+time=3", f"@{hosts[f'{STACK}-dns-1']}", "docs.withcubed.internal", "A"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert answer == [docs_ip]

    # The model trainer's model, in the stack's bucket, encrypted with the stack's key.
    s3 = emulator.client("s3", "eu-west-1")
    head = s3.head_object(
        Bucket=f"{STACK}-production-models", Key="models/model-trainer/model.json"
    )
    key_arn = emulator.client("kms", "eu-west-1").describe_key(KeyId=f"alias/{STACK}")[
        "KeyMetadata"
    ]["Arn"]
    # The job names the key by its alias; AWS reports the key's ARN, the emulator the alias given.
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] in (key_arn, f"alias/{STACK}")

    # The whole deploy again: nothing changes.
    second = lab.play("site.yml")
    ok(second, "second deploy")
    assert second.changed == 0, f"second deploy changed: {second.changed_tasks()}"
    assert_secrets_hidden(emulator, STACK, first, second)

    # Rolling deploy of a new release while a client keeps asking through uat-load-balancer: no
    # request fails, both hosts end on the new release and both are registered again.
    health = f"https://{uat['address']}/health"
    uat_ips = registered(emulator, "uat-web")
    with RequestLoop(health, "uat.withcubed.com") as loop:
        rolled = lab.play("deploy_app.yml", "-e", "python_app_release=2026.11.24")
    ok(rolled, "rolling deploy")
    assert loop.sent > 20 and loop.failures == [], f"{loop.sent} requests: {loop.failures[:5]}"
    assert loop.bodies[-1]["release"] == "2026.11.24"
    for n in (1, 2):
        body = json.loads(
            get(f"http://{hosts[f'{STACK}-uat-{n}-1']}/health", "uat.withcubed.com")[1]
        )
        assert body["release"] == "2026.11.24", body
    assert registered(emulator, "uat-web") == uat_ips
    assert sorted(lab.lab()["load_balancers"]["uat-load-balancer"]["backends"]) == sorted(
        uat["backends"]
    )

    # A release that cannot start: the first host fails its health check and the rollout stops
    # there, out of service; the other host keeps serving the previous release; no request fails.
    with RequestLoop(health, "uat.withcubed.com") as loop:
        broken = lab.play(
            "deploy_app.yml",
            "-e",
            "python_app_release=broken",
            "-e",
            "python_app_wsgi=missing_module:application",
            "-e",
            "deploy_app_health_retries=3",
            "-e",
            "deploy_app_health_delay=2",
        )
    assert broken.rc != 0 and "Health-check the host on itself" in broken.output
    assert loop.sent > 10 and loop.failures == [], f"{loop.sent} requests: {loop.failures[:5]}"
    assert {b["release"] for b in loop.bodies} == {"2026.11.24"}
    assert len(registered(emulator, "uat-web")) == 1
    assert len(lab.lab()["load_balancers"]["uat-load-balancer"]["backends"]) == 1

    # A teardown refused (the models bucket holds the trainer's object) removes nothing, not
    # even the lab's containers.
    running, resources = lab_containers(LAB), stack_resources(emulator, STACK)
    refused = lab.play("destroy.yml")
    assert refused.rc != 0 and "aws_storage_destroy_data_buckets=true" in refused.output
    assert lab_containers(LAB) == running
    assert stack_resources(emulator, STACK) == resources

    # Teardown: no container, no network, no emulated resource of the stack.
    gone = lab.play("destroy.yml", "-e", "aws_storage_destroy_data_buckets=true")
    ok(gone, "destroy")
    assert lab_containers(LAB) == []
    networks = podman("network", "ls", "--format", "{{.Name}}", check=True).stdout.split()
    assert f"estate-lab-{LAB}" not in networks
    assert_gone(emulator, STACK)
    assert os.path.exists(lab.outputs / "lab") is False
    again = lab.play("destroy.yml", "-e", "aws_storage_destroy_data_buckets=true")
    ok(again, "second destroy")
    assert again.changed == 0, f"second destroy changed: {again.changed_tasks()}"
