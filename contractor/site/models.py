"""The Site model."""

from django.core.exceptions import ValidationError
from django.db import models

from contractor.db import Timestamped
from contractor.fields import ConfigValuesField, check_config_values
from contractor.site.hooks import site_placement_checks
from contractor.validators import name_validator


class Site(Timestamped):
    """A group of foundations and structures; sites nest, and config flows down the tree."""

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    description = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    zone = models.ForeignKey(
        "dns.Zone",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sites",
        help_text="The DNS zone this site's structures are published in.",
    )
    config_values = ConfigValuesField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent_id is not None:
            self._clean_parent()
        if self.pk is not None:
            # A new parent or zone moves what the site already holds; the apps that own those rules check them.
            site_placement_checks.check(site=self)
        check_config_values(self)

    def _clean_parent(self):
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": "A site cannot be its own parent."})
        seen = {self.pk}
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError({"parent": f"Making {ancestor.name} the parent would create a cycle."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    def ancestors(self) -> list["Site"]:
        """The chain from the root down to this site, this site last."""
        chain = [self]
        seen = {self.pk}
        node = self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))

    def descendant_ids(self) -> set[int]:
        """Ids of this site and every site below it."""
        from contractor.site.selectors import site_tree  # the selectors module imports this one

        return site_tree().descendants(self.pk)
