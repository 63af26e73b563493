"""tools/diagram/diagram.py draws a provisioned stack from live state: the DOT holds its VPC,
each subnet, each running instance and the load balancer -> target group -> target edges boto3
reports, and an instance terminated behind the repo's back is gone from the next diagram."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Emulator
from support.playbook import REPO
from support.stack import stack_vars


def draw(stack: str, out: Path) -> str:
    run = subprocess.run(
        [sys.executable, "tools/diagram/diagram.py", stack, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (out / "diagram.svg").read_text().lstrip().startswith("<?xml")
    return (out / "diagram.dot").read_text()


def check_diagram(emulator: Emulator, stack: str, work: Path) -> str:
    """Draw STACK, compare with what boto3 reports, terminate one instance that no load balancer
    targets, draw again. The stack is left with that instance gone (returned: its ID)."""
    region = stack_vars(stack)["stack_region"]
    ec2, elb = emulator.client("ec2", region), emulator.client("elbv2", region)
    mine = [{"Name": "tag:stack", "Values": [stack]}]
    vpc = ec2.describe_vpcs(Filters=mine)["Vpcs"][0]["VpcId"]
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    ]
    alive = {"Name": "instance-state-name", "Values": ["running"]}
    instances = [
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=[*mine, alive])["Reservations"]
        for i in r["Instances"]
    ]
    edges = []
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        if lb.get("VpcId") != vpc:
            continue
        groups = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])
        for group in groups["TargetGroups"]:
            edges.append((lb["LoadBalancerArn"], group["TargetGroupArn"]))
            health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            edges += [
                (group["TargetGroupArn"], d["Target"]["Id"])
                for d in health["TargetHealthDescriptions"]
            ]
    assert instances and edges

    dot = draw(stack, work / "diagram-one")
    for ident in [vpc, *subnets, *instances]:
        assert f'"{ident}"' in dot, f"{ident} missing from the diagram"
    for source, target in edges:
        assert f'"{source}" -> "{target}";' in dot, f"edge {source} -> {target} missing"

    # Behind the repo's back: one instance terminated (not one an ASG would replace).
    victim = next(i for i in instances if not any(t == i for _, t in edges))
    ec2.terminate_instances(InstanceIds=[victim])
    after = draw(stack, work / "diagram-two")
    assert f'"{victim}"' not in after
    assert all(f'"{i}"' in after for i in instances if i != victim)
    return victim
