"""Run records with ARA (`make deploy ARA=1`, `make ara`).

The environment comes from the Makefile itself (`make ara-env`, the same target-specific
variables `deploy`, `provision`, `configure` and `destroy` get with ARA=1). A one-task playbook
run with it must land in the SQLite database under ARA_DIR, readable with ara's CLI and with
sqlite3, and `make ara` must serve that record on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = """\
- name: ARA probe
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello from the ARA test
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_env() -> dict[str, str]:
    """This environment without an enclosing make's flags and variables (`make test` runs us)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # -o setup: the venv is the one running these tests; do not install anything.
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-o", "setup", *args],
        cwd=REPO,
        env=make_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def ara_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    ara_dir = tmp_path_factory.mktemp("ara")
    run = make("ara-env", "ARA=1", f"ARA_DIR={ara_dir}", "STACK=akb", "TARGET=local")
    assert run.returncode == 0, run.stderr
    pairs = (line.removeprefix("export ").split("=", 1) for line in run.stdout.splitlines())
    return dict(pairs)


@pytest.fixture(scope="module")
def recorded(ara_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The probe playbook, run once with the Makefile's ARA environment."""
    playbook = tmp_path_factory.mktemp("play") / "ara_probe.yml"
    playbook.write_text(PLAYBOOK)
    run = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
        cwd=REPO,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), **ara_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return playbook


def test_make_builds_an_offline_sqlite_environment(ara_env: dict[str, str]) -> None:
    base = Path(ara_env["ARA_BASE_DIR"])
    assert ara_env["ARA_API_CLIENT"] == "offline"
    assert ara_env["ARA_DATABASE_NAME"] == str(base / "ansible.sqlite")
    assert ara_env["ARA_DEFAULT_LABELS"] == "stack:akb,target:local"
    callbacks = Path(ara_env["ANSIBLE_CALLBACK_PLUGINS"])
    assert (callbacks / "ara_default.py").is_file()
    # the venv that runs ansible-playbook
    assert callbacks.resolve().is_relative_to(BIN.parent.resolve())


def test_the_run_is_recorded_in_sqlite(ara_env: dict[str, str], recorded: Path) -> None:
    listed = subprocess.run(
        [str(BIN / "ara"), "playbook", "list", "-f", "json", "--label", "stack:akb"],
        env={**os.environ, **ara_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (playbook,) = json.loads(listed.stdout)
    assert playbook["path"].endswith("/ara_probe.yml")  # the CLI shortens long paths
    assert (playbook["status"], playbook["tasks"], playbook["results"]) == ("completed", 1, 1)
    with sqlite3.connect(ara_env["ARA_DATABASE_NAME"]) as db:
        paths = db.execute("SELECT path FROM playbooks").fetchall()
        rows = db.execute(
            "SELECT t.name, r.status FROM tasks t JOIN results r ON r.task_id = t.id"
        ).fetchall()
    assert paths == [(str(recorded),)]
    assert rows == [("Say hello", "ok")]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on port (IPv4 and IPv6, from /proc)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.fixture
def ara_server(ara_env: dict[str, str], recorded: Path) -> Iterator[int]:
    port = free_port()
    server = subprocess.Popen(
        [
            *("make", "--no-print-directory", "-o", "setup", "ara"),
            *(f"ARA_DIR={ara_env['ARA_BASE_DIR']}", f"ARA_PORT={port}"),
        ],
        cwd=REPO,
        env=make_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_make_ara_serves_the_records_on_loopback_only(ara_server: int, recorded: Path) -> None:
    url = f"http://127.0.0.1:{ara_server}/api/v1/playbooks"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = json.load(response)
            break
        except OSError:
            assert time.monotonic() < deadline, "make ara did not answer within 60 s"
            time.sleep(0.5)
    assert [p["path"] for p in body["results"]] == [str(recorded)]
    assert listening_addresses(ara_server) == {"0100007F"}  # 127.0.0.1
