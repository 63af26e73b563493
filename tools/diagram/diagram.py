#!/usr/bin/env python3
"""Draw a stack as it is, from live state (the emulator or AWS), not from its YAML: its VPC,
subnets, instances, load balancers (-> target groups -> targets), databases, queues and buckets,
found by the stack's tags, as Graphviz DOT and SVG in .local/<stack>/diagram.{dot,svg}.

    tools/diagram/diagram.py STACK [--region R] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
NEWLINE = "\\n"  # a line break inside a DOT label


@dataclass
class Stack:
    """What the diagram shows: nodes per kind and the edges between them."""

    name: str
    region: str
    vpcs: dict[str, str] = field(default_factory=dict)
    subnets: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (vpc, label)
    instances: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (subnet, label)
    balancers: dict[str, tuple[str, str]] = field(default_factory=dict)  # arn -> (vpc, label)
    target_groups: dict[str, str] = field(default_factory=dict)  # arn -> label
    targets: dict[str, str] = field(default_factory=dict)  # ip targets: id -> label
    databases: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (vpc, label)
    queues: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)


def tags_of(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def to_dot(stack: Stack) -> str:
    """The stack as a DOT graph: a cluster per VPC holding a cluster per subnet."""
    lines = [f"digraph {quote(stack.name)} {{", "  rankdir=LR; compound=true;"]
    lines.append(f"  label={quote(f'{stack.name} ({stack.region}), from live state')};")
    lines.append('  node [shape=box, style="rounded,filled", fillcolor=white, fontsize=10];')

    def node(ident: str, label: str, color: str, shape: str = "box") -> str:
        return f"{quote(ident)} [label={quote(label)}, fillcolor={quote(color)}, shape={shape}];"

    for vpc, vlabel in sorted(stack.vpcs.items()):
        lines.append(f"  subgraph {quote('cluster_' + vpc)} {{")
        lines.append(f"    label={quote(f'VPC {vlabel} {vpc}')}; style=rounded;")
        lines.append(f"    {node(vpc, 'VPC ' + vpc, '#eeeeee', 'point')}")
        for subnet, (svpc, slabel) in sorted(stack.subnets.items()):
            if svpc != vpc:
                continue
            lines.append(f"    subgraph {quote('cluster_' + subnet)} {{")
            lines.append(f"      label={quote(f'{slabel} {subnet}')}; style=dashed;")
            lines.append(f"      {node(subnet, subnet, '#f7f7f7', 'point')}")
            for inst, (isub, ilabel) in sorted(stack.instances.items()):
                if isub == subnet:
                    lines.append(f"      {node(inst, ilabel + NEWLINE + inst, '#dbeafe')}")
            lines.append("    }")
        for arn, (bvpc, blabel) in sorted(stack.balancers.items()):
            if bvpc == vpc:
                lines.append(f"    {node(arn, 'LB ' + blabel, '#fde68a', 'hexagon')}")
        for db, (dvpc, dlabel) in sorted(stack.databases.items()):
            if dvpc == vpc:
                lines.append(f"    {node(db, 'RDS ' + dlabel, '#bbf7d0', 'cylinder')}")
        lines.append("  }")
    for inst, (isub, ilabel) in sorted(stack.instances.items()):
        if isub not in stack.subnets:
            lines.append(f"  {node(inst, ilabel + NEWLINE + inst, '#dbeafe')}")
    for arn, label in sorted(stack.target_groups.items()):
        lines.append(f"  {node(arn, 'TG ' + label, '#fef3c7', 'note')}")
    for ident, label in sorted(stack.targets.items()):
        lines.append(f"  {node(ident, label, '#e5e7eb', 'ellipse')}")
    for url, label in sorted(stack.queues.items()):
        lines.append(f"  {node(url, 'SQS ' + label, '#fbcfe8', 'component')}")
    for bucket in sorted(stack.buckets):
        lines.append(f"  {node('s3:' + bucket, 'S3 ' + bucket, '#fed7aa', 'folder')}")
    for source, target in dict.fromkeys(stack.edges):
        lines.append(f"  {quote(source)} -> {quote(target)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Reader:
    """Reads the stack's resources with boto3 (honours AWS_ENDPOINT_URL for the emulator)."""

    def __init__(self, tags: dict[str, str], region: str) -> None:
        import boto3

        self.tags, self.region = tags, region
        self.session = boto3.session.Session(region_name=region)

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def mine(self, tags: dict[str, str]) -> bool:
        return self.tags.items() <= tags.items()

    def filters(self) -> list[dict[str, Any]]:
        return [{"Name": f"tag:{k}", "Values": [v]} for k, v in self.tags.items()]

    def read(self, name: str) -> Stack:
        stack = Stack(name=name, region=self.region)
        self.network(stack)
        self.balancers(stack)
        self.databases(stack)
        self.queues(stack)
        self.buckets(stack)
        return stack

    def network(self, stack: Stack) -> None:
        ec2 = self.client("ec2")
        for vpc in ec2.describe_vpcs(Filters=self.filters())["Vpcs"]:
            stack.vpcs[vpc["VpcId"]] = tags_of(vpc.get("Tags")).get("Name", "")
        if stack.vpcs:
            vpc_filter = [{"Name": "vpc-id", "Values": list(stack.vpcs)}]
            for subnet in ec2.describe_subnets(Filters=vpc_filter)["Subnets"]:
                label = tags_of(subnet.get("Tags")).get("Name", subnet["CidrBlock"])
                stack.subnets[subnet["SubnetId"]] = (subnet["VpcId"], label)
        alive = {"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]}
        pages = ec2.get_paginator("describe_instances").paginate(Filters=[*self.filters(), alive])
        for page in pages:
            for reservation in page["Reservations"]:
                for inst in reservation["Instances"]:
                    label = tags_of(inst.get("Tags")).get("Name", inst["InstanceId"])
                    stack.instances[inst["InstanceId"]] = (inst.get("SubnetId", ""), label)

    def balancers(self, stack: Stack) -> None:
        elb = self.client("elbv2")
        found = elb.describe_load_balancers()["LoadBalancers"]
        arns = [lb["LoadBalancerArn"] for lb in found]
        tags: dict[str, dict[str, str]] = {}
        for start in range(0, len(arns), 20):
            for desc in elb.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
                tags[desc["ResourceArn"]] = tags_of(desc.get("Tags"))
        for lb in found:
            arn = lb["LoadBalancerArn"]
            if not self.mine(tags.get(arn, {})):
                continue
            stack.balancers[arn] = (lb.get("VpcId", ""), lb["LoadBalancerName"])
            for group in elb.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]:
                garn = group["TargetGroupArn"]
                stack.target_groups[garn] = group["TargetGroupName"]
                stack.edges.append((arn, garn))
                health = elb.describe_target_health(TargetGroupArn=garn)
                for desc in health["TargetHealthDescriptions"]:
                    target = desc["Target"]["Id"]
                    if target not in stack.instances:
                        stack.targets[target] = f"{target}:{desc['Target'].get('Port', '')}"
                    stack.edges.append((garn, target))

    def databases(self, stack: Stack) -> None:
        rds = self.client("rds")
        for db in rds.describe_db_instances()["DBInstances"]:
            tags = tags_of(db.get("TagList")) or tags_of(
                rds.list_tags_for_resource(ResourceName=db["DBInstanceArn"])["TagList"]
            )
            if self.mine(tags):
                vpc = db.get("DBSubnetGroup", {}).get("VpcId", "")
                ident = db["DBInstanceIdentifier"]
                stack.databases[ident] = (vpc, f"{ident} ({db['Engine']})")

    def queues(self, stack: Stack) -> None:
        sqs = self.client("sqs")
        for url in sqs.list_queues().get("QueueUrls", []):
            if self.mine(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
                stack.queues[url] = url.rsplit("/", 1)[-1]

    def buckets(self, stack: Stack) -> None:
        s3 = self.client("s3")
        for bucket in s3.list_buckets()["Buckets"]:
            try:
                tags = tags_of(s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"])
            except s3.exceptions.ClientError:
                continue
            if self.mine(tags):
                stack.buckets[bucket["Name"]] = bucket["Name"]


def stack_data(stack: str) -> dict[str, Any]:
    path = REPO / "inventories" / stack / "group_vars" / "all" / "stack.yml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="inventories/<stack> to draw")
    parser.add_argument("--region", help="region to read (default: the stack's)")
    parser.add_argument("--out", type=Path, help="output directory (default: .local/<stack>)")
    args = parser.parse_args(argv)
    data = stack_data(args.stack)
    name = data["stack_name"]
    tags = {"stack": name, "managed-by": "ansible-estate"}
    stack = Reader(tags, args.region or data["stack_region"]).read(name)
    out: Path = args.out or REPO / ".local" / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "diagram.dot").write_text(dot := to_dot(stack))
    if shutil.which("dot") is None:
        print("graphviz `dot` is missing (make setup installs it): wrote only diagram.dot")
        return 1
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    (out / "diagram.svg").write_text(svg.stdout)
    print(f"{out / 'diagram.svg'}: {len(stack.instances)} instances, {len(stack.balancers)} LBs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
