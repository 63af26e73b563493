"""The documentation server, fetched over HTTP from this host and inspected on the instance."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message

import pytest
from testinfra.host import Host

ROOT = "/opt/docs-server"


def _get(address: str, path: str) -> tuple[int, Message, str]:
    request = urllib.request.Request(
        f"http://{address}{path}", headers={"Host": "docs.withcubed.internal"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_home_page_is_the_built_site(address: str) -> None:
    status, headers, body = _get(address, "/")
    assert status == 200
    assert "<h1" in body and "Cubed Estate Handbook Zephyr-42" in body
    assert "<title>Cubed Platform Handbook</title>" in body
    assert headers["Server"] == "nginx"


def test_second_page_exists(address: str) -> None:
    status, _, body = _get(address, "/runbook/")
    assert status == 200
    assert "Operations Runbook" in body


def test_missing_page_is_404(address: str) -> None:
    status, _, _ = _get(address, "/no-such-page/")
    assert status == 404


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ],
)
def test_security_headers(address: str, header: str, value: str) -> None:
    _, headers, _ = _get(address, "/")
    assert headers[header] == value
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_built_once(host: Host) -> None:
    # converge built the site; the idempotence run and both --check runs must not have.
    builds = host.check_output(f"find {ROOT}/builds -mindepth 1 -maxdepth 1 -type d").split()
    assert len(builds) == 1, builds
    assert host.file(f"{ROOT}/current").linked_to == builds[0]


def test_sources_mirrored(host: Host) -> None:
    files = sorted(host.check_output(f"cd {ROOT}/src && find . -type f").split())
    assert files == ["./docs/index.md", "./docs/runbook.md", "./mkdocs.yml"]


def test_nginx_configuration(host: Host) -> None:
    assert host.run("nginx -t").rc == 0
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert host.service("nginx").is_running
    assert host.service("nginx").is_enabled


def test_mkdocs_pinned(host: Host) -> None:
    assert "version 1.6.1 " in host.check_output(f"{ROOT}/venv/bin/mkdocs --version")
