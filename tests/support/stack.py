"""A stack's definition as Ansible resolves it (inventory + shared group_vars, templated)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

from support.playbook import BIN, REPO, ansible_env

STACKS = ("cubed", "mydigitalstructure", "akb", "mobile")
NETWORK_VARS = (
    "stack_name",
    "stack_region",
    "stack_tags",
    "estate_shared_defaults_loaded",
    "aws_network_vpc_cidr",
    "aws_network_azs",
    "aws_network_nat_mode",
    "aws_network_subnets",
    "aws_network_security_groups",
    "aws_network_vpn",
    "aws_network_flow_logs_retention_days",
    "aws_network_flow_logs_traffic_type",
)


@cache
def stack_vars(stack: str, names: tuple[str, ...] = NETWORK_VARS) -> dict[str, Any]:
    """Resolve NAMES for localhost in inventories/<stack> through Ansible itself."""
    expr = "{{ {" + ", ".join(f"'{n}': {n} | default(None)" for n in names) + "} | to_json }}"
    proc = subprocess.run(
        [
            str(BIN / "ansible"),
            "-i",
            f"inventories/{stack}",
            "localhost",
            "-m",
            "debug",
            "-a",
            f"msg={expr}",
        ],
        cwd=REPO,
        env=ansible_env({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json"}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(proc.stdout)
    msg = result["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    return json.loads(msg) if isinstance(msg, str) else msg
