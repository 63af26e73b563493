"""estate.aws.cloudfront_distributions against the emulator, with the storage tier
(roles/aws_storage) making the origin buckets: distributions with one origin access control
each and a read statement per origin bucket are created, converge (second run and --check
report no change), are changed, repaired after drift made by hand, refused where a same-named
distribution is not the stack's, purged and torn down - touching nothing of a neighbour stack.
A storage re-run keeps the CloudFront statements in the bucket policies (changed=0).
Everything is read back with boto3 through the emulator's API; no CloudFront domain is ever
resolved or contacted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
MAIN, OTHER = "cdnt-main", "cdnt-other"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
PLAY = """
- name: CDN
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Distributions
      estate.aws.cloudfront_distributions:
        tags: "{{ cdn_tags }}"
        distributions: "{{ cdn_distributions }}"
        wait: "{{ cdn_wait | default(false) }}"
        state: "{{ cdn_state | default('present') }}"
      register: cdn
    - name: Record the result for the test
      ansible.builtin.copy:
        content: "{{ cdn | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""
STORAGE = """
- name: Storage tier
  hosts: localhost
  gather_facts: false
  roles:
    - role: aws_storage
"""


class Stack:
    """One stack's CDN, run by ansible-playbook, and its state read back with boto3."""

    def __init__(self, emulator: Emulator, tmp_path: Path, stack: str) -> None:
        self.emulator, self.tmp_path, self.stack = emulator, tmp_path, stack
        self.cf = emulator.client("cloudfront", "us-east-1")
        self.s3 = emulator.client("s3", REGION)
        self.prefix = f"{stack}-test"
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "cdn_tags": {"stack": stack, "env": "test", "managed-by": "pytest"},
            "result_file": str(tmp_path / f"{stack}-result.json"),
        }

    def bucket(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}"

    def origin(self, origin_id: str, purpose: str, **extra: Any) -> dict[str, Any]:
        return {"id": origin_id, "bucket": self.bucket(purpose), "region": REGION, **extra}

    def run(self, distributions: list[dict[str, Any]], *args: str, **extra: Any) -> PlaybookRun:
        play = self.tmp_path / "cdn.yml"
        play.write_text(PLAY)
        varsfile = self.tmp_path / f"{self.stack}-vars.json"
        variables = {**self.variables, "cdn_distributions": distributions, **extra}
        varsfile.write_text(json.dumps(variables))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(Path(self.variables["result_file"]).read_text())
        return data

    def storage(self, key_arn: str, *args: str) -> PlaybookRun:
        play = self.tmp_path / "storage.yml"
        play.write_text(STORAGE)
        varsfile = self.tmp_path / f"{self.stack}-storage.json"
        buckets = [{"name": "site", "data_bearing": False}, {"name": "media"}]
        variables = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "aws_storage_name": self.stack,
            "aws_storage_region": REGION,
            "aws_storage_tags": self.variables["cdn_tags"],
            "aws_storage_bucket_prefix": self.prefix,
            "aws_storage_buckets": buckets,
            "aws_storage_key_arn": key_arn,
            "aws_storage_standby_region": "",
        }
        varsfile.write_text(json.dumps(variables))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def policy(self, purpose: str) -> dict[str, Any]:
        """Sid -> statement of a bucket's policy ({} when it has none, or no bucket)."""
        try:
            text = self.s3.get_bucket_policy(Bucket=self.bucket(purpose))["Policy"]
        except self.s3.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] in ("NoSuchBucketPolicy", "NoSuchBucket"), e
            return {}
        return {s.get("Sid", ""): s for s in json.loads(text)["Statement"]}

    def state(self) -> dict[str, Any]:
        """The stack's distributions (config, ETag, tags), origin access controls and the
        policies of its two buckets."""
        distributions: dict[str, Any] = {}
        for page in self.cf.get_paginator("list_distributions").paginate():
            for item in page["DistributionList"].get("Items") or []:
                tags = self.cf.list_tags_for_resource(Resource=item["ARN"])["Tags"]
                tags = {t["Key"]: t["Value"] for t in tags.get("Items") or []}
                if tags.get("stack") != self.stack:
                    continue
                config = self.cf.get_distribution_config(Id=item["Id"])
                distributions[tags["Name"]] = {
                    "id": item["Id"],
                    "arn": item["ARN"],
                    "etag": config["ETag"],
                    "config": config["DistributionConfig"],
                    "tags": tags,
                }
        controls = self.cf.list_origin_access_controls()["OriginAccessControlList"]
        oacs = {
            o["Name"]: o for o in controls.get("Items") or [] if o["Name"].startswith(self.stack)
        }
        return {
            "distributions": distributions,
            "oacs": oacs,
            "policies": {p: self.policy(p) for p in ("site", "media")},
        }


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}\n{run.output[-3000:]}"


def read_statement(stack: Stack, purpose: str, arn: str, name: str) -> dict[str, Any]:
    sid = "CloudFrontRead" + name.replace("-", "")
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{stack.bucket(purpose)}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": arn}},
    }


@pytest.fixture(scope="module")
def key_arn(emulator: Emulator) -> str:
    kms = emulator.client("kms", REGION)
    arn: str = kms.create_key(Description="cdn test storage key")["KeyMetadata"]["Arn"]
    return arn


@pytest.mark.cost(135)
def test_distributions_lifecycle(emulator: Emulator, tmp_path: Path, key_arn: str) -> None:
    main = Stack(emulator, tmp_path, MAIN)
    ok(main.storage(key_arn), "storage tier", changed=True)
    tls_sids = set(main.policy("site"))
    assert tls_sids and not any(s.startswith("CloudFrontRead") for s in tls_sids)

    web = {
        "name": "web",
        "origins": [main.origin("site", "site"), main.origin("media", "media", path="/public")],
        "default_origin": "site",
        "behaviors": [{"path_pattern": "/media/*", "origin": "media"}],
    }
    docs = {"name": "docs-v2", "origins": [main.origin("docs", "site", path="/docs")]}
    ok(main.run([web, docs]), "first run", changed=True)
    state = main.state()
    assert set(state["distributions"]) == {"web", "docs-v2"}
    assert set(state["oacs"]) == {f"{MAIN}-web", f"{MAIN}-docs-v2"}
    for name, oac in state["oacs"].items():
        assert (oac["SigningProtocol"], oac["SigningBehavior"]) == ("sigv4", "always"), name
        assert oac["OriginAccessControlOriginType"] == "s3"
    made = state["distributions"]["web"]
    config = made["config"]
    assert made["tags"] == {
        "stack": MAIN,
        "env": "test",
        "managed-by": "pytest",
        "tier": "cdn",
        "Name": "web",
    }
    assert config["Comment"] == "web" and config["Enabled"] is True
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["media"]["DomainName"] == f"{main.bucket('media')}.s3.{REGION}.amazonaws.com"
    assert origins["media"]["OriginPath"] == "/public"
    for item in origins.values():
        assert item["OriginAccessControlId"] == state["oacs"][f"{MAIN}-web"]["Id"]
        assert item["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["TargetOriginId"] == "site"
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["CachePolicyId"] == CACHING_OPTIMIZED
    assert [b["PathPattern"] for b in config["CacheBehaviors"]["Items"]] == ["/media/*"]
    assert config["DefaultRootObject"] == "index.html"
    assert (config["PriceClass"], config["HttpVersion"]) == ("PriceClass_100", "http2and3")
    assert config["IsIPV6Enabled"] is True
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True
    assert config["Logging"]["Enabled"] is False
    docs_arn = state["distributions"]["docs-v2"]["arn"]
    site, media = state["policies"]["site"], state["policies"]["media"]
    assert site["CloudFrontReadweb"] == read_statement(main, "site", made["arn"], "web")
    assert site["CloudFrontReaddocsv2"] == read_statement(main, "site", docs_arn, "docs-v2")
    assert set(media) == tls_sids | {"CloudFrontReadweb"}
    assert tls_sids <= set(site), "the storage tier's statements were kept"
    outputs = main.result()["distributions"]
    assert outputs["web"] == {
        "id": made["id"],
        "arn": made["arn"],
        "domain_name": outputs["web"]["domain_name"],
        "hosted_zone_id": "Z2FDTNDATAQYW2",
        "oac_id": state["oacs"][f"{MAIN}-web"]["Id"],
        "status": outputs["web"]["status"],
    }
    assert outputs["web"]["domain_name"].endswith(".cloudfront.net")
    assert outputs["web"]["status"] in ("InProgress", "Deployed")

    ok(main.run([web, docs]), "second run", changed=False)
    ok(main.run([web, docs], "--check", "--diff"), "--check on the converged CDN", changed=False)
    # The storage tier keeps the CloudFront statements and has nothing to change.
    ok(main.storage(key_arn), "storage re-run", changed=False)
    assert main.state() == state

    # A neighbour stack with a distribution of the same name, on its own bucket.
    other = Stack(emulator, tmp_path, OTHER)
    other.s3.create_bucket(
        Bucket=other.bucket("site"), CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    ok(other.run([{"name": "web", "origins": [other.origin("site", "site")]}]), "neighbour")
    other_state = other.state()
    assert set(other_state["distributions"]) == {"web"}
    assert set(other_state["oacs"]) == {f"{OTHER}-web"}

    # A change: an alias with its certificate, another price class, the media origin and its
    # behaviour gone. --check shows it and changes nothing; the run waits until it is deployed.
    acm = emulator.client("acm", "us-east-1")
    certificate = acm.request_certificate(DomainName="www.cdnt.example", ValidationMethod="DNS")
    web = {
        **web,
        "origins": [main.origin("site", "site")],
        "behaviors": [],
        "aliases": ["www.cdnt.example"],
        "certificate_arn": certificate["CertificateArn"],
        "price_class": "PriceClass_All",
    }
    checked = main.run([web, docs], "--check", "--diff")
    ok(checked, "--check of the change", changed=True)
    assert "PriceClass_All" in checked.output and "www.cdnt.example" in checked.output
    assert main.state() == state, "--check changed something"
    ok(main.run([web, docs], cdn_wait=True), "the change", changed=True)
    assert main.result()["distributions"]["web"]["status"] == "Deployed"
    changed_state = main.state()
    config = changed_state["distributions"]["web"]["config"]
    assert config["Aliases"]["Items"] == ["www.cdnt.example"]
    assert config["ViewerCertificate"]["ACMCertificateArn"] == certificate["CertificateArn"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"
    assert config["PriceClass"] == "PriceClass_All"
    assert [o["Id"] for o in config["Origins"]["Items"]] == ["site"]
    assert config["CacheBehaviors"]["Quantity"] == 0
    assert changed_state["distributions"]["web"]["etag"] != state["distributions"]["web"]["etag"]
    assert set(changed_state["policies"]["media"]) == tls_sids, "media's read grant is removed"
    assert changed_state["policies"]["site"] == state["policies"]["site"]
    assert changed_state["distributions"]["docs-v2"] == state["distributions"]["docs-v2"]
    ok(main.run([web, docs]), "after the change", changed=False)

    # Drift made by hand: viewer protocol, a tag, the bucket's read grant.
    current = main.cf.get_distribution_config(Id=changed_state["distributions"]["web"]["id"])
    drifted = current["DistributionConfig"]
    drifted["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "allow-all"
    main.cf.update_distribution(
        Id=changed_state["distributions"]["web"]["id"],
        IfMatch=current["ETag"],
        DistributionConfig=drifted,
    )
    main.cf.tag_resource(
        Resource=changed_state["distributions"]["web"]["arn"],
        Tags={"Items": [{"Key": "env", "Value": "hand-made"}]},
    )
    site_policy = json.loads(main.s3.get_bucket_policy(Bucket=main.bucket("site"))["Policy"])
    site_policy["Statement"] = [
        s for s in site_policy["Statement"] if s.get("Sid") != "CloudFrontReadweb"
    ]
    main.s3.put_bucket_policy(Bucket=main.bucket("site"), Policy=json.dumps(site_policy))
    drift_state = main.state()
    checked = main.run([web, docs], "--check", "--diff")
    ok(checked, "--check with drift", changed=True)
    assert "allow-all" in checked.output and "hand-made" in checked.output
    assert main.state() == drift_state
    ok(main.run([web, docs]), "repairing the drift", changed=True)
    repaired = main.state()
    web_now = repaired["distributions"]["web"]
    assert web_now["config"]["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert web_now["tags"]["env"] == "test"
    assert repaired["policies"] == changed_state["policies"]

    # A distribution with a wanted name that is not tagged as the stack's is refused.
    foreign = main.cf.create_distribution(
        DistributionConfig={
            "CallerReference": "cdnt-foreign-blog",
            "Comment": "blog",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": f"{main.bucket('site')}.s3.{REGION}.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": CACHING_OPTIMIZED,
            },
        }
    )["Distribution"]
    blog = {"name": "blog", "origins": [main.origin("site", "site")]}
    refused = main.run([web, docs, blog])
    assert refused.rc != 0, refused.output[-3000:]
    assert f"The distribution {foreign['Id']}" in refused.output
    assert "has the Comment blog but is not tagged as this stack's" in refused.output
    assert main.state() == repaired, "a refused run changed something"

    # Purge: docs-v2 is disabled, deleted with its origin access control and its read grant;
    # web is not touched.
    ok(main.run([web]), "purging docs-v2", changed=True)
    purged = main.state()
    assert set(purged["distributions"]) == {"web"}
    assert purged["distributions"]["web"] == repaired["distributions"]["web"]
    assert set(purged["oacs"]) == {f"{MAIN}-web"}
    assert "CloudFrontReaddocsv2" not in purged["policies"]["site"]
    assert set(purged["policies"]["site"]) == tls_sids | {"CloudFrontReadweb"}

    # Teardown: only cdnt-main's distributions, controls and read grants go.
    ok(main.run([], "--check", cdn_state="absent"), "--check of the teardown", changed=True)
    assert main.state() == purged
    ok(main.run([], cdn_state="absent"), "teardown", changed=True)
    gone = main.state()
    assert gone["distributions"] == {} and gone["oacs"] == {}
    assert set(gone["policies"]["site"]) == tls_sids and set(gone["policies"]["media"]) == tls_sids
    assert other.state() == other_state, "the teardown touched the neighbour"
    assert (
        main.cf.get_distribution(Id=foreign["Id"])["Distribution"]["DistributionConfig"]["Comment"]
        == "blog"
    ), "the teardown touched the untagged distribution"
    ok(main.run([], cdn_state="absent"), "second teardown", changed=False)
    ok(main.storage(key_arn), "storage after the teardown", changed=False)


def test_invalid_distributions_fail_before_any_call(emulator: Emulator, tmp_path: Path) -> None:
    stack = Stack(emulator, tmp_path, "cdnt-invalid")
    cf = emulator.client("cloudfront", "us-east-1")
    before = cf.list_distributions()["DistributionList"].get("Quantity")
    controls = cf.list_origin_access_controls()["OriginAccessControlList"].get("Quantity")
    run = stack.run(
        [
            {"name": "ok", "origins": [stack.origin("site", "site")]},
            {
                "name": "bad",
                "origins": [
                    stack.origin("a", "site"),
                    {"id": "b", "bucket": "B_ad", "region": REGION},
                ],
            },
        ]
    )
    assert run.rc != 0
    assert "distributions[1] (bad).origins[1].bucket 'B_ad' is not an S3 bucket name" in run.output
    assert "distributions[1] (bad).default_origin is required" in run.output
    assert cf.list_distributions()["DistributionList"].get("Quantity") == before
    assert cf.list_origin_access_controls()["OriginAccessControlList"].get("Quantity") == controls
