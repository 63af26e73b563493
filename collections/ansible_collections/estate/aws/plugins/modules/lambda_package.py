#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_package
version_added: 0.3.0
short_description: Build a reproducible Lambda deployment package (zip) from a source directory
description:
  - Zips O(src) into O(dest) so that the same sources always give the same bytes - entries in
    sorted order, fixed timestamps (1980-01-01), fixed permissions, no compiled files - and
    therefore the same C(CodeSha256). A function's code is then updated only when its sources
    change (M(amazon.aws.lambda) compares the package's hash with the function's).
  - O(dest) is rewritten only when the new package differs from it; RV(changed) says so.
  - A build artefact on the controller, not a cloud resource - under check mode the package is
    still built when the task sets C(check_mode=false), which the deploy module needs to compare.
author:
  - aws-estates maintainers
options:
  src:
    description: Directory of the function's sources (its top level becomes the package's root).
    type: path
    required: true
  dest:
    description: Path of the zip to write; its directory is created.
    type: path
    required: true
  exclude:
    description: Glob patterns left out (matched against each relative path and each name).
    type: list
    elements: str
    default: ["__pycache__", "*.pyc", "*.pyo", ".*", "tests", "test_*.py"]
"""

EXAMPLES = r"""
- name: Package the prediction function
  estate.aws.lambda_package:
    src: "{{ playbook_dir }}/../apps/lambda/prediction"
    dest: .local/cubed/lambda/predict.zip
  check_mode: false
  register: package
"""

RETURN = r"""
path:
  description: The package's path.
  returned: always
  type: str
code_sha256:
  description: Base64 SHA-256 of the package, as Lambda reports a function's C(CodeSha256).
  returned: always
  type: str
files:
  description: Paths inside the package, in order.
  returned: always
  type: list
  elements: str
"""

import base64
import fnmatch
import hashlib
import io
import os
import zipfile
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule

EPOCH = (1980, 1, 1, 0, 0, 0)


def excluded(relative: str, patterns: list[str]) -> bool:
    """True when the path or any of its parts matches one of PATTERNS."""
    parts = relative.split("/")
    return any(
        fnmatch.fnmatch(relative, p) or any(fnmatch.fnmatch(x, p) for x in parts) for p in patterns
    )


def package_files(src: Path, patterns: list[str]) -> list[str]:
    """Relative paths of the files to package, sorted (symlinks followed, directories implied)."""
    found = []
    for root, dirs, files in os.walk(src, followlinks=True):
        dirs.sort()
        for name in files:
            relative = (Path(root) / name).relative_to(src).as_posix()
            if not excluded(relative, patterns):
                found.append(relative)
    return sorted(found)


def build(src: Path, files: list[str]) -> bytes:
    """The zip's bytes: the same files with the same contents always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in files:
            info = zipfile.ZipInfo(relative, date_time=EPOCH)
            mode = 0o755 if os.access(src / relative, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (src / relative).read_bytes())
    return buffer.getvalue()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
            "exclude": {
                "type": "list",
                "elements": "str",
                "default": ["__pycache__", "*.pyc", "*.pyo", ".*", "tests", "test_*.py"],
            },
        },
        supports_check_mode=True,
    )
    src, dest = Path(module.params["src"]), Path(module.params["dest"])
    if not src.is_dir():
        module.fail_json(msg=f"src: {src} is not a directory of function sources")
    files = package_files(src, module.params["exclude"])
    if not files:
        module.fail_json(msg=f"src: {src} holds no file to package (after exclude)")
    data = build(src, files)
    changed = not dest.is_file() or dest.read_bytes() != data
    if changed and not module.check_mode:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_suffix(".zip.partial")
        partial.write_bytes(data)
        partial.replace(dest)
    module.exit_json(
        changed=changed,
        path=str(dest),
        code_sha256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
        files=files,
    )


if __name__ == "__main__":
    main()
