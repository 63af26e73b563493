"""Every region's image catalogue holds a Debian 12 image, published by Debian's AWS account.

moto behaviour: moto's built-in catalogue (``ec2/resources/amis.json`` and ``latest_amis``) holds
Amazon Linux, Ubuntu 14/16, Windows and a few marketplace images, but no Debian: the lookup the
compute tier makes on AWS (owner ``136693071363``, name ``debian-12-amd64-*``) finds nothing.

AWS: Debian publishes ``debian-12-amd64-<date>-<build>`` (and arm64) images in every commercial
region from account 136693071363.

Fix: after moto loads an EC2 backend's images, add one Debian 12 amd64 and one arm64 image with
Debian's owner id, AWS's name pattern, EBS root on ``/dev/xvda`` and ENA, so the same filtered
``describe_images`` works against both. Image ids are derived from the region, so they are stable
across restarts. Images the caller deregisters stay deregistered only until the next restart, as
moto's own images do.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models.amis import Ami, AmiBackend

_MARK = "_estate_debian_images_patched"
DEBIAN_OWNER = "136693071363"
BUILD = "20260901-2222"


def _ami_id(region: str, arch: str) -> str:
    return "ami-0" + hashlib.sha256(f"debian-12-{arch}-{region}".encode()).hexdigest()[:16]


def _add_debian(backend: Any) -> None:
    for arch, name_arch in (("x86_64", "amd64"), ("arm64", "arm64")):
        ami_id = _ami_id(backend.region_name, arch)
        if ami_id in backend.amis:
            continue
        backend.amis[ami_id] = Ami(
            backend,
            ami_id=ami_id,
            name=f"debian-12-{name_arch}-{BUILD}",
            description=f"Debian 12 (20260901-2222) {name_arch}",
            architecture=arch,
            owner_id=DEBIAN_OWNER,
            public=True,
            root_device_name="/dev/xvda",
            root_device_type="ebs",
            virtualization_type="hvm",
            hypervisor="xen",
            state="available",
            sriov="simple",
            creation_date=datetime(2026, 9, 1, 22, 22, tzinfo=UTC),
        )


def apply() -> None:
    if getattr(AmiBackend, _MARK, False):
        return
    original = AmiBackend._load_amis

    def _load_amis(self: Any) -> None:
        original(self)
        _add_debian(self)

    AmiBackend._load_amis = _load_amis  # type: ignore[method-assign]
    setattr(AmiBackend, _MARK, True)
