"""Shared fixtures of the whole suite.

``emulator`` (session scope) starts the project's embedded AWS emulator (lab/emulator/emulator.py)
on a free loopback port with a temporary state directory, exports its environment into
``os.environ`` (so ``ansible-playbook`` and other subprocesses reach it; tests may also pass
``env={**os.environ, **emulator.env}`` explicitly) and stops it at the end of the session, whatever
the tests did. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.schedule import Entry, arrange

REPO = Path(__file__).resolve().parents[1]
LAUNCHER = REPO / "lab" / "emulator" / "emulator.py"
LAUNCH_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def launcher(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the emulator CLI with the interpreter running the tests."""
    return subprocess.run(
        [sys.executable, str(LAUNCHER), *args],
        capture_output=True,
        text=True,
        timeout=LAUNCH_TIMEOUT_S,
        check=False,
    )


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@dataclass(frozen=True)
class Emulator:
    """A running emulator: its endpoint, its environment and ready-made clients."""

    endpoint: str
    env: dict[str, str]
    state_dir: Path
    port: int

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.env["AWS_DEFAULT_REGION"]
        keys = (self.env["AWS_ACCESS_KEY_ID"], self.env["AWS_SECRET_ACCESS_KEY"])
        return _client(self.endpoint, service, region, keys)

    def reset(self) -> None:
        """Drop every resource of every service (moto's POST /moto-api/reset); patches stay."""
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read()


@functools.cache
def _client(endpoint: str, service: str, region: str, keys: tuple[str, str]) -> Any:
    """One boto3 client per endpoint, service and region (creating one costs ~0.5 s)."""
    import boto3

    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
    )


def start_emulator(state_dir: Path, port: int) -> Emulator:
    result = launcher("start", "--port", str(port), "--state-dir", str(state_dir))
    if result.returncode != 0:
        pytest.fail(f"emulator did not start:\n{result.stdout}\n{result.stderr}", pytrace=False)
    env = read_env_file(state_dir / "emulator.env")
    return Emulator(endpoint=env["AWS_ENDPOINT_URL"], env=env, state_dir=state_dir, port=port)


def stop_emulator(state_dir: Path) -> None:
    result = launcher("stop", "--state-dir", str(state_dir))
    if result.returncode != 0:
        sys.stderr.write(f"emulator stop failed:\n{result.stdout}\n{result.stderr}\n")


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    state_dir = tmp_path_factory.mktemp("emulator-state")
    saved: dict[str, str | None] = {}
    try:
        started = start_emulator(state_dir, free_port())
        saved = {key: os.environ.get(key) for key in started.env}
        os.environ.update(started.env)
        yield started
    finally:
        stop_emulator(state_dir)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def emulator_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The launcher CLI (``emulator_cli("status", "--state-dir", d)``), for tests of its own."""
    return launcher


@pytest.fixture
def unused_port() -> int:
    return free_port()


# Last: after -m and -k have deselected what does not run.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (each worker collects the same list and orders it the same way), start
    the costliest tests on different workers (tests/support/schedule.py); `cost(seconds,
    group=...)` marks them, a group's tests going to one worker."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    entries = []
    for item in items:
        mark = item.get_closest_marker("cost")
        cost = float(mark.args[0]) if mark else 0.0
        entries.append(Entry(cost, str(mark.kwargs.get("group", "")) if mark else ""))
    items[:] = [items[index] for index in arrange(entries, workers)]
