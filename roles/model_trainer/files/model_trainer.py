#!/usr/bin/python3
"""Train the attribution model and publish it to S3.

A deliberately small, dependency-free model: a logistic regression over customer-journey
features, fitted by batch gradient descent on journeys generated from a fixed seed (or read from
a JSON-lines file). The artefact is JSON that the prediction API loads as it is. Settings come
from the environment (the systemd unit's EnvironmentFile):

  MODEL_TRAINER_BUCKET, MODEL_TRAINER_KEY      where the artefact goes (required)
  MODEL_TRAINER_S3_ENDPOINT                    S3 endpoint (empty: AWS's own)
  MODEL_TRAINER_SSE_KMS_KEY_ID                 KMS key for server-side encryption (empty: SSE-S3)
  MODEL_TRAINER_DATA                           JSON-lines training data (empty: generated)
  MODEL_TRAINER_SAMPLES, MODEL_TRAINER_SEED    size and seed of the generated data
  MODEL_TRAINER_OUTPUT                         local copy of the artefact
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FEATURES = ("pages_viewed", "minutes_on_site", "visits", "came_from_search")
# The "truth" the generated journeys follow, so that training has something real to find.
_TRUE_WEIGHTS = (0.35, 0.08, 0.5, 1.2)
_TRUE_BIAS = -4.0

Sample = tuple[list[float], int]


def sigmoid(z: float) -> float:
    if z < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def generate(samples: int, seed: int) -> list[Sample]:
    """Customer journeys with a conversion label drawn from the true model."""
    rng = random.Random(seed)
    data: list[Sample] = []
    for _ in range(samples):
        x = [
            float(rng.randint(1, 12)),
            round(rng.uniform(0.5, 30.0), 2),
            float(rng.randint(1, 5)),
            float(rng.random() < 0.4),
        ]
        p = sigmoid(sum(w * v for w, v in zip(_TRUE_WEIGHTS, x, strict=True)) + _TRUE_BIAS)
        data.append((x, int(rng.random() < p)))
    return data


def read_jsonl(lines: Iterable[str]) -> list[Sample]:
    """Samples from JSON lines like {"features": [...], "converted": 0|1}."""
    data: list[Sample] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row = json.loads(line)
        features = [float(v) for v in row["features"]]
        if len(features) != len(FEATURES):
            raise ValueError(f"line {number}: expected {len(FEATURES)} features")
        data.append((features, int(row["converted"])))
    return data


def scaling(data: Sequence[Sample]) -> tuple[list[float], list[float]]:
    columns = list(zip(*(x for x, _ in data), strict=True))
    means = [sum(c) / len(c) for c in columns]
    stds = [
        math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0
        for c, m in zip(columns, means, strict=True)
    ]
    return means, stds


def train(data: Sequence[Sample], epochs: int = 300, rate: float = 0.5) -> dict[str, Any]:
    """Fit weights on standardised features; return the model as a JSON-ready dict."""
    if not data:
        raise ValueError("no training data")
    means, stds = scaling(data)
    rows = [([(v - m) / s for v, m, s in zip(x, means, stds, strict=True)], y) for x, y in data]
    weights = [0.0] * len(FEATURES)
    bias = 0.0
    n = len(rows)
    for _ in range(epochs):
        grad_w = [0.0] * len(weights)
        grad_b = 0.0
        for x, y in rows:
            error = sigmoid(sum(w * v for w, v in zip(weights, x, strict=True)) + bias) - y
            for i, v in enumerate(x):
                grad_w[i] += error * v
            grad_b += error
        weights = [w - rate * g / n for w, g in zip(weights, grad_w, strict=True)]
        bias -= rate * grad_b / n
    model = {
        "features": list(FEATURES),
        "means": means,
        "stds": stds,
        "weights": weights,
        "bias": bias,
    }
    correct = sum(int((predict(model, x) >= 0.5) == bool(y)) for x, y in data)
    model["metrics"] = {"samples": n, "accuracy": round(correct / n, 4)}
    return model


def predict(model: dict[str, Any], features: Sequence[float]) -> float:
    """Conversion probability of one journey (raw, unscaled features)."""
    z = model["bias"] + sum(
        w * (v - m) / s
        for w, v, m, s in zip(
            model["weights"], features, model["means"], model["stds"], strict=True
        )
    )
    return sigmoid(z)


def publish(body: bytes, bucket: str, key: str, endpoint: str, kms_key_id: str) -> None:
    import boto3  # only the upload needs it: training and its tests do not

    client = boto3.client("s3", endpoint_url=endpoint or None)
    extra: dict[str, str] = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    )
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **extra)


def main(env: dict[str, str]) -> int:
    bucket, key = env.get("MODEL_TRAINER_BUCKET", ""), env.get("MODEL_TRAINER_KEY", "")
    if not bucket or not key:
        print(
            "model_trainer: MODEL_TRAINER_BUCKET and MODEL_TRAINER_KEY are required",
            file=sys.stderr,
        )
        return 2
    started = time.time()
    source = env.get("MODEL_TRAINER_DATA", "")
    if source:
        data = read_jsonl(Path(source).read_text().splitlines())
    else:
        data = generate(
            int(env.get("MODEL_TRAINER_SAMPLES", "2000")), int(env.get("MODEL_TRAINER_SEED", "7"))
        )
    model = train(data)
    model["version"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    body = json.dumps(model, indent=2, sort_keys=True).encode()
    output = env.get("MODEL_TRAINER_OUTPUT", "")
    if output:
        Path(output).write_bytes(body)
    publish(
        body,
        bucket,
        key,
        env.get("MODEL_TRAINER_S3_ENDPOINT", ""),
        env.get("MODEL_TRAINER_SSE_KMS_KEY_ID", ""),
    )
    print(
        f"model_trainer: trained on {len(data)} samples, accuracy {model['metrics']['accuracy']}, "
        f"published s3://{bucket}/{key} in {time.time() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(dict(os.environ)))
