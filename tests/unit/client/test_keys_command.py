"""`gpujobs-keys` against a key table in moto: create prints the key once, list shows no key, revoke."""

import json
from typing import Any

import pytest

from gpujobs.api_keys import KeyTable, key_hash
from gpujobs_cli.keys import main
from tests.task_table import create_api_key_table
from tests.unit.moto_world import unique


@pytest.fixture
def table(moto_clients: Any, monkeypatch: pytest.MonkeyPatch) -> KeyTable:
    name = create_api_key_table(moto_clients.dynamodb, unique("api_keys"))
    monkeypatch.setenv("API_KEYS_TABLE", name)
    monkeypatch.setenv("WEBHOOK_SECRET_KEY_ARN", moto_clients.client("kms").create_key()["KeyMetadata"]["Arn"])
    return KeyTable(name, moto_clients.dynamodb)


def test_create_list_revoke(table: KeyTable, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--tenant", "acme", "--rate-limit", "50", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {"key", "key_id", "tenant", "webhook_secret"} and created["tenant"] == "acme"
    [stored] = table.list()
    assert (stored.key_id, stored.key_hash, stored.rate_limit) == (created["key_id"], key_hash(created["key"]), 50.0)

    assert main(["list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert created["key"] not in listed
    [entry] = json.loads(listed)["keys"]
    assert (entry["key_id"], entry["tenant"], entry["revoked_at"]) == (created["key_id"], "acme", None)

    assert main(["revoke", created["key_id"]]) == 0
    assert table.get(created["key_id"]).revoked_at is not None  # type: ignore[union-attr]
    assert not table.get(created["key_id"]).matches(created["key"])  # type: ignore[union-attr]
    assert main(["revoke", "ffffffffffff"]) == 1


def test_plain_create_prints_only_the_key_on_stdout(table: KeyTable, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--tenant", "acme"]) == 0
    out, err = capsys.readouterr()
    [key] = out.split()
    assert table.list()[0].matches(key) and "shown only now" in err


@pytest.mark.parametrize("argv", [["create", "--tenant", "no spaces"],
                                  ["create", "--tenant", "a", "--rate-limit", "0"]])
def test_bad_input_is_a_usage_error(table: KeyTable, argv: list[str]) -> None:
    assert main(argv) == 2
    assert table.list() == []


def test_without_the_table_setting_it_says_which(monkeypatch: pytest.MonkeyPatch, moto_clients: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("API_KEYS_TABLE", raising=False)
    assert main(["list"]) == 2
    assert "API_KEYS_TABLE" in capsys.readouterr().err


def test_a_tenant_has_one_webhook_secret_shown_again_and_rotated(
        table: KeyTable, moto_clients: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--tenant", "acme", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["webhook_secret"]
    assert first.startswith("whsec_")
    assert main(["create", "--tenant", "acme", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["webhook_secret"] == first
    assert main(["webhook-secret", "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.strip() == first
    stored = moto_clients.dynamodb.get_item(TableName=table.table_name,
                                            Key={"key_id": {"S": "webhook-secret#acme"}})["Item"]
    assert first.encode() not in stored["secret"]["B"]  # kept encrypted

    assert main(["webhook-secret", "--tenant", "acme", "--rotate", "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)["webhook_secret"]
    assert rotated != first
    assert main(["webhook-secret", "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.strip() == rotated
    assert main(["create", "--tenant", "other", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["webhook_secret"] not in (first, rotated)
    assert sorted(k.tenant for k in table.list()) == ["acme", "acme", "other"]  # secrets are no keys
