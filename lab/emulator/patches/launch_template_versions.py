"""Launch templates: the template's own tags stay out of its data, and versions can be deleted.

moto behaviour: (1) CreateLaunchTemplate copies the request's ``TagSpecifications`` (which tag the
launch template itself, resource type ``launch-template``) into version 1's
``LaunchTemplateData``. ``amazon.aws.ec2_launch_template`` compares the data it would send with
the latest version's data, finds the extra ``launch-template`` entry and adds a version 2 on the
first re-run (and reports a change; an Auto Scaling group on ``$Latest`` then changes too).
(2) DeleteLaunchTemplateVersions is not implemented (HTTP 500): deleting a template that has more
than one version with ``ec2_launch_template state=absent`` fails, since the module deletes the
non-default versions first.

AWS: request-level ``TagSpecifications`` of CreateLaunchTemplate tag the template only and never
appear in ``LaunchTemplateData``; DeleteLaunchTemplateVersions deletes the given versions and
reports each one it could not delete (unknown version, or the default version) under
``UnsuccessfullyDeletedLaunchTemplateVersions`` rather than failing the call.

Fix: (1) drop ``launch-template`` entries (and the empty list moto adds) from the data before the
first version is stored; (2) DeleteLaunchTemplateVersions marks the versions deleted (their
numbers are never reused, as on AWS) and DescribeLaunchTemplateVersions / version lookups skip
them; the default version and unknown versions are reported as unsuccessful.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateBackend
from moto.ec2.responses.launch_templates import LaunchTemplates

_MARK = "_estate_launch_template_versions_patched"


def _strip_template_tags(template_data: dict[str, Any]) -> dict[str, Any]:
    specs = [
        spec
        for spec in template_data.get("TagSpecifications") or []
        if spec.get("ResourceType") != "launch-template"
    ]
    data = {key: value for key, value in template_data.items() if key != "TagSpecifications"}
    if specs:
        data["TagSpecifications"] = specs
    return data


def _live(template: LaunchTemplate) -> list[Any]:
    return [v for v in template.versions if not getattr(v, "estate_deleted", False)]


def delete_versions(
    backend: LaunchTemplateBackend, name: str | None, template_id: str | None, numbers: list[Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    template = (
        backend.get_launch_template_by_name(name)
        if name
        else backend.get_launch_template(template_id or "")
    )
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    base = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name}
    live = {v.number: v for v in _live(template)}
    for raw in numbers:
        number = int(raw)
        if number not in live:
            error = {
                "Code": "launchTemplateVersionDoesNotExist",
                "Message": f"The specified launch template version does not exist: {number}",
            }
        elif number == template.default_version_number:
            error = {
                "Code": "unexpectedError",
                "Message": "You cannot delete the default version of a launch template",
            }
        else:
            live[number].estate_deleted = True  # type: ignore[attr-defined]
            del live[number]
            done.append({**base, "VersionNumber": number})
            continue
        failed.append({**base, "VersionNumber": number, "ResponseError": error})
    return done, failed


def apply() -> None:
    if getattr(LaunchTemplateBackend, _MARK, False):
        return

    original_create = LaunchTemplateBackend.create_launch_template

    def create_launch_template(
        self: LaunchTemplateBackend,
        name: str,
        description: str,
        template_data: dict[str, Any],
        tag_spec: dict[str, Any],
    ) -> LaunchTemplate:
        return original_create(
            self, name, description, _strip_template_tags(template_data), tag_spec
        )

    original_describe = LaunchTemplateBackend.describe_launch_template_versions

    def describe_launch_template_versions(
        self: LaunchTemplateBackend, *args: Any, **kwargs: Any
    ) -> Any:
        found = original_describe(self, *args, **kwargs)
        return [(t, v) for t, v in found if not getattr(v, "estate_deleted", False)]

    original_get_version = LaunchTemplate.get_version

    def get_version(self: LaunchTemplate, num: Any) -> Any:
        if str(num).lower() == "$latest":
            return _live(self)[-1]
        version = original_get_version(self, num)
        if getattr(version, "estate_deleted", False):
            raise InvalidLaunchTemplateVersionNotFound(template_id=self.id, version=num)
        return version

    def latest_version(self: LaunchTemplate) -> Any:
        return _live(self)[-1]

    def delete_launch_template_versions(self: LaunchTemplates) -> ActionResult:
        name = self._get_param("LaunchTemplateName")
        template_id = self._get_param("LaunchTemplateId")
        numbers = self._get_param("Versions", [])
        self.error_on_dryrun()
        done, failed = delete_versions(self.ec2_backend, name, template_id, numbers)
        return ActionResult(
            {
                "SuccessfullyDeletedLaunchTemplateVersions": done,
                "UnsuccessfullyDeletedLaunchTemplateVersions": failed,
            }
        )

    LaunchTemplateBackend.create_launch_template = create_launch_template  # type: ignore[method-assign]
    LaunchTemplateBackend.describe_launch_template_versions = describe_launch_template_versions  # type: ignore[method-assign]
    LaunchTemplate.get_version = get_version  # type: ignore[method-assign]
    LaunchTemplate.latest_version = latest_version  # type: ignore[method-assign]
    LaunchTemplates.delete_launch_template_versions = delete_launch_template_versions  # type: ignore[attr-defined]
    setattr(LaunchTemplateBackend, _MARK, True)
