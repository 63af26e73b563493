"""The repository's own contracts: pinned versions agree, shared group_vars really load."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.playbook import BIN, REPO, ansible_env
from support.stack import STACKS, stack_vars


def installed_collections() -> dict[str, str]:
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "list", "--format", "json"],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, str] = {}
    for path, collections in json.loads(proc.stdout).items():
        if "site-packages" in path:
            found.update({name: info["version"] for name, info in collections.items()})
    return found


def test_requirements_yml_pins_the_bundled_collections() -> None:
    pinned = yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]
    installed = installed_collections()
    for entry in pinned:
        assert installed.get(entry["name"]) == entry["version"], (
            f"{entry['name']}: requirements.yml pins {entry['version']}, the venv has "
            f"{installed.get(entry['name'])}: update requirements.yml with the ansible package"
        )
    assert {e["name"] for e in pinned} >= {
        "amazon.aws",
        "community.aws",
        "community.general",
        "ansible.posix",
        "containers.podman",
    }


def test_requirements_txt_matches_requirements_in() -> None:
    locked = dict(
        line.split("==", 1)
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    locked = {k.lower(): v for k, v in locked.items()}
    for line in (REPO / "requirements.in").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]+\])?==(\S+)", line)
        if match:
            assert locked.get(match.group(1).lower()) == match.group(3), (
                f"{match.group(1)} drifted: run make lock"
            )


@pytest.mark.parametrize("stack", STACKS)
def test_shared_group_vars_load_under_the_stack(stack: str) -> None:
    data = stack_vars(stack)
    assert data["estate_shared_defaults_loaded"] is True, "group_vars/ was not loaded"
    assert data["stack_name"] == stack
    assert data["stack_tags"]["managed-by"] == "ansible-estate", "shared tag default missing"
    assert data["stack_tags"]["stack"] == stack


def test_stack_values_override_shared_defaults() -> None:
    """Shared defaults say nat_mode single; akb says none and mobile per_az: the stack wins."""
    assert stack_vars("cubed")["aws_network_nat_mode"] == "single"
    assert stack_vars("akb")["aws_network_nat_mode"] == "none"
    assert stack_vars("mobile")["aws_network_nat_mode"] == "per_az"
    assert stack_vars("akb")["aws_network_flow_logs_retention_days"] == 30


@pytest.mark.parametrize("stack", STACKS)
def test_ansible_inventory_from_repo_root_keeps_stack_precedence(stack: str) -> None:
    """From the repo root, group_vars/ must not turn into playbook vars that beat the stack's."""
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", f"inventories/{stack}", "--host", "localhost"],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    host = json.loads(proc.stdout)
    own = yaml.safe_load(
        (REPO / "inventories" / stack / "group_vars" / "all" / "network.yml").read_text()
    )
    assert host["aws_network_nat_mode"] == own.get("aws_network_nat_mode", "single")
    assert host["estate_shared_defaults_loaded"] is True


def test_every_stack_links_the_shared_group_vars() -> None:
    for stack in STACKS:
        link = REPO / "inventories" / stack / "group_vars" / "all" / "000_shared"
        assert link.is_symlink() and link.resolve() == (REPO / "group_vars" / "all").resolve(), (
            stack
        )


def test_no_stack_names_inside_roles() -> None:
    for path in [*(REPO / "roles").rglob("*.yml"), *(REPO / "lab" / "roles").rglob("*.yml")]:
        text = path.read_text()
        for stack in STACKS:
            assert not re.search(rf"\b{stack}\b", text), f"{path} names stack {stack}"


def yaml_vars(paths: list[Path]) -> dict[str, tuple[Path, Any]]:
    """{variable: (file, value)} of the YAML files PATHS."""
    found: dict[str, tuple[Path, Any]] = {}
    for path in paths:
        for name, value in (yaml.safe_load(path.read_text()) or {}).items():
            found[name] = (path, value)
    return found


def test_role_defaults_are_not_restated_in_the_shared_group_vars() -> None:
    """A default lives in its role's defaults/main.yml only: the top-level group_vars hold
    estate-wide settings, and a role variable there only when it differs from the role's own
    default (the lab's kept tag prefixes)."""
    shared = yaml_vars(sorted((REPO / "group_vars" / "all").glob("*.yml")))
    defaults = yaml_vars(
        sorted(
            [*REPO.glob("roles/*/defaults/main.yml"), *REPO.glob("lab/roles/*/defaults/main.yml")]
        )
    )
    restated = sorted(
        f"{name} ({shared[name][0].name} = {defaults[name][0].parent.parent.name}'s default)"
        for name in shared.keys() & defaults.keys()
        if shared[name][1] == defaults[name][1]
    )
    assert not restated, f"delete from group_vars/all: {restated}"


@pytest.mark.parametrize("stack", STACKS)
def test_dynamic_inventory_agrees_with_the_stack(stack: str) -> None:
    """inventories/<stack>/aws_ec2.yml repeats the stack's region and name (an inventory plugin
    cannot read group_vars): they must be stack.yml's, and the files otherwise the same."""
    source = yaml.safe_load((REPO / "inventories" / stack / "aws_ec2.yml").read_text())
    data = yaml.safe_load(
        (REPO / "inventories" / stack / "group_vars" / "all" / "stack.yml").read_text()
    )
    shared = yaml.safe_load((REPO / "group_vars" / "all" / "main.yml").read_text())
    assert source["regions"] == [data["stack_region"]], "regions: is not stack_region"
    assert source["filters"]["tag:stack"] == data["stack_name"] == stack
    assert source["filters"]["tag:managed-by"] == shared["estate_managed_by"]
    reference = yaml.safe_load((REPO / "inventories" / STACKS[0] / "aws_ec2.yml").read_text())
    for per_stack in (source, reference):
        per_stack.pop("regions")
        per_stack["filters"].pop("tag:stack")
    assert source == reference, f"{stack}/aws_ec2.yml differs from {STACKS[0]}'s beyond its stack"


def test_the_lab_switch_is_read_in_one_place() -> None:
    """ESTATE_TARGET (the emulator's env file sets it) becomes estate_lab_enabled in
    group_vars/all/lab.yml; production roles and playbooks use that switch, never the variable
    (the dynamic inventories, which cannot see group_vars, and lab/ itself aside)."""
    readers = sorted(
        str(path.relative_to(REPO))
        for top in ("roles", "playbooks", "group_vars", "collections", "inventories")
        for path in (REPO / top).rglob("*")
        if path.is_file() and "ESTATE_TARGET" in path.read_text(errors="ignore")
    )
    inventories = [f"inventories/{stack}/aws_ec2.yml" for stack in sorted(STACKS)]
    assert readers == sorted(["group_vars/all/lab.yml", *inventories])


def test_the_lab_resolves_from_its_home_through_ansible_cfg() -> None:
    """The lab lives under lab/: ansible.cfg's roles_path finds its role (with every entry point
    the playbooks call) and its collections_path the estate.lab filters, beside estate.aws."""
    role = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "role", "--json", "lab"],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    entry_points = json.loads(role.stdout)["lab"]["entry_points"]
    assert {"main", "lb", "destroy", "hosts_check"} <= entry_points.keys()
    expr = (
        "{{ ['10.89.0.0/24' | estate.lab.lab_overlaps('10.89.0.0/16'),"
        " {} | estate.aws.bind_zones('', '')] }}"
    )
    proc = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a", f"msg={expr}"],
        cwd=REPO,
        env=ansible_env({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json"}),
        capture_output=True,
        text=True,
        check=True,
    )
    msg = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    assert msg == [True, []]
    assert not (REPO / "roles" / "lab").exists() and not (REPO / "tools" / "emulator").exists()


MODULES = sorted((REPO / "collections/ansible_collections/estate/aws/plugins/modules").glob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_module_documentation_is_yaml(module: Path) -> None:
    """ansible-doc and ansible-lint read these blocks; a YAML slip only shows up there as a
    warning, so it is caught here."""
    blocks = {
        node.targets[0].id: node.value.value
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN")
        and isinstance(node.value, ast.Constant)
    }
    assert set(blocks) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, module.name
    for name, text in blocks.items():
        assert yaml.safe_load(text) is not None, f"{module.name}: {name} is empty"
    assert yaml.safe_load(blocks["DOCUMENTATION"])["module"] == module.stem


# Paths the docs and comments name, relative to the repo root, by their first directory.
PATH_ROOTS = (
    "apps|benchmarks|collections|docs|group_vars|inventories|lab|molecule|playbooks|roles|tests"
    "|tools"
)
# A templated path (`roles/aws_{tier}`, `inventories/<stack>/`) is not checked.
REPO_PATH = re.compile(rf"(?<![\w./-])((?:{PATH_ROOTS})/[\w./-]*+)(?![{{<*$\[])")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# Path-looking strings that are not repo paths: prose ("roles/collections paths"), a path inside
# each stack's inventory, the collection's build_ignore pattern, and made-up paths of unit tests.
NOT_REPO_PATHS = {
    "roles/collections",
    "group_vars/all/000_shared",
    "tests/output",
    "tests/test_handler.py",
    "apps/lambda/a",
    "apps/x",
}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z", "*.md", "*.yml", "*.yaml", "*.py", "*.j2", "Makefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return [REPO / name for name in names if name and not (REPO / name).is_symlink()]


def named_paths(path: Path) -> set[str]:
    """Repo paths a file names: root-relative ones, and (Markdown) links relative to the file."""
    text = path.read_text(errors="replace")
    found = {m.rstrip(".,:-") for m in REPO_PATH.findall(text) if "..." not in m}
    if path.suffix == ".md":
        for link in MARKDOWN_LINK.findall(text):
            if "://" not in link and not link.startswith("mailto:"):
                target = (path.parent / link).resolve()
                found.add(
                    str(target.relative_to(REPO.resolve()))
                    if target.is_relative_to(REPO.resolve())
                    else link
                )
    return found - NOT_REPO_PATHS


def test_every_repo_path_a_doc_or_comment_names_exists() -> None:
    """A renamed or deleted file leaves no doc or comment pointing at it (and nothing points
    outside the repo)."""
    missing = [
        f"{path.relative_to(REPO)}: {name}"
        for path in tracked_text_files()
        for name in sorted(named_paths(path))
        if not (REPO / name).exists()
    ]
    assert not missing, "paths named but not in the repo:\n" + "\n".join(missing)


# Documents and work items that live outside the repository: the repo must stand on its own.
OUTSIDE_REFERENCE = re.compile(
    r"(?i:\b(?:issue|stop) #?\d+\b)|\bPLATFORM\.md|\bDESIGN\.md|\.\./\.\./shared\b"
)


def test_nothing_refers_outside_the_repo() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in tracked_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE_REFERENCE.search(line)
    ]
    assert not found, "references to documents or work items outside the repo:\n" + "\n".join(found)


COLLECTION = REPO / "collections/ansible_collections/estate/aws"


def test_changelog_names_the_collection_version() -> None:
    """A change to the collection comes with a version bump and its changelog entry: the newest
    version heading of CHANGELOG.md is galaxy.yml's version."""
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    headings = re.findall(r"^## (\d+\.\d+\.\d+)\b", (COLLECTION / "CHANGELOG.md").read_text(), re.M)
    assert headings, "CHANGELOG.md has no version heading (## X.Y.Z)"
    assert headings[0] == version, (
        f"galaxy.yml is at {version}, the newest CHANGELOG.md entry is {headings[0]}: "
        "bump the version and describe the change in a new entry"
    )


def test_license_is_the_collections_declared_license() -> None:
    assert yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["license"] == ["MIT-0"]
    assert (REPO / "LICENSE").read_text().startswith("MIT No Attribution\n")
