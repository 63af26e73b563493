"""Apache + PHP-FPM + MariaDB + WordPress, checked over HTTP from this host (the instance's bridge
address only) and through the instance's own tools."""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.parse
from pathlib import Path

import pytest
from testinfra.host import Host

SALTS = "/etc/wordpress-salts-wordpress.php"
ROOT = "/var/www/wordpress"
TITLE = "Molecule Members Portal"


def _request(
    address: str,
    path: str,
    method: str = "GET",
    form: dict[str, str] | None = None,
    cookies: str = "",
) -> tuple[int, dict[str, str], str]:
    """One HTTP request to the instance, redirects not followed."""
    connection = http.client.HTTPConnection(address, 80, timeout=30)
    headers = {"Host": address}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = cookies
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode("utf-8", "replace"),
        )
    finally:
        connection.close()


@pytest.fixture(scope="module")
def installed(address: str) -> str:
    """Fresh site: redirected to the installer; completes the install and returns its answer."""
    status, headers, _ = _request(address, "/")
    assert status in (301, 302), "a site without tables must send visitors to the installer"
    assert headers["location"].endswith("/wp-admin/install.php")

    status, _, page = _request(address, "/wp-admin/install.php")
    assert status == 200
    assert "WordPress" in page
    assert 'id="setup"' in page or 'id="language"' in page
    assert "Welcome" in page or "language" in page

    status, _, page = _request(
        address,
        "/wp-admin/install.php?step=2",
        method="POST",
        form={
            "weblog_title": TITLE,
            "user_name": "moladmin",
            # pragma: allowlist nextline secret - throwaway test instance's admin password
            "admin_password": "Molecule-Only-Pass-9!",
            "admin_password2": "Molecule-Only-Pass-9!",  # pragma: allowlist secret
            "pw_weak": "1",
            "admin_email": "admin@example.org",
            "blog_public": "0",
            "language": "",
        },
    )
    assert status == 200
    assert "Success!" in page, page[-2000:]
    return page


def test_front_page_shows_the_site_title(address: str, installed: str) -> None:
    status, _, page = _request(address, "/")
    assert status == 200
    assert TITLE in page


def test_login_page_is_served_by_php(address: str, installed: str) -> None:
    status, _, page = _request(address, "/wp-login.php")
    assert status == 200
    assert 'name="log"' in page


def test_security_headers_and_server_tokens(address: str) -> None:
    _, headers, _ = _request(address, "/wp-login.php")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "permissions-policy" in headers
    assert headers["server"] == "Apache", "ServerTokens Prod hides the version and OS"
    assert "x-powered-by" not in headers, "expose_php is off"


def test_php_in_uploads_and_xmlrpc_are_refused(address: str) -> None:
    assert _request(address, "/wp-content/uploads/probe.php")[0] == 403
    assert _request(address, "/xmlrpc.php")[0] == 403
    assert _request(address, "/wp-config.php")[2] == "", "wp-config.php must never print anything"


def test_php_fpm_serves_php_not_mod_php(host: Host) -> None:
    modules = host.check_output("apache2ctl -M 2>/dev/null")
    assert "proxy_fcgi_module" in modules
    assert "mpm_event_module" in modules
    assert "php_module" not in modules and "php7_module" not in modules
    assert not host.package("libapache2-mod-php8.2").is_installed
    assert host.service("php8.2-fpm").is_running
    assert host.socket("unix:///run/php/php8.2-fpm.sock").is_listening
    # The FPM workers (not Apache's) run WordPress's PHP.
    assert "php-fpm: pool www" in host.check_output("ps -eo args")


def test_apache_configuration_is_valid(host: Host) -> None:
    result = host.run("apache2ctl -t")
    assert result.rc == 0, result.stderr
    assert "Syntax OK" in result.stderr


def test_database_is_local_and_private(host: Host) -> None:
    assert host.service("mariadb").is_running
    tables = host.check_output("mysql -N -e 'SHOW TABLES' wordpress")
    assert "wp_options" in tables
    # Listens on loopback only (Debian's default bind-address).
    assert not host.socket("tcp://0.0.0.0:3306").is_listening


def test_wp_config_is_private_and_complete(host: Host) -> None:
    config = host.file(f"{ROOT}/wp-config.php")
    assert config.user == "root"
    assert config.group == "www-data"
    assert config.mode == 0o640
    text = config.content_string
    assert "Ansible managed" in text
    assert "define( 'FS_METHOD', 'direct' );" in text
    assert "define( 'DISALLOW_FILE_EDIT', true );" in text
    assert f"require_once '{SALTS}';" in text


def test_salts_are_random_private_and_kept(host: Host, ephemeral_dir: Path) -> None:
    salts = host.file(SALTS)
    assert salts.user == "root"
    assert salts.group == "www-data"
    assert salts.mode == 0o640
    text = salts.content_string
    values = re.findall(r"define\('([A-Z_]+)', '([^']+)'\);", text)
    assert len(values) == 8
    assert len({value for _, value in values}) == 8
    assert all(len(value) == 64 for _, value in values)
    assert "put your unique phrase here" not in text
    assert "put your unique phrase here" not in host.file(f"{ROOT}/wp-config.php").content_string
    # converge.yml recorded the fingerprint of the first converge; the idempotence run since then
    # must not have regenerated them.
    first = (ephemeral_dir / "salts-first-converge.sha256").read_text().strip()
    assert hashlib.sha256(salts.content).hexdigest() == first


def test_files_belong_to_root_and_only_uploads_is_writable(host: Host) -> None:
    root = host.file(ROOT)
    assert (root.user, root.group, root.mode) == ("root", "www-data", 0o750)
    index = host.file(f"{ROOT}/wp-includes/version.php")
    assert (index.user, index.group, index.mode) == ("root", "www-data", 0o640)
    assert "$wp_version = '6.1.9';" in index.content_string
    uploads = host.file(f"{ROOT}/wp-content/uploads")
    assert (uploads.user, uploads.group, uploads.mode) == ("www-data", "www-data", 0o750)
    writable = host.check_output(
        f"find {ROOT} -path {ROOT}/wp-content/uploads -prune"
        " -o \\( -user www-data -o -perm /022 \\) -print"
    )
    assert writable == "", "only uploads may belong to or be writable by anyone but root"
    assert host.run(f"runuser -u www-data -- touch {ROOT}/wp-content/uploads/probe").rc == 0
    assert host.run(f"runuser -u www-data -- touch {ROOT}/wp-content/probe").rc != 0
    host.run(f"rm -f {ROOT}/wp-content/uploads/probe")
