"""Helpers shared by the Molecule scenarios' testinfra tests (loaded by pytest from molecule/)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest


def instance_address(name: str) -> str:
    """The bridge address of a podman instance (reachable from this host, never routed out)."""
    out = subprocess.run(
        ["podman", "inspect", "--format", "json", name], check=True, capture_output=True, text=True
    ).stdout
    networks = json.loads(out)[0]["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]


def port_open(address: str, port: int, timeout: float = 2.0) -> bool:
    """True when a TCP connection to address:port is accepted within the timeout."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def scenario_name() -> str:
    return os.environ["MOLECULE_SCENARIO_NAME"]


@pytest.fixture(scope="session")
def instance(scenario_name: str) -> str:
    return f"mol-{scenario_name}"


@pytest.fixture(scope="session")
def address(instance: str) -> str:
    return instance_address(instance)


@pytest.fixture(scope="session")
def ephemeral_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
