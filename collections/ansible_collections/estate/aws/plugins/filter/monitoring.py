# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the monitoring tier.

``estate.aws.monitoring_alarms``: the metric alarms of a stack, derived from the other tiers'
outputs and the thresholds (one list that ``estate.aws.metric_alarms`` reconciles):

- every compute instance and Auto Scaling group: CPUUtilization;
- every application load balancer: 5xx answers of the balancer and of its targets;
- every database: FreeStorageSpace and CPUUtilization;
- every tenant queue: ApproximateAgeOfOldestMessage; every dead-letter queue: any message;
- every Lambda function: Errors.

``estate.aws.monitoring_dashboard``: a dashboard body with the alarms' status and one graph
per kind of alarm. Only the stdlib is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_THRESHOLDS: dict[str, float] = {
    "cpu_percent": 80,
    "alb_5xx_per_5min": 10,
    "db_free_storage_bytes": 2 * 1024**3,
    "db_cpu_percent": 80,
    "queue_age_seconds": 3600,
    "lambda_errors_per_5min": 1,
}


def _alarm(
    name: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, str],
    threshold: float,
    comparison: str = "GreaterThanThreshold",
    statistic: str = "Average",
    periods: int = 3,
    description: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "metric": metric,
        "dimensions": dict(dimensions),
        "statistic": statistic,
        "period": 300,
        "evaluation_periods": periods,
        "threshold": threshold,
        "comparison": comparison,
        "treat_missing_data": "notBreaching",
        "description": description,
    }


def _alb_dimension(arn: str) -> str:
    """The LoadBalancer dimension of an ALB: app/<name>/<id> from its ARN."""
    return arn.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in arn else arn


def monitoring_alarms(
    outputs: Mapping[str, Any], prefix: str, thresholds: Mapping[str, float] | None = None
) -> list[dict[str, Any]]:
    """Every alarm of the stack, named <prefix><kind>-<resource>, from the tiers' OUTPUTS
    ({aws_compute_outputs, aws_loadbalancing_outputs, aws_database_outputs,
    aws_tenants_outputs, aws_serverless_outputs}; absent tiers give no alarm)."""
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    compute = outputs.get("aws_compute_outputs") or {}
    alarms: list[dict[str, Any]] = []
    for group, ids in sorted((compute.get("instances") or {}).items()):
        for index, instance_id in enumerate(ids, start=1):
            alarms.append(
                _alarm(
                    f"{prefix}cpu-{group}-{index}",
                    "AWS/EC2",
                    "CPUUtilization",
                    {"InstanceId": instance_id},
                    limits["cpu_percent"],
                    description=f"CPU of {group} instance {index} above {limits['cpu_percent']}%",
                )
            )
    for asg in sorted(compute.get("asgs") or {}):
        alarms.append(
            _alarm(
                f"{prefix}cpu-asg-{asg}",
                "AWS/EC2",
                "CPUUtilization",
                {"AutoScalingGroupName": asg},
                limits["cpu_percent"],
                description=f"CPU of the {asg} group above {limits['cpu_percent']}%",
            )
        )
    albs = (outputs.get("aws_loadbalancing_outputs") or {}).get("albs") or {}
    for name, alb in sorted(albs.items()):
        if not alb.get("arn"):
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
                    statistic="Sum",
                    periods=1,
                    description=f"5xx answers ({source}) of {name}",
                )
            )
    databases = (outputs.get("aws_database_outputs") or {}).get("instances") or {}
    for name, db in sorted(databases.items()):
        identifier = {"DBInstanceIdentifier": db.get("identifier") or name}
        alarms.append(
            _alarm(
                f"{prefix}db-storage-{name}",
                "AWS/RDS",
                "FreeStorageSpace",
                identifier,
                limits["db_free_storage_bytes"],
                comparison="LessThanThreshold",
                periods=1,
                description=f"Free storage of database {name} low",
            )
        )
        alarms.append(
            _alarm(
                f"{prefix}db-cpu-{name}",
                "AWS/RDS",
                "CPUUtilization",
                identifier,
                limits["db_cpu_percent"],
                description=f"CPU of database {name} above {limits['db_cpu_percent']}%",
            )
        )
    tenants = (outputs.get("aws_tenants_outputs") or {}).get("tenants") or {}
    dead_letters: set[str] = set()
    for name, tenant in sorted(tenants.items()):
        arn = tenant.get("queue_arn")
        if not arn:
            continue
        alarms.append(
            _alarm(
                f"{prefix}queue-age-{name}",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                {"QueueName": arn.rsplit(":", 1)[-1]},
                limits["queue_age_seconds"],
                statistic="Maximum",
                description=f"Oldest message of tenant {name}'s queue older than the limit",
            )
        )
        if tenant.get("dead_letter_arn"):
            dead_letters.add(tenant["dead_letter_arn"].rsplit(":", 1)[-1])
    for queue in sorted(dead_letters):
        alarms.append(
            _alarm(
                f"{prefix}dead-letters-{queue}",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": queue},
                0,
                statistic="Maximum",
                periods=1,
                description=f"Messages in the dead-letter queue {queue}",
            )
        )
    functions = (outputs.get("aws_serverless_outputs") or {}).get("functions") or {}
    for name, function in sorted(functions.items()):
        alarms.append(
            _alarm(
                f"{prefix}lambda-errors-{name}",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": function.get("name") or name},
                limits["lambda_errors_per_5min"],
                comparison="GreaterThanOrEqualToThreshold",
                statistic="Sum",
                periods=1,
                description=f"Errors of the Lambda function {name}",
            )
        )
    return alarms


def monitoring_dashboard(
    alarms: list[Mapping[str, Any]], alarm_arns: list[str], region: str
) -> dict[str, Any]:
    """A dashboard: the alarms' status on top, then one graph per metric of the alarms."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 6,
            "properties": {"title": "Alarms", "alarms": sorted(alarm_arns)},
        }
    ]
    by_metric: dict[tuple[str, str], list[list[str]]] = {}
    for alarm in alarms:
        key = (alarm["namespace"], alarm["metric"])
        line = [alarm["namespace"], alarm["metric"]]
        for dim, value in sorted(alarm["dimensions"].items()):
            line += [dim, value]
        by_metric.setdefault(key, []).append(line)
    for index, ((namespace, metric), lines) in enumerate(sorted(by_metric.items())):
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": 6 + (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": f"{namespace} {metric}",
                    "region": region,
                    "metrics": lines[:100],
                    "stat": "Maximum",
                    "period": 300,
                },
            }
        )
    return {"widgets": widgets}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "monitoring_alarms": monitoring_alarms,
            "monitoring_dashboard": monitoring_dashboard,
        }
