"""The AKB portal in the local lab: `site.yml` for akb against this test's own emulator -
provision, backing containers (the portal's Auto Scaling instance, the akb-portal load balancer,
a MariaDB container behind the RDS instance), WordPress configured from data on the RDS endpoint
with the password from Secrets Manager, smoke checks including headless Chromium - then the same
checks made here: the WordPress host reaches the database through the RDS endpoint name with the
stored credentials, the portal's page through the load balancer's container carries the site's
title and its first post (read from the database), the screenshot is a PNG; a second deploy
changes nothing; destroy leaves no container, network or emulated resource.

Isolation as in test_lab.py: prefix "t-" (lab_name_prefix), outputs in tmp_path, ansible-playbook
run from tmp_path. Only loopback and this test's containers are contacted; the RDS endpoint and
the portal's domain are never resolved outside the lab (the host's /etc/hosts, a Host header)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Emulator
from stack_resources import stack_resources
from support.lab import PREFIX, Lab, get, lab_containers, ok, podman, remove_lab

# Beyond make test's CI budget (the cubed lab test is the one in make test): `make test-long`.
pytestmark = [pytest.mark.slow, pytest.mark.lab, pytest.mark.long]

STACK = "akb"
LAB = PREFIX + STACK
REGION = "ap-southeast-2"
DOMAIN = "portal.akb.example"
TITLE = "AKB Member Portal"


@pytest.fixture
def lab(emulator: Emulator, tmp_path: Path) -> Iterator[Lab]:
    remove_lab(LAB)
    try:
        yield Lab(emulator, tmp_path, STACK)
    finally:
        remove_lab(LAB)


@pytest.mark.skipif(shutil.which("podman") is None, reason="the lab needs podman")
def test_akb_portal_lab_database_wordpress_browser_idempotence_teardown(
    emulator: Emulator, lab: Lab
) -> None:
    first = lab.play("site.yml")
    ok(first, "first deploy")

    # The RDS instance is served by a MariaDB container on the lab network.
    rds = emulator.client("rds", REGION).describe_db_instances()["DBInstances"]
    (instance,) = [i for i in rds if i["DBInstanceIdentifier"] == f"{STACK}-portal"]
    endpoint = instance["Endpoint"]["Address"]
    facts = lab.lab()
    database = facts["databases"][f"{STACK}-portal"]
    assert database["endpoint"] == endpoint and database["engine"] == "mysql"
    assert database["container"] == f"{LAB}-db-{STACK}-portal"
    assert "password" not in json.dumps(facts)
    assert database["container"] in lab_containers(LAB)

    # The portal's host (the Auto Scaling group's one instance) reaches it through the endpoint
    # name, with the credentials the database tier keeps in Secrets Manager (password on stdin
    # through a client option file, never on a command line).
    secret = json.loads(
        emulator.client("secretsmanager", REGION).get_secret_value(
            SecretId=f"{STACK}/database/portal"
        )["SecretString"]
    )
    (host,) = [v for v in facts["hosts"].values() if v["role"] == "web"]
    resolved = podman("exec", host["name"], "getent", "hosts", endpoint).stdout.split()
    assert resolved[:1] == [database["address"]], resolved
    query = podman(
        "exec",
        "-i",
        host["name"],
        "sh",
        "-c",
        'f=$(mktemp); cat > "$f"; mysql --defaults-extra-file="$f" -h "$1" -u "$2" -N "$3" '
        "-e 'SELECT option_value FROM wp_options WHERE option_name=\"blogname\"'; rc=$?; "
        'rm -f "$f"; exit $rc',
        "query",
        endpoint,
        secret["username"],
        secret["dbname"],
        stdin=f"[client]\npassword={secret['password']}\n",
    )
    assert query.returncode == 0, query.stderr
    assert query.stdout.strip() == TITLE

    # The portal through its load balancer's container: HTTP redirects, HTTPS serves WordPress's
    # home page with the site's title and its first post (rows of the database).
    portal = facts["load_balancers"]["akb-portal"]
    assert portal["backends"] == [f"{host['address']}:80"]
    status, _, headers = get(f"http://{portal['address']}/", DOMAIN, timeout=20)
    assert (status, headers.get("Location")) == (301, f"https://{DOMAIN}/")
    status, body, _ = get(f"https://{portal['address']}/", DOMAIN, timeout=20)
    assert status == 200 and TITLE in body and "Hello world!" in body, body[:2000]

    # Headless Chromium's screenshot of the portal (when chromium is installed).
    shot = lab.outputs / "lab" / "portal.png"
    if shutil.which("chromium"):
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000

    # The whole deploy again: nothing changes.
    second = lab.play("site.yml")
    ok(second, "second deploy")
    assert second.changed == 0, f"second deploy changed: {second.changed_tasks()}"

    # Teardown: no container, no network, no emulated resource of the stack.
    gone = lab.play(
        "destroy.yml",
        "-e",
        "aws_storage_destroy_data_buckets=true",
        "-e",
        "aws_database_destroy_confirmed=true",
    )
    ok(gone, "destroy")
    assert lab_containers(LAB) == []
    networks = podman("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert f"estate-lab-{LAB}" not in networks
    assert not stack_resources(emulator, STACK)
    assert os.path.exists(lab.outputs / "lab") is False
