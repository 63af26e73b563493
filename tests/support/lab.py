"""What the local lab's tests share: the lab's containers by label, a last-resort cleanup, a
stack's playbooks run the way `make deploy` runs them (with the test's lab prefix, outputs and
caches in the test's own directory), and one request to a lab container.

Only loopback and the containers a test started are ever contacted: ``get`` refuses any address
outside the lab's podman networks (10.89.0.0/16)."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from conftest import Emulator

from support.playbook import REPO, PlaybookRun, run_play

# Every lab test's containers and network carry this prefix (lab_name_prefix), so a developer's
# own lab of the same stack is left alone.
PREFIX = "t-"


def podman(
    *args: str, stdin: str | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], input=stdin, capture_output=True, text=True, check=check, timeout=120
    )


def lab_containers(lab: str) -> list[str]:
    """Names of the containers of one lab (by its estate.lab label), running or not."""
    found = podman("ps", "-a", "--filter", f"label=estate.lab={lab}", "--format", "{{.Names}}")
    return sorted(found.stdout.split())


def remove_lab(lab: str) -> None:
    """Last-resort cleanup when a test failed before its teardown: the lab's containers and its
    network, nothing else."""
    names = lab_containers(lab)
    if names:
        podman("rm", "-f", "-t", "0", *names)
    podman("network", "rm", "-f", f"estate-lab-{lab}")


class Lab:
    """One stack's lab in a test's directory: playbooks run from there, outputs under it."""

    def __init__(self, emulator: Emulator, work: Path, stack: str) -> None:
        self.emulator, self.work, self.stack = emulator, work, stack
        self.outputs = work / stack

    def play(self, playbook: str, *args: str) -> PlaybookRun:
        return run_play(
            REPO / "playbooks" / playbook,
            "-e",
            f"stack_outputs_dir={self.outputs}",
            "-e",
            f"lab_name_prefix={PREFIX}",
            *args,
            inventory=str(REPO / "inventories" / self.stack),
            env={**self.emulator.env, "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(self.work / "facts")},
            timeout=1800,
            cwd=self.work,
        )

    def lab(self) -> dict[str, Any]:
        return json.loads((self.outputs / "lab" / "lab.json").read_text())


def ok(run: PlaybookRun, what: str) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-8000:]}"


def get(
    url: str, host: str, data: bytes | None = None, timeout: float = 10
) -> tuple[int, str, dict[str, str]]:
    """One request to a lab container (never anywhere else), TLS unverified (self-signed),
    redirects not followed: (status, body, headers)."""
    assert url.split("/")[2].split(":")[0].startswith("10.89."), f"not a lab address: {url}"
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, data=data, headers={"Host": host})
    try:
        with opener.open(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)
