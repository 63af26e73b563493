"""Install a WordPress site once (what its install page does), on the host, against the local
Apache: site title, administrator. The administrator's password is generated here, once, into a
root-only file (ADMIN_FILE) and never passes through Ansible. Prints ok, changed (or, with
--check, what it would do).

usage: install-site.py HOST ADMIN_FILE TITLE USER EMAIL PUBLIC [--check]"""

from __future__ import annotations

import http.client
import os
import secrets
import string
import sys
import urllib.parse


def request(host: str, method: str, path: str, body: str | None = None) -> tuple[int, str]:
    headers = {"Host": host, "X-Forwarded-Proto": "https"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", 80, timeout=60)
    connection.request(method, path, body, headers)
    reply = connection.getresponse()
    return reply.status, reply.read().decode("utf-8", "replace")


def admin_password(path: str, user: str) -> str:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as stored:
            return stored.read().split()[1]
    password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, f"{user} {password}\n".encode())
    os.fsync(fd)
    os.close(fd)
    os.rename(path + ".tmp", path)
    return password


def main() -> int:
    host, admin_file, title, user, email, public = sys.argv[1:7]
    check = "--check" in sys.argv[7:]
    status, page = request(host, "GET", "/wp-admin/install.php")
    if "Already Installed" in page:
        print("ok")
        return 0
    if status != 200 or ('name="weblog_title"' not in page and "step=1" not in page):
        print(f"install-site: unexpected install page ({status}): {page[:400]}", file=sys.stderr)
        return 1
    if check:
        print("changed")
        return 0
    password = admin_password(admin_file, user)
    form = {
        "weblog_title": title,
        "user_name": user,
        "admin_password": password,
        "admin_password2": password,
        "pw_weak": "1",
        "admin_email": email,
        "blog_public": "1" if public == "true" else "0",
        "language": "",
    }
    status, page = request(
        host, "POST", "/wp-admin/install.php?step=2", urllib.parse.urlencode(form)
    )
    if status != 200 or "Success!" not in page:
        print(f"install-site: the install failed ({status}): {page[:400]}", file=sys.stderr)
        return 1
    print("changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
