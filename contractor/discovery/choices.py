"""States of a discovered machine and what it is told to do."""

from django.db import models


class DiscoveredState(models.TextChoices):
    NEW = "new"  # reported, matched to no foundation
    MATCHED = "matched"  # matched automatically to a planned foundation, which is now located
    REFUSED = "refused"  # a foundation it matched (or was assigned) wants other hardware; `message` says what
    ASSIGNED = "assigned"  # an operator gave it to a foundation, which is now located


class DiscoveredAction(models.TextChoices):
    WAIT = "wait"  # keep polling
    POWEROFF = "poweroff"  # power off: it is known now, its foundation's job powers it on again
    REBOOT = "reboot"  # reboot: its foundation's job wants it to boot into its build


class RequestState(models.TextChoices):
    OPEN = "open"  # foundation.discover() powered the machine on and waits for its report
    DONE = "done"  # it reported and met the blueprint's fingerprint: the job goes on
    REFUSED = "refused"  # it reported and missed the fingerprint; `message` says what (the job errors with it)
