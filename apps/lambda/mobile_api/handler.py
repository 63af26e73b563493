"""The mobile app's API handler, behind API Gateway (Lambda proxy, Cognito authorizer).

Every request acts for the signed-in user (the Cognito `sub` claim); items live in the DynamoDB
table TABLE_NAME under the partition key `pk` = "user#<sub>" and the sort key `sk` = "item#<id>".

GET    /items          -> 200 {"items": [...]}            the user's items
POST   /items          {"id": "...", "data": {...}} -> 201 the item
GET    /items/{id}     -> 200 the item | 404
DELETE /items/{id}     -> 204
POST   /notify         {"message": "..."} -> 202 {"message_id": ...}   push via SNS PUSH_TOPIC_ARN
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def reply(status: int, document: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(document) if document is not None else "",
    }


def user_of(event: dict[str, Any]) -> str | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    sub = claims.get("sub")
    return str(sub) if sub else None


def clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("dynamodb"), boto3.client("sns")


def as_item(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["sk"]["S"].removeprefix("item#"), "data": json.loads(record["data"]["S"])}


def handler(
    event: dict[str, Any], context: Any = None, aws: tuple[Any, Any] | None = None
) -> dict[str, Any]:
    """API Gateway proxy event -> proxy response."""
    user = user_of(event)
    if user is None:
        return reply(401, {"error": "no signed-in user"})
    dynamodb, sns = aws or clients()
    table, method = os.environ["TABLE_NAME"], event.get("httpMethod", "")
    resource = event.get("resource", "")
    item_id = (event.get("pathParameters") or {}).get("id")
    key = {"pk": {"S": f"user#{user}"}}
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return reply(400, {"error": "body is not JSON"})
    if resource == "/items" and method == "GET":
        found = dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": key["pk"]},
        )
        return reply(200, {"items": [as_item(r) for r in found.get("Items", [])]})
    if resource == "/items" and method == "POST":
        new_id = str(body.get("id", ""))
        if not ITEM_ID.match(new_id):
            return reply(400, {"error": "id: 1-64 letters, digits, - or _"})
        data = json.dumps(body.get("data", {}))
        dynamodb.put_item(
            TableName=table, Item={**key, "sk": {"S": f"item#{new_id}"}, "data": {"S": data}}
        )
        return reply(201, {"id": new_id, "data": json.loads(data)})
    if resource == "/items/{id}" and item_id and ITEM_ID.match(item_id):
        item_key = {**key, "sk": {"S": f"item#{item_id}"}}
        if method == "GET":
            found = dynamodb.get_item(TableName=table, Key=item_key).get("Item")
            return reply(200, as_item(found)) if found else reply(404, {"error": "no such item"})
        if method == "DELETE":
            dynamodb.delete_item(TableName=table, Key=item_key)
            return reply(204)
    if resource == "/notify" and method == "POST":
        message = str(body.get("message", ""))[:2048]
        if not message:
            return reply(400, {"error": "message is empty"})
        sent = sns.publish(
            TopicArn=os.environ["PUSH_TOPIC_ARN"],
            Message=message,
            MessageAttributes={"user": {"DataType": "String", "StringValue": user}},
        )
        return reply(202, {"message_id": sent["MessageId"]})
    return reply(404, {"error": "no such route"})
