"""The model trainer and the prediction API, as plain Python (no instance, no S3)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from support.source import load_source

trainer = load_source("roles/model_trainer/files/model_trainer.py")
api = load_source("apps/prediction_api/prediction_api.py")


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return trainer.train(trainer.generate(800, seed=3))


def test_training_finds_the_signal(model: dict[str, Any]) -> None:
    # The generated journeys follow known weights: visits and search matter, positively.
    assert model["metrics"]["accuracy"] > 0.75
    assert all(w > 0 for w in model["weights"])


def test_generation_is_reproducible() -> None:
    assert trainer.generate(50, seed=1) == trainer.generate(50, seed=1)
    assert trainer.generate(50, seed=1) != trainer.generate(50, seed=2)


def test_jsonl_input_is_checked() -> None:
    good = ['{"features": [1, 2, 3, 1], "converted": 1}', ""]
    assert trainer.read_jsonl(good) == [([1.0, 2.0, 3.0, 1.0], 1)]
    with pytest.raises(ValueError, match="line 1: expected 4 features"):
        trainer.read_jsonl(['{"features": [1], "converted": 0}'])


def test_trainer_refuses_to_run_without_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    assert trainer.main({}) == 2
    assert "MODEL_TRAINER_BUCKET and MODEL_TRAINER_KEY are required" in capsys.readouterr().err


def _call(app: Any, method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    """The JSON answer of one request, with the HTTP status under "_status"."""
    seen: dict[str, str] = {}

    def start(status: str, _headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    answer = json.loads(b"".join(app(environ, start)))
    return answer | {"_status": seen["status"]}


def test_api_agrees_with_the_trainer(model: dict[str, Any]) -> None:
    app = api.make_app(model | {"version": "v1"})
    features = [9.0, 20.0, 4.0, 1.0]
    answer = _call(app, "POST", "/predict", json.dumps({"features": features}).encode())
    assert answer["_status"] == "200 OK"
    assert answer["model"] == "v1"
    assert answer["probability"] == pytest.approx(trainer.predict(model, features))
    assert (
        answer["probability"]
        > _call(app, "POST", "/predict", json.dumps({"features": [1, 1, 1, 0]}).encode())[
            "probability"
        ]
    )


def test_api_errors(model: dict[str, Any]) -> None:
    app = api.make_app(model)
    assert _call(app, "POST", "/predict", b'{"features": [1]}')["_status"] == "400 Bad Request"
    assert _call(app, "GET", "/predict")["_status"] == "405 Method Not Allowed"
    assert _call(app, "GET", "/nope")["_status"] == "404 Not Found"
    no_model = api.make_app(None)
    assert _call(no_model, "GET", "/health")["model"] is None
    assert _call(no_model, "GET", "/health")["release"] is None
    assert _call(api.make_app(None, "2026.11.2"), "GET", "/health")["release"] == "2026.11.2"
    assert _call(no_model, "POST", "/predict", b"{}")["_status"] == "503 Service Unavailable"
