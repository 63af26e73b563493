# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""What the collection's modules share: clients that retry throttled calls with backoff, the
refusal a run raises for something it must not touch, and calls spread over a thread pool whose
failures fail the run only once every call has returned."""

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


def client_config(jobs: int = 10) -> Config:
    """botocore's adaptive retries (backoff on throttling), a connection per parallel call
    (botocore's default pool, 10, for a module that makes one call at a time).

    Why not amazon.aws's AWSRetry.jittered_backoff: it decorates one function and retries it in
    the calling thread only, so JOBS threads that hit a throttle back off independently and come
    back together. The adaptive mode retries every call of the client (paginators and waiters
    too, no decorator to forget) and its client-side token bucket is shared by the threads of a
    client: once one call is throttled, every parallel call of the run slows down to the rate
    the API takes, which is what a bulk run of hundreds of calls needs."""
    return Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=jobs)


def run_parallel(
    func: Callable[[Any], Any], items: Iterable[Any], jobs: int
) -> tuple[list[Any], list[tuple[Any, Exception]]]:
    """FUNC over ITEMS, JOBS at a time: (results in the order of ITEMS, (item, error) of every
    call that raised). A worker thread must not exit the module: the caller decides."""
    items = list(items)

    def guarded(item: Any) -> tuple[Any, Exception | None]:
        try:
            return func(item), None
        except Exception as error:
            return None, error

    if len(items) <= 1 or jobs <= 1:
        outcomes = [guarded(i) for i in items]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(guarded, items))
    failures = [(item, e) for item, (_, e) in zip(items, outcomes, strict=True) if e is not None]
    return [r for r, _ in outcomes], failures


def parallel(
    module: Any, what: str, func: Callable[[T], R], items: Iterable[T], jobs: int
) -> list[R]:
    """FUNC over ITEMS, JOBS at a time (run_parallel). The first failure fails the run once every
    call has returned: a Refusal with its own message, an AWS error as "Unable to WHAT <item>";
    anything else is a bug and is raised."""
    items = list(items)
    results, failures = run_parallel(func, items, jobs)
    if failures:
        item, error = failures[0]
        if not isinstance(error, (Refusal, BotoCoreError, ClientError)):
            raise error
        label = item if isinstance(item, str) else item[0]  # type: ignore[index]
        msg = str(error) if isinstance(error, Refusal) else f"Unable to {what} {label}"
        if len(failures) > 1:
            msg += f" ({len(failures)} of {len(items)} calls failed)"
        if isinstance(error, Refusal):
            module.fail_json(msg=msg)
        module.fail_json_aws(error, msg=msg)
    return results


def change_lists(
    created: list[str], updated: list[str], deleted: list[str]
) -> dict[str, list[str]]:
    """A run's `changes` result: the names created, updated and deleted, empty lists left out."""
    lists = {"created": created, "updated": updated, "deleted": deleted}
    return {kind: names for kind, names in lists.items() if names}
