"""API Gateway: CreateDeployment for an existing stage only points that stage at it.

moto behaviour: CreateDeployment with a ``stageName`` replaces the stage with a new, empty one:
its tags, method settings (throttling), access log settings, description and variables are lost.

AWS: the deployment goes to the named stage: an existing stage keeps its settings and tags and
only serves the new deployment (its variables are those given, when given); a stage that does not
exist is created.

Fix: when the stage exists, it is kept and its ``deploymentId`` (and the variables given) updated.
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Deployment, RestAPI

_MARK = "_estate_apigateway_deployment_stage_patched"


def apply() -> None:
    if getattr(RestAPI, _MARK, False):
        return
    original = RestAPI.create_deployment

    def create_deployment(
        self: RestAPI, name: str, description: str, stage_variables: Any = None
    ) -> Deployment:
        existing = self.stages.get(name) if name else None
        deployment = original(self, name, description, stage_variables)
        if existing is not None:
            existing.deployment_id = deployment.id
            if stage_variables:
                existing.variables = stage_variables
            self.stages[name] = existing
        return deployment

    RestAPI.create_deployment = create_deployment  # type: ignore[method-assign]
    setattr(RestAPI, _MARK, True)
