"""Time each Molecule scenario's steps on a fresh instance (see benchmarks/roles)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEPS = (("create+prepare", ("create", "prepare")), ("converge", ("converge",)),
         ("re-run", ("converge",)), ("verify", ("verify",)), ("destroy", ("destroy",)))  # fmt: skip


def molecule(action: str, scenario: str) -> None:
    env = os.environ | {"PATH": f"{REPO / '.venv/bin'}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["molecule", action, "-s", scenario], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        subprocess.run(["molecule", "destroy", "-s", scenario], cwd=REPO, env=env, check=False)
        sys.exit(f"molecule {action} -s {scenario} failed:\n{result.stdout[-4000:]}")


def bench(scenario: str) -> list[float]:
    molecule("destroy", scenario)
    times = []
    for _, actions in STEPS:
        start = time.monotonic()
        for action in actions:
            molecule(action, scenario)
        times.append(time.monotonic() - start)
    return times


def main(argv: list[str]) -> int:
    scenarios = argv or sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
    print(f"{'scenario':<15}" + "".join(f"{name:>16}" for name, _ in STEPS))
    for scenario in scenarios:
        times = bench(scenario)
        print(f"{scenario:<15}" + "".join(f"{t:>15.1f}s" for t in times), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
