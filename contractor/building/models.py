"""Foundation (the base of every plugin's foundation type), Structure, Complex and Dependency."""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contractor.building.choices import DependencyLink, FoundationState, StructureState
from contractor.db import Timestamped
from contractor.fields import ConfigValuesField, check_config_values
from contractor.plugins import foundation_types
from contractor.site.selectors import site_tree
from contractor.validators import hostname_validator, name_validator


def validate_string_list(value):
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationError("A list of non-empty strings.")


class Foundation(Timestamped):
    """What a structure is deployed on. Plugins subclass it; each subclass is one foundation `type`."""

    foundation_type: str | None = None  # set by each plugin subclass
    # Config keys (fnmatch patterns) of the type's out-of-band management (a BMC's address and credentials): the
    # boot endpoints never give them to the machine itself (contractor/configuration/installer.py).
    out_of_band_keys: tuple[str, ...] = ()

    locator = models.CharField(max_length=100, unique=True, validators=[name_validator])
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="foundations")
    blueprint = models.ForeignKey("blueprint.FoundationBluePrint", on_delete=models.PROTECT, related_name="foundations")
    type = models.CharField(max_length=50, editable=False, db_index=True)
    class_list = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    id_map = models.JSONField(default=dict, blank=True, help_text="Hardware identity found when located.")
    state = models.CharField(max_length=10, choices=FoundationState.choices, default=FoundationState.PLANNED)
    located_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["locator"]

    def __str__(self):
        return self.locator

    def save(self, *args, **kwargs):
        if self.foundation_type:
            self.type = self.foundation_type
        super().save(*args, **kwargs)

    def clean(self):
        if not self.foundation_type:
            raise ValidationError("Create a foundation through its type (a plugin's foundation model), not the base.")
        allowed = getattr(self.blueprint, "foundation_types", None) if self.blueprint_id else None
        if allowed and self.foundation_type not in allowed:
            raise ValidationError(
                {
                    "blueprint": f"BluePrint {self.blueprint} applies to {', '.join(allowed)}, "
                    f"not {self.foundation_type}."
                }
            )
        check_config_values(self)

    @property
    def subclass(self) -> "Foundation":
        """This foundation as its plugin's model, with the type's own fields."""
        model = foundation_types().get(self.type)
        if model is None or isinstance(self, model):
            return self
        return model.objects.get(pk=self.pk)

    def attributes(self) -> dict:
        """The `_foundation_*` values the config engine exposes; plugins extend this."""
        return {}


class Structure(Timestamped):
    """What is deployed on a foundation: a DNS server, a web server, a VM host..."""

    hostname = models.CharField(max_length=63, validators=[hostname_validator])
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="structures")
    blueprint = models.ForeignKey("blueprint.StructureBluePrint", on_delete=models.PROTECT, related_name="structures")
    foundation = models.OneToOneField(Foundation, on_delete=models.PROTECT, related_name="structure")
    config_values = ConfigValuesField()
    config_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=StructureState.choices, default=StructureState.PLANNED)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "hostname"]
        constraints = [models.UniqueConstraint(fields=["site", "hostname"], name="structure_hostname_site_unique")]

    def __str__(self):
        return self.hostname

    def clean(self):
        if self.hostname and self.site_id and self._hostname_taken_in_zone():
            raise ValidationError({"hostname": f"{self.hostname} is already used in the DNS zone this site is in."})
        if self.blueprint_id and self.foundation_id:
            if not self.blueprint.allows_foundation_blueprint(self.foundation.blueprint):
                raise ValidationError(
                    {
                        "blueprint": f"BluePrint {self.blueprint} may not sit on foundation blueprint "
                        f"{self.foundation.blueprint} (of foundation {self.foundation})."
                    }
                )
        self._clean_waits()
        check_config_values(self)

    def _clean_waits(self) -> None:
        """Sitting on a foundation that (through dependencies) waits on this very structure never ends."""
        if not (self.pk and self.foundation_id):
            return
        chain = []
        for node, label in wait_chain("foundation", self.foundation_id):
            chain.append(label)
            if node == ("structure", self.pk):
                raise ValidationError(
                    {"foundation": f"This would make a cycle of waits that never ends: {' -> '.join(chain)}."}
                )

    def _hostname_taken_in_zone(self) -> bool:
        """Whether another structure with this hostname (ignoring case) lands in the DNS zone this one lands in.

        A site's zone covers its sub-sites unless one names its own. One query when no other structure has the
        hostname (the usual case), two otherwise, whatever the number or depth of the sites.
        """
        others = Structure.objects.filter(hostname__iexact=self.hostname).exclude(pk=self.pk)
        sites = set(others.values_list("site_id", flat=True))
        if not sites:
            return False
        tree = site_tree()
        zone = tree.zone_of(self.site_id)
        return zone is not None and any(tree.zone_of(site) == zone for site in sites)


def wait_chain(kind: str, pk: int | None):
    """Yield ((kind, pk), label) along what `kind` `pk` waits on to be built: a structure waits on its foundation,
    a foundation on its dependency (if any), a dependency on its structure or dependency. Each node has at most
    one such wait, so this is a path; it stops at its end or where it meets itself (one query per step)."""
    seen = set()
    while pk is not None and (kind, pk) not in seen:
        seen.add((kind, pk))
        if kind == "structure":
            hostname, foundation = Structure.objects.filter(pk=pk).values_list("hostname", "foundation_id").first()
            yield (kind, pk), f"structure {hostname}"
            kind, pk = "foundation", foundation
        elif kind == "foundation":
            locator, dependency = Foundation.objects.filter(pk=pk).values_list("locator", "dependency").first()
            yield (kind, pk), f"foundation {locator}"
            kind, pk = "dependency", dependency
        else:
            structure, source = Dependency.objects.filter(pk=pk).values_list("structure_id", "dependency_id").first()
            yield (kind, pk), f"dependency {pk}"
            kind, pk = ("structure", structure) if structure else ("dependency", source)


class Complex(Timestamped):
    """A group of structures that together host foundations, such as a VM cluster."""

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    description = models.CharField(max_length=200, blank=True)
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="complexes")
    built_percentage = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The complex counts as built when at least this percent of its members are built.",
    )
    members = models.ManyToManyField(Structure, through="ComplexMember", related_name="complexes", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "complexes"

    def __str__(self):
        return self.name

    @property
    def state(self) -> str:
        """'built' once enough members are built, else 'planned'."""
        states = list(self.members.values_list("state", flat=True))
        if not states:
            return StructureState.PLANNED
        built = sum(1 for state in states if state == StructureState.BUILT)
        return StructureState.BUILT if built * 100 >= self.built_percentage * len(states) else StructureState.PLANNED


class ComplexMember(models.Model):
    """A structure's membership of a complex."""

    complex = models.ForeignKey(Complex, on_delete=models.CASCADE, related_name="memberships")
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="complex_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["complex", "structure"], name="complex_member_unique")]

    def __str__(self):
        return f"{self.structure} in {self.complex}"


class Dependency(Timestamped):
    """Something that waits for a structure (or for another dependency) to be built.

    A foundation that names a dependency is not built until the dependency is; optional create and
    destroy scripts run on `script_structure` when the dependency is built or torn down.
    """

    structure = models.ForeignKey(Structure, null=True, blank=True, on_delete=models.PROTECT, related_name="dependents")
    dependency = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents")
    foundation = models.OneToOneField(
        Foundation, null=True, blank=True, on_delete=models.CASCADE, related_name="dependency"
    )
    link = models.CharField(max_length=4, choices=DependencyLink.choices, default=DependencyLink.SOFT)
    script_structure = models.ForeignKey(
        Structure, null=True, blank=True, on_delete=models.PROTECT, related_name="dependency_scripts"
    )
    create_script_name = models.CharField(max_length=50, blank=True)
    destroy_script_name = models.CharField(max_length=50, blank=True)
    state = models.CharField(max_length=10, choices=StructureState.choices, default=StructureState.PLANNED)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(structure__isnull=False, dependency__isnull=True)
                    | models.Q(structure__isnull=True, dependency__isnull=False)
                ),
                name="dependency_one_source",
            )
        ]

    def __str__(self):
        waiter = self.foundation or f"dependency {self.pk}"
        return f"{waiter} waits on {self.source}"

    @property
    def source(self):
        return self.structure if self.structure_id else self.dependency

    def clean(self):
        errors = {}
        if bool(self.structure_id) == bool(self.dependency_id):
            errors["structure"] = "Give exactly one of structure or dependency to wait on."
        if (self.create_script_name or self.destroy_script_name) and not self.script_structure_id:
            errors["script_structure"] = "Scripts need a structure to run on."
        if not errors and (cycle := self._cycle()):
            field = "structure" if self.structure_id else "dependency"
            errors[field] = f"This would make a cycle of waits that never ends: {' -> '.join(cycle)}."
        if errors:
            raise ValidationError(errors)

    def _cycle(self) -> list[str] | None:
        """The chain of waits back to this dependency that waiting on its source would close, or None.

        Its foundation waits on it, and it waits on its source; the walk follows what the source waits on
        (a structure on its foundation, a foundation on its dependency, a dependency on its own source).
        """
        mine = {("dependency", self.pk), ("foundation", self.foundation_id)}
        start = ("structure", self.structure_id) if self.structure_id else ("dependency", self.dependency_id)
        chain = []
        for node, label in wait_chain(*start):
            chain.append(label)
            if node in mine:
                return [f"dependency {self.pk}" if self.pk else "this dependency", *chain]
        return None
