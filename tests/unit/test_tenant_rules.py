"""Pure-Python parts of the tenants tier (module_utils/tenants.py): the validation behind the
estate.aws.tenant_errors filter, queue attributes and their comparison, DKIM records and the
Route53 plan of estate.aws.tenants. No AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.source import load_plugin

tenants = load_plugin("module_utils/tenants.py")

GOOD = [
    {"name": "acme", "domain": "acme.example.org", "queue": True},
    {"name": "globex", "queue": {"visibility_timeout": 300, "dead_letter": "own"}},
    {"name": "initech", "domain": "mail.initech.example", "mail": True},
]


def test_good_tenants_have_no_errors() -> None:
    assert tenants.tenant_errors(GOOD, "cubed-client-") == []


@pytest.mark.parametrize(
    ("tenant_list", "expected"),
    [
        ({"name": "acme"}, "must be a list"),
        ([{"name": "Acme"}], "aws_tenants_list[0].name 'Acme' must be 1-40 lower-case"),
        ([{"name": "a-"}], "inner hyphens"),
        ([{"name": "acme"}, {"name": "acme"}], "(acme).name is used twice"),
        ([{"name": "acme", "domain": "bad_domain.org"}], "(acme).domain 'bad_domain.org' is not"),
        ([{"name": "acme", "domain": "localhost"}], "is not a lower-case DNS name"),
        (
            [{"name": "a", "domain": "x.example.org"}, {"name": "b", "domain": "x.example.org"}],
            "(b).domain x.example.org is already the domain of a",
        ),
        ([{"name": "acme", "mail": True}], "(acme).mail is true but no domain"),
        ([{"name": "acme", "queue": "yes"}], "(acme).queue must be true, false or a mapping"),
        ([{"name": "acme", "queue": {"visibility_timeout": 50000}}], "from 0 to 43200"),
        ([{"name": "acme", "queue": {"receive_wait": True}}], "receive_wait True must be"),
        ([{"name": "acme", "queue": {"dead_letter": "mine"}}], "must be one of shared, own, none"),
        ([{"name": "acme", "queue": {"colour": 1}}], "unknown setting(s) colour"),
        ([{"name": "acme", "owner": "x"}], "unknown field(s) owner"),
        ([{"name": "a" * 40, "queue": {"dead_letter": "own"}}], "longer than SQS's 80 characters"),
    ],
)
def test_tenant_errors_name_the_field(tenant_list: Any, expected: str) -> None:
    errors = tenants.tenant_errors(tenant_list, "mydigitalstructure-production-tenant-")
    assert any(expected in e for e in errors), errors


def test_queue_attributes_and_changes() -> None:
    settings = tenants.queue_settings(GOOD[1], {"message_retention": 600})
    assert settings["visibility_timeout"] == 300 and settings["message_retention"] == 600
    assert tenants.queue_settings({"name": "x"}, {}) is None
    arn = "arn:aws:sqs:eu-west-1:123456789012:cubed-client-globex"
    wanted = tenants.queue_attributes(settings, "alias/cubed", arn, arn + "-dlq")
    assert wanted["KmsMasterKeyId"] == "alias/cubed"
    policy = json.loads(wanted["Policy"])["Statement"][0]
    assert policy["Effect"] == "Deny" and policy["Resource"] == arn
    assert policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # AWS answers JSON attributes re-serialised (other spacing, maxReceiveCount as a string).
    current = dict(wanted)
    redrive = json.loads(wanted["RedrivePolicy"])
    current["RedrivePolicy"] = json.dumps({**redrive, "maxReceiveCount": "5"}, indent=1)
    current["Policy"] = json.dumps(json.loads(wanted["Policy"]), indent=2)
    assert tenants.attribute_changes(current, wanted) == {}
    current["VisibilityTimeout"] = "30"
    del current["KmsMasterKeyId"]
    assert set(tenants.attribute_changes(current, wanted)) == {
        "VisibilityTimeout",
        "KmsMasterKeyId",
    }
    assert tenants.config_digest(wanted) == tenants.config_digest(dict(reversed(wanted.items())))
    assert tenants.config_digest(wanted) != tenants.config_digest(current)


def test_dkim_records_and_zones() -> None:
    records = tenants.dkim_records("Acme.example.org", ["tok2", "tok1", "tok3"])
    assert [r["Name"] for r in records] == [
        "tok1._domainkey.acme.example.org.",
        "tok2._domainkey.acme.example.org.",
        "tok3._domainkey.acme.example.org.",
    ]
    assert records[0]["ResourceRecords"] == [{"Value": "tok1.dkim.amazonses.com."}]
    zones = {"example.org": "Z1", "mail.example.org": "Z2"}
    assert tenants.zone_for("a.mail.example.org", zones) == "mail.example.org"
    assert tenants.zone_for("example.org", zones) == "example.org"
    assert tenants.zone_for("badexample.org", zones) is None


def _cname(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Type": "CNAME", "TTL": 1800, "ResourceRecords": [{"Value": value}]}


def test_record_changes_touch_only_owned_dkim_records() -> None:
    current = [
        _cname("t1._domainkey.acme.example.org.", "t1.dkim.amazonses.com"),
        _cname("old._domainkey.gone.example.org.", "old.dkim.amazonses.com"),
        # Not ours: a DKIM record of a domain no tenant owns, and a non-SES DKIM record.
        _cname("x._domainkey.other.example.org.", "x.dkim.amazonses.com"),
        _cname("google._domainkey.acme.example.org.", "google.example.net"),
        _cname("www.example.org.", "example.org"),
    ]
    wanted = tenants.dkim_records("acme.example.org", ["t1", "t2"])
    owned = {"acme.example.org.", "gone.example.org."}
    changes = tenants.record_changes(current, wanted, owned)
    assert [(c["Action"], c["ResourceRecordSet"]["Name"]) for c in changes] == [
        ("DELETE", "old._domainkey.gone.example.org."),
        ("UPSERT", "t2._domainkey.acme.example.org."),
    ]
    assert list(tenants.batches(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
