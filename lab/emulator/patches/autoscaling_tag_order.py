"""DescribeAutoScalingGroups returns a group's tags sorted by key, as AWS does.

moto behaviour: a group's tags are kept in the order they were first given, and
CreateOrUpdateTags appends new keys at the end. ``amazon.aws.autoscaling_group`` sorts the
group's tag list in place (Python order: upper case first) before recording its "before" state,
then compares it with a fresh DescribeAutoScalingGroups: unless the caller happened to give the
tags in that exact order when the group was created, every run reports a change.

AWS: DescribeAutoScalingGroups (and DescribeTags) list tags sorted by key.

Fix: the group's tags are kept sorted by key (code-point order) whenever they are set at creation
or by CreateOrUpdateTags.
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup

_MARK = "_estate_autoscaling_tag_order_patched"


def _sorted(tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(tags, key=lambda tag: str(tag.get("Key", tag.get("key", ""))))


def apply() -> None:
    if getattr(FakeAutoScalingGroup, _MARK, False):
        return
    original_init = FakeAutoScalingGroup.__init__
    original_update = AutoScalingBackend.create_or_update_tags

    def __init__(self: FakeAutoScalingGroup, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.tags = _sorted(self.tags)

    def create_or_update_tags(self: AutoScalingBackend, tags: list[dict[str, str]]) -> None:
        original_update(self, tags)
        for name in {tag["ResourceId"] for tag in tags}:
            group = self.autoscaling_groups[name]
            group.tags = _sorted(group.tags)

    FakeAutoScalingGroup.__init__ = __init__  # type: ignore[method-assign]
    AutoScalingBackend.create_or_update_tags = create_or_update_tags  # type: ignore[method-assign]
    setattr(FakeAutoScalingGroup, _MARK, True)
