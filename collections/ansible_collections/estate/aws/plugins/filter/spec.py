# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""Filter ``estate.aws.spec_errors``: refuse a role's inputs whose type is not the one its
meta/argument_specs.yml declares, which Ansible's own role argument validation converts instead
(a list where a str is declared, ``true`` for an int, ``"a,b"`` for a list, ...).

Usage in a role's validate tasks (the spec is read from the role, the one schema)::

    __options: "{{ (lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml')
                   | from_yaml).argument_specs.validate.options }}"
    __errors: "{{ __options | estate.aws.spec_errors(query('ansible.builtin.vars', *__options)) }}"

It returns one message per wrong value, naming the variable path and the fix, e.g.
``aws_database_instances[0].allocated_storage: expected int, got bool (True); write a whole
number without quotes, e.g. 30``. See module_utils/values.py for the rule.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.estate.aws.plugins.module_utils.values import spec_errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"spec_errors": spec_errors}
