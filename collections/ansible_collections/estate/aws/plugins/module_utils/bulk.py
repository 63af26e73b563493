# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""What the bulk modules (tenants, dynamodb_tables, cognito_user_pools) share: clients that retry
throttled calls with backoff, the refusal a run raises for something it must not touch, and
calls spread over a thread pool whose failures fail the run only once every call has returned."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")
R = TypeVar("R")


class Refusal(Exception):
    """Something in the way that this run must not adopt, change or delete."""


def client_config(jobs: int) -> Config:
    """botocore's adaptive retries (backoff on throttling), a connection per parallel call."""
    return Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=jobs)


def parallel(
    module: Any, what: str, func: Callable[[T], R], items: Iterable[T], jobs: int
) -> list[R]:
    """FUNC over ITEMS, JOBS at a time. Failures are collected (a worker thread must not exit the
    module) and the first one fails the run once every call has returned: a Refusal with its own
    message, an AWS error as "Unable to WHAT <item>"."""
    items = list(items)

    def guarded(item: T) -> tuple[R | None, tuple[str, Exception] | None]:
        try:
            return func(item), None
        except Refusal as e:
            return None, (str(e), e)
        except (BotoCoreError, ClientError) as e:
            label = item if isinstance(item, str) else item[0]  # type: ignore[index]
            return None, (f"Unable to {what} {label}", e)

    if len(items) <= 1:
        results = [guarded(i) for i in items]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(guarded, items))
    failures = [f for _, f in results if f is not None]
    if failures:
        msg, error = failures[0]
        if len(failures) > 1:
            msg += f" ({len(failures)} of {len(items)} calls failed)"
        if isinstance(error, Refusal):
            module.fail_json(msg=msg)
        module.fail_json_aws(error, msg=msg)
    return [r for r, _ in results]  # type: ignore[misc]
