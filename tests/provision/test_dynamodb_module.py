"""estate.aws.dynamodb_tables against the emulator, run by ansible-playbook: tables are created
as asked (SSE-KMS with the stack key, PITR, TTL, stream, deletion protection, tags), a second
run changes nothing, --check --diff shows a change and makes none, a change is applied in place,
drift made by hand is repaired, a key schema change and a foreign table are refused before any
change, invalid input fails naming the field, a table holding items is only purged with the
flag, and the teardown removes exactly the stack's tables (a neighbour stack's stay). Everything
is read back with boto3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
MAIN, OTHER = "ddbt-main", "ddbt-other"
PLAY = """
- name: DynamoDB tables
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Reconcile the tables
      estate.aws.dynamodb_tables:
        region: "{{ region }}"
        tags: "{{ table_tags }}"
        kms_key: "{{ kms_key }}"
        tables: "{{ tables }}"
        state: "{{ state }}"
        allow_delete_nonempty: "{{ allow_delete_nonempty }}"
      register: result
    - name: Record the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""


class Stack:
    """One stack's tables, reconciled by the module through ansible-playbook."""

    def __init__(self, emulator: Emulator, tmp_path: Path, stack: str) -> None:
        self.emulator, self.tmp_path, self.stack = emulator, tmp_path, stack
        self.ddb = emulator.client("dynamodb", REGION)
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "region": REGION,
            "table_tags": {"stack": stack, "env": "test", "managed-by": "pytest"},
            "kms_key": f"alias/{stack}",
            "state": "present",
            "allow_delete_nonempty": False,
            "result_file": str(tmp_path / f"{stack}-result.json"),
        }

    def run(self, tables: list[dict[str, Any]], *args: str, **variables: Any) -> PlaybookRun:
        play = self.tmp_path / "dynamodb.yml"
        play.write_text(PLAY)
        Path(self.variables["result_file"]).unlink(missing_ok=True)
        varsfile = self.tmp_path / f"{self.stack}-vars.json"
        varsfile.write_text(json.dumps({**self.variables, **variables, "tables": tables}))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(Path(self.variables["result_file"]).read_text())
        return data

    def state(self) -> dict[str, dict[str, Any]]:
        """Every table tagged with the stack, as DynamoDB describes it."""
        tagging = self.emulator.client("resourcegroupstaggingapi", REGION)
        found = tagging.get_resources(
            ResourceTypeFilters=["dynamodb:table"],
            TagFilters=[{"Key": "stack", "Values": [self.stack]}],
        )["ResourceTagMappingList"]
        return {
            item["ResourceARN"].split(":table/")[1]: self.table(item["ResourceARN"])
            for item in found
        }

    def table(self, arn: str) -> dict[str, Any]:
        name = arn.split(":table/")[1]
        table = self.ddb.describe_table(TableName=name)["Table"]
        backups = self.ddb.describe_continuous_backups(TableName=name)
        ttl = self.ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tags = self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
        mode = table["BillingModeSummary"]["BillingMode"]
        throughput = table["ProvisionedThroughput"]
        return {
            "id": table["TableId"],
            "keys": {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]},
            "types": {
                a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]
            },
            "billing": mode,
            "capacity": (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"])
            if mode == "PROVISIONED"
            else None,
            "sse": table.get("SSEDescription"),
            "stream": (table.get("StreamSpecification") or {}).get("StreamViewType"),
            "stream_arn": table.get("LatestStreamArn"),
            "deletion_protection": table["DeletionProtectionEnabled"],
            "pitr": backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
                "PointInTimeRecoveryStatus"
            ],
            "ttl": ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None,
            "tags": {t["Key"]: t["Value"] for t in tags},
            "items": table["ItemCount"],
        }


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}\n{run.output[-3000:]}"


def refused(run: PlaybookRun, *needles: str) -> None:
    assert run.rc != 0, run.output[-3000:]
    for needle in needles:
        assert needle in run.output, f"{needle!r} not in:\n{run.output[-3000:]}"


@pytest.fixture(scope="module")
def keys(emulator: Emulator) -> dict[str, str]:
    """Key ARN of alias/<stack> (made once per emulator) and of a spare key for drift."""
    kms = emulator.client("kms", REGION)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    arns = {}
    for name in (MAIN, OTHER, f"{MAIN}-spare"):
        if f"alias/{name}" not in aliases:
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key)
        arns[name] = kms.describe_key(KeyId=f"alias/{name}")["KeyMetadata"]["Arn"]
    return arns


@pytest.mark.cost(64)
def test_tables_lifecycle(emulator: Emulator, tmp_path: Path, keys: dict[str, str]) -> None:
    main = Stack(emulator, tmp_path, MAIN)
    orders = {
        "name": f"{MAIN}-orders",
        "hash_key": {"name": "pk", "type": "S"},
        "range_key": {"name": "sk", "type": "N"},
        "ttl_attribute": "expires_at",
        "stream": "NEW_AND_OLD_IMAGES",
    }
    counters = {
        "name": f"{MAIN}-counters",
        "hash_key": {"name": "id", "type": "S"},
        "billing_mode": "PROVISIONED",
        "read_capacity": 2,
        "write_capacity": 3,
        "point_in_time_recovery": False,
        "deletion_protection": True,
    }
    tables = [orders, counters]

    # Creation: everything as asked, read back.
    ok(main.run(tables), "first run", changed=True)
    state = main.state()
    assert set(state) == {orders["name"], counters["name"]}
    o, c = state[orders["name"]], state[counters["name"]]
    assert o["keys"] == {"HASH": "pk", "RANGE": "sk"} and o["types"] == {"pk": "S", "sk": "N"}
    assert o["billing"] == "PAY_PER_REQUEST" and o["capacity"] is None
    assert c["billing"] == "PROVISIONED" and c["capacity"] == (2, 3)
    for table in (o, c):
        assert table["sse"] == {
            "Status": "ENABLED",
            "SSEType": "KMS",
            "KMSMasterKeyArn": keys[MAIN],
        }
        assert table["tags"] == {
            "stack": MAIN,
            "env": "test",
            "managed-by": "pytest",
            "tier": "serverless",
        }
    assert o["pitr"] == "ENABLED" and c["pitr"] == "DISABLED"
    assert o["ttl"] == "expires_at" and c["ttl"] is None
    assert o["stream"] == "NEW_AND_OLD_IMAGES" and c["stream"] is None
    assert o["deletion_protection"] is False and c["deletion_protection"] is True
    result = main.result()
    assert result["created"] == [orders["name"], counters["name"]] and result["deleted"] == []
    arn = f"arn:aws:dynamodb:{REGION}:123456789012:table/{orders['name']}"
    assert result["tables"][orders["name"]] == {
        "arn": arn,
        "stream_arn": o["stream_arn"],
        "status": "ACTIVE",
    }
    assert result["tables"][counters["name"]]["stream_arn"] is None
    orders_id = o["id"]

    # A neighbour stack's table, in the same region.
    other = Stack(emulator, tmp_path, OTHER)
    ok(other.run([{"name": f"{OTHER}-orders", "hash_key": {"name": "pk", "type": "S"}}]), "other")
    other_state = other.state()
    assert list(other_state) == [f"{OTHER}-orders"]

    # Converged: a second run and --check change nothing.
    ok(main.run(tables), "second run", changed=False)
    assert main.state() == state

    # --check --diff shows a change and makes none; then it is applied in place.
    counters["read_capacity"] = 5
    orders["stream"] = "KEYS_ONLY"
    orders["ttl_attribute"] = "ttl"
    checked = main.run(tables, "--check", "--diff")
    ok(checked, "--check of a change", changed=True)
    assert (
        "-        read_capacity: 2" in checked.output
        and "+        read_capacity: 5" in checked.output
    )
    assert "+        stream: KEYS_ONLY" in checked.output
    assert main.state() == state, "--check changed something"
    ok(main.run(tables), "applying the change", changed=True)
    assert main.result()["updated"] == [orders["name"], counters["name"]]
    state = main.state()
    o, c = state[orders["name"]], state[counters["name"]]
    assert c["capacity"] == (5, 3) and o["stream"] == "KEYS_ONLY" and o["ttl"] == "ttl"
    assert o["id"] == orders_id, "the table was recreated"
    assert o["stream_arn"] != result["tables"][orders["name"]]["stream_arn"], "same stream"
    assert main.result()["tables"][orders["name"]]["stream_arn"] == o["stream_arn"]
    ok(main.run(tables), "after the change", changed=False)

    # Drift made by hand is repaired: PITR off, another key, a tag changed.
    ddb = main.ddb
    ddb.update_continuous_backups(
        TableName=orders["name"],
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )
    ddb.update_table(
        TableName=counters["name"],
        SSESpecification={
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": keys[f"{MAIN}-spare"],
        },
    )
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "changed-by-hand"}])
    assert main.state() != state
    ok(main.run(tables), "repairing the drift", changed=True)
    assert main.state() == state

    # A key schema change is refused, naming the table and the field; nothing changes.
    wrong = [{**orders, "range_key": {"name": "sk", "type": "S"}}, counters]
    refused(main.run(wrong), f"tables ({orders['name']}).range_key", "cannot change in place")
    assert main.state() == state

    # A same-named table without the stack's tags is not adopted, and nothing else is created.
    foreign = f"{MAIN}-audit"
    ddb.create_table(
        TableName=foreign,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    extra = [{"name": n, "hash_key": {"name": "pk", "type": "S"}} for n in (f"{MAIN}-new", foreign)]
    refused(main.run([*tables, *extra]), f"Refusing to adopt the DynamoDB table(s) {foreign}")
    assert main.state() == state
    ddb.delete_table(TableName=foreign)

    # Invalid input fails before any call, naming the field.
    bad = [{**orders, "hash_key": {"name": "pk", "type": "X"}}, {**counters, "read_capacity": 0}]
    run = main.run(bad)
    refused(
        run,
        f"tables[0] ({orders['name']}).hash_key.type 'X' must be one of S, N, B",
        f"tables[1] ({counters['name']}).read_capacity 0 must be an integer",
    )
    assert main.state() == state

    # Purging a table that holds an item is refused before any change, unless allowed.
    ddb.put_item(TableName=orders["name"], Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    state = main.state()
    refused(main.run([counters]), f"hold items: {orders['name']}", "Nothing was changed")
    assert main.state() == state
    ok(main.run([counters], "--check", allow_delete_nonempty=True), "--check purge", changed=True)
    assert main.state() == state
    ok(main.run([counters], allow_delete_nonempty=True), "purging orders", changed=True)
    assert main.result()["deleted"] == [orders["name"]]
    assert main.state() == {counters["name"]: state[counters["name"]]}
    assert other.state() == other_state, "the purge touched the neighbour"

    # Teardown: the protected (empty) table goes too; the neighbour stays.
    ok(main.run([], state="absent"), "teardown", changed=True)
    assert main.result()["deleted"] == [counters["name"]]
    assert main.state() == {}
    assert other.state() == other_state, "the teardown touched the neighbour"
    ok(main.run([], state="absent"), "second teardown", changed=False)
    main.ddb.delete_table(TableName=f"{OTHER}-orders")
