"""Read a stack's resources back from the emulator with boto3, found by the stack's tags."""

from __future__ import annotations

import re
from typing import Any

from conftest import Emulator

EC2_KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (describe call, result key, id key)
    "vpc": ("describe_vpcs", "Vpcs", "VpcId"),
    "subnet": ("describe_subnets", "Subnets", "SubnetId"),
    "security_group": ("describe_security_groups", "SecurityGroups", "GroupId"),
    "route_table": ("describe_route_tables", "RouteTables", "RouteTableId"),
    "internet_gateway": ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
    "nat_gateway": ("describe_nat_gateways", "NatGateways", "NatGatewayId"),
    "vpn_gateway": ("describe_vpn_gateways", "VpnGateways", "VpnGatewayId"),
    "customer_gateway": ("describe_customer_gateways", "CustomerGateways", "CustomerGatewayId"),
    "vpn_connection": ("describe_vpn_connections", "VpnConnections", "VpnConnectionId"),
    "flow_log": ("describe_flow_logs", "FlowLogs", "FlowLogId"),
}
GONE = {"deleted", "deleting", "failed"}


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagList", []))}


def live(resource: dict[str, Any]) -> bool:
    state = resource.get("State", resource.get("state", "available"))
    return str(state).lower() not in GONE


def ec2_resources(
    emulator: Emulator, region: str, kind: str, filters: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Live resources of one kind, filtered with EC2's own filter names ({"vpc-id": ...})."""
    call, key, _ = EC2_KINDS[kind]
    boto_filters = [{"Name": name, "Values": [value]} for name, value in (filters or {}).items()]
    ec2 = emulator.client("ec2", region)
    items = getattr(ec2, call)(**({"Filters": boto_filters} if boto_filters else {}))[key]
    return [i for i in items if live(i)]


def stack_inventory(emulator: Emulator, region: str, stack: str) -> dict[str, set[str]]:
    """Every live resource tagged stack=<stack>, as {kind: {id}} (EC2, IAM roles, log groups)."""
    found: dict[str, set[str]] = {}
    for kind, (_, _, id_key) in EC2_KINDS.items():
        items = ec2_resources(emulator, region, kind)
        found[kind] = {i[id_key] for i in items if tags_of(i).get("stack") == stack}
    iam = emulator.client("iam", region)
    found["iam_role"] = {
        r["RoleName"]
        for r in iam.list_roles()["Roles"]
        if tags_of(iam.list_role_tags(RoleName=r["RoleName"])).get("stack") == stack
    }
    logs = emulator.client("logs", region)
    found["log_group"] = {
        g["logGroupName"]
        for g in logs.describe_log_groups()["logGroups"]
        if logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"].get("stack") == stack
    }
    enis = stack_enis(emulator, region, stack)
    found["elastic_ip"] = {
        a["AllocationId"]
        for a in emulator.client("ec2", region).describe_addresses()["Addresses"]
        if a.get("NetworkInterfaceId") in enis
    }
    return found


def stack_enis(emulator: Emulator, region: str, stack: str) -> set[str]:
    """Network interfaces inside the stack's VPCs (NAT gateways' interfaces among them)."""
    vpcs = [v["VpcId"] for v in ec2_resources(emulator, region, "vpc", {"tag:stack": stack})]
    if not vpcs:
        return set()
    ec2 = emulator.client("ec2", region)
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": vpcs}])
    return {e["NetworkInterfaceId"] for e in enis["NetworkInterfaces"]}


def everything(emulator: Emulator, regions: list[str]) -> dict[str, set[str]]:
    """Every live resource of the kinds above in the regions, whatever its tags."""
    found: dict[str, set[str]] = {}
    for region in regions:
        for kind, (_, _, id_key) in EC2_KINDS.items():
            found.setdefault(kind, set()).update(
                f"{region}/{i[id_key]}" for i in ec2_resources(emulator, region, kind)
            )
        ec2 = emulator.client("ec2", region)
        found.setdefault("elastic_ip", set()).update(
            a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]
        )
        logs = emulator.client("logs", region)
        found.setdefault("log_group", set()).update(
            f"{region}/{g['logGroupName']}" for g in logs.describe_log_groups()["logGroups"]
        )
        sqs = emulator.client("sqs", region)
        found.setdefault("sqs_queue", set()).update(sqs.list_queues().get("QueueUrls", []))
        ses = emulator.client("sesv2", region)
        found.setdefault("ses_identity", set()).update(
            f"{region}/{i['IdentityName']}" for i in ses.list_email_identities()["EmailIdentities"]
        )
    iam = emulator.client("iam", regions[0])
    found["iam_role"] = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    return found


# --- stable identities (names, tags, CIDRs; never generated IDs) ----------------------------------


def _name(resource: dict[str, Any], default: str = "?") -> str:
    return tags_of(resource).get("Name", default)


def _arn_name(arn: str) -> str:
    """The name inside an elbv2 ARN (…:loadbalancer/app/<name>/<id>, …:targetgroup/<name>/<id>)."""
    parts = arn.split(":")[-1].split("/")
    return parts[-2]


def stable_inventory(emulator: Emulator, region: str, stack: str) -> dict[str, list[str]]:
    """The stack's resources by what stays the same when the stack is built again: names, Name
    tags, CIDRs, ports, record names, and the names of the resources they point at - never the
    IDs the cloud generates. Lists are sorted and keep duplicates, so two runs that converged to
    the same resources compare equal and a duplicate shows up as a repeated entry."""
    ec2 = emulator.client("ec2", region)
    by_tag = [{"Name": "tag:stack", "Values": [stack]}]
    names: dict[str, str] = {}  # generated ID -> stable name, for the references below

    def tagged(kind: str) -> list[dict[str, Any]]:
        return [
            i for i in ec2_resources(emulator, region, kind) if tags_of(i).get("stack") == stack
        ]

    found: dict[str, list[str]] = {}
    for vpc in tagged("vpc"):
        names[vpc["VpcId"]] = _name(vpc)
    found["vpc"] = [f"{_name(v)} {v['CidrBlock']}" for v in tagged("vpc")]
    subnets = tagged("subnet")
    names.update({s["SubnetId"]: _name(s) for s in subnets})
    found["subnet"] = [f"{_name(s)} {s['CidrBlock']} {s['AvailabilityZone']}" for s in subnets]
    groups = ec2.describe_security_groups(Filters=by_tag)["SecurityGroups"]
    names.update({g["GroupId"]: g["GroupName"] for g in groups})
    found["security_group_rule"] = [
        f"{g['GroupName']} {direction} {p.get('IpProtocol')} {p.get('FromPort')}-{p.get('ToPort')} "
        + ",".join(
            sorted(
                [r["CidrIp"] for r in p.get("IpRanges", [])]
                + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
                + [names.get(r["GroupId"], "?") for r in p.get("UserIdGroupPairs", [])]
            )
        )
        for g in groups
        for direction, key in (("in", "IpPermissions"), ("out", "IpPermissionsEgress"))
        for p in g.get(key, [])
    ]
    found["security_group"] = [g["GroupName"] for g in groups]
    for kind in ("internet_gateway", "nat_gateway", "vpn_gateway", "customer_gateway"):
        items = tagged(kind)
        names.update({i[EC2_KINDS[kind][2]]: _name(i) for i in items})
        found[kind] = [_name(i) for i in items]
    found["vpn_connection"] = [_name(c) for c in tagged("vpn_connection")]
    found["flow_log"] = [
        f"{names.get(f['ResourceId'], '?')} {f.get('LogGroupName', f.get('LogDestination'))}"
        for f in tagged("flow_log")
    ]
    found["route"] = [
        f"{_name(t)} {r.get('DestinationCidrBlock', r.get('DestinationIpv6CidrBlock'))} -> "
        + next((names.get(r[k], k) for k in ROUTE_TARGETS if k in r), "?")
        for t in tagged("route_table")
        for r in t.get("Routes", [])
    ]
    found["route_table_association"] = [
        f"{_name(t)} {names.get(a.get('SubnetId', ''), 'main' if a.get('Main') else '?')}"
        for t in tagged("route_table")
        for a in t.get("Associations", [])
    ]
    reservations = ec2.describe_instances(
        Filters=[*by_tag, {"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    names.update({i["InstanceId"]: _name(i) for i in instances})
    found["instance"] = [
        f"{_name(i)} {i['InstanceType']} {names.get(i.get('SubnetId', ''), '?')}" for i in instances
    ]
    found["volume"] = [
        f"{_name(v)} {v['Size']} "
        + ",".join(sorted(names.get(a["InstanceId"], "?") for a in v.get("Attachments", [])))
        for v in ec2.describe_volumes(Filters=by_tag)["Volumes"]
        if v["State"] != "deleted"
    ]
    found["elastic_ip"] = [
        f"{_name(a)} {names.get(a.get('InstanceId', ''), '-')}"
        for a in ec2.describe_addresses(Filters=by_tag)["Addresses"]
    ]
    found["launch_template"] = [
        t["LaunchTemplateName"]
        for t in ec2.describe_launch_templates(Filters=by_tag)["LaunchTemplates"]
    ]
    found["key_pair"] = [k["KeyName"] for k in ec2.describe_key_pairs(Filters=by_tag)["KeyPairs"]]
    found.update(_elbv2_identities(emulator, region, stack, names))
    found.update(_dns_and_monitoring_identities(emulator, region, stack))
    return {kind: sorted(items) for kind, items in found.items() if items}


ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "VpcPeeringConnectionId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
)


def _elbv2_identities(
    emulator: Emulator, region: str, stack: str, names: dict[str, str]
) -> dict[str, list[str]]:
    """Application load balancers, their listeners, target groups and registered targets."""
    elbv2 = emulator.client("elbv2", region)
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    arns += [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    ours = {
        desc["ResourceArn"]
        for start in range(0, len(arns), 20)
        for desc in elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]
        if tags_of(desc).get("stack") == stack
    }
    albs = sorted(a for a in ours if ":loadbalancer/" in a)
    target_groups = sorted(a for a in ours if ":targetgroup/" in a)
    found: dict[str, list[str]] = {
        "alb": [_arn_name(a) for a in albs],
        "target_group": [_arn_name(a) for a in target_groups],
    }
    found["listener"] = [
        f"{_arn_name(alb)} {listener['Protocol']}:{listener['Port']}"
        for alb in albs
        for listener in elbv2.describe_listeners(LoadBalancerArn=alb)["Listeners"]
    ]
    found["target_registration"] = [
        f"{_arn_name(tg)} {names.get(t['Target']['Id'], t['Target']['Id'])}"
        f":{t['Target'].get('Port')}"
        for tg in target_groups
        for t in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    ]
    return found


GENERATED_LABEL = re.compile(r"^(_[0-9a-f]{16,}|[a-z0-9]{20,}(?=\._domainkey\.))")


def _record_name(name: str) -> str:
    """A record name without the label AWS generates (an ACM validation record's `_<hash>`, a
    DKIM record's token): two builds of a stack have the same records up to those."""
    return GENERATED_LABEL.sub("<generated>", name)


def _dns_and_monitoring_identities(
    emulator: Emulator, region: str, stack: str
) -> dict[str, list[str]]:
    """Route53 records of the stack's zones (name and type), alarms, dashboards, KMS aliases."""
    route53 = emulator.client("route53", "us-east-1")
    found: dict[str, list[str]] = {"hosted_zone": [], "record": []}
    for zone in route53.list_hosted_zones()["HostedZones"]:
        zone_id = zone["Id"].split("/")[-1]
        tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
        if tags_of(tags["ResourceTagSet"]).get("stack") != stack:
            continue
        private = zone.get("Config", {}).get("PrivateZone", False)
        found["hosted_zone"].append(f"{zone['Name']} private={private}")
        pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
        found["record"] += [
            " ".join(
                [zone["Name"], _record_name(r["Name"]), r["Type"], r.get("SetIdentifier", "")]
            ).rstrip()
            for page in pages
            for r in page["ResourceRecordSets"]
        ]
    cloudwatch = emulator.client("cloudwatch", region)
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    found["metric_alarm"] = [a["AlarmName"] for a in alarms if stack in a["AlarmName"]]
    found["dashboard"] = [
        d["DashboardName"]
        for d in cloudwatch.list_dashboards()["DashboardEntries"]
        if stack in d["DashboardName"]
    ]
    found["kms_alias"] = [
        a["AliasName"]
        for a in emulator.client("kms", region).list_aliases()["Aliases"]
        if stack in a["AliasName"]
    ]
    return found


def census(emulator: Emulator, regions: list[str]) -> dict[str, list[str]]:
    """Every resource of the kinds a cut-off run can duplicate or orphan, in the regions, whatever
    its tags, each as a signature without its ID (name, attachment, where it points), so that two
    copies of one resource show as a repeated signature and a half-made one as `unattached`.
    {kind: sorted signatures}; kinds: instance, network_interface, elastic_ip, volume,
    target_registration, route53_record plus key pairs, target groups, load balancers (both
    kinds), RDS instances, buckets, queues, security groups, launch templates, NAT gateways."""
    found: dict[str, list[str]] = {}

    def add(kind: str, signature: str) -> None:
        found.setdefault(kind, []).append(signature)

    for region in regions:
        ec2 = emulator.client("ec2", region)
        names: dict[str, str] = {}
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                if instance["State"]["Name"] in {"terminated", "shutting-down"}:
                    continue
                names[instance["InstanceId"]] = _name(instance, instance["InstanceId"])
                add("instance", f"{region}/{names[instance['InstanceId']]}")
        nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if live(n)]
        for nat in nats:
            add("nat_gateway", f"{region}/{nat['SubnetId']}/{_name(nat, '')}")
        nat_enis = {
            a.get("NetworkInterfaceId") for n in nats for a in n.get("NatGatewayAddresses", [])
        }
        for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]:
            attached = eni.get("Attachment", {}).get("InstanceId") or eni.get("InterfaceType", "")
            where = names.get(attached, attached) if eni["Status"] == "in-use" else "unattached"
            where = "nat_gateway" if eni["NetworkInterfaceId"] in nat_enis else where
            add("network_interface", f"{region}/{eni.get('SubnetId')}/{where}/{eni['Description']}")
        for address in ec2.describe_addresses()["Addresses"]:
            if address.get("InstanceId"):
                where = names.get(address["InstanceId"], address["InstanceId"])
            else:
                where = "interface" if address.get("NetworkInterfaceId") else "unattached"
            add("elastic_ip", f"{region}/{_name(address, '')}/{where}")
        for volume in ec2.describe_volumes()["Volumes"]:
            attached = [
                f"{names.get(a['InstanceId'], a['InstanceId'])}:{a['Device']}"
                for a in volume.get("Attachments", [])
            ]
            add("volume", f"{region}/{','.join(attached) or 'unattached'}/{volume['Size']}")
        for group in ec2.describe_security_groups()["SecurityGroups"]:
            add("security_group", f"{region}/{group['VpcId']}/{group['GroupName']}")
        for pair in ec2.describe_key_pairs()["KeyPairs"]:
            add("key_pair", f"{region}/{pair['KeyName']}")
        for template in ec2.describe_launch_templates()["LaunchTemplates"]:
            add("launch_template", f"{region}/{template['LaunchTemplateName']}")

        elbv2 = emulator.client("elbv2", region)
        for balancer in elbv2.describe_load_balancers()["LoadBalancers"]:
            add("load_balancer", f"{region}/{balancer['LoadBalancerName']}")
        for target_group in elbv2.describe_target_groups()["TargetGroups"]:
            add("target_group", f"{region}/{target_group['TargetGroupName']}")
            health = elbv2.describe_target_health(TargetGroupArn=target_group["TargetGroupArn"])
            for target in health["TargetHealthDescriptions"]:
                instance = target["Target"]["Id"]
                add(
                    "target_registration",
                    f"{region}/{target_group['TargetGroupName']}/{names.get(instance, instance)}",
                )
        elb = emulator.client("elb", region)
        for classic in elb.describe_load_balancers()["LoadBalancerDescriptions"]:
            add("classic_load_balancer", f"{region}/{classic['LoadBalancerName']}")
            for member in classic["Instances"]:
                instance = member["InstanceId"]
                add(
                    "target_registration",
                    f"{region}/{classic['LoadBalancerName']}/{names.get(instance, instance)}",
                )
        rds = emulator.client("rds", region)
        for db in rds.describe_db_instances()["DBInstances"]:
            add("db_instance", f"{region}/{db['DBInstanceIdentifier']}")
        sqs = emulator.client("sqs", region)
        for url in sqs.list_queues().get("QueueUrls", []):
            add("queue", url.rsplit("/", 1)[-1])

    route53 = emulator.client("route53", regions[0])
    for zone in route53.list_hosted_zones()["HostedZones"]:
        add("hosted_zone", zone["Name"])
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])
        for record in records["ResourceRecordSets"]:
            identifier = record.get("SetIdentifier", "")
            add("route53_record", f"{zone['Name']}/{record['Name']}/{record['Type']}/{identifier}")
    s3 = emulator.client("s3", regions[0])
    for bucket in s3.list_buckets()["Buckets"]:
        add("bucket", bucket["Name"])
    return {kind: sorted(signatures) for kind, signatures in found.items()}


def census_added(after: dict[str, list[str]], before: dict[str, list[str]]) -> dict[str, list[str]]:
    """Signatures in AFTER beyond those in BEFORE (a multiset difference), per kind."""
    added: dict[str, list[str]] = {}
    for kind, signatures in after.items():
        left = list(before.get(kind, []))
        extra = []
        for signature in signatures:
            if signature in left:
                left.remove(signature)
            else:
                extra.append(signature)
        if extra:
            added[kind] = extra
    return added
