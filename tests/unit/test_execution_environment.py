"""execution-environment.yml (ansible-builder schema 3, for AWX / Automation Platform).

`ansible-builder create` validates the definition against its schema and writes the build
context (Containerfile and _build/) without a container runtime; the tests read that context
back. The EE's pins must equal the repo's (requirements.txt, requirements.yml, the collections
the pinned ansible package bundles), and every collection the roles and playbooks call must be in
the image, our own estate.aws included.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from bindep.depends import Depends

REPO = Path(__file__).resolve().parents[2]
EE_FILE = REPO / "execution-environment.yml"
BUILDER = Path(sys.executable).parent / "ansible-builder"
# FQCN references in task keys, filters and lookups: namespace.collection.name
FQCN = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b")


def ee() -> dict[str, Any]:
    definition: dict[str, Any] = yaml.safe_load(EE_FILE.read_text())
    return definition


def pins(lines: list[str]) -> dict[str, str]:
    """{lower-case name: version} of `name==version` lines (extras and comments ignored)."""
    found: dict[str, str] = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]+\])?==([^\s;#]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(3)
    return found


def locked() -> dict[str, str]:
    return pins((REPO / "requirements.txt").read_text().splitlines())


def ee_collections() -> dict[str, str]:
    return {c["name"]: str(c["version"]) for c in ee()["dependencies"]["galaxy"]["collections"]}


def bundled_collections() -> dict[str, str]:
    """{name: version} of the collections the venv's ansible package bundles."""
    spec = importlib.util.find_spec("ansible_collections")
    assert spec is not None and spec.submodule_search_locations
    found: dict[str, str] = {}
    for root in spec.submodule_search_locations:
        for manifest in Path(root).glob("*/*/MANIFEST.json"):
            info = json.loads(manifest.read_text())["collection_info"]
            found[f"{info['namespace']}.{info['name']}"] = info["version"]
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build context `ansible-builder create` writes for our definition."""
    out = tmp_path_factory.mktemp("ee") / "context"
    run = subprocess.run(
        [str(BUILDER), "create", "--file", str(EE_FILE), "--context", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Complete!" in run.stdout
    return out


def test_builder_writes_a_containerfile_with_our_pins(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="docker.io/library/python:3.11-slim-bookworm"' in containerfile
    assert f"ansible-core=={locked()['ansible-core']}" in containerfile
    assert 'PKGMGR="/usr/bin/apt-get"' in containerfile
    assert (
        "COPY _build/estate_aws /usr/share/ansible/collections/ansible_collections/estate/aws"
        in containerfile
    )
    python = pins((context / "_build" / "requirements.txt").read_text().splitlines())
    for name in ("boto3", "botocore"):
        assert python.get(name) == locked()[name], f"{name} in the build context"


def test_build_context_holds_the_collections_and_ours(context: Path) -> None:
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"]: str(c["version"]) for c in galaxy["collections"]} == ee_collections()
    ours = context / "_build" / "estate_aws"
    meta = yaml.safe_load((ours / "galaxy.yml").read_text())
    assert (meta["namespace"], meta["name"]) == ("estate", "aws")
    assert (ours / "meta" / "runtime.yml").is_file()
    source = REPO / "collections" / "ansible_collections" / "estate" / "aws" / "plugins"
    wanted = {p.relative_to(source) for p in source.rglob("*.py") if "__pycache__" not in p.parts}
    copied = {p.relative_to(ours / "plugins") for p in (ours / "plugins").rglob("*.py")}
    assert wanted and wanted <= copied


def test_python_pins_equal_requirements_txt() -> None:
    deps = ee()["dependencies"]
    python = pins(deps["python"])
    assert {"boto3", "botocore"} <= python.keys()
    for name, version in python.items():
        assert locked().get(name) == version, (
            f"{name}: EE pins {version}, requirements.txt {locked().get(name)}"
        )
    core = pins([deps["ansible_core"]["package_pip"]])
    assert core == {"ansible-core": locked()["ansible-core"]}


def test_collections_equal_requirements_yml_and_the_bundle() -> None:
    collections = ee_collections()
    required = yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]
    for entry in required:
        assert collections.get(entry["name"]) == str(entry["version"]), entry["name"]
    bundled = bundled_collections()
    for name, version in collections.items():
        assert bundled.get(name) == version, (
            f"{name}: EE {version}, ansible bundles {bundled.get(name)}"
        )


def test_every_collection_the_playbooks_call_is_in_the_image() -> None:
    known = bundled_collections().keys()
    used: set[str] = set()
    for path in [*REPO.glob("roles/**/*.yml"), *REPO.glob("playbooks/**/*.yml")]:
        used |= {f"{a}.{b}" for a, b in FQCN.findall(path.read_text())}
    used = {name for name in used if name in known} - {"ansible.builtin"}
    assert {"amazon.aws", "community.aws"} <= used
    missing = used - ee_collections().keys()
    assert not missing, f"collections the roles call but the EE lacks: {sorted(missing)}"


def test_bindep_installs_the_controller_packages_on_debian() -> None:
    rules = Depends("\n".join(ee()["dependencies"]["system"]) + "\n")
    active = {rule[0] for rule in rules.active_rules(["default", "platform:dpkg"])}
    assert {"openssh-client", "git", "ca-certificates"} <= active
    rpm = {rule[0] for rule in rules.active_rules(["default", "platform:rpm"])}
    assert "openssh-client" not in rpm and "openssh-clients" in rpm
