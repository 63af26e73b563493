"""The emulator launcher (lab/emulator/emulator.py): start/stop/status and its state files."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EMULATOR_DIR = REPO / "lab" / "emulator"
PATCHES_DIR = EMULATOR_DIR / "patches"

Cli = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class Launched:
    state_dir: Path
    port: int
    pid: int


def alive(pid: int) -> bool:
    """Exists and is not a zombie (a reaped or dead process counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def serving_processes(port: int) -> list[int]:
    """Live `emulator.py serve --port PORT` processes, whoever started them."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        wanted = [b"serve", b"--port", str(port).encode()]
        is_emulator = any(arg.endswith(b"emulator.py") for arg in args)
        if is_emulator and all(arg in args for arg in wanted) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def start(cli: Cli, state_dir: Path, port: int) -> subprocess.CompletedProcess[str]:
    return cli("start", "--port", str(port), "--state-dir", str(state_dir))


def pid_of(state_dir: Path) -> int:
    return int((state_dir / "emulator.pid").read_text())


@pytest.fixture(scope="module")
def launched(emulator_cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    state_dir = tmp_path_factory.mktemp("launcher-state")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    try:
        result = start(emulator_cli, state_dir, port)
        assert result.returncode == 0, result.stdout + result.stderr
        yield Launched(state_dir=state_dir, port=port, pid=pid_of(state_dir))
    finally:
        emulator_cli("stop", "--state-dir", str(state_dir))


def test_second_start_reuses_the_running_emulator(emulator_cli: Cli, launched: Launched) -> None:
    result = start(emulator_cli, launched.state_dir, launched.port)
    assert result.returncode == 0, result.stderr
    assert f"emulator already running on http://127.0.0.1:{launched.port}" in result.stdout
    assert pid_of(launched.state_dir) == launched.pid
    assert serving_processes(launched.port) == [launched.pid]


def test_start_on_another_port_is_refused(
    emulator_cli: Cli, launched: Launched, unused_port: int
) -> None:
    result = start(emulator_cli, launched.state_dir, unused_port)
    assert result.returncode == 1
    assert "stop it first" in result.stderr
    assert pid_of(launched.state_dir) == launched.pid


def test_status_prints_the_endpoint(emulator_cli: Cli, launched: Launched) -> None:
    result = emulator_cli("status", "--state-dir", str(launched.state_dir))
    assert result.returncode == 0
    assert f"http://127.0.0.1:{launched.port}" in result.stdout


def test_env_file_points_at_the_emulator(launched: Launched) -> None:
    lines = (launched.state_dir / "emulator.env").read_text().splitlines()
    assert dict(line.split("=", 1) for line in lines) == {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{launched.port}",
        "AWS_ACCESS_KEY_ID": "testing",
        # pragma: allowlist nextline secret - the emulator's fake credentials
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "ESTATE_TARGET": "local",
    }


def test_env_file_is_sourceable_by_bash(launched: Launched) -> None:
    script = f'set -a; . "{launched.state_dir / "emulator.env"}"; echo "$AWS_ENDPOINT_URL"'
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True, env={}
    )
    assert result.stdout.strip() == f"http://127.0.0.1:{launched.port}"


def test_health_lists_every_patch(launched: Launched) -> None:
    url = f"http://127.0.0.1:{launched.port}/_emulator/health"
    with urllib.request.urlopen(url, timeout=5) as reply:
        document = json.loads(reply.read())
    expected = sorted(p.stem for p in PATCHES_DIR.glob("*.py") if not p.stem.startswith("_"))
    assert document["pid"] == launched.pid
    assert document["patches"] == expected


def test_stop_is_idempotent_and_leaves_no_orphan(
    emulator_cli: Cli, tmp_path: Path, unused_port: int
) -> None:
    assert start(emulator_cli, tmp_path, unused_port).returncode == 0
    pid = pid_of(tmp_path)
    assert serving_processes(unused_port) == [pid]

    first = emulator_cli("stop", "--state-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "stopped" in first.stdout
    assert not (tmp_path / "emulator.pid").exists()
    assert not alive(pid)
    assert serving_processes(unused_port) == []
    assert "emulator stopped" in (tmp_path / "emulator.log").read_text()  # SIGTERM, cleanly

    second = emulator_cli("stop", "--state-dir", str(tmp_path))
    assert second.returncode == 0
    assert "not running" in second.stdout

    status = emulator_cli("status", "--state-dir", str(tmp_path))
    assert status.returncode == 1


def test_stale_pid_file_is_not_killed(emulator_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "emulator.pid").write_text(f"{os.getpid()}\n")  # alive, but not an emulator
    assert emulator_cli("status", "--state-dir", str(tmp_path)).returncode == 1
    result = emulator_cli("stop", "--state-dir", str(tmp_path))
    assert result.returncode == 0
    assert "stale pid file" in result.stdout
    assert not (tmp_path / "emulator.pid").exists()


def test_start_on_a_busy_port_fails_cleanly(emulator_cli: Cli, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = start(emulator_cli, tmp_path, busy.getsockname()[1])
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert not (tmp_path / "emulator.pid").exists()


def test_session_fixture_exports_env(emulator: Any) -> None:
    assert emulator.endpoint.startswith("http://127.0.0.1:")
    for key, value in emulator.env.items():
        assert os.environ[key] == value
    zones = emulator.client("ec2").describe_availability_zones()["AvailabilityZones"]
    assert zones


def test_reset_drops_resources(emulator: Any, launched: Launched) -> None:
    # Reset a private emulator through the fixture's own class: the session one is shared.
    env = {**emulator.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{launched.port}"}
    private = type(emulator)(
        endpoint=env["AWS_ENDPOINT_URL"], env=env, state_dir=launched.state_dir, port=launched.port
    )
    ec2 = private.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    private.reset()
    assert vpc_id not in [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]]


def test_failed_start_prints_the_log_tail(tmp_path: Path, unused_port: int) -> None:
    copy = tmp_path / "emulator"
    shutil.copytree(EMULATOR_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    broken = "def apply() -> None:\n    raise RuntimeError('broken patch for the test')\n"
    (copy / "patches" / "zz_broken.py").write_text(broken)
    state_dir = tmp_path / "state"
    command = [sys.executable, str(copy / "emulator.py"), "start", "--port", str(unused_port)]
    result = subprocess.run(
        [*command, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "the server exited with code 1" in result.stderr
    assert "RuntimeError: broken patch for the test" in result.stderr
    assert not (state_dir / "emulator.pid").exists()
    assert serving_processes(unused_port) == []


@pytest.mark.parametrize("address", ["0.0.0.0", "::"])
def test_binding_to_all_interfaces_is_refused(address: str, tmp_path: Path) -> None:
    launcher = EMULATOR_DIR / "emulator.py"
    result = subprocess.run(
        [sys.executable, str(launcher), "status", "--state-dir", str(tmp_path)],
        env=os.environ | {"ESTATE_EMULATOR_HOST": address},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "must be one local address, not all interfaces" in result.stderr
