"""The tier roles' contracts (tools/docs/tierdocs.py): every meta/outputs.yml is well-formed and
declares exactly the keys the role's tasks publish, the check of published outputs against a
declaration finds every difference, and every README's generated tables are up to date
(tools/docs/render-tiers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.source import load_source

tierdocs = load_source("tools/docs/tierdocs.py")
ROLES = tierdocs.tier_roles()
IDS = [role.name for role in ROLES]


def published_keys(role: Path) -> set[str]:
    """The keys of the aws_<tier>_outputs fact as the role's tasks set it (any set_fact task)."""
    fact = f"{role.name}_outputs"
    found: set[str] = set()
    for path in (role / "tasks").glob("*.yml"):
        for task in _tasks(yaml.safe_load(path.read_text()) or []):
            args = task.get("ansible.builtin.set_fact") or {}
            if isinstance(args, dict) and isinstance(args.get(fact), dict):
                found |= set(args[fact])
    return found


def _tasks(tasks: list[Any]) -> list[dict[str, Any]]:
    flat = []
    for task in tasks:
        flat.append(task)
        for section in ("block", "rescue", "always"):
            flat += _tasks(task.get(section) or [])
    return flat


def test_every_tier_role_declares_its_outputs() -> None:
    assert "aws_network" in IDS and "aws_monitoring" in IDS
    assert [r.name for r in ROLES if not (r / "meta" / "outputs.yml").is_file()] == []


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_declaration_is_well_formed(role: Path) -> None:
    path = role / "meta" / "outputs.yml"
    assert tierdocs.declaration_errors(yaml.safe_load(path.read_text()), str(path)) == []


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_declaration_names_the_keys_the_tasks_publish(role: Path) -> None:
    assert set(tierdocs.declared_outputs(role)) == published_keys(role)


def test_malformed_declarations_are_named() -> None:
    assert tierdocs.declaration_errors({"outputs": {}}, "x") == [
        "x: outputs must be a non-empty mapping of key: declaration"
    ]
    bad = {
        "absent_when": "",
        "outputs": {
            "a": {"type": "text", "description": "A."},
            "b": {"type": "str", "description": "two\nlines."},
            "c": {"type": "str", "elements": "str", "description": "C."},
            "d": {"type": "list", "options": {"x": {"type": "str"}}, "description": "D."},
            "e": {"type": "str", "optional": True, "description": "E."},
            "f": {"type": "str", "colour": "red", "description": "F"},
        },
    }
    assert tierdocs.declaration_errors(bad, "x") == [
        "x.absent_when must be a condition, in words",
        "x: outputs.a.type 'text' must be one of str, int, float, bool, list, dict, raw",
        "x: outputs.b.description must be one line of text",
        "x: outputs.c.elements must be a type, and only of a list or a dict",
        "x: outputs.d.options belong to a dict, or to a list or dict whose elements are dicts",
        "x: outputs.d.options.x.description must be one line of text",
        "x: outputs.e: an optional key says when it is published (when), and only it",
        "x: outputs.f: unknown field(s) colour"
        " (type, elements, options, description, optional, when, nullable, choices)",
        "x: outputs.f.description must end with a full stop",
    ]


DECLARED: dict[str, Any] = {
    "absent_when": "the stack has none",
    "outputs": {
        "id": {"type": "str", "description": "ID."},
        "ids": {"type": "dict", "elements": "str", "description": "IDs."},
        "items": {
            "type": "dict",
            "elements": "dict",
            "description": "Items.",
            "options": {
                "arn": {"type": "str", "description": "ARN."},
                "port": {"type": "int", "description": "Port."},
                "stream": {"type": "str", "nullable": True, "description": "Stream."},
                "url": {"type": "str", "optional": True, "when": "it has one", "description": "U."},
            },
        },
        "records": {
            "type": "list",
            "elements": "dict",
            "description": "Records.",
            "options": {"name": {"type": "str", "description": "Name."}},
        },
    },
}
GOOD = {
    "id": "x",
    "ids": {"a": "1"},
    "items": {"a": {"arn": "arn", "port": 1, "stream": None}},
    "records": [{"name": "r"}],
}


def test_published_outputs_are_held_to_the_declaration_key_by_key() -> None:
    assert tierdocs.outputs_errors(DECLARED, GOOD, "t") == []
    assert tierdocs.outputs_errors(DECLARED, {}, "t") == [], "absent_when: nothing published"
    assert tierdocs.outputs_errors({**DECLARED, "absent_when": None}, {}, "t") == [
        f"t.{key} is declared but not published" for key in DECLARED["outputs"]
    ]
    bad = {
        "ids": {"a": 1},
        "items": {"a": {"arn": "arn", "port": True, "url": None, "extra": 1}, "b": "x"},
        "records": [{}],
        "new": 1,
    }
    assert tierdocs.outputs_errors(DECLARED, bad, "t") == [
        "t.new is published but not declared",
        "t.id is declared but not published",
        "t.ids['a'] must be a str, not 1",
        "t.items['a'].extra is published but not declared",
        "t.items['a'].stream is declared but not published",
        "t.items['a'].port must be a int, not True",
        "t.items['a'].url is null",
        "t.items['b'] must be a dict, not 'x'",
        "t.records[0].name is declared but not published",
    ]


def test_tables_name_nested_fields_at_any_depth() -> None:
    specs = {
        "argument_specs": {
            "main": {
                "options": {
                    "t_dbs": {
                        "type": "list",
                        "elements": "dict",
                        "description": "Databases | all.",
                        "options": {
                            "engine": {"type": "str", "choices": ["a", "b"], "required": True},
                            "tls": {
                                "type": "dict",
                                "options": {"min": {"type": "str", "default": "1.2"}},
                            },
                        },
                    },
                    "t_name": {"type": "str", "required": True, "description": "Name."},
                }
            }
        }
    }
    table = tierdocs.inputs_table(specs, {"t_name": "{{ stack_name }}", "t_dbs": []})
    assert table.splitlines()[2:] == [
        "| `t_dbs` | list of dict | `[]` | no |  | Databases \\| all. |",
        "| `t_dbs[].engine` | str |  | yes | `a`, `b` |  |",
        "| `t_dbs[].tls` | dict |  | no |  |  |",
        "| `t_dbs[].tls.min` | str | `1.2` | no |  |  |",
        "| `t_name` | str | `{{ stack_name }}` | yes |  | Name. |",
    ]
    table = tierdocs.outputs_table("t_outputs", DECLARED)
    assert "Not set when the stack has none." in table.splitlines()[0]
    assert "| `items.<key>.url` | str | U. Only when it has one. |" in table
    placeholders = {"outputs": {"a": {"type": "str", "description": "<x> `<y>`."}}}
    assert tierdocs.outputs_table("t", placeholders).splitlines()[-1] == (
        "| `a` | str | &lt;x&gt; `<y>`. |"
    ), "a placeholder outside code is not an HTML tag"
    assert "| `items.<key>.stream` | str | Stream. May be null. |" in table
    assert "| `records[].name` | str | Name. |" in table


def test_rendering_is_idempotent_and_keeps_the_rest() -> None:
    text = "# role\n\nProse.\n"
    once = tierdocs.render_readme(text, {"INPUTS": "table 1", "OUTPUTS": "table 2"})
    assert once.startswith(text + "\n## Inputs\n\n<!-- BEGIN GENERATED INPUTS")
    assert tierdocs.render_readme(once, {"INPUTS": "table 1", "OUTPUTS": "table 2"}) == once
    moved = once.replace("Prose.", "Prose, then more.")
    again = tierdocs.render_readme(moved, {"INPUTS": "table 3", "OUTPUTS": "table 2"})
    assert again == moved.replace("table 1", "table 3")


def test_readmes_are_up_to_date() -> None:
    stale = [str(p.relative_to(tierdocs.REPO)) for p in tierdocs.stale_readmes()]
    assert stale == [], "stale generated tables: run tools/docs/render-tiers"
