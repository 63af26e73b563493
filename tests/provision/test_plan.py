"""tools/plan/plan (`make plan`): a definition the preflight rejects is an error (exit 1), not
drift. The clean plan and the drift plan run on the lifecycle tests' provisioned stacks
(checks_plan, test_lifecycle.py)."""

from __future__ import annotations

from pathlib import Path

from checks_plan import plan
from conftest import Emulator
from stack_resources import stack_resources


def test_plan_error_is_not_drift(emulator: Emulator, tmp_path: Path) -> None:
    """A definition the preflight rejects: exit 1 and an incomplete plan, nothing created."""
    run, written = plan(
        "akb",
        tmp_path,
        "-e",
        f"stack_outputs_dir={tmp_path}",
        "-e",
        "aws_network_vpc_cidr=10.20.0.0/33",
    )
    assert run.rc == 1, run.output[-4000:]
    assert "aws_network_vpc_cidr" in run.output
    assert written is not None and written["complete"] is False
    assert not stack_resources(emulator, "akb")
