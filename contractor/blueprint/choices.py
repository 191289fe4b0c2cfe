"""Choices for blueprints."""

from django.db import models


class BluePrintKind(models.TextChoices):
    FOUNDATION = "foundation", "Foundation"
    STRUCTURE = "structure", "Structure"
