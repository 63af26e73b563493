#!/usr/bin/python
# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
# Ansible requires the DOCUMENTATION/EXAMPLES/RETURN blocks before any import (validate-modules).
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
---
module: acm_certificate_request
version_added: 0.1.0
short_description: Request an ACM certificate validated through DNS, once
description:
  - Finds the certificate whose C(Name) tag is O(name_tag) (any status but failed, revoked or
    expired); requests one with DNS validation when there is none. Tags are kept in step.
  - Returns the certificate ARN and the CNAME records ACM asks for, so that the DNS tier can
    publish them.
  - community.aws.acm_certificate only imports certificates; this module fills that gap.
author:
  - aws-estates maintainers
options:
  name_tag:
    description: Value of the C(Name) tag that identifies the certificate.
    type: str
    required: true
  domain_name:
    description: Domain name of the certificate.
    type: str
    required: true
  alternative_names:
    description: Subject alternative names.
    type: list
    elements: str
    default: []
  tags:
    description: Tags of the certificate (C(Name) is set to O(name_tag)).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the web certificate
  estate.aws.acm_certificate_request:
    name_tag: mystack-web
    domain_name: example.org
    alternative_names: [www.example.org]
    tags: {stack: mystack}
    region: eu-west-1
"""

RETURN = r"""
certificate:
  description: The certificate.
  returned: always
  type: dict
  contains:
    arn: {description: ARN (empty under check mode before the request), type: str}
    status: {description: ACM status, type: str}
    validation_records:
      description: CNAME records ACM validates the domains with.
      type: list
      elements: dict
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.estate.aws.plugins.module_utils.ownership import tag_dict

GONE = ("FAILED", "REVOKED", "EXPIRED", "VALIDATION_TIMED_OUT")


def find(client: Any, name_tag: str) -> dict[str, Any] | None:
    paginator = client.get_paginator("list_certificates")
    for page in paginator.paginate():
        for summary in page["CertificateSummaryList"]:
            arn = summary["CertificateArn"]
            tags = tag_dict(client.list_tags_for_certificate(CertificateArn=arn)["Tags"])
            if tags.get("Name") != name_tag:
                continue
            cert = client.describe_certificate(CertificateArn=arn)["Certificate"]
            if cert.get("Status") not in GONE:
                cert["Tags"] = tags
                return cert
    return None


def describe(cert: dict[str, Any]) -> dict[str, Any]:
    records = [
        o["ResourceRecord"]
        for o in cert.get("DomainValidationOptions", [])
        if o.get("ResourceRecord")
    ]
    return {
        "arn": cert.get("CertificateArn", ""),
        "status": cert.get("Status", ""),
        "validation_records": records,
    }


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "name_tag": {"type": "str", "required": True},
            "domain_name": {"type": "str", "required": True},
            "alternative_names": {"type": "list", "elements": "str", "default": []},
            "tags": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    client = module.client("acm")
    name_tag = module.params["name_tag"]
    tags = {**module.params["tags"], "Name": name_tag}
    cert = find(client, name_tag)
    changed = False
    if cert is None:
        changed = True
        if module.check_mode:
            module.exit_json(
                changed=True, certificate={"arn": "", "status": "", "validation_records": []}
            )
        request: dict[str, Any] = {
            "DomainName": module.params["domain_name"],
            "ValidationMethod": "DNS",
            "IdempotencyToken": name_tag.replace("-", "")[:32],
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        if module.params["alternative_names"]:
            request["SubjectAlternativeNames"] = [
                module.params["domain_name"],
                *module.params["alternative_names"],
            ]
        arn = client.request_certificate(**request)["CertificateArn"]
        cert = client.describe_certificate(CertificateArn=arn)["Certificate"]
    elif {k: v for k, v in cert["Tags"].items() if k in tags} != tags:
        changed = True
        if not module.check_mode:
            client.add_tags_to_certificate(
                CertificateArn=cert["CertificateArn"],
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
    module.exit_json(changed=changed, certificate=describe(cert))


if __name__ == "__main__":
    main()
