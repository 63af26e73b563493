"""The serverless tier (roles/aws_serverless) on its own against the emulator, with function
sources of the test's own: a function's code hash changes only when its sources change, the
second run and --check change nothing, a function left out of the data is deleted, a table that
holds items is never deleted without the safety flag (and the refused run changes nothing), bad
data fails before any AWS call, and the teardown leaves nothing of the stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checks_serverless import serverless_left, stack_apis, stack_functions, stack_tables
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-3"
STACK = "st-main"
PLAY = """
- name: Serverless tier
  hosts: localhost
  gather_facts: false
  roles:
    - role: aws_serverless
"""
TEARDOWN = """
- name: Serverless teardown
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Refuse a teardown that would lose data
      ansible.builtin.include_role:
        name: aws_serverless
        tasks_from: destroy_check
    - name: Delete the tier
      ansible.builtin.include_role:
        name: aws_serverless
        tasks_from: destroy
"""


def setup_account(emulator: Emulator) -> tuple[str, str]:
    """The stack key and the functions' role (idempotent: xdist workers may share an emulator)."""
    kms, iam = emulator.client("kms", REGION), emulator.client("iam", REGION)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    key_id = aliases.get(f"alias/{STACK}") or kms.create_key()["KeyMetadata"]["KeyId"]
    if f"alias/{STACK}" not in aliases:
        kms.create_alias(AliasName=f"alias/{STACK}", TargetKeyId=key_id)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    try:
        role = iam.get_role(RoleName=f"{STACK}-fn")["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=f"{STACK}-fn", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"], role["Arn"]


class Tier:
    def __init__(self, emulator: Emulator, tmp_path: Path) -> None:
        self.emulator, self.tmp_path = emulator, tmp_path
        key_arn, role_arn = setup_account(emulator)
        for name in ("hello", "bye"):
            src = tmp_path / "src" / name
            src.mkdir(parents=True)
            (src / "handler.py").write_text(f"def handler(event, context):\n    return '{name}'\n")
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "stack_name": STACK,
            "stack_region": REGION,
            "stack_outputs_dir": str(tmp_path / "out"),
            "aws_serverless_tags": {"stack": STACK, "env": "test", "managed-by": "pytest"},
            "aws_serverless_kms_key_arn": key_arn,
            "aws_serverless_role_arns": {"fn": role_arn},
            "aws_identity_roles": [{"name": "fn"}],
            "aws_serverless_source_root": str(tmp_path / "src"),
        }

    def data(self, functions: list[str] = ["hello", "bye"]) -> dict[str, Any]:  # noqa: B006
        return {
            "aws_serverless_tables": [{"name": "items", "hash_key": {"name": "id", "type": "S"}}],
            "aws_serverless_topics": [{"name": "push"}],
            "aws_serverless_user_pools": [{"name": "users", "clients": [{"name": "app"}]}],
            "aws_serverless_functions": [
                {
                    "name": name,
                    "source": name,
                    "role": "fn",
                    "environment": {"GREETING": name},
                    "environment_from": {"TABLE": "tables.items.name", "TOPIC": "topics.push.arn"},
                }
                for name in functions
            ],
            "aws_serverless_apis": [
                {
                    "name": "app",
                    "user_pool": "users",
                    "routes": [
                        {"path": f"/{name}", "method": "GET", "function": name, "authorized": True}
                        for name in functions
                    ],
                }
            ],
        }

    def run(self, data: dict[str, Any], *args: str, teardown: bool = False) -> PlaybookRun:
        play = self.tmp_path / ("teardown.yml" if teardown else "serverless.yml")
        play.write_text(TEARDOWN if teardown else PLAY)
        varsfile = self.tmp_path / "vars.json"
        varsfile.write_text(json.dumps({**self.variables, **data}))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=600)

    def hashes(self) -> dict[str, str]:
        found = stack_functions(self.emulator, REGION, STACK)
        return {name: fn["CodeSha256"] for name, fn in found.items()}


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}: {run.changed_tasks()}"


@pytest.mark.cost(85)
def test_serverless_tier_lifecycle(emulator: Emulator, tmp_path: Path) -> None:
    tier = Tier(emulator, tmp_path)
    ok(tier.run(tier.data()), "first run", changed=True)
    first = tier.hashes()
    assert set(first) == {f"{STACK}-hello", f"{STACK}-bye"}
    env = stack_functions(emulator, REGION, STACK)[f"{STACK}-hello"]["Environment"]["Variables"]
    assert env["GREETING"] == "hello" and env["TABLE"] == f"{STACK}-items"
    assert env["TOPIC"].endswith(f":{STACK}-push")
    ok(tier.run(tier.data()), "second run", changed=False)
    ok(tier.run(tier.data(), "--check", "--diff"), "--check on the converged tier", changed=False)

    # A source change re-uploads that function's code only.
    (tmp_path / "src" / "hello" / "handler.py").write_text(
        "def handler(event, context):\n    return 'hi'\n"
    )
    ok(tier.run(tier.data()), "changed sources", changed=True)
    second = tier.hashes()
    assert second[f"{STACK}-hello"] != first[f"{STACK}-hello"]
    assert second[f"{STACK}-bye"] == first[f"{STACK}-bye"]

    # A function left out of the data (and its route) goes; the rest stays.
    ok(tier.run(tier.data(["hello"])), "dropping bye", changed=True)
    assert set(tier.hashes()) == {f"{STACK}-hello"}
    api = stack_apis(emulator, REGION, STACK)[f"{STACK}-app"]
    paths = {
        r["path"]
        for r in emulator.client("apigateway", REGION).get_resources(restApiId=api["id"])["items"]
    }
    assert paths == {"/", "/hello"}

    # A table that holds an item is not deleted without the flag, and nothing else is either.
    emulator.client("dynamodb", REGION).put_item(
        TableName=f"{STACK}-items", Item={"id": {"S": "1"}}
    )
    before = serverless_left(emulator, REGION, STACK)
    kept = tier.run(tier.data(["hello"]), teardown=True)
    assert kept.rc != 0 and f"{STACK}-items" in kept.output, kept.output[-3000:]
    assert serverless_left(emulator, REGION, STACK) == before, (
        "a refused teardown deleted something"
    )

    ok(
        tier.run(tier.data(["hello"]), "-e", "aws_serverless_delete_data=true", teardown=True),
        "teardown",
    )
    left = {kind: ids for kind, ids in serverless_left(emulator, REGION, STACK).items() if ids}
    assert not left, f"teardown left {left}"
    logs = emulator.client("logs", REGION).describe_log_groups(
        logGroupNamePrefix=f"/aws/lambda/{STACK}"
    )
    assert not logs["logGroups"]
    assert not stack_tables(emulator, REGION, STACK)
