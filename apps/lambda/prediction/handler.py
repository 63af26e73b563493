"""Cubed's real-time prediction function, behind API Gateway (Lambda proxy integration).

POST /predict  {"features": [pages_viewed, minutes_on_site, visits, came_from_search]}
               -> 200 {"probability": 0.42, "model": <version>}

The model is the JSON artefact the model trainers publish to S3 (MODEL_BUCKET, MODEL_KEY), read
once per execution environment and kept while the function stays warm.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

_MODEL: dict[str, Any] | None = None


def load_model(s3: Any = None) -> dict[str, Any]:
    """The published model, fetched on the first call of a cold start."""
    global _MODEL
    if _MODEL is None:
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        body = s3.get_object(Bucket=os.environ["MODEL_BUCKET"], Key=os.environ["MODEL_KEY"])["Body"]
        _MODEL = json.loads(body.read())
    return _MODEL


def score(model: dict[str, Any], features: list[float]) -> float:
    """Logistic regression over standardised features (the trainer's formula)."""
    if len(features) != len(model["weights"]):
        raise ValueError(f"expected {len(model['weights'])} features, got {len(features)}")
    terms = zip(model["weights"], features, model["means"], model["stds"], strict=True)
    z = model["bias"] + sum(w * (v - m) / s for w, v, m, s in terms)
    return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


def reply(status: int, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(document),
    }


def handler(event: dict[str, Any], context: Any = None, s3: Any = None) -> dict[str, Any]:
    """API Gateway proxy event -> proxy response."""
    if event.get("httpMethod") != "POST":
        return reply(405, {"error": "use POST"})
    try:
        features = [float(v) for v in json.loads(event.get("body") or "{}")["features"]]
        model = load_model(s3)
        return reply(200, {"probability": score(model, features), "model": model.get("version")})
    except (ValueError, KeyError, TypeError) as error:
        return reply(400, {"error": str(error)})
