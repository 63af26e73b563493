"""estate.aws.rest_apis against the emulator: REST APIs in front of real (never invoked) Lambda
functions, with a Cognito authorizer, stage throttling and access logs, a regional custom domain
and the functions' invoke permissions. Everything is read back with boto3 through other calls
than the module's where there are any (GetResources, GetMethod, GetStage, GetTags, GetPolicy,
GetBasePathMappings): create, a strictly unchanged second run and --check, a change, drift made by
hand, invalid input and a foreign API refused before any call, and a teardown that leaves the
neighbour stack exactly as it was. No execute-api or custom domain address is ever contacted."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
PLAY = """
- name: REST APIs
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Reconcile the stack's REST APIs
      estate.aws.rest_apis:
        region: "{{ region }}"
        tags: "{{ api_tags }}"
        apis: "{{ api_list }}"
        state: "{{ api_state }}"
      register: rest_apis
    - name: Record the result for the test
      ansible.builtin.copy:
        content: "{{ rest_apis | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class Estate:
    """One stack's REST APIs, run by ansible-playbook with the module, read back with boto3."""

    def __init__(self, emulator: Emulator, tmp_path: Path, stack: str) -> None:
        self.emulator, self.tmp_path, self.stack = emulator, tmp_path, stack
        self.result_file = tmp_path / f"{stack}-result.json"

    def run(self, apis: list[dict[str, Any]], *args: str, state: str = "present") -> PlaybookRun:
        play = self.tmp_path / "rest_apis.yml"
        play.write_text(PLAY)
        variables = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "region": REGION,
            "api_tags": {"stack": self.stack, "env": "test", "managed-by": "pytest"},
            "api_list": apis,
            "api_state": state,
            "result_file": str(self.result_file),
        }
        varsfile = self.tmp_path / f"{self.stack}-vars.json"
        varsfile.write_text(json.dumps(variables))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.result_file.read_text())
        return data

    def state(self, functions: list[str]) -> dict[str, Any]:
        """The stack's APIs (whole), its custom domains and its functions' permission statements,
        everything found by tags."""
        apigw = self.emulator.client("apigateway", REGION)
        apis: dict[str, Any] = {}
        ids: set[str] = set()
        for api in apigw.get_rest_apis()["items"]:
            arn = f"arn:aws:apigateway:{REGION}::/restapis/{api['id']}"
            tags = apigw.get_tags(resourceArn=arn)["tags"]
            if tags.get("stack") != self.stack:
                continue
            ids.add(api["id"])
            apis[api["name"]] = read_api(apigw, api, tags)
        domains = {}
        for domain in apigw.get_domain_names()["items"]:
            name = domain["domainName"]
            arn = f"arn:aws:apigateway:{REGION}::/domainnames/{name}"
            tags = apigw.get_tags(resourceArn=arn)["tags"]
            if tags.get("stack") != self.stack:
                continue
            mappings = apigw.get_base_path_mappings(domainName=name)["items"]
            domains[name] = {
                "certificate": domain.get("regionalCertificateArn"),
                "security_policy": domain.get("securityPolicy"),
                "endpoint": domain["endpointConfiguration"]["types"],
                "regional_domain_name": domain.get("regionalDomainName"),
                "zone": domain.get("regionalHostedZoneId"),
                "tags": tags,
                "mappings": {m["basePath"]: (m["restApiId"], m.get("stage")) for m in mappings},
            }
        return {"apis": apis, "domains": domains, "statements": statements(self, functions, ids)}


def read_api(apigw: Any, api: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    api_id = api["id"]
    authorizers = {a["id"]: a for a in apigw.get_authorizers(restApiId=api_id)["items"]}
    resources: dict[str, dict[str, Any]] = {}
    for resource in apigw.get_resources(restApiId=api_id)["items"]:
        methods = {}
        for verb in resource.get("resourceMethods") or {}:
            method = apigw.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=verb)
            integration = method.get("methodIntegration") or {}
            authorizer = authorizers.get(method.get("authorizerId") or "", {})
            methods[verb] = (
                method["authorizationType"],
                authorizer.get("name"),
                integration.get("type"),
                integration.get("httpMethod"),
                integration.get("uri", "").split("/functions/")[-1].split(":")[-1],
            )
        resources[resource["path"]] = methods
    stages = {}
    for stage in apigw.get_stages(restApiId=api_id)["item"]:
        deployment = apigw.get_deployment(restApiId=api_id, deploymentId=stage["deploymentId"])
        settings = stage.get("methodSettings", {}).get("*/*", {})
        stage_tags = apigw.get_tags(
            resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/{stage['stageName']}"
        )["tags"]
        stages[stage["stageName"]] = {
            "deployment": stage["deploymentId"],
            "deployment_description": deployment.get("description"),
            "throttling": (
                settings.get("throttlingRateLimit"),
                settings.get("throttlingBurstLimit"),
            ),
            "access_log": (stage.get("accessLogSettings") or {}).get("destinationArn"),
            "tags": stage_tags,
        }
    return {
        "id": api_id,
        "description": api.get("description"),
        "endpoint": api["endpointConfiguration"]["types"],
        "tags": tags,
        "resources": resources,
        "authorizers": {
            a["name"]: (a["type"], sorted(a.get("providerARNs", [])), a.get("identitySource"))
            for a in authorizers.values()
        },
        "stages": stages,
    }


def statements(estate: Estate, functions: list[str], api_ids: set[str]) -> dict[str, list[Any]]:
    """Function name -> (Sid, SourceArn) of the statements that name one of the stack's APIs."""
    lam = estate.emulator.client("lambda", REGION)
    found: dict[str, list[Any]] = {}
    for function in functions:
        try:
            policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            continue
        for statement in policy["Statement"]:
            source = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn", "")
            if any(f":{api_id}/" in source for api_id in api_ids):
                found.setdefault(function.split(":")[-1], []).append(
                    (statement["Sid"], source, statement["Principal"])
                )
    return {k: sorted(v) for k, v in found.items()}


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}\n{run.output[-4000:]}"


@pytest.fixture(scope="session")
def world(emulator: Emulator) -> dict[str, Any]:
    """Three Lambda functions (a zip with a tiny handler and a role; never invoked), two Cognito
    user pools, an ACM certificate and a log group, made with boto3 once per emulator. Session
    scope, not module: under --dist worksteal a worker may run this module's tests apart, and a
    module fixture would then be made twice on the same emulator (CreateRole: already exists)."""
    iam = emulator.client("iam")
    role = iam.create_role(RoleName="rest-api-test-fn", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(
            "index.py", "def handler(event, context):\n    return {'statusCode': 200}\n"
        )
    lam = emulator.client("lambda", REGION)
    functions = {
        name: lam.create_function(
            FunctionName=f"rest-api-test-{name}",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        for name in ("predict", "items", "orders")
    }
    cognito = emulator.client("cognito-idp", REGION)
    pools = [
        cognito.create_user_pool(PoolName=f"rest-api-test-{i}")["UserPool"]["Arn"] for i in (1, 2)
    ]
    acm = emulator.client("acm", REGION)
    certificate = acm.request_certificate(
        DomainName="*.rest-api-test.example", ValidationMethod="DNS"
    )["CertificateArn"]
    logs = emulator.client("logs", REGION)
    logs.create_log_group(logGroupName="/rest-api-test/access")
    log_group = f"arn:aws:logs:{REGION}:123456789012:log-group:/rest-api-test/access"
    return {
        "functions": functions,
        "pools": pools,
        "certificate": certificate,
        "log_group": log_group,
    }


def main_apis(world: dict[str, Any]) -> list[dict[str, Any]]:
    fn = world["functions"]
    return [
        {
            "name": "ra-main-public",
            "description": "Predictions",
            "authorizer": {"name": "users", "user_pool_arns": [world["pools"][0]]},
            "routes": [
                {
                    "path": "/predict",
                    "method": "POST",
                    "function_arn": fn["predict"],
                    "authorization": "COGNITO_USER_POOLS",
                },
                {"path": "/items", "method": "GET", "function_arn": fn["items"]},
                {"path": "/items/{id}", "method": "GET", "function_arn": fn["items"]},
            ],
            "throttling": {"rate_limit": 50, "burst_limit": 100},
            "access_log_group_arn": world["log_group"],
            "domain": {
                "name": "api.rest-api-test.example",
                "certificate_arn": world["certificate"],
            },
        },
        {
            "name": "ra-main-admin",
            "stage": "live",
            "routes": [
                {
                    "path": "/",
                    "method": "ANY",
                    "function_arn": fn["orders"],
                    "authorization": "AWS_IAM",
                }
            ],
        },
    ]


@pytest.mark.cost(56)
def test_rest_apis_lifecycle(emulator: Emulator, tmp_path: Path, world: dict[str, Any]) -> None:
    functions = sorted(world["functions"].values())
    main = Estate(emulator, tmp_path, "ra-main")
    apis = main_apis(world)

    # Create.
    ok(main.run(apis), "first run", changed=True)
    state = main.state(functions)
    public = state["apis"]["ra-main-public"]
    api_id = public["id"]
    assert public["endpoint"] == ["REGIONAL"] and public["description"] == "Predictions"
    assert public["tags"] == {
        "stack": "ra-main",
        "env": "test",
        "managed-by": "pytest",
        "tier": "serverless",
    }
    assert public["resources"] == {
        "/": {},
        "/predict": {
            "POST": (
                "COGNITO_USER_POOLS",
                "users",
                "AWS_PROXY",
                "POST",
                "rest-api-test-predict/invocations",
            )
        },
        "/items": {"GET": ("NONE", None, "AWS_PROXY", "POST", "rest-api-test-items/invocations")},
        "/items/{id}": {
            "GET": ("NONE", None, "AWS_PROXY", "POST", "rest-api-test-items/invocations")
        },
    }
    assert public["authorizers"] == {
        "users": (
            "COGNITO_USER_POOLS",
            [world["pools"][0]],
            "method.request.header.Authorization",
        )
    }
    stage = public["stages"]["v1"]
    assert set(public["stages"]) == {"v1"}
    assert stage["throttling"] == (50.0, 100)
    assert stage["access_log"] == world["log_group"]
    assert stage["tags"]["stack"] == "ra-main" and len(stage["tags"]["config-sha"]) == 16
    assert stage["deployment_description"] == (
        f"estate.aws.rest_apis config-sha {stage['tags']['config-sha']}"
    )
    admin = state["apis"]["ra-main-admin"]
    assert admin["resources"] == {
        "/": {"ANY": ("AWS_IAM", None, "AWS_PROXY", "POST", "rest-api-test-orders/invocations")}
    }
    assert admin["authorizers"] == {} and set(admin["stages"]) == {"live"}
    assert admin["stages"]["live"]["throttling"] == (100.0, 200)
    assert admin["stages"]["live"]["access_log"] is None
    domain = state["domains"]["api.rest-api-test.example"]
    assert domain["certificate"] == world["certificate"]
    assert domain["security_policy"] == "TLS_1_2" and domain["endpoint"] == ["REGIONAL"]
    assert domain["mappings"] == {"(none)": (api_id, "v1")}
    assert domain["tags"]["api"] == "ra-main-public" and domain["zone"] == "ZLY8HYME6SFDD"
    prefix = f"arn:aws:execute-api:{REGION}:123456789012"
    service = {"Service": "apigateway.amazonaws.com"}
    assert {k: sorted((s[1], s[2]) for s in v) for k, v in state["statements"].items()} == {
        "rest-api-test-predict": [(f"{prefix}:{api_id}/*/POST/predict", service)],
        "rest-api-test-items": sorted(
            [
                (f"{prefix}:{api_id}/*/GET/items", service),
                (f"{prefix}:{api_id}/*/GET/items/*", service),
            ]
        ),
        "rest-api-test-orders": [(f"{prefix}:{admin['id']}/*/*/", service)],
    }
    outputs = main.result()["apis"]
    assert outputs["ra-main-public"] == {
        "id": api_id,
        "arn": f"arn:aws:apigateway:{REGION}::/restapis/{api_id}",
        "stage": "v1",
        "invoke_url": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/v1",
        "deployment_id": stage["deployment"],
        "domain": {
            "name": "api.rest-api-test.example",
            "regional_domain_name": domain["regional_domain_name"],
            "regional_hosted_zone_id": "ZLY8HYME6SFDD",
        },
    }
    assert outputs["ra-main-admin"]["domain"] is None

    # Strictly unchanged on the second run and under --check --diff.
    ok(main.run(apis), "second run", changed=False)
    ok(main.run(apis, "--check", "--diff"), "--check on the converged APIs", changed=False)
    assert main.state(functions) == state

    # A neighbour stack whose API fronts one of the same functions.
    other = Estate(emulator, tmp_path, "ra-other")
    other_apis = [
        {
            "name": "ra-other-api",
            "routes": [
                {"path": "/items", "method": "GET", "function_arn": world["functions"]["items"]}
            ],
        }
    ]
    ok(other.run(other_apis), "the neighbour", changed=True)
    other_state = other.state(functions)
    assert len(other_state["statements"]["rest-api-test-items"]) == 1

    # A change: one route goes, one comes, the authorizer gets a second pool, new throttling,
    # and the admin API is no longer listed (purged with its permission statement).
    changed = main_apis(world)[:1]
    changed[0]["routes"] = [r for r in changed[0]["routes"] if r["path"] != "/items/{id}"] + [
        {"path": "/orders/{id}", "method": "DELETE", "function_arn": world["functions"]["orders"]}
    ]
    changed[0]["authorizer"]["user_pool_arns"] = world["pools"]
    changed[0]["throttling"] = {"rate_limit": 75, "burst_limit": 150}
    checked = main.run(changed, "--check", "--diff")
    ok(checked, "--check of the change", changed=True)
    assert "+        - DELETE /orders/{id} -> " in checked.output, checked.output[-3000:]
    assert main.state(functions) == state, "--check changed something"
    ok(main.run(changed), "the change", changed=True)
    after = main.state(functions)
    public = after["apis"]["ra-main-public"]
    assert set(public["resources"]) == {"/", "/predict", "/items", "/orders", "/orders/{id}"}
    assert public["resources"]["/orders/{id}"]["DELETE"][4] == "rest-api-test-orders/invocations"
    assert public["authorizers"]["users"][1] == sorted(world["pools"])
    assert public["stages"]["v1"]["throttling"] == (75.0, 150)
    assert public["stages"]["v1"]["deployment"] != stage["deployment"]
    assert public["stages"]["v1"]["tags"]["config-sha"] != stage["tags"]["config-sha"]
    assert set(after["apis"]) == {"ra-main-public"}
    assert {k: sorted(s[1] for s in v) for k, v in after["statements"].items()} == {
        "rest-api-test-predict": [f"{prefix}:{api_id}/*/POST/predict"],
        "rest-api-test-items": [f"{prefix}:{api_id}/*/GET/items"],
        "rest-api-test-orders": [f"{prefix}:{api_id}/*/DELETE/orders/*"],
    }
    assert after["domains"] == state["domains"]
    assert other.state(functions) == other_state, "the change touched the neighbour"
    ok(main.run(changed), "after the change", changed=False)

    # Drift made by hand: a method deleted, throttling and the domain's policy changed, a
    # permission statement removed, the stage rolled back to a deployment of another definition.
    apigw = emulator.client("apigateway", REGION)
    lam = emulator.client("lambda", REGION)
    items = next(
        r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/items"
    )
    apigw.delete_method(restApiId=api_id, resourceId=items, httpMethod="GET")
    apigw.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"}],
    )
    apigw.update_domain_name(
        domainName="api.rest-api-test.example",
        patchOperations=[{"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"}],
    )
    predict = after["statements"]["rest-api-test-predict"][0][0]
    lam.remove_permission(FunctionName=world["functions"]["predict"], StatementId=predict)
    rollback = apigw.create_deployment(restApiId=api_id, description="by hand")["id"]
    apigw.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": rollback}],
    )
    drifted = main.state(functions)
    ok(main.run(changed, "--check"), "--check with drift", changed=True)
    assert main.state(functions) == drifted, "--check repaired something"
    ok(main.run(changed), "repairing the drift", changed=True)
    repaired = main.state(functions)
    assert repaired["apis"]["ra-main-public"]["resources"] == public["resources"]
    assert repaired["apis"]["ra-main-public"]["stages"]["v1"]["throttling"] == (75.0, 150)
    assert repaired["apis"]["ra-main-public"]["authorizers"] == public["authorizers"]
    assert repaired["domains"]["api.rest-api-test.example"]["security_policy"] == "TLS_1_2"
    assert repaired["statements"] == after["statements"]
    v1 = repaired["apis"]["ra-main-public"]["stages"]["v1"]
    assert v1["deployment"] != rollback
    assert v1["deployment_description"] == public["stages"]["v1"]["deployment_description"]
    assert v1["tags"] == public["stages"]["v1"]["tags"]
    ok(main.run(changed), "after the repair", changed=False)

    # Teardown: everything of ra-main goes, the neighbour stays exactly as it was.
    ok(main.run([], "--check", state="absent"), "--check of the teardown", changed=True)
    assert main.state(functions) == repaired
    ok(main.run([], state="absent"), "teardown", changed=True)
    assert main.state(functions) == {"apis": {}, "domains": {}, "statements": {}}
    assert other.state(functions) == other_state, "the teardown touched the neighbour"
    ok(main.run([], state="absent"), "second teardown", changed=False)


def test_invalid_or_foreign_apis_fail_before_any_change(
    emulator: Emulator, tmp_path: Path, world: dict[str, Any]
) -> None:
    apigw = emulator.client("apigateway", REGION)
    estate = Estate(emulator, tmp_path, "ra-bad")
    good = {
        "name": "ra-bad-api",
        "routes": [{"path": "/ok", "method": "GET", "function_arn": world["functions"]["items"]}],
    }
    bad = {
        "name": "ra-bad-second",
        "routes": [{"path": "/items/", "method": "FETCH", "function_arn": "items"}],
    }
    before = apigw.get_rest_apis()["items"]
    run = estate.run([good, bad])
    assert run.rc != 0
    assert "apis[1] (ra-bad-second).routes[0].path '/items/' has the part ''" in run.output
    assert "apis[1] (ra-bad-second).routes[0].method 'FETCH' must be one of" in run.output
    assert "apis[1] (ra-bad-second).routes[0].function_arn 'items' is not a Lambda" in run.output
    assert apigw.get_rest_apis()["items"] == before

    # An API of that name that is not the stack's is never adopted.
    foreign = apigw.create_rest_api(name="ra-bad-api", tags={"stack": "someone-else"})
    run = estate.run([good])
    assert run.rc != 0
    assert "The REST API ra-bad-api" in run.output and "is not tagged as this stack's" in run.output
    assert apigw.get_resources(restApiId=foreign["id"])["items"] == [
        {"id": foreign["rootResourceId"], "path": "/"}
    ]
    assert len(apigw.get_rest_apis()["items"]) == len(before) + 1
    apigw.delete_rest_api(restApiId=foreign["id"])
