"""A stack's definition as Ansible resolves it for the roles: inventory, shared group_vars and the
roles' own defaults (roles/<role>/defaults/main.yml, the one place a default lives), templated."""

from __future__ import annotations

import json
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

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
RESOLVE_TASK = "Resolve the stack's variables"


def owning_roles(names: tuple[str, ...]) -> list[str]:
    """The roles whose defaults define one of NAMES (their variables carry the role's prefix)."""
    roles = sorted(p.parent.parent.name for p in (REPO / "roles").glob("*/defaults/main.yml"))
    return [r for r in roles if any(n.startswith(r + "_") for n in names)]


def resolver_playbook(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """A play that loads the owning roles' defaults (roles: makes them play vars at the lowest
    precedence; `when: false` runs none of their tasks) and prints NAMES as JSON."""
    expr = "{{ {" + ", ".join(f"'{n}': {n} | default(None)" for n in names) + "} | to_json }}"
    return [
        {
            "name": "Resolve",
            "hosts": "localhost",
            "gather_facts": False,
            "roles": [{"role": role, "when": False} for role in owning_roles(names)],
            "tasks": [{"name": RESOLVE_TASK, "ansible.builtin.debug": {"msg": expr}}],
        }
    ]


@cache
def stack_vars(stack: str, names: tuple[str, ...] = NETWORK_VARS) -> dict[str, Any]:
    """Resolve NAMES for localhost in inventories/<stack> through Ansible itself: what the
    stack sets, else the shared group_vars, else the owning role's default (None if none)."""
    with tempfile.TemporaryDirectory(prefix="stack-vars-") as work:
        playbook = Path(work) / "resolve.yml"
        playbook.write_text(yaml.safe_dump(resolver_playbook(names), sort_keys=False))
        proc = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", f"inventories/{stack}", str(playbook)],
            cwd=REPO,
            env=ansible_env({"ANSIBLE_STDOUT_CALLBACK": "json"}),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    result = json.loads(proc.stdout)
    task = next(t for t in result["plays"][0]["tasks"] if t["task"]["name"] == RESOLVE_TASK)
    msg = task["hosts"]["localhost"]["msg"]
    return json.loads(msg) if isinstance(msg, str) else msg
