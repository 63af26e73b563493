"""estate.aws.cognito_user_pools against the emulator, run by ansible-playbook: pools and app
clients are created as asked (MFA with software tokens, password policy, username and verified
attributes, deletion protection, tags, client flows, token validities, hosted sign-in URLs), a
second run changes nothing, --check --diff shows a change and makes none, changes are applied in
place (clients updated, added and purged by name), drift made by hand is repaired, creation-only
changes and a foreign pool are refused before any change, invalid input fails naming the field,
a pool with users is only deleted with the flag, the teardown removes exactly the stack's pools
(deletion protection turned off first), and no client secret ever reaches the output. Everything
is read back with boto3."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from support.playbook import BIN, PlaybookRun, run_play

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
MAIN, OTHER = "cgt-main", "cgt-other"
PLAY = """
- name: Cognito user pools
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Reconcile the user pools
      estate.aws.cognito_user_pools:
        region: "{{ region }}"
        tags: "{{ pool_tags }}"
        pools: "{{ pools }}"
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
    """One stack's user pools, reconciled by the module through ansible-playbook."""

    def __init__(self, emulator: Emulator, tmp_path: Path, stack: str) -> None:
        self.emulator, self.tmp_path, self.stack = emulator, tmp_path, stack
        self.idp = emulator.client("cognito-idp", REGION)
        self.variables: dict[str, Any] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": str(BIN / "python"),
            "region": REGION,
            "pool_tags": {"stack": stack, "env": "test", "managed-by": "pytest"},
            "state": "present",
            "allow_delete_nonempty": False,
            "result_file": str(tmp_path / f"{stack}-result.json"),
        }

    def run(self, pools: list[dict[str, Any]], *args: str, **variables: Any) -> PlaybookRun:
        play = self.tmp_path / "cognito.yml"
        play.write_text(PLAY)
        Path(self.variables["result_file"]).unlink(missing_ok=True)
        varsfile = self.tmp_path / f"{self.stack}-vars.json"
        varsfile.write_text(json.dumps({**self.variables, **variables, "pools": pools}))
        return run_play(play, "-e", f"@{varsfile}", *args, timeout=300)

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(Path(self.variables["result_file"]).read_text())
        return data

    def pool_ids(self) -> dict[str, str]:
        """Name -> id of every pool tagged with the stack."""
        ids = {}
        for summary in self.idp.list_user_pools(MaxResults=60)["UserPools"]:
            pool = self.idp.describe_user_pool(UserPoolId=summary["Id"])["UserPool"]
            if (pool.get("UserPoolTags") or {}).get("stack") == self.stack:
                ids[pool["Name"]] = pool["Id"]
        return ids

    def state(self) -> dict[str, dict[str, Any]]:
        """Every pool of the stack with its MFA and clients (secrets replaced by a flag)."""
        pools = {}
        for name, pool_id in self.pool_ids().items():
            pool = self.idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
            mfa = self.idp.get_user_pool_mfa_config(UserPoolId=pool_id)
            clients = {}
            for summary in self.idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
                "UserPoolClients"
            ]:
                client = self.idp.describe_user_pool_client(
                    UserPoolId=pool_id, ClientId=summary["ClientId"]
                )["UserPoolClient"]
                client["ClientSecret"] = bool(client.get("ClientSecret"))
                clients[client["ClientName"]] = client
            pools[name] = {
                "id": pool_id,
                "arn": pool["Arn"],
                "password": pool["Policies"]["PasswordPolicy"],
                "username_attributes": pool.get("UsernameAttributes"),
                "auto_verified": pool.get("AutoVerifiedAttributes"),
                "deletion_protection": pool.get("DeletionProtection"),
                "tags": pool.get("UserPoolTags"),
                "mfa": mfa["MfaConfiguration"],
                "totp": (mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"),
                "clients": clients,
            }
        return pools

    def secrets(self) -> list[str]:
        found = []
        for pool_id in self.pool_ids().values():
            for summary in self.idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
                "UserPoolClients"
            ]:
                client = self.idp.describe_user_pool_client(
                    UserPoolId=pool_id, ClientId=summary["ClientId"]
                )["UserPoolClient"]
                if client.get("ClientSecret"):
                    found.append(client["ClientSecret"])
        return found


def ok(run: PlaybookRun, what: str, changed: bool | None = None) -> None:
    assert run.rc == 0 and run.failed == 0, f"{what} failed:\n{run.output[-5000:]}"
    if changed is not None:
        assert (run.changed > 0) == changed, f"{what}: changed={run.changed}\n{run.output[-3000:]}"


def refused(run: PlaybookRun, *needles: str) -> None:
    assert run.rc != 0, run.output[-3000:]
    for needle in needles:
        assert needle in run.output, f"{needle!r} not in:\n{run.output[-3000:]}"


@pytest.mark.cost(58)
def test_user_pools_lifecycle(emulator: Emulator, tmp_path: Path) -> None:
    main = Stack(emulator, tmp_path, MAIN)
    web = {
        "name": "web",
        "generate_secret": True,
        "callback_urls": ["https://app.example.org/cb"],
        "logout_urls": ["https://app.example.org/"],
    }
    ios = {"name": "ios"}
    users = {"name": f"{MAIN}-users", "clients": [ios, web]}
    admins = {
        "name": f"{MAIN}-admins",
        "mfa": "ON",
        "password_policy": {"min_length": 16},
        "deletion_protection": "INACTIVE",
    }
    pools = [users, admins]

    # Creation: everything as asked, read back.
    run = main.run(pools)
    ok(run, "first run", changed=True)
    state = main.state()
    assert set(state) == {users["name"], admins["name"]}
    u, a = state[users["name"]], state[admins["name"]]
    assert u["mfa"] == "OPTIONAL" and u["totp"] is True
    assert a["mfa"] == "ON" and a["totp"] is True
    assert u["password"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    assert a["password"]["MinimumLength"] == 16
    assert u["username_attributes"] == ["email"] and u["auto_verified"] == ["email"]
    assert u["deletion_protection"] == "ACTIVE" and a["deletion_protection"] == "INACTIVE"
    assert u["tags"] == {"stack": MAIN, "env": "test", "managed-by": "pytest", "tier": "serverless"}
    assert set(u["clients"]) == {"ios", "web"} and a["clients"] == {}
    c_ios, c_web = u["clients"]["ios"], u["clients"]["web"]
    assert c_ios["ClientSecret"] is False and c_web["ClientSecret"] is True
    assert c_ios["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (c_ios["AccessTokenValidity"], c_ios["IdTokenValidity"]) == (60, 60)
    assert c_ios["RefreshTokenValidity"] == 30
    assert c_ios["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert c_ios["PreventUserExistenceErrors"] == "ENABLED"
    assert c_ios["AllowedOAuthFlowsUserPoolClient"] is False and "CallbackURLs" not in c_ios
    assert c_web["CallbackURLs"] == web["callback_urls"]
    assert c_web["LogoutURLs"] == web["logout_urls"]
    assert c_web["AllowedOAuthFlows"] == ["code"] and c_web["AllowedOAuthFlowsUserPoolClient"]
    result = main.result()
    assert result["pools"][users["name"]] == {
        "id": u["id"],
        "arn": u["arn"],
        "provider_name": f"cognito-idp.{REGION}.amazonaws.com/{u['id']}",
        "clients": {"ios": c_ios["ClientId"], "web": c_web["ClientId"]},
    }
    assert result["changes"]["pools_created"] == [users["name"], admins["name"]]
    secrets = main.secrets()
    assert len(secrets) == 1
    assert secrets[0] not in run.output and secrets[0] not in json.dumps(result)

    # A neighbour stack's pool, in the same region.
    other = Stack(emulator, tmp_path, OTHER)
    ok(other.run([{"name": f"{OTHER}-users", "clients": [{"name": "ios"}]}]), "other")
    other_state = other.state()
    assert list(other_state) == [f"{OTHER}-users"]

    # Converged: a second run (with --diff, which reads every client's secret) changes nothing.
    run = main.run(pools, "--diff")
    ok(run, "second run", changed=False)
    assert secrets[0] not in run.output
    assert main.state() == state

    # --check --diff shows changes and makes none; then they are applied in place.
    users["password_policy"] = {"min_length": 14}
    ios["access_token_validity"] = 30
    users["clients"] = [ios, {"name": "android"}]
    checked = main.run(pools, "--check", "--diff")
    ok(checked, "--check of changes", changed=True)
    for line in (r"-\s+min_length: 12", r"\+\s+min_length: 14", r"-\s+AccessTokenValidity: 60"):
        assert re.search(line, checked.output), checked.output[-3000:]
    assert "web: deleted" in checked.output, checked.output[-3000:]
    assert secrets[0] not in checked.output
    assert main.state() == state, "--check changed something"
    ok(main.run(pools), "applying the changes", changed=True)
    assert main.result()["changes"] == {
        "pools_updated": [users["name"]],
        "clients_created": [f"{users['name']}/android"],
        "clients_updated": [f"{users['name']}/ios"],
        "clients_deleted": [f"{users['name']}/web"],
    }
    state = main.state()
    u = state[users["name"]]
    assert u["id"] == result["pools"][users["name"]]["id"], "the pool was recreated"
    assert u["password"]["MinimumLength"] == 14 and u["mfa"] == "OPTIONAL" and u["totp"]
    assert u["username_attributes"] == ["email"]
    assert set(u["clients"]) == {"ios", "android"}
    assert u["clients"]["ios"]["ClientId"] == c_ios["ClientId"], "the client was recreated"
    assert u["clients"]["ios"]["AccessTokenValidity"] == 30
    assert main.result()["pools"][users["name"]]["clients"] == {
        "ios": c_ios["ClientId"],
        "android": u["clients"]["android"]["ClientId"],
    }
    ok(main.run(pools), "after the changes", changed=False)

    # Drift made by hand is repaired: MFA off, a client's flows and URLs, the password policy.
    idp = main.idp
    idp.set_user_pool_mfa_config(UserPoolId=u["id"], MfaConfiguration="OFF")
    idp.update_user_pool_client(
        UserPoolId=u["id"],
        ClientId=c_ios["ClientId"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        CallbackURLs=["https://evil.example.org/"],
    )
    described = idp.describe_user_pool(UserPoolId=u["id"])["UserPool"]
    idp.update_user_pool(
        UserPoolId=u["id"],
        Policies={"PasswordPolicy": {"MinimumLength": 6}},
        UserPoolTags=described["UserPoolTags"],
        DeletionProtection="ACTIVE",
    )
    assert main.state() != state
    ok(main.run(pools), "repairing the drift", changed=True)
    assert main.state() == state

    # Creation-only changes are refused, naming the pool (and client) and the field.
    wrong = [
        {
            **users,
            "username_attributes": ["phone_number"],
            "clients": [{**ios, "generate_secret": True}],
        },
        admins,
    ]
    refused(
        main.run(wrong),
        f"pools ({users['name']}).username_attributes",
        f"pools ({users['name']}).clients (ios).generate_secret",
    )
    assert main.state() == state

    # A same-named pool without the stack's tags is not adopted, and nothing else is created.
    foreign = idp.create_user_pool(PoolName=f"{MAIN}-partners")["UserPool"]["Id"]
    extra = [{"name": f"{MAIN}-new"}, {"name": f"{MAIN}-partners"}]
    refused(main.run([*pools, *extra]), f"Refusing to adopt the user pool(s) {MAIN}-partners")
    assert main.state() == state
    idp.delete_user_pool(UserPoolId=foreign)

    # Invalid input fails before any call, naming the field.
    bad = [{**users, "mfa": "SMS"}, {**admins, "clients": [{"name": "x", "callback_urls": ["x"]}]}]
    refused(
        main.run(bad),
        f"pools[0] ({users['name']}).mfa 'SMS' must be one of OFF, OPTIONAL, ON",
        f"pools[1] ({admins['name']}).clients[0] (x).callback_urls 'x' must be",
    )
    assert main.state() == state

    # Deleting a pool that has users is refused before any change, unless allowed; its
    # deletion protection is turned off only then.
    idp.admin_create_user(UserPoolId=u["id"], Username="someone@example.org")
    refused(main.run([admins]), f"have users: {users['name']}", "Nothing was changed")
    assert main.state() == state
    ok(main.run([admins], "--check", allow_delete_nonempty=True), "--check purge", changed=True)
    assert main.state() == state
    ok(main.run([admins], allow_delete_nonempty=True), "purging users", changed=True)
    assert main.result()["deleted"] == [users["name"]]
    assert main.state() == {admins["name"]: state[admins["name"]]}
    assert other.state() == other_state, "the purge touched the neighbour"

    # Teardown: the stack's pools go, the neighbour's stay.
    ok(main.run([], state="absent"), "teardown", changed=True)
    assert main.result()["deleted"] == [admins["name"]]
    assert main.state() == {}
    assert other.state() == other_state, "the teardown touched the neighbour"
    ok(main.run([], state="absent"), "second teardown", changed=False)
    neighbour = other_state[f"{OTHER}-users"]["id"]
    idp.update_user_pool(UserPoolId=neighbour, DeletionProtection="INACTIVE")
    idp.delete_user_pool(UserPoolId=neighbour)
