#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rest_apis
version_added: 0.3.0
short_description: Reconcile a stack's API Gateway REST APIs in front of Lambda functions
description:
  - Reconciles every REST API of O(apis) from a declarative list of routes - the resource tree,
    methods, C(AWS_PROXY) Lambda integrations and a Cognito user pool authorizer are compared with
    what exists and only the differences are applied; resources and methods no route needs are
    removed.
  - A new deployment is made only when the API definition (routes and authorizer) changed or the
    stage no longer serves the definition's deployment - the stage carries the digest of the
    definition in its C(config-sha) tag and each deployment in its description, so a second run
    changes nothing and a stage rolled back by hand or a tree changed by hand is repaired.
  - The stage gets throttling (C(*/*) method settings) and optional access logging; an optional
    regional custom domain (TLS 1.2) maps a base path to the stage.
  - API Gateway is granted the right to invoke each route's function (one C(lambda:AddPermission)
    statement per API and route, with a deterministic statement id and the route's
    C(execute-api) source ARN); the statements of routes that go are removed.
  - APIs, stages and domains are tagged with O(tags) and C(tier) and found again by these tags; an
    API or domain with a wanted name that is not tagged as the stack's is refused, before any
    change.
  - Why not C(community.aws.api_gateway) - it re-imports a swagger document and deploys on every
    run (always C(changed)), and the emulator accepts only OpenAPI 3 documents there.
author:
  - aws-estates maintainers
options:
  apis:
    description:
      - The wanted REST APIs. Each has C(name) (the full API name), C(description), C(stage)
        (default C(v1)), C(endpoint_type) (C(REGIONAL), the default, or C(EDGE)), C(routes),
        C(authorizer), C(throttling), C(access_log_group_arn) and C(domain).
      - C(routes) is a list of C(path) (such as C(/predict) or C(/items/{id})), C(method)
        (C(GET), C(POST), C(PUT), C(DELETE), C(PATCH) or C(ANY)), C(function_arn) (the Lambda
        function an C(AWS_PROXY) integration invokes) and C(authorization) (C(NONE), the default,
        C(COGNITO_USER_POOLS) or C(AWS_IAM)).
      - C(authorizer) is C({name, user_pool_arns}), a C(COGNITO_USER_POOLS) authorizer used by the
        routes whose authorization is C(COGNITO_USER_POOLS).
      - C(throttling) is C({rate_limit, burst_limit}) of the stage (defaults 100 and 200).
      - C(access_log_group_arn) turns on the stage's access logging to that CloudWatch Logs group.
      - C(domain) is C({name, certificate_arn, base_path}) - a C(REGIONAL) custom domain name with
        a certificate of the API's region, security policy C(TLS_1_2), and a base path mapping
        (C(base_path) empty, the default, maps the domain's root) to the stage.
    type: list
    elements: dict
    default: []
  tags:
    description:
      - Tags of every API, stage and custom domain. C(stack) is required; the stack's resources
        are found again by C(stack), C(managed-by) (when given) and C(tier).
    type: dict
    required: true
  tier:
    description: Value of the C(tier) tag that tells this module's resources from others.
    type: str
    default: serverless
  purge:
    description:
      - Delete the stack's APIs (and their custom domains) that O(apis) does not list.
      - A custom domain that a listed API no longer has is always deleted.
    type: bool
    default: true
  state:
    description:
      - C(present) reconciles; C(absent) deletes every API and custom domain of the stack and
        tier, and the Lambda permission statements made for them.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's REST APIs
  estate.aws.rest_apis:
    region: eu-west-1
    tags: {stack: cubed, env: production, managed-by: ansible-estate}
    apis:
      - name: cubed-production-predict
        stage: v1
        authorizer:
          name: cubed-users
          user_pool_arns: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc]
        routes:
          - path: /predict
            method: POST
            function_arn: arn:aws:lambda:eu-west-1:123456789012:function:cubed-predict
            authorization: COGNITO_USER_POOLS
          - path: /items/{id}
            method: GET
            function_arn: arn:aws:lambda:eu-west-1:123456789012:function:cubed-items
        throttling: {rate_limit: 50, burst_limit: 100}
        access_log_group_arn: arn:aws:logs:eu-west-1:123456789012:log-group:/cubed/api-access
        domain:
          name: api.withcubed.com
          certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c
"""

RETURN = r"""
apis:
  description:
    - Per API name - C(id), C(arn), C(stage), C(invoke_url)
      (C(https://<id>.execute-api.<region>.amazonaws.com/<stage>), computed, never called),
      C(deployment_id) and C(domain) (C({name, regional_domain_name, regional_hosted_zone_id}) or
      null). Under check mode an API still to be created has null C(id), C(arn), C(invoke_url) and
      C(deployment_id).
  returned: always
  type: dict
changes:
  description: What was (or under check mode would be) created, updated and deleted, by kind.
  returned: always
  type: dict
"""

import json
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.estate.aws.plugins.module_utils.bulk import Refusal
from ansible_collections.estate.aws.plugins.module_utils.ownership import owned_by, tag_changes
from ansible_collections.estate.aws.plugins.module_utils.reconcile import Reconciler, arguments
from ansible_collections.estate.aws.plugins.module_utils.rest_api import (
    API_TAG,
    CONFIG_TAG,
    DEPLOYMENT_MARK,
    IDENTITY_SOURCE,
    SECURITY_POLICY,
    SID_PREFIX,
    TIER_RE,
    api_arn,
    api_errors,
    api_spec,
    authorizer_plan,
    base_path_key,
    current_method,
    definition_digest,
    deployment_description,
    domain_arn,
    domain_patch,
    function_of,
    invoke_url,
    method_plan,
    parent_path,
    permission_plan,
    resource_paths,
    resource_plan,
    route_lines,
    stage_arn,
    stage_patch,
    stage_settings,
    wanted_methods,
    wanted_permissions,
)
from botocore.exceptions import BotoCoreError, ClientError

NEW_AUTHORIZER = "(new authorizer)"
CHANGE_KINDS = (
    "apis_created",
    "apis_updated",
    "apis_deleted",
    "authorizers_changed",
    "routes_changed",
    "deployments_created",
    "stages_updated",
    "permissions_added",
    "permissions_removed",
    "domains_created",
    "domains_updated",
    "domains_deleted",
)


class ApiState:
    """What one existing REST API holds: resources (path -> id), methods, authorizers, stages."""

    def __init__(self, api: dict[str, Any]) -> None:
        self.api = api
        self.id: str = api["id"]
        self.resources: dict[str, str] = {}
        self.methods: dict[tuple[str, str], dict[str, Any]] = {}
        self.authorizers: list[dict[str, Any]] = []
        self.stages: dict[str, dict[str, Any]] = {}
        self.deployment_descriptions: dict[str, str] = {}

    def functions(self) -> set[str]:
        """The Lambda functions the API's integrations invoke."""
        found = (function_of(m["integration"]["uri"]) for m in self.methods.values())
        return {f for f in found if f}


class RestApis(Reconciler):
    """One reconciliation: read, refuse what must not be touched, then apply (unless in check
    mode) API by API."""

    ARGUMENTS: ClassVar[dict[str, Any]] = arguments(
        "serverless", apis={"type": "list", "elements": "dict", "default": []}
    )
    WHAT = "REST APIs"
    INVALID = "Invalid apis"
    VALIDATED = ("present", "absent")

    @classmethod
    def unusable(cls, params: dict[str, Any]) -> str | None:
        if TIER_RE.match(params["tier"]):
            return None
        return f"tier {params['tier']!r} must be 1-63 lower-case letters, digits or '-'"

    @classmethod
    def errors(cls, module: Any) -> list[str]:
        return api_errors(module.params["apis"], module.region)

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.apigw = self.client("apigateway")
        self.lambda_ = self.client("lambda")
        self.region: str = module.region
        self.check = module.check_mode
        self.wanted = [] if self.absent else [api_spec(a) for a in self.params["apis"]]
        self.changes: dict[str, list[str]] = {k: [] for k in CHANGE_KINDS}
        self.outputs: dict[str, Any] = {}

    # -- helpers -----------------------------------------------------------------------------
    def call(self, what: str, func: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return func(**kwargs)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Unable to {what}")

    def items(self, what: str, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a paginated API Gateway listing."""
        try:
            if self.apigw.can_paginate(operation):
                found: list[dict[str, Any]] = []
                for page in self.apigw.get_paginator(operation).paginate(**kwargs):
                    found.extend(page.get("items", []))
                return found
            reply = getattr(self.apigw, operation)(**kwargs)
            # GetStages answers {"item": [...]}, the other listings {"items": [...]}.
            return list(reply.get("items", reply.get("item", [])))
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg=f"Unable to list {what}")
            raise

    @property
    def partition(self) -> str:
        return self.account()[0]

    def owner_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.owner.items())

    def record(self, kind: str, item: str) -> None:
        if item not in self.changes[kind]:
            self.changes[kind].append(item)

    # -- read --------------------------------------------------------------------------------
    def read(self) -> None:
        """Every REST API and custom domain of the region; the stack's ones in full; refusals."""
        apis = self.items("the REST APIs", "get_rest_apis", PaginationConfig={"PageSize": 500})
        domains = self.items("the custom domains", "get_domain_names")
        self.owned_apis: dict[str, list[dict[str, Any]]] = {}
        foreign_apis: dict[str, str] = {}
        for api in apis:
            if owned_by(api.get("tags"), self.owner):
                self.owned_apis.setdefault(api["name"], []).append(api)
            else:
                foreign_apis.setdefault(api["name"], api["id"])
        self.owned_domains = {
            d["domainName"]: d for d in domains if owned_by(d.get("tags"), self.owner)
        }
        foreign_domains = {d["domainName"] for d in domains} - set(self.owned_domains)
        self.owned_ids = {a["id"] for group in self.owned_apis.values() for a in group}
        for spec in self.wanted:
            name = spec["name"]
            if name in foreign_apis and name not in self.owned_apis:
                raise Refusal(
                    f"The REST API {name} ({foreign_apis[name]}) exists but is not tagged as this"
                    f" stack's ({self.owner_text()}): delete it, tag it, or rename the API"
                )
            if len(self.owned_apis.get(name, [])) > 1:
                ids = ", ".join(sorted(a["id"] for a in self.owned_apis[name]))
                raise Refusal(
                    f"The stack has several REST APIs named {name} ({ids}): delete all but one"
                )
            domain = spec["domain"]
            if domain and domain["name"] in foreign_domains:
                raise Refusal(
                    f"The custom domain {domain['name']} exists but is not tagged as this stack's"
                    f" ({self.owner_text()}): delete it, tag it, or choose another domain name"
                )
        wanted_names = {s["name"] for s in self.wanted}
        self.doomed_apis = sorted(
            (a for n, group in self.owned_apis.items() if n not in wanted_names for a in group),
            key=lambda a: (a["name"], a["id"]),
        )
        if not self.purge:
            self.doomed_apis = []
        doomed_names = {a["name"] for a in self.doomed_apis}
        wanted_domains = {s["domain"]["name"] for s in self.wanted if s["domain"]}
        self.doomed_domains = sorted(
            name
            for name, d in self.owned_domains.items()
            if name not in wanted_domains
            and (self.purge or (d.get("tags") or {}).get(API_TAG) in wanted_names | doomed_names)
        )
        for name in self.doomed_domains:
            for mapping in self.mappings(name):
                if mapping.get("restApiId") not in self.owned_ids:
                    raise Refusal(
                        f"Refusing to delete the custom domain {name}: its base path"
                        f" {mapping.get('basePath')} serves the REST API"
                        f" {mapping.get('restApiId')}, which is not this stack's. Remove that"
                        " mapping first. Nothing was changed."
                    )

    def mappings(self, domain: str) -> list[dict[str, Any]]:
        return self.items(
            f"the base path mappings of {domain}", "get_base_path_mappings", domainName=domain
        )

    def read_api(self, api: dict[str, Any]) -> ApiState:
        state = ApiState(api)
        resources = self.items(
            f"the resources of {api['name']}",
            "get_resources",
            restApiId=state.id,
            embed=["methods"],
        )
        for resource in resources:
            state.resources[resource["path"]] = resource["id"]
            for verb, method in (resource.get("resourceMethods") or {}).items():
                if "methodIntegration" not in method:  # not embedded, or no integration
                    method = self.call(
                        f"read the method {verb} {resource['path']} of {api['name']}",
                        self.apigw.get_method,
                        restApiId=state.id,
                        resourceId=resource["id"],
                        httpMethod=verb,
                    )
                state.methods[(resource["path"], verb)] = current_method(method)
        state.authorizers = self.items(
            f"the authorizers of {api['name']}", "get_authorizers", restApiId=state.id
        )
        state.stages = {
            s["stageName"]: s
            for s in self.items(f"the stages of {api['name']}", "get_stages", restApiId=state.id)
        }
        for stage in state.stages.values():
            deployment = stage.get("deploymentId")
            if not deployment or deployment in state.deployment_descriptions:
                continue
            try:
                found = self.apigw.get_deployment(restApiId=state.id, deploymentId=deployment)
                state.deployment_descriptions[deployment] = found.get("description") or ""
            except is_boto3_error_code("NotFoundException"):
                state.deployment_descriptions[deployment] = ""
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to read the deployment of {api['name']}")
        return state

    def policies(self, functions: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Function ARN -> the statements of its resource policy (none when it has no policy)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for function in sorted(set(functions)):
            try:
                policy = self.lambda_.get_policy(FunctionName=function)["Policy"]
                found[function] = list(json.loads(policy).get("Statement", []))
            except is_boto3_error_code("ResourceNotFoundException"):
                found[function] = []
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to read the policy of {function}")
        return found

    # -- one API -----------------------------------------------------------------------------
    def change_count(self) -> int:
        return sum(len(v) for v in self.changes.values())

    def reconcile(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        mark = self.change_count()
        existing = self.owned_apis.get(name, [None])[0]
        state = self.read_api(existing) if existing else None
        self.before[name] = self.describe_current(name, state) if state else None
        self.after[name] = self.describe_wanted(spec)
        self.reconcile_api(spec, state)
        if self.change_count() == mark:
            del self.before[name], self.after[name]

    def reconcile_api(self, spec: dict[str, Any], state: ApiState | None) -> None:
        name = spec["name"]
        if state is None:
            self.record("apis_created", name)
            if self.check:
                self.plan_new(spec)
                return
            created = self.call(
                f"create the REST API {name}",
                self.apigw.create_rest_api,
                name=name,
                description=spec["description"],
                endpointConfiguration={"types": [spec["endpoint_type"]]},
                tags=self.tags,
            )
            state = ApiState(created)
            state.resources = {"/": created["rootResourceId"]}
        else:
            self.update_api(spec, state)
        tree_changed = self.reconcile_tree(spec, state)
        self.reconcile_permissions(spec, state)
        deployment = self.reconcile_stage(spec, state, tree_changed)
        domain = self.reconcile_domain(spec, state)
        for stage in sorted(set(state.stages) - {spec["stage"]}):
            self.record("stages_updated", f"{name}/{stage} (deleted)")
            if not self.check:
                self.call(
                    f"delete the stage {stage} of {name}",
                    self.apigw.delete_stage,
                    restApiId=state.id,
                    stageName=stage,
                )
        self.outputs[name] = {
            "id": state.id,
            "arn": api_arn(self.partition, self.region, state.id),
            "stage": spec["stage"],
            "invoke_url": invoke_url(state.id, self.region, spec["stage"]),
            "deployment_id": deployment,
            "domain": domain,
        }

    def plan_new(self, spec: dict[str, Any]) -> None:
        """Check mode, API still to be created: everything it would hold is a change."""
        name = spec["name"]
        if spec["authorizer"]:
            self.record("authorizers_changed", name)
        if spec["routes"]:
            self.record("routes_changed", name)
        self.record("deployments_created", name)
        for route in spec["routes"]:
            self.record("permissions_added", f"{name}: {route['method']} {route['path']}")
        domain = None
        if spec["domain"]:
            dname = spec["domain"]["name"]
            self.record(
                "domains_created" if dname not in self.owned_domains else "domains_updated", dname
            )
            found = self.owned_domains.get(dname)
            domain = (
                self.domain_output(found)
                if found
                else {"name": dname, "regional_domain_name": None, "regional_hosted_zone_id": None}
            )
        self.outputs[name] = {
            "id": None,
            "arn": None,
            "stage": spec["stage"],
            "invoke_url": None,
            "deployment_id": None,
            "domain": domain,
        }

    def update_api(self, spec: dict[str, Any], state: ApiState) -> None:
        name, api = spec["name"], state.api
        ops = []
        if (api.get("description") or "") != spec["description"]:
            ops.append({"op": "replace", "path": "/description", "value": spec["description"]})
        types = (api.get("endpointConfiguration") or {}).get("types") or []
        if types != [spec["endpoint_type"]]:
            old = types[0] if types else "EDGE"
            ops.append(
                {
                    "op": "replace",
                    "path": f"/endpointConfiguration/types/{old}",
                    "value": spec["endpoint_type"],
                }
            )
        retag = tag_changes(api.get("tags"), self.tags)
        if ops or retag:
            self.record("apis_updated", name)
        if self.check:
            return
        if ops:
            self.call(
                f"update the REST API {name}",
                self.apigw.update_rest_api,
                restApiId=state.id,
                patchOperations=ops,
            )
        if retag:
            self.call(
                f"tag the REST API {name}",
                self.apigw.tag_resource,
                resourceArn=api_arn(self.partition, self.region, state.id),
                tags=retag,
            )

    def reconcile_tree(self, spec: dict[str, Any], state: ApiState) -> bool:
        """Authorizer, resources, methods and integrations; whether anything changed."""
        name, api_id = spec["name"], state.id
        plan = authorizer_plan(state.authorizers, spec["authorizer"])
        authorizer_id = plan["keep"]
        changed = bool(plan["create"] or plan["patch"] or plan["delete"])
        if changed:
            self.record("authorizers_changed", name)
        if plan["create"]:
            authorizer_id = NEW_AUTHORIZER
            if not self.check:
                authorizer_id = self.call(
                    f"create the authorizer of {name}",
                    self.apigw.create_authorizer,
                    restApiId=api_id,
                    name=spec["authorizer"]["name"],
                    type="COGNITO_USER_POOLS",
                    providerARNs=spec["authorizer"]["user_pool_arns"],
                    identitySource=IDENTITY_SOURCE,
                )["id"]
        if plan["patch"] and not self.check:
            self.call(
                f"update the authorizer of {name}",
                self.apigw.update_authorizer,
                restApiId=api_id,
                authorizerId=authorizer_id,
                patchOperations=plan["patch"],
            )
        creates, deletes = resource_plan(state.resources, resource_paths(spec["routes"]))
        wanted = wanted_methods(spec, self.partition, self.region, authorizer_id)
        methods = method_plan(state.methods, wanted, deletes)
        if creates or deletes or any(methods.values()):
            changed = True
            self.record("routes_changed", name)
        if self.check:
            return changed
        for path in deletes:
            self.call(
                f"delete the resource {path} of {name}",
                self.apigw.delete_resource,
                restApiId=api_id,
                resourceId=state.resources[path],
            )
            for gone in [p for p in state.resources if p == path or p.startswith(path + "/")]:
                del state.resources[gone]
        for path in creates:
            state.resources[path] = self.call(
                f"create the resource {path} of {name}",
                self.apigw.create_resource,
                restApiId=api_id,
                parentId=state.resources[parent_path(path)],
                pathPart=path.rsplit("/", 1)[1],
            )["id"]
        for path, verb in methods["delete"] + methods["replace"]:
            self.call(
                f"delete the method {verb} {path} of {name}",
                self.apigw.delete_method,
                restApiId=api_id,
                resourceId=state.resources[path],
                httpMethod=verb,
            )
        for path, verb in methods["create"] + methods["replace"]:
            method = wanted[(path, verb)]
            extra = {"authorizerId": method["authorizerId"]} if method["authorizerId"] else {}
            self.call(
                f"create the method {verb} {path} of {name}",
                self.apigw.put_method,
                restApiId=api_id,
                resourceId=state.resources[path],
                httpMethod=verb,
                authorizationType=method["authorizationType"],
                **extra,
            )
        for path, verb in methods["create"] + methods["replace"] + methods["integrate"]:
            integration = wanted[(path, verb)]["integration"]
            self.call(
                f"integrate the method {verb} {path} of {name}",
                self.apigw.put_integration,
                restApiId=api_id,
                resourceId=state.resources[path],
                httpMethod=verb,
                type=integration["type"],
                integrationHttpMethod=integration["httpMethod"],
                uri=integration["uri"],
            )
        for authorizer in plan["delete"]:
            self.call(
                f"delete an authorizer of {name}",
                self.apigw.delete_authorizer,
                restApiId=api_id,
                authorizerId=authorizer,
            )
        return changed

    def reconcile_permissions(self, spec: dict[str, Any], state: ApiState) -> None:
        partition, account = self.account()
        wanted = wanted_permissions(spec, partition, self.region, account, state.id)
        functions = state.functions() | {f for f, _ in wanted.values()}
        adds, removes = permission_plan(self.policies(functions), wanted, state.id)
        self.apply_permissions(spec["name"], adds, removes)

    def apply_permissions(
        self, name: str, adds: list[tuple[str, str, str]], removes: list[tuple[str, str]]
    ) -> None:
        for function, sid in removes:
            self.record("permissions_removed", f"{name}: {sid} on {function}")
            if self.check:
                continue
            try:
                self.lambda_.remove_permission(FunctionName=function, StatementId=sid)
            except is_boto3_error_code("ResourceNotFoundException"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to remove {sid} from {function}")
        for function, sid, source in adds:
            self.record("permissions_added", f"{name}: {sid} on {function}")
            if self.check:
                continue
            self.call(
                f"let API Gateway invoke {function}",
                self.lambda_.add_permission,
                FunctionName=function,
                StatementId=sid,
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=source,
            )

    def reconcile_stage(
        self, spec: dict[str, Any], state: ApiState, tree_changed: bool
    ) -> str | None:
        """Deploy when due, then the stage's settings and tags; the deployment id it serves."""
        name, api_id, stage_name = spec["name"], state.id, spec["stage"]
        digest = definition_digest(spec)
        description = deployment_description(digest)
        stage = state.stages.get(stage_name)
        served = state.deployment_descriptions.get((stage or {}).get("deploymentId", ""), "")
        deployment = (stage or {}).get("deploymentId")
        tags = {**self.tags, CONFIG_TAG: digest}
        if tree_changed or stage is None or served != description:
            self.record("deployments_created", name)
            if self.check:
                return deployment
            deployment = self.call(
                f"deploy {name}",
                self.apigw.create_deployment,
                restApiId=api_id,
                description=description,
            )["id"]
            if stage is None:
                stage = self.call(
                    f"create the stage {stage_name} of {name}",
                    self.apigw.create_stage,
                    restApiId=api_id,
                    stageName=stage_name,
                    deploymentId=deployment,
                    tags=tags,
                )
                state.stages[stage_name] = stage
            else:
                previous = stage.get("deploymentId")
                stage = self.call(
                    f"point the stage {stage_name} of {name} at its new deployment",
                    self.apigw.update_stage,
                    restApiId=api_id,
                    stageName=stage_name,
                    patchOperations=[
                        {"op": "replace", "path": "/deploymentId", "value": deployment}
                    ],
                )
                in_use = {s.get("deploymentId") for n, s in state.stages.items() if n != stage_name}
                if (
                    previous
                    and previous not in in_use
                    and state.deployment_descriptions.get(previous, "").startswith(DEPLOYMENT_MARK)
                ):
                    try:
                        self.apigw.delete_deployment(restApiId=api_id, deploymentId=previous)
                    except (BotoCoreError, ClientError):
                        pass  # an old deployment left behind does no harm
        ops = stage_patch(stage or {}, spec["throttling"], spec["access_log_group_arn"])
        retag = tag_changes((stage or {}).get("tags"), tags)
        if ops or retag:
            self.record("stages_updated", f"{name}/{stage_name}")
        if self.check:
            return deployment
        if ops:
            self.call(
                f"update the stage {stage_name} of {name}",
                self.apigw.update_stage,
                restApiId=api_id,
                stageName=stage_name,
                patchOperations=ops,
            )
        if retag:
            self.call(
                f"tag the stage {stage_name} of {name}",
                self.apigw.tag_resource,
                resourceArn=stage_arn(self.partition, self.region, api_id, stage_name),
                tags=retag,
            )
        return deployment

    def domain_output(self, domain: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": domain["domainName"],
            "regional_domain_name": domain.get("regionalDomainName"),
            "regional_hosted_zone_id": domain.get("regionalHostedZoneId"),
        }

    def reconcile_domain(self, spec: dict[str, Any], state: ApiState) -> dict[str, Any] | None:
        want = spec["domain"]
        if not want:
            return None
        name, dname = spec["name"], want["name"]
        tags = {**self.tags, API_TAG: name}
        domain = self.owned_domains.get(dname)
        if domain is None:
            self.record("domains_created", dname)
            if self.check:
                return {
                    "name": dname,
                    "regional_domain_name": None,
                    "regional_hosted_zone_id": None,
                }
            domain = self.call(
                f"create the custom domain {dname}",
                self.apigw.create_domain_name,
                domainName=dname,
                regionalCertificateArn=want["certificate_arn"],
                endpointConfiguration={"types": ["REGIONAL"]},
                securityPolicy=SECURITY_POLICY,
                tags=tags,
            )
            mappings: list[dict[str, Any]] = []
        else:
            ops = domain_patch(domain, want["certificate_arn"])
            retag = tag_changes(domain.get("tags"), tags)
            if ops or retag:
                self.record("domains_updated", dname)
            if ops and not self.check:
                domain = self.call(
                    f"update the custom domain {dname}",
                    self.apigw.update_domain_name,
                    domainName=dname,
                    patchOperations=ops,
                )
            if retag and not self.check:
                self.call(
                    f"tag the custom domain {dname}",
                    self.apigw.tag_resource,
                    resourceArn=domain_arn(self.partition, self.region, dname),
                    tags=retag,
                )
            mappings = self.mappings(dname)
        key = base_path_key(want["base_path"])
        found = False
        for mapping in mappings:
            if mapping.get("basePath") != key:
                self.record("domains_updated", dname)
                if not self.check:
                    self.call(
                        f"delete the base path {mapping.get('basePath')} of {dname}",
                        self.apigw.delete_base_path_mapping,
                        domainName=dname,
                        basePath=mapping["basePath"],
                    )
                continue
            found = True
            ops = []
            if mapping.get("restApiId") != state.id:
                ops.append({"op": "replace", "path": "/restapiId", "value": state.id})
            if mapping.get("stage") != spec["stage"]:
                ops.append({"op": "replace", "path": "/stage", "value": spec["stage"]})
            if ops:
                self.record("domains_updated", dname)
                if not self.check:
                    self.call(
                        f"update the base path {key} of {dname}",
                        self.apigw.update_base_path_mapping,
                        domainName=dname,
                        basePath=key,
                        patchOperations=ops,
                    )
        if not found:
            self.record("domains_updated", dname)
            if not self.check:
                extra = {"basePath": want["base_path"]} if want["base_path"] else {}
                self.call(
                    f"map {dname} to {name}",
                    self.apigw.create_base_path_mapping,
                    domainName=dname,
                    restApiId=state.id,
                    stage=spec["stage"],
                    **extra,
                )
        return self.domain_output(domain)

    # -- deletions ---------------------------------------------------------------------------
    def delete_domains(self) -> None:
        for name in self.doomed_domains:
            self.record("domains_deleted", name)
            self.diff_deleted([f"domain {name}"])
            if self.check:
                continue
            try:
                self.apigw.delete_domain_name(domainName=name)
            except is_boto3_error_code("NotFoundException"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to delete the custom domain {name}")

    def delete_apis(self) -> None:
        for api in self.doomed_apis:
            name = api["name"]
            state = self.read_api(api)
            self.record("apis_deleted", f"{name} ({state.id})")
            self.before[name] = self.describe_current(name, state)
            self.after[name] = None
            prefix = f"{SID_PREFIX}{state.id}-"
            policies = self.policies(state.functions())
            removes = [
                (function, str(s.get("Sid")))
                for function, statements in sorted(policies.items())
                for s in statements
                if str(s.get("Sid", "")).startswith(prefix)
            ]
            self.apply_permissions(name, [], removes)
            if self.check:
                continue
            try:
                self.apigw.delete_rest_api(restApiId=state.id)
            except is_boto3_error_code("NotFoundException"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"Unable to delete the REST API {name}")

    # -- diffs -------------------------------------------------------------------------------
    def describe_current(self, name: str, state: ApiState) -> dict[str, Any]:
        authorizer = next(
            (a for a in state.authorizers if a.get("type") == "COGNITO_USER_POOLS"), None
        )
        domain = next(
            (
                {"name": d["domainName"], "certificate_arn": d.get("regionalCertificateArn")}
                for d in self.owned_domains.values()
                if (d.get("tags") or {}).get(API_TAG) == name
            ),
            None,
        )
        return {
            "description": state.api.get("description") or "",
            "endpoint_type": ((state.api.get("endpointConfiguration") or {}).get("types") or [""])[
                0
            ],
            "routes": route_lines(state.methods),
            "authorizer": {
                "name": authorizer.get("name"),
                "user_pool_arns": sorted(authorizer.get("providerARNs") or []),
            }
            if authorizer
            else None,
            "stages": {n: stage_settings(s) for n, s in sorted(state.stages.items())},
            "deployed": {
                n: state.deployment_descriptions.get(s.get("deploymentId", ""), "")
                for n, s in sorted(state.stages.items())
            },
            "domain": domain,
        }

    def describe_wanted(self, spec: dict[str, Any]) -> dict[str, Any]:
        partition = self.partition
        methods = wanted_methods(spec, partition, self.region, "authorizer")
        return {
            "description": spec["description"],
            "endpoint_type": spec["endpoint_type"],
            "routes": route_lines(methods),
            "authorizer": spec["authorizer"],
            "stages": {
                spec["stage"]: {
                    "name": spec["stage"],
                    "throttling": {
                        "rate_limit": float(spec["throttling"]["rate_limit"]),
                        "burst_limit": int(spec["throttling"]["burst_limit"]),
                    },
                    "access_log_group_arn": spec["access_log_group_arn"],
                }
            },
            "deployed": {spec["stage"]: deployment_description(definition_digest(spec))},
            "domain": {
                "name": spec["domain"]["name"],
                "certificate_arn": spec["domain"]["certificate_arn"],
            }
            if spec["domain"]
            else None,
        }

    # -- whole run ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        try:
            self.read()
        except Refusal as e:
            self.refuse(str(e))
        for spec in self.wanted:
            self.reconcile(spec)
        self.delete_domains()
        self.delete_apis()
        return self.result(any(self.changes.values()), self.changes, apis=self.outputs)


def main() -> None:
    RestApis.main()


if __name__ == "__main__":
    main()
