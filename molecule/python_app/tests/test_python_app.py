"""The prediction API through nginx: health, predictions, isolation, a reload that drops nothing."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from conftest import port_open
from testinfra.host import Host


def _get(url: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, json.loads(reply.read()), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), dict(error.headers)


def _predict(address: str, features: list[float]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://{address}/predict",
        data=json.dumps({"features": features}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.loads(reply.read())


def test_health_through_nginx(address: str) -> None:
    status, body, headers = _get(f"http://{address}/health")
    assert status == 200
    assert body["status"] == "ok" and body["model"] == "molecule-1"
    assert headers["Server"] == "nginx"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_predictions_use_the_model(address: str) -> None:
    keen = _predict(address, [10, 25, 5, 1])["probability"]
    idle = _predict(address, [1, 1, 1, 0])["probability"]
    assert 0 < idle < keen < 1


def test_gunicorn_is_private_and_unprivileged(host: Host, address: str) -> None:
    assert host.socket("tcp://127.0.0.1:8000").is_listening
    assert not port_open(address, 8000)
    workers = host.process.filter(comm="gunicorn")
    assert len(workers) == 3  # master + 2 workers
    assert {p.user for p in workers} == {"prediction-api"}
    assert host.file("/opt/prediction-api/app/prediction_api.py").user == "root"
    assert host.run("nginx -t").rc == 0


def test_reload_drops_no_request(host: Host, address: str) -> None:
    before = {_get(f"http://{address}/health")[1]["pid"] for _ in range(10)}
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            statuses.append(_get(f"http://{address}/health")[0])

    thread = threading.Thread(target=hammer)
    thread.start()
    time.sleep(0.5)
    assert host.run("systemctl reload prediction-api").rc == 0
    time.sleep(2.5)
    stop.set()
    thread.join()
    after = {_get(f"http://{address}/health")[1]["pid"] for _ in range(10)}
    assert len(statuses) > 20
    assert set(statuses) == {200}
    assert not before & after, "the reload must have replaced every worker"
