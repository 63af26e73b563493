"""SetQueueAttributes leaves the queue policy alone unless it is given, as AWS does.

moto behaviour: ``Queue._set_attributes`` ends with ``self.policy = attributes.get("Policy")``,
so any SetQueueAttributes call that does not name ``Policy`` (a new visibility timeout, say)
silently deletes the queue's policy. A reconciler that updates only the attributes that differ
then finds the policy gone on its next run and puts it back: a second run is never ``changed=0``,
and a TLS-only queue policy disappears behind the user's back.

AWS: SetQueueAttributes changes only the attributes in the request; the policy is removed only
by setting ``Policy`` to an empty string.

Fix: when ``Policy`` is not among the attributes set, the queue keeps the policy it had.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

_MARK = "_estate_sqs_policy_kept_patched"


def apply() -> None:
    if getattr(Queue, _MARK, False):
        return
    original = Queue._set_attributes

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept

    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]
    setattr(Queue, _MARK, True)
