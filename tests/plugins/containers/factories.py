"""Factories of the containers plugin tests: container complexes, container foundations, hosts in a complex."""

import factory

from contractor.building.choices import StructureState
from contractor.building.models import ComplexMember
from plugins.containers.models import ContainerComplex, ContainerFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory, StructureFactory


class ContainerComplexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContainerComplex

    name = factory.Sequence(lambda n: f"cc-{n}")
    site = factory.SubFactory(SiteFactory, name="lab")


class ContainerFoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContainerFoundation

    locator = factory.Sequence(lambda n: f"ctr-{n:04d}")
    site = factory.SubFactory(SiteFactory, name="lab")
    blueprint = factory.SubFactory(FoundationBluePrintFactory, name="bp-container", foundation_types=["container"])
    complex = factory.SubFactory(ContainerComplexFactory)


def add_host(complex_, hostname: str, **config):
    """A built container host structure (on a manual foundation) in the complex, with `config` as its config."""
    host = StructureFactory(hostname=hostname, site=complex_.site, state=StructureState.BUILT, config_values=config)
    host.foundation.state = "built"
    host.foundation.save()
    ComplexMember.objects.create(complex=complex_, structure=host)
    return host
