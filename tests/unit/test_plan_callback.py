"""estate.aws.plan: how a changed result becomes create / change / destroy entries, on the shapes
the modules really return (shapes copied from a --check --diff run of provision.yml), and the
wrapper's exit codes."""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.playbook import REPO
from support.source import load_plugin

plan = load_plugin("callback/plan.py")


def load_script(relative: str) -> ModuleType:
    """A Python script without a .py suffix (tools/plan/plan) as a module."""
    name = "estate_test_" + relative.replace("/", "_")
    loader = SourceFileLoader(name, str(REPO / relative))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


wrapper = load_script("tools/plan/plan")
TASK = "aws_network : Ensure the security groups and their rules"


def actions(result: dict[str, Any], state: Any = None, keyed: bool = False) -> set[tuple]:
    return {(e.action, e.resource) for e in plan.task_entries(TASK, state, result, keyed)}


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [
        ({}, {"name": "b"}, "create"),
        (None, {"name": "b"}, "create"),
        ("", "content", "create"),
        ("absent", {"state": "present"}, "create"),
        ({"tags": {"a": "1"}}, {"tags": {"a": "2"}}, "change"),
        ({"name": "b"}, "deleted", "destroy"),
        ({"name": "b"}, {}, "destroy"),
        ({"name": "b"}, {"state": "absent"}, "destroy"),
        ("present", None, "destroy"),
    ],
)
def test_classify(before: Any, after: Any, action: str) -> None:
    assert plan.classify(before, after) == action


def test_unchanged_results_make_no_entry() -> None:
    assert actions({"changed": False, "diff": {"before": {}, "after": {"x": 1}}}) == set()


def test_loop_items_are_named_by_their_label() -> None:
    """amazon.aws.ec2_security_group in a loop: one diff list per item, only changed items."""
    group = {"group_name": "web", "ip_permissions": [{"from_port": 80}]}
    result = {
        "changed": True,
        "results": [
            {
                "changed": True,
                "_ansible_item_label": "web",
                "item": {"name": "web"},
                "diff": [{"before": group, "after": {**group, "ip_permissions": []}}],
            },
            {"changed": False, "_ansible_item_label": "ssh", "item": {"name": "ssh"}},
            {"changed": True, "item": {"name": "db"}, "diff": [{"before": {}, "after": group}]},
        ],
    }
    assert actions(result) == {("change", "web"), ("create", "db")}


def test_keyed_diffs_give_one_entry_per_resource() -> None:
    """estate.aws.s3_buckets and the other bulk modules: diffs keyed by resource name."""
    result = {
        "changed": True,
        "diff": {
            "before": {"docs": {"tags": {"owner": "x"}}, "static": {}, "old": "present"},
            "after": {
                "docs": {"tags": {"owner": "akb"}},
                "static": {"name": "s"},
                "old": "deleted",
            },
        },
    }
    assert actions(result, keyed=True) == {
        ("change", "docs"),
        ("create", "static"),
        ("destroy", "old"),
    }
    # A resource only in after (tenants' queues, topics being created) is created.
    assert actions({"changed": True, "diff": {"before": {}, "after": {"q": {}}}}, keyed=True) == {
        ("create", "q")
    }


def test_results_without_diff() -> None:
    """Modules that report a change without a diff: named by the result, created when it says
    so, destroyed when the task's state is absent, otherwise changed."""
    assert actions({"changed": True, "name": "vpc-1"}) == {("change", "vpc-1")}
    assert actions({"changed": True, "id": "i-1", "created": True}) == {("create", "i-1")}
    assert actions({"changed": True, "changes": ["created"], "arn": "a"}) == {("create", "a")}
    assert actions({"changed": True, "arn": "a"}, state="absent") == {("destroy", "a")}
    assert actions({"changed": True}) == {("change", TASK)}
    vpc = {"changed": True, "msg": "VPC would be created if not in check mode"}
    assert actions(vpc) == {("create", TASK)}
    alb = {"changed": True, "msg": "Would have deleted ALB if not in check mode."}
    assert actions(alb) == {("destroy", TASK)}
    updated = {"changed": True, "msg": "Would have updated ALB if not in check mode."}
    assert actions(updated) == {("change", TASK)}


def test_summary_and_table() -> None:
    entries = [
        plan.Entry("create", "static", "t"),
        plan.Entry("change", "docs", "t"),
        plan.Entry("change", "web", "u"),
    ]
    assert plan.summary(entries) == "Plan: 1 to create, 2 to change, 0 to destroy."
    assert plan.summary([]).startswith("Plan: no changes")
    assert plan.table(entries).splitlines()[1].split() == ["create", "static", "t"]


@pytest.mark.parametrize(
    ("rc", "document", "code"),
    [
        (0, '{"complete": true, "resources": []}', 0),
        (0, '{"complete": true, "resources": [{"action": "create"}]}', 2),
        (2, '{"complete": false, "resources": [{"action": "create"}]}', 1),
        (0, '{"complete": false, "resources": []}', 1),
        (0, None, 1),
        (4, '{"complete": true, "resources": []}', 1),
    ],
)
def test_wrapper_exit_codes(tmp_path: Path, rc: int, document: str | None, code: int) -> None:
    """A playbook failure is 1, never 2, even when some changes were recorded before it."""
    plan_file = tmp_path / "plan.json"
    if document is not None:
        plan_file.write_text(document)
    assert wrapper.outcome(rc, plan_file) == code
