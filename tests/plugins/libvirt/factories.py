"""Factories of the libvirt plugin tests: libvirt complexes, VM foundations, VM hosts in a complex."""

import factory

from contractor.building.choices import StructureState
from contractor.building.models import ComplexMember
from plugins.libvirt.models import LibvirtComplex, LibvirtFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory, StructureFactory


class LibvirtComplexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LibvirtComplex

    name = factory.Sequence(lambda n: f"vmc-{n}")
    site = factory.SubFactory(SiteFactory, name="lab")


class LibvirtFoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LibvirtFoundation

    locator = factory.Sequence(lambda n: f"vm-{n:04d}")
    site = factory.SubFactory(SiteFactory, name="lab")
    blueprint = factory.SubFactory(FoundationBluePrintFactory, name="bp-vm", foundation_types=["libvirt"])
    complex = factory.SubFactory(LibvirtComplexFactory)


def add_host(complex_, hostname: str, *, built: bool = True, uri: str = ""):
    """A VM host structure (on a manual foundation) in the complex; `uri` becomes its libvirt_uri config."""
    state = StructureState.BUILT if built else StructureState.PLANNED
    host = StructureFactory(hostname=hostname, site=complex_.site, state=state,
                            config_values={"libvirt_uri": uri} if uri else {})  # fmt: skip
    if built:
        host.foundation.state = "built"
        host.foundation.save()
    ComplexMember.objects.create(complex=complex_, structure=host)
    return host
