# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# ruff: noqa: E402
"""Summarise a --check --diff run of provision.yml per resource: create / change / destroy."""

from __future__ import annotations

DOCUMENTATION = r"""
name: plan
type: aggregate
short_description: Per-resource summary (create / change / destroy) of a check-mode run
description:
  - "Meant for C(ansible-playbook playbooks/provision.yml --check --diff) (C(make plan),
    C(tools/plan/plan)): records every changed task result, and every changed loop item, as one
    resource with the action the real run would take, writes them to a JSON file and prints
    C(Plan: N to create, M to change, K to destroy) at the end. The normal stdout callback stays."
  - "A resource is named by its loop item label, else by a C(resource), C(name), C(arn) or C(id)
    key of the result, else by its task. The bulk modules of this collection (O(keyed_modules))
    return diffs keyed by resource (C({before: {name: ...}, after: {name: ...}})): each key is
    one resource."
  - "Action: C(destroy) when the task's C(state) is C(absent), or the diff's C(after) is empty,
    C(deleted) or C(absent) (or has C(state: absent)); C(create) when the diff's C(before) is
    empty or absent, or the result says so (C(created: true), C(created) among its
    C(changes), or a check-mode message such as C(VPC would be created));
    C(change) otherwise (also when a module reports a change without a diff)."
  - Changes to files on the controller (O(local_actions), e.g. C(outputs.json)) are not resources
    and are left out.
requirements:
  - enabled in the callbacks list (C(ANSIBLE_CALLBACKS_ENABLED=estate.aws.plan))
options:
  path:
    description: Where the JSON plan is written (its directory is created).
    type: path
    default: .local/plan.json
    env:
      - name: ESTATE_PLAN_FILE
    ini:
      - section: callback_plan
        key: path
  keyed_modules:
    description: Modules whose diff is keyed by resource name (the collection's bulk modules).
    type: list
    elements: str
    default:
      - s3_buckets
      - sns_topics
      - log_groups
      - metric_alarms
      - tenants
      - dynamodb_tables
      - cloudfront_distributions
      - cognito_user_pools
      - rest_apis
  local_actions:
    description: Actions that change only files on the controller, never counted.
    type: list
    elements: str
    default: [copy, file, template]
"""

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ansible.plugins.callback import CallbackBase

ACTIONS = ("create", "change", "destroy")
GONE = ("absent", "deleted")
# amazon.aws/community.aws modules without a diff in check mode say what they would have done:
# "VPC would be created if not in check mode", "Would have deleted ALB if not in check mode."
WOULD = re.compile(r"\bwould (?:have )?(?:been |be )?(\w+)", re.I)
MSG_ACTIONS = {"created": "create", "launched": "create", "deleted": "destroy"}
MSG_ACTIONS |= {"terminated": "destroy", "removed": "destroy"}


@dataclass(frozen=True)
class Entry:
    """One resource the real run would touch."""

    action: str
    resource: str
    task: str


def empty(value: Any) -> bool:
    """A diff side that means 'no such resource'."""
    return value is None or value == "" or value == {} or value == [] or value == "absent"


def gone(value: Any) -> bool:
    """A diff side that means 'the resource will be deleted'."""
    if isinstance(value, str):
        return value in GONE or value == ""
    if isinstance(value, Mapping):
        return not value or value.get("state") in GONE
    return value is None


def classify(before: Any, after: Any) -> str:
    """The action one diff (BEFORE -> AFTER) stands for."""
    if gone(after) and not empty(before):
        return "destroy"
    if empty(before):
        return "create"
    return "change"


def short(action: str) -> str:
    """Module name without its collection: amazon.aws.s3_bucket -> s3_bucket."""
    return action.rsplit(".", 1)[-1]


def diffs(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The result's diff(s) that carry a before or an after (a diff may be one dict or a list)."""
    found = result.get("diff")
    items = found if isinstance(found, list) else [found]
    return [d for d in items if isinstance(d, Mapping) and ("before" in d or "after" in d)]


def combine(actions: Iterable[str]) -> str:
    """One action for several diffs of one resource: the same one throughout, else change."""
    distinct = set(actions)
    return distinct.pop() if len(distinct) == 1 else "change"


def says_created(result: Mapping[str, Any]) -> bool:
    changes = result.get("changes")
    return result.get("created") is True or (isinstance(changes, list) and "created" in changes)


def said(result: Mapping[str, Any]) -> str:
    """The action a result without a diff states: created (in its changes, a created flag or its
    check-mode message), deleted (its message), else change."""
    if says_created(result):
        return "create"
    found = WOULD.search(str(result.get("msg") or ""))
    return MSG_ACTIONS.get(found.group(1).lower(), "change") if found else "change"


def identifier(result: Mapping[str, Any], fallback: str) -> str:
    """The loop item's label, else the result's resource/name/arn/id, else FALLBACK."""
    label = result.get("_ansible_item_label", result.get("item"))
    if label is not None and not isinstance(label, (Mapping, list)):
        return str(label)
    if isinstance(label, Mapping):
        for key in ("name", "id", "Name"):
            if isinstance(label.get(key), str):
                return label[key]
    for key in ("resource", "name", "arn", "id"):
        if isinstance(result.get(key), str) and result[key]:
            return result[key]
    return fallback


def result_entries(
    task: str, state: Any, result: Mapping[str, Any], keyed: bool = False
) -> list[Entry]:
    """Entries for one changed result (a task's, or one loop item's)."""
    if not result.get("changed"):
        return []
    found = diffs(result)
    if keyed:
        per_key: list[Entry] = []
        for diff in found:
            before, after = diff.get("before") or {}, diff.get("after") or {}
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                for key in sorted(set(before) | set(after), key=str):
                    action = classify(before.get(key), after.get(key))
                    per_key.append(Entry(action, str(key), task))
        if per_key:
            return per_key
    name = identifier(result, task)
    if state == "absent":
        action = "destroy"
    elif found:
        action = combine(classify(d.get("before"), d.get("after")) for d in found)
        action = "create" if action == "change" and says_created(result) else action
    else:
        action = said(result)
    return [Entry(action, name, task)]


def task_entries(
    task: str, state: Any, result: Mapping[str, Any], keyed: bool = False
) -> list[Entry]:
    """Entries for a task's result: one per changed loop item, or the result itself."""
    items = result.get("results")
    if isinstance(items, list) and items:
        return [
            e
            for item in items
            if isinstance(item, Mapping)
            for e in result_entries(task, state, item, keyed)
        ]
    return result_entries(task, state, result, keyed)


def summary(entries: Iterable[Entry]) -> str:
    counts = Counter(e.action for e in entries)
    if not counts:
        return "Plan: no changes. The live state matches the stack definition."
    return "Plan: {} to create, {} to change, {} to destroy.".format(*(counts[a] for a in ACTIONS))


def table(entries: list[Entry]) -> str:
    width = max((len(e.resource) for e in entries), default=8)
    rows = [f"  {'action':<8} {'resource':<{width}}  task"]
    rows += [f"  {e.action:<8} {e.resource:<{width}}  {e.task}" for e in entries]
    return "\n".join(rows)


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "estate.aws.plan"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []

    def v2_runner_on_ok(self, result: Any) -> None:
        task = result._task
        action = short(task.action)
        if action in self.get_option("local_actions"):
            return
        keyed = task.action.startswith("estate.aws.") and action in self.get_option("keyed_modules")
        name = task.get_name().strip()
        found = task_entries(name, task.args.get("state"), result._result, keyed)
        self.entries.extend(e for e in found if e not in self.entries)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = self.get_option("path")
        counts = Counter(e.action for e in self.entries)
        failed = any(stats.failures.values()) or any(stats.dark.values())
        document = {
            "complete": not failed,
            "counts": {a: counts[a] for a in ACTIONS},
            "resources": [asdict(e) for e in self.entries],
        }
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write("\n")
        self._display.banner("PLAN")
        if self.entries:
            self._display.display(table(self.entries))
        if failed:
            self._display.display("Plan incomplete: the run failed (see above).")
        self._display.display(summary(self.entries))
        self._display.display(f"  plan written to {path}")
