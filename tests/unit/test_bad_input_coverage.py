"""The bad input catalogue (tests/provision/test_bad_input.py) covers every failure message of
the aws_* roles' validate tasks: each assert's fail_msg is matched by at least one row, and
every aws_* role with a validate entry point is validated by provision.yml's preflight play.

A fail_msg is matched by a row when the row's expected message starts with the fail_msg's fixed
text up to its first Jinja expression (or, for a fail_msg without one, contains all of it).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from support.playbook import REPO

CATALOGUE = REPO / "tests" / "provision" / "test_bad_input.py"

# fail_msgs that no stack definition can trigger, with the reason. Keep this short and explain
# every entry: anything else must have a row in the catalogue.
NOT_TRIGGERABLE: dict[str, str] = {}


def catalogue() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bad_input_catalogue", CATALOGUE)
    assert spec and spec.loader
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module  # the dataclasses in it look their module up there
        spec.loader.exec_module(module)
    return module


def tasks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every task of a task list, blocks flattened."""
    found = []
    for item in items or []:
        found.append(item)
        for key in ("block", "rescue", "always"):
            found += tasks(item.get(key, []))
    return found


def fail_messages() -> dict[str, str]:
    """'<role>: <task name>' -> fixed head of its fail_msg (whitespace folded), for every assert
    and fail task of the aws_* roles' validate.yml."""
    found = {}
    for path in sorted(REPO.glob("roles/aws_*/tasks/validate.yml")):
        for task in tasks(yaml.safe_load(path.read_text())):
            for module, key in (
                ("ansible.builtin.assert", "fail_msg"),
                ("ansible.builtin.fail", "msg"),
            ):
                if module in task:
                    text = " ".join(str(task[module][key]).split())
                    found[f"{path.parts[-3]}: {task['name']}"] = text.split("{{")[0].strip()
    return found


def test_every_validate_message_has_a_row() -> None:
    messages = fail_messages()
    assert len(messages) >= 2 * 12 - 1, messages  # two asserts per tier (KMS: one)
    rows = [" ".join(c.message.split()) for c in catalogue().CASES]
    missing = {
        where: head
        for where, head in messages.items()
        if head not in NOT_TRIGGERABLE and not any(row.startswith(head) for row in rows)
    }
    assert not missing, "validate messages no catalogue row triggers:\n" + "\n".join(
        f"  {where}: {head!r}" for where, head in sorted(missing.items())
    )


def test_not_triggerable_entries_still_exist() -> None:
    heads = set(fail_messages().values())
    assert not set(NOT_TRIGGERABLE) - heads, "stale NOT_TRIGGERABLE entries"


def test_the_preflight_validates_every_role_that_can() -> None:
    play = yaml.safe_load((REPO / "playbooks" / "provision.yml").read_text())[0]
    included = {
        t["ansible.builtin.include_role"]["name"]
        for t in play["tasks"]
        if t.get("ansible.builtin.include_role", {}).get("tasks_from") == "validate"
    }
    roles = {p.parts[-3] for p in REPO.glob("roles/aws_*/tasks/validate.yml")}
    assert included == roles


def test_every_tier_has_rows() -> None:
    tiers = {p.parts[-3].removeprefix("aws_") for p in REPO.glob("roles/aws_*/tasks/validate.yml")}
    rows = " ".join(c.message + " " + " ".join(c.overrides) for c in catalogue().CASES)
    without = {t for t in tiers if not re.search(rf"\baws_{t}_", rows)}
    assert not without, f"tiers without a row: {sorted(without)}"


def test_catalogue_rows_are_well_formed() -> None:
    for case in catalogue().CASES:
        assert case.id and case.message.strip(), case
        assert case.overrides, f"{case.id}: a row changes something"
        assert Path(REPO / "inventories" / case.stack).is_dir(), f"{case.id}: {case.stack}"
