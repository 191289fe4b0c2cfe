"""ManualFoundation: a foundation that a person powers on and off."""

from django.db import models

from contractor.building.models import Foundation
from plugins.manual.tscript import manual_functions


class ManualFoundation(Foundation):
    """A machine with no out-of-band control; power actions ask a person to act."""

    foundation_type = "manual"

    location_notes = models.CharField(
        max_length=200, blank=True, help_text="Where a person finds the machine (rack, row, room)."
    )

    class Meta:
        verbose_name = "manual foundation"

    def tscript_functions(self, context) -> dict:
        """The `foundation.*` power functions of a manual machine: each pauses the job for a person."""
        return manual_functions(context, self)
