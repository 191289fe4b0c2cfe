"""Choices for the building models."""

from django.db import models


class FoundationState(models.TextChoices):
    PLANNED = "planned", "Planned"
    LOCATED = "located", "Located"
    BUILT = "built", "Built"


class StructureState(models.TextChoices):
    PLANNED = "planned", "Planned"
    BUILT = "built", "Built"


class DependencyLink(models.TextChoices):
    SOFT = "soft", "Soft: wait for the structure while building"
    HARD = "hard", "Hard: also destroyed when the structure is destroyed"
