#!/usr/bin/env python3
"""Embedded AWS emulator: moto server on 127.0.0.1 with the project's patch layer (./patches).

    emulator.py start  [--port 5055] [--state-dir .local] [--region us-east-1]
    emulator.py stop   [--state-dir .local]
    emulator.py status [--state-dir .local]
    emulator.py serve  --port N           (foreground; what `start` runs detached)

`start` is idempotent and leaves three files in the state directory: emulator.pid,
emulator.log (the server's output) and emulator.env (KEY=VALUE lines for `set -a; . file`).
See README.md beside this file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

HERE = Path(__file__).resolve().parent
# Loopback by default. ESTATE_EMULATOR_HOST may name another *local* address, such as the podman
# bridge gateway, so that test instances can reach the emulator; it is never bound to all
# interfaces.
HOST = os.environ.get("ESTATE_EMULATOR_HOST", "127.0.0.1")
if HOST in ("", "0.0.0.0", "::"):
    sys.exit("emulator: ESTATE_EMULATOR_HOST must be one local address, not all interfaces")
DEFAULT_PORT = 5055
DEFAULT_REGION = "us-east-1"
DEFAULT_STATE_DIR = ".local"
SERVICE_NAME = "estate-emulator"
HEALTH_PATH = "/_emulator/health"
PID_FILE = "emulator.pid"
LOG_FILE = "emulator.log"
ENV_FILE = "emulator.env"
LOCK_FILE = "emulator.lock"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
KILL_TIMEOUT_S = 5.0
POLL_S = 0.1


# --- small helpers ---------------------------------------------------------------------------


def endpoint(port: int) -> str:
    return f"http://{HOST}:{port}"


def emulator_env(port: int, region: str) -> dict[str, str]:
    """The variables that point AWS clients (boto3, amazon.aws, the CLI) at the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint(port),
        "AWS_ACCESS_KEY_ID": "testing",
        # pragma: allowlist nextline secret - the emulator's fake credentials
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "ESTATE_TARGET": "local",
    }


def say(message: str) -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Serialize start/stop on one state directory (concurrent `make` or pytest workers)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def log_tail(state_dir: Path, lines: int = 40) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# --- processes -------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_ours(pid: int) -> bool:
    """A live `emulator.py serve` process (guards against a recycled pid)."""
    args = cmdline(pid)
    return alive(pid) and "serve" in args and any(arg.endswith("emulator.py") for arg in args)


def serve_port(pid: int) -> int | None:
    args = cmdline(pid)
    if "--port" in args and args.index("--port") + 1 < len(args):
        with contextlib.suppress(ValueError):
            return int(args[args.index("--port") + 1])
    return None


def wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(POLL_S)
    return not alive(pid)


def terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, STOP_TIMEOUT_S):
        return
    warn(f"emulator (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s: sending SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_gone(pid, KILL_TIMEOUT_S)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


# --- health ----------------------------------------------------------------------------------


def health(port: int, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """The emulator's health document, or None when nothing of ours answers on the port."""
    try:
        with urllib.request.urlopen(endpoint(port) + HEALTH_PATH, timeout=timeout_s) as reply:
            document = json.loads(reply.read())
    except (OSError, ValueError):
        return None
    if isinstance(document, dict) and document.get("service") == SERVICE_NAME:
        return document
    return None


def running(state_dir: Path) -> tuple[int, int] | None:
    """(pid, port) of a live, healthy emulator of ours recorded in the state directory."""
    pid = read_pid(state_dir)
    if pid is None or not is_ours(pid):
        return None
    port = serve_port(pid)
    if port is None:
        return None
    document = health(port)
    if document is None or document.get("pid") != pid:
        return None
    return pid, port


def wait_healthy(process: subprocess.Popen[bytes], port: int) -> str | None:
    """None once the new server answers its health check, else why it did not."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the server exited with code {process.returncode}"
        document = health(port, timeout_s=1.0)
        if document is not None and document.get("pid") == process.pid:
            return None
        time.sleep(POLL_S)
    return f"no health answer on {endpoint(port)} within {START_TIMEOUT_S:.0f} s"


def warm_up(port: int, region: str) -> None:
    """Pay moto's first-call costs now (EC2 backend set-up, IAM managed policies) once."""
    import boto3  # late: `serve` and `stop` do not need it

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    session.client("ec2", endpoint_url=endpoint(port)).describe_availability_zones()
    session.client("iam", endpoint_url=endpoint(port)).list_roles(MaxItems=1)


# --- commands --------------------------------------------------------------------------------


def write_env(state_dir: Path, port: int, region: str) -> Path:
    path = state_dir / ENV_FILE
    lines = [f"{key}={value}" for key, value in emulator_env(port, region).items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def spawn(port: int, state_dir: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(HERE / "emulator.py"), "serve", "--port", str(port)]
    with open(state_dir / LOG_FILE, "wb") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )


def failed_start(state_dir: Path, reason: str) -> int:
    warn(f"emulator failed to start: {reason}")
    warn(f"--- last lines of {state_dir / LOG_FILE}:")
    warn(log_tail(state_dir))
    return 1


def launch(state_dir: Path, port: int, region: str) -> int:
    if port_in_use(port):
        warn(f"emulator cannot start: port {port} on {HOST} is already in use by something else")
        return 1
    process = spawn(port, state_dir)
    (state_dir / PID_FILE).write_text(f"{process.pid}\n")
    reason = wait_healthy(process, port)
    if reason is not None:
        terminate(process.pid)
        process.wait()
        remove(state_dir / PID_FILE)
        return failed_start(state_dir, reason)
    try:
        warm_up(port, region)
    except Exception as error:  # any failure of the first calls means the emulator is unusable
        terminate(process.pid)
        process.wait()
        remove(state_dir / PID_FILE)
        return failed_start(state_dir, f"warm-up call failed: {error}")
    env_file = write_env(state_dir, port, region)
    say(f"emulator started on {endpoint(port)} (pid {process.pid}); environment: {env_file}")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    with locked(state_dir):
        current = running(state_dir)
        if current is not None:
            pid, port = current
            if port != args.port:
                where = f"{endpoint(port)} (pid {pid})"
                warn(f"emulator already running on {where}, not on port {args.port}: stop it first")
                return 1
            if not (state_dir / ENV_FILE).exists():
                write_env(state_dir, port, args.region)
            say(f"emulator already running on {endpoint(port)}")
            return 0
        stale = read_pid(state_dir)
        if stale is not None and is_ours(stale):
            warn(f"emulator pid {stale} does not answer its health check: stopping it")
            terminate(stale)
        remove(state_dir / PID_FILE)
        return launch(state_dir, args.port, args.region)


def cmd_stop(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    with locked(state_dir):
        pid = read_pid(state_dir)
        if pid is None:
            say("emulator not running (no pid file)")
            return 0
        if not is_ours(pid):
            say(f"emulator not running (stale pid file for pid {pid} removed)")
            remove(state_dir / PID_FILE)
            return 0
        terminate(pid)
        remove(state_dir / PID_FILE)
        if alive(pid):
            warn(f"emulator (pid {pid}) is still alive after SIGKILL")
            return 1
        say(f"emulator stopped (pid {pid})")
        return 0


def cmd_status(args: argparse.Namespace) -> int:
    current = running(Path(args.state_dir))
    if current is None:
        say("emulator not running")
        return 1
    pid, port = current
    say(f"emulator running on {endpoint(port)} (pid {pid})")
    return 0


def with_health(app: WSGIApplication, document: dict[str, Any]) -> WSGIApplication:
    """Answer HEALTH_PATH ourselves; everything else goes to moto."""
    body = json.dumps(document).encode()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response("200 OK", headers)
            return [body]
        return app(environ, start_response)

    return application


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    os.environ.setdefault("MOTO_PORT", str(args.port))
    sys.path.insert(0, str(HERE))
    import moto
    import patches
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    applied = patches.apply_all()
    document = {"service": SERVICE_NAME, "pid": os.getpid(), "port": args.port}
    document |= {"moto": moto.__version__, "patches": applied}
    app = with_health(DomainDispatcherApplication(create_backend_app), document)
    server = make_server(HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler)

    def shut_down(signum: int, _frame: Any) -> None:
        say(f"signal {signum}: shutting down")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    say(f"emulator serving on {endpoint(args.port)} (moto {moto.__version__})")
    say(f"patches applied: {', '.join(applied)}")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    say("emulator stopped")
    return 0


# --- CLI -------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start in the background (idempotent)")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument("--region", default=DEFAULT_REGION)
    start.set_defaults(handler=cmd_start)
    stop = commands.add_parser("stop", help="stop the background emulator (idempotent)")
    stop.set_defaults(handler=cmd_stop)
    status = commands.add_parser("status", help="exit 0 and print the endpoint when healthy")
    status.set_defaults(handler=cmd_status)
    for sub in (start, stop, status):
        sub.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    serve = commands.add_parser("serve", help="run moto with the patches in the foreground")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.set_defaults(handler=cmd_serve)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
