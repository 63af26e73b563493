"""Pure-Python parts of the monitoring tier (module_utils/monitoring.py): the alarms derived from
the tier's inputs (which the role's defaults map from the other tiers' outputs), the dashboard
body, validation of alarms, thresholds, log groups and topics, the PutMetricAlarm requests and
their comparison with DescribeAlarms, the plans of log groups and subscriptions. No AWS
(ownership by tags: test_kernel.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from support.source import load_plugin

monitoring = load_plugin("module_utils/monitoring.py")

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OUTPUTS: dict[str, Any] = {
    "aws_compute_outputs": {"instances": {"docs": ["i-1"]}, "asgs": {"web": "arn:asg"}},
    "aws_loadbalancing_outputs": {
        "albs": {
            "dash": {"arn": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/dash/abc"},
            "no-arn": {"dns_name": "x"},
        },
        "classic": {"old": {"dns_name": "y", "zone_id": "Z"}},
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
    "aws_serverless_outputs": {
        "functions": {"predict": {"name": "cubed-predict", "arn": "arn:fn"}},
        "tables": {"cubed-sessions": {"arn": "arn:table"}},
        "apis": {"cubed-api": {"id": "abc", "stage": "prod"}},
    },
}
ROLE = Path(__file__).resolve().parents[2] / "roles" / "aws_monitoring"


def role_sources(outputs: dict[str, Any]) -> dict[str, Any]:
    """The sources the role hands to estate.aws.monitoring_alarms when the other tiers published
    OUTPUTS: its defaults (aws_monitoring_<kind> from the tiers' outputs) and vars
    (__aws_monitoring_sources) rendered by Ansible's templating."""
    variables: dict[str, Any] = dict(outputs)
    for layer in ("defaults", "vars"):
        data = yaml.safe_load((ROLE / layer / "main.yml").read_text())
        variables |= {k: v for k, v in data.items() if k.startswith(("aws_monitoring_", "__"))}
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    sources: dict[str, Any] = templar.template(trust_as_template("{{ __aws_monitoring_sources }}"))
    return sources


def _trusted(value: Any) -> Any:
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    return value


SOURCES = role_sources(OUTPUTS)
# The alarms of OUTPUTS (queue_age_seconds 600) as the rules derived them from the tiers' outputs
# before the tier took its own inputs: name, namespace, metric, dimensions, statistic, evaluation
# periods, threshold, comparison, description (every one: period 300, notBreaching).
ALARMS_OF_OUTPUTS = [
    (
        "cubed-cpu-docs-1",
        "AWS/EC2",
        "CPUUtilization",
        {"InstanceId": "i-1"},
        "Average",
        3,
        80,
        "GreaterThanThreshold",
        "CPU of docs instance 1 (i-1) above 80%",
    ),
    (
        "cubed-cpu-asg-web",
        "AWS/EC2",
        "CPUUtilization",
        {"AutoScalingGroupName": "web"},
        "Average",
        3,
        80,
        "GreaterThanThreshold",
        "Average CPU of the web group above 80%",
    ),
    (
        "cubed-5xx-lb-dash",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        {"LoadBalancer": "app/dash/abc"},
        "Sum",
        1,
        10,
        "GreaterThanThreshold",
        "5xx answers (balancer) of dash above 10 in 5 minutes",
    ),
    (
        "cubed-5xx-targets-dash",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        {"LoadBalancer": "app/dash/abc"},
        "Sum",
        1,
        10,
        "GreaterThanThreshold",
        "5xx answers (targets) of dash above 10 in 5 minutes",
    ),
    (
        "cubed-5xx-classic-old",
        "AWS/ELB",
        "HTTPCode_ELB_5XX",
        {"LoadBalancerName": "old"},
        "Sum",
        1,
        10,
        "GreaterThanThreshold",
        "5xx answers of the classic balancer old above 10 in 5 minutes",
    ),
    (
        "cubed-db-storage-main",
        "AWS/RDS",
        "FreeStorageSpace",
        {"DBInstanceIdentifier": "cubed-main"},
        "Minimum",
        1,
        2147483648,
        "LessThanThreshold",
        "Free storage of database main below 2147483648 bytes",
    ),
    (
        "cubed-db-cpu-main",
        "AWS/RDS",
        "CPUUtilization",
        {"DBInstanceIdentifier": "cubed-main"},
        "Average",
        3,
        80,
        "GreaterThanThreshold",
        "CPU of database main above 80%",
    ),
    (
        "cubed-queue-age-a",
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        {"QueueName": "c-a"},
        "Maximum",
        3,
        600,
        "GreaterThanThreshold",
        "Oldest message of tenant a's queue older than 600 s",
    ),
    (
        "cubed-queue-age-b",
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        {"QueueName": "c-b"},
        "Maximum",
        3,
        600,
        "GreaterThanThreshold",
        "Oldest message of tenant b's queue older than 600 s",
    ),
    (
        "cubed-dead-letters-c-dl",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": "c-dl"},
        "Maximum",
        1,
        0,
        "GreaterThanThreshold",
        "More than 0 messages in the dead-letter queue c-dl",
    ),
    (
        "cubed-lambda-errors-predict",
        "AWS/Lambda",
        "Errors",
        {"FunctionName": "cubed-predict"},
        "Sum",
        1,
        1,
        "GreaterThanOrEqualToThreshold",
        "Errors of the Lambda function predict: at least 1 in 5 minutes",
    ),
    (
        "cubed-table-read-throttles-cubed-sessions",
        "AWS/DynamoDB",
        "ReadThrottleEvents",
        {"TableName": "cubed-sessions"},
        "Sum",
        1,
        1,
        "GreaterThanOrEqualToThreshold",
        "Throttled reads of the table cubed-sessions: at least 1 in 5 minutes",
    ),
    (
        "cubed-table-write-throttles-cubed-sessions",
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        {"TableName": "cubed-sessions"},
        "Sum",
        1,
        1,
        "GreaterThanOrEqualToThreshold",
        "Throttled writes of the table cubed-sessions: at least 1 in 5 minutes",
    ),
    (
        "cubed-api-5xx-cubed-api",
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": "cubed-api", "Stage": "prod"},
        "Sum",
        1,
        10,
        "GreaterThanThreshold",
        "5xx answers of the API cubed-api above 10 in 5 minutes",
    ),
]


# -- derived alarms and dashboard ------------------------------------------------------------
def test_role_inputs_map_the_tiers_outputs() -> None:
    """Each kind is one input of the role, read from the output of the tier that makes it."""
    assert sorted(SOURCES) == sorted(monitoring.SOURCE_KINDS)
    assert SOURCES["asgs"] == ["web"]
    assert SOURCES["classic_elbs"] == ["old"]
    assert SOURCES["queues"] == OUTPUTS["aws_tenants_outputs"]["tenants"]
    assert role_sources({}) == {k: [] if k in ("asgs", "classic_elbs") else {} for k in SOURCES}


def test_alarms_from_the_inputs_are_those_of_the_tiers_outputs() -> None:
    """Same names, dimensions, thresholds and wording as when the rules read the outputs."""
    alarms = monitoring.derived_alarms(SOURCES, "cubed-", {"queue_age_seconds": 600})
    assert [
        (
            a["name"], a["namespace"], a["metric"], a["dimensions"], a["statistic"],
            a["evaluation_periods"], a["threshold"], a["comparison"], a["description"],
        )
        for a in alarms
    ] == ALARMS_OF_OUTPUTS  # fmt: skip
    assert {(a["period"], a["treat_missing_data"]) for a in alarms} == {(300, "notBreaching")}


def test_alarms_cover_every_resource_once() -> None:
    alarms = monitoring.derived_alarms(SOURCES, "cubed-", {"queue_age_seconds": 600})
    by_name = {a["name"]: a for a in alarms}
    assert len(by_name) == len(alarms)
    assert sorted(by_name) == [
        "cubed-5xx-classic-old",
        "cubed-5xx-lb-dash",
        "cubed-5xx-targets-dash",
        "cubed-api-5xx-cubed-api",
        "cubed-cpu-asg-web",
        "cubed-cpu-docs-1",
        "cubed-db-cpu-main",
        "cubed-db-storage-main",
        "cubed-dead-letters-c-dl",
        "cubed-lambda-errors-predict",
        "cubed-queue-age-a",
        "cubed-queue-age-b",
        "cubed-table-read-throttles-cubed-sessions",
        "cubed-table-write-throttles-cubed-sessions",
    ]
    assert by_name["cubed-5xx-lb-dash"]["dimensions"] == {"LoadBalancer": "app/dash/abc"}
    assert by_name["cubed-5xx-classic-old"]["dimensions"] == {"LoadBalancerName": "old"}
    assert by_name["cubed-queue-age-a"]["threshold"] == 600
    assert by_name["cubed-queue-age-a"]["dimensions"] == {"QueueName": "c-a"}
    assert by_name["cubed-db-storage-main"]["comparison"] == "LessThanThreshold"
    assert by_name["cubed-db-storage-main"]["dimensions"] == {"DBInstanceIdentifier": "cubed-main"}
    assert by_name["cubed-lambda-errors-predict"]["dimensions"] == {"FunctionName": "cubed-predict"}
    assert by_name["cubed-api-5xx-cubed-api"]["dimensions"] == {
        "ApiName": "cubed-api",
        "Stage": "prod",
    }
    assert by_name["cubed-table-read-throttles-cubed-sessions"]["metric"] == "ReadThrottleEvents"
    assert monitoring.alarm_errors(alarms, prefix="cubed-") == []


def test_missing_or_empty_tiers_give_no_alarm() -> None:
    assert monitoring.derived_alarms({}, "x-") == []
    empty = {k: {} for k in OUTPUTS}
    assert monitoring.derived_alarms(role_sources(empty), "x-") == []
    none = {k: None for k in monitoring.SOURCE_KINDS}
    assert monitoring.derived_alarms(none, "x-") == []


def test_extra_alarms_get_defaults_and_the_prefix() -> None:
    extra = monitoring.extra_alarms(
        [{"name": "disk", "namespace": "CWAgent", "metric": "disk_used_percent", "threshold": 90}],
        "cubed-",
    )
    assert extra == [
        {
            "name": "cubed-disk",
            "namespace": "CWAgent",
            "metric": "disk_used_percent",
            "threshold": 90,
            "dimensions": {},
            "statistic": "Average",
            "period": 300,
            "evaluation_periods": 1,
            "comparison": "GreaterThanThreshold",
            "treat_missing_data": "notBreaching",
            "description": "",
        }
    ]
    assert monitoring.extra_alarms([{"name": "cubed-disk"}], "cubed-")[0]["name"] == "cubed-disk"


def test_dashboard_lists_alarms_and_graphs() -> None:
    alarms = monitoring.derived_alarms(SOURCES, "cubed-")
    body = monitoring.dashboard_body(alarms, ["arn:b", "arn:a"], "eu-west-1")
    assert body["widgets"][0]["properties"]["alarms"] == ["arn:a", "arn:b"]
    titles = [w["properties"]["title"] for w in body["widgets"][1:]]
    assert len(titles) == len(set(titles)) == 12
    queue_graph = next(
        w for w in body["widgets"] if w["properties"]["title"].endswith("OldestMessage")
    )
    assert queue_graph["properties"]["metrics"] == [
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "c-a"],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "c-b"],
    ]


def test_dashboard_splits_at_cloudwatch_limits() -> None:
    tenants = {f"t{i}": {"queue_arn": f"arn:aws:sqs:r:1:q{i}"} for i in range(250)}
    alarms = monitoring.derived_alarms({"queues": tenants}, "s-")
    body = monitoring.dashboard_body(alarms, [f"arn:{i:03}" for i in range(250)], "r")
    kinds = [w["type"] for w in body["widgets"]]
    assert kinds == ["alarm"] * 3 + ["metric"] * 3
    assert [len(w["properties"]["alarms"]) for w in body["widgets"][:3]] == [100, 100, 50]
    assert [len(w["properties"]["metrics"]) for w in body["widgets"][3:]] == [100, 100, 50]
    assert body["widgets"][3]["y"] == 18, "graphs start below the alarm widgets"


# -- alarm validation ------------------------------------------------------------------------
GOOD_ALARM = {
    "name": "s-disk",
    "namespace": "CWAgent",
    "metric": "disk_used_percent",
    "threshold": 90,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": None}, "missing name"),
        ({"bogus": 1}, "unknown field(s) bogus"),
        ({"statistic": "p99"}, ".statistic 'p99' must be one of"),
        ({"comparison": "Above"}, ".comparison 'Above' must be one of"),
        ({"treat_missing_data": "zero"}, ".treat_missing_data 'zero' must be one of"),
        ({"period": 45}, ".period 45 must be 10, 20, 30 or a multiple of 60"),
        ({"period": 60, "evaluation_periods": 1441}, "(86460 s) must not exceed 86400 s"),
        ({"period": 3600, "evaluation_periods": 169}, "(608400 s) must not exceed 604800 s"),
        ({"evaluation_periods": 0}, ".evaluation_periods 0 must be a positive integer"),
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, ".datapoints_to_alarm 3 must be"),
        ({"threshold": "high"}, ".threshold 'high' must be a number"),
        ({"threshold": True}, ".threshold True must be a number"),
        ({"dimensions": ["a"]}, ".dimensions must be a mapping"),
        ({"dimensions": {f"d{i}": "v" for i in range(31)}}, ".dimensions: at most 30"),
        ({"name": "x" * 256}, "must be 1-255 printable ASCII characters"),
        ({"name": "other-disk"}, ".name must start with s-"),
    ],
)
def test_alarm_errors_name_the_field(change: dict[str, Any], expected: str) -> None:
    alarm = {k: v for k, v in {**GOOD_ALARM, **change}.items() if v is not None}
    errors = monitoring.alarm_errors([alarm], "extra", prefix="s-")
    assert len(errors) == 1 and expected in errors[0], errors
    assert errors[0].startswith("extra[0]")


def test_alarm_errors_on_the_list() -> None:
    assert monitoring.alarm_errors([GOOD_ALARM], prefix="s-") == []
    assert monitoring.alarm_errors([GOOD_ALARM, {"period": 3600, "evaluation_periods": 168,
                                                 **GOOD_ALARM, "name": "s-2"}]) == []  # fmt: skip
    assert "used twice" in monitoring.alarm_errors([GOOD_ALARM, GOOD_ALARM])[0]
    assert "must be a list" in monitoring.alarm_errors({"name": "x"})[0]
    assert "must be a mapping" in monitoring.alarm_errors(["x"])[0]


def test_threshold_errors() -> None:
    assert monitoring.threshold_errors({"cpu_percent": 90, "queue_age_seconds": 60}) == []
    errors = monitoring.threshold_errors({"cpu_percent": 101, "x": 1, "db_cpu_percent": -1}, "t")
    assert errors == [
        "t.cpu_percent 101 is a percentage: at most 100",
        "t.x is unknown (" + ", ".join(monitoring.DEFAULT_THRESHOLDS) + ")",
        "t.db_cpu_percent -1 must be a number >= 0",
    ]


# -- PutMetricAlarm and its comparison -------------------------------------------------------
def test_request_and_plan_compare_what_is_set() -> None:
    wanted_alarm = monitoring.derived_alarms(SOURCES, "cubed-")[0]
    request = monitoring.alarm_request(wanted_alarm, ["arn:topic", "arn:topic"])
    assert request["AlarmActions"] == request["OKActions"] == ["arn:topic"]
    assert request["Threshold"] == 80.0 and isinstance(request["Threshold"], float)
    assert "Unit" not in request and "DatapointsToAlarm" not in request
    described = {
        **request,
        "Threshold": int(request["Threshold"]),
        "AlarmArn": "arn:alarm",
        "StateValue": "OK",
        "InsufficientDataActions": [],
        "Dimensions": list(reversed(request["Dimensions"])),
    }
    name = request["AlarmName"]
    assert monitoring.alarm_plan({name: described}, {name: request}, True) == ([], [], [])
    changed = {**described, "Threshold": 5.0}
    assert monitoring.alarm_plan(
        {name: changed, "cubed-old": described}, {name: request}, True
    ) == ([], [name], ["cubed-old"])
    assert monitoring.alarm_plan({"cubed-old": described}, {name: request}, False) == (
        [name],
        [],
        [],
    )
    # Drift by hand: OK actions dropped, or missing data treated the default way.
    for drift in ({"OKActions": []}, {"TreatMissingData": None}, {"AlarmDescription": "x"}):
        assert monitoring.alarm_plan({name: {**described, **drift}}, {name: request}, True)[1]


def test_empty_description_compares_as_none() -> None:
    request = monitoring.alarm_request({**GOOD_ALARM, "description": ""}, [])
    assert "AlarmDescription" not in request
    assert monitoring.comparable(request) == monitoring.comparable({**request, "Unit": None})


# -- log groups ------------------------------------------------------------------------------
def test_log_group_errors() -> None:
    good = [{"name": "/estate/s/app"}, {"name": "/estate/s/audit", "retention_days": 365}]
    assert monitoring.log_group_errors([*good, {"name": "x", "retention_days": 0}]) == []
    errors = monitoring.log_group_errors(
        [
            {"name": "/estate/s/app", "retention_days": 31},
            {"name": "bad name"},
            {"name": "/estate/s/app", "kms": "yes", "size": 1},
            "x",
        ]
    )
    assert errors[0].startswith("log_groups[0] (/estate/s/app).retention_days 31 is not a")
    assert "1096" in errors[0]
    assert errors[1].startswith("log_groups[1].name 'bad name' must be 1-512 characters")
    assert errors[2] == "log_groups[2] (/estate/s/app).name is used twice"
    assert errors[3] == (
        "log_groups[2] (/estate/s/app): unknown field(s) size (name, retention_days, kms)"
    )
    assert errors[4] == "log_groups[2] (/estate/s/app).kms must be true or false"
    assert errors[5].startswith("log_groups[3] must be a mapping")


def test_log_group_settings_and_changes() -> None:
    wanted = monitoring.log_group_settings({"name": "/g"}, 14)
    assert wanted == {"name": "/g", "retention_days": 14, "kms": True}
    assert monitoring.log_group_settings({"name": "/g", "retention_days": 0})["retention_days"] == 0
    current = {"logGroupName": "/g", "retentionInDays": 14, "kmsKeyId": KEY}
    assert monitoring.log_group_changes(current, wanted, KEY) == {}
    assert monitoring.log_group_changes({"logGroupName": "/g"}, wanted, KEY) == {
        "retention_days": 14,
        "kms_key_id": KEY,
    }
    plain = {**wanted, "kms": False, "retention_days": 0}
    assert monitoring.log_group_changes(current, plain, KEY) == {
        "retention_days": 0,
        "kms_key_id": "",
    }
    assert monitoring.log_group_changes({"logGroupName": "/g"}, plain, KEY) == {}


def test_listing_prefixes_are_few_and_cover_every_name() -> None:
    names = ["/estate/s/app", "/estate/s/audit", "/estate/s/x/deep", "/aws/lambda/s-f", "plain"]
    prefixes = monitoring.listing_prefixes(names)
    assert prefixes == ["/aws/lambda/", "/estate/s/", "plain"]
    assert all(any(n.startswith(p) for p in prefixes) for n in names)
    assert monitoring.listing_prefixes([]) == []


# -- topics ----------------------------------------------------------------------------------
def test_topic_errors() -> None:
    good = [{"name": "s-alarms", "subscriptions": [{"protocol": "email", "endpoint": "a@b.org"}]}]
    assert monitoring.topic_errors(good) == []
    errors = monitoring.topic_errors(
        [
            {"name": "s.fifo"},
            {
                "name": "t",
                "colour": "red",
                "subscriptions": [
                    {"protocol": "email", "endpoint": "not-an-address"},
                    {"protocol": "pigeon", "endpoint": "x"},
                    {"endpoint": "x"},
                ],
            },
        ]
    )
    assert errors[0].startswith("topics[0].name 's.fifo' must be 1-256 letters")
    assert errors[1] == "topics[1] (t): unknown field(s) colour (name, display_name, subscriptions)"
    assert "subscriptions[0].endpoint 'not-an-address' is not an e-mail address" in errors[2]
    assert "subscriptions[1].protocol 'pigeon' must be one of" in errors[3]
    assert "subscriptions[2] must be a mapping of exactly protocol and endpoint" in errors[4]


def test_topic_attribute_changes() -> None:
    wanted = monitoring.topic_attributes({"name": "t"}, KEY)
    assert wanted == {"KmsMasterKeyId": KEY, "DisplayName": ""}
    assert monitoring.attribute_changes({"KmsMasterKeyId": KEY}, wanted) == {}
    assert monitoring.attribute_changes({"DisplayName": "x"}, wanted) == {
        "KmsMasterKeyId": KEY,
        "DisplayName": "",
    }


def test_subscription_changes_leave_pending_ones_alone() -> None:
    current = [
        {"Protocol": "email", "Endpoint": "a@x.org", "SubscriptionArn": "arn:sub:a"},
        {"Protocol": "email", "Endpoint": "b@x.org", "SubscriptionArn": "arn:sub:b"},
        {"Protocol": "email", "Endpoint": "c@x.org", "SubscriptionArn": "PendingConfirmation"},
        {"Protocol": "email", "Endpoint": "d@x.org", "SubscriptionArn": "PendingConfirmation"},
    ]
    wanted = [
        {"protocol": "email", "endpoint": "a@x.org"},
        {"protocol": "email", "endpoint": "c@x.org"},
        {"protocol": "email", "endpoint": "e@x.org"},
    ]
    assert monitoring.subscription_changes(current, wanted) == (
        [("email", "e@x.org")],
        ["arn:sub:b"],
    )


# -- the role's validation -------------------------------------------------------------------
def test_monitoring_errors() -> None:
    derived = monitoring.derived_alarms(SOURCES, "cubed-")
    spec = {
        "prefix": "cubed-",
        "thresholds": {"cpu_percent": 90},
        "extra_alarms": [GOOD_ALARM | {"name": "disk"}],
        "alarm_emails": ["ops@example.org"],
        "log_groups": [{"name": "/estate/cubed/app"}],
        "kms_key": KEY,
        "derived": derived,
    }
    assert monitoring.monitoring_errors(spec) == []
    # The provision's preflight validates before the key tier has made the key.
    assert monitoring.monitoring_errors({**spec, "kms_key": ""}) == []
    clash = {**spec, "extra_alarms": [GOOD_ALARM | {"name": "db-cpu-main"}]}
    assert monitoring.monitoring_errors(clash) == [
        "aws_monitoring_extra_alarms: name(s) already used by the derived alarms or another extra"
        " alarm: cubed-db-cpu-main"
    ]
    bad = {
        **spec,
        "thresholds": {"cpu_percent": "x"},
        "alarm_emails": ["nobody"],
        "kms_key": "alias/cubed",
    }
    errors = monitoring.monitoring_errors(bad)
    assert errors[0] == "aws_monitoring_thresholds.cpu_percent 'x' must be a number >= 0"
    assert errors[1] == "aws_monitoring_alarm_emails[0] 'nobody' is not an e-mail address"
    assert errors[2].startswith("aws_monitoring_kms_key 'alias/cubed' must be the ARN")


def test_filters_wrap_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter plugin imports the rules the way Ansible loads it (ansible_collections...)."""
    from support.playbook import REPO

    monkeypatch.syspath_prepend(str(REPO / "collections"))
    filters = load_plugin("filter/monitoring.py").FilterModule().filters()
    extra = [{"name": "disk", "namespace": "CWAgent", "metric": "m", "threshold": 1}]
    alarms = filters["monitoring_alarms"](SOURCES, "cubed-", {}, extra)
    assert alarms[-1]["name"] == "cubed-disk"
    assert len(alarms) == len(monitoring.derived_alarms(SOURCES, "cubed-")) + 1
    body = filters["monitoring_dashboard"](alarms, {"cubed-disk": "arn:x"}, "eu-west-1")
    assert body["widgets"][0]["properties"]["alarms"] == ["arn:x"]
    assert filters["monitoring_subscriptions"](["a@b.org"]) == [
        {"protocol": "email", "endpoint": "a@b.org"}
    ]
    assert filters["monitoring_log_groups"]([{"name": "/g", "kms": False}], 7) == [
        {"name": "/g", "retention_days": 7, "kms": False}
    ]
    assert filters["monitoring_errors"]({"kms_key": KEY}) == []
