"""The training job: scheduled, runs under its own account, publishes an encrypted model to S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from testinfra.host import Host

UNIT = "model-trainer-customer-attribution"
BUCKET = "molecule-models"
KEY = "models/customer-attribution/model.json"


@pytest.fixture(scope="module")
def s3(ephemeral_dir: Path) -> Any:
    env = dict(
        line.split("=", 1)
        for line in (ephemeral_dir / "emulator/emulator.env").read_text().splitlines()
        if "=" in line
    )
    return boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        # pragma: allowlist nextline secret - the emulator's fake credentials
        aws_secret_access_key="testing",
        region_name="eu-west-1",
    )


def test_timer_is_scheduled(host: Host) -> None:
    timer = host.service(f"{UNIT}.timer")
    assert timer.is_enabled and timer.is_running
    assert "*-*-* 02:00:00" in host.check_output(f"systemctl show -P TimersCalendar {UNIT}.timer")
    assert host.check_output(f"systemctl show -P NextElapseUSecRealtime {UNIT}.timer")


def test_settings_are_root_only(host: Host) -> None:
    env = host.file(f"/etc/default/{UNIT}")
    assert env.user == "root" and env.mode == 0o600
    assert "MODEL_TRAINER_BUCKET=molecule-models" in env.content_string


def test_a_run_publishes_an_encrypted_model(host: Host, s3: Any) -> None:
    run = host.run(f"systemctl start {UNIT}.service")
    assert run.rc == 0, host.run(f"journalctl -u {UNIT} --no-pager -n 30").stdout
    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    model = json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    assert model["features"] == ["pages_viewed", "minutes_on_site", "visits", "came_from_search"]
    assert model["metrics"]["samples"] == 1500
    assert model["metrics"]["accuracy"] > 0.75
    local = host.file(f"/var/lib/{UNIT}/model.json")
    assert local.user == "model-trainer"
    assert json.loads(local.content_string)["version"] == model["version"]
    assert "published s3://molecule-models/" in host.check_output(
        f"journalctl -u {UNIT} --no-pager"
    )
