"""The BIND role, queried from this host with dig over the instance's bridge address."""

from __future__ import annotations

import re
import subprocess

import pytest
from testinfra.host import Host


def _dig(address: str, *args: str) -> str:
    return subprocess.run(
        ["dig", f"@{address}", "+time=3", "+tries=1", *args],
        capture_output=True, text=True, timeout=15, check=True,
    ).stdout  # fmt: skip


def _short(address: str, name: str, rtype: str) -> list[str]:
    return _dig(address, name, rtype, "+short").split()


def _flags(answer: str) -> set[str]:
    match = re.search(r";; flags: ([a-z ]+);", answer)
    assert match, answer
    return set(match.group(1).split())


def _status(answer: str) -> str:
    match = re.search(r"status: ([A-Z]+)", answer)
    assert match, answer
    return match.group(1)


def _serial(address: str, zone: str) -> int:
    return int(_short(address, zone, "SOA")[2])


@pytest.mark.parametrize(
    ("name", "rtype", "expected"),
    [
        ("docs.withcubed.internal", "A", ["10.3.63.20"]),
        ("ns1.withcubed.internal", "A", ["10.3.63.10"]),
        ("wiki.withcubed.internal", "CNAME", ["docs.withcubed.internal."]),
        ("withcubed.internal", "TXT", ['"estate=cubed"']),
        ("withcubed.internal", "NS", ["ns1.withcubed.internal."]),
        ("uat1.withcubed.local", "A", ["10.3.63.17"]),
        ("uat.withcubed.local", "CNAME", ["uat1.withcubed.local."]),
        ("cubed.test", "TXT", ['"layer=group"']),
    ],
)
def test_records_are_served(address: str, name: str, rtype: str, expected: list[str]) -> None:
    assert _short(address, name, rtype) == expected


def test_cname_is_followed_inside_the_zone(address: str) -> None:
    assert _short(address, "wiki.withcubed.internal", "A") == [
        "docs.withcubed.internal.",
        "10.3.63.20",
    ]


def test_record_ttl(address: str) -> None:
    answer = _dig(address, "uat1.withcubed.local", "A", "+noall", "+answer").split()
    assert answer[1] == "60"


def test_soa_is_authoritative_and_layers_merge(address: str) -> None:
    answer = _dig(address, "withcubed.local", "SOA")
    assert _status(answer) == "NOERROR"
    assert "aa" in _flags(answer)
    mname, rname = _short(address, "withcubed.local", "SOA")[:2]
    assert mname == "ns1.withcubed.internal."
    assert rname == "dns-admin.withcubed.internal.", "host layer must override the SOA contact"
    assert _short(address, "withcubed.internal", "SOA")[1] == "hostmaster.withcubed.internal."


def test_missing_name_is_nxdomain(address: str) -> None:
    answer = _dig(address, "nothing-here.withcubed.internal", "A")
    assert _status(answer) == "NXDOMAIN"
    assert "aa" in _flags(answer)


def test_recursion_refused_outside_allow_recursion(address: str) -> None:
    # A name outside the local zones: this host is not in allow-recursion, so BIND refuses it
    # without forwarding anything (and never offers recursion).
    answer = _dig(address, "example.org", "A")
    assert _status(answer) == "REFUSED"
    assert "ra" not in _flags(answer)
    assert "ra" not in _flags(_dig(address, "docs.withcubed.internal", "A"))


def test_zone_transfer_refused(address: str) -> None:
    answer = _dig(address, "withcubed.internal", "AXFR")
    assert "Transfer failed" in answer
    assert "10.3.63.20" not in answer


def test_version_hidden(address: str) -> None:
    assert _dig(address, "version.bind", "TXT", "CH", "+short").split() == ['"none"']


def test_effective_config_forwards_only(host: Host) -> None:
    config = host.check_output("named-checkconf -p")
    assert re.search(r"forwarders \{\s*127\.0\.0\.1 port 5353;\s*\};", config), config
    assert "forward only;" in config
    assert re.search(r"allow-transfer\s*\{\s*\"?none\"?;\s*\};", config), config
    assert "notify no;" in config
    host.run_expect([0], "named-checkconf -z")


def test_service_running_and_enabled(host: Host) -> None:
    service = host.service("named")
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize("zone", ["withcubed.internal", "withcubed.local", "cubed.test"])
def test_serial_kept_by_idempotence_run(address: str, host: Host, zone: str) -> None:
    # converge.yml keeps a copy of each zone file as the first converge wrote it; the
    # idempotence run (and the --check runs) must have left the serial alone.
    first = host.file(f"/root/first-converge/{zone}.zone").content_string
    match = re.search(r"(\d+) ; serial", first)
    assert match, first
    assert int(match.group(1)) > 1_700_000_000
    assert _serial(address, zone) == int(match.group(1))
    assert host.file(f"/var/lib/bind/estate/{zone}.zone").content_string == first
    assert "0 ; serial" in host.file(f"/var/lib/bind/estate/{zone}.canon").content_string
