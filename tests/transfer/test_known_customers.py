"""The import's cache of customer ids: filled only by committed batches, and bounded."""

from __future__ import annotations

import pytest
from django.db import transaction

from tenure.transfer.upserts import KnownCustomers


@pytest.mark.django_db
def test_ids_are_remembered_when_the_batch_commits(django_capture_on_commit_callbacks):
    known = KnownCustomers()
    with django_capture_on_commit_callbacks(execute=True):
        known.remember_on_commit({"C1": 1, "C2": 2})
        assert known == {}  # not before the commit
    assert known == {"C1": 1, "C2": 2}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_batch_leaves_nothing_behind():
    known = KnownCustomers()
    with pytest.raises(RuntimeError), transaction.atomic():
        known.remember_on_commit({"C1": 1})
        raise RuntimeError("the batch failed")
    assert known == {}
    with transaction.atomic():
        known.remember_on_commit({"C2": 2})
    assert known == {"C2": 2}


@pytest.mark.django_db(transaction=True)
def test_past_the_limit_the_cache_starts_over():
    known = KnownCustomers(limit=3)
    with transaction.atomic():
        known.remember_on_commit({"A": 1, "B": 2})
    with transaction.atomic():
        known.remember_on_commit({"C": 3, "D": 4})
    assert known == {"C": 3, "D": 4}
