"""Banking fixtures: a real OpenSSH sshd on loopback, generated bank keys (the bank's side: bank_side.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from banking import secrets as bank_secrets
from banking.models import Bank
from banking.transport import CircuitBreaker, close_all_pools
from tests.banking.bank_side import BankKeyMaterial, SshServer, running_sshd
from tests.banking.factories import make_bank


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def bank_keys(sshd: SshServer, monkeypatch: pytest.MonkeyPatch) -> BankKeyMaterial:
    material = BankKeyMaterial.generate(reference="TESTBANK", sftp_private_key=sshd.client_private_key)
    for key, value in material.environment().items():
        monkeypatch.setenv(key, value)
    bank_secrets.secrets.clear()
    yield material
    bank_secrets.secrets.clear()


@pytest.fixture(autouse=True)
def _fresh_breakers_and_pools() -> Iterator[None]:
    yield
    close_all_pools()
    for code in ("822", "812", "999"):
        CircuitBreaker(code).reset()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The personas' passwords are hashed on every test; PBKDF2's cost buys nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def business_day_today(db) -> None:
    """Today counts as a business day, so tests dated today behave the same on a weekend or a holiday."""
    from django.utils import timezone

    from banking.models import BusinessDayOverride

    BusinessDayOverride.objects.update_or_create(
        date=timezone.localdate(), defaults={"is_business_day": True, "reason": "test: today is a business day"}
    )


@pytest.fixture
def bank(bank_keys: BankKeyMaterial, business_day_today: None) -> Bank:
    """The test bank (中國信託, code 822), its keys in the environment and today a business day."""
    return make_bank()
