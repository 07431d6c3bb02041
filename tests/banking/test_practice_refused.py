"""Practice customers (training) never reach a bank: no mandate, no collection batch, no mandate file."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from banking import services
from banking.models import CollectionBatch, CollectionItem, Mandate
from tests.banking.factories import make_debtor, make_mandate, valid_national_id
from tests.delivery.factories import ProductFactory
from training.models import PracticeSet
from training.services import practice_sets_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_set(db) -> PracticeSet:
    ProductFactory()
    practice_sets_seed(count=1, password="practice-password")
    return PracticeSet.objects.get()


def test_a_mandate_for_a_practice_customer_is_refused_naming_the_customer(bank, practice_set) -> None:
    customer = practice_set.customers.order_by("code").first()
    account = services.bank_account_create(
        customer=customer, bank_branch="0040037", account_number="1000000001", holder_id=valid_national_id(1)
    )

    with pytest.raises(ValidationError) as refused:
        services.mandate_create(
            customer=customer,
            bank=bank,
            account=account,
            customer_number="CTR001",
            start_date=timezone.localdate(),
        )

    assert list(refused.value.message_dict) == ["customer"]
    assert f"{customer.code} {customer.short_name}" in refused.value.message_dict["customer"][0]
    assert not Mandate.objects.exists()


def test_a_batch_with_a_practice_customer_is_refused_naming_the_customer(bank, office_clerk, practice_set) -> None:
    # given: a real debtor, and one whose customer was (somehow) made practice data after its mandate
    make_debtor(bank=bank, index=1, amount=1900)
    practice_invoice, _mandate = make_debtor(bank=bank, index=2, amount=2300)
    practice_set.customers.add(practice_invoice.customer)
    customer = practice_invoice.customer
    # when
    with pytest.raises(ValidationError) as refused:
        services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)
    # then
    message = refused.value.message_dict["invoice_ids"][0]
    assert f"{customer.code} {customer.short_name}" in message
    assert not CollectionBatch.objects.exists()
    assert not CollectionItem.objects.exists()


def test_a_batch_of_real_customers_only_is_prepared_beside_practice_data(bank, office_clerk, practice_set) -> None:
    invoice, _mandate = make_debtor(bank=bank, index=1, amount=1900)

    result = services.batch_prepare(bank=bank, collection_date=timezone.localdate(), prepared_by=office_clerk)

    assert list(result.batch.items.values_list("invoice__number", flat=True)) == [invoice.number]


def test_a_mandate_file_with_a_practice_customer_is_refused(bank, practice_set) -> None:
    mandate = make_mandate(bank=bank, index=3)
    practice_set.customers.add(mandate.customer)

    with pytest.raises(ValidationError) as refused:
        services.mandate_file_build(bank=bank, on=timezone.localdate())

    assert mandate.customer.code in refused.value.message_dict["mandates"][0]
    assert Mandate.objects.get(pk=mandate.pk).request_file_id is None
