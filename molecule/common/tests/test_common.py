"""The baseline role, checked from the outside (SSH, TCP) and through the instance's own tools."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import port_open
from testinfra.host import Host


def _ssh(address: str, key: Path, user: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
            f"{user}@{address}", *command,
        ],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def _sshd_effective(host: Host) -> dict[str, str]:
    lines = host.check_output("sshd -T").splitlines()
    return {k: v for k, _, v in (line.partition(" ") for line in lines)}


def test_sshd_effective_config_is_hardened(host: Host) -> None:
    config = _sshd_effective(host)
    assert config["permitrootlogin"] == "no"
    assert config["passwordauthentication"] == "no"
    assert config["kbdinteractiveauthentication"] == "no"
    assert config["x11forwarding"] == "no"
    assert config["maxauthtries"] == "3"
    assert set(config["ciphers"].split(",")) <= {
        "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
        "aes256-ctr", "aes192-ctr", "aes128-ctr",
    }  # fmt: skip
    assert "cbc" not in config["ciphers"]
    assert all("sha1" not in mac for mac in config["macs"].split(","))


def test_admin_logs_in_with_key_and_escalates(address: str, ephemeral_dir: Path) -> None:
    result = _ssh(address, ephemeral_dir / "alice_ed25519", "alice", "sudo", "-n", "id", "-u")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_password_and_root_logins_are_refused(address: str, ephemeral_dir: Path) -> None:
    key = ephemeral_dir / "alice_ed25519"
    as_root = _ssh(address, key, "root", "true")
    assert as_root.returncode == 255
    assert "Permission denied (publickey)" in as_root.stderr


def test_user_layers_merge(host: Host) -> None:
    assert "estate-admins" in host.user("alice").groups
    assert host.user("bob").exists
    assert "estate-admins" not in host.user("bob").groups
    assert not host.user("mallory").exists


@pytest.fixture
def listeners(host: Host) -> Iterator[None]:
    for port in (8080, 8081):
        host.run(f"systemd-run --unit=probe-{port} python3 -m http.server {port} --bind 0.0.0.0")
    for _ in range(50):
        if (
            host.socket("tcp://0.0.0.0:8080").is_listening
            and host.socket("tcp://0.0.0.0:8081").is_listening
        ):
            break
        time.sleep(0.1)
    yield
    host.run("systemctl stop probe-8080 probe-8081")


@pytest.mark.usefixtures("listeners")
def test_firewall_opens_only_declared_ports(address: str) -> None:
    assert port_open(address, 22)
    assert port_open(address, 8081), "declared through common/firewall_open, must be open"
    assert not port_open(address, 8080), "listening but undeclared, must be dropped"


def test_firewall_ruleset_is_the_managed_one(host: Host) -> None:
    elements = host.check_output("nft list set inet estate_filter tcp_ports")
    assert "22" in elements and "8081" in elements
    assert "policy drop" in host.check_output("nft list chain inet estate_filter input")
    assert host.service("nftables").is_enabled


def test_unattended_security_upgrades(host: Host) -> None:
    assert host.check_output("apt-config shell X APT::Periodic::Unattended-Upgrade") == "X='1'"
    dry = host.run("unattended-upgrade --dry-run --debug 2>&1")
    assert dry.rc == 0
    assert (
        "Allowed origins are: origin=Debian,codename=bookworm,label=Debian-Security" in dry.stdout
    )
    assert "o=Debian,a=stable" not in dry.stdout.split("Allowed origins are:")[1].split("\n")[0]


def test_time_and_kernel_and_journal(host: Host) -> None:
    assert (
        "server 169.254.169.123 prefer iburst"
        in host.file("/etc/chrony/chrony.conf").content_string
    )
    assert host.run("chronyd -p -f /etc/chrony/chrony.conf").rc == 0
    sysctl = host.file("/etc/sysctl.d/60-estate-hardening.conf").content_string
    assert "kernel.kptr_restrict = 2" in sysctl
    assert "net.ipv4.conf.all.accept_redirects = 0" in sysctl
    journald = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert "SystemMaxUse=500M" in journald
