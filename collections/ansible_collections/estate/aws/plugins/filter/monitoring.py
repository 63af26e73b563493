# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filters of the monitoring tier (the rules live in module_utils/monitoring.py, shared with the
estate.aws.metric_alarms, log_groups and sns_topics modules).

``estate.aws.monitoring_alarms``: the metric alarms of a stack, derived from the resources the
tier is given (the aws_monitoring_<kind> inputs of roles/aws_monitoring, in the shapes of
module_utils/monitoring.py's SOURCE_KINDS) with the thresholds, plus the extra alarms given as data
(one list that ``estate.aws.metric_alarms`` reconciles):

- every instance and Auto Scaling group: CPUUtilization;
- every application load balancer: 5xx answers of the balancer and of its targets; every classic
  balancer: its 5xx answers;
- every database: FreeStorageSpace and CPUUtilization;
- every queue: ApproximateAgeOfOldestMessage; every dead-letter queue: any message;
- every Lambda function: Errors; every DynamoDB table: read and write throttles; every REST API:
  5XXError.

``estate.aws.monitoring_dashboard``: a dashboard body with the alarms' status and one graph per
metric of the alarms. ``estate.aws.monitoring_errors``: the tier's data checked before any AWS
call (a list of messages naming the variables; empty when valid).
``estate.aws.monitoring_subscriptions``: e-mail addresses as topic subscriptions;
``estate.aws.monitoring_log_groups``: log groups with the default retention filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.monitoring import (
    dashboard_body,
    derived_alarms,
    extra_alarms,
    log_group_settings,
    monitoring_errors,
)


def monitoring_alarms(
    sources: Mapping[str, Any],
    prefix: str,
    thresholds: Mapping[str, float] | None = None,
    extra: list[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The alarms derived from SOURCES ({instances: ..., asgs: ..., ...}) followed by EXTRA."""
    return derived_alarms(sources, prefix, thresholds) + extra_alarms(extra or [], prefix)


def monitoring_dashboard(
    alarms: list[Mapping[str, Any]], alarm_arns: Any, region: str
) -> dict[str, Any]:
    """ALARM_ARNS: a list of ARNs or the {name: arn} mapping estate.aws.metric_alarms returns."""
    arns = list(alarm_arns.values()) if isinstance(alarm_arns, Mapping) else list(alarm_arns)
    return dashboard_body(alarms, arns, region)


def monitoring_subscriptions(emails: list[str]) -> list[dict[str, str]]:
    """[{protocol: email, endpoint: address}] of EMAILS, for estate.aws.sns_topics."""
    return [{"protocol": "email", "endpoint": str(e)} for e in emails or []]


def monitoring_log_groups(groups: list[Mapping[str, Any]], retention_days: int) -> list[Any]:
    """GROUPS as {name, retention_days, kms}, RETENTION_DAYS where a group gives none."""
    return [log_group_settings(g, retention_days) for g in groups or []]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "monitoring_alarms": monitoring_alarms,
            "monitoring_dashboard": monitoring_dashboard,
            "monitoring_errors": monitoring_errors,
            "monitoring_subscriptions": monitoring_subscriptions,
            "monitoring_log_groups": monitoring_log_groups,
        }
