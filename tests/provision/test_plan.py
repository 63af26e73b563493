"""tools/plan/plan (`make plan`) against the emulator: a converged stack plans no change (exit 0);
resources changed behind the repo's back (boto3) are named with the right action (exit 2) and
the plan itself changes nothing; a bad definition is an error (exit 1), not drift.

akb is the cheapest stack with security groups and buckets; only the tiers the drift touches are
provisioned and planned (--tags), to keep the test short.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from stack_resources import stack_resources
from support.playbook import BIN, REPO, PlaybookRun, ansible_env, run_playbook
from support.stack import stack_vars

# Beyond make test's CI budget: `make test-long` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.long]

STACK = "akb"
TIERS = ("--tags", "aws_kms,aws_network,aws_storage")


def plan(tmp_path: Path, *args: str) -> tuple[PlaybookRun, dict[str, Any] | None]:
    """tools/plan/plan STACK ARGS: its exit code and output, and the plan file it wrote."""
    plan_file = tmp_path / "plan.json"
    proc = subprocess.run(
        [str(BIN / "python"), "tools/plan/plan", STACK, *outputs(tmp_path), *args],
        cwd=REPO,
        env=ansible_env({"ESTATE_PLAN_FILE": str(plan_file)}),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    written = json.loads(plan_file.read_text()) if plan_file.is_file() else None
    return PlaybookRun(rc=proc.returncode, output=proc.stdout + proc.stderr), written


def outputs(tmp_path: Path) -> tuple[str, str]:
    return ("-e", f"stack_outputs_dir={tmp_path / STACK}")


def live_state(emulator: Emulator, region: str, prefix: str) -> dict[str, Any]:
    """The stack's resources, its security groups' rules and its buckets' tags."""
    ec2, s3 = emulator.client("ec2", region), emulator.client("s3", region)
    groups = ec2.describe_security_groups(Filters=[{"Name": "tag:stack", "Values": [STACK]}])
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    tags = {
        name: s3.get_bucket_tagging(Bucket=name)["TagSet"]
        for name in names
        if name.startswith(f"{prefix}-")
    }
    return {
        "resources": stack_resources(emulator, STACK),
        "rules": {g["GroupName"]: g["IpPermissions"] for g in groups["SecurityGroups"]},
        "bucket_tags": tags,
    }


def drift(emulator: Emulator, region: str, prefix: str) -> None:
    """Behind the repo's back: drop the portal's HTTPS rule, retag the documents bucket, delete
    the (empty) static bucket."""
    ec2, s3 = emulator.client("ec2", region), emulator.client("s3", region)
    web = ec2.describe_security_groups(
        Filters=[
            {"Name": "tag:stack", "Values": [STACK]},
            {"Name": "group-name", "Values": ["akb-portal-web"]},
        ]
    )["SecurityGroups"][0]
    https = [p for p in web["IpPermissions"] if p.get("FromPort") == 443]
    assert https, web["IpPermissions"]
    ec2.revoke_security_group_ingress(GroupId=web["GroupId"], IpPermissions=https)
    documents = f"{prefix}-documents"
    tags = s3.get_bucket_tagging(Bucket=documents)["TagSet"]
    retagged = [{**t, "Value": "someone-else"} if t["Key"] == "owner" else t for t in tags]
    s3.put_bucket_tagging(Bucket=documents, Tagging={"TagSet": retagged})
    s3.delete_bucket(Bucket=f"{prefix}-static")


def test_plan_names_drift(emulator: Emulator, tmp_path: Path) -> None:
    data = stack_vars(STACK, ("stack_region", "stack_bucket_prefix"))
    region, prefix = data["stack_region"], data["stack_bucket_prefix"]
    first = run_playbook("provision.yml", STACK, *outputs(tmp_path), *TIERS)
    try:
        assert first.rc == 0, first.output[-4000:]

        clean, written = plan(tmp_path, *TIERS)
        assert clean.rc == 0, clean.output[-4000:]
        assert "Plan: no changes" in clean.output
        assert written == {
            "complete": True,
            "counts": {"create": 0, "change": 0, "destroy": 0},
            "resources": [],
        }

        drift(emulator, region, prefix)
        before = live_state(emulator, region, prefix)
        drifted, written = plan(tmp_path, *TIERS)
        assert drifted.rc == 2, drifted.output[-4000:]
        assert written is not None
        assert {(r["action"], r["resource"]) for r in written["resources"]} == {
            ("change", "akb-portal-web"),
            ("change", f"{prefix}-documents"),
            ("create", f"{prefix}-static"),
        }, written
        assert "Plan: 1 to create, 2 to change, 0 to destroy." in drifted.output
        assert live_state(emulator, region, prefix) == before, (
            "the plan changed the emulator's state"
        )
    finally:
        gone = run_playbook(
            "destroy.yml",
            STACK,
            *outputs(tmp_path),
            "-e",
            "aws_storage_destroy_data_buckets=true",
            "-e",
            "aws_database_destroy_confirmed=true",
        )
    assert gone.rc == 0, gone.output[-4000:]
    assert not stack_resources(emulator, STACK)


def test_plan_error_is_not_drift(emulator: Emulator, tmp_path: Path) -> None:
    """A definition the preflight rejects: exit 1 and an incomplete plan, nothing created."""
    run, written = plan(tmp_path, "-e", "aws_network_vpc_cidr=10.20.0.0/33")
    assert run.rc == 1, run.output[-4000:]
    assert "aws_network_vpc_cidr" in run.output
    assert written is not None and written["complete"] is False
    assert not stack_resources(emulator, STACK)
