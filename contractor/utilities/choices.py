"""Choices for networks and addresses."""

from django.db import models


class AddressKind(models.TextChoices):
    STATIC = "static", "Static (on a structure's interface)"
    RESERVED = "reserved", "Reserved"
    DYNAMIC = "dynamic", "Dynamic pool"


class AggregationMode(models.TextChoices):
    ACTIVE_BACKUP = "active-backup", "Active/backup"
    LACP = "802.3ad", "LACP (802.3ad)"
    BALANCE_XOR = "balance-xor", "Balance XOR"
    BALANCE_RR = "balance-rr", "Round robin"
