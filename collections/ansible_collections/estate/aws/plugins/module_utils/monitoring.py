# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The pure half of the monitoring tier, shared by the modules ``estate.aws.metric_alarms``,
``estate.aws.log_groups``, ``estate.aws.sns_topics`` (which do the AWS calls) and the
``estate.aws.monitoring_*`` filters (which derive the alarms and the dashboard from the resources
the tier is given, SOURCE_KINDS, and validate the tier's data before any AWS call): validation,
the alarms of a stack, PutMetricAlarm requests and their comparison with DescribeAlarms, the plans
of log groups and topics (ownership by tags: ownership.py). Only the stdlib is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# CloudWatch (PutMetricAlarm) rules.
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
COMPARISONS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
ALARM_KEYS = (
    "name",
    "namespace",
    "metric",
    "dimensions",
    "statistic",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "threshold",
    "comparison",
    "treat_missing_data",
    "unit",
    "description",
)
ALARM_REQUIRED = ("name", "namespace", "metric", "threshold")
# Defaults of an alarm given as data (aws_monitoring_extra_alarms).
ALARM_DEFAULTS: dict[str, Any] = {
    "dimensions": {},
    "statistic": "Average",
    "period": 300,
    "evaluation_periods": 1,
    "comparison": "GreaterThanThreshold",
    "treat_missing_data": "notBreaching",
    "description": "",
}
MAX_DIMENSIONS = 30
# Request field <- data key, in the order PutMetricAlarm documents them.
ALARM_FIELDS = (
    ("Namespace", "namespace"),
    ("MetricName", "metric"),
    ("Statistic", "statistic"),
    ("Period", "period"),
    ("EvaluationPeriods", "evaluation_periods"),
    ("DatapointsToAlarm", "datapoints_to_alarm"),
    ("Threshold", "threshold"),
    ("ComparisonOperator", "comparison"),
    ("TreatMissingData", "treat_missing_data"),
    ("Unit", "unit"),
    ("AlarmDescription", "description"),
)
DELETE_BATCH = 100

# Thresholds of the alarms derived from the tiers' outputs (aws_monitoring_thresholds overrides).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "cpu_percent": 80,
    "alb_5xx_per_5min": 10,
    "elb_5xx_per_5min": 10,
    "db_free_storage_bytes": 2 * 1024**3,
    "db_cpu_percent": 80,
    "queue_age_seconds": 3600,
    "dead_letter_messages": 0,
    "lambda_errors_per_5min": 1,
    "table_throttles_per_5min": 1,
    "api_5xx_per_5min": 10,
}
PERCENT_THRESHOLDS = ("cpu_percent", "db_cpu_percent")
# The resources the alarms are derived from: kind -> its shape (the role's aws_monitoring_<kind>
# inputs, whose defaults map the other tiers' outputs); keys of an entry not named here are
# ignored.
SOURCE_KINDS: dict[str, str] = {
    "instances": "{group: [instance ID, ...]}",
    "asgs": "[Auto Scaling group name, ...]",
    "albs": "{name: {arn}}",
    "classic_elbs": "[classic load balancer name, ...]",
    "databases": "{name: {identifier}}",
    "queues": "{tenant: {queue_arn, dead_letter_arn}}",
    "functions": "{name: {name}}",
    "tables": "{name: {name}}",
    "apis": "{name: {name, stage}}",
}

# CloudWatch Logs rules.
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
LOG_GROUP_RE = re.compile(r"^[\w\-./#]{1,512}$", re.ASCII)
LOG_GROUP_KEYS = ("name", "retention_days", "kms")
KMS_KEY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")

# SNS rules.
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
PROTOCOLS = ("email", "email-json", "sms", "sqs", "lambda", "https", "http", "firehose")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- alarms ----------------------------------------------------------------------------------
def alarm_errors(alarms: Any, where: str = "alarms", prefix: str = "") -> list[str]:
    """Every error in a list of alarms (data keys of ALARM_KEYS), each naming the field."""
    if not isinstance(alarms, list):
        return [f"{where} must be a list of alarms, not {alarms!r}"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, alarm in enumerate(alarms):
        here = f"{where}[{index}]"
        if not isinstance(alarm, Mapping):
            errors.append(f"{here} must be a mapping, not {alarm!r}")
            continue
        name = alarm.get("name")
        if isinstance(name, str) and name:
            here = f"{where}[{index}] ({name})"
        errors.extend(_alarm_errors(alarm, here, prefix))
        if isinstance(name, str):
            if name in seen:
                errors.append(f"{here}.name is used twice: alarm names must be unique")
            seen.add(name)
    return errors


def _alarm_errors(alarm: Mapping[str, Any], here: str, prefix: str) -> list[str]:
    errors = []
    unknown = sorted(set(alarm) - set(ALARM_KEYS))
    if unknown:
        errors.append(f"{here}: unknown field(s) {', '.join(unknown)} ({', '.join(ALARM_KEYS)})")
    missing = [k for k in ALARM_REQUIRED if alarm.get(k) in (None, "")]
    if missing:
        errors.append(f"{here}: missing {', '.join(missing)}")
    merged = {**ALARM_DEFAULTS, **{k: v for k, v in alarm.items() if v is not None}}
    name = merged.get("name")
    if name is not None and (
        not isinstance(name, str)
        or not 1 <= len(name) <= 255
        or not name.isprintable()
        or not name.isascii()
    ):
        errors.append(f"{here}.name {name!r} must be 1-255 printable ASCII characters")
    elif isinstance(name, str) and prefix and not name.startswith(prefix):
        errors.append(f"{here}.name must start with {prefix}")
    for key in ("namespace", "metric"):
        value = merged.get(key)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 255):
            errors.append(f"{here}.{key} {value!r} must be a string of 1-255 characters")
    if merged.get("threshold") is not None and not _number(merged["threshold"]):
        errors.append(f"{here}.threshold {merged['threshold']!r} must be a number")
    if merged["statistic"] not in STATISTICS:
        errors.append(
            f"{here}.statistic {merged['statistic']!r} must be one of {', '.join(STATISTICS)}"
        )
    if merged["comparison"] not in COMPARISONS:
        errors.append(
            f"{here}.comparison {merged['comparison']!r} must be one of {', '.join(COMPARISONS)}"
        )
    if merged["treat_missing_data"] not in TREAT_MISSING:
        errors.append(
            f"{here}.treat_missing_data {merged['treat_missing_data']!r} must be one of"
            f" {', '.join(TREAT_MISSING)}"
        )
    period, periods = merged["period"], merged["evaluation_periods"]
    if not _int(period) or not (period in (10, 20, 30) or (period > 0 and period % 60 == 0)):
        errors.append(f"{here}.period {period!r} must be 10, 20, 30 or a multiple of 60 seconds")
    elif not _int(periods) or periods < 1:
        errors.append(f"{here}.evaluation_periods {periods!r} must be a positive integer")
    else:
        limit = 86400 if period < 3600 else 604800
        if period * periods > limit:
            errors.append(
                f"{here}: period x evaluation_periods ({period * periods} s) must not exceed"
                f" {limit} s (CloudWatch's evaluation range for a {period} s period)"
            )
        points = merged.get("datapoints_to_alarm")
        if points is not None and (not _int(points) or not 1 <= points <= periods):
            errors.append(
                f"{here}.datapoints_to_alarm {points!r} must be an integer from 1 to"
                f" evaluation_periods ({periods})"
            )
    dimensions = merged["dimensions"]
    if not isinstance(dimensions, Mapping):
        errors.append(f"{here}.dimensions must be a mapping of name: value, not {dimensions!r}")
    elif len(dimensions) > MAX_DIMENSIONS:
        errors.append(f"{here}.dimensions: at most {MAX_DIMENSIONS}")
    else:
        for key, value in dimensions.items():
            if not 1 <= len(str(key)) <= 255 or not 1 <= len(str(value)) <= 1024:
                errors.append(
                    f"{here}.dimensions.{key}: names have 1-255 and values 1-1024 characters"
                )
    for key in ("unit", "description"):
        value = merged.get(key)
        if value is not None and not isinstance(value, str):
            errors.append(f"{here}.{key} must be a string")
    if isinstance(merged.get("description"), str) and len(merged["description"]) > 1024:
        errors.append(f"{here}.description: at most 1024 characters")
    return errors


def full_alarm(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """An alarm of the data with ALARM_DEFAULTS filled in."""
    return {**ALARM_DEFAULTS, **{k: v for k, v in alarm.items() if v is not None}}


def alarm_request(alarm: Mapping[str, Any], actions: Iterable[str]) -> dict[str, Any]:
    """The PutMetricAlarm arguments of a wanted alarm (without tags): ACTIONS are notified when
    it fires and when it recovers."""
    alarm = full_alarm(alarm)
    request: dict[str, Any] = {"AlarmName": alarm["name"]}
    for field, key in ALARM_FIELDS:
        if alarm.get(key) not in (None, ""):
            request[field] = alarm[key]
    request["Threshold"] = float(request["Threshold"])
    request["Dimensions"] = [
        {"Name": str(k), "Value": str(v)}
        for k, v in sorted((alarm.get("dimensions") or {}).items())
    ]
    request["AlarmActions"] = sorted(set(actions))
    request["OKActions"] = sorted(set(actions))
    request["ActionsEnabled"] = True
    return request


def comparable(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a described alarm (or a request) that the module sets, in one form."""
    out: dict[str, Any] = {field: alarm.get(field) for field, _ in ALARM_FIELDS}
    out["Threshold"] = float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None
    out["AlarmDescription"] = alarm.get("AlarmDescription") or None
    out["TreatMissingData"] = alarm.get("TreatMissingData") or "missing"
    out["Dimensions"] = sorted([d["Name"], d["Value"]] for d in alarm.get("Dimensions") or [])
    out["AlarmActions"] = sorted(alarm.get("AlarmActions") or [])
    out["OKActions"] = sorted(alarm.get("OKActions") or [])
    out["InsufficientDataActions"] = sorted(alarm.get("InsufficientDataActions") or [])
    out["ActionsEnabled"] = bool(alarm.get("ActionsEnabled", True))
    return out


def alarm_plan(
    current: Mapping[str, Mapping[str, Any]],
    wanted: Mapping[str, Mapping[str, Any]],
    purge: bool,
) -> tuple[list[str], list[str], list[str]]:
    """(create, update, delete) alarm names; CURRENT holds only the stack's own alarms."""
    create = sorted(set(wanted) - set(current))
    update = sorted(
        name
        for name in set(wanted) & set(current)
        if comparable(current[name]) != comparable(wanted[name])
    )
    delete = sorted(set(current) - set(wanted)) if purge else []
    return create, update, delete


def _alarm(
    name: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, Any],
    threshold: float,
    description: str,
    comparison: str = "GreaterThanThreshold",
    statistic: str = "Average",
    periods: int = 3,
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "metric": metric,
        "dimensions": {k: str(v) for k, v in dimensions.items()},
        "statistic": statistic,
        "period": 300,
        "evaluation_periods": periods,
        "threshold": threshold,
        "comparison": comparison,
        "treat_missing_data": "notBreaching",
        "description": description,
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _alb_dimension(arn: str) -> str:
    """The LoadBalancer dimension of an ALB: app/<name>/<id>, from its ARN."""
    return arn.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in arn else arn


def _names(value: Any) -> list[str]:
    """The sorted names of a list of names (or of a mapping's keys)."""
    if isinstance(value, Mapping | list | tuple):
        return sorted(str(name) for name in value)
    return []


def derived_alarms(
    sources: Mapping[str, Any], prefix: str, thresholds: Mapping[str, float] | None = None
) -> list[dict[str, Any]]:
    """Every alarm of the stack, named <prefix><kind>-<resource>, from the resources of SOURCES
    (one key per kind of SOURCE_KINDS, each in the shape given there: the role's
    aws_monitoring_<kind> inputs; a missing or empty one gives no alarm):

    - instances (per group) and Auto Scaling groups: CPUUtilization;
    - application load balancers: 5xx answers of the balancer and of its targets; classic ones:
      the balancer's 5xx answers;
    - databases: FreeStorageSpace and CPUUtilization;
    - queues: ApproximateAgeOfOldestMessage; every dead-letter queue: visible messages;
    - Lambda functions: Errors; DynamoDB tables: read and write throttles; REST APIs: 5XXError.
    """
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    alarms: list[dict[str, Any]] = []
    for group, ids in sorted(_mapping(sources.get("instances")).items()):
        for index, instance_id in enumerate(ids or [], start=1):
            alarms.append(
                _alarm(
                    f"{prefix}cpu-{group}-{index}",
                    "AWS/EC2",
                    "CPUUtilization",
                    {"InstanceId": instance_id},
                    limits["cpu_percent"],
                    f"CPU of {group} instance {index} ({instance_id}) above"
                    f" {limits['cpu_percent']}%",
                )
            )
    for asg in _names(sources.get("asgs")):
        alarms.append(
            _alarm(
                f"{prefix}cpu-asg-{asg}",
                "AWS/EC2",
                "CPUUtilization",
                {"AutoScalingGroupName": asg},
                limits["cpu_percent"],
                f"Average CPU of the {asg} group above {limits['cpu_percent']}%",
            )
        )
    for name, alb in sorted(_mapping(sources.get("albs")).items()):
        if not _mapping(alb).get("arn"):
            continue
        for source, metric in (
            ("lb", "HTTPCode_ELB_5XX_Count"),
            ("targets", "HTTPCode_Target_5XX_Count"),
        ):
            alarms.append(
                _alarm(
                    f"{prefix}5xx-{source}-{name}",
                    "AWS/ApplicationELB",
                    metric,
                    {"LoadBalancer": _alb_dimension(alb["arn"])},
                    limits["alb_5xx_per_5min"],
                    f"5xx answers ({'balancer' if source == 'lb' else 'targets'}) of {name}"
                    f" above {limits['alb_5xx_per_5min']} in 5 minutes",
                    statistic="Sum",
                    periods=1,
                )
            )
    for name in _names(sources.get("classic_elbs")):
        alarms.append(
            _alarm(
                f"{prefix}5xx-classic-{name}",
                "AWS/ELB",
                "HTTPCode_ELB_5XX",
                {"LoadBalancerName": name},
                limits["elb_5xx_per_5min"],
                f"5xx answers of the classic balancer {name} above"
                f" {limits['elb_5xx_per_5min']} in 5 minutes",
                statistic="Sum",
                periods=1,
            )
        )
    for name, db in sorted(_mapping(sources.get("databases")).items()):
        identifier = {"DBInstanceIdentifier": _mapping(db).get("identifier") or name}
        alarms.append(
            _alarm(
                f"{prefix}db-storage-{name}",
                "AWS/RDS",
                "FreeStorageSpace",
                identifier,
                limits["db_free_storage_bytes"],
                f"Free storage of database {name} below {limits['db_free_storage_bytes']} bytes",
                comparison="LessThanThreshold",
                statistic="Minimum",
                periods=1,
            )
        )
        alarms.append(
            _alarm(
                f"{prefix}db-cpu-{name}",
                "AWS/RDS",
                "CPUUtilization",
                identifier,
                limits["db_cpu_percent"],
                f"CPU of database {name} above {limits['db_cpu_percent']}%",
            )
        )
    dead_letters: set[str] = set()
    for name, entry in sorted(_mapping(sources.get("queues")).items()):
        owned = _mapping(entry)
        arn = owned.get("queue_arn")
        if not arn:
            continue
        alarms.append(
            _alarm(
                f"{prefix}queue-age-{name}",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                {"QueueName": arn.rsplit(":", 1)[-1]},
                limits["queue_age_seconds"],
                f"Oldest message of tenant {name}'s queue older than"
                f" {limits['queue_age_seconds']} s",
                statistic="Maximum",
            )
        )
        if owned.get("dead_letter_arn"):
            dead_letters.add(owned["dead_letter_arn"].rsplit(":", 1)[-1])
    for queue in sorted(dead_letters):
        alarms.append(
            _alarm(
                f"{prefix}dead-letters-{queue}",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": queue},
                limits["dead_letter_messages"],
                f"More than {limits['dead_letter_messages']} messages in the dead-letter queue"
                f" {queue}",
                statistic="Maximum",
                periods=1,
            )
        )
    for name, function in sorted(_mapping(sources.get("functions")).items()):
        alarms.append(
            _alarm(
                f"{prefix}lambda-errors-{name}",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": _mapping(function).get("name") or name},
                limits["lambda_errors_per_5min"],
                f"Errors of the Lambda function {name}: at least"
                f" {limits['lambda_errors_per_5min']} in 5 minutes",
                comparison="GreaterThanOrEqualToThreshold",
                statistic="Sum",
                periods=1,
            )
        )
    for name, table in sorted(_mapping(sources.get("tables")).items()):
        table_name = _mapping(table).get("name") or name
        for kind, metric in (("read", "ReadThrottleEvents"), ("write", "WriteThrottleEvents")):
            alarms.append(
                _alarm(
                    f"{prefix}table-{kind}-throttles-{name}",
                    "AWS/DynamoDB",
                    metric,
                    {"TableName": table_name},
                    limits["table_throttles_per_5min"],
                    f"Throttled {kind}s of the table {table_name}: at least"
                    f" {limits['table_throttles_per_5min']} in 5 minutes",
                    comparison="GreaterThanOrEqualToThreshold",
                    statistic="Sum",
                    periods=1,
                )
            )
    for name, api in sorted(_mapping(sources.get("apis")).items()):
        api = _mapping(api)
        alarms.append(
            _alarm(
                f"{prefix}api-5xx-{name}",
                "AWS/ApiGateway",
                "5XXError",
                {"ApiName": api.get("name") or name, "Stage": api.get("stage") or "v1"},
                limits["api_5xx_per_5min"],
                f"5xx answers of the API {name} above {limits['api_5xx_per_5min']} in 5 minutes",
                statistic="Sum",
                periods=1,
            )
        )
    return alarms


def extra_alarms(extra: Iterable[Mapping[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Alarms given as data, with ALARM_DEFAULTS and their names under PREFIX."""
    out = []
    for alarm in extra:
        name = str(alarm.get("name", ""))
        out.append(
            full_alarm({**alarm, "name": name if name.startswith(prefix) else prefix + name})
        )
    return out


def threshold_errors(thresholds: Any, where: str = "thresholds") -> list[str]:
    if not isinstance(thresholds, Mapping):
        return [f"{where} must be a mapping of name: number, not {thresholds!r}"]
    errors = []
    for key, value in thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            errors.append(f"{where}.{key} is unknown ({', '.join(DEFAULT_THRESHOLDS)})")
        elif not _number(value) or value < 0:
            errors.append(f"{where}.{key} {value!r} must be a number >= 0")
        elif key in PERCENT_THRESHOLDS and value > 100:
            errors.append(f"{where}.{key} {value!r} is a percentage: at most 100")
    return errors


def dashboard_body(
    alarms: list[Mapping[str, Any]], alarm_arns: Iterable[str], region: str
) -> dict[str, Any]:
    """A dashboard: the alarms' status on top (100 alarms a widget), then graphs of the alarms'
    metrics, one per namespace and metric (100 lines a graph, CloudWatch's limit)."""
    widgets: list[dict[str, Any]] = []
    arns = sorted(set(alarm_arns))
    for index, chunk in enumerate(batches(arns, 100)):
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": index * 6,
                "width": 24,
                "height": 6,
                "properties": {
                    "title": "Alarms" if len(arns) <= 100 else f"Alarms ({index + 1})",
                    "alarms": chunk,
                },
            }
        )
    top = len(widgets) * 6
    by_metric: dict[tuple[str, str], list[list[str]]] = {}
    for alarm in alarms:
        line = [alarm["namespace"], alarm["metric"]]
        for dim, value in sorted((alarm.get("dimensions") or {}).items()):
            line += [str(dim), str(value)]
        by_metric.setdefault((alarm["namespace"], alarm["metric"]), []).append(line)
    graphs = []
    for (namespace, metric), lines in sorted(by_metric.items()):
        parts = list(batches(lines, 100))
        for part, chunk in enumerate(parts, start=1):
            title = f"{namespace} {metric}" + (f" ({part}/{len(parts)})" if len(parts) > 1 else "")
            graphs.append((title, chunk))
    for index, (title, lines) in enumerate(graphs):
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": top + (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "region": region,
                    "metrics": lines,
                    "stat": "Maximum",
                    "period": 300,
                    "view": "timeSeries",
                },
            }
        )
    return {"widgets": widgets}


# -- log groups ------------------------------------------------------------------------------
def log_group_errors(groups: Any, where: str = "log_groups") -> list[str]:
    """Every error in a list of log groups ({name, retention_days, kms})."""
    if not isinstance(groups, list):
        return [f"{where} must be a list of log groups ({{name, retention_days, kms}})"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, group in enumerate(groups):
        here = f"{where}[{index}]"
        if not isinstance(group, Mapping):
            errors.append(f"{here} must be a mapping with a name, not {group!r}")
            continue
        name = group.get("name")
        if not isinstance(name, str) or not LOG_GROUP_RE.match(name):
            errors.append(
                f"{here}.name {name!r} must be 1-512 characters of letters, digits and _ - . / #"
            )
            continue
        here = f"{where}[{index}] ({name})"
        if name in seen:
            errors.append(f"{here}.name is used twice")
        seen.add(name)
        unknown = sorted(set(group) - set(LOG_GROUP_KEYS))
        if unknown:
            errors.append(
                f"{here}: unknown field(s) {', '.join(unknown)} (name, retention_days, kms)"
            )
        days = group.get("retention_days")
        if days is not None and (not _int(days) or (days != 0 and days not in RETENTION_DAYS)):
            errors.append(
                f"{here}.retention_days {days!r} is not a retention CloudWatch Logs accepts:"
                f" 0 (never expire) or one of {', '.join(map(str, RETENTION_DAYS))}"
            )
        if not isinstance(group.get("kms", True), bool):
            errors.append(f"{here}.kms must be true or false")
    return errors


def log_group_settings(group: Mapping[str, Any], default_retention: int = 30) -> dict[str, Any]:
    """{name, retention_days (0: never expire), kms} of a wanted group."""
    days = group.get("retention_days")
    return {
        "name": group["name"],
        "retention_days": default_retention if days is None else days,
        "kms": group.get("kms", True) is not False,
    }


def log_group_changes(
    current: Mapping[str, Any], wanted: Mapping[str, Any], kms_key_arn: str | None
) -> dict[str, Any]:
    """What differs between a described group (DescribeLogGroups entry) and a wanted one:
    {retention_days: int (0: delete the policy), kms_key_id: str ("" disassociates)}."""
    changes: dict[str, Any] = {}
    if (current.get("retentionInDays") or 0) != wanted["retention_days"]:
        changes["retention_days"] = wanted["retention_days"]
    key = kms_key_arn if wanted["kms"] else ""
    if (current.get("kmsKeyId") or "") != (key or ""):
        changes["kms_key_id"] = key or ""
    return changes


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


def listing_prefixes(names: Iterable[str]) -> list[str]:
    """The fewest DescribeLogGroups name prefixes that list every one of NAMES: the "directory"
    of each name (up to its last /, or the name itself without one), those under another left
    out. "/estate/s/app" and "/estate/s/audit" are one listing, not the account's every group."""
    prefixes = sorted({n[: n.rfind("/") + 1] or n for n in names})
    kept: list[str] = []
    for prefix in prefixes:
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return kept


# -- topics ----------------------------------------------------------------------------------
def topic_errors(topics: Any, where: str = "topics") -> list[str]:
    """Every error in a list of topics ({name, display_name, subscriptions})."""
    if not isinstance(topics, list):
        return [f"{where} must be a list of topics"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        here = f"{where}[{index}]"
        if not isinstance(topic, Mapping):
            errors.append(f"{here} must be a mapping with a name, not {topic!r}")
            continue
        name = topic.get("name")
        if not isinstance(name, str) or not TOPIC_RE.match(name):
            errors.append(
                f"{here}.name {name!r} must be 1-256 letters, digits, hyphens or underscores"
                " (FIFO topics are not supported)"
            )
            continue
        here = f"{where}[{index}] ({name})"
        if name in seen:
            errors.append(f"{here}.name is used twice")
        seen.add(name)
        unknown = sorted(set(topic) - {"name", "display_name", "subscriptions"})
        if unknown:
            errors.append(
                f"{here}: unknown field(s) {', '.join(unknown)} (name, display_name, subscriptions)"
            )
        display = topic.get("display_name")
        if display is not None and (not isinstance(display, str) or len(display) > 100):
            errors.append(f"{here}.display_name must be a string of at most 100 characters")
        errors.extend(
            subscription_errors(topic.get("subscriptions") or [], f"{here}.subscriptions")
        )
    return errors


def subscription_errors(subscriptions: Any, where: str) -> list[str]:
    if not isinstance(subscriptions, list):
        return [f"{where} must be a list of {{protocol, endpoint}}"]
    errors = []
    for index, sub in enumerate(subscriptions):
        here = f"{where}[{index}]"
        if not isinstance(sub, Mapping) or set(sub) != {"protocol", "endpoint"}:
            errors.append(f"{here} must be a mapping of exactly protocol and endpoint, not {sub!r}")
            continue
        if sub["protocol"] not in PROTOCOLS:
            errors.append(
                f"{here}.protocol {sub['protocol']!r} must be one of {', '.join(PROTOCOLS)}"
            )
        elif sub["protocol"].startswith("email") and not EMAIL_RE.match(str(sub["endpoint"])):
            errors.append(f"{here}.endpoint {sub['endpoint']!r} is not an e-mail address")
        elif not isinstance(sub["endpoint"], str) or not sub["endpoint"]:
            errors.append(f"{here}.endpoint must be a non-empty string")
    return errors


def topic_attributes(topic: Mapping[str, Any], kms_key: str) -> dict[str, str]:
    """The attributes the module sets on a topic."""
    return {"KmsMasterKeyId": kms_key, "DisplayName": topic.get("display_name") or ""}


def attribute_changes(current: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in wanted.items() if (current.get(k) or "") != v}


def subscription_changes(
    current: Iterable[Mapping[str, str]], wanted: Iterable[Mapping[str, str]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(to subscribe as (protocol, endpoint), subscription ARNs to remove). A subscription
    pending confirmation has no ARN (AWS reports "PendingConfirmation"): it is neither
    subscribed again nor removed."""
    have = {(s["Protocol"], s["Endpoint"]): s["SubscriptionArn"] for s in current}
    want = {(s["protocol"], s["endpoint"]) for s in wanted}
    add = sorted(want - set(have))
    remove = sorted(arn for key, arn in have.items() if key not in want and arn.startswith("arn:"))
    return add, remove


# -- the role's validation -------------------------------------------------------------------
def monitoring_errors(spec: Mapping[str, Any]) -> list[str]:
    """Every error in the monitoring tier's data, before any AWS call. SPEC: {prefix,
    thresholds, extra_alarms, alarm_emails, log_groups, kms_key, derived (the alarms derived
    from the sources)}; messages name the role variables."""
    errors = threshold_errors(spec.get("thresholds") or {}, "aws_monitoring_thresholds")
    extra = spec.get("extra_alarms") or []
    errors += alarm_errors(extra, "aws_monitoring_extra_alarms")
    emails = spec.get("alarm_emails") or []
    if not isinstance(emails, list):
        errors.append("aws_monitoring_alarm_emails must be a list of e-mail addresses")
    else:
        errors += [
            f"aws_monitoring_alarm_emails[{i}] {e!r} is not an e-mail address"
            for i, e in enumerate(emails)
            if not isinstance(e, str) or not EMAIL_RE.match(e)
        ]
    groups = spec.get("log_groups") or []
    errors += log_group_errors(groups, "aws_monitoring_log_groups")
    # Empty while the stack key is not made yet (the preflight of a provision validates every
    # tier before the key tier runs); the modules then refuse to create an unencrypted topic.
    key = spec.get("kms_key") or ""
    if key and not KMS_KEY_ARN_RE.match(key):
        errors.append(
            f"aws_monitoring_kms_key {key!r} must be the ARN of the stack's KMS key"
            " (arn:aws:kms:<region>:<account>:key/<id>): the alarm topic is encrypted with it and"
            " CloudWatch Logs accepts only a key ARN (aws_kms_outputs.key_arn)"
        )
    if not errors and isinstance(extra, list):
        prefix = str(spec.get("prefix") or "")
        names = [a["name"] for a in spec.get("derived") or []]
        names += [a["name"] for a in extra_alarms(extra, prefix)]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            errors.append(
                "aws_monitoring_extra_alarms: name(s) already used by the derived alarms or another"
                f" extra alarm: {', '.join(twice)}"
            )
        errors += [
            f"alarm name {n} is longer than CloudWatch's 255 characters"
            for n in names
            if len(n) > 255
        ]
    return errors
