"""Every filter of the estate.aws collection is documented for ansible-doc: one YAML file per
filter next to its plugin (plugins/filter/<name>.yml), which ansible-doc renders, whose
arguments are the filter function's, and no doc file is left for a filter that is gone."""

from __future__ import annotations

import inspect
import json
import subprocess
from collections.abc import Callable
from typing import Any

import yaml
from support.playbook import BIN, REPO, ansible_env
from support.source import PLUGINS, load_plugin

FILTER_DIR = REPO / PLUGINS / "filter"


def exported_filters() -> dict[str, Callable[..., Any]]:
    """{filter name: function} of every FilterModule of the collection."""
    found: dict[str, Callable[..., Any]] = {}
    for path in sorted(FILTER_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        for name, function in load_plugin(f"filter/{path.name}").FilterModule().filters().items():
            assert name not in found, f"{name} is exported twice (last by {path.name})"
            found[name] = function
    return found


def documentation(name: str) -> dict[str, Any]:
    return yaml.safe_load((FILTER_DIR / f"{name}.yml").read_text())


def test_every_filter_has_a_doc_file_and_every_doc_file_a_filter() -> None:
    exported = exported_filters()
    docs = {path.stem for path in FILTER_DIR.glob("*.yml")}
    missing = sorted(set(exported) - docs)
    assert not missing, f"filters without plugins/filter/<name>.yml: {missing}"
    orphans = sorted(docs - set(exported))
    assert not orphans, f"doc files of filters the collection does not export: {orphans}"
    for name in docs:
        data = documentation(name)
        assert set(data) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, name
        assert data["DOCUMENTATION"]["name"] == name
        assert "_input" in data["DOCUMENTATION"]["options"], name
        assert "_value" in data["RETURN"], name


def test_documented_arguments_are_the_functions_arguments() -> None:
    """A doc's positional arguments are the filter function's, in order (after the input)."""
    for name, function in exported_filters().items():
        doc = documentation(name)["DOCUMENTATION"]
        declared = [p.strip() for p in str(doc.get("positional") or "").split(",") if p.strip()]
        arguments = list(inspect.signature(function).parameters)[1:]
        assert declared == arguments, f"{name}: doc {declared}, function {arguments}"


def test_ansible_doc_renders_every_filter() -> None:
    names = [f"estate.aws.{name}" for name in sorted(exported_filters())]
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "filter", "--json", *names],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rendered = json.loads(proc.stdout)
    assert sorted(rendered) == names
    for name, entry in rendered.items():
        assert entry["doc"]["short_description"] and entry["doc"]["description"], name
        assert entry["examples"] and entry["return"], name
