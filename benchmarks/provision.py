"""Time provisioning of each stack against a private emulator (see benchmarks/provision)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests/provision")]

from conftest import Emulator, free_port, start_emulator, stop_emulator  # noqa: E402
from stack_resources import stack_resources  # noqa: E402
from support.playbook import run_playbook  # noqa: E402
from support.stack import STACKS  # noqa: E402

COLUMNS = ("first run", "no-change", "--check", "teardown", "boto3 floor")


def timed(playbook: str, stack: str, *args: str, env: dict[str, str]) -> tuple[float, int]:
    start = time.monotonic()
    run = run_playbook(playbook, stack, *args, env=env)
    elapsed = time.monotonic() - start
    if run.rc != 0:
        sys.exit(f"benchmark step failed:\n{run.output[-4000:]}")
    return elapsed, run.changed


def bench_stack(emulator: Emulator, stack: str, state: str, env: dict[str, str]) -> str:
    out = ("-e", f"stack_outputs_dir={state}/{stack}")
    first, changed = timed("provision.yml", stack, *out, env=env)
    again, unchanged = timed("provision.yml", stack, *out, env=env)
    check, _ = timed("provision.yml", stack, "--check", *out, env=env)
    start = time.monotonic()
    found = stack_resources(emulator, stack)
    floor = time.monotonic() - start
    confirmed = (
        "-e",
        "aws_database_destroy_confirmed=true",
        "-e",
        "aws_storage_destroy_data_buckets=true",
    )
    gone, _ = timed("destroy.yml", stack, *out, *confirmed, env=env)
    count = sum(len(ids) for ids in found.values())
    cells = "".join(f"{value:>12.1f}s" for value in (first, again, check, gone, floor))
    return f"{stack:<20}{cells}   {count} resources; changed: first {changed}, again {unchanged}"


def main(stacks: list[str]) -> None:
    mitogen = os.environ.get("MITOGEN", "1") != "0"
    env = {} if mitogen else {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_STRATEGY_PLUGINS": ""}
    print(f"strategy: {'mitogen_linear' if mitogen else 'linear'}")
    print(f"{'stack':<20}" + "".join(f"{name:>13}" for name in COLUMNS))
    with tempfile.TemporaryDirectory() as state:
        emulator = start_emulator(Path(state), free_port())
        os.environ.update(emulator.env)
        try:
            for stack in stacks:
                print(bench_stack(emulator, stack, state, env), flush=True)
        finally:
            stop_emulator(Path(state))


if __name__ == "__main__":
    main(sys.argv[1:] or list(STACKS))
