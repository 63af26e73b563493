"""Customer-attribution prediction API: a small WSGI service run by gunicorn.

GET  /health    200 {"status": "ok", "model": <version or null>, "release": <APP_RELEASE or null>,
                     "pid": <worker pid>}
POST /predict   {"features": [pages_viewed, minutes_on_site, visits, came_from_search]}
                -> 200 {"probability": 0.42, "model": <version>}

The model is the JSON artefact model_trainer publishes; PREDICTION_MODEL_PATH names the file.
It is read once per worker, so `systemctl reload` (gunicorn HUP: new workers, old ones finish
their requests) picks up both new code and a new model without dropping a request.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
MAX_BODY = 64 * 1024


def load_model(path: str) -> dict[str, Any] | None:
    if not path or not Path(path).is_file():
        return None
    return json.loads(Path(path).read_text())


def probability(model: dict[str, Any], features: list[float]) -> float:
    if len(features) != len(model["weights"]):
        raise ValueError(f"expected {len(model['weights'])} features, got {len(features)}")
    terms = zip(model["weights"], features, model["means"], model["stds"], strict=True)
    z = model["bias"] + sum(w * (v - m) / s for w, v, m, s in terms)
    return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


def make_app(
    model: dict[str, Any] | None, release: str | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    version = model.get("version") if model else None

    def reply(start: StartResponse, status: str, document: dict[str, Any]) -> list[bytes]:
        body = json.dumps(document).encode()
        start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def application(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
        if path == "/health" and method == "GET":
            return reply(
                start,
                "200 OK",
                {"status": "ok", "model": version, "release": release, "pid": os.getpid()},
            )
        if path != "/predict":
            return reply(start, "404 Not Found", {"error": "not found"})
        if method != "POST":
            return reply(start, "405 Method Not Allowed", {"error": "use POST"})
        if model is None:
            return reply(start, "503 Service Unavailable", {"error": "no model loaded"})
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            features = [
                float(v) for v in json.loads(environ["wsgi.input"].read(length))["features"]
            ]
            return reply(
                start, "200 OK", {"probability": probability(model, features), "model": version}
            )
        except (ValueError, KeyError, TypeError) as error:
            return reply(start, "400 Bad Request", {"error": str(error)})

    return application


application = make_app(
    load_model(os.environ.get("PREDICTION_MODEL_PATH", "")), os.environ.get("APP_RELEASE") or None
)
