"""DescribeTags: report and filter the resource types AWS uses (natgateway, elastic-ip, ...).

moto behaviour: DescribeTags derives a tag's ``ResourceType`` from the resource id's prefix through
``moto.ec2.utils.EC2_PREFIX_TO_RESOURCE``, the inverse of moto's id-generation table, whose names
are moto's own: a NAT gateway's tags come back as ``nat-gateway``, an Elastic IP's as
``vpc-elastic-ip``, a flow log's as ``flow-logs``; a ``resource-type`` filter with the AWS name
matches nothing.

AWS: the resource types are those of the TagSpecification ``ResourceType`` enum: ``natgateway``,
``elastic-ip``, ``vpc-flow-log``, ``dedicated-host``, ``reserved-instances``,
``spot-instances-request``. amazon.aws's ``ensure_ec2_tags``/``describe_ec2_tags`` filter
DescribeTags on the resource type, so against moto ``ec2_vpc_nat_gateway`` and ``ec2_eip`` saw no
tags, added them again on every run and reported ``changed`` (also under ``--check``).

Fix: rewrite those six values of ``EC2_PREFIX_TO_RESOURCE`` in place. Only the tag backend reads
that table (``describe_tags`` for the filter and for the reported type); the id-generation table
``EC2_RESOURCE_TO_PREFIX`` is left alone, so ids keep their prefixes.
"""

from __future__ import annotations

from moto.ec2 import utils

# id prefix -> resource type as AWS names it (botocore's ec2 model, shape ResourceType)
AWS_RESOURCE_TYPES: dict[str, str] = {
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "fl": "vpc-flow-log",
    "h": "dedicated-host",
    "uuid4": "reserved-instances",
    "sir": "spot-instances-request",
}


def apply() -> None:
    utils.EC2_PREFIX_TO_RESOURCE.update(AWS_RESOURCE_TYPES)
