"""A dependency (or a structure's foundation) that would close a cycle of waits is refused when it is saved."""

import pytest
from django.core.exceptions import ValidationError

from contractor.building import services
from contractor.building.models import Dependency
from tests.factories import ManualFoundationFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """f1 waits (dependency d1) on structure s2, which sits on f2; s1 sits on f1."""
    s1, s2 = StructureFactory(hostname="s1"), StructureFactory(hostname="s2")
    d1 = services.dependency_create(foundation=s1.foundation, structure=s2)
    return s1, s2, d1


def test_a_dependency_closing_a_cycle_through_structures_and_foundations_is_refused(chain):
    """f2 waiting on s1 would make f2 -> s1 -> f1 -> d1 -> s2 -> f2: refused on `structure`, naming the chain."""
    s1, s2, _d1 = chain
    with pytest.raises(ValidationError) as error:
        services.dependency_create(foundation=s2.foundation, structure=s1)
    message = error.value.message_dict["structure"][0]
    assert "cycle" in message and "structure s1" in message and "structure s2" in message
    assert Dependency.objects.count() == 1


def test_waiting_on_the_structure_of_its_own_foundation_is_refused(db):
    """A foundation cannot wait on the structure that sits on it."""
    structure = StructureFactory(hostname="self")
    with pytest.raises(ValidationError) as error:
        services.dependency_create(foundation=structure.foundation, structure=structure)
    assert "structure" in error.value.message_dict


def test_a_cycle_through_a_chain_of_dependencies_is_refused(chain):
    """f2 waiting on a dependency that waits on d1 closes the cycle too: refused on `dependency`."""
    s1, s2, d1 = chain
    middle = services.dependency_create(dependency=d1)
    with pytest.raises(ValidationError) as error:
        services.dependency_create(foundation=s2.foundation, dependency=middle)
    assert "dependency" in error.value.message_dict
    # The same wait without the loop back is fine.
    services.dependency_create(foundation=ManualFoundationFactory(), dependency=middle)


def test_an_update_that_closes_a_cycle_is_refused(chain):
    """Changing what an existing dependency waits on is checked the same way."""
    s1, s2, _d1 = chain
    other = services.dependency_create(foundation=s2.foundation, structure=StructureFactory(hostname="s3"))
    with pytest.raises(ValidationError) as error:
        services.dependency_update(dependency=other, data={"structure": s1})
    assert "structure" in error.value.message_dict


def test_moving_a_structure_onto_a_foundation_that_waits_on_it_is_refused(chain):
    """s2 moved onto f3, where f3 waits on s2: refused on `foundation`."""
    _s1, s2, _d1 = chain
    f3 = ManualFoundationFactory(site=s2.site, blueprint=s2.foundation.blueprint)
    services.dependency_create(foundation=f3, structure=s2)
    with pytest.raises(ValidationError) as error:
        services.structure_update(structure=s2, foundation=f3)
    assert "cycle" in error.value.message_dict["foundation"][0]


def test_the_api_answers_400_naming_the_field(chain, admin_client_api):
    """POST /api/v1/dependencies/ closing a cycle answers 400 on `structure`, and nothing is written."""
    s1, s2, _d1 = chain
    body = {"foundation": s2.foundation.locator, "structure": s1.pk}
    response = admin_client_api.post("/api/v1/dependencies/", body, format="json")
    assert response.status_code == 400 and "cycle" in str(response.json()["structure"])
    assert Dependency.objects.count() == 1
