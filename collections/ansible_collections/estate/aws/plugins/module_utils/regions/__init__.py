# Copyright: contributors to the aws-estates project
# SPDX-License-Identifier: MIT-0
"""Region data: what AWS offers in each region the stacks use, so the preflight checks it offline.

One YAML file per region beside this module (``<region>.yml``), each with its source and date in
its header: the availability-zone letters, the EC2 instance types offered (by family: ``t3:
[micro, small, ...]``) and, per RDS engine, the engine versions and DB instance classes offered.
``tools/regions/refresh`` writes these files from a real account (boto3); ``render`` below is
the one writer, ``load`` the one reader. Controller-side only (filters), never shipped to hosts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SIZES = ("nano", "micro", "small", "medium", "large", "xlarge")
WIDTH = 116  # yamllint allows 120
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 7x faster


@dataclass(frozen=True)
class RdsEngine:
    """What RDS offers for one engine in a region."""

    versions: tuple[str, ...]
    instance_classes: frozenset[str]

    def series(self, version: str) -> list[str]:
        """The offered versions of VERSION's series (its version without the last part:
        ``8.0`` for ``8.0.40``, ``16`` for ``16.4``)."""
        head = version.rpartition(".")[0]
        return [v for v in self.versions if v.rpartition(".")[0] == head]


@dataclass(frozen=True)
class Region:
    """One region's data file, read."""

    name: str
    source: str
    date: str
    availability_zones: tuple[str, ...]
    instance_types: frozenset[str]
    rds: Mapping[str, RdsEngine]


def size_key(size: str) -> tuple[int, int, str]:
    """Sort order of sizes: nano .. xlarge, then 2xlarge, 4xlarge, ..., then metal variants."""
    if size in SIZES:
        return SIZES.index(size), 0, size
    match = re.fullmatch(r"(\d+)xlarge", size)
    return (len(SIZES), int(match.group(1)), size) if match else (len(SIZES) + 1, 0, size)


def by_family(types: Iterable[str]) -> dict[str, list[str]]:
    """Instance types (``t3.micro``) or DB classes (``db.t3.micro``) grouped by family, sorted."""
    families: dict[str, set[str]] = {}
    for name in types:
        family, _, size = name.rpartition(".")
        families.setdefault(family, set()).add(size)
    return {f: sorted(s, key=size_key) for f, s in sorted(families.items())}


def _expand(families: Mapping[str, Iterable[str]]) -> frozenset[str]:
    return frozenset(f"{family}.{size}" for family, sizes in families.items() for size in sizes)


def _flow(key: str, items: Iterable[str], indent: int) -> list[str]:
    """``key: ["a", "b"]`` as YAML lines no wider than WIDTH (JSON strings are YAML)."""
    lines: list[str] = []
    line = f"{' ' * indent}{key}: ["
    pad = " " * len(line)  # continuation lines align with the first item
    for item in items:
        text = json.dumps(item)
        if len(line) + len(text) + 2 > WIDTH and not line.endswith("["):
            lines.append(line.rstrip())
            line = pad
        line += text + ", "
    lines.append(line.removesuffix(", ") + "]")
    return lines


def render(
    region: str,
    header: list[str],
    azs: Iterable[str],
    instance_types: Iterable[str],
    rds: Mapping[str, tuple[Iterable[str], Iterable[str]]],
) -> str:
    """The data file of REGION: HEADER (comment lines: source, date, how made), the AZ letters,
    the instance types, and per engine (versions, instance classes)."""
    lines = ["---", *(f"# {text}".rstrip() for text in header), f"region: {region}"]
    lines += _flow("availability_zones", sorted(azs), 0)
    lines.append("instance_types:")
    for family, sizes in by_family(instance_types).items():
        lines += _flow(family, sizes, 2)
    lines.append("rds:")
    for engine, (versions, classes) in sorted(rds.items()):
        lines.append(f"  {engine}:")
        lines += _flow("versions", sorted(set(versions), key=version_key), 4)
        lines.append("    instance_classes:")
        for family, sizes in by_family(classes).items():
            lines += _flow(family, sizes, 6)
    return "\n".join(lines) + "\n"


def version_key(version: str) -> tuple[int | str, ...]:
    """Numeric order of dotted versions (``8.0.9`` before ``8.0.10``)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.-]", version))


def header_value(text: str, key: str) -> str:
    """The value of a ``# key: value`` header line of a data file ('' when absent)."""
    match = re.search(rf"^# {key}: (.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def parse(text: str) -> Region:
    """A data file's text, read."""
    data: dict[str, Any] = yaml.load(text, Loader=LOADER)  # LOADER is a safe loader
    rds = {
        engine: RdsEngine(
            versions=tuple(str(v) for v in spec.get("versions", [])),
            instance_classes=_expand(spec.get("instance_classes", {})),
        )
        for engine, spec in (data.get("rds") or {}).items()
    }
    return Region(
        name=str(data["region"]),
        source=header_value(text, "source"),
        date=header_value(text, "date"),
        availability_zones=tuple(str(a) for a in data.get("availability_zones", [])),
        instance_types=_expand(data.get("instance_types") or {}),
        rds=rds,
    )


def known() -> list[str]:
    """The regions that have a data file."""
    return sorted(p.stem for p in HERE.glob("*.yml"))


@cache
def load(region: str) -> Region | None:
    """REGION's data, or None when the collection carries none for it."""
    path = HERE / f"{region}.yml"
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region) or not path.is_file():
        return None
    return parse(path.read_text(encoding="utf-8"))
