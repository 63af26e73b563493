"""tools/plan/plan (`make plan`) against a provisioned stack: what a scheduled drift pipeline
sees. `plan` runs it; `check_plan_clean` asserts a converged stack plans nothing (exit 0);
`check_plan_names_drift` changes akb behind the repo's back (boto3) and asserts the plan names
each change with its action (exit 2) and changes nothing itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import Emulator
from stack_resources import stack_resources
from support.playbook import BIN, REPO, PlaybookRun, ansible_env
from support.stack import stack_vars

# The tiers akb's drift touches (and what they need): the drift plan runs only those.
DRIFT_TIERS = ("--tags", "aws_kms,aws_network,aws_storage")


def plan(stack: str, work: Path, *args: str) -> tuple[PlaybookRun, dict[str, Any] | None]:
    """tools/plan/plan STACK ARGS: its exit code and output, and the plan file it wrote."""
    plan_file = work / f"{stack}-plan.json"
    plan_file.unlink(missing_ok=True)
    proc = subprocess.run(
        [str(BIN / "python"), "tools/plan/plan", stack, *args],
        cwd=REPO,
        env=ansible_env({"ESTATE_PLAN_FILE": str(plan_file)}),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    written = json.loads(plan_file.read_text()) if plan_file.is_file() else None
    return PlaybookRun(rc=proc.returncode, output=proc.stdout + proc.stderr), written


def check_plan_clean(stack: str, work: Path, *args: str) -> None:
    """A converged stack plans no change: exit 0, an empty and complete plan file."""
    run, written = plan(stack, work, *args)
    assert run.rc == 0, f"{stack}: plan of the converged stack:\n{run.output[-4000:]}"
    assert "Plan: no changes" in run.output
    assert written == {
        "complete": True,
        "counts": {"create": 0, "change": 0, "destroy": 0},
        "resources": [],
    }, written


def live_state(emulator: Emulator, stack: str, region: str, prefix: str) -> dict[str, Any]:
    """The stack's resources, its security groups' rules and its buckets' tags."""
    ec2, s3 = emulator.client("ec2", region), emulator.client("s3", region)
    groups = ec2.describe_security_groups(Filters=[{"Name": "tag:stack", "Values": [stack]}])
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    tags = {
        name: s3.get_bucket_tagging(Bucket=name)["TagSet"]
        for name in names
        if name.startswith(f"{prefix}-")
    }
    return {
        "resources": stack_resources(emulator, stack),
        "rules": {g["GroupName"]: g["IpPermissions"] for g in groups["SecurityGroups"]},
        "bucket_tags": tags,
    }


def akb_drift(emulator: Emulator, region: str, prefix: str) -> None:
    """Behind the repo's back: drop akb's portal HTTPS rule, retag its documents bucket, delete
    its (empty) static bucket."""
    ec2, s3 = emulator.client("ec2", region), emulator.client("s3", region)
    web = ec2.describe_security_groups(
        Filters=[
            {"Name": "tag:stack", "Values": ["akb"]},
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


def check_plan_names_drift(emulator: Emulator, work: Path, *args: str) -> None:
    """akb, provisioned and converged: after akb_drift the plan of the tiers it touched names
    exactly those three resources (exit 2) and leaves the emulator as it was."""
    data = stack_vars("akb", ("stack_region", "stack_bucket_prefix"))
    region, prefix = data["stack_region"], data["stack_bucket_prefix"]
    akb_drift(emulator, region, prefix)
    before = live_state(emulator, "akb", region, prefix)
    drifted, written = plan("akb", work, *args, *DRIFT_TIERS)
    assert drifted.rc == 2, drifted.output[-4000:]
    assert written is not None
    assert {(r["action"], r["resource"]) for r in written["resources"]} == {
        ("change", "akb-portal-web"),
        ("change", f"{prefix}-documents"),
        ("create", f"{prefix}-static"),
    }, written
    assert "Plan: 1 to create, 2 to change, 0 to destroy." in drifted.output
    assert live_state(emulator, "akb", region, prefix) == before, "the plan changed the state"
