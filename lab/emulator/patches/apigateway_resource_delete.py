"""API Gateway: DeleteResource deletes the resource's child resources too.

moto behaviour: DeleteResource removes only the resource named; its children stay behind with a
parent that no longer exists, and every later GetResources of the API fails with
``NotFoundException`` ("Invalid resource identifier specified") while it computes their paths.

AWS: deleting a resource deletes its child resources and their methods with it.

Fix: the resource's descendants are removed with it.
"""

from __future__ import annotations

from moto.apigateway.models import APIGatewayBackend, Resource

_MARK = "_estate_apigateway_resource_delete_patched"


def apply() -> None:
    if getattr(APIGatewayBackend, _MARK, False):
        return
    original = APIGatewayBackend.delete_resource

    def delete_resource(self: APIGatewayBackend, function_id: str, resource_id: str) -> Resource:
        api = self.get_rest_api(function_id)
        doomed = {resource_id}
        grew = True
        while grew:
            children = {r.id for r in api.resources.values() if r.parent_id in doomed}
            grew = not children <= doomed
            doomed |= children
        for child in doomed - {resource_id}:
            api.resources.pop(child, None)
        return original(self, function_id, resource_id)

    APIGatewayBackend.delete_resource = delete_resource  # type: ignore[method-assign]
    setattr(APIGatewayBackend, _MARK, True)
