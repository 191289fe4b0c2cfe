"""BluePrint (with its foundation and structure kinds), Script and PXE."""

from django.core.exceptions import ValidationError
from django.db import models

from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.scripting import script_errors
from contractor.db import Timestamped
from contractor.fields import ConfigValuesField, check_config_values
from contractor.plugins import foundation_types
from contractor.validators import name_validator

HARDWARE_KEYS = {
    "cpu_count_min": int,
    "cpu_count_max": int,
    "memory_mb_min": int,
    "memory_mb_max": int,
    "pci_devices": list,
    "disks": list,
    "interface_names": list,
}


def validate_hardware_requirements(value):
    """Fingerprint requirements are a JSON object with known keys of the right types."""
    if not isinstance(value, dict):
        raise ValidationError("Hardware requirements must be a JSON object.")
    for key, item in value.items():
        expected = HARDWARE_KEYS.get(key)
        if expected is None:
            raise ValidationError(f"Unknown hardware requirement {key!r}; known: {', '.join(sorted(HARDWARE_KEYS))}.")
        if not isinstance(item, expected) or isinstance(item, bool):
            raise ValidationError(f"Hardware requirement {key!r} must be a {expected.__name__}.")


class BluePrint(Timestamped):
    """What both kinds of blueprint share: a name, config values, parents and named scripts.

    The scripts and config a blueprint inherits come from its lineage: a depth-first walk of its
    parents in their listed order, each ancestor once (where it is first met), ending with the
    blueprint itself. Config is applied along the lineage (the blueprint's own values last, so they
    win); a script is looked up against it (the blueprint's own first).
    """

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=12, choices=BluePrintKind.choices, editable=False)
    config_values = ConfigValuesField()
    parent_links = models.ManyToManyField(
        "self",
        symmetrical=False,
        through="BluePrintParent",
        through_fields=("child", "parent"),
        related_name="child_links",
        blank=True,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        check_config_values(self)

    def parent_list(self) -> list["BluePrint"]:
        """Direct parents in their listed order."""
        return [link.parent for link in self.parent_edges.select_related("parent").order_by("position")]

    def lineage(self) -> list["BluePrint"]:
        """Ancestors then this blueprint: the order config is applied in (`selectors.blueprint_lineage`)."""
        from contractor.blueprint.selectors import blueprint_lineage  # the selectors module imports this one

        return blueprint_lineage(self)

    def get_script(self, name: str):
        """The script called `name` found first from this blueprint back up its lineage, or None."""
        from contractor.blueprint.selectors import blueprint_script  # the selectors module imports this one

        return blueprint_script(self, name)

    def script_names(self) -> list[str]:
        """Every script name this blueprint has or inherits."""
        from contractor.blueprint.selectors import blueprint_script_names  # the selectors module imports this one

        return blueprint_script_names(self)

    @property
    def subclass(self):
        """This blueprint as its concrete kind."""
        return getattr(self, f"{self.kind}blueprint", self)


class BluePrintParent(models.Model):
    """An ordered parent link; the position decides inheritance order."""

    child = models.ForeignKey(BluePrint, on_delete=models.CASCADE, related_name="parent_edges")
    parent = models.ForeignKey(BluePrint, on_delete=models.PROTECT, related_name="child_edges")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["child", "position"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="blueprint_parent_unique"),
            models.CheckConstraint(condition=~models.Q(child=models.F("parent")), name="blueprint_parent_not_self"),
        ]

    def __str__(self):
        return f"{self.child} <- {self.parent}"


class FoundationBluePrint(BluePrint):
    """How to provision a foundation, and the hardware it must have."""

    foundation_types = models.JSONField(default=list, blank=True, help_text="Foundation types this applies to.")
    hardware_requirements = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_hardware_requirements],
        help_text="Fingerprint: cpu_count_min/max, memory_mb_min/max, pci_devices, disks, interface_names.",
    )

    class Meta:
        verbose_name = "foundation blueprint"

    def save(self, *args, **kwargs):
        self.kind = BluePrintKind.FOUNDATION
        super().save(*args, **kwargs)

    def clean(self):
        known = foundation_types()
        if not isinstance(self.foundation_types, list):
            raise ValidationError({"foundation_types": "A list of foundation type names."})
        unknown = [name for name in self.foundation_types if name not in known]
        if unknown:
            raise ValidationError(
                {
                    "foundation_types": f"Unknown foundation type(s): {', '.join(map(str, unknown))}; "
                    f"installed: {', '.join(sorted(known)) or 'none'}."
                }
            )
        super().clean()


class StructureBluePrint(BluePrint):
    """How to build a structure, and the foundation blueprints it may sit on."""

    foundation_blueprint_list = models.ManyToManyField(
        FoundationBluePrint, related_name="structure_blueprints", blank=True
    )

    class Meta:
        verbose_name = "structure blueprint"

    def save(self, *args, **kwargs):
        self.kind = BluePrintKind.STRUCTURE
        super().save(*args, **kwargs)

    def allows_foundation_blueprint(self, foundation_blueprint: FoundationBluePrint) -> bool:
        """True when a foundation of that blueprint (or of one inheriting an allowed one) may host this."""
        from contractor.blueprint.selectors import structure_blueprint_allows  # the selectors module imports this one

        return structure_blueprint_allows(self, foundation_blueprint)


class Script(Timestamped):
    """A named TScript program of a blueprint: create, destroy, or a utility."""

    blueprint = models.ForeignKey(BluePrint, on_delete=models.CASCADE, related_name="scripts")
    name = models.CharField(max_length=50, validators=[name_validator])
    description = models.CharField(max_length=200, blank=True)
    script = models.TextField()

    class Meta:
        ordering = ["blueprint", "name"]
        constraints = [models.UniqueConstraint(fields=["blueprint", "name"], name="script_unique_name")]

    def __str__(self):
        return f"{self.blueprint}:{self.name}"

    def clean(self):
        errors = script_errors(self.script)
        if errors:
            raise ValidationError({"script": errors})


class PXE(Timestamped):
    """Something a PXE-booting machine can boot: an iPXE boot script and an installer template."""

    name = models.CharField(max_length=50, unique=True, validators=[name_validator])
    description = models.CharField(max_length=200, blank=True)
    boot_script = models.TextField(help_text="iPXE script template, rendered with the target's config.")
    template = models.TextField(blank=True, help_text="Installer template (preseed, kickstart...), rendered likewise.")

    class Meta:
        ordering = ["name"]
        verbose_name = "PXE"
        verbose_name_plural = "PXEs"

    def __str__(self):
        return self.name
