"""Secrets Manager: the error on a secret scheduled for deletion carries AWS's message.

moto behaviour: GetSecretValue, PutSecretValue, UpdateSecret, ... on a secret scheduled for
deletion answer ``InvalidRequestException`` "You tried to perform the operation on a secret
that's currently marked deleted." The ``amazon.aws.secretsmanager_secret`` lookup recognises a
deleted secret by the words "marked for deletion", so with ``on_deleted='skip'`` it fails
instead of skipping (re-provisioning a stack inside the secrets' recovery window fails).

AWS: ``InvalidRequestException`` "You can't perform this operation on the secret because it was
marked for deletion."

Fix: moto's ``InvalidRequestException`` gets AWS's message whenever moto's says "marked deleted";
every other message is unchanged.
"""

from __future__ import annotations

from moto.secretsmanager.exceptions import InvalidRequestException

_MARK = "_estate_secret_marked_for_deletion_patched"
AWS_MESSAGE = "You can't perform this operation on the secret because it was marked for deletion."


def apply() -> None:
    if getattr(InvalidRequestException, _MARK, False):
        return
    original = InvalidRequestException.__init__

    def __init__(self: InvalidRequestException, message: str) -> None:
        if "marked deleted" in message:
            message = AWS_MESSAGE
        original(self, message)

    InvalidRequestException.__init__ = __init__  # type: ignore[method-assign]
    setattr(InvalidRequestException, _MARK, True)
