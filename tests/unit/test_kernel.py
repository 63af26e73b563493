"""The one module kernel of estate.aws: ownership by tags (module_utils/ownership.py) and the
read -> plan -> apply skeleton every bulk reconciler subclasses (module_utils/reconcile.py):
check mode, diff, `changes`, refusals. No AWS."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from support.source import load_plugin

ownership = load_plugin("module_utils/ownership.py")
reconcile = load_plugin("module_utils/reconcile.py")


# -- ownership -------------------------------------------------------------------------------
def test_owner_tags_and_filters() -> None:
    tags = {"stack": "s", "env": "prod", "managed-by": "estate"}
    owner = ownership.owner_tags(tags, "monitoring")
    assert owner == {"stack": "s", "managed-by": "estate", "tier": "monitoring"}
    serverless = ownership.owner_tags({"stack": "s"}, "serverless")
    assert serverless == {"stack": "s", "tier": "serverless"}
    assert ownership.tag_filters(owner)[0] == {"Key": "stack", "Values": ["s"]}
    assert ownership.owned_by({**owner, "env": "x"}, owner)
    assert not ownership.owned_by({**owner, "tier": "serverless"}, owner)
    assert not ownership.owned_by(None, owner)
    assert ownership.owned_by({"stack": "s", "n": "3"}, {"n": 3})  # compared as text
    assert ownership.tag_changes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == {
        "b": "3",
        "c": "4",
    }


def test_stack_tags_are_text_with_the_owner_tags() -> None:
    tags = ownership.stack_tags({"stack": "s", "cost": 12, "tier": "x"}, "serverless")
    assert tags == {"stack": "s", "cost": "12", "tier": "serverless"}


def test_tag_changes_keep_the_wanted_order_and_take_no_current() -> None:
    wanted = {"z": "1", "a": "2", "m": "3"}
    assert list(ownership.tag_changes({}, wanted)) == ["z", "a", "m"]
    assert ownership.tag_changes(None, {"a": "1"}) == {"a": "1"}
    assert ownership.tag_changes(wanted, wanted) == {}


def test_tag_purge_leaves_aws_tags_alone() -> None:
    current = {"stack": "s", "tier": "old", "extra": "x", "b": "y", "aws:cloudformation:x": "z"}
    wanted = {"stack": "s", "tier": "cdn", "Name": "web"}
    assert ownership.tag_purge(current, wanted) == ({"tier": "cdn", "Name": "web"}, ["b", "extra"])
    assert ownership.tag_purge(wanted, wanted) == ({}, [])


def test_tags_before_a_retag() -> None:
    assert ownership.tags_before({"a": "1"}, {"a": "2", "b": "3"}) == {"a": "1", "b": ""}
    assert ownership.tags_before(None, ["b"], None) == {"b": None}


def test_tag_lists_round_trip_sorted() -> None:
    tags = {"stack": "s", "env": "prod"}
    listed = ownership.tag_list(tags)
    assert listed == [{"Key": "env", "Value": "prod"}, {"Key": "stack", "Value": "s"}]
    assert ownership.tag_list(tags, "key", "value")[0] == {"key": "env", "value": "prod"}
    assert ownership.tag_dict(listed) == tags
    assert ownership.tag_dict(None) == {}
    assert ownership.tag_dict([]) == {}


def test_require_stack() -> None:
    module = FakeModule({"tags": {"managed-by": "x"}})
    with pytest.raises(Failed, match=r"^tags.stack is required: the stack's tables are found"):
        ownership.require_stack(module, "tables")
    ownership.require_stack(FakeModule({"tags": {"stack": "s"}}), "tables")


class FakeTagging:
    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> FakeTagging:
        assert name == "get_resources"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(kwargs)
        return [{"ResourceTagMappingList": page} for page in self.pages]


def test_tagged_resources_reads_every_page() -> None:
    tagging = FakeTagging(
        [
            [{"ResourceARN": "arn:a", "Tags": [{"Key": "stack", "Value": "s"}]}],
            [{"ResourceARN": "arn:b"}],
        ]
    )
    found = ownership.tagged_resources(tagging, {"stack": "s"}, "logs")
    assert found == {"arn:a": {"stack": "s"}, "arn:b": {}}
    assert tagging.calls[0]["ResourceTypeFilters"] == ["logs"]
    assert tagging.calls[0]["TagFilters"] == [{"Key": "stack", "Values": ["s"]}]


class Sts:
    calls = 0

    def get_caller_identity(self) -> dict[str, str]:
        Sts.calls += 1
        return {"Arn": "arn:aws:iam::999:user/x"}


def test_account_of_uses_sts_only_when_needed() -> None:
    def sts() -> Any:
        raise AssertionError("STS called")

    assert ownership.account_of(["", "arn:aws-cn:sns:r:123:t"], sts) == ("aws-cn", "123")
    assert ownership.account_of([], lambda: Sts()) == ("aws", "999")


# -- the reconciler --------------------------------------------------------------------------
class Failed(Exception):
    """fail_json of the fake module."""


class FakeModule:
    def __init__(
        self, params: dict[str, Any], check_mode: bool = False, diff: bool = False
    ) -> None:
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.region = "eu-west-1"
        self.clients: list[str] = []

    def fail_json(self, msg: str, **kwargs: Any) -> None:
        raise Failed(msg)

    def fail_json_aws(self, error: Exception, msg: str) -> None:
        raise Failed(msg)

    def client(self, service: str, **kwargs: Any) -> Any:
        self.clients.append(service)
        return Sts()


class Things(reconcile.Reconciler):  # type: ignore[misc, name-defined]
    """A reconciler of names: creates the wanted ones it does not have, deletes the others."""

    ARGUMENTS: ClassVar[dict[str, Any]] = {}
    WHAT = "things"
    INVALID = "Invalid things"

    def run(self) -> dict[str, Any]:
        have = set(self.params["have"])
        wanted = set() if self.absent else set(self.params["things"])
        creates = sorted(wanted - have)
        doomed = sorted(have - wanted) if self.purge else []
        self.done: list[str] = []
        self.apply(("make", self.done.append, creates), ("delete", self.done.append, doomed))
        for name in creates:
            self.after[name] = {"tags": self.tags}
        self.diff_retag("kept", {"stack": "old"}, {"stack": "s"})
        self.diff_deleted(doomed)
        changes = {"created": creates, "updated": [], "deleted": doomed}
        return self.result(bool(creates or doomed), changes, things=sorted(wanted))


def params(**extra: Any) -> dict[str, Any]:
    return {
        "tags": {"stack": "s", "managed-by": "m"},
        "tier": "t",
        "purge": True,
        "state": "present",
        "have": ["old"],
        "things": ["new"],
        **extra,
    }


def test_reconciler_applies_and_reports() -> None:
    things = Things(FakeModule(params(concurrency=0)))
    assert things.jobs == 1
    assert things.owner == {"stack": "s", "managed-by": "m", "tier": "t"}
    result = things.run()
    assert things.done == ["new", "old"]
    assert result == {
        "changed": True,
        "things": ["new"],
        "changes": {"created": ["new"], "deleted": ["old"]},
    }


def test_reconciler_check_mode_applies_nothing_and_diffs() -> None:
    things = Things(FakeModule(params(), check_mode=True, diff=True))
    result = things.run()
    assert things.done == []
    assert result["changed"]
    assert result["diff"] == {
        "before": {"kept": {"tags": {"stack": "old"}}, "old": "present"},
        "after": {
            "new": {"tags": {"stack": "s", "managed-by": "m", "tier": "t"}},
            "kept": {"tags": {"stack": "s"}},
            "old": "deleted",
        },
    }


def test_reconciler_absent_purges_and_no_change_has_no_diff() -> None:
    things = Things(FakeModule(params(state="absent", purge=False), diff=True))
    assert things.purge and things.jobs == Things.JOBS
    assert things.run()["changes"] == {"deleted": ["old"]}
    same = Things(FakeModule(params(have=["new"]), diff=True)).run()
    assert same == {"changed": False, "things": ["new"], "changes": {}}


def test_reconciler_tier_and_account() -> None:
    class Tenants(Things):
        TIER = "tenants"

    module = FakeModule(params(tier=None))
    tenants = Tenants(module)
    assert tenants.owner["tier"] == "tenants"
    calls = Sts.calls
    assert tenants.account(lambda: []) == ("aws", "999")
    assert tenants.account(lambda: ["arn:aws-cn:sns:r:123:t"]) == ("aws", "999")  # once a run
    assert Sts.calls == calls + 1
    assert module.clients == ["sts"]


class Exited(Exception):
    """exit_json of the fake module."""


class Strict(Things):
    @classmethod
    def unusable(cls, params: dict[str, Any]) -> str | None:
        return None if params["tier"] else "tier must not be empty"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        return [f"{t} is not a thing" for t in module.params["things"] if not t.isalpha()]


def run_main(monkeypatch: pytest.MonkeyPatch, **extra: Any) -> str | dict[str, Any]:
    class Module(FakeModule):
        def __init__(self, argument_spec: dict[str, Any], supports_check_mode: bool) -> None:
            assert supports_check_mode
            super().__init__(params(**extra))

        def exit_json(self, **result: Any) -> None:
            raise Exited(result)

    monkeypatch.setattr(reconcile, "AnsibleAWSModule", Module)
    try:
        Strict.main()
    except (Failed, Exited) as stop:
        return stop.args[0]  # type: ignore[no-any-return]
    raise AssertionError("the module neither failed nor exited")


def test_main_refuses_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        run_main(monkeypatch, tags={})
        == "tags.stack is required: the stack's things are found by it"
    )
    assert run_main(monkeypatch, tier="") == "tier must not be empty"
    assert run_main(monkeypatch, things=["x1", "y"]) == "Invalid things: x1 is not a thing"
    assert run_main(monkeypatch, things=["x1"], state="absent")["changes"] == {"deleted": ["old"]}
    assert run_main(monkeypatch)["changed"] is True


def test_selectors_must_not_be_empty() -> None:
    class One(Things):
        SELECTORS = ("tier",)
        SELECTED = "the things of this run"

    class Two(Things):
        SELECTORS = ("prefix", "tier")
        SELECTED = "the stack's things"

    assert One.unusable({"tier": "t"}) is None
    assert One.unusable({"tier": ""}) == "tier must not be empty: it selects the things of this run"
    assert Two.unusable({"prefix": "", "tier": "t"}) == (
        "prefix and tier must not be empty: they select the stack's things"
    )
    assert Things.unusable({}) is None
