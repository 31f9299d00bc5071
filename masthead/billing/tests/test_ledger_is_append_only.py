import pytest

from masthead.billing import ledger
from masthead.billing.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_it_refuses_to_change_or_delete_an_entry(reader):
    entry = ledger.record("test.recorded", actor=reader, reader=reader, amount=100, currency="USD")
    assert entry.actor_label == "reader:reader@example.com"

    entry.amount = 1
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 100


def test_invoice_numbers_are_sequential_without_gaps_after_a_rollback():
    from django.db import transaction

    with transaction.atomic():
        first = ledger.next_number()
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.next_number()
        raise RuntimeError("checkout failed")
    with transaction.atomic():
        second = ledger.next_number()

    assert int(second.split("-")[1]) == int(first.split("-")[1]) + 1
