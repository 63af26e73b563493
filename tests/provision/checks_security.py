"""Security policy over a provisioned stack, called by test_lifecycle.py right after a
stack is provisioned. Everything is read back from the live emulator with boto3 and found by the
stack's tags (IAM: its path), the way the other checks_*.py find it:

- no security group opens SSH, RDP or a database port to 0.0.0.0/0 or ::/0;
- every instance and every launch template version requires IMDSv2 (HttpTokens=required);
- every EBS volume, RDS instance, S3 bucket, SQS queue, DynamoDB table, SNS topic and log group is
  encrypted with the stack's own KMS key of its region (reported as key ID, key ARN or the stack's
  alias);
- every bucket blocks public access (all four flags);
- no IAM policy of the stack (managed or inline, or attached to its roles and groups) allows
  Action "*" / "*:*" on Resource "*";
- no secret the stack keeps in Secrets Manager appears in a run's output.

The predicates are pure functions of one resource description (tests/unit/test_security_rules.py
feeds them bad ones); check_security() collects every finding and fails naming each resource.
"""

from __future__ import annotations

import json
import re
from typing import Any

from checks_compute import stack_instances
from checks_identity import as_list, groups_under, iam_path
from checks_kms import KMS_VARS, stack_keys
from checks_serverless import stack_tables, stack_topics
from checks_storage import BLOCK_ALL, stack_buckets
from checks_tenants import stack_queues
from conftest import Emulator
from support.aws_state import ec2_resources, tags_of
from support.playbook import PlaybookRun
from support.stack import stack_vars

# SSH, RDP, MySQL, PostgreSQL, SQL Server, Oracle, MongoDB, Redis.
ADMIN_PORTS = (22, 3389, 3306, 5432, 1433, 1521, 27017, 6379)
WORLD = {"0.0.0.0/0", "::/0"}
ICMP = {"icmp", "icmpv6", "1", "58"}
# A secret field whose value must never be printed (JSON secrets also hold host, port, user...).
SECRET_FIELD = re.compile(r"pass|secret|token|key", re.I)
MIN_SECRET_LENGTH = 8


# ---- pure predicates: each returns the findings (strings naming the resource), empty when fine


def world_open_ports(group: dict[str, Any], ports: tuple[int, ...] = ADMIN_PORTS) -> list[str]:
    """Ingress rules of a DescribeSecurityGroups entry that open one of PORTS to the world."""
    name = f"security group {group.get('GroupName')} ({group.get('GroupId')})"
    found = []
    for rule in group.get("IpPermissions", []):
        protocol = str(rule.get("IpProtocol", "-1"))
        if protocol in ICMP:
            continue
        sources = {r.get("CidrIp") for r in rule.get("IpRanges", [])}
        sources |= {r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])}
        world = sorted(s for s in sources & WORLD if s)
        if not world:
            continue
        if protocol == "-1":
            exposed = list(ports)
        else:
            low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
            exposed = [p for p in ports if low <= p <= high]
        if exposed:
            found.append(f"{name}: {protocol} ports {exposed} open to {world}")
    return found


def imdsv1_allowed(label: str, metadata: dict[str, Any] | None) -> list[str]:
    """An instance's or launch template's MetadataOptions that do not require IMDSv2 tokens."""
    tokens = (metadata or {}).get("HttpTokens")
    if tokens == "required":
        return []
    return [f"{label}: IMDSv2 not required (HttpTokens={tokens!r})"]


def accepted_key_ids(key: dict[str, Any], alias: str) -> set[str]:
    """How the emulator or AWS may report the stack key KEY (KMS DescribeKey metadata) of ALIAS:
    its ID, its ARN, the alias name or the alias ARN - nothing else."""
    alias_arn = key["Arn"].split(":key/")[0] + f":alias/{alias}"
    return {key["KeyId"], key["Arn"], f"alias/{alias}", alias_arn}


def not_stack_key(label: str, reported: str | None, accepted: set[str]) -> list[str]:
    if reported and reported in accepted:
        return []
    return [f"{label}: not encrypted with the stack key (reported key {reported!r})"]


def unencrypted_volume(volume: dict[str, Any], accepted: set[str]) -> list[str]:
    label = f"EBS volume {volume.get('VolumeId')}"
    if not volume.get("Encrypted"):
        return [f"{label}: not encrypted"]
    return not_stack_key(label, volume.get("KmsKeyId"), accepted)


def unencrypted_db(db: dict[str, Any], accepted: set[str]) -> list[str]:
    label = f"RDS instance {db.get('DBInstanceIdentifier')}"
    if not db.get("StorageEncrypted"):
        return [f"{label}: storage not encrypted"]
    return not_stack_key(label, db.get("KmsKeyId"), accepted)


def unencrypted_bucket(
    name: str, encryption: dict[str, Any] | None, accepted: set[str], log_target: bool
) -> list[str]:
    """A bucket's ServerSideEncryptionConfiguration. A bucket that receives S3 server access
    logs may use SSE-S3 (AES256) instead: AWS delivers access logs only to SSE-S3 buckets."""
    rules = (encryption or {}).get("Rules", [])
    defaults = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in rules]
    if not defaults:
        return [f"S3 bucket {name}: no default encryption"]
    found = []
    for default in defaults:
        algorithm = default.get("SSEAlgorithm")
        if log_target and algorithm == "AES256":
            continue
        if algorithm not in ("aws:kms", "aws:kms:dsse"):
            found.append(f"S3 bucket {name}: default encryption {algorithm!r}, not the stack key")
            continue
        found += not_stack_key(f"S3 bucket {name}", default.get("KMSMasterKeyID"), accepted)
    return found


def public_bucket(name: str, block: dict[str, Any] | None) -> list[str]:
    """A bucket's PublicAccessBlockConfiguration that leaves one of the four flags off."""
    off = sorted(flag for flag in BLOCK_ALL if not (block or {}).get(flag))
    return [f"S3 bucket {name}: public access not blocked ({', '.join(off)})"] if off else []


def wildcard_grants(label: str, document: dict[str, Any] | str) -> list[str]:
    """Allow statements of a policy document granting Action "*" or "*:*" on Resource "*"."""
    if isinstance(document, str):
        document = json.loads(document)
    found = []
    for statement in as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        actions = set(as_list(statement.get("Action", [])))
        resources = set(as_list(statement.get("Resource", [])))
        if actions & {"*", "*:*"} and "*" in resources:
            found.append(f"IAM policy {label}: allows {sorted(actions)} on '*' ({statement})")
    return found


def leaked_secrets(label: str, values: list[str], outputs: list[str]) -> list[str]:
    """Secret VALUES that appear in one of the run OUTPUTS (or are too short to look for)."""
    found = []
    for value in values:
        if len(value) < MIN_SECRET_LENGTH:
            found.append(f"secret {label}: value of {len(value)} characters, too short to trust")
            continue
        for index, output in enumerate(outputs):
            if value in output:
                found.append(f"secret {label}: printed in the output of run {index + 1}")
    return found


def secret_values(secret_string: str) -> list[str]:
    """The values to hide of a SecretString: the sensitive fields of a JSON object (password,
    key, token, secret...), or the whole string."""
    try:
        document = json.loads(secret_string)
    except ValueError:
        return [secret_string]
    if not isinstance(document, dict):
        return [secret_string]
    return [str(v) for k, v in document.items() if SECRET_FIELD.search(k) and v]


# ---- live state


def _keys(emulator: Emulator, stack: str) -> tuple[dict[str, set[str]], dict[str, Any]]:
    data = stack_vars(stack, KMS_VARS)
    alias = data["aws_kms_alias"] or data["stack_name"]
    keys = stack_keys(emulator, stack)
    wanted = [data["stack_region"], *(data["aws_kms_replica_regions"] or [])]
    assert sorted(keys) == sorted(wanted), f"{stack}: stack keys in {sorted(keys)}, not {wanted}"
    return {region: accepted_key_ids(key, alias) for region, key in keys.items()}, data


def _network_findings(emulator: Emulator, region: str, stack: str) -> tuple[list[str], int]:
    vpcs = [v["VpcId"] for v in ec2_resources(emulator, region, "vpc", {"tag:stack": stack})]
    mine = [
        g
        for g in ec2_resources(emulator, region, "security_group")
        if g.get("VpcId") in vpcs or tags_of(g).get("stack") == stack
    ]
    return [finding for group in mine for finding in world_open_ports(group)], len(mine)


def _template_devices(ec2: Any, template: str, version: str | None) -> set[str]:
    """Device names of the EBS mappings of one launch template version."""
    (described,) = ec2.describe_launch_template_versions(
        LaunchTemplateId=template, Versions=[version or "$Default"]
    )["LaunchTemplateVersions"]
    return {m["DeviceName"] for m in described["LaunchTemplateData"].get("BlockDeviceMappings", [])}


def _compute_findings(
    emulator: Emulator, region: str, stack: str, accepted: set[str]
) -> tuple[list[str], int]:
    ec2 = emulator.client("ec2", region)
    found: list[str] = []
    by_tag = [{"Name": "tag:stack", "Values": [stack]}]
    templates = ec2.describe_launch_templates(Filters=by_tag)["LaunchTemplates"]
    template_ids = {t["LaunchTemplateId"] for t in templates}
    instances = stack_instances(emulator, region, stack)
    volume_ids: set[str] = set()
    for instance in instances:
        tags = tags_of(instance)
        label = f"instance {tags.get('Name', '')} ({instance['InstanceId']})"
        mappings = [m for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m]
        template = tags.get("aws:ec2launchtemplate:id")
        if "aws:autoscaling:groupName" in tags and template:
            # Emulator gap (moto 5.2.5): an Auto Scaling launch ignores the launch template's
            # MetadataOptions and adds an unencrypted default root volume next to the template's
            # own. Such an instance is judged by its template (every version is judged below,
            # as AWS applies it) and by the volumes of the template's devices only.
            if template not in template_ids:
                found.append(f"{label}: launched from {template}, not one of the stack's templates")
            devices = _template_devices(ec2, template, tags.get("aws:ec2launchtemplate:version"))
            mappings = [m for m in mappings if m["DeviceName"] in devices]
        else:
            found += imdsv1_allowed(label, instance.get("MetadataOptions"))
        volume_ids |= {m["Ebs"]["VolumeId"] for m in mappings}
    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes(Filters=by_tag)["Volumes"]}
    if volume_ids:
        volumes |= {
            v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=sorted(volume_ids))["Volumes"]
        }
    for volume in volumes.values():
        found += unencrypted_volume(volume, accepted)
    templates = ec2.describe_launch_templates(Filters=by_tag)["LaunchTemplates"]
    for template in templates:
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"]
        )["LaunchTemplateVersions"]
        for version in versions:
            label = f"launch template {template['LaunchTemplateName']} v{version['VersionNumber']}"
            lt = version["LaunchTemplateData"]
            found += imdsv1_allowed(label, lt.get("MetadataOptions"))
            for mapping in lt.get("BlockDeviceMappings", []):
                ebs = mapping.get("Ebs", {})
                device = f"{label} {mapping.get('DeviceName')}"
                if not ebs.get("Encrypted"):
                    found.append(f"{device}: EBS volume not encrypted")
                else:
                    found += not_stack_key(device, ebs.get("KmsKeyId"), accepted)
    return found, len(instances) + len(volumes) + len(templates)


def _data_findings(
    emulator: Emulator, region: str, stack: str, accepted: set[str]
) -> tuple[list[str], int]:
    found: list[str] = []
    rds = emulator.client("rds", region)
    dbs = [
        db for db in rds.describe_db_instances()["DBInstances"] if tags_of(db).get("stack") == stack
    ]
    for db in dbs:
        found += unencrypted_db(db, accepted)
    queues = stack_queues(emulator, region, stack)
    for name, queue in queues.items():
        found += not_stack_key(
            f"SQS queue {name}", queue["attributes"].get("KmsMasterKeyId"), accepted
        )
    tables = stack_tables(emulator, region, stack)
    for name, table in tables.items():
        sse = table.get("SSEDescription", {})
        if sse.get("SSEType") != "KMS":
            found.append(f"DynamoDB table {name}: not encrypted with a KMS key ({sse})")
        else:
            found += not_stack_key(f"DynamoDB table {name}", sse.get("KMSMasterKeyArn"), accepted)
    topics = stack_topics(emulator, region, stack)
    for name, attributes in topics.items():
        found += not_stack_key(f"SNS topic {name}", attributes.get("KmsMasterKeyId"), accepted)
    groups = stack_log_groups(emulator, region, stack)
    for name, group in groups.items():
        found += not_stack_key(f"log group {name}", group.get("kmsKeyId"), accepted)
    return found, len(dbs) + len(queues) + len(tables) + len(topics) + len(groups)


def stack_log_groups(emulator: Emulator, region: str, stack: str) -> dict[str, dict[str, Any]]:
    """The CloudWatch Logs groups tagged with STACK (flow logs, functions, monitoring)."""
    logs = emulator.client("logs", region)
    groups = {}
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            tags = logs.list_tags_log_group(logGroupName=group["logGroupName"])["tags"]
            if tags.get("stack") == stack:
                groups[group["logGroupName"]] = group
    return groups


def _bucket_findings(
    emulator: Emulator, stack: str, region: str, accepted: dict[str, set[str]]
) -> tuple[list[str], int]:
    s3 = emulator.client("s3", region)
    names = sorted(stack_buckets(emulator, stack, region))
    log_targets = set()
    for name in names:
        logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        if logging:
            log_targets.add(logging["TargetBucket"])
    found: list[str] = []
    for name in names:
        location = s3.get_bucket_location(Bucket=name)["LocationConstraint"] or "us-east-1"
        if location not in accepted:
            found.append(f"S3 bucket {name}: in {location}, where the stack has no key")
            continue
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except s3.exceptions.ClientError:
            block = None
        found += public_bucket(name, block)
        try:
            encryption = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]
        except s3.exceptions.ClientError:
            encryption = None
        found += unencrypted_bucket(name, encryption, accepted[location], name in log_targets)
    return found, len(names)


def _iam_findings(emulator: Emulator, region: str, path: str) -> tuple[list[str], int]:
    iam = emulator.client("iam", region)
    found: list[str] = []
    documents: dict[str, Any] = {}
    attached: set[str] = set()
    for policy in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]:
        if policy["Path"] == path:
            attached.add(policy["Arn"])
    roles = [r for r in iam.list_roles(PathPrefix=path)["Roles"] if r["Path"] == path]
    for role in roles:
        name = role["RoleName"]
        for inline in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            documents[f"{inline} (inline, role {name})"] = iam.get_role_policy(
                RoleName=name, PolicyName=inline
            )["PolicyDocument"]
        listed = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        attached |= {p["PolicyArn"] for p in listed}
    for group in groups_under(iam, path):
        name = group["GroupName"]
        for inline in iam.list_group_policies(GroupName=name)["PolicyNames"]:
            documents[f"{inline} (inline, group {name})"] = iam.get_group_policy(
                GroupName=name, PolicyName=inline
            )["PolicyDocument"]
        listed = iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
        attached |= {p["PolicyArn"] for p in listed}
    for arn in sorted(attached):
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        documents[arn] = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
    for label, document in documents.items():
        found += wildcard_grants(label, document)
    return found, len(documents)


def check_security(emulator: Emulator, stack: str) -> dict[str, int]:
    """Every security rule above over the stack's live resources in all its regions; fails with
    one line per offending resource. Returns how many resources of each kind were judged (a
    check that judged nothing proves nothing: the caller may assert on it)."""
    accepted, data = _keys(emulator, stack)
    findings: list[str] = []
    judged: dict[str, int] = {}

    def add(kind: str, result: tuple[list[str], int]) -> None:
        findings.extend(result[0])
        judged[kind] = judged.get(kind, 0) + result[1]

    for region, keys in accepted.items():
        add("security_groups", _network_findings(emulator, region, stack))
        add("compute", _compute_findings(emulator, region, stack, keys))
        add("data", _data_findings(emulator, region, stack, keys))
    add("buckets", _bucket_findings(emulator, stack, data["stack_region"], accepted))
    add("iam_policies", _iam_findings(emulator, data["stack_region"], iam_path(data)))
    assert not findings, f"{stack}: {len(findings)} security findings:\n" + "\n".join(findings)
    return judged


def stack_secrets(emulator: Emulator, stack: str) -> dict[str, list[str]]:
    """Secret name -> the values to hide, for every live secret tagged with the stack, in every
    region the stack has a key in."""
    data = stack_vars(stack, KMS_VARS)
    found = {}
    for region in [data["stack_region"], *(data["aws_kms_replica_regions"] or [])]:
        secrets = emulator.client("secretsmanager", region)
        for page in secrets.get_paginator("list_secrets").paginate():
            for secret in page["SecretList"]:
                if tags_of(secret).get("stack") != stack or "DeletedDate" in secret:
                    continue
                value = secrets.get_secret_value(SecretId=secret["ARN"])
                text = value.get("SecretString") or value["SecretBinary"].decode()
                found[f"{region}/{secret['Name']}"] = secret_values(text)
    return found


def assert_secrets_hidden(emulator: Emulator, stack: str, *runs: PlaybookRun) -> int:
    """No value of any secret the stack keeps in Secrets Manager (database master passwords
    among them) appears anywhere in the output of RUNS. Returns how many values were sought."""
    outputs = [run.output for run in runs]
    findings: list[str] = []
    sought = 0
    for label, values in stack_secrets(emulator, stack).items():
        assert values, f"{stack}: secret {label} has no value to look for"
        sought += len(values)
        findings += leaked_secrets(label, values, outputs)
    assert not findings, f"{stack}: secrets in run logs:\n" + "\n".join(findings)
    return sought
