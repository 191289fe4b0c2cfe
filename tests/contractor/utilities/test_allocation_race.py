"""Concurrent address_allocate calls on one block never hand out the same address (PostgreSQL only)."""

import threading

import pytest
from django.db import connection

from contractor.utilities import services
from contractor.utilities.models import Address, AddressBlock
from tests.factories import SiteFactory

THREADS = 8
PER_THREAD = 12


@pytest.mark.django_db(transaction=True)
def test_parallel_allocations_are_distinct_and_contiguous(on_postgres):
    """8 threads allocating 12 addresses each from one block get 96 distinct offsets, 2..97, with no errors."""
    block = services.address_block_create(
        site=SiteFactory(name="race"), name="race", subnet="10.20.0.0/24", gateway="10.20.0.1"
    )
    barrier = threading.Barrier(THREADS)
    errors, offsets = [], []

    def worker():
        try:
            barrier.wait()
            for _ in range(PER_THREAD):
                local_block = AddressBlock.objects.get(pk=block.pk)
                address = services.address_allocate(address_block=local_block, kind="reserved")
                offsets.append(address.offset)
        except Exception as error:  # noqa: BLE001 - the assertion below reports whatever a thread hit
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(offsets) == list(range(2, 2 + THREADS * PER_THREAD))
    stored = sorted(Address.objects.filter(address_block=block).values_list("offset", flat=True))
    assert stored == sorted(offsets)
