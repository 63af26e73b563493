"""Pure-Python parts of the monitoring tier: the alarms derived from the tiers' outputs, the
dashboard body, and estate.aws.metric_alarms' comparison. No AWS."""

from __future__ import annotations

from support.source import load_plugin

monitoring = load_plugin("filter/monitoring.py")
metric_alarms = load_plugin("modules/metric_alarms.py")

OUTPUTS = {
    "aws_compute_outputs": {"instances": {"docs": ["i-1"]}, "asgs": {"web": "arn:asg"}},
    "aws_loadbalancing_outputs": {
        "albs": {
            "dash": {"arn": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/dash/abc"},
            "no-arn": {"dns_name": "x"},
        }
    },
    "aws_database_outputs": {"instances": {"main": {"identifier": "cubed-main"}}},
    "aws_tenants_outputs": {
        "tenants": {
            "a": {
                "queue_arn": "arn:aws:sqs:eu-west-1:1:c-a",
                "dead_letter_arn": "arn:aws:sqs:eu-west-1:1:c-dl",
            },
            "b": {
                "queue_arn": "arn:aws:sqs:eu-west-1:1:c-b",
                "dead_letter_arn": "arn:aws:sqs:eu-west-1:1:c-dl",
            },
            "mail-only": {"domain": "x.example"},
        }
    },
    "aws_serverless_outputs": {"functions": {"predict": {"name": "cubed-predict"}}},
}


def test_alarms_cover_every_resource_once() -> None:
    alarms = monitoring.monitoring_alarms(OUTPUTS, "cubed-", {"queue_age_seconds": 600})
    by_name = {a["name"]: a for a in alarms}
    assert sorted(by_name) == [
        "cubed-5xx-lb-dash",
        "cubed-5xx-targets-dash",
        "cubed-cpu-asg-web",
        "cubed-cpu-docs-1",
        "cubed-db-cpu-main",
        "cubed-db-storage-main",
        "cubed-dead-letters-c-dl",
        "cubed-lambda-errors-predict",
        "cubed-queue-age-a",
        "cubed-queue-age-b",
    ]
    assert by_name["cubed-5xx-lb-dash"]["dimensions"] == {"LoadBalancer": "app/dash/abc"}
    assert by_name["cubed-queue-age-a"]["threshold"] == 600
    assert by_name["cubed-db-storage-main"]["comparison"] == "LessThanThreshold"
    assert monitoring.monitoring_alarms({}, "x-") == []


def test_dashboard_lists_alarms_and_graphs() -> None:
    alarms = monitoring.monitoring_alarms(OUTPUTS, "cubed-")
    body = monitoring.monitoring_dashboard(alarms, ["arn:b", "arn:a"], "eu-west-1")
    assert body["widgets"][0]["properties"]["alarms"] == ["arn:a", "arn:b"]
    titles = [w["properties"]["title"] for w in body["widgets"][1:]]
    assert "AWS/SQS ApproximateAgeOfOldestMessage" in titles
    queue_graph = next(
        w for w in body["widgets"] if w["properties"]["title"].endswith("OldestMessage")
    )
    assert len(queue_graph["properties"]["metrics"]) == 2


def test_metric_alarm_plan_compares_what_is_set() -> None:
    wanted_alarm = monitoring.monitoring_alarms(OUTPUTS, "cubed-")[0]
    request = metric_alarms.alarm_request(wanted_alarm, ["arn:topic"])
    described = {
        **request,
        "Threshold": int(request["Threshold"]),
        "AlarmArn": "arn:alarm",
        "StateValue": "OK",
        "Dimensions": list(reversed(request["Dimensions"])),
    }
    name = request["AlarmName"]
    assert metric_alarms.plan({name: described}, {name: request}, True) == ([], [], [])
    changed = {**described, "Threshold": 5.0}
    assert metric_alarms.plan({name: changed, "cubed-old": described}, {name: request}, True) == (
        [],
        [name],
        ["cubed-old"],
    )
    assert metric_alarms.plan({}, {name: request}, False) == ([name], [], [])
