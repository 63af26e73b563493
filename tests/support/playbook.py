"""Run ansible-playbook the way `make` does, and parse its recap."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass(frozen=True)
class PlaybookRun:
    """Outcome of one ansible-playbook process."""

    rc: int
    output: str

    @property
    def changed(self) -> int:
        return sum(int(m.group(3)) for m in RECAP.finditer(self.output))

    @property
    def failed(self) -> int:
        return sum(int(m.group(5)) for m in RECAP.finditer(self.output))

    def changed_tasks(self) -> list[str]:
        """The task headers under which a 'changed:' line appeared (for assertion messages)."""
        tasks, current = [], ""
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                current = line
            elif line.startswith("changed:") and current not in tasks:
                tasks.append(current)
        return tasks


def mitogen_strategy_dir() -> str:
    """Directory of mitogen's strategy plugins in the venv (as the Makefile exports it)."""
    import ansible_mitogen.plugins.strategy as strategy

    return str(Path(strategy.__file__).parent)


def ansible_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_STRATEGY_PLUGINS": mitogen_strategy_dir(),
        "ANSIBLE_STRATEGY": "mitogen_linear",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    env.update(extra or {})
    return env


def run_play(
    play: str | Path,
    *args: str,
    inventory: str = "localhost,",
    env: dict[str, str] | None = None,
    timeout: int = 900,
    cwd: Path = REPO,
) -> PlaybookRun:
    """ansible-playbook -i INVENTORY PLAY ARGS, the way `make` runs it: from the repo root, or
    from CWD (relative paths such as the inventory cache then land there)."""
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", inventory, str(play), *args],
        cwd=cwd,
        env=ansible_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return PlaybookRun(rc=proc.returncode, output=proc.stdout + proc.stderr)


def run_playbook(
    playbook: str,
    stack: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = 900,
) -> PlaybookRun:
    """ansible-playbook -i inventories/<stack> playbooks/<playbook> ARGS, from the repo root."""
    return run_play(
        f"playbooks/{playbook}", *args, inventory=f"inventories/{stack}", env=env, timeout=timeout
    )
