"""The Lambda functions' handlers (apps/lambda/*) run in-process against the emulator: the
prediction function reads a trained model from S3, the mobile API keeps each user's items in
DynamoDB and pushes through SNS, AKB's storage report counts two buckets into a third. Lambda
itself cannot run code in the emulator (moto needs Docker for Invoke), so the handlers are called
here with the events API Gateway and EventBridge send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Emulator
from support.source import load_source

trainer = load_source("roles/model_trainer/files/model_trainer.py")
prediction = load_source("apps/lambda/prediction/handler.py")
mobile = load_source("apps/lambda/mobile_api/handler.py")
report = load_source("apps/lambda/akb_storage_report/handler.py")
REGION = "eu-west-2"


def proxy(
    method: str, resource: str, body: Any = None, user: str | None = "u-1", **path: str
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "httpMethod": method,
        "resource": resource,
        "pathParameters": path or None,
        "body": json.dumps(body) if body is not None else None,
        "requestContext": {"authorizer": {"claims": {"sub": user}} if user else {}},
    }
    return event


def answer(response: dict[str, Any]) -> tuple[int, Any]:
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def test_prediction_reads_the_published_model(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = {**trainer.train(trainer.generate(400, seed=5)), "version": "v-test"}
    s3 = emulator.client("s3", REGION)
    bucket = "handler-test-models"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="models/m.json", Body=json.dumps(model).encode())
    monkeypatch.setenv("MODEL_BUCKET", bucket)
    monkeypatch.setenv("MODEL_KEY", "models/m.json")
    monkeypatch.setattr(prediction, "_MODEL", None)

    def call(event: dict[str, Any]) -> tuple[int, Any]:
        return answer(prediction.handler(event, s3=s3))

    status, body = call(proxy("POST", "/predict", {"features": [9, 30, 6, 1]}))
    low = call(proxy("POST", "/predict", {"features": [1, 1, 1, 0]}))[1]
    assert status == 200 and body["model"] == model["version"]
    assert 0.5 < body["probability"] <= 1 and 0 <= low["probability"] < body["probability"]
    assert call(proxy("POST", "/predict", {"features": [1]}))[0] == 400
    assert call(proxy("GET", "/predict"))[0] == 405


def test_mobile_api_keeps_each_users_items_and_pushes(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, sns = emulator.client("dynamodb", REGION), emulator.client("sns", REGION)
    table = "handler-test-app-data"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    topic = sns.create_topic(Name="handler-test-push")["TopicArn"]
    monkeypatch.setenv("TABLE_NAME", table)
    monkeypatch.setenv("PUSH_TOPIC_ARN", topic)
    aws = (dynamodb, sns)

    def call(*args: Any, **kwargs: Any) -> tuple[int, Any]:
        return answer(mobile.handler(proxy(*args, **kwargs), aws=aws))

    assert call("POST", "/items", {"id": "a1", "data": {"n": 1}}) == (
        201,
        {"id": "a1", "data": {"n": 1}},
    )
    assert call("POST", "/items", {"id": "b2", "data": {"n": 2}}, user="u-2")[0] == 201
    assert call("GET", "/items") == (200, {"items": [{"id": "a1", "data": {"n": 1}}]})
    assert call("GET", "/items/{id}", id="a1") == (200, {"id": "a1", "data": {"n": 1}})
    assert call("GET", "/items/{id}", id="b2")[0] == 404, "another user's item was readable"
    assert call("DELETE", "/items/{id}", id="a1") == (204, None)
    assert call("GET", "/items") == (200, {"items": []})
    stored = dynamodb.scan(TableName=table)["Items"]
    assert [i["pk"]["S"] for i in stored] == ["user#u-2"]
    assert call("POST", "/items", {"id": "../x"})[0] == 400
    assert call("GET", "/items", user=None)[0] == 401
    status, sent = call("POST", "/notify", {"message": "hello"})
    assert status == 202 and sent["message_id"]
    assert call("POST", "/notify", {"message": ""})[0] == 400
    assert call("PUT", "/elsewhere")[0] == 404


def test_storage_report_counts_by_folder_and_class(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = emulator.client("s3", REGION)
    where = {"LocationConstraint": REGION}
    for bucket in ("report-test-docs", "report-test-media"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
    s3.put_object(Bucket="report-test-docs", Key="events/a.pdf", Body=b"x" * 10)
    s3.put_object(Bucket="report-test-docs", Key="events/b.pdf", Body=b"x" * 5)
    s3.put_object(Bucket="report-test-docs", Key="readme.txt", Body=b"x" * 2)
    s3.put_object(
        Bucket="report-test-media", Key="webinars/w.mp4", Body=b"x" * 7, StorageClass="GLACIER"
    )
    monkeypatch.setenv("BUCKETS", "report-test-docs,report-test-media")
    monkeypatch.setenv("REPORT_BUCKET", "report-test-docs")
    monkeypatch.setenv("REPORT_PREFIX", "reports/storage/")
    # The event EventBridge sends for a scheduled rule (its time decides the report's day).
    event = {
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "time": "2026-11-24T05:00:00Z",
    }
    result = report.handler(event, s3=s3)
    assert result == {"report": "reports/storage/2026-11-24.json", "objects": 4}
    body = s3.get_object(Bucket="report-test-docs", Key=result["report"])["Body"].read()
    docs = json.loads(body)["buckets"]["report-test-docs"]
    assert (docs["objects"], docs["bytes"]) == (3, 17)
    assert docs["folders"] == {
        "events": {"objects": 2, "bytes": 15},
        "": {"objects": 1, "bytes": 2},
    }
    media = json.loads(body)["buckets"]["report-test-media"]
    assert media["classes"] == {"GLACIER": 1} and media["folders"]["webinars"]["bytes"] == 7
    # The next day's report also counts the first report, which now sits in the documents bucket.
    later = report.handler({**event, "time": "2026-11-25T05:00:00Z"}, s3=s3)
    assert later == {"report": "reports/storage/2026-11-25.json", "objects": 5}
