"""The outputs of a converged stack against the tier roles' declarations (roles/aws_*/meta/
outputs.yml, format in tools/docs/README.md), key by key, called by test_lifecycle.py: every
published key is declared and every declared key is published (an optional one may be missing),
at any depth, each of its declared type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.source import load_source

tierdocs = load_source("tools/docs/tierdocs.py")

# The keys of outputs.json that are not a tier's outputs (playbooks/outputs.yml).
STACK_KEYS = ("stack", "env", "region")


def outputs_of(stack: Path | dict[str, Any]) -> dict[str, Any]:
    """A stack's outputs: the mapping itself, or read from the outputs.json of a stack directory
    (.local/<stack>, or the file's path)."""
    if isinstance(stack, dict):
        return stack
    path = stack / "outputs.json" if stack.is_dir() else stack
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def outputs_errors(stack: Path | dict[str, Any]) -> list[str]:
    """Every difference between a stack's outputs and the declarations (empty: they match)."""
    outputs = outputs_of(stack)
    roles = {tierdocs.tier_of(role): role for role in tierdocs.tier_roles()}
    errors = [
        f"{key} is published but is no tier's nor one of {', '.join(STACK_KEYS)}"
        for key in sorted(set(outputs) - set(roles) - set(STACK_KEYS))
    ]
    errors += [f"{key} is missing" for key in STACK_KEYS if key not in outputs]
    for tier in sorted(set(outputs) & set(roles)):
        errors += tierdocs.outputs_errors(tierdocs.declaration(roles[tier]), outputs[tier], tier)
    return errors


def check_outputs(stack: Path | dict[str, Any]) -> None:
    errors = outputs_errors(stack)
    assert not errors, "the outputs differ from roles/*/meta/outputs.yml:\n" + "\n".join(errors)
