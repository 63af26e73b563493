"""estate.aws.event_schedules against the emulator, run by ansible-playbook: EventBridge rules
that invoke Lambda functions on a schedule are created with their target, input, tags and the
function's permission; a second run and --check change nothing; --check --diff of a change shows
it and makes none; a change of expression, state, input and target function is applied in place
(the old function's permission revoked); drift made by hand is repaired; a same-named rule that is
not the stack's is refused before any change; invalid input fails naming the field; a rule
dropped from the list is purged with its permission; the teardown removes exactly the stack's
rules, and a neighbour stack whose name starts with this one's keeps its own. Everything is read
back with boto3. No function is ever invoked."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = [pytest.mark.slow, pytest.mark.cost(60)]

REGION = "eu-west-2"
PLAY = """
- name: Scheduled invocations
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Reconcile the stack's schedules
      estate.aws.event_schedules:
        region: "{{ region }}"
        prefix: "{{ stack }}-"
        tags: {stack: "{{ stack }}", env: test, managed-by: pytest}
        schedules: "{{ schedules }}"
        state: "{{ schedules_state }}"
"""
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="session")
def functions(emulator: Emulator) -> dict[str, str]:
    """Two functions (never invoked), made once per emulator: name -> ARN."""
    role = emulator.client("iam").create_role(
        RoleName="schedules-test-fn", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    lam = emulator.client("lambda", REGION)
    return {
        name: lam.create_function(
            FunctionName=f"schedules-test-{name}",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        for name in ("reminders", "reports")
    }


def run(tmp_path: Path, stack: str, schedules: list[dict[str, Any]], *args: str) -> PlaybookRun:
    play = tmp_path / "schedules.yml"
    play.write_text(PLAY)
    variables = {
        "ansible_connection": "local",
        "ansible_python_interpreter": str(BIN / "python"),
        "region": REGION,
        "stack": stack,
        "schedules": schedules,
        "schedules_state": "absent" if "absent" in args else "present",
    }
    varsfile = tmp_path / f"{stack}-vars.json"
    varsfile.write_text(json.dumps(variables))
    return run_play(play, "-e", f"@{varsfile}", *[a for a in args if a != "absent"], timeout=300)


def rules(emulator: Emulator, prefix: str) -> dict[str, dict[str, Any]]:
    """Rules of the prefix: expression, state, description, tags, targets (Id, Arn, Input)."""
    events = emulator.client("events", REGION)
    found = {}
    for rule in events.list_rules(NamePrefix=prefix)["Rules"]:
        tags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        found[rule["Name"]] = {
            "arn": rule["Arn"],
            "expression": rule.get("ScheduleExpression"),
            "state": rule["State"],
            "description": rule.get("Description", ""),
            "tags": {t["Key"]: t["Value"] for t in tags},
            "targets": [(t["Id"], t["Arn"], t.get("Input")) for t in targets],
        }
    return found


def grants(emulator: Emulator, function_arn: str) -> dict[str, str]:
    """The function's policy statements for EventBridge: Sid -> source rule ARN."""
    lam = emulator.client("lambda", REGION)
    try:
        policy = json.loads(lam.get_policy(FunctionName=function_arn)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        return {}
    return {
        s["Sid"]: s["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in policy["Statement"]
        if s.get("Principal", {}).get("Service") == "events.amazonaws.com"
    }


def test_schedules_lifecycle(emulator: Emulator, tmp_path: Path, functions: dict[str, str]) -> None:
    stack, neighbour = "sched", "sched-x"
    daily = {
        "name": f"{stack}-daily",
        "expression": "cron(0 7 * * ? *)",
        "description": "Event reminders",
        "function_arn": functions["reminders"],
        "input": {"kind": "reminders"},
    }
    weekly = {
        "name": f"{stack}-weekly",
        "expression": "rate(7 days)",
        "function_arn": functions["reports"],
    }
    # A neighbour whose name starts with this stack's: its rule is listed by our prefix too.
    other = {**weekly, "name": f"{neighbour}-weekly"}
    assert run(tmp_path, neighbour, [other]).rc == 0
    neighbour_before = rules(emulator, f"{neighbour}-")

    # --check of the creation changes nothing.
    checked = run(tmp_path, stack, [daily, weekly], "--check", "--diff")
    assert checked.rc == 0 and checked.changed == 1, checked.output[-3000:]
    assert set(rules(emulator, f"{stack}-")) == {f"{neighbour}-weekly"}

    first = run(tmp_path, stack, [daily, weekly])
    assert first.rc == 0 and first.changed == 1, first.output[-3000:]
    found = rules(emulator, f"{stack}-")
    assert found[f"{stack}-daily"]["expression"] == "cron(0 7 * * ? *)"
    assert found[f"{stack}-daily"]["state"] == "ENABLED"
    assert found[f"{stack}-daily"]["description"] == "Event reminders"
    assert found[f"{stack}-daily"]["tags"] == {
        "stack": stack,
        "env": "test",
        "managed-by": "pytest",
        "tier": "serverless",
    }
    assert found[f"{stack}-daily"]["targets"] == [
        ("function", functions["reminders"], '{"kind":"reminders"}')
    ]
    assert found[f"{stack}-weekly"]["targets"] == [("function", functions["reports"], None)]
    daily_arn = found[f"{stack}-daily"]["arn"]
    assert grants(emulator, functions["reminders"]) == {f"events-{stack}-daily": daily_arn}

    for args in ((), ("--check", "--diff")):
        again = run(tmp_path, stack, [daily, weekly], *args)
        assert again.rc == 0 and again.changed == 0, again.output[-3000:]

    # A change: expression, state, input and target function of one rule.
    changed = {
        **daily,
        "expression": "rate(12 hours)",
        "enabled": False,
        "function_arn": functions["reports"],
        "input": {"kind": "report"},
    }
    preview = run(tmp_path, stack, [changed, weekly], "--check", "--diff")
    assert preview.rc == 0 and preview.changed == 1 and "rate(12 hours)" in preview.output
    assert rules(emulator, f"{stack}-")[f"{stack}-daily"] == found[f"{stack}-daily"]
    applied = run(tmp_path, stack, [changed, weekly])
    assert applied.rc == 0 and applied.changed == 1, applied.output[-3000:]
    now = rules(emulator, f"{stack}-")[f"{stack}-daily"]
    assert (now["expression"], now["state"], now["arn"]) == (
        "rate(12 hours)",
        "DISABLED",
        daily_arn,
    )
    assert now["targets"] == [("function", functions["reports"], '{"kind":"report"}')]
    assert grants(emulator, functions["reminders"]) == {}
    assert grants(emulator, functions["reports"])[f"events-{stack}-daily"] == daily_arn

    # Drift made by hand: the rule enabled again, its permission removed, a tag changed.
    events, lam = emulator.client("events", REGION), emulator.client("lambda", REGION)
    events.enable_rule(Name=f"{stack}-daily")
    lam.remove_permission(FunctionName=functions["reports"], StatementId=f"events-{stack}-daily")
    events.tag_resource(ResourceARN=daily_arn, Tags=[{"Key": "env", "Value": "hand"}])
    repaired = run(tmp_path, stack, [changed, weekly])
    assert repaired.rc == 0 and repaired.changed == 1, repaired.output[-3000:]
    now = rules(emulator, f"{stack}-")[f"{stack}-daily"]
    assert now["state"] == "DISABLED" and now["tags"]["env"] == "test"
    assert grants(emulator, functions["reports"])[f"events-{stack}-daily"] == daily_arn
    assert run(tmp_path, stack, [changed, weekly]).changed == 0

    # A rule of a wanted name that is not the stack's is refused before any change.
    events.put_rule(Name=f"{stack}-foreign", ScheduleExpression="rate(1 day)")
    before = rules(emulator, f"{stack}-")
    foreign = {**weekly, "name": f"{stack}-foreign"}
    refused = run(tmp_path, stack, [changed, foreign])
    assert refused.rc != 0 and f"{stack}-foreign exist but are not tagged" in refused.output
    assert rules(emulator, f"{stack}-") == before
    events.delete_rule(Name=f"{stack}-foreign")

    # Invalid input names the field; nothing is called.
    bad = run(tmp_path, stack, [{**weekly, "expression": "every day"}])
    assert bad.rc != 0 and "schedules[0].expression 'every day'" in bad.output

    # Purge: the weekly rule dropped from the list goes, with its permission.
    purged = run(tmp_path, stack, [changed])
    assert purged.rc == 0 and purged.changed == 1
    assert set(rules(emulator, f"{stack}-")) == {f"{stack}-daily", f"{neighbour}-weekly"}

    # Teardown: exactly the stack's rules and permissions; the neighbour's stay as they were.
    gone = run(tmp_path, stack, [], "absent")
    assert gone.rc == 0 and gone.changed == 1
    assert rules(emulator, f"{stack}-") == neighbour_before
    assert grants(emulator, functions["reports"]) == {
        f"events-{neighbour}-weekly": neighbour_before[f"{neighbour}-weekly"]["arn"]
    }
    assert run(tmp_path, stack, [], "absent").changed == 0
    assert run(tmp_path, neighbour, [], "absent").rc == 0
    assert rules(emulator, f"{stack}-") == {}
