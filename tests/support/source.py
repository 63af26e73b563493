"""Load one of the repo's Python files (a plugin, a role's script, an app) as a module, so unit
tests can call its functions directly without installing it."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from support.playbook import REPO

PLUGINS = "collections/ansible_collections/estate/aws/plugins"
LAB_PLUGINS = "lab/collections/ansible_collections/estate/lab/plugins"


# The collection's plugins import its module_utils as Ansible loads them
# (ansible_collections.estate.aws...): ansible_collections is a namespace package, so the repo's
# collections directory on the path adds estate to it.
if str(REPO / "collections") not in sys.path:
    sys.path.append(str(REPO / "collections"))


def load_source(relative: str) -> ModuleType:
    """The module at REPO/RELATIVE, registered in sys.modules under a name made from its path
    (dataclasses and typing look their module up there)."""
    name = "estate_test_" + relative.replace("/", "_").replace(".", "_").removesuffix("_py")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / relative)
    assert spec is not None and spec.loader is not None, relative
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_plugin(relative: str) -> ModuleType:
    """A plugin of the estate.aws collection: RELATIVE is e.g. "filter/compute.py"."""
    return load_source(f"{PLUGINS}/{relative}")


def load_lab_plugin(relative: str) -> ModuleType:
    """A plugin of the local lab's estate.lab collection: RELATIVE is e.g. "filter/lab.py"."""
    return load_source(f"{LAB_PLUGINS}/{relative}")
