"""Rotating the key of stored account numbers: nothing becomes unreadable, `reencrypt_bank_accounts` moves them."""

import base64
import io
import os

import pytest
from django.core.management import CommandError, call_command

from banking import crypto, services
from banking import secrets as bank_secrets
from banking.audit import audit_chain_verify
from banking.models import AuditRecord, BankAccount
from tests.delivery.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OLD_SECRET = "old-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-old"
NEW_SECRET = "new-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-new"


@pytest.fixture(autouse=True)
def no_dedicated_key(monkeypatch, settings):
    for name in (bank_secrets.ACCOUNT_KEY_NAME, f"{bank_secrets.ACCOUNT_KEY_NAME}_FILE", "BANKING_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_SECRET, []
    bank_secrets.secrets.clear()
    yield
    bank_secrets.secrets.clear()


def dedicated(monkeypatch, *keys: bytes) -> None:
    monkeypatch.setenv(bank_secrets.ACCOUNT_KEY_NAME, ",".join(base64.b64encode(key).decode() for key in keys))
    bank_secrets.secrets.clear()


def accounts(*numbers: str) -> list[BankAccount]:
    return [
        services.bank_account_create(
            customer=CustomerFactory(), bank_branch="0040037", account_number=number, holder_id="A123456789"
        )
        for number in numbers
    ]


def stored(account: BankAccount) -> str:
    return BankAccount.objects.values_list("account_encrypted", flat=True).get(pk=account.pk)


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("reencrypt_bank_accounts", *arguments, stdout=out)
    return out.getvalue()


def test_rotating_the_secret_key_keeps_numbers_readable_and_the_command_moves_them(settings):
    first, second = accounts("123456785678", "000011112222")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_SECRET, [OLD_SECRET]
    assert [first.account_number, second.account_number] == ["123456785678", "000011112222"]
    before = stored(first)

    dry = run("--dry-run")
    assert "would re-encrypt 2" in dry
    assert stored(first) == before
    assert not AuditRecord.objects.filter(action="accounts.reencrypted").exists()

    report = run("--batch-size", "1")
    assert "banking.BankAccount: 2/2" in report
    assert "re-encrypted 2" in report
    assert stored(first) != before
    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: every number still opens
    assert [BankAccount.objects.get(pk=a.pk).account_number for a in (first, second)] == [
        "123456785678",
        "000011112222",
    ]
    assert "re-encrypted 0, 2 already under the current key" in run()
    record = AuditRecord.objects.filter(action="accounts.reencrypted").order_by("id").first()
    assert record.details == {"checked": 2, "reencrypted": 2, "unreadable": []}
    assert "123456785678" not in str(record.details)
    assert audit_chain_verify()[1] == []


def test_adding_a_dedicated_key_then_rotating_it(monkeypatch):
    (account,) = accounts("987654321000")
    first_key, second_key = os.urandom(32), os.urandom(32)
    dedicated(monkeypatch, first_key)
    assert account.account_number == "987654321000"  # stored under the key derived from the secret key
    run()
    assert crypto.decrypt_account_with_key(stored(account)) == ("987654321000", 0)

    dedicated(monkeypatch, second_key, first_key)  # the new key first, the old one kept readable
    assert crypto.decrypt_account_with_key(stored(account)) == ("987654321000", 1)
    run()
    dedicated(monkeypatch, second_key)
    assert BankAccount.objects.get(pk=account.pk).account_number == "987654321000"


def test_a_number_no_key_opens_is_named_left_untouched_and_the_rest_still_move(settings):
    readable, lost = accounts("111122223333", "444455556666")
    settings.SECRET_KEY = "a-key-that-was-lost-0123456789abcdefghijklmnopqrstuvw"
    BankAccount.objects.filter(pk=lost.pk).update(account_encrypted=crypto.encrypt_account("444455556666"))
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_SECRET, [OLD_SECRET]
    lost_token = stored(lost)

    with pytest.raises(CommandError) as raised:
        run()
    assert f"banking.BankAccount#{lost.pk}" in str(raised.value)
    assert "DJANGO_SECRET_KEY_FALLBACKS" in str(raised.value)
    assert stored(lost) == lost_token
    assert crypto.decrypt_account_with_key(stored(readable)) == ("111122223333", 0)
    with pytest.raises(crypto.AccountKeyError):
        BankAccount.objects.get(pk=lost.pk).account_number  # noqa: B018


def test_every_model_holding_an_account_number_is_covered():
    labels = {model._meta.label for model in services.account_keys.encrypted_account_models()}
    assert labels == {"banking.BankAccount", "v3import.V3DebitAccount"}


def test_the_fallbacks_come_from_the_environment_or_a_mounted_file(tmp_path, monkeypatch):
    import subprocess
    import sys

    secret_file = tmp_path / "fallbacks"
    secret_file.write_text(f" {OLD_SECRET} , second-old-key \n")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)"
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY_FALLBACKS_FILE": str(secret_file),
        "DJANGO_SETTINGS_MODULE": "luckygas.settings",
    }
    printed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert printed.strip() == repr([OLD_SECRET, "second-old-key"])
