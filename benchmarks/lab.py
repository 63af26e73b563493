"""Time a stack's local lab and sample its memory (see benchmarks/lab)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests/provision")]

from conftest import free_port, start_emulator, stop_emulator  # noqa: E402
from support.lab import remove_lab  # noqa: E402
from support.playbook import PlaybookRun, run_play  # noqa: E402

PREFIX = "b-"
UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def to_bytes(text: str) -> int:
    """'223.2MB' (podman stats' decimal units) as bytes."""
    match = re.fullmatch(r"([0-9.]+)\s*([kMGT]?B)", text.strip())
    return int(float(match.group(1)) * UNITS[match.group(2)]) if match else 0


def used_memory() -> int:
    """The machine's memory in use (MemTotal - MemAvailable), in bytes."""
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024


def lab_memory(lab: str) -> int:
    """Memory in use by the lab's containers (podman stats), in bytes."""
    names = subprocess.run(
        ["podman", "ps", "--filter", f"label=estate.lab={lab}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if not names:
        return 0
    stats = subprocess.run(
        ["podman", "stats", "--no-stream", "--format", "json", *names],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    try:
        return sum(to_bytes(s["mem_usage"].split("/")[0]) for s in json.loads(stats or "[]"))
    except (ValueError, KeyError, TypeError):
        return 0


class Sampler(threading.Thread):
    """Peak of the lab's containers and of the machine (above its level at the start)."""

    def __init__(self, lab: str) -> None:
        super().__init__(daemon=True)
        self.lab, self.baseline = lab, used_memory()
        self.peak_lab = self.peak_machine = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_lab = max(self.peak_lab, lab_memory(self.lab))
            self.peak_machine = max(self.peak_machine, used_memory() - self.baseline)
            self.stop.wait(2)


def timed(
    playbook: str, stack: str, work: Path, env: dict[str, str], *args: str
) -> tuple[float, PlaybookRun]:
    start = time.monotonic()
    run = run_play(
        REPO / "playbooks" / playbook,
        "-e",
        f"stack_outputs_dir={work / stack}",
        "-e",
        f"lab_name_prefix={PREFIX}",
        *args,
        inventory=str(REPO / "inventories" / stack),
        env={**env, "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(work / "facts")},
        timeout=3600,
        cwd=work,
    )
    elapsed = time.monotonic() - start
    if run.rc != 0:
        sys.exit(f"{playbook} failed:\n{run.output[-4000:]}")
    return elapsed, run


def main(stack: str) -> None:
    gib = 2**30
    with tempfile.TemporaryDirectory() as state:
        work = Path(state)
        emulator = start_emulator(work / "emulator", free_port())
        os.environ.update(emulator.env)
        sampler = Sampler(PREFIX + stack)
        sampler.start()
        try:
            first, run = timed("site.yml", stack, work, emulator.env)
            print(f"{stack}: first deploy {first:.1f} s (changed={run.changed})", flush=True)
            again, run = timed("site.yml", stack, work, emulator.env)
            print(f"{stack}: re-run       {again:.1f} s (changed={run.changed})", flush=True)
            sampler.stop.set()
            sampler.join()
            print(
                f"{stack}: peak memory: lab containers {sampler.peak_lab / gib:.2f} GiB, "
                f"machine above its start level {sampler.peak_machine / gib:.2f} GiB "
                "(sampled every 2 s)",
                flush=True,
            )
            gone, _ = timed(
                "destroy.yml",
                stack,
                work,
                emulator.env,
                "-e",
                "aws_storage_destroy_data_buckets=true",
                "-e",
                "aws_database_destroy_confirmed=true",
            )
            print(f"{stack}: teardown     {gone:.1f} s", flush=True)
        finally:
            sampler.stop.set()
            remove_lab(PREFIX + stack)
            stop_emulator(work / "emulator")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cubed")
