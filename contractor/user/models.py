"""The custom user model, in place from the first migration so it can grow without pain."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """An operator, an automation account or a subcontractor daemon."""

    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["username"]
        permissions = [
            ("view_secrets", "Can see secret config values (passwords, tokens)"),
            ("act_as_subcontractor", "Can act as a subcontractor daemon: poll for tasks and report results"),
        ]

    def __str__(self):
        return self.username
