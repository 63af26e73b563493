"""estate.aws.vpc_flow_log, run for real through ansible-playbook against the shared `emulator`
(tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK_TIMEOUT = 300
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

pytestmark = pytest.mark.slow


@dataclass
class Network:
    """A VPC, a flow-logs IAM role and a log group created for one test."""

    vpc_id: str
    role_arn: str
    log_group: str

    def args(self, **overrides: Any) -> dict[str, Any]:
        return {
            "resource_id": self.vpc_id,
            "log_group_name": self.log_group,
            "deliver_logs_permission_arn": self.role_arn,
            **overrides,
        }


def region_of(emulator: Any) -> str:
    return emulator.env["AWS_DEFAULT_REGION"]


@pytest.fixture
def network(emulator: Any) -> Network:
    suffix = uuid.uuid4().hex[:8]
    region = region_of(emulator)
    vpc_id = emulator.client("ec2", region).create_vpc(CidrBlock="10.3.63.0/24")["Vpc"]["VpcId"]
    role = emulator.client("iam", region).create_role(
        RoleName=f"flow-logs-{suffix}", AssumeRolePolicyDocument=TRUST_POLICY
    )
    log_group = f"/estate/test/{suffix}/vpc-flow-logs"
    emulator.client("logs", region).create_log_group(logGroupName=log_group)
    return Network(vpc_id=vpc_id, role_arn=role["Role"]["Arn"], log_group=log_group)


def flow_logs(emulator: Any, net: Network) -> list[dict[str, Any]]:
    """The flow logs of the VPC and log group, read back with boto3."""
    filters = [
        {"Name": "resource-id", "Values": [net.vpc_id]},
        {"Name": "log-group-name", "Values": [net.log_group]},
    ]
    return emulator.client("ec2", region_of(emulator)).describe_flow_logs(Filters=filters)[
        "FlowLogs"
    ]


def run_module(emulator: Any, tmp_path: Path, args: dict[str, Any], *flags: str) -> dict[str, Any]:
    """Run the module in a one-task play and return the task's result."""
    playbook = tmp_path / f"play-{uuid.uuid4().hex[:8]}.yml"
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "flow log", "estate.aws.vpc_flow_log": args}],
    }
    playbook.write_text(json.dumps([play]))  # JSON is YAML
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(emulator.env)
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json")
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i", "localhost,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}",
        *flags, str(playbook),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT
    )
    output = json.loads(done.stdout)
    result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert done.returncode == 0, json.dumps(result, indent=2) + done.stderr
    return result


def test_lifecycle(emulator: Any, network: Network, tmp_path: Path) -> None:
    tags = {"stack": "test", "managed-by": "ansible-estate"}

    created = run_module(emulator, tmp_path, network.args(tags=tags))
    assert created["changed"] is True
    [flow_log] = flow_logs(emulator, network)
    assert created["flow_log"]["flow_log_id"] == flow_log["FlowLogId"]
    assert created["flow_log"]["traffic_type"] == "ALL"
    assert created["flow_log"]["max_aggregation_interval"] == 600
    assert created["flow_log"]["tags"] == tags

    again = run_module(emulator, tmp_path, network.args(tags=tags))
    assert again["changed"] is False
    assert again["flow_log"]["flow_log_id"] == flow_log["FlowLogId"]

    checked = run_module(
        emulator, tmp_path, network.args(tags=tags, traffic_type="REJECT"), "--check", "--diff"
    )
    assert checked["changed"] is True
    assert checked["diff"]["before"]["traffic_type"] == "ALL"
    assert checked["diff"]["after"]["traffic_type"] == "REJECT"
    assert flow_logs(emulator, network) == [flow_log]

    replaced = run_module(
        emulator,
        tmp_path,
        network.args(tags=tags, traffic_type="REJECT", max_aggregation_interval=60),
    )
    assert replaced["changed"] is True
    [new] = flow_logs(emulator, network)
    assert new["FlowLogId"] != flow_log["FlowLogId"]
    assert (new["TrafficType"], new["MaxAggregationInterval"]) == ("REJECT", 60)
    assert {t["Key"]: t["Value"] for t in new["Tags"]} == tags


def test_tags(emulator: Any, network: Network, tmp_path: Path) -> None:
    run_module(emulator, tmp_path, network.args(tags={"stack": "test", "owner": "ops"}))
    [original] = flow_logs(emulator, network)

    def tags_now() -> dict[str, str]:
        [flow_log] = flow_logs(emulator, network)
        assert flow_log["FlowLogId"] == original["FlowLogId"]  # retagged in place, not replaced
        return {t["Key"]: t["Value"] for t in flow_log.get("Tags", [])}

    checked = run_module(emulator, tmp_path, network.args(tags={"stack": "prod"}), "--check")
    assert checked["changed"] is True
    assert checked["flow_log"]["tags"] == {"stack": "prod"}
    assert tags_now() == {"stack": "test", "owner": "ops"}

    purged = run_module(emulator, tmp_path, network.args(tags={"stack": "prod"}))
    assert purged["changed"] is True
    assert purged["flow_log"]["tags"] == {"stack": "prod"}
    assert tags_now() == {"stack": "prod"}

    kept = run_module(emulator, tmp_path, network.args(tags={"env": "uat"}, purge_tags=False))
    assert kept["changed"] is True
    assert tags_now() == {"stack": "prod", "env": "uat"}

    untouched = run_module(emulator, tmp_path, network.args())
    assert untouched["changed"] is False
    assert tags_now() == {"stack": "prod", "env": "uat"}


def test_check_mode_create_writes_nothing(emulator: Any, network: Network, tmp_path: Path) -> None:
    checked = run_module(emulator, tmp_path, network.args(traffic_type="ACCEPT"), "--check")
    assert checked["changed"] is True
    assert checked["flow_log"]["traffic_type"] == "ACCEPT"
    assert "flow_log_id" not in checked["flow_log"]
    assert flow_logs(emulator, network) == []


def test_absent(emulator: Any, network: Network, tmp_path: Path) -> None:
    run_module(emulator, tmp_path, network.args())
    assert len(flow_logs(emulator, network)) == 1
    absent = {"resource_id": network.vpc_id, "log_group_name": network.log_group, "state": "absent"}

    checked = run_module(emulator, tmp_path, absent, "--check")
    assert checked["changed"] is True
    assert len(flow_logs(emulator, network)) == 1

    deleted = run_module(emulator, tmp_path, absent)
    assert deleted["changed"] is True
    assert deleted["flow_log"] == {}
    assert flow_logs(emulator, network) == []

    again = run_module(emulator, tmp_path, absent)
    assert again["changed"] is False
