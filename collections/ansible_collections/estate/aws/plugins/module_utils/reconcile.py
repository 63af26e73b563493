# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The skeleton every bulk reconciler of the collection shares: a module's run is read -> plan ->
apply, applies nothing under check mode, reports `changed`, the `changes` lists and a diff
(before/after by resource name), spreads its calls over a thread pool (bulk.parallel) and fails
with a refusal, not a traceback. A module is its rules plus a subclass of Reconciler."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.estate.aws.plugins.module_utils.bulk import client_config, parallel
from ansible_collections.estate.aws.plugins.module_utils.ownership import (
    account_of,
    owner_tags,
    require_stack,
    stack_tags,
    tags_before,
)
from botocore.exceptions import BotoCoreError, ClientError

Step = tuple[str, Callable[[Any], Any], Iterable[Any]]


def arguments(tier: str = "", concurrency: int = 0, **own: dict[str, Any]) -> dict[str, Any]:
    """A reconciler's argument_spec: its OWN options, the required `tags`, `purge`, `state`
    (present/absent) and, when given defaults, `tier` and `concurrency`."""
    spec: dict[str, Any] = {
        **own,
        "tags": {"type": "dict", "required": True},
        "purge": {"type": "bool", "default": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    if tier:
        spec["tier"] = {"type": "str", "default": tier}
    if concurrency:
        spec["concurrency"] = {"type": "int", "default": concurrency}
    return spec


class Reconciler:
    """One reconciliation of a tier's resources of one stack.

    A subclass sets ARGUMENTS (its argument_spec: arguments()), WHAT (what `tags.stack` finds:
    "log groups"), optionally INVALID and errors() (the validation of the wanted resources
    under the VALIDATED states), SELECTORS (options that must not be empty as they select
    SELECTED, "the alarms of this run") or unusable() (another refusal of the options), TIER
    (the owner tier when the module has no `tier` option) and JOBS (the parallel calls when it
    has no `concurrency` option); and run() -> the module's result, usually read(), a plan,
    apply() and result().
    """

    ARGUMENTS: ClassVar[dict[str, Any]] = {}
    WHAT: ClassVar[str] = "resources"
    INVALID: ClassVar[str] = ""
    SELECTORS: ClassVar[tuple[str, ...]] = ()
    SELECTED: ClassVar[str] = ""
    VALIDATED: ClassVar[tuple[str, ...]] = ("present",)
    TIER: ClassVar[str] = ""
    JOBS: ClassVar[int] = 10

    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.params: dict[str, Any] = module.params
        params = self.params
        self.jobs = max(1, params["concurrency"]) if "concurrency" in params else self.JOBS
        self.config = client_config(self.jobs)
        tier = self.TIER or params["tier"]
        self.owner = owner_tags(params["tags"], tier)
        self.tags = stack_tags(params["tags"], tier)
        self.absent = params.get("state") == "absent"
        self.purge = bool(params.get("purge")) or self.absent
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self._account: tuple[str, str] | None = None

    # -- helpers -----------------------------------------------------------------------------
    def client(self, service: str, **kwargs: Any) -> Any:
        """A client of SERVICE that retries throttled calls (bulk.client_config)."""
        return self.module.client(service, config=self.config, **kwargs)

    def parallel(self, what: str, func: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """FUNC over ITEMS, self.jobs at a time; a failure fails the run (bulk.parallel)."""
        return parallel(self.module, what, func, items, self.jobs)

    def account(self, known: Callable[[], Iterable[str]] = lambda: ()) -> tuple[str, str]:
        """(partition, account id), once a run: from the first of the KNOWN ARNs, else from STS
        (one call, only then)."""
        if self._account is None:
            try:
                self._account = account_of(known(), lambda: self.client("sts"))
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Unable to identify the caller")
                raise
        return self._account

    def refuse(self, msg: str, **extra: Any) -> None:
        """Fail the run before any change."""
        self.module.fail_json(msg=msg, **extra)

    # -- plan and apply ----------------------------------------------------------------------
    def apply(self, *steps: Step) -> None:
        """Each (what, func, items) step in turn, its items in parallel; none in check mode."""
        if self.module.check_mode:
            return
        for what, func, items in steps:
            self.parallel(what, func, items)

    def diff_retag(
        self,
        name: str,
        current: Mapping[str, str] | None,
        retag: Mapping[str, str],
        key: str = "tags",
        missing: str | None = "",
    ) -> None:
        """Add a retag (tags RETAG set on NAME, whose tags are CURRENT) to the diff."""
        if retag:
            self.before.setdefault(name, {})[key] = tags_before(current, retag, missing)
            self.after.setdefault(name, {})[key] = dict(retag)

    def diff_deleted(self, names: Iterable[str]) -> None:
        for name in names:
            self.before[name] = "present"
            self.after[name] = "deleted"

    def result(
        self, changed: bool, changes: Mapping[str, list[Any]] | None = None, **outputs: Any
    ) -> dict[str, Any]:
        """The module's result: CHANGED, OUTPUTS, the non-empty CHANGES lists (when given) and,
        in diff mode, the diff of a change."""
        result: dict[str, Any] = {"changed": changed, **outputs}
        if changes is not None:
            result["changes"] = {kind: names for kind, names in changes.items() if names}
        if self.module._diff and changed:
            result["diff"] = {"before": self.before, "after": self.after}
        return result

    def run(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- the module --------------------------------------------------------------------------
    @classmethod
    def unusable(cls, params: dict[str, Any]) -> str | None:
        """Why the options cannot select this run's resources (None: they can)."""
        if all(params[k] for k in cls.SELECTORS):
            return None
        selects = "they select" if len(cls.SELECTORS) > 1 else "it selects"
        return f"{' and '.join(cls.SELECTORS)} must not be empty: {selects} {cls.SELECTED}"

    @classmethod
    def errors(cls, module: AnsibleAWSModule) -> list[str]:
        """Every error of the wanted resources in MODULE's options (checked under the VALIDATED
        states)."""
        return []

    @classmethod
    def main(cls, **module_options: Any) -> None:
        """The module: its options, the stack tag, the refusals and validation before any AWS
        call, then run()."""
        module = AnsibleAWSModule(
            argument_spec=cls.ARGUMENTS, supports_check_mode=True, **module_options
        )
        require_stack(module, cls.WHAT)
        refusal = cls.unusable(module.params)
        if refusal:
            module.fail_json(msg=refusal)
        if module.params.get("state", "present") in cls.VALIDATED:
            errors = cls.errors(module)
            if errors:
                module.fail_json(msg=f"{cls.INVALID}: " + "; ".join(errors), errors=errors)
        module.exit_json(**cls(module).run())
