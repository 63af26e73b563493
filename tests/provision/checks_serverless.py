"""Read-back checks of the serverless and CDN tiers (roles/aws_serverless, roles/aws_cdn), called
by the lifecycle tests. Everything is listed through the services' own calls (ListFunctions,
ListTables, ListTopics, ListUserPools, GetRestApis, ListRules, ListDistributions) and judged by
its tags, not through the modules' lookups."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from checks_kms import stack_keys
from conftest import Emulator
from support.playbook import REPO
from support.source import load_plugin
from support.stack import stack_vars

SERVERLESS_VARS = (
    "stack_name",
    "stack_region",
    "stack_bucket_prefix",
    "aws_serverless_functions",
    "aws_serverless_tables",
    "aws_serverless_topics",
    "aws_serverless_user_pools",
    "aws_serverless_apis",
    "aws_serverless_schedules",
    "aws_cdn_distributions",
)
package = load_plugin("modules/lambda_package.py")
EXCLUDE = ["__pycache__", "*.pyc", "*.pyo", ".*", "tests", "test_*.py"]


def serverless_data(stack: str) -> dict[str, Any]:
    data = stack_vars(stack, SERVERLESS_VARS)
    for kind in SERVERLESS_VARS[3:]:
        data[kind] = data[kind] or []
    return data


def code_sha256(source: str) -> str:
    """The CodeSha256 a function packaged from SOURCE must report."""
    src = REPO / source
    data = package.build(src, package.package_files(src, EXCLUDE))
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _tagged(tags: dict[str, str], stack: str) -> bool:
    return tags.get("stack") == stack


def stack_functions(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    lam = emulator.client("lambda", region)
    found = {}
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            tags = lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
            if _tagged(tags, stack):
                found[fn["FunctionName"]] = {**fn, "Tags": tags}
    return found


def stack_tables(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    ddb = emulator.client("dynamodb", region)
    found = {}
    for name in ddb.list_tables()["TableNames"]:
        table = ddb.describe_table(TableName=name)["Table"]
        tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
        if _tagged({t["Key"]: t["Value"] for t in tags}, stack):
            found[name] = table
    return found


def stack_topics(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, str]]:
    sns = emulator.client("sns", region)
    found = {}
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            arn = topic["TopicArn"]
            tags = {
                t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
            }
            if _tagged(tags, stack):
                found[arn.rsplit(":", 1)[-1]] = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    return found


def stack_pools(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    idp = emulator.client("cognito-idp", region)
    found = {}
    for pool in idp.list_user_pools(MaxResults=60)["UserPools"]:
        described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
        if _tagged(described.get("UserPoolTags", {}), stack):
            clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
            described["ClientNames"] = sorted(c["ClientName"] for c in clients["UserPoolClients"])
            found[pool["Name"]] = described
    return found


def stack_apis(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    apigw = emulator.client("apigateway", region)
    return {
        api["name"]: api
        for api in apigw.get_rest_apis(limit=500)["items"]
        if _tagged(api.get("tags", {}), stack)
    }


def stack_rules(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    """The stack's EventBridge rules (default bus), with their Targets."""
    events = emulator.client("events", region)
    found = {}
    for rule in events.list_rules()["Rules"]:
        tags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
        if _tagged({t["Key"]: t["Value"] for t in tags}, stack):
            targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            found[rule["Name"]] = {**rule, "Targets": targets}
    return found


def stack_distributions(emulator: Emulator, stack: str) -> dict[str, dict[str, Any]]:
    cloudfront = emulator.client("cloudfront", "us-east-1")
    found = {}
    listing = cloudfront.list_distributions()["DistributionList"]
    for summary in listing.get("Items", []):
        tags = cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])
        if _tagged({t["Key"]: t["Value"] for t in tags}, stack):
            found[summary["Id"]] = cloudfront.get_distribution(Id=summary["Id"])["Distribution"]
    return found


def serverless_left(emulator: Emulator, region: str, stack: str) -> dict[str, list[str]]:
    """The stack's serverless and CDN resources (for assert_gone and stack_resources)."""
    apigw = emulator.client("apigateway", region)
    domains = [
        d["domainName"]
        for d in apigw.get_domain_names().get("items", [])
        if _tagged(d.get("tags", {}), stack)
    ]
    return {
        "lambda_function": sorted(stack_functions(emulator, region, stack)),
        "dynamodb_table": sorted(stack_tables(emulator, region, stack)),
        "sns_topic": sorted(stack_topics(emulator, region, stack)),
        "cognito_user_pool": sorted(stack_pools(emulator, region, stack)),
        "rest_api": sorted(stack_apis(emulator, region, stack)),
        "api_domain": sorted(domains),
        "event_rule": sorted(stack_rules(emulator, region, stack)),
        "cloudfront_distribution": sorted(stack_distributions(emulator, stack)),
    }


def _check_functions(emulator: Emulator, data: dict[str, Any], key_arn: str) -> None:
    stack, region = data["stack_name"], data["stack_region"]
    functions = stack_functions(emulator, region, stack)
    assert sorted(functions) == sorted(
        f"{stack}-{f['name']}" for f in data["aws_serverless_functions"]
    )
    logs = emulator.client("logs", region)
    for fn in data["aws_serverless_functions"]:
        live = functions[f"{stack}-{fn['name']}"]
        assert live["CodeSha256"] == code_sha256(fn["source"]), (
            f"{fn['name']}: code not its sources'"
        )
        assert live["Role"].endswith(f"role/{stack}/{stack}-{fn['role']}") or live["Role"].endswith(
            f"/{stack}-{fn['role']}"
        ), live["Role"]
        assert live.get("KMSKeyArn") == key_arn, (
            f"{fn['name']}: environment not under the stack key"
        )
        assert live["Tags"].get("tier") == "serverless"
        env = live.get("Environment", {}).get("Variables", {})
        assert (fn.get("environment") or {}).items() <= env.items()
        for var in fn.get("environment_from") or {}:
            assert env.get(var), f"{fn['name']}: {var} unresolved"
        group = f"/aws/lambda/{stack}-{fn['name']}"
        described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert [g["logGroupName"] for g in described] == [group]
        assert described[0].get("retentionInDays") == fn.get("log_retention_days", 30)
        assert described[0].get("kmsKeyId") == key_arn


def _check_data(emulator: Emulator, data: dict[str, Any], key_arn: str) -> None:
    stack, region = data["stack_name"], data["stack_region"]
    tables = stack_tables(emulator, region, stack)
    assert sorted(tables) == sorted(f"{stack}-{t['name']}" for t in data["aws_serverless_tables"])
    ddb = emulator.client("dynamodb", region)
    for name, table in tables.items():
        sse = table.get("SSEDescription", {})
        assert sse.get("SSEType") == "KMS" and sse.get("KMSMasterKeyArn") == key_arn, (name, sse)
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        assert pitr == "ENABLED", f"{name}: point-in-time recovery off"
    topics = stack_topics(emulator, region, stack)
    assert set(topics) >= {f"{stack}-{t['name']}" for t in data["aws_serverless_topics"]}
    for topic in data["aws_serverless_topics"]:
        kms = topics[f"{stack}-{topic['name']}"].get("KmsMasterKeyId", "")
        assert kms in (key_arn, f"alias/{stack}") or key_arn.endswith(kms), kms
    pools = stack_pools(emulator, region, stack)
    assert sorted(pools) == sorted(
        f"{stack}-{p['name']}" for p in data["aws_serverless_user_pools"]
    )
    for pool in data["aws_serverless_user_pools"]:
        live = pools[f"{stack}-{pool['name']}"]
        assert live["ClientNames"] == sorted(c["name"] for c in pool.get("clients") or [])
        assert live["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def _check_apis(emulator: Emulator, data: dict[str, Any]) -> None:
    stack, region = data["stack_name"], data["stack_region"]
    apis = stack_apis(emulator, region, stack)
    assert sorted(apis) == sorted(f"{stack}-{a['name']}" for a in data["aws_serverless_apis"])
    apigw = emulator.client("apigateway", region)
    for api in data["aws_serverless_apis"]:
        live = apis[f"{stack}-{api['name']}"]
        resources = apigw.get_resources(restApiId=live["id"], limit=500, embed=["methods"])["items"]
        routes = {
            (r["path"], method)
            for r in resources
            for method in (r.get("resourceMethods") or {})
            if method != "OPTIONS"
        }
        assert routes == {(r["path"], r["method"]) for r in api["routes"]}, routes
        for route in api["routes"]:
            resource = next(r for r in resources if r["path"] == route["path"])
            integration = apigw.get_integration(
                restApiId=live["id"], resourceId=resource["id"], httpMethod=route["method"]
            )
            assert integration["type"] == "AWS_PROXY"
            assert f":function:{stack}-{route['function']}/" in integration["uri"]
        stage = apigw.get_stage(restApiId=live["id"], stageName=api.get("stage", "v1"))
        assert stage["deploymentId"]
        if api.get("domain"):
            domain = apigw.get_domain_name(domainName=api["domain"]["name"])
            assert domain.get("securityPolicy") == "TLS_1_2"
            mappings = apigw.get_base_path_mappings(domainName=api["domain"]["name"])["items"]
            assert [(m["restApiId"], m["stage"]) for m in mappings] == [
                (live["id"], api.get("stage", "v1"))
            ]


def _check_schedules(emulator: Emulator, data: dict[str, Any]) -> None:
    """Each schedule's rule fires its function on its expression, and the function lets exactly
    that rule invoke it."""
    stack, region = data["stack_name"], data["stack_region"]
    rules = stack_rules(emulator, region, stack)
    wanted = {f"{stack}-{s['name']}": s for s in data["aws_serverless_schedules"]}
    assert sorted(rules) == sorted(wanted)
    lam = emulator.client("lambda", region)
    for name, schedule in wanted.items():
        rule = rules[name]
        assert rule["ScheduleExpression"] == schedule["expression"]
        assert rule["State"] == ("ENABLED" if schedule.get("enabled", True) else "DISABLED")
        function = f"{stack}-{schedule['function']}"
        assert [t["Arn"].rsplit(":", 1)[-1] for t in rule["Targets"]] == [function]
        policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
        sources = [
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
            for s in policy["Statement"]
            if s.get("Principal", {}).get("Service") == "events.amazonaws.com"
        ]
        assert sources == [rule["Arn"]], f"{function}: invoke grants {sources}"


def _check_cdn(emulator: Emulator, data: dict[str, Any]) -> None:
    stack, region = data["stack_name"], data["stack_region"]
    distributions = stack_distributions(emulator, stack)
    assert len(distributions) == len(data["aws_cdn_distributions"])
    s3 = emulator.client("s3", region)
    for dist_id, dist in distributions.items():
        config = dist["DistributionConfig"]
        wanted = next(
            d for d in data["aws_cdn_distributions"] if config["Comment"] == f"{stack}-{d['name']}"
        )
        assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
        assert sorted(config["Aliases"].get("Items", [])) == sorted(wanted.get("aliases") or [])
        for origin in config["Origins"]["Items"]:
            assert origin.get("OriginAccessControlId"), f"{origin['Id']}: no origin access control"
            bucket = origin["DomainName"].split(".s3.")[0]
            policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
            grants = [
                s
                for s in policy["Statement"]
                if isinstance(s.get("Principal"), dict)
                and s["Principal"].get("Service") == "cloudfront.amazonaws.com"
            ]
            assert len(grants) == 1, f"{bucket}: {grants}"
            assert grants[0]["Condition"]["StringEquals"]["AWS:SourceArn"] == dist["ARN"]
        assert dist_id


def check_serverless(emulator: Emulator, stack: str) -> None:
    """Exactly the data's functions, tables, topics, pools, APIs, schedules and distributions
    exist, with their code, encryption, routes and grants."""
    data = serverless_data(stack)
    key_arn = stack_keys(emulator, stack)[data["stack_region"]]["Arn"]
    _check_functions(emulator, data, key_arn)
    _check_data(emulator, data, key_arn)
    _check_apis(emulator, data)
    _check_schedules(emulator, data)
    _check_cdn(emulator, data)
