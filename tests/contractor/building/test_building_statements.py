"""The locked read of a foundation: one statement loads it as its type's model with its site and blueprint, and
holds its rows until the transaction ends."""

import psycopg2
import pytest
from django.db import transaction

from contractor.blueprint.models import BluePrintParent
from contractor.building import statements
from plugins.manual.models import ManualFoundation
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory


@pytest.mark.django_db
def test_the_locked_read_loads_the_foundation_as_its_type_with_site_and_blueprint(django_assert_num_queries):
    blueprint = FoundationBluePrintFactory(hardware_requirements={"cpu_count_min": 4})
    made = ManualFoundationFactory(blueprint=blueprint, location_notes="rack 4, slot 2", id_map={"cpu_count": 8})
    with django_assert_num_queries(1):
        foundation = statements.locked_foundation(ManualFoundation, made.pk)
        assert isinstance(foundation, ManualFoundation)
        assert (foundation.locator, foundation.location_notes, foundation.id_map, foundation.created) == (
            made.locator, "rack 4, slot 2", {"cpu_count": 8}, made.created
        )  # fmt: skip
        assert foundation.site.name == made.site.name, "the site comes with it"
        assert foundation.blueprint.hardware_requirements == {"cpu_count_min": 4}, "so does its blueprint, in full"
        assert foundation.blueprint_inherits is False
    BluePrintParent.objects.create(child=blueprint, parent=FoundationBluePrintFactory(), position=0)
    assert statements.locked_foundation(ManualFoundation, made.pk).blueprint_inherits is True


@pytest.mark.django_db
def test_the_locked_read_of_a_missing_foundation_says_it_does_not_exist():
    with pytest.raises(ManualFoundation.DoesNotExist):
        statements.locked_foundation(ManualFoundation, 987654321)


@pytest.mark.django_db(transaction=True)
def test_the_locked_read_holds_the_base_row_and_the_types_row_until_the_end_of_the_transaction(second_connection):
    made = ManualFoundationFactory()

    def locked(table: str, column: str) -> bool:
        with second_connection.cursor() as cursor:
            try:
                cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE NOWAIT", [made.pk])
            except psycopg2.errors.LockNotAvailable:
                return True
        return False

    with transaction.atomic():
        statements.locked_foundation(ManualFoundation, made.pk)
        assert locked("building_foundation", "id") and locked("manual_manualfoundation", "foundation_ptr_id")
        assert not locked("site_site", "id"), "the site is read, not locked"
    assert not locked("building_foundation", "id"), "the lock ends with the transaction"
