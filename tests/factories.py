"""factory_boy factories for the domain models, shared by every test package."""

import factory

from contractor.blueprint.models import PXE, FoundationBluePrint, Script, StructureBluePrint
from contractor.building.models import Complex, Dependency, Structure
from contractor.site.models import Site
from contractor.utilities.models import Address, AddressBlock, Network, RealNetworkInterface
from plugins.manual.models import ManualFoundation


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"site-{n}")
    description = "a test site"


class FoundationBluePrintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FoundationBluePrint
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"fbp-{n}")
    foundation_types = factory.LazyFunction(lambda: ["manual"])


class StructureBluePrintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StructureBluePrint
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"sbp-{n}")

    @factory.post_generation
    def foundation_blueprints(self, create, extracted, **kwargs):
        if create and extracted:
            self.foundation_blueprint_list.set(extracted)


class ScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Script

    blueprint = factory.SubFactory(FoundationBluePrintFactory)
    name = "create"
    script = "pass\n"


class PXEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PXE

    name = factory.Sequence(lambda n: f"pxe-{n}")
    boot_script = "#!ipxe\nchain {{ __contractor_host }}/boot\n"


class ManualFoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManualFoundation

    locator = factory.Sequence(lambda n: f"node-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    blueprint = factory.SubFactory(FoundationBluePrintFactory)


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    hostname = factory.Sequence(lambda n: f"host{n}")
    site = factory.SubFactory(SiteFactory)
    foundation = factory.SubFactory(ManualFoundationFactory, site=factory.SelfAttribute("..site"))
    blueprint = factory.LazyAttribute(
        lambda o: StructureBluePrintFactory(foundation_blueprints=[o.foundation.blueprint])
    )


class ComplexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complex

    name = factory.Sequence(lambda n: f"cluster-{n}")
    site = factory.SubFactory(SiteFactory)


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependency

    structure = factory.SubFactory(StructureFactory)


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"net-{n}")
    site = factory.SubFactory(SiteFactory)


class AddressBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddressBlock

    name = factory.Sequence(lambda n: f"block-{n}")
    site = factory.SubFactory(SiteFactory)
    subnet = factory.Sequence(lambda n: f"10.{n // 256 % 256}.{n % 256}.0")
    prefix = 24
    gateway_offset = 1


class RealNetworkInterfaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RealNetworkInterface

    foundation = factory.SubFactory(ManualFoundationFactory)
    name = "eth0"
    mac = factory.Sequence(lambda n: f"02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}")
    is_provisioning = True


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    address_block = factory.SubFactory(AddressBlockFactory)
    offset = factory.Sequence(lambda n: n + 10)
    kind = "reserved"
