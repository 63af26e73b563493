"""The monitoring tier (roles/aws_monitoring: estate.aws.sns_topics, log_groups, metric_alarms,
cloudwatch_dashboard) on its own against the emulator, fed realistic outputs of the other tiers
as extra variables: the encrypted alarm topic and its subscriptions, every derived alarm (metric,
dimensions, threshold, actions), the dashboard and the log groups are read back with boto3; a
second run changes nothing, nor does one given the tier's own inputs (aws_monitoring_instances,
...) without any other tier's outputs; --check --diff shows a change and makes none, a threshold
change updates only its alarm, drift made by hand is repaired, removed items are purged, a
foreign resource in the way is refused before any change, a neighbour stack (whose name starts
with this one's), another tier's log group and an untagged alarm of the prefix are never touched,
and the teardown (refused while a group stores events) leaves nothing of the stack."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
STACK = "mtier"
NEIGHBOUR = "mtier-b"  # its alarms start with this stack's prefix "mtier-"
ACCOUNT = "123456789012"
PLAY = """
- name: Monitoring tier
  hosts: localhost
  gather_facts: false
  roles:
    - role: aws_monitoring
  post_tasks:
    - name: Record the outputs for the test
      ansible.builtin.copy:
        content: "{{ aws_monitoring_outputs | to_json }}"
        dest: "{{ outputs_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""
TEARDOWN = """
- name: Monitoring teardown
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Delete the monitoring resources
      ansible.builtin.include_role:
        name: aws_monitoring
        tasks_from: destroy
"""
ALB_ARN = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{STACK}-web/50dc6c495c0c9188"
)
SOURCES: dict[str, Any] = {
    "aws_compute_outputs": {
        "instances": {"web": ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"]},
        "private_ips": {"web": ["10.20.1.10", "10.20.2.10"]},
        "asgs": {f"{STACK}-app": f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:x"},
        "launch_templates": {},
        "key_name": STACK,
    },
    "aws_loadbalancing_outputs": {
        "albs": {
            f"{STACK}-web": {
                "arn": ALB_ARN,
                "dns_name": f"{STACK}-web-1.{REGION}.elb.amazonaws.com",
                "zone_id": "Z32O12XQLNTSW2",
            }
        },
        "classic": {
            f"{STACK}-legacy": {
                "dns_name": f"{STACK}-legacy-1.{REGION}.elb.amazonaws.com",
                "zone_id": "Z32O12XQLNTSW2",
            }
        },
        "target_groups": {f"{STACK}-web": f"arn:aws:elasticloadbalancing:{REGION}:x"},
        "certificates": {},
    },
    "aws_database_outputs": {
        "instances": {
            "main": {
                "identifier": f"{STACK}-main",
                "endpoint": f"{STACK}-main.abc.{REGION}.rds.amazonaws.com",
                "port": 3306,
                "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{STACK}-main",
                "secret_arn": "",
            }
        },
        "subnet_group": f"{STACK}-db",
        "parameter_groups": {},
    },
    "aws_tenants_outputs": {
        "tenants": {
            name: {
                "queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{STACK}-tenant-{name}",
                "queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-tenant-{name}",
                "dead_letter_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-tenant-dead-letter",
            }
            for name in ("acme", "globex")
        }
        | {"initech": {"domain": "mail.initech.example", "dkim_status": "Success"}},
        "external_records": [],
    },
    "aws_serverless_outputs": {
        "functions": {
            "predict": {
                "name": f"{STACK}-predict",
                "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-predict",
            }
        },
        "tables": {f"{STACK}-sessions": {"arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/x"}},
        # pragma: allowlist nextline secret - a made-up API ID
        "apis": {f"{STACK}-api": {"id": "a1b2c3d4e5", "stage": "v1"}},
    },
}
EXTRA = {
    "name": "disk-docs",
    "namespace": "CWAgent",
    "metric": "disk_used_percent",
    "dimensions": {"InstanceId": "i-0a1b2c3d4e5f60001", "path": "/"},
    "threshold": 90,
    "evaluation_periods": 2,
    "datapoints_to_alarm": 2,
    "statistic": "Maximum",
}
P = f"{STACK}-"
GT, GE, LT = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold"
# name: (namespace, metric, dimensions, statistic, threshold, comparison, evaluation periods)
EXPECTED: dict[str, tuple[str, str, dict[str, str], str, float, str, int]] = {
    f"{P}cpu-web-1": (
        "AWS/EC2", "CPUUtilization", {"InstanceId": "i-0a1b2c3d4e5f60001"}, "Average", 80, GT, 3
    ),
    f"{P}cpu-web-2": (
        "AWS/EC2", "CPUUtilization", {"InstanceId": "i-0a1b2c3d4e5f60002"}, "Average", 80, GT, 3
    ),
    f"{P}cpu-asg-{STACK}-app": (
        "AWS/EC2", "CPUUtilization", {"AutoScalingGroupName": f"{STACK}-app"}, "Average", 80, GT, 3
    ),
    f"{P}5xx-lb-{STACK}-web": (
        "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count",
        {"LoadBalancer": f"app/{STACK}-web/50dc6c495c0c9188"}, "Sum", 10, GT, 1,
    ),
    f"{P}5xx-targets-{STACK}-web": (
        "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count",
        {"LoadBalancer": f"app/{STACK}-web/50dc6c495c0c9188"}, "Sum", 10, GT, 1,
    ),
    f"{P}5xx-classic-{STACK}-legacy": (
        "AWS/ELB", "HTTPCode_ELB_5XX", {"LoadBalancerName": f"{STACK}-legacy"}, "Sum", 10, GT, 1
    ),
    f"{P}db-storage-main": (
        "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": f"{STACK}-main"}, "Minimum",
        2 * 1024**3, LT, 1,
    ),
    f"{P}db-cpu-main": (
        "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": f"{STACK}-main"}, "Average", 80, GT, 3
    ),
    f"{P}queue-age-acme": (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": f"{STACK}-tenant-acme"},
        "Maximum", 3600, GT, 3,
    ),
    f"{P}queue-age-globex": (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": f"{STACK}-tenant-globex"},
        "Maximum", 3600, GT, 3,
    ),
    f"{P}dead-letters-{STACK}-tenant-dead-letter": (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible",
        {"QueueName": f"{STACK}-tenant-dead-letter"}, "Maximum", 0, GT, 1,
    ),
    f"{P}lambda-errors-predict": (
        "AWS/Lambda", "Errors", {"FunctionName": f"{STACK}-predict"}, "Sum", 1, GE, 1
    ),
    f"{P}table-read-throttles-{STACK}-sessions": (
        "AWS/DynamoDB", "ReadThrottleEvents", {"TableName": f"{STACK}-sessions"}, "Sum", 1, GE, 1
    ),
    f"{P}table-write-throttles-{STACK}-sessions": (
        "AWS/DynamoDB", "WriteThrottleEvents", {"TableName": f"{STACK}-sessions"}, "Sum", 1, GE, 1
    ),
    f"{P}api-5xx-{STACK}-api": (
        "AWS/ApiGateway", "5XXError", {"ApiName": f"{STACK}-api", "Stage": "v1"}, "Sum", 10, GT, 1
    ),
    f"{P}disk-docs": (
        "CWAgent", "disk_used_percent", {"InstanceId": "i-0a1b2c3d4e5f60001", "path": "/"},
        "Maximum", 90, GT, 2,
    ),
}  # fmt: skip
GROUPS = [
    {"name": f"/estate/{STACK}/app"},
    {"name": f"/estate/{STACK}/audit", "retention_days": 365},
    {"name": f"/estate/{STACK}/debug", "retention_days": 3, "kms": False},
]
TAGS = {"stack": STACK, "env": "test", "managed-by": "pytest"}


def tags_of(items: list[dict[str, str]] | dict[str, str]) -> dict[str, str]:
    if isinstance(items, dict):
        return items
    return {t["Key"]: t["Value"] for t in items}


class Tier:
    """The stack's monitoring tier, run by ansible-playbook with the stack's variables."""

    def __init__(self, emulator: Emulator, tmp_path: Path, key_arn: str) -> None:
        self.emulator, self.tmp_path = emulator, tmp_path
        self.cw = emulator.client("cloudwatch", REGION)
        self.logs = emulator.client("logs", REGION)
        self.sns = emulator.client("sns", REGION)
        self.outputs_file = tmp_path / "outputs.json"
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "stack_name": STACK,
            "aws_monitoring_region": REGION,
            "aws_monitoring_tags": TAGS,
            "aws_monitoring_kms_key": key_arn,
            "aws_monitoring_alarm_emails": ["ops@example.org", "oncall@example.org"],
            "aws_monitoring_log_groups": GROUPS,
            "aws_monitoring_extra_alarms": [EXTRA],
            "aws_monitoring_thresholds": {},
            "outputs_file": str(self.outputs_file),
            **SOURCES,
        }

    def run(self, *args: str, teardown: bool = False, **overrides: Any) -> PlaybookRun:
        play = self.tmp_path / ("teardown.yml" if teardown else "monitoring.yml")
        play.write_text(TEARDOWN if teardown else PLAY)
        varsfile = self.tmp_path / "vars.json"
        varsfile.write_text(json.dumps({**self.variables, **overrides}))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def outputs(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.outputs_file.read_text())
        return data

    # -- reading back ------------------------------------------------------------------------
    def alarms(self, prefix: str = P) -> dict[str, dict[str, Any]]:
        found = {}
        query = {"AlarmNamePrefix": prefix} if prefix else {}
        for page in self.cw.get_paginator("describe_alarms").paginate(**query):
            for alarm in page["MetricAlarms"]:
                keep = (
                    "Namespace", "MetricName", "Dimensions", "Statistic", "Period",
                    "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
                    "TreatMissingData", "AlarmActions", "OKActions", "ActionsEnabled",
                    "AlarmDescription",
                )  # fmt: skip
                found[alarm["AlarmName"]] = {k: alarm.get(k) for k in keep} | {
                    "Tags": tags_of(
                        self.cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
                    )
                }
        return found

    def topics(self) -> dict[str, dict[str, Any]]:
        found = {}
        for page in self.sns.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                attributes = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
                subscriptions = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
                found[arn.rsplit(":", 1)[-1]] = {
                    "arn": arn,
                    "kms": attributes.get("KmsMasterKeyId"),
                    "display_name": attributes.get("DisplayName"),
                    "subscriptions": sorted(
                        f"{s['Protocol']}:{s['Endpoint']}" for s in subscriptions
                    ),
                    "tags": tags_of(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"]),
                }
        return found

    def groups(self, prefix: str = "/") -> dict[str, dict[str, Any]]:
        found = {}
        for page in self.logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=prefix
        ):
            for group in page["logGroups"]:
                arn = group["logGroupArn"]
                found[group["logGroupName"]] = {
                    "retention": group.get("retentionInDays"),
                    "kms": group.get("kmsKeyId"),
                    "tags": self.logs.list_tags_for_resource(resourceArn=arn)["tags"],
                }
        return found

    def dashboard(self, name: str = STACK) -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = json.loads(
                self.cw.get_dashboard(DashboardName=name)["DashboardBody"]
            )
        except self.cw.exceptions.ResourceNotFound:
            return None
        return body

    def state(self) -> dict[str, Any]:
        """Everything of the account the tier could touch (all prefixes, all stacks)."""
        return {
            "alarms": self.alarms(prefix=""),
            "topics": self.topics(),
            "groups": self.groups(),
            "dashboards": {
                d["DashboardName"]: self.dashboard(d["DashboardName"])
                for d in self.cw.list_dashboards()["DashboardEntries"]
            },
        }


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, (
            f"{what}: changed={run.changed} {run.changed_tasks()}\n{run.output[-3000:]}"
        )


@pytest.fixture
def key_arn(emulator: Emulator) -> str:
    kms = emulator.client("kms", REGION)
    return str(kms.create_key(Description=f"{STACK} test key")["KeyMetadata"]["Arn"])


def make_neighbours(emulator: Emulator, key_arn: str) -> None:
    """Resources the tier must never touch: the neighbour stack's alarm, topic and log group
    (tagged as its own, the alarm under this stack's prefix), this stack's serverless-tier log
    group, and an untagged alarm under this stack's prefix."""
    cw = emulator.client("cloudwatch", REGION)
    common = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 50.0,
        "ComparisonOperator": GT,
    }
    neighbour_tags = [
        {"Key": "stack", "Value": NEIGHBOUR},
        {"Key": "managed-by", "Value": "pytest"},
        {"Key": "tier", "Value": "monitoring"},
    ]
    cw.put_metric_alarm(AlarmName=f"{NEIGHBOUR}-cpu-web-1", Tags=neighbour_tags, **common)
    cw.put_metric_alarm(AlarmName=f"{P}made-by-hand", **common)
    emulator.client("sns", REGION).create_topic(
        Name=f"{NEIGHBOUR}-alarms", Attributes={"KmsMasterKeyId": key_arn}, Tags=neighbour_tags
    )
    logs = emulator.client("logs", REGION)
    logs.create_log_group(
        logGroupName=f"/estate/{NEIGHBOUR}/app", tags={t["Key"]: t["Value"] for t in neighbour_tags}
    )
    logs.create_log_group(
        logGroupName=f"/aws/lambda/{STACK}-predict",
        kmsKeyId=key_arn,
        tags={**TAGS, "tier": "serverless"},
    )


@pytest.mark.cost(59)
def test_monitoring_tier_lifecycle(emulator: Emulator, tmp_path: Path, key_arn: str) -> None:
    tier = Tier(emulator, tmp_path, key_arn)
    make_neighbours(emulator, key_arn)
    untouchable = {
        "alarms": {n: a for n, a in tier.alarms("").items() if not a["Tags"].get("stack") == STACK},
        "groups": {n: g for n, g in tier.groups().items() if not n.startswith(f"/estate/{STACK}/")},
        "topics": {n: t for n, t in tier.topics().items() if n != f"{STACK}-alarms"},
    }

    def neighbours_untouched(what: str) -> None:
        alarms = tier.alarms("")
        assert {n: alarms.get(n) for n in untouchable["alarms"]} == untouchable["alarms"], what
        groups = tier.groups()
        assert {n: groups.get(n) for n in untouchable["groups"]} == untouchable["groups"], what
        topics = tier.topics()
        assert {n: topics.get(n) for n in untouchable["topics"]} == untouchable["topics"], what

    # -- --check before anything exists: the changes are shown, none is made ----------------
    empty = tier.state()
    checked = tier.run("--check", "--diff")
    ok(checked, "--check of the creation", changed=True)
    assert f"+        KmsMasterKeyId: {key_arn}" in checked.output, checked.output[-3000:]
    assert f"+        kms_key_id: {key_arn}" in checked.output
    assert tier.state() == empty, "--check created something"

    # -- first run: everything is created as asked ------------------------------------------
    ok(tier.run(), "first run", changed=True)
    topic = tier.topics()[f"{STACK}-alarms"]
    assert topic["kms"] == key_arn
    assert topic["subscriptions"] == ["email:oncall@example.org", "email:ops@example.org"]
    assert topic["tags"] == {**TAGS, "tier": "monitoring"}
    alarms = tier.alarms()
    mine = {n: a for n, a in alarms.items() if a["Tags"].get("stack") == STACK}
    assert sorted(mine) == sorted(EXPECTED)
    for name, (
        namespace,
        metric,
        dims,
        statistic,
        threshold,
        comparison,
        periods,
    ) in EXPECTED.items():
        alarm = mine[name]
        assert alarm["Namespace"] == namespace and alarm["MetricName"] == metric, name
        assert (
            tags_of(  # dimensions read back as a list of {Name, Value}
                [{"Key": d["Name"], "Value": d["Value"]} for d in alarm["Dimensions"]]
            )
            == dims
        ), name
        assert alarm["Statistic"] == statistic and alarm["Period"] == 300, name
        assert alarm["Threshold"] == threshold and alarm["ComparisonOperator"] == comparison, name
        assert alarm["EvaluationPeriods"] == periods, name
        assert alarm["AlarmActions"] == [topic["arn"]] == alarm["OKActions"], name
        assert alarm["ActionsEnabled"] and alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["Tags"] == {**TAGS, "tier": "monitoring"}, name
    assert mine[f"{P}disk-docs"]["DatapointsToAlarm"] == 2
    groups = tier.groups(f"/estate/{STACK}/")
    assert groups == {
        f"/estate/{STACK}/app": {
            "retention": 30,
            "kms": key_arn,
            "tags": {**TAGS, "tier": "monitoring"},
        },
        f"/estate/{STACK}/audit": {
            "retention": 365,
            "kms": key_arn,
            "tags": {**TAGS, "tier": "monitoring"},
        },
        f"/estate/{STACK}/debug": {
            "retention": 3,
            "kms": None,
            "tags": {**TAGS, "tier": "monitoring"},
        },
    }
    body = tier.dashboard()
    assert body is not None
    alarm_widget = body["widgets"][0]
    assert alarm_widget["type"] == "alarm"
    assert alarm_widget["properties"]["alarms"] == sorted(
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}" for n in EXPECTED
    )
    graphs = {w["properties"]["title"]: w["properties"] for w in body["widgets"][1:]}
    assert graphs["AWS/SQS ApproximateAgeOfOldestMessage"]["metrics"] == [
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"{STACK}-tenant-acme"],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"{STACK}-tenant-globex"],
    ]
    assert all(g["region"] == REGION for g in graphs.values())
    assert len(graphs) == 13  # one per namespace and metric of the alarms
    outputs = tier.outputs()
    assert outputs["topic_arn"] == topic["arn"]
    assert sorted(outputs["alarms"]) == sorted(EXPECTED)
    assert outputs["dashboard"] == STACK
    assert outputs["log_groups"][f"/estate/{STACK}/audit"] == {
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/estate/{STACK}/audit",
        "retention_days": 365,
        "kms_key_id": key_arn,
    }
    assert outputs["log_groups"][f"/estate/{STACK}/debug"]["kms_key_id"] == ""
    neighbours_untouched("first run")

    # -- converged: a second run and --check --diff change nothing --------------------------
    ok(tier.run(), "second run", changed=False)
    converged = tier.state()
    ok(tier.run("--check", "--diff"), "--check on the converged tier", changed=False)

    # -- the tier reads the other tiers only through its own inputs: given directly, with no
    #    tier's outputs at all, they make the same alarms (nothing changes) ------------------
    compute = SOURCES["aws_compute_outputs"]
    balancing = SOURCES["aws_loadbalancing_outputs"]
    serverless = SOURCES["aws_serverless_outputs"]
    direct = {
        **{outputs: {} for outputs in SOURCES},
        "aws_monitoring_instances": compute["instances"],
        "aws_monitoring_asgs": sorted(compute["asgs"]),
        "aws_monitoring_albs": {n: {"arn": b["arn"]} for n, b in balancing["albs"].items()},
        "aws_monitoring_classic_elbs": sorted(balancing["classic"]),
        "aws_monitoring_databases": SOURCES["aws_database_outputs"]["instances"],
        "aws_monitoring_queues": SOURCES["aws_tenants_outputs"]["tenants"],
        "aws_monitoring_functions": serverless["functions"],
        "aws_monitoring_tables": serverless["tables"],
        "aws_monitoring_apis": serverless["apis"],
    }
    ok(tier.run(**direct), "the same resources as the tier's own inputs", changed=False)
    assert tier.state() == converged

    # -- a threshold change: --check --diff shows it and changes nothing, then only that alarm
    #    is updated -------------------------------------------------------------------------
    new_limit = {"aws_monitoring_thresholds": {"db_cpu_percent": 95}}
    checked = tier.run("--check", "--diff", **new_limit)
    ok(checked, "--check of a threshold change", changed=True)
    assert "+        Threshold: 95.0" in checked.output, checked.output[-3000:]
    assert "-        Threshold: 80.0" in checked.output
    assert tier.state() == converged, "--check changed something"
    changed = tier.run(**new_limit)
    ok(changed, "threshold change", changed=True)
    tasks = changed.changed_tasks()
    assert tasks and all("Metric alarms" in t for t in tasks), tasks
    after = tier.state()
    differing = {n for n in after["alarms"] if after["alarms"][n] != converged["alarms"].get(n)} | (
        set(converged["alarms"]) - set(after["alarms"])
    )
    assert differing == {f"{P}db-cpu-main"}
    assert after["alarms"][f"{P}db-cpu-main"]["Threshold"] == 95
    assert {k: v for k, v in after.items() if k != "alarms"} == {
        k: v for k, v in converged.items() if k != "alarms"
    }
    tier.variables.update(new_limit)

    # -- drift made by hand is repaired; items removed from the data are purged --------------
    cw, logs, sns = tier.cw, tier.logs, tier.sns
    drifted = emulator.client("cloudwatch", REGION).describe_alarms(AlarmNames=[f"{P}cpu-web-1"])[
        "MetricAlarms"
    ][0]
    hand_made = (
        "AlarmName", "Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods",
        "ComparisonOperator", "Dimensions", "AlarmActions",
    )  # fmt: skip
    # A lower threshold, no OK action, no description, default missing-data treatment.
    cw.put_metric_alarm(**{k: drifted[k] for k in hand_made}, Threshold=1.0)
    cw.delete_dashboards(DashboardNames=[STACK])
    logs.put_retention_policy(logGroupName=f"/estate/{STACK}/app", retentionInDays=7)
    logs.disassociate_kms_key(logGroupName=f"/estate/{STACK}/audit")
    sub = next(
        s["SubscriptionArn"]
        for s in sns.list_subscriptions_by_topic(TopicArn=topic["arn"])["Subscriptions"]
        if s["Endpoint"] == "ops@example.org"
    )
    sns.unsubscribe(SubscriptionArn=sub)
    sns.set_topic_attributes(
        TopicArn=topic["arn"], AttributeName="KmsMasterKeyId", AttributeValue=""
    )
    tenants = dict(SOURCES["aws_tenants_outputs"]["tenants"])
    del tenants["globex"]
    ok(
        tier.run(
            aws_tenants_outputs={"tenants": tenants},
            aws_monitoring_log_groups=GROUPS[:2],
            aws_monitoring_alarm_emails=["ops@example.org"],
        ),
        "repairing the drift and purging",
        changed=True,
    )
    repaired = tier.state()
    assert repaired["alarms"][f"{P}cpu-web-1"] == converged["alarms"][f"{P}cpu-web-1"]
    assert f"{P}queue-age-globex" not in repaired["alarms"]
    assert set(after["alarms"]) - set(repaired["alarms"]) == {f"{P}queue-age-globex"}
    assert repaired["dashboards"][STACK] is not None
    assert len(repaired["dashboards"][STACK]["widgets"][0]["properties"]["alarms"]) == 15
    assert tier.groups(f"/estate/{STACK}/") == {
        n: g
        for n, g in converged["groups"].items()
        if n != f"/estate/{STACK}/debug" and n.startswith(f"/estate/{STACK}/")
    }
    topic_now = tier.topics()[f"{STACK}-alarms"]
    assert topic_now["kms"] == key_arn
    assert topic_now["subscriptions"] == ["email:ops@example.org"]
    neighbours_untouched("repair and purge")
    tier.variables.update(
        aws_tenants_outputs={"tenants": tenants},
        aws_monitoring_log_groups=GROUPS[:2],
        aws_monitoring_alarm_emails=["ops@example.org"],
    )

    # -- a same-named group or alarm that is not the stack's is refused before any change ----
    logs.create_log_group(logGroupName=f"/estate/{STACK}/foreign", tags={"stack": "someone-else"})
    before = tier.state()
    refused = tier.run(
        aws_monitoring_log_groups=[*GROUPS[:2], {"name": f"/estate/{STACK}/foreign"}]
    )
    assert refused.rc != 0, refused.output[-3000:]
    assert f"The log group /estate/{STACK}/foreign exists but is not tagged as this stack's" in (
        refused.output
    )
    assert tier.state() == before, "a refused run changed something"
    # So is an alarm of a wanted name that is not tagged as the stack's (made by hand).
    hand = {**EXTRA, "name": "made-by-hand"}
    refused = tier.run(aws_monitoring_extra_alarms=[EXTRA, hand])
    assert refused.rc != 0, refused.output[-3000:]
    assert f"The alarm {P}made-by-hand exists but is not tagged as this stack's" in refused.output
    assert tier.state() == before, "a refused run changed something"

    # -- teardown: refused while a group stores events, then nothing of the stack is left ----
    logs.create_log_stream(logGroupName=f"/estate/{STACK}/app", logStreamName="web-1")
    logs.put_log_events(
        logGroupName=f"/estate/{STACK}/app",
        logStreamName="web-1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "started"}],
    )
    before = tier.state()
    refused = tier.run(teardown=True)
    assert refused.rc != 0 and "still store log data" in refused.output, refused.output[-3000:]
    assert f"/estate/{STACK}/app (7 bytes)" in refused.output
    assert tier.state() == before, "a refused teardown changed something"
    ok(tier.run("-e", "aws_monitoring_delete_log_data=true", teardown=True), "teardown", True)
    left = tier.state()
    assert not [n for n, a in left["alarms"].items() if a["Tags"].get("stack") == STACK]
    assert f"{STACK}-alarms" not in left["topics"] and STACK not in left["dashboards"]
    assert set(tier.groups(f"/estate/{STACK}/")) == {f"/estate/{STACK}/foreign"}
    assert f"{P}made-by-hand" in left["alarms"]
    neighbours_untouched("teardown")
    ok(tier.run(teardown=True), "second teardown", changed=False)
